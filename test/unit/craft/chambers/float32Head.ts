/**
 * A head's score and softmax as a float32 model computes them, for the numerical chambers' tests:
 * one head dimension per query direction (q_i = β·x[query dir i], k_i = Σ w·x[key dir]), every
 * product and sum rounded to float32, then a float32 softmax. Also the exact (float64) scores.
 */
import type { ScoreWeights } from '../../../../src/craft/blocks.js';

export type Residual = Readonly<Record<string, number>>;

const f = Math.fround;

export const exactScore = (weights: ScoreWeights, query: Residual, key: Residual): number =>
  weights.reduce((s, [q, k, w]) => s + w * (query[q] ?? 0) * (key[k] ?? 0), 0);

/** The float32 logit β·S(query, key) through the factorised head. */
export const float32Logit = (weights: ScoreWeights, beta: number, query: Residual, key: Residual): number => {
  const byQuery = new Map<string, (readonly [string, number])[]>();
  for (const [q, k, w] of weights) byQuery.set(q, [...(byQuery.get(q) ?? []), [k, f(w)] as const]);
  let logit = 0;
  for (const [q, row] of byQuery) {
    const qi = f(f(beta) * f(query[q] ?? 0));
    let ki = 0;
    for (const [k, w] of row) ki = f(ki + f(w * f(key[k] ?? 0)));
    logit = f(logit + f(qi * ki));
  }
  return logit;
};

export const float32Softmax = (logits: readonly number[]): number[] => {
  const top = logits.reduce((m, x) => Math.max(m, x), Number.NEGATIVE_INFINITY);
  const e = logits.map((x) => f(Math.exp(f(x - top))));
  const sum = e.reduce((s, x) => f(s + x), 0);
  return e.map((x) => f(x / sum));
};
