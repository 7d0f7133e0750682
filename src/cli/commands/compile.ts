import * as Either from 'fp-ts/lib/Either.js';
import pc from 'picocolors';
import { writeModel } from '../../model/files.js';
import type { CompiledModel } from '../../model/model.js';
import { compile } from '../../passes/compile.js';
import type { Certificate } from '../../proofs/certificate.js';
import { certifyCompilation } from '../../passes/certify.js';
import { EXIT } from '../exitCodes.js';
import { loadProgram, parseBounds, parseMaxParams, refuseStdout } from '../inputs.js';
import { failWith, makeOutput, warn, type Output } from '../report.js';

export interface CompileOptions {
  readonly vocab?: string;
  readonly maxLen?: string;
  readonly causal?: boolean;
  readonly output: string;
  readonly tracrConstants?: boolean;
  readonly maxParams?: string;
  /** Commander's `--no-verify`: false writes the model uncertified. */
  readonly verify?: boolean;
  readonly json?: boolean;
}

const TRACR_CONSTANTS = { fixedPrecision: { softmaxColdness: 100, mlpLargeNumber: 100 } } as const;

/**
 * `raspc compile PROG --vocab ... --max-len N -o DIR`: weights, config and manifest, certified at
 * the bounds before anything is written (certificate.json beside them). A model that fails
 * certification is not written: exit 1 with the counterexample, or 2 when nothing settles it.
 */
export const compileCommand = async (path: string, options: CompileOptions): Promise<number> => {
  const out = makeOutput(options.json ?? false);
  const target = refuseStdout('-o', options.output, 'a model directory (model.safetensors, config.json, manifest.json, certificate.json)', 'give a directory, e.g. -o out/model');
  if (target.length > 0) return failWith(out, target);
  const maxParams = parseMaxParams(options.maxParams);
  if (Either.isLeft(maxParams)) return failWith(out, maxParams.left);
  const program = loadProgram(path);
  if (Either.isLeft(program)) return failWith(out, program.left);
  const bounds = parseBounds(options.vocab, options.maxLen, options.causal ?? false);
  if (Either.isLeft(bounds)) return failWith(out, bounds.left);
  const started = performance.now();
  const compiled = compile(program.right, bounds.right, { maxParams: maxParams.right, ...(options.tracrConstants ? TRACR_CONSTANTS : {}) });
  if (Either.isLeft(compiled)) return failWith(out, compiled.left.map((d) => ({ ...d, where: d.where ?? path })));
  const seconds = (performance.now() - started) / 1000;
  warn(out, compiled.right.typed.warnings);
  let model = compiled.right.model;
  let certificate: { readonly certificate: Certificate; readonly text: string; readonly seconds: number } | undefined;
  if (options.verify !== false) {
    const t0 = performance.now();
    const certified = await certifyCompilation(program.right, compiled.right);
    if (Either.isLeft(certified)) return failWith(out, certified.left);
    certificate = { certificate: certified.right.certificate, text: certified.right.certificateText, seconds: (performance.now() - t0) / 1000 };
    if (certified.right.certificate.verdict !== 'verified') return refuse(out, path, certified.right.certificate);
    model = certified.right.model;
  }
  const written = writeModel(options.output, model, certificate?.text);
  if (Either.isLeft(written)) return failWith(out, written.left);
  report(out, path, options.output, model, written.right, seconds, certificate);
  return EXIT.ok;
};

/** Certification failed: nothing is written; the counterexample (or why it is unknown) is shown. */
const refuse = (out: Output, path: string, c: Certificate): number => {
  const counterexample = c.counterexample;
  out.result({ ok: false, written: false, certification: { verdict: c.verdict, claim: c.claim, counterexample, notes: c.notes } });
  const line =
    counterexample !== undefined
      ? `the compiled model of ${path} is wrong (${counterexample.method}): ${counterexample.message}`
      : `the compiled model of ${path} could not be certified: ${c.notes.join('; ') || 'the lemmas do not hold and there are too many inputs to check one by one'}`;
  process.stderr.write(`${pc.red('error')}: ${line}; nothing was written — fix: ${counterexample !== undefined ? 'report it as a raspc bug (or compile with --no-verify to inspect the model)' : 'lower --max-len, or write it anyway with --no-verify'}\n`);
  if (counterexample?.input !== undefined) {
    process.stderr.write(`  input    ${JSON.stringify(counterexample.input)}\n`);
    if (counterexample.expected !== undefined) process.stderr.write(`  program  ${JSON.stringify(counterexample.expected)}\n`);
    if (counterexample.actual !== undefined) process.stderr.write(`  model    ${JSON.stringify(counterexample.actual)}\n`);
  }
  return counterexample !== undefined ? EXIT.counterexample : EXIT.unknown;
};

const report = (
  out: Output,
  path: string,
  dir: string,
  model: CompiledModel,
  files: readonly string[],
  seconds: number,
  certificate: { readonly certificate: Certificate; readonly seconds: number } | undefined,
): void => {
  const { config, manifest } = model;
  const a = manifest.allocation;
  const certification = manifest.certification;
  out.result({
    ok: true,
    directory: dir,
    files,
    layers: config.n_layers,
    layerLowerBound: a.layerLowerBound,
    heads: config.n_heads,
    headsLowerBound: a.headsLowerBound,
    dModel: config.d_model,
    dHead: config.d_head,
    mlpWidth: config.d_mlp,
    mlpWidthLowerBound: a.mlpWidthLowerBound,
    parameters: manifest.parameters,
    notes: manifest.notes,
    certification: { ...certification, ...(certificate ? { seconds: certificate.seconds } : {}) },
    seconds,
  });
  out.info(pc.bold(`compiled ${path} → ${dir} in ${seconds.toFixed(2)} s`));
  out.info(`  layers      ${config.n_layers} (lower bound ${a.layerLowerBound}: the longest dependency path)`);
  out.info(`  heads/layer ${config.n_heads} (lower bound ${a.headsLowerBound})`);
  out.info(`  d_model     ${config.d_model}   d_head ${config.d_head}`);
  out.info(`  MLP width   ${config.d_mlp} (lower bound ${a.mlpWidthLowerBound})`);
  out.info(`  parameters  ${manifest.parameters.toLocaleString('en-US')}`);
  for (const note of manifest.notes) out.info(`  note: ${note}`);
  if (certification.verdict === 'verified' && certificate !== undefined) {
    out.info(`  ${pc.green('certified')} (${certification.method}) in ${certificate.seconds.toFixed(2)} s: ${certification.claim}`);
  } else {
    out.info(`  ${pc.yellow('not certified')} (--no-verify): readers of ${dir} will warn`);
  }
};
