import { isNumberLike, numbersClose, toNumber, type Value } from '../ast/value.js';

/** f(x) = a·x + b. */
export interface Affine1 {
  readonly a: number;
  readonly b: number;
}

const asNumber = (v: Value | undefined): number | undefined =>
  v !== undefined && v !== null && isNumberLike(v) ? toNumber(v) : undefined;

/** The affine function through the points, if every point lies on one line (within tolerance). */
export const fitAffine1 = (points: readonly (readonly [number, Value])[]): Affine1 | undefined => {
  // no points: nothing ever reaches the function, so any affine function fits
  if (points.length === 0) return { a: 0, b: 0 };
  const ys = points.map(([, y]) => asNumber(y));
  if (ys.some((y) => y === undefined)) return undefined;
  const [x0, y0] = [points[0]?.[0] as number, ys[0] as number];
  const other = points.findIndex(([x]) => x !== x0);
  const a = other < 0 ? 0 : ((ys[other] as number) - y0) / ((points[other]?.[0] as number) - x0);
  const b = y0 - a * x0;
  return points.every(([x], i) => numbersClose(a * x + b, ys[i] as number)) ? { a, b } : undefined;
};

/**
 * Whether f(x, y) = g(x) + h(y) on the grid (additively separable); then it returns g and h as
 * tables over the grid's x and y values, with h(y0) = 0.
 */
export const splitSeparable = (
  xs: readonly Value[],
  ys: readonly Value[],
  f: (x: Value, y: Value) => Value | undefined,
): { g: number[]; h: number[] } | undefined => {
  if (xs.length === 0 || ys.length === 0) return undefined;
  const table = xs.map((x) => ys.map((y) => asNumber(f(x, y))));
  if (table.some((row) => row.some((v) => v === undefined))) return undefined;
  const at = (i: number, j: number): number => (table[i] as number[])[j] as number;
  const g = xs.map((_, i) => at(i, 0));
  const h = ys.map((_, j) => at(0, j) - at(0, 0));
  for (let i = 0; i < xs.length; i++) {
    for (let j = 0; j < ys.length; j++) {
      if (!numbersClose(at(i, j), (g[i] as number) + (h[j] as number))) return undefined;
    }
  }
  return { g, h };
};
