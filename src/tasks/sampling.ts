/**
 * Drawing a task's examples: the lengths it has, uniform draws over them, and the longest token
 * sequence up to a length (what a model's position table must hold).
 */
import * as Either from 'fp-ts/lib/Either.js';
import { mulberry32, randomInt } from '../util/random.js';
import type { Example, Task } from './task.js';
import { at } from '../util/at.js';

/** The most tokens an example of input length ≤ maxLength has. */
export const tokensNeeded = (task: Task, maxLength: number): number => {
  const random = mulberry32(1);
  let most = 1;
  for (let length = 0; length <= maxLength; length++) {
    if (!task.hasLength(length)) continue;
    const example = task.generate(random, length);
    if (Either.isRight(example)) most = Math.max(most, example.right.tokens.length);
  }
  return most;
};

/** Lengths in [low, high] for which the task has examples. */
export const lengthsIn = (task: Task, low: number, high: number): number[] =>
  Array.from({ length: high - low + 1 }, (_, i) => low + i).filter((n) => task.hasLength(n));

/** `count` examples with lengths drawn uniformly from `lengths`. */
export const sampleExamples = (task: Task, random: () => number, lengths: readonly number[], count: number): Example[] => {
  const out: Example[] = [];
  while (out.length < count) {
    const example = task.generate(random, at(lengths, randomInt(random, lengths.length)));
    if (Either.isRight(example)) out.push(example.right);
  }
  return out;
};
