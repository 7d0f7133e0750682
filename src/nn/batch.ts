/**
 * Batches of task examples for training and evaluation: padded to a common length with `<pad>`
 * (at the end, so causal attention never lets a real position see one), with the rows that carry
 * loss and what they should predict.
 */
import type { Example, Task } from '../tasks/task.js';
import { at } from '../util/at.js';

export interface Batch {
  readonly size: number;
  /** Positions per sequence (the longest example's token count). */
  readonly length: number;
  /** [size · length] token ids. */
  readonly ids: Int32Array;
  /** [size · length] position ids (an example's first token at its offset). */
  readonly positions: Int32Array;
  /** Row index (sequence · length + position) of every loss position, sequence by sequence. */
  readonly lossRows: Int32Array;
  /** seq2seq: the target token id per loss row. */
  readonly targets: Int32Array;
  /** language: per loss row, the 0/1 next-token set over the vocabulary. */
  readonly targetSets: Float64Array;
  /** lossStart[s] … lossStart[s + 1] − 1 index the loss rows of sequence s. */
  readonly lossStart: Int32Array;
}

export const makeBatch = (task: Task, examples: readonly Example[], offsets?: readonly number[]): Batch => {
  const size = examples.length;
  const length = Math.max(1, ...examples.map((e) => e.tokens.length));
  const ids = new Int32Array(size * length).fill(task.pad);
  const positions = new Int32Array(size * length);
  const rows: number[] = [];
  const targets: number[] = [];
  const sets: number[] = [];
  const lossStart = new Int32Array(size + 1);
  examples.forEach((example, s) => {
    const offset = offsets?.[s] ?? 0;
    for (let p = 0; p < length; p++) {
      if (p < example.tokens.length) ids[s * length + p] = at(example.tokens, p);
      positions[s * length + p] = Math.min(offset + p, offset + example.tokens.length - 1);
    }
    example.lossPositions.forEach((p, i) => {
      rows.push(s * length + p);
      if (task.kind === 'seq2seq') targets.push(at(example.targets, i));
      else sets.push(...at(example.nextSets, i));
    });
    lossStart[s + 1] = rows.length;
  });
  return {
    size,
    length,
    ids,
    positions,
    lossRows: Int32Array.from(rows),
    targets: Int32Array.from(targets),
    targetSets: Float64Array.from(sets),
    lossStart,
  };
};

/** Sequence `s` of the batch without its padding. */
export const sequenceTokens = (batch: Batch, s: number, pad: number): Int32Array => {
  let n = 0;
  while (n < batch.length && batch.ids[s * batch.length + n] !== pad) n++;
  return batch.ids.slice(s * batch.length, s * batch.length + n);
};

/** The examples shortest first (stable): batched in this order, each batch pads less. */
export const shortestFirst = (examples: readonly Example[]): Example[] => [...examples].sort((a, b) => a.tokens.length - b.tokens.length);
