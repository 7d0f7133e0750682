/**
 * Runs craft blocks on residual vectors given as direction → value (absent directions are 0), so
 * chamber tests can check what a block computes besides its exact weights.
 */
import type { MlpBlock, ScoreWeights, Weights } from '../../src/craft/blocks.js';

export type Residual = Readonly<Record<string, number>>;

const dot = (w: Weights, x: Residual): number => w.reduce((s, [d, v]) => s + v * (x[d] ?? 0), 0);

/** What an MLP block adds to the residual: Σ_u relu(input_u · x) output_u. */
export const runMlp = (block: MlpBlock, x: Residual): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const u of block.units) {
    const z = Math.max(0, dot(u.input, x));
    if (z === 0) continue;
    for (const [d, v] of u.output) out[d] = (out[d] ?? 0) + z * v;
  }
  return out;
};

/** The bilinear score of a query residual against a key residual. */
export const score = (w: ScoreWeights, query: Residual, key: Residual): number =>
  w.reduce((s, [q, k, v]) => s + v * (query[q] ?? 0) * (key[k] ?? 0), 0);

/** A non-BOS position holding the given directions (one-hot 1, or a numerical value). */
export const at = (dirs: Residual): Residual => ({ one: 1, ...dirs });

/** The BOS position. */
export const BOS_POSITION: Residual = { one: 1, bos: 1 };
