import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as Either from 'fp-ts/lib/Either.js';
import { diagnostic, type Diagnostic } from '../../diagnostics.js';
import { printDrasp } from '../../decompile/drasp/printer.js';
import { decompilePruned } from '../../decompile/prune/decompilePruned.js';
import { programHeatmaps } from '../../decompile/prune/heatmaps.js';
import { PRUNE_DEFAULTS, type PruneSettings } from '../../decompile/prune/prune.js';
import { renderSvg } from '../../pictures/render.js';
import { EXIT } from '../exitCodes.js';
import { integerOption, refuseStdout, STDIN } from '../inputs.js';
import { failWith, makeOutput, warn } from '../report.js';

export interface DecompilePruneOptions {
  readonly lambda?: string;
  readonly task?: string;
  readonly pruneSteps?: string;
  readonly samples?: string;
  readonly componentsOnly?: boolean;
  /** false with --no-norm-fit. */
  readonly normFit?: boolean;
  readonly heatmaps?: string;
  readonly output?: string;
  readonly format?: string;
  readonly json?: boolean;
}

const parseSettings = (options: DecompilePruneOptions): Either.Either<Diagnostic[], PruneSettings> => {
  const problems: Diagnostic[] = [];
  const lambdas = options.lambda === undefined ? PRUNE_DEFAULTS.lambdas : options.lambda.split(',').map((s) => (s.trim() === '' ? Number.NaN : Number(s.trim())));
  if (lambdas.length === 0 || lambdas.some((l) => !(l >= 0) || !Number.isFinite(l))) {
    problems.push(diagnostic('cli/bad-number', `--lambda must be non-negative numbers separated by commas, not "${options.lambda}"`, { fix: 'e.g. --lambda 0.003,0.01,0.03' }));
  }
  const count = (name: string, text: string | undefined, fallback: number, max: number): number => {
    if (text === undefined) return fallback;
    const n = integerOption(`--${name}`, text, 1, max);
    if (Either.isLeft(n)) problems.push(n.left);
    return Either.isRight(n) ? n.right : fallback;
  };
  if (options.format !== undefined && options.format !== 'drasp') {
    problems.push(diagnostic('cli/unused-option', `--format ${options.format} has no effect with --prune (it prints D-RASP)`, { fix: 'drop --format, or use --format drasp' }));
  }
  if (options.heatmaps !== undefined) problems.push(...refuseStdout('--heatmaps', options.heatmaps, 'a directory of SVG files', 'give a directory, e.g. --heatmaps out/heatmaps'));
  const settings = { ...PRUNE_DEFAULTS, lambdas, steps: count('prune-steps', options.pruneSteps, PRUNE_DEFAULTS.steps, 100_000), evalSamples: count('samples', options.samples, PRUNE_DEFAULTS.evalSamples, 1_000_000), pathStages: !(options.componentsOnly ?? false), fitNorms: options.normFit ?? true };
  return problems.length > 0 ? Either.left(problems) : Either.right(settings);
};

/** `raspc decompile DIR --prune [--lambda a,b,…] [--heatmaps DIR]`. */
export const decompilePruneCommand = async (dir: string, options: DecompilePruneOptions): Promise<number> => {
  const out = makeOutput(options.json ?? false);
  const settings = parseSettings(options);
  if (Either.isLeft(settings)) return failWith(out, settings.left);
  const result = decompilePruned(dir, settings.right, options.task, (c) => {
    if (!out.json) process.stderr.write(`λ = ${c.lambda}, ${c.stage === 1 ? 'component edges' : 'then paths and terms'}: ${c.keptEdges} component edges kept, ${c.lines} lines, match ${(100 * c.match).toFixed(1)} %\n`);
  });
  if (Either.isLeft(result)) return failWith(out, result.left);
  const r = result.right;
  warn(out, r.warnings ?? []);
  const chosen = r.best ?? [...r.candidates].sort((a, b) => b.match - a.match)[0];
  if (chosen === undefined) throw new Error('bug: pruning returned no candidate');
  const program = r.simplified?.program ?? chosen.program;
  const lines = r.simplified?.lines ?? chosen.lines;
  const match = r.simplified?.match ?? chosen.match;
  const text = printDrasp(program);
  const written: string[] = [];
  // -o - is standard output, as without -o
  const file = options.output === STDIN ? undefined : options.output;
  try {
    if (file !== undefined) {
      writeFileSync(file, text.endsWith('\n') ? text : `${text}\n`);
      written.push(file);
    }
    if (options.heatmaps !== undefined) {
      mkdirSync(options.heatmaps, { recursive: true });
      for (const { name, spec } of programHeatmaps(program)) {
        const file = join(options.heatmaps, `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.svg`);
        writeFileSync(file, await renderSvg(spec));
        written.push(file);
      }
    }
  } catch (e) {
    return failWith(out, [diagnostic('io/write', `cannot write the results: ${(e as Error).message}`, { fix: 'check the output paths' })]);
  }
  const summary = {
    task: r.task,
    found: r.best !== undefined,
    lambda: chosen.lambda,
    lines,
    prunedLines: chosen.lines,
    fullLines: r.full.lines,
    match,
    prunedMatch: chosen.match,
    simplifications: r.simplified?.changes ?? [],
    fullMatch: r.full.match,
    keptEdges: chosen.keptEdges,
    edges: chosen.wiring.edges.length,
    threshold: settings.right.threshold,
    samples: settings.right.evalSamples,
    seconds: r.seconds,
    ...(r.normFit === undefined ? {} : { normFit: r.normFit }),
    candidates: r.candidates.map((c) => ({ lambda: c.lambda, stage: c.stage, keptEdges: c.keptEdges, lines: c.lines, match: c.match })),
    files: written,
    ...(file === undefined ? { program: text } : {}),
  };
  out.result(summary);
  if (file === undefined) out.info(text);
  out.info(
    r.best === undefined
      ? `no program reached match ≥ ${settings.right.threshold}; shown: the best match, λ = ${chosen.lambda}: ${chosen.lines} lines, match ${(100 * chosen.match).toFixed(1)} %`
      : `pruned program: ${lines} lines (unpruned ${r.full.lines}, after edge pruning ${chosen.lines}), match ${(100 * match).toFixed(1)} % on ${settings.right.evalSamples} inputs of lengths up to ${r.evalMaxLength} (unpruned linear-LN: ${(100 * r.full.match).toFixed(1)} %), λ = ${chosen.lambda}, ${chosen.keptEdges}/${chosen.wiring.edges.length} edges, ${r.seconds.toFixed(1)} s`,
  );
  for (const f of written) out.info(`wrote ${f}`);
  return EXIT.ok;
};
