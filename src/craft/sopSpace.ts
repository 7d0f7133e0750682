import type { Encoding } from '../ast/program.js';
import { isNumberLike, numbersClose, toNumber, valueEquals, valuesClose, type Value } from '../ast/value.js';
import { categoricalDirection, numericalDirection, type Direction } from './basis.js';
import type { Weights } from './blocks.js';

/** Where and how an s-op lives in the residual stream. */
export interface SopSpace {
  readonly label: string;
  readonly representation: Encoding;
  /** The values it takes, None excluded (None is the zero vector). */
  readonly values: readonly Value[];
  readonly directions: readonly Direction[];
}

export const sopSpace = (label: string, representation: Encoding, values: readonly Value[]): SopSpace => {
  const nonNone = values.filter((v) => v !== null);
  return {
    label,
    representation,
    values: nonNone,
    directions:
      representation === 'categorical'
        ? nonNone.map((v) => categoricalDirection(label, v))
        : [numericalDirection(label)],
  };
};

/**
 * The residual encoding of a value: a one-hot direction, a scalar, or nothing for None; undefined
 * when the value is not in the s-op's value set (a combination that can never occur).
 */
export const encodeMaybe = (space: SopSpace, v: Value): Weights | undefined => {
  if (v === null) return [];
  if (space.representation === 'numerical') {
    const x = isNumberLike(v) ? toNumber(v) : Number.NaN;
    if (!space.values.some((u) => isNumberLike(u) && numbersClose(toNumber(u), x))) return undefined;
    return x === 0 ? [] : [[(space.directions[0] as Direction).key, x]];
  }
  const i = space.values.findIndex((u) => valueEquals(u, v) && typeof u === typeof v);
  // value sets merge numbers within their tolerance: match the same way
  const j = i >= 0 ? i : space.values.findIndex((u) => valuesClose(u, v));
  return j < 0 ? undefined : [[(space.directions[j] as Direction).key, 1]];
};

/** Like {@link encodeMaybe} for values known to be in the set. */
export const encode = (space: SopSpace, v: Value): Weights => {
  const w = encodeMaybe(space, v);
  if (w === undefined) throw new Error(`bug: value ${String(v)} not in the space of ${space.label}`);
  return w;
};

/** a·u − b·w as sparse weights (used for differences of encodings). */
export const combine = (a: number, u: Weights, b: number, w: Weights): Weights => {
  const acc = new Map<string, number>();
  for (const [d, x] of u) acc.set(d, (acc.get(d) ?? 0) + a * x);
  for (const [d, x] of w) acc.set(d, (acc.get(d) ?? 0) - b * x);
  return [...acc].filter(([, x]) => x !== 0);
};

export const scale = (a: number, u: Weights): Weights => u.map(([d, x]) => [d, a * x] as const).filter(([, x]) => x !== 0);
