import * as Either from 'fp-ts/lib/Either.js';
import pc from 'picocolors';
import { writeModel } from '../../model/files.js';
import { compile } from '../../passes/compile.js';
import { EXIT } from '../exitCodes.js';
import { loadProgram, parseBounds, parseMaxParams, refuseStdout } from '../inputs.js';
import { failWith, makeOutput, warn } from '../report.js';

export interface CompileOptions {
  readonly vocab?: string;
  readonly maxLen?: string;
  readonly causal?: boolean;
  readonly output: string;
  readonly tracrConstants?: boolean;
  readonly maxParams?: string;
  readonly json?: boolean;
}

/** `raspc compile PROG --vocab ... --max-len N -o DIR`: weights, config and manifest. */
export const compileCommand = (path: string, options: CompileOptions): number => {
  const out = makeOutput(options.json ?? false);
  const target = refuseStdout('-o', options.output, 'a model directory (model.safetensors, config.json, manifest.json)', 'give a directory, e.g. -o out/model');
  if (target.length > 0) return failWith(out, target);
  const maxParams = parseMaxParams(options.maxParams);
  if (Either.isLeft(maxParams)) return failWith(out, maxParams.left);
  const program = loadProgram(path);
  if (Either.isLeft(program)) return failWith(out, program.left);
  const bounds = parseBounds(options.vocab, options.maxLen, options.causal ?? false);
  if (Either.isLeft(bounds)) return failWith(out, bounds.left);
  const started = performance.now();
  const compiled = compile(
    program.right,
    bounds.right,
    { maxParams: maxParams.right, ...(options.tracrConstants ? { fixedPrecision: { softmaxColdness: 100, mlpLargeNumber: 100 } } : {}) },
  );
  if (Either.isLeft(compiled)) return failWith(out, compiled.left.map((d) => ({ ...d, where: d.where ?? path })));
  const seconds = (performance.now() - started) / 1000;
  const written = writeModel(options.output, compiled.right.model);
  if (Either.isLeft(written)) return failWith(out, written.left);
  const { config, manifest } = compiled.right.model;
  const a = manifest.allocation;
  warn(out, compiled.right.typed.warnings);
  out.result({
    ok: true,
    directory: options.output,
    files: written.right,
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
    seconds,
  });
  out.info(pc.bold(`compiled ${path} → ${options.output} in ${seconds.toFixed(2)} s`));
  out.info(`  layers      ${config.n_layers} (lower bound ${a.layerLowerBound}: the longest dependency path)`);
  out.info(`  heads/layer ${config.n_heads} (lower bound ${a.headsLowerBound})`);
  out.info(`  d_model     ${config.d_model}   d_head ${config.d_head}`);
  out.info(`  MLP width   ${config.d_mlp} (lower bound ${a.mlpWidthLowerBound})`);
  out.info(`  parameters  ${manifest.parameters.toLocaleString('en-US')}`);
  for (const note of manifest.notes) out.info(`  note: ${note}`);
  return EXIT.ok;
};
