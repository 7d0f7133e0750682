/**
 * The compiler fuzzer (docs/fuzzing.md): random programs from props/arbitraries.ts through the
 * checker, the compiler and the forward pass, against the interpreter.
 *
 *   npm run fuzz -- --runs 20000 --seed 42 [--max-len 6] [--time-limit 900]
 *
 * For each program: the checker accepts it exactly when the compiler compiles it, and the
 * compiled model decodes to the interpreter's output on every input the interpreter succeeds on
 * (every short input, and random ones up to the max length); every `--determinism-every`-th
 * program is compiled twice and the files compared. A failure is shrunk by fast-check and printed
 * as `.rasp` text with its bounds and the failing input (exit code 1). With `--keep-going` the run
 * does not stop at a failure: it counts failures by kind and shrinks one of each at the end.
 *
 * The summary counts, for every s-op kind and encoding (`numerical(...)` / `categorical(...)` are
 * generated on every kind), how many compiled programs hold one.
 *
 * Programs are checked in a worker thread (this file, run as a worker), so a program that takes
 * longer than `--program-timeout` seconds (the checker's value sets can blow up) is abandoned and
 * reported as slow instead of stalling the run.
 */
import { writeFileSync } from 'node:fs';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { Command, InvalidArgumentError } from 'commander';
import fc from 'fast-check';
import { describeProgram, ENCODED_KINDS, encodedKindsOf, programInputs, randomProgram, rawInputs, type RandomProgram } from '../props/arbitraries.js';
import { checkCompiler, describeFailure, type CompilerCheck, type CompilerCheckOptions } from '../props/compilerCheck.js';
import type { Value } from '../src/ast/value.js';

/** One program to check, as sent to the worker (structured cloning keeps the DAG's sharing). */
interface Request {
  readonly id: number;
  readonly program: RandomProgram['program'];
  readonly vocab: readonly Value[];
  readonly maxLen: number;
  readonly causal: boolean;
  readonly inputs: readonly (readonly Value[])[];
  readonly options: CompilerCheckOptions;
}

interface Reply {
  readonly id: number;
  readonly result: CompilerCheck;
}

type Case = [RandomProgram, number[][]];

interface Options {
  readonly runs: number;
  readonly seed?: number;
  readonly maxLen: number;
  readonly maxInstructions: number;
  readonly inputs: number;
  readonly exhaustive: number;
  readonly determinismEvery: number;
  readonly timeLimit?: number;
  readonly programTimeout: number;
  readonly keepGoing?: boolean;
  readonly progress: number;
  readonly shrinkTime: number;
  readonly current?: string;
}

const integer = (name: string, min: number) => (text: string): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}`);
  return n;
};

const parseOptions = (): Options =>
  new Command('fuzz')
    .description('random RASP programs: checker ⇔ compiler, and compile ∘ forward ∘ decode ≡ interpret')
    .option('--runs <n>', 'programs to generate', integer('--runs', 1), 1000)
    .option('--seed <s>', 'fast-check seed (default: random, printed)', integer('--seed', -(2 ** 31)))
    .option('--max-len <l>', 'max lengths are drawn from 1..L', integer('--max-len', 1), 6)
    .option('--max-instructions <n>', 'instructions per program (program size)', integer('--max-instructions', 1), 10)
    .option('--inputs <k>', 'random inputs per program, on top of the exhaustive short ones', integer('--inputs', 0), 8)
    .option('--exhaustive <n>', 'every input of length 1..L for the largest L with at most n inputs', integer('--exhaustive', 0), 40)
    .option('--determinism-every <k>', 'compile every k-th program twice and compare the files (0: never)', integer('--determinism-every', 0), 10)
    .option('--time-limit <seconds>', 'stop generating after this many seconds (counts as a pass)', integer('--time-limit', 1))
    .option('--program-timeout <seconds>', 'abandon a program after this many seconds (reported as slow, not as a failure)', integer('--program-timeout', 1), 60)
    .option('--keep-going', 'do not stop at the first failure: count failures by kind, shrink one of each at the end')
    .option('--progress <seconds>', 'seconds between progress lines', integer('--progress', 1), 5)
    .option('--shrink-time <seconds>', 'with --keep-going: time to shrink each kind of failure', integer('--shrink-time', 1), 120)
    .option('--current <file>', 'write each program to this file before checking it (to find one that kills the process)')
    .parse()
    .opts<Options>();

/** Checks programs in a worker thread; a program over the timeout gets the worker replaced. */
class Checker {
  private worker: Worker | undefined;
  private nextId = 0;
  private waiting: { id: number; resolve: (r: CompilerCheck | 'timeout') => void; timer: NodeJS.Timeout } | undefined;

  constructor(private readonly timeoutMs: number) {}

  check(p: RandomProgram, inputs: readonly (readonly Value[])[], options: CompilerCheckOptions): Promise<CompilerCheck | 'timeout'> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        void this.stop();
        resolve('timeout');
      }, this.timeoutMs);
      this.waiting = { id, resolve, timer };
      const request: Request = { id, program: p.program, vocab: p.vocab, maxLen: p.maxLen, causal: p.causal, inputs, options };
      worker.postMessage(request);
    });
  }

  async stop(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w !== undefined) await w.terminate();
  }

  private start(): Worker {
    if (this.worker !== undefined) return this.worker;
    // this file again; under tsx (a .ts file) through tsx's API, which registers its loader in
    // the worker (the main thread's loader flags do not reach a worker's entry module)
    const self = import.meta.url;
    const worker = self.endsWith('.ts')
      ? new Worker(`import('tsx/esm/api').then(({ tsImport }) => tsImport(${JSON.stringify(self)}, ${JSON.stringify(self)}));`, { eval: true })
      : new Worker(new URL(self));
    worker.on('message', (reply: Reply) => {
      const w = this.waiting;
      if (w === undefined || w.id !== reply.id) return;
      this.waiting = undefined;
      clearTimeout(w.timer);
      w.resolve(reply.result);
    });
    worker.on('error', (e) => {
      // the worker died (e.g. out of memory): the program crashed the checker or the compiler
      const w = this.waiting;
      this.waiting = undefined;
      this.worker = undefined;
      if (w === undefined) return;
      clearTimeout(w.timer);
      w.resolve({ typechecked: false, rejectedBy: [], compiled: false, compared: 0, failure: { property: 'crash', message: `the worker died: ${e.message}` } });
    });
    this.worker = worker;
    return worker;
  }
}

const main = async (): Promise<void> => {
  const opts = parseOptions();
  const seed = opts.seed ?? (Date.now() ^ (Math.random() * 0x100000000)) | 0;
  const arbitrary = fc.tuple(randomProgram({ maxLen: opts.maxLen, maxInstructions: opts.maxInstructions }), rawInputs(opts.inputs, opts.maxLen));
  const checker = new Checker(opts.programTimeout * 1000);

  const counts = { generated: 0, compiled: 0, rejected: 0, compared: 0, failed: 0, slow: 0 };
  const rejectionCounts = new Map<string, number>();
  /** Compiled programs holding each s-op kind with each encoding (e.g. `linearSequenceMap:categorical`). */
  const encodedKindCounts = new Map<string, number>(ENCODED_KINDS.map((k) => [k, 0]));
  /** Failures by kind (property and message with labels and values blanked): count, first run, example. */
  const kinds = new Map<string, { count: number; firstRun: number; example: string }>();
  const slowPrograms: string[] = [];
  const started = Date.now();
  let lastProgress = started;
  let slowest = { ms: 0, run: -1, text: '' };
  /** Set once the main phase is over (fast-check then shrinks; shrinking runs are not counted). */
  let shrinking = false;

  const indent = (text: string): string => text.replace(/^/gm, '    ');
  const seconds = (): string => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  const countLine = (): string =>
    `${counts.generated} programs (${counts.compiled} compiled, ${counts.rejected} rejected by the checker` +
    `${counts.slow > 0 ? `, ${counts.slow} over the program timeout` : ''}), ` +
    `${counts.compared} inputs compared, ${counts.failed} failing, ${seconds()}`;

  const kindOf = (r: CompilerCheck): string =>
    r.failure === undefined
      ? ''
      : `${r.failure.property}: ${(r.failure.message.split('\n')[0] ?? '')
          .replace(/\b[a-z_]+_[0-9a-f]{6}\b/g, '<node>')
          .replace(/model .*, interpreter .*/, 'model ≠ interpreter')
          .replace(/value \S+ not in/, 'value <v> not in')}`;

  const check = (c: Case, options: CompilerCheckOptions): Promise<CompilerCheck | 'timeout'> =>
    checker.check(c[0], programInputs(c[0], c[1], opts.exhaustive), options);

  const predicate = async (c: Case): Promise<boolean> => {
    if (shrinking) {
      const r = await check(c, {});
      if (r === 'timeout') return true;
      return r.failure === undefined;
    }
    const run = counts.generated++;
    if (opts.current !== undefined) writeFileSync(opts.current, `run ${run} (seed ${seed})\n${describeProgram(c[0])}\n`);
    const t0 = performance.now();
    const r = await check(c, { determinism: opts.determinismEvery > 0 && run % opts.determinismEvery === 0 });
    const ms = performance.now() - t0;
    if (Date.now() - lastProgress >= opts.progress * 1000) {
      lastProgress = Date.now();
      console.log(`… ${countLine()}`);
    }
    if (r === 'timeout') {
      counts.slow++;
      slowPrograms.push(`run ${run}:\n${describeProgram(c[0])}`);
      console.log(`run ${run} took over ${opts.programTimeout} s, abandoned:\n${indent(describeProgram(c[0]))}`);
      return true;
    }
    if (ms > slowest.ms) slowest = { ms, run, text: describeProgram(c[0]) };
    if (r.compiled) {
      counts.compiled++;
      for (const k of encodedKindsOf(c[0].program)) encodedKindCounts.set(k, (encodedKindCounts.get(k) ?? 0) + 1);
    }
    if (!r.typechecked) counts.rejected++;
    for (const code of r.rejectedBy) rejectionCounts.set(code, (rejectionCounts.get(code) ?? 0) + 1);
    counts.compared += r.compared;
    if (r.failure === undefined) return true;
    counts.failed++;
    const kind = kindOf(r);
    const seen = kinds.get(kind);
    if (seen) seen.count++;
    else {
      kinds.set(kind, { count: 1, firstRun: run, example: `${describeProgram(c[0])}\n${describeFailure(r.failure)}` });
      if (opts.keepGoing) console.log(`new failure kind at run ${run}: ${kind}\n${indent(kinds.get(kind)?.example ?? '')}`);
    }
    if (opts.keepGoing) return true;
    shrinking = true;
    return false;
  };

  /** Prints a shrunk counterexample: the program, its bounds, the failure and a hint. */
  const report = async (c: Case, path: string | null): Promise<void> => {
    const r = await check(c, { determinism: true });
    console.log(`\ncounterexample (shrunk${path ? `, fast-check path ${path}` : ''}):\n`);
    console.log(describeProgram(c[0]));
    const text = r === 'timeout' ? '(timed out when re-run)' : r.failure ? describeFailure(r.failure) : '(no longer fails when re-run: non-deterministic?)';
    console.log(`\n${text}`);
    // a hint for whoever fixes it: is it in the optimisations (variants, fusion, absorption, representations)?
    const plain = await check(c, { optimise: false });
    const plainText = plain === 'timeout' ? 'timed out' : plain.failure ? (describeFailure(plain.failure).split('\n')[0] ?? '') : 'passes';
    console.log(`\nwith compile(..., { optimise: false }): ${plainText}`);
  };

  const interrupt = (ms: number): fc.Plugin<[Case]> =>
    // (the plugin is typed for unknown values; it does not look at them)
    fc.interruptAfterTimeLimit(ms) as fc.Plugin<[Case]>;

  console.log(
    `fuzz: seed ${seed}, ${opts.runs} programs, max length ≤ ${opts.maxLen}, ≤ ${opts.maxInstructions} instructions, ` +
      `${opts.inputs} random inputs + short inputs (budget ${opts.exhaustive}) per program` +
      `${opts.timeLimit !== undefined ? `, time limit ${opts.timeLimit} s` : ''}`,
  );
  const details = await fc.check(fc.asyncProperty(arbitrary, predicate), {
    seed,
    numRuns: opts.runs,
    maxSkipsPerRun: 1000,
    ...(opts.timeLimit !== undefined ? { plugins: [interrupt(opts.timeLimit * 1000)] } : {}),
  });
  shrinking = true;
  console.log(`done: ${countLine()}${details.interrupted ? ' (time limit reached)' : ''}`);
  console.log(`  slowest program (within the timeout): run ${slowest.run}, ${slowest.ms.toFixed(0)} ms${slowest.ms > 1000 ? `\n${indent(slowest.text)}` : ''}`);
  if (rejectionCounts.size > 0) {
    const byRule = [...rejectionCounts].sort((a, b) => b[1] - a[1]).map(([code, n]) => `${code} ${n}`);
    console.log(`  rejections by rule (a program may break several): ${byRule.join(', ')}`);
  }
  const byKind = [...encodedKindCounts].map(([k, n]) => `${k} ${n}`);
  console.log(`  compiled programs holding each s-op kind with each encoding: ${byKind.join(', ')}`);
  if (slowPrograms.length > 0) console.log(`  ${slowPrograms.length} program(s) abandoned after ${opts.programTimeout} s (performance, not failures)`);
  const replay =
    `npm run fuzz -- --seed ${seed} --runs ${opts.runs} --max-len ${opts.maxLen} --max-instructions ${opts.maxInstructions} ` +
    `--inputs ${opts.inputs} --exhaustive ${opts.exhaustive}`;

  let exitCode = 0;
  if (opts.keepGoing) {
    if (kinds.size === 0) console.log('no failures');
    else {
      exitCode = 1;
      console.log(`\n${kinds.size} kind(s) of failure:`);
      for (const [kind, k] of [...kinds].sort((a, b) => b[1].count - a[1].count)) console.log(`  ${k.count} × ${kind} (first at run ${k.firstRun})`);
      for (const [kind, k] of kinds) {
        // replay the first program of this kind and shrink it, failing only on this kind
        console.log(`\n==== ${kind}`);
        const shrunk = await fc.check(
          fc.asyncProperty(arbitrary, async (c: Case) => {
            const r = await check(c, {});
            if (r === 'timeout') return true;
            return kindOf(r) !== kind;
          }),
          // shrinking stops after --shrink-time seconds with the smallest counterexample so far
          { seed, path: String(k.firstRun), numRuns: 1, plugins: [interrupt(opts.shrinkTime * 1000)] },
        );
        if (shrunk.failed && shrunk.counterexample) await report(shrunk.counterexample[0], shrunk.counterexamplePath);
        else console.log(`(could not replay run ${k.firstRun}; the unshrunk example:)\n${k.example}`);
      }
      console.log(`\nreplay: ${replay} --keep-going`);
    }
  } else if (details.failed) {
    exitCode = 1;
    if (details.counterexample === null) console.log(`fast-check failed without a counterexample: ${String(details.errorInstance)}`);
    else await report(details.counterexample[0], details.counterexamplePath);
    console.log(`\nseed ${seed}; replay: ${replay}`);
  }
  await checker.stop();
  process.exit(exitCode);
};

if (isMainThread) await main();
else {
  // the worker: check each program it is sent
  parentPort?.on('message', (m: Request) => {
    const result = checkCompiler({ program: m.program, vocab: m.vocab, maxLen: m.maxLen, causal: m.causal }, m.inputs, m.options);
    const reply: Reply = { id: m.id, result };
    parentPort?.postMessage(reply);
  });
}
