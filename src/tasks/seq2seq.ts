/**
 * The algorithmic seq2seq tasks: `<bos> x1 … xL <sep> y1 … yM <eos>`, loss at `<sep>` and every
 * answer position (task.ts).
 */
import * as Either from 'fp-ts/lib/Either.js';
import { diagnostic, type Diagnostic } from '../diagnostics.js';
import { randomInt } from '../util/random.js';
import { noLength, specials, type Example, type Task } from './task.js';
import { at } from '../util/at.js';

const MAX_TRIES = 10000;

const numberSymbols = (count: number): string[] => Array.from({ length: count }, (_, i) => String(i));

/**
 * A seq2seq task from a sampler of (input, answer) pairs over symbol ids; the sampler answers
 * undefined to reject a draw (a tie), and the draw is repeated.
 */
const seq2seq = (
  name: string,
  symbols: readonly string[],
  hasLength: (length: number) => boolean,
  sample: (random: () => number, length: number) => { input: number[]; answer: number[] } | undefined,
): Task => {
  const sp = specials(symbols);
  const generate = (random: () => number, length: number): Either.Either<Diagnostic, Example> => {
    if (!hasLength(length)) return Either.left(noLength(name, length));
    for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
      const drawn = sample(random, length);
      if (drawn === undefined) continue;
      const tokens = [sp.bos, ...drawn.input, sp.sep, ...drawn.answer, sp.eos];
      const sepAt = drawn.input.length + 1;
      const lossPositions: number[] = [];
      const targets: number[] = [];
      for (let p = sepAt; p < tokens.length - 1; p++) {
        lossPositions.push(p);
        targets.push(at(tokens, p + 1));
      }
      return Either.right({ tokens, lossPositions, targets, nextSets: [] });
    }
    return Either.left(
      diagnostic('train/task-rejection', `task ${name}: no example of length ${length} after ${MAX_TRIES} draws`),
    );
  };
  return { name, kind: 'seq2seq', symbols, ...sp, hasLength, generate };
};

const draw = (random: () => number, alphabet: number, length: number): number[] =>
  Array.from({ length }, () => randomInt(random, alphabet));

/** `length` distinct symbols out of `alphabet`, in random order (partial Fisher–Yates). */
const drawDistinct = (random: () => number, alphabet: number, length: number): number[] => {
  const pool = Array.from({ length: alphabet }, (_, i) => i);
  for (let i = 0; i < length; i++) {
    const j = i + randomInt(random, alphabet - i);
    [pool[i], pool[j]] = [at(pool, j), at(pool, i)];
  }
  return pool.slice(0, length);
};

/** The unique most frequent symbol, or undefined on a tie. */
export const uniqueMode = (xs: readonly number[]): number | undefined => {
  const counts = new Map<number, number>();
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
  let best: number | undefined;
  let bestCount = 0;
  let tie = false;
  for (const [x, c] of counts) {
    if (c > bestCount) {
      best = x;
      bestCount = c;
      tie = false;
    } else if (c === bestCount) tie = true;
  }
  return tie ? undefined : best;
};

/** Binary majority: input bits, answer the majority bit; ties are rejected (even lengths redraw). */
export const majorityTask = (): Task =>
  seq2seq('majority', ['0', '1'], (n) => n >= 1, (random, n) => {
    const input = draw(random, 2, n);
    const mode = uniqueMode(input);
    return mode === undefined ? undefined : { input, answer: [mode] };
  });

/**
 * Most frequent symbol over an alphabet of `alphabet` symbols; ties are rejected. Four symbols by
 * default: a 16-wide model cannot hold a 16-symbol histogram (trained on 16 symbols: 18 / 14 / 10 %
 * per length bin; on 4: 100 / 98 / 96 %).
 */
export const mostFrequentTask = (alphabet = 4): Task =>
  seq2seq('most_freq', numberSymbols(alphabet), (n) => n >= 1, (random, n) => {
    const input = draw(random, alphabet, n);
    const mode = uniqueMode(input);
    return mode === undefined ? undefined : { input, answer: [mode] };
  });

/**
 * Count: input two numbers `a b` with a ≤ b, answer a, a+1, …, b. `length` is the answer length
 * b − a + 1 (1 … maxValue + 1); a is uniform among the admissible starts.
 */
export const countTask = (maxValue = 155): Task =>
  seq2seq('count', numberSymbols(maxValue + 1), (n) => n >= 1 && n <= maxValue + 1, (random, n) => {
    const a = randomInt(random, maxValue + 2 - n);
    const answer = Array.from({ length: n }, (_, i) => a + i);
    return { input: [a, a + n - 1], answer };
  });

/** Sort: `length` symbols drawn with replacement, answer them in ascending order. */
export const sortTask = (alphabet = 155): Task =>
  seq2seq('sort', numberSymbols(alphabet), (n) => n >= 0, (random, n) => {
    const input = draw(random, alphabet, n);
    return { input, answer: [...input].sort((x, y) => x - y) };
  });

/** Unique copy: `length` distinct symbols, answer them unchanged. */
export const uniqueCopyTask = (alphabet = 155): Task =>
  seq2seq('unique_copy', numberSymbols(alphabet), (n) => n >= 0 && n <= alphabet, (random, n) => {
    const input = drawDistinct(random, alphabet, n);
    return { input, answer: [...input] };
  });

/** Unique reverse: `length` distinct symbols, answer them reversed. */
export const uniqueReverseTask = (alphabet = 155): Task =>
  seq2seq('unique_reverse', numberSymbols(alphabet), (n) => n >= 0 && n <= alphabet, (random, n) => {
    const input = drawDistinct(random, alphabet, n);
    return { input, answer: [...input].reverse() };
  });

/** Parity: input bits, answer 1 when the number of 1s is odd, else 0. */
export const parityTask = (): Task =>
  seq2seq('parity', ['0', '1'], (n) => n >= 0, (random, n) => {
    const input = draw(random, 2, n);
    return { input, answer: [input.reduce((s, x) => s ^ x, 0)] };
  });

/**
 * Repeat copy: `length` symbols over a two-letter alphabet (so symbols repeat), answer them
 * unchanged. Unlike unique copy, a position cannot be found by its symbol alone.
 */
export const repeatCopyTask = (): Task =>
  seq2seq('repeat_copy', ['a', 'b'], (n) => n >= 0, (random, n) => {
    const input = draw(random, 2, n);
    return { input, answer: [...input] };
  });

/**
 * Binary addition: `x + y` with x and y of `length` bits each (most significant first, leading
 * zeros allowed), answer the length + 1 bits of x + y, most significant first.
 */
export const binaryAdditionTask = (): Task =>
  seq2seq('addition', ['0', '1', '+'], (n) => n >= 1, (random, n) => {
    const x = draw(random, 2, n);
    const y = draw(random, 2, n);
    const sum: number[] = new Array<number>(n + 1).fill(0);
    let carry = 0;
    for (let i = n - 1; i >= 0; i--) {
      const total = at(x, i) + at(y, i) + carry;
      sum[i + 1] = total % 2;
      carry = total >> 1;
    }
    sum[0] = carry;
    return { input: [...x, 2, ...y], answer: sum };
  });

