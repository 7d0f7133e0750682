/**
 * Accuracy by length bin: the fraction of fresh examples (input lengths drawn uniformly from the
 * bin) on which every loss position is predicted right, positions starting at 0.
 */
import type { Gpt2Model } from './gpt2Model.js';
import { mulberry32 } from '../util/random.js';
import { Tape } from './autodiff/tape.js';
import { makeBatch, shortestFirst, type Batch } from './batch.js';
import { gpt2Leaves, gpt2Logits } from './gpt2Graph.js';
import { agreeingSequences, answersOf, predictionsOf } from './predictions.js';
import { lengthsIn, sampleExamples } from '../tasks/sampling.js';
import type { Task } from '../tasks/task.js';

export interface LengthBin {
  readonly low: number;
  readonly high: number;
}

export const LENGTH_BINS: readonly LengthBin[] = [
  { low: 0, high: 50 },
  { low: 51, high: 100 },
  { low: 101, high: 150 },
];

export interface BinAccuracy extends LengthBin {
  /** null when the task has no example in the bin. */
  readonly accuracy: number | null;
  readonly samples: number;
}

/** The model's logits on a batch (no gradients). */
export const gpt2BatchLogits = (model: Gpt2Model, batch: Batch): Float64Array => {
  const tape = new Tape();
  return gpt2Logits(tape, gpt2Leaves(tape, false), model, batch).value;
};

/**
 * Fresh test batches of `samples` examples per bin, in chunks of `chunk`. `byLength` batches the
 * same examples shortest first, so that each batch pads less: per-sequence results (accuracy,
 * agreement) do not depend on the batching, only the time does.
 */
export const testBatches = (task: Task, bin: LengthBin, samples: number, seed: number, chunk = 32, byLength = false): Batch[] => {
  const lengths = lengthsIn(task, bin.low, bin.high);
  if (lengths.length === 0) return [];
  const random = mulberry32(seed);
  const drawn = sampleExamples(task, random, lengths, samples);
  const examples = byLength ? shortestFirst(drawn) : drawn;
  const batches: Batch[] = [];
  for (let i = 0; i < examples.length; i += chunk) batches.push(makeBatch(task, examples.slice(i, i + chunk)));
  return batches;
};

export const accuracyByBin = (task: Task, model: Gpt2Model, samples: number, seed: number, bins: readonly LengthBin[] = LENGTH_BINS): BinAccuracy[] =>
  bins.map((bin, b) => {
    const batches = testBatches(task, bin, samples, seed + 7919 * (b + 1), 32, true);
    if (batches.length === 0) return { ...bin, accuracy: null, samples: 0 };
    let right = 0;
    let total = 0;
    for (const batch of batches) {
      const vocab = model.config.vocab_size;
      right += agreeingSequences(predictionsOf(task, gpt2BatchLogits(model, batch), batch, vocab), answersOf(task, batch, vocab));
      total += batch.size;
    }
    return { ...bin, accuracy: right / total, samples: total };
  });
