import * as Either from 'fp-ts/lib/Either.js';
import { diagnostic, type Diagnostic } from '../../diagnostics.js';
import { accuracyByBin } from '../../nn/evaluate.js';
import { taskByName } from '../../tasks/registry.js';
import { parameterCount, roundedToFloat32, writeTrainedModel, type TrainSettings } from '../../nn/trainedModel.js';
import { TRAIN_DEFAULTS, trainGpt2 } from '../../train/trainGpt2.js';
import { TRAIN_LIMITS } from '../../train/trainLimits.js';
import { EXIT } from '../exitCodes.js';
import { integerOption, parseMaxParams, refuseStdout } from '../inputs.js';
import { progressBar } from '../progress.js';
import { failWith, makeOutput } from '../report.js';

export interface TrainOptions {
  readonly task: string;
  readonly layers: string;
  readonly heads: string;
  readonly dModel: string;
  readonly steps?: string;
  readonly batchSize?: string;
  readonly lr?: string;
  readonly seed?: string;
  readonly evalSamples?: string;
  readonly maxParams?: string;
  readonly output: string;
  readonly json?: boolean;
}

/** An integer option within its limit; what was given is reported otherwise. */
const integer = (name: string, text: string | undefined, fallback: number, min: number, max: number, problems: Diagnostic[]): number => {
  if (text === undefined) return fallback;
  const n = integerOption(`--${name}`, text, min, max);
  if (Either.isLeft(n)) problems.push(n.left);
  return Either.isRight(n) ? n.right : fallback;
};

/** `raspc train --task NAME --layers L --heads H --d-model D [--steps N] -o DIR`. */
export const trainCommand = (options: TrainOptions): number => {
  const out = makeOutput(options.json ?? false);
  const target = refuseStdout('-o', options.output, 'a model directory', 'give a directory, e.g. -o out/majority');
  if (target.length > 0) return failWith(out, target);
  const task = taskByName(options.task);
  if (Either.isLeft(task)) return failWith(out, [task.left]);
  const problems: Diagnostic[] = [];
  const learningRate = options.lr === undefined ? TRAIN_DEFAULTS.learningRate : /^\s*[+]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i.test(options.lr) ? Number(options.lr) : Number.NaN;
  if (!(learningRate > 0) || !Number.isFinite(learningRate)) problems.push(diagnostic('cli/bad-number', `--lr must be a positive number, got ${JSON.stringify(options.lr)}`));
  const settings: TrainSettings = {
    ...TRAIN_DEFAULTS,
    layers: integer('layers', options.layers, 1, 1, TRAIN_LIMITS.layers, problems),
    heads: integer('heads', options.heads, 1, 1, TRAIN_LIMITS.heads, problems),
    dModel: integer('d-model', options.dModel, 1, 1, TRAIN_LIMITS.dModel, problems),
    steps: integer('steps', options.steps, TRAIN_DEFAULTS.steps, 1, TRAIN_LIMITS.steps, problems),
    batchSize: integer('batch-size', options.batchSize, TRAIN_DEFAULTS.batchSize, 1, TRAIN_LIMITS.batchSize, problems),
    seed: integer('seed', options.seed, TRAIN_DEFAULTS.seed, 0, Number.MAX_SAFE_INTEGER, problems),
    learningRate,
  };
  const maxParams = parseMaxParams(options.maxParams);
  if (Either.isLeft(maxParams)) problems.push(...maxParams.left);
  const samples = integer('eval-samples', options.evalSamples, 500, 1, TRAIN_LIMITS.evalSamples, problems);
  if (problems.length > 0) return failWith(out, problems);

  const bar = progressBar(`training ${task.right.name}`, !out.json);
  const started = Date.now();
  let finalLoss = NaN;
  const trained = trainGpt2(
    task.right,
    settings,
    ({ step, loss }) => {
      finalLoss = loss;
      if (step % 10 === 0 || step === settings.steps - 1) bar.update(step + 1, settings.steps);
    },
    { maxParams: Either.isRight(maxParams) ? maxParams.right : undefined },
  );
  bar.stop();
  if (Either.isLeft(trained)) return failWith(out, trained.left);
  const trainSeconds = (Date.now() - started) / 1000;
  const model = roundedToFloat32(trained.right);
  const bins = accuracyByBin(task.right, model, samples, settings.seed + 1000);
  const accuracy = { task: task.right.name, parameters: parameterCount(model), bins, trainSeconds, finalLoss };
  const written = writeTrainedModel(options.output, model, { task: task.right.name, settings }, accuracy);
  if (Either.isLeft(written)) return failWith(out, written.left);
  out.result({ ...accuracy, files: written.right });
  out.info(`trained ${task.right.name}: ${accuracy.parameters} parameters, ${settings.steps} steps in ${trainSeconds.toFixed(1)} s, final loss ${finalLoss.toFixed(4)}`);
  for (const b of bins) out.info(`  lengths ${b.low}-${b.high}: ${b.accuracy === null ? 'no examples' : `${(100 * b.accuracy).toFixed(1)} % of ${b.samples}`}`);
  out.info(`wrote ${options.output}`);
  return EXIT.ok;
};
