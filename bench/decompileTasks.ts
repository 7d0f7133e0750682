/**
 * `npm run bench:decompile [-- --only majority,tomita1] [--retrain]`: trains a 16-wide model per
 * task (or reuses bench/.cache/decompile/<task> when its task.json has the same settings), prunes
 * it with `decompile --prune`'s defaults, and writes the results table into docs/decompile.md
 * (between the pruning-table markers). Long: minutes per task; never part of `npm test`.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import * as Either from 'fp-ts/lib/Either.js';
import { decompilePruned } from '../src/decompile/prune/decompilePruned.js';
import { printDrasp } from '../src/decompile/drasp/printer.js';
import { PRUNE_DEFAULTS } from '../src/decompile/prune/prune.js';
import { accuracyByBin } from '../src/nn/evaluate.js';
import { taskByName } from '../src/tasks/registry.js';
import { ACCURACY_FILE, TASK_FILE, parameterCount, roundedToFloat32, writeTrainedModel, type AccuracyRecord, type TaskRecord, type TrainSettings } from '../src/nn/trainedModel.js';
import { TRAIN_DEFAULTS, trainGpt2 } from '../src/train/trainGpt2.js';

interface TaskPlan {
  readonly task: string;
  readonly layers: number;
  readonly heads: number;
  readonly steps: number;
  /** What the paper found: whether models of this task length-generalise. */
  readonly generalises: boolean;
}

export const PLANS: readonly TaskPlan[] = [
  { task: 'majority', layers: 1, heads: 1, steps: 800, generalises: true },
  { task: 'tomita1', layers: 2, heads: 2, steps: 1500, generalises: true },
  { task: 'tomita2', layers: 2, heads: 2, steps: 1500, generalises: true },
  { task: 'tomita4', layers: 2, heads: 2, steps: 1500, generalises: true },
  { task: 'tomita7', layers: 2, heads: 2, steps: 1500, generalises: true },
  { task: 'dyck1_d2', layers: 2, heads: 2, steps: 1500, generalises: true },
  { task: 'aastar', layers: 2, heads: 2, steps: 1500, generalises: true },
  { task: 'abcde', layers: 2, heads: 2, steps: 1500, generalises: true },
  { task: 'ab_d_bc', layers: 2, heads: 2, steps: 1500, generalises: true },
  { task: 'parity', layers: 1, heads: 2, steps: 1000, generalises: false },
  { task: 'most_freq', layers: 2, heads: 2, steps: 2000, generalises: true },
  { task: 'unique_copy', layers: 2, heads: 2, steps: 1200, generalises: true },
];

const D_MODEL = 16;
const EVAL_SAMPLES = 300;
const CACHE = 'bench/.cache/decompile';
const DOC = 'docs/decompile.md';
const START = '<!-- pruning-table:start -->';
const END = '<!-- pruning-table:end -->';

const cli = new Command().option('--only <tasks>', 'comma-separated task names').option('--retrain', 'train even when a cached model matches').parse();
const opts = cli.opts<{ only?: string; retrain?: boolean }>();
const only = opts.only === undefined ? undefined : new Set(opts.only.split(','));

const sameSettings = (dir: string, settings: TrainSettings): boolean => {
  if (!existsSync(join(dir, TASK_FILE)) || !existsSync(join(dir, ACCURACY_FILE))) return false;
  const record = JSON.parse(readFileSync(join(dir, TASK_FILE), 'utf8')) as TaskRecord;
  return JSON.stringify(record.settings) === JSON.stringify(settings);
};

const trained = (plan: TaskPlan): AccuracyRecord => {
  const dir = join(CACHE, plan.task);
  const settings: TrainSettings = { ...TRAIN_DEFAULTS, layers: plan.layers, heads: plan.heads, dModel: D_MODEL, steps: plan.steps };
  if (!opts.retrain && sameSettings(dir, settings)) return JSON.parse(readFileSync(join(dir, ACCURACY_FILE), 'utf8')) as AccuracyRecord;
  const task = taskByName(plan.task);
  if (Either.isLeft(task)) throw new Error(task.left.message);
  const started = Date.now();
  let finalLoss = NaN;
  const model = trainGpt2(task.right, settings, ({ step, loss }) => {
    finalLoss = loss;
    if (step % 250 === 0) process.stderr.write(`  ${plan.task} step ${step}: loss ${loss.toFixed(4)}\n`);
  });
  if (Either.isLeft(model)) throw new Error(model.left.map((d) => d.message).join('; '));
  const trainSeconds = (Date.now() - started) / 1000;
  const saved = roundedToFloat32(model.right);
  const bins = accuracyByBin(task.right, saved, EVAL_SAMPLES, settings.seed + 1000);
  const accuracy: AccuracyRecord = { task: plan.task, parameters: parameterCount(saved), bins, trainSeconds, finalLoss };
  rmSync(`${dir}.tmp`, { recursive: true, force: true });
  const written = writeTrainedModel(`${dir}.tmp`, saved, { task: plan.task, settings }, accuracy);
  if (Either.isLeft(written)) throw new Error(written.left.map((d) => d.message).join('; '));
  rmSync(dir, { recursive: true, force: true });
  renameSync(`${dir}.tmp`, dir);
  return accuracy;
};

interface Row {
  readonly plan: TaskPlan;
  readonly accuracy: AccuracyRecord;
  readonly found: boolean;
  readonly lines: number;
  readonly prunedLines: number;
  readonly fullLines: number;
  readonly match: number;
  /** The unpruned linear-LayerNorm program's match: the ceiling. */
  readonly fullMatch?: number;
  readonly lambda: number;
  readonly pruneSeconds: number;
}

const percent = (x: number | null): string => (x === null ? '–' : `${(100 * x).toFixed(0)}`);

const table = (rows: readonly Row[]): string =>
  [
    '| task | layers × heads (params) | acc. 0–50 / 51–100 / 101–150 (%) | generalises | program found (match ≥ 0.9) | lines: unpruned → pruned → simplified | match (%) (unpruned) | λ | train + decompile (s) |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => {
      const bins = r.accuracy.bins.map((b) => percent(b.accuracy)).join(' / ');
      const generalises = r.accuracy.bins.every((b) => b.accuracy === null || b.accuracy >= 0.9);
      return `| ${r.plan.task} | ${r.plan.layers} × ${r.plan.heads} (${r.accuracy.parameters}) | ${bins} | ${generalises ? 'yes' : 'no'} | ${r.found ? 'yes' : 'no'} | ${r.fullLines} → ${r.prunedLines} → ${r.found ? r.lines : '–'} | ${(100 * r.match).toFixed(1)} (${r.fullMatch === undefined ? '–' : (100 * r.fullMatch).toFixed(1)}) | ${r.lambda} | ${r.accuracy.trainSeconds.toFixed(0)} + ${r.pruneSeconds.toFixed(0)} |`;
    }),
  ].join('\n');

const rowsFile = join(CACHE, 'rows.json');
const previous: Row[] = existsSync(rowsFile) ? (JSON.parse(readFileSync(rowsFile, 'utf8')) as Row[]) : [];
const rows = new Map(previous.map((r) => [r.plan.task, r]));
for (const plan of PLANS) {
  if (only !== undefined && !only.has(plan.task)) continue;
  process.stderr.write(`${plan.task}: training\n`);
  const accuracy = trained(plan);
  process.stderr.write(`${plan.task}: pruning\n`);
  const pruned = decompilePruned(join(CACHE, plan.task), PRUNE_DEFAULTS);
  if (Either.isLeft(pruned)) throw new Error(pruned.left.map((d) => d.message).join('; '));
  const p = pruned.right;
  const chosen = p.best ?? [...p.candidates].sort((a, b) => b.match - a.match)[0];
  if (chosen === undefined) throw new Error(`${plan.task}: pruning returned no candidate program`);
  const row: Row = {
    plan,
    accuracy,
    found: p.best !== undefined,
    lines: p.simplified?.lines ?? chosen.lines,
    prunedLines: chosen.lines,
    fullLines: p.full.lines,
    match: p.simplified?.match ?? chosen.match,
    fullMatch: p.full.match,
    lambda: chosen.lambda,
    pruneSeconds: p.seconds,
  };
  writeFileSync(join(CACHE, `${plan.task}.program.txt`), printDrasp(p.simplified?.program ?? chosen.program));
  // Another run may have finished tasks meanwhile: merge with what the file holds now.
  if (existsSync(rowsFile)) for (const r of JSON.parse(readFileSync(rowsFile, 'utf8')) as Row[]) if (r.plan.task !== plan.task) rows.set(r.plan.task, r);
  rows.set(plan.task, row);
  writeFileSync(rowsFile, JSON.stringify([...rows.values()], null, 1));
  process.stderr.write(`${plan.task}: ${JSON.stringify({ bins: accuracy.bins.map((b) => b.accuracy), found: row.found, lines: row.lines, match: row.match, seconds: row.pruneSeconds })}\n`);
}
if (existsSync(rowsFile)) for (const r of JSON.parse(readFileSync(rowsFile, 'utf8')) as Row[]) rows.set(r.plan.task, r);
const ordered = PLANS.map((p) => rows.get(p.task)).filter((r): r is Row => r !== undefined);
const doc = readFileSync(DOC, 'utf8');
const at = doc.indexOf(START);
const end = doc.indexOf(END);
if (at < 0 || end < 0) throw new Error(`${DOC} lacks the ${START} … ${END} markers`);
writeFileSync(DOC, `${doc.slice(0, at + START.length)}\n${table(ordered)}\n${doc.slice(end)}`);
process.stdout.write(`${table(ordered)}\n`);
