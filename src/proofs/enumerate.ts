/**
 * Every input within bounds, in one fixed order: length 1 first, then length 2, ...; within a
 * length, lexicographic by vocabulary order (the vocabulary's first item is the smallest digit).
 * Index i of that order is computable directly ({@link inputAt}), so the inputs can be split into
 * index ranges and checked in parallel; {@link InputCursor} walks a range in order without
 * recomputing anything.
 */
import type { Value } from '../ast/value.js';

/** The number of inputs of length 1..maxLen over a vocabulary of vocabSize items: Σ vocabSize^n. */
export const inputCount = (vocabSize: number, maxLen: number): number => {
  let total = 0;
  let power = 1;
  for (let n = 1; n <= maxLen; n++) {
    power *= vocabSize;
    total += power;
  }
  return total;
};

const checkIndex = (index: number, total: number): void => {
  if (!Number.isSafeInteger(index) || index < 0 || index >= total) {
    throw new RangeError(`input index ${index} is outside 0..${total - 1}`);
  }
};

/** The digits (vocabulary positions) of input number `index`; its length is the input length. */
export const digitsAt = (index: number, vocabSize: number, maxLen: number): number[] => {
  checkIndex(index, inputCount(vocabSize, maxLen));
  let rest = index;
  let n = 1;
  let count = vocabSize;
  while (rest >= count) {
    rest -= count;
    n++;
    count *= vocabSize;
  }
  const digits = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    digits[i] = rest % vocabSize;
    rest = Math.floor(rest / vocabSize);
  }
  return digits;
};

/** Input number `index` of the enumeration order (0-based). */
export const inputAt = (index: number, vocab: readonly Value[], maxLen: number): Value[] =>
  digitsAt(index, vocab.length, maxLen).map((d) => vocab[d] as Value);

/**
 * A mutable position in the enumeration: the current input's digits and length. `next()` moves
 * to the following input (an odometer step; amortised O(1)) and says whether there is one.
 */
export class InputCursor {
  /** Digits of the current input; entries past `length` are unused. */
  readonly digits: Int32Array;
  length: number;
  index: number;
  /** The first position whose digit changed in the last step (0 when the length grew). */
  changedFrom: number;
  private readonly total: number;

  constructor(
    readonly vocabSize: number,
    readonly maxLen: number,
    start = 0,
  ) {
    this.total = inputCount(vocabSize, maxLen);
    checkIndex(start, this.total);
    const digits = digitsAt(start, vocabSize, maxLen);
    this.digits = new Int32Array(maxLen);
    this.digits.set(digits);
    this.length = digits.length;
    this.index = start;
    this.changedFrom = 0;
  }

  next(): boolean {
    if (this.index + 1 >= this.total) return false;
    this.index++;
    const digits = this.digits;
    const last = this.vocabSize - 1;
    let k = this.length - 1;
    while (k >= 0 && digits[k] === last) digits[k--] = 0;
    if (k < 0) {
      this.length++;
      digits.fill(0, 0, this.length);
      this.changedFrom = 0;
    } else {
      digits[k] = (digits[k] as number) + 1;
      this.changedFrom = k;
    }
    return true;
  }

  /** The current input as vocabulary items (a fresh array). */
  input(vocab: readonly Value[]): Value[] {
    const out = new Array<Value>(this.length);
    for (let i = 0; i < this.length; i++) out[i] = vocab[this.digits[i] as number] as Value;
    return out;
  }
}

/** The inputs with indices start ≤ i < end, in order (fresh arrays). */
export function* enumerateInputs(vocab: readonly Value[], maxLen: number, start = 0, end = inputCount(vocab.length, maxLen)): Generator<Value[]> {
  if (start >= end) return;
  const cursor = new InputCursor(vocab.length, maxLen, start);
  for (;;) {
    yield cursor.input(vocab);
    if (cursor.index + 1 >= end || !cursor.next()) return;
  }
}
