import {
  compareValues,
  isNumberLike,
  numbersClose,
  showValue,
  toNumber,
  valueEquals,
  type Value,
} from '../ast/value.js';
import { mergedIntegers } from './representable.js';

const same = (a: Value, b: Value): boolean =>
  isNumberLike(a) && isNumberLike(b) ? numbersClose(toNumber(a), toNumber(b)) : valueEquals(a, b);

/**
 * A finite set of values, sorted by {@link compareValues}. Numbers within the global tolerance are
 * one value, so float noise (0.30000000000000004 vs 0.3) never makes two entries.
 */
export class ValueSet {
  private constructor(
    readonly values: readonly Value[],
    /**
     * Two distinct integers this set (or a set it was built from) made one value: the tolerance
     * is for float noise, and integers are exact, so the checker refuses such a set.
     */
    readonly merged?: readonly [Value, Value],
  ) {}

  static of(values: Iterable<Value>, merged?: readonly [Value, Value]): ValueSet {
    const sorted = [...values].sort(compareValues);
    const out: Value[] = [];
    let firstMerge = merged;
    for (const v of sorted) {
      const last = out[out.length - 1];
      if (out.length === 0 || !same(last as Value, v)) out.push(v);
      else if (firstMerge === undefined && mergedIntegers(last as Value, v)) firstMerge = [last as Value, v];
    }
    return new ValueSet(out, firstMerge);
  }

  static readonly empty = new ValueSet([]);

  get size(): number {
    return this.values.length;
  }

  get hasNone(): boolean {
    return this.values.length > 0 && this.values[0] === null;
  }

  /** All values are numbers or booleans. */
  get isNumeric(): boolean {
    return this.values.every(isNumberLike);
  }

  /** Index of the element equal (within tolerance) to `v`, or -1. */
  indexOf(v: Value): number {
    if (isNumberLike(v)) {
      const x = toNumber(v);
      let lo = 0;
      let hi = this.values.length - 1;
      // binary search among the numeric block for the nearest element
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const m = this.values[mid] as Value;
        if (m === null || (isNumberLike(m) && toNumber(m) < x)) lo = mid + 1;
        else hi = mid - 1;
      }
      for (const i of [lo - 1, lo, lo + 1]) {
        const c = this.values[i];
        if (c !== undefined && isNumberLike(c) && numbersClose(toNumber(c), x)) return i;
      }
      return -1;
    }
    let lo = 0;
    let hi = this.values.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = compareValues(this.values[mid] as Value, v);
      if (c === 0) return valueEquals(this.values[mid] as Value, v) ? mid : -1;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  has(v: Value): boolean {
    return this.indexOf(v) >= 0;
  }

  withoutNone(): ValueSet {
    return this.hasNone ? new ValueSet(this.values.slice(1), this.merged) : this;
  }

  union(other: ValueSet): ValueSet {
    return ValueSet.of([...this.values, ...other.values], this.merged ?? other.merged);
  }

  /** Numeric values as numbers (booleans as 0/1); only meaningful when {@link isNumeric}. */
  numbers(): number[] {
    return this.values.filter(isNumberLike).map(toNumber);
  }

  /** A short human-readable description: all values when few, else a range with a count. */
  describe(limit = 12): string {
    if (this.values.length <= limit) return `{${this.values.map(showValue).join(', ')}}`;
    const head = this.values.slice(0, 4).map(showValue).join(', ');
    const tail = this.values.slice(-2).map(showValue).join(', ');
    return `{${head}, …, ${tail}} (${this.values.length} values)`;
  }
}
