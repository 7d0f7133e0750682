#!/usr/bin/env node
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { checkCommand } from './commands/check.js';
import { compileCommand } from './commands/compile.js';
import { decompileCommand } from './commands/decompile.js';
import { decompilePruneCommand } from './commands/decompilePrune.js';
import { evalCommand } from './commands/eval.js';
import { exportCommand } from './commands/export.js';
import { reportCommand } from './commands/report.js';
import { runCommand } from './commands/run.js';
import { showCommand } from './commands/show.js';
import { trainCommand } from './commands/train.js';
import { verifyCommand } from './commands/verify.js';
import { EXIT } from './exitCodes.js';

const version = (): string => {
  // dist/src/cli/main.js or src/cli/main.ts: package.json is two or three levels up
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['../..', '../../..']) {
    try {
      return (JSON.parse(readFileSync(join(here, up, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      // try the next candidate
    }
  }
  return 'unknown';
};

type SetExit = (code: number | Promise<number>) => Promise<void>;

/** Builds the command line; each action reports its exit code through `setExit`. */
export const buildCli = (setExit: SetExit): Command => {
  const program = new Command();
  program
    .name('raspc')
    .description('Compile RASP programs to transformer weights with machine-checked correctness.')
    .version(version(), '-V, --version')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');

  program
    .command('run')
    .description('Interpret a program on one input (the oracle).')
    .argument('<program>', "a .rasp file (or .json program), or '-' to read it from standard input")
    .requiredOption('--input <tokens>', 'input tokens separated by spaces; tokens that read as numbers are numbers')
    .option('--causal', 'evaluate with causal selectors (keys at or before the query)')
    .option('--vocab <a,b,c>', 'also check the input against this vocabulary')
    .option('--max-len <n>', 'with --vocab: also check the input length')
    .option('--json', 'print one JSON object: {"output": [...]}, None as null')
    .addHelpText('after', '\nExample:\n  raspc run examples/reverse.rasp --input "a b c d" --json\n  {"output":["d","c","b","a"]}')
    .action((path: string, options) => setExit(runCommand(path, options)));

  program
    .command('check')
    .description('Check encodings, infer value sets and report whether the program compiles.')
    .argument('<program>', "a .rasp file (or .json program), or '-' to read it from standard input")
    .requiredOption('--vocab <a,b,c>', 'the vocabulary, comma-separated')
    .requiredOption('--max-len <n>', 'the maximum input length')
    .option('--causal', 'check for a causal (decoder) model')
    .option('--input <tokens>', 'also run this input, checking it against the vocabulary')
    .option('--max-params <n>', 'refuse a model estimated above this many parameters (default 50000000)')
    .option('--json', 'print one JSON object')
    .addHelpText('after', '\nExample:\n  raspc check examples/sort.rasp --vocab 1,2,3,4 --max-len 5')
    .action((path: string, options) => setExit(checkCommand(path, options)));

  program
    .command('compile')
    .description('Compile a program into transformer weights (model.safetensors, config.json, manifest.json).')
    .argument('<program>', "a .rasp file (or .json program), or '-' to read it from standard input")
    .requiredOption('--vocab <a,b,c>', 'the vocabulary, comma-separated')
    .requiredOption('--max-len <n>', 'the maximum input length; the model is exact at every length up to it')
    .requiredOption('-o, --output <dir>', 'directory to write the model to')
    .option('--causal', 'compile a causal (decoder) model')
    .option('--tracr-constants', "use Tracr's fixed precision (softmax coldness 100, MLP large number 100) instead of deriving it; for demonstrating Tracr's failures (needs --no-verify: such models fail certification)")
    .option('--no-verify', 'write the model without certifying it (marked unverified in the manifest; every reader warns)')
    .option('--max-params <n>', 'refuse a model estimated above this many parameters (default 50000000)')
    .option('--json', 'print one JSON object')
    .addHelpText('after', '\nThe model is certified at the bounds before it is written (certificate.json beside it); a model that\nfails is not written (exit 1 with the counterexample, 2 when nothing settles it).\nExample:\n  raspc compile examples/reverse.rasp --vocab a,b,c,d --max-len 5 -o out/reverse')
    .action((path: string, options) => setExit(compileCommand(path, options)));

  program
    .command('eval')
    .description('Run a compiled model on one input and decode its output.')
    .argument('<dir>', 'a model directory written by `raspc compile`')
    .requiredOption('--input <tokens>', 'input tokens separated by spaces')
    .option('--json', 'print one JSON object: {"output": [...]}, None as null')
    .addHelpText('after', '\nExample:\n  raspc eval out/reverse --input "a b c d" --json')
    .action((dir: string, options) => setExit(evalCommand(dir, options)));

  program
    .command('decompile')
    .description('Decompile a model: a model compiled by raspc back to RASP, or any model (also HuggingFace GPT-2) to D-RASP.')
    .argument('<dir>', 'a model directory (raspc compile -o DIR, or config.json + model.safetensors in the HuggingFace GPT-2 layout)')
    .option('--format <f>', 'rasp | drasp (default rasp)')
    .option('-o, --output <file>', "write the program here instead of printing it ('-': print it)")
    .option('--prune', 'a trained model (raspc train): prune causally and print the smallest D-RASP program with match >= 0.9')
    .option('--lambda <list>', 'with --prune: the sparsity weights to sweep, comma-separated (default 0.01,0.03,0.1,0.3)')
    .option('--task <name>', "with --prune: the task to draw inputs from (default: the model's task.json)")
    .option('--prune-steps <n>', 'with --prune: mask-training steps per lambda (default 150)')
    .option('--samples <n>', 'with --prune: inputs the match accuracy is measured on (default 200)')
    .option('--components-only', 'with --prune: prune edges between components only (stage 1), not single paths and select terms')
    .option('--no-norm-fit', "with --prune: keep each LayerNorm's mean standard deviation instead of fitting the constants to the model")
    .option('--heatmaps <dir>', "with --prune: write SVG heatmaps of the program's unnamed matrices here")
    .option('--json', 'print one JSON object')
    .addHelpText('after', '\nExamples:\n  raspc decompile out/sort -o sort.recovered.rasp\n  raspc decompile out/sort --format drasp\n  raspc decompile out/majority --prune --heatmaps out/majority/heatmaps')
    .action((dir: string, options) => setExit(options.prune ? decompilePruneCommand(dir, options) : decompileCommand(dir, options)));

  program
    .command('train')
    .description('Train a GPT-2-style model on a task of the decompiler paper (saved in the HuggingFace layout, accuracy per length bin in DIR/acc.json).')
    .requiredOption('--task <name>', 'majority, most_freq, sort, unique_copy, tomita1 … (see docs/decompile.md)')
    .requiredOption('--layers <n>', 'transformer blocks')
    .requiredOption('--heads <n>', 'attention heads per block')
    .requiredOption('--d-model <n>', 'residual width')
    .option('--steps <n>', 'optimizer steps (default 2000)')
    .option('--batch-size <n>', 'sequences per step (default 32)')
    .option('--lr <x>', 'peak learning rate (default 0.003)')
    .option('--seed <n>', 'seed for the initialisation and the data (default 0)')
    .option('--eval-samples <n>', 'test sequences per length bin (default 500)')
    .option('--max-params <n>', 'refuse a model above this many parameters (default 50000000)')
    .requiredOption('-o, --output <dir>', 'directory to write the model to')
    .option('--json', 'print one JSON object')
    .addHelpText('after', '\nExample:\n  raspc train --task majority --layers 1 --heads 1 --d-model 16 --steps 400 -o out/majority')
    .action((options) => setExit(trainCommand(options)));

  program
    .command('export')
    .description('Write a compiled model in another format: tl (TransformerLens safetensors + config), onnx, json.')
    .argument('<dir>', 'a model directory written by `raspc compile`')
    .option('--format <f>', 'tl | onnx | json', 'tl')
    .requiredOption('-o, --output <dir>', 'directory to write the export to')
    .option('--json', 'print one JSON object: {"format": ..., "files": [...]}')
    .addHelpText(
      'after',
      '\nExamples:\n  raspc export out/sort --format tl -o out/sort-tl       # model.safetensors, config.json, encoders.json\n  raspc export out/sort --format onnx -o out/sort-onnx   # model.onnx (input `tokens`, BOS first)\n\nLoading the tl export in Python: docs/interop.md',
    )
    .action((dir: string, options) => setExit(exportCommand(dir, options)));

  program
    .command('report')
    .description('Compile and verify a program and write a one-file HTML report that runs the model in the page.')
    .argument('<program>', "a .rasp file (or .json program), or '-' to read it from standard input")
    .requiredOption('--vocab <a,b,c>', 'the vocabulary, comma-separated')
    .requiredOption('--max-len <n>', 'the maximum input length')
    .option('--causal', 'a causal (decoder) model')
    .option('--method <m>', 'verification method: auto | exhaustive | lemmas', 'auto')
    .option('--max-params <n>', 'refuse a model estimated above this many parameters (default 50000000)')
    .requiredOption('-o, --output <file>', "the HTML file to write ('-': standard output)")
    .option('--json', 'print one JSON object')
    .addHelpText('after', '\nExample:\n  raspc report examples/sort.rasp --vocab 1,2,3,4 --max-len 5 -o sort.html')
    .action((path: string, options) => setExit(reportCommand(path, options)));

  program
    .command('show')
    .description('Draw a picture of a compiled model: residual stream, attention patterns, program DAG on its layers, MLP lookup tables.')
    .argument('<dir>', 'a model directory written by `raspc compile`')
    .requiredOption('--picture <kind>', 'residual | attention | dag | mlp')
    .option('--input <tokens>', 'the input to run (residual and attention pictures)')
    .requiredOption('-o, --output <file>', 'FILE.svg, FILE.png, or FILE.json for the Vega-Lite specification')
    .option('--json', 'print one JSON object')
    .addHelpText(
      'after',
      '\nExamples:\n  raspc show out/sort --picture residual --input "3 1 4 2" -o sort-residual.svg\n  raspc show out/sort --picture attention --input "3 1 4 2" -o sort-attention.png\n  raspc show out/sort --picture dag -o sort-dag.svg\n  raspc show out/sort --picture mlp -o sort-mlp.svg',
    )
    .action((dir: string, options) => setExit(showCommand(dir, options)));

  program
    .command('verify')
    .description('Compile (or load) a model and verify it against the program: a certificate, or a counterexample.')
    .argument('<program>', "a .rasp file (or .json program), or '-' to read it from standard input")
    .requiredOption('--vocab <a,b,c>', 'the vocabulary, comma-separated')
    .requiredOption('--max-len <n>', 'the maximum input length')
    .option('--causal', 'a causal (decoder) model')
    .option('--method <m>', 'auto | exhaustive | lemmas | z3', 'auto')
    .option('--certificate <file>', 'write the certificate (JSON) here')
    .option('--model <dir>', 'verify this compiled model instead of compiling the program')
    .option('--workers <k>', 'worker threads for the exhaustive check (methods exhaustive and auto)')
    .option('--z3-timeout <ms>', 'with --method z3: per-query timeout in milliseconds (default 60000)')
    .option('--timing', 'record wall-clock times in the certificate (otherwise it is byte-identical run to run)')
    .option('--tracr-constants', "compile with Tracr's fixed precision first (to see its failures caught)")
    .option('--max-params <n>', 'refuse a model estimated above this many parameters (default 50000000)')
    .option('--json', 'print the certificate as one JSON object')
    .addHelpText(
      'after',
      '\nExit codes: 0 verified, 1 counterexample, 2 unknown, 3 error.\nExample:\n  raspc verify examples/sort.rasp --vocab 1,2,3,4 --max-len 5 --method lemmas --certificate sort.cert.json',
    )
    .action((path: string, options) => setExit(verifyCommand(path, options)));

  return program;
};

export const main = async (argv: readonly string[]): Promise<number> => {
  let code: number = EXIT.ok;
  const cli = buildCli(async (c) => {
    code = await c;
  });
  try {
    await cli.parseAsync(argv as string[], { from: 'node' });
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help'
        ? EXIT.ok
        : EXIT.error;
    }
    process.stderr.write(`internal error (a bug in raspc, please report it): ${e instanceof Error ? e.message : String(e)}\n`);
    if (process.env['RASPC_DEBUG']) process.stderr.write(`${e instanceof Error ? e.stack : ''}\n`);
    return EXIT.internal;
  }
  return code;
};

// a reader that stops early (`raspc ... | head`) is not an error
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

const entry = process.argv[1];
const invokedDirectly = entry !== undefined && realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
if (invokedDirectly) {
  void main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
