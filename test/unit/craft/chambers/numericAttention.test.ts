import { describe, expect, it } from 'vitest';
import { BOS, ONE } from '../../../../src/craft/basis.js';
import type { Score } from '../../../../src/craft/chambers/attention.js';
import { lastPositionScore, numericComparisonScore, numericEqualityScore, type Comparison, type NumericSide } from '../../../../src/craft/chambers/numericAttention.js';
import { chooseBeta, leakageBound } from '../../../../src/passes/precision.js';
import { exactScore, float32Logit, float32Softmax, type Residual } from './float32Head.js';

const N = 256;
const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);
const side = (dir: string, values: readonly number[]): NumericSide => ({ dir, square: `${dir}^2`, values });
const at = (s: NumericSide, v: number): Residual => ({ [ONE]: 1, [s.dir]: v, ...(s.square ? { [s.square]: v * v } : {}) });
const BOS_POSITION: Residual = { [ONE]: 1, [BOS]: 1 };

/** β as the compiler sizes it for a categorical aggregate (leak 2) to error 1e-3 over N + 1 keys. */
const betaFor = (score: Score): number => {
  const beta = chooseBeta({ keys: N + 1, gap: score.gap, scoreError: 0, leak: 2, equal: 0, passthrough: 0 }, 1e-3);
  if (beta === undefined) throw new Error('no beta');
  return beta;
};

interface Case {
  readonly query: Residual;
  /** Key residuals of one sequence (BOS first), and the index of the key that must win. */
  readonly keys: readonly Residual[];
  readonly winner: number;
}

/**
 * Runs every case in float32 and checks (1) the float32 logits are the exact ones up to a tiny
 * fraction of β·gap, (2) the winner gets at least 1 − λ of the weight (λ: the leakage bound the
 * compiler sizes β with), (3) the largest logit magnitude stays where float32 still resolves the gap.
 */
const checkInFloat32 = (score: Score, cases: Iterable<Case>, beta = betaFor(score)): { maxLogit: number; maxError: number; cases: number } => {
  const lambda = leakageBound(N + 1, beta, score.gap, 0);
  let maxLogit = 0;
  let maxError = 0;
  let count = 0;
  for (const c of cases) {
    const logits = c.keys.map((k) => float32Logit(score.weights, beta, c.query, k));
    c.keys.forEach((k, i) => {
      const exact = beta * exactScore(score.weights, c.query, k);
      maxLogit = Math.max(maxLogit, Math.abs(exact));
      maxError = Math.max(maxError, Math.abs((logits[i] ?? Number.NaN) - exact));
    });
    const weights = float32Softmax(logits);
    expect(weights[c.winner] ?? 0).toBeGreaterThanOrEqual(1 - lambda - 1e-6);
    count++;
  }
  // rounding moves a logit by at most 1/20 of the gap: a score error the β derivation can absorb
  expect(maxError).toBeLessThan((beta * score.gap) / 20);
  // float32's spacing at the largest logit is far below β·gap (a rounding moves it by half that)
  expect(maxLogit * 2 ** -23).toBeLessThan((beta * score.gap) / 20);
  return { maxLogit, maxError, cases: count };
};

function* sequences(query: NumericSide, key: NumericSide, pick: (q: number, keys: readonly number[]) => number | undefined): Generator<Case> {
  for (const n of [1, 2, 17, 200, N]) {
    const keyValues = key.values.slice(0, n);
    const keys = [BOS_POSITION, ...keyValues.map((k) => at(key, k))];
    for (const q of query.values) {
      const chosen = pick(q, keyValues);
      if (chosen === null) continue;
      yield { query: at(query, q), keys, winner: chosen === undefined ? 0 : chosen + 1 };
    }
  }
}

describe('numeric equality score', () => {
  const indices = side('indices', range(N));
  const opposite = side('opp_index', range(N));

  it('scores the equal key 0, every other key at most −1, BOS at its offset, exactly', () => {
    const s = numericEqualityScore(opposite, indices, 1, -0.5);
    for (const q of [0, 5, 255]) {
      for (const k of [0, 4, 5, 6, 255]) expect(exactScore(s.weights, at(opposite, q), at(indices, k))).toBeCloseTo(-((k - q) ** 2), 9);
      expect(exactScore(s.weights, at(opposite, q), BOS_POSITION)).toBeCloseTo(-0.5, 9);
    }
    expect(s.gap).toBe(0.5);
    // the BOS query attends to BOS
    const bosRow = [BOS_POSITION, at(indices, 0), at(indices, 255)].map((k) => exactScore(s.weights, BOS_POSITION, k));
    expect((bosRow[0] ?? 0) - Math.max(bosRow[1] ?? 0, bosRow[2] ?? 0)).toBeGreaterThanOrEqual(2 * s.gap);
  });

  it('picks the equal key, or BOS when there is none, in float32 at N = 256 (every query, every key)', () => {
    const s = numericEqualityScore(opposite, indices, 1, -0.5);
    const r = checkInFloat32(s, sequences(opposite, indices, (q, keys) => (keys.includes(q) ? keys.indexOf(q) : undefined)));
    expect(r.cases).toBe(5 * N);
    // a β with decimal digits (27.7 here) is not a float32 number: the products round
    expect(r.maxError).toBeGreaterThan(0);
  });

  it('is exact in float32 at N = 256 once β is rounded up to an integer (every term an integer below 2^24)', () => {
    const s = numericEqualityScore(opposite, indices, 1, -0.5);
    const beta = Math.ceil(betaFor(s));
    expect(beta * 2 * (N - 1) ** 2).toBeLessThan(2 ** 24);
    const r = checkInFloat32(s, sequences(opposite, indices, (q, keys) => (keys.includes(q) ? keys.indexOf(q) : undefined)), beta);
    expect(r.maxError).toBe(0);
  });

  it('as a selector width, BOS ties with the selected key (weight 1/2 on each)', () => {
    const s = numericEqualityScore(opposite, indices, 1, 0);
    const beta = betaFor(s);
    const keys = [BOS_POSITION, ...range(N).map((k) => at(indices, k))];
    const w = float32Softmax(keys.map((k) => float32Logit(s.weights, beta, at(opposite, 100), k)));
    expect(w[0]).toBeCloseTo(0.5, 3);
    expect(w[101]).toBeCloseTo(0.5, 3);
  });

  it('works on a grid of spacing 1/2 too', () => {
    const halves = side('half', range(9).map((i) => i / 2));
    const s = numericEqualityScore(halves, halves, 0.5, -1);
    expect(exactScore(s.weights, at(halves, 1.5), at(halves, 2))).toBeCloseTo(-1, 9);
    expect(() => numericEqualityScore(halves, halves, 1, -1)).toThrow(/off the grid/);
  });
});

describe('numeric comparison score (at most one selected key)', () => {
  const indices = side('indices', range(N));
  const queries = side('q', range(N + 2, -1));
  const holds: Record<Comparison, (k: number, q: number) => boolean> = {
    '<': (k, q) => k < q,
    '<=': (k, q) => k <= q,
    '>': (k, q) => k > q,
    '>=': (k, q) => k >= q,
  };
  for (const op of ['<', '<=', '>', '>='] as const) {
    it(`${op}: selected keys ≥ 1/2, others ≤ −1/2, BOS 0; float32 at N = 256 wherever at most one key is selected`, () => {
      const s = numericComparisonScore(op, queries, indices, 1);
      for (const q of [-1, 0, 7, 256]) {
        for (const k of [0, 6, 7, 8, 255]) {
          const score = exactScore(s.weights, at(queries, q), at(indices, k));
          if (holds[op](k, q)) expect(score).toBeGreaterThanOrEqual(0.5 - 1e-9);
          else expect(score).toBeLessThanOrEqual(-0.5 + 1e-9);
        }
        expect(exactScore(s.weights, at(queries, q), BOS_POSITION)).toBeCloseTo(0, 9);
      }
      const r = checkInFloat32(
        s,
        sequences(queries, indices, (q, keys) => {
          const selected = keys.filter((k) => holds[op](k, q));
          if (selected.length > 1) return null as unknown as undefined;
          return selected.length === 1 ? keys.indexOf(selected[0] as number) : undefined;
        }),
      );
      expect(r.cases).toBeGreaterThan(0);
    });
  }
});

describe('last position score', () => {
  it('picks the largest index over BOS, in float32 at every length up to 256', () => {
    const indices = side('indices', range(N));
    const s = lastPositionScore(indices, 1);
    const cases = range(N, 1).map((n) => ({ query: { [ONE]: 1 }, keys: [BOS_POSITION, ...range(n).map((k) => at(indices, k))], winner: n }));
    expect(checkInFloat32(s, cases).cases).toBe(N);
  });
});
