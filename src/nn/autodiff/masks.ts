/**
 * The ops of causal pruning's edge masks on the tape (ops.ts): an edge mixed with its ablation
 * constant, relaxed Bernoulli masks, their expected count, weighted sums of scalar losses.
 */
import { colsOf, gradOf, rowsOf, type Node, type Tape } from './tape.js';
import { at } from '../../util/at.js';

/**
 * m·x + (1 − m)·c with m = masks[index] (a scalar of a mask vector) and c a learned row [width]
 * broadcast over rows: an edge kept with weight m, its ablated value the constant c.
 */
export const mixWithConstant = (tape: Tape, x: Node, masks: Node, index: number, c: Node): Node => {
  const rows = rowsOf(x);
  const width = colsOf(x);
  const m = at(masks.value, index);
  const out = new Float64Array(rows * width);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < width; i++) out[r * width + i] = m * at(x.value, r * width + i) + (1 - m) * at(c.value, i);
  }
  return tape.record(out, x.shape, [x, masks, c], (g) => {
    const xg = x.needsGrad ? gradOf(x) : undefined;
    const cg = c.needsGrad ? gradOf(c) : undefined;
    let dm = 0;
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < width; i++) {
        const gi = at(g, r * width + i);
        if (xg !== undefined) xg[r * width + i] = at(xg, r * width + i) + (m * gi);
        if (cg !== undefined) cg[i] = at(cg, i) + ((1 - m) * gi);
        dm += gi * (at(x.value, r * width + i) - at(c.value, i));
      }
    }
    if (masks.needsGrad) {
      const mg = gradOf(masks);
      mg[index] = at(mg, index) + dm;
    }
  });
};

/** sigmoid((α + noise) / τ), elementwise: a relaxed Bernoulli sample of each mask. */
export const relaxedMasks = (tape: Tape, alpha: Node, noise: Float64Array, temperature: number): Node => {
  const out = new Float64Array(alpha.value.length);
  for (let i = 0; i < out.length; i++) out[i] = 1 / (1 + Math.exp(-(at(alpha.value, i) + at(noise, i)) / temperature));
  return tape.record(out, alpha.shape, [alpha], (g) => {
    const ag = gradOf(alpha);
    for (let i = 0; i < g.length; i++) ag[i] = at(ag, i) + ((at(g, i) * at(out, i) * (1 - at(out, i))) / temperature);
  });
};

/** Σ sigmoid(α): the expected number of kept edges. */
export const expectedCount = (tape: Tape, alpha: Node): Node => {
  let total = 0;
  const p = new Float64Array(alpha.value.length);
  for (let i = 0; i < p.length; i++) {
    p[i] = 1 / (1 + Math.exp(-at(alpha.value, i)));
    total += at(p, i);
  }
  return tape.record(Float64Array.of(total), [1], [alpha], (g) => {
    const ag = gradOf(alpha);
    for (let i = 0; i < p.length; i++) ag[i] = at(ag, i) + (at(g, 0) * at(p, i) * (1 - at(p, i)));
  });
};

/** Σ factors[i] · scalars[i]. */
export const weightedSum = (tape: Tape, scalars: readonly Node[], factors: readonly number[]): Node => {
  let total = 0;
  scalars.forEach((s, i) => (total += at(factors, i) * at(s.value, 0)));
  return tape.record(Float64Array.of(total), [1], scalars, (g) => {
    scalars.forEach((s, i) => {
      if (!s.needsGrad) return;
      const sg = gradOf(s);
      sg[0] = at(sg, 0) + at(factors, i) * at(g, 0);
    });
  });
};

