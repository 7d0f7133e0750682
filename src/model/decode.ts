import { isNumberLike, toNumber, type Value } from '../ast/value.js';
import type { OutputDecoding } from './model.js';

/** A position whose logits match no value of the output (a model fault, never a user error). */
export interface Undecodable {
  readonly undecodable: true;
  readonly logits: readonly number[];
}

export type Decoded = Value | Undecodable;

export const isUndecodable = (d: Decoded): d is Undecodable =>
  typeof d === 'object' && d !== null && !Array.isArray(d) && (d as Undecodable).undecodable === true;

/**
 * Decodes output logits (T × width, position 0 = BOS) for positions 1..length.
 * Categorical: the argmax value if its logit reaches the tolerance, else None.
 * Numerical: the nearest output value if within the tolerance.
 */
export const decodeLogits = (logits: Float64Array, length: number, out: OutputDecoding): Decoded[] => {
  const width = out.encoding === 'categorical' ? out.values.length : 1;
  const numbers = out.encoding === 'numerical' ? out.values.map((v) => (isNumberLike(v) ? toNumber(v) : Number.NaN)) : [];
  const result: Decoded[] = [];
  for (let p = 1; p <= length; p++) {
    const row = Array.from(logits.subarray(p * width, (p + 1) * width));
    if (out.encoding === 'categorical') {
      let best = -1;
      let bestLogit = Number.NEGATIVE_INFINITY;
      row.forEach((x, j) => {
        if (x > bestLogit) {
          bestLogit = x;
          best = j;
        }
      });
      result.push(best < 0 || bestLogit < out.tolerance ? null : (out.values[best] as Value));
      continue;
    }
    const x = row[0] as number;
    let best = -1;
    numbers.forEach((v, j) => {
      if (best < 0 || Math.abs(v - x) < Math.abs((numbers[best] as number) - x)) best = j;
    });
    result.push(best >= 0 && Math.abs((numbers[best] as number) - x) <= out.tolerance ? (out.values[best] as Value) : { undecodable: true, logits: row });
  }
  return result;
};
