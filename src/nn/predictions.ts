/**
 * What a model predicts on a batch, sequence by sequence, at the loss positions: the argmax token
 * (seq2seq tasks) or the set of labels with a positive logit (languages). Accuracy compares these
 * with the task's answers; match accuracy compares two models' predictions.
 */
import type { Batch } from './batch.js';
import type { Task } from '../tasks/task.js';
import { at } from '../util/at.js';

/** Per sequence, per loss row: the predicted token id, or a bit mask (as a number array) of labels. */
export type SequencePredictions = readonly (readonly number[])[];

/** The index of the largest of logits[base … base + width) (the first on a tie). */
export const argmaxRow = (logits: ArrayLike<number>, base: number, width: number): number => {
  let best = 0;
  for (let j = 1; j < width; j++) if (at(logits, base + j) > at(logits, base + best)) best = j;
  return best;
};

/** The predictions at `batch`'s loss rows; `logits` is [batch.size · batch.length, vocab]. */
export const predictionsOf = (task: Task, logits: ArrayLike<number>, batch: Batch, vocab: number): SequencePredictions =>
  Array.from({ length: batch.size }, (_, s) => {
    const out: number[] = [];
    for (let i = at(batch.lossStart, s); i < at(batch.lossStart, s + 1); i++) {
      const base = at(batch.lossRows, i) * vocab;
      if (task.kind === 'seq2seq') out.push(argmaxRow(logits, base, vocab));
      else for (let j = 0; j < vocab; j++) out.push(at(logits, base + j) > 0 ? 1 : 0);
    }
    return out;
  });

/** The task's answers in the same form. */
export const answersOf = (task: Task, batch: Batch, vocab: number): SequencePredictions =>
  Array.from({ length: batch.size }, (_, s) => {
    const out: number[] = [];
    for (let i = at(batch.lossStart, s); i < at(batch.lossStart, s + 1); i++) {
      if (task.kind === 'seq2seq') out.push(at(batch.targets, i));
      else for (let j = 0; j < vocab; j++) out.push(at(batch.targetSets, i * vocab + j));
    }
    return out;
  });

/** How many sequences agree entirely. */
export const agreeingSequences = (a: SequencePredictions, b: SequencePredictions): number =>
  a.filter((row, s) => {
    const other = at(b, s);
    return row.length === other.length && row.every((x, i) => x === other[i]);
  }).length;
