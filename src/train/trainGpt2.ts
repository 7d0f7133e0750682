/**
 * Training a GPT-2-style model on a task: AdamW on the task loss (cross-entropy at the answer
 * positions, or next-token-set BCE for languages), training lengths 0 … maxTrainLength with a
 * random position-id offset per sequence so that every position up to the longest test sequence
 * is trained.
 */
import * as Either from 'fp-ts/lib/Either.js';
import { diagnostic, type Diagnostic } from '../diagnostics.js';
import type { Gpt2Config } from '../nn/gpt2Config.js';
import type { Gpt2Block, Gpt2Model } from '../nn/gpt2Model.js';
import { mulberry32, randomInt } from '../util/random.js';
import { AdamW, ADAMW_DEFAULTS, clipGradients, learningRateAt } from '../nn/adamw.js';
import { binaryCrossEntropy, crossEntropy } from '../nn/autodiff/losses.js';
import { Tape } from '../nn/autodiff/tape.js';
import { makeBatch, type Batch } from '../nn/batch.js';
import { checkTrainSettings, checkTrainSize } from './trainLimits.js';
import { gpt2Leaves, gpt2Logits } from '../nn/gpt2Graph.js';
import { lengthsIn, sampleExamples, tokensNeeded } from '../tasks/sampling.js';
import type { Task } from '../tasks/task.js';
import type { TrainSettings } from '../nn/trainedModel.js';
import { at } from '../util/at.js';

export const TRAIN_DEFAULTS: Omit<TrainSettings, 'layers' | 'heads' | 'dModel'> = {
  steps: 2000,
  batchSize: 32,
  learningRate: 3e-3,
  seed: 0,
  maxTrainLength: 50,
  maxTestLength: 150,
};

export interface StepReport {
  readonly step: number;
  readonly loss: number;
}

/** Standard normal draws (Box–Muller) from a uniform source. */
export const normalSource = (random: () => number): (() => number) => () => {
  const u = Math.max(random(), 1e-300);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
};

/** GPT-2's initialisation: N(0, 0.02) weights, N(0, 0.02/√(2L)) output projections, zero biases, unit LN. */
export const initialGpt2 = (config: Gpt2Config, seed: number): Gpt2Model => {
  const normal = normalSource(mulberry32(seed));
  const d = config.n_embd;
  const gaussian = (n: number, std: number): Float64Array => Float64Array.from({ length: n }, () => normal() * std);
  const ones = (n: number): Float64Array => new Float64Array(n).fill(1);
  const residualStd = 0.02 / Math.sqrt(2 * Math.max(config.n_layer, 1));
  const blocks: Gpt2Block[] = Array.from({ length: config.n_layer }, () => ({
    ln1Weight: ones(d),
    ln1Bias: new Float64Array(d),
    qkvWeight: gaussian(d * 3 * d, 0.02),
    qkvBias: new Float64Array(3 * d),
    attnOutWeight: gaussian(d * d, residualStd),
    attnOutBias: new Float64Array(d),
    ln2Weight: ones(d),
    ln2Bias: new Float64Array(d),
    mlpInWeight: gaussian(d * config.n_inner, 0.02),
    mlpInBias: new Float64Array(config.n_inner),
    mlpOutWeight: gaussian(config.n_inner * d, residualStd),
    mlpOutBias: new Float64Array(d),
  }));
  const tokenEmbedding = gaussian(config.vocab_size * d, 0.02);
  return {
    config,
    tokenEmbedding,
    positionEmbedding: gaussian(config.n_positions * d, 0.01),
    blocks,
    finalLnWeight: ones(d),
    finalLnBias: new Float64Array(d),
    unembedding: tokenEmbedding,
  };
};

export const gpt2ConfigFor = (task: Task, settings: Pick<TrainSettings, 'layers' | 'heads' | 'dModel' | 'maxTestLength'>): Gpt2Config => ({
  n_layer: settings.layers,
  n_head: settings.heads,
  n_embd: settings.dModel,
  n_positions: tokensNeeded(task, settings.maxTestLength),
  vocab_size: task.vocab.length,
  n_inner: 4 * settings.dModel,
  layer_norm_epsilon: 1e-5,
  activation_function: 'gelu_new',
  tie_word_embeddings: true,
});

export const taskLoss = (tape: Tape, task: Task, logits: ReturnType<typeof gpt2Logits>, batch: Batch) =>
  task.kind === 'seq2seq' ? crossEntropy(tape, logits, batch.lossRows, batch.targets) : binaryCrossEntropy(tape, logits, batch.lossRows, batch.targetSets);

/**
 * Trains a fresh model; deterministic for given settings. Settings out of range, a model over
 * `maxParams` parameters or a step over the memory budget are refused first (trainLimits.ts).
 */
export const trainGpt2 = (
  task: Task,
  settings: TrainSettings,
  onStep?: (report: StepReport) => void,
  limits: { readonly maxParams?: number } = {},
): Either.Either<Diagnostic[], Gpt2Model> => {
  const problems = checkTrainSettings(settings);
  if (problems.length > 0) return Either.left(problems);
  const config = gpt2ConfigFor(task, settings);
  const tooLarge = checkTrainSize(config, settings.batchSize, limits.maxParams);
  if (tooLarge.length > 0) return Either.left(tooLarge);
  const model = initialGpt2(config, settings.seed);
  const random = mulberry32(settings.seed + 1);
  const lengths = lengthsIn(task, 0, settings.maxTrainLength);
  if (lengths.length === 0) return Either.left([diagnostic('train/no-lengths', `task ${task.name} has no examples of length ≤ ${settings.maxTrainLength}`)]);
  const optimizer = new AdamW({ ...ADAMW_DEFAULTS, learningRate: settings.learningRate });
  const noDecay = new Set<Float64Array>([model.positionEmbedding, model.finalLnWeight, model.finalLnBias]);
  for (const b of model.blocks) for (const a of [b.ln1Weight, b.ln1Bias, b.ln2Weight, b.ln2Bias, b.qkvBias, b.attnOutBias, b.mlpInBias, b.mlpOutBias]) noDecay.add(a);
  const warmup = Math.min(100, Math.floor(settings.steps / 10));
  for (let step = 0; step < settings.steps; step++) {
    const examples = sampleExamples(task, random, lengths, settings.batchSize);
    const offsets = examples.map((e) => randomInt(random, config.n_positions - e.tokens.length + 1));
    const batch = makeBatch(task, examples, offsets);
    const tape = new Tape();
    const leaves = gpt2Leaves(tape, true);
    const logits = gpt2Logits(tape, leaves, model, batch);
    const loss = taskLoss(tape, task, logits, batch);
    tape.backward(loss);
    const grads = new Map<Float64Array, Float64Array>();
    for (const [array, node] of leaves.nodes) if (node.grad !== undefined) grads.set(array, node.grad);
    clipGradients(grads, 1);
    optimizer.update(grads, learningRateAt(settings.learningRate, step, settings.steps, warmup), (p) => !noDecay.has(p));
    onStep?.({ step, loss: at(loss.value, 0) });
  }
  return Either.right(model);
};
