/**
 * Training settings checked before anything is allocated: each setting within a range, then the
 * model's parameter count and the memory one training step holds against budgets. Training runs
 * in plain TypeScript on the CPU (Float64Array weights, a tape of every intermediate), so a
 * `--d-model 1000000000` model would be refused here in microseconds instead of hanging.
 */
import { diagnostic, type Diagnostic } from '../diagnostics.js';
import type { Gpt2Config } from '../nn/gpt2Config.js';
import type { TrainSettings } from '../nn/trainedModel.js';
import { DEFAULT_MAX_PARAMS } from '../typecheck/sizeEstimate.js';

/** The largest value each setting may take (documented in docs/decompile.md). */
export const TRAIN_LIMITS = {
  layers: 64,
  heads: 64,
  dModel: 4096,
  steps: 10_000_000,
  batchSize: 65_536,
  /** maxTrainLength and maxTestLength (input tokens). */
  length: 10_000,
  evalSamples: 1_000_000,
} as const;

/** What one training step may hold (weights, gradients, optimizer state and the tape): 8 GiB. */
export const TRAIN_MEMORY_BYTES = 8 * 2 ** 30;

/** Each setting an integer in its range (the learning rate a positive finite number). */
export const checkTrainSettings = (settings: TrainSettings): Diagnostic[] => {
  const problems: Diagnostic[] = [];
  const inRange = (name: string, value: number, min: number, max: number): void => {
    if (!Number.isSafeInteger(value) || value < min) {
      problems.push(diagnostic('train/bad-setting', `${name} must be ${min === 0 ? 'a non-negative' : 'a positive'} integer, not ${value}`));
    } else if (value > max) {
      problems.push(diagnostic('train/bad-setting', `${name} must be at most ${max.toLocaleString('en-US')}, not ${value}`, { fix: `lower ${name}` }));
    }
  };
  inRange('layers', settings.layers, 1, TRAIN_LIMITS.layers);
  inRange('heads', settings.heads, 1, TRAIN_LIMITS.heads);
  inRange('d-model', settings.dModel, 1, TRAIN_LIMITS.dModel);
  inRange('steps', settings.steps, 1, TRAIN_LIMITS.steps);
  inRange('batch size', settings.batchSize, 1, TRAIN_LIMITS.batchSize);
  inRange('seed', settings.seed, 0, Number.MAX_SAFE_INTEGER);
  inRange('max train length', settings.maxTrainLength, 0, TRAIN_LIMITS.length);
  inRange('max test length', settings.maxTestLength, 0, TRAIN_LIMITS.length);
  if (problems.length === 0 && settings.dModel % settings.heads !== 0) {
    problems.push(diagnostic('train/bad-setting', `d-model ${settings.dModel} is not a multiple of heads ${settings.heads}`, { fix: 'choose d-model divisible by the number of heads' }));
  }
  if (!(settings.learningRate > 0) || !Number.isFinite(settings.learningRate)) {
    problems.push(diagnostic('train/bad-setting', `learning rate must be positive, not ${settings.learningRate}`));
  }
  return problems;
};

/** Parameters of a GPT-2 model (tied unembedding), as initialGpt2 allocates them. */
export const gpt2ParameterCount = (c: Gpt2Config): number => {
  const d = c.n_embd;
  const block = 4 * d + (3 * d * d + 3 * d) + (d * d + d) + (d * c.n_inner + c.n_inner) + (c.n_inner * d + d);
  return (c.vocab_size + c.n_positions) * d + c.n_layer * block + 2 * d;
};

/**
 * Bytes one training step holds, roughly: the weights, their gradients and AdamW's two moments
 * (Float64), and the tape: per layer and token about 12·d + 3·n_inner values (layer norms, QKV,
 * attention output, MLP activations) and 3·heads·T attention scores, each with its gradient.
 */
export const trainingStepBytes = (c: Gpt2Config, batchSize: number): number => {
  const tokens = batchSize * c.n_positions;
  const perToken = c.n_layer * (12 * c.n_embd + 3 * c.n_inner + 3 * c.n_head * c.n_positions);
  return 8 * (4 * gpt2ParameterCount(c) + 2 * tokens * perToken);
};

const gib = (bytes: number): string => `${(bytes / 2 ** 30).toFixed(bytes >= 10 * 2 ** 30 ? 0 : 1)} GiB`;

/** The model's size and one step's memory against the budgets. */
export const checkTrainSize = (c: Gpt2Config, batchSize: number, maxParams: number = DEFAULT_MAX_PARAMS): Diagnostic[] => {
  const problems: Diagnostic[] = [];
  const parameters = gpt2ParameterCount(c);
  if (parameters > maxParams) {
    problems.push(
      diagnostic('train/too-large', `the model would have ${parameters.toLocaleString('en-US')} parameters, more than the limit of ${maxParams.toLocaleString('en-US')}`, {
        fix: 'lower --d-model or --layers, or raise --max-params',
      }),
    );
  }
  const bytes = trainingStepBytes(c, batchSize);
  // one line: the parameter count first (it also drives the memory)
  if (problems.length === 0 && bytes > TRAIN_MEMORY_BYTES) {
    problems.push(
      diagnostic('train/too-large', `a training step would hold about ${gib(bytes)} (limit ${gib(TRAIN_MEMORY_BYTES)})`, {
        fix: 'lower --batch-size, --d-model or --layers',
      }),
    );
  }
  return problems;
};
