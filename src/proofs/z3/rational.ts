/**
 * Exact rationals (bigint numerator / positive denominator) for the solver encodings. A double
 * becomes the fraction p/q (q ≤ 10⁶) it lies within 1e-12 (relative) of — the interpreter's
 * canonical numbers — and otherwise its exact binary value.
 */
import { nearFraction } from '../../ast/value.js';

export interface Rat {
  readonly p: bigint;
  readonly q: bigint;
}

const gcd = (a: bigint, b: bigint): bigint => {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
};

export const rat = (p: bigint, q: bigint = 1n): Rat => {
  if (q === 0n) throw new Error('bug: zero denominator');
  const s = q < 0n ? -1n : 1n;
  const g = gcd(p, q) || 1n;
  return { p: (s * p) / g, q: (s * q) / g };
};

export const ZERO: Rat = { p: 0n, q: 1n };
export const ONE: Rat = { p: 1n, q: 1n };

/** The rational a double stands for (see the module comment); throws on NaN or infinities. */
export const ratOf = (x: number): Rat => {
  if (!Number.isFinite(x)) throw new Error(`bug: non-finite number ${x} in a solver encoding`);
  if (Number.isInteger(x)) return { p: BigInt(x), q: 1n };
  const f = nearFraction(x);
  if (f !== undefined) return rat(BigInt(f[0]), BigInt(f[1]));
  // exact binary value: doubling is exact until the number is an integer
  let y = x;
  let q = 1n;
  while (!Number.isInteger(y)) {
    y *= 2;
    q *= 2n;
  }
  return rat(BigInt(y), q);
};

export const add = (a: Rat, b: Rat): Rat => rat(a.p * b.q + b.p * a.q, a.q * b.q);
export const sub = (a: Rat, b: Rat): Rat => rat(a.p * b.q - b.p * a.q, a.q * b.q);
export const mul = (a: Rat, b: Rat): Rat => rat(a.p * b.p, a.q * b.q);
export const div = (a: Rat, b: Rat): Rat => rat(a.p * b.q, a.q * b.p);
/** Sign of a − b. */
export const cmp = (a: Rat, b: Rat): number => {
  const d = a.p * b.q - b.p * a.q;
  return d < 0n ? -1 : d > 0n ? 1 : 0;
};
export const ratEquals = (a: Rat, b: Rat): boolean => a.p === b.p && a.q === b.q;
export const ratText = (a: Rat): string => (a.q === 1n ? `${a.p}` : `${a.p}/${a.q}`);
export const ratToNumber = (a: Rat): number => Number(a.p) / Number(a.q);
