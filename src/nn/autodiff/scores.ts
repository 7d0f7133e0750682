/**
 * Attention built from its parts on the tape (ops.ts): masked sums of query·key scores, the causal
 * softmax, and weights times values, for path-level pruning where each path term has its own mask.
 */
import { colsOf, gradOf, rowsOf, type Node, type Tape } from './tape.js';
import { at } from '../../util/at.js';


export interface ScoreShape {
  readonly batch: number;
  readonly length: number;
}

/** One summand of maskedScoreSum: masks[index] · q_i · k_j. */
export interface ScoreTerm {
  /** [batch·length, w], or [1, w]: one query for every position. */
  readonly q: Node;
  /** [batch·length, w]. */
  readonly k: Node;
  readonly masks: Node;
  readonly index: number;
}

/**
 * Causal scores [batch, length, length] (entries above the diagonal 0):
 * factor · Σ_terms masks[index] · q_i · k_j. One op for all of a head's terms: a score array per
 * term (and its gradient) would dominate the memory traffic of path-level pruning.
 */
export const maskedScoreSum = (tape: Tape, terms: readonly ScoreTerm[], factor: number, s: ScoreShape): Node => {
  const { batch, length: T } = s;
  const out = new Float64Array(batch * T * T);
  for (const term of terms) {
    const w = colsOf(term.k);
    const shared = rowsOf(term.q) === 1;
    const scale = factor * at(term.masks.value, term.index);
    if (scale === 0) continue;
    const q = term.q.value;
    const k = term.k.value;
    for (let b = 0; b < batch; b++) {
      for (let i = 0; i < T; i++) {
        const qi = shared ? 0 : (b * T + i) * w;
        const base = (b * T + i) * T;
        for (let j = 0; j <= i; j++) {
          const kj = (b * T + j) * w;
          let dot = 0;
          for (let c = 0; c < w; c++) dot += at(q, qi + c) * at(k, kj + c);
          out[base + j] = at(out, base + j) + (scale * dot);
        }
      }
    }
  }
  const inputs = [...new Set(terms.flatMap((t) => [t.q, t.k, t.masks]))];
  return tape.record(out, [batch, T, T], inputs, (g) => {
    for (const term of terms) {
      const w = colsOf(term.k);
      const shared = rowsOf(term.q) === 1;
      const m = at(term.masks.value, term.index);
      const q = term.q.value;
      const k = term.k.value;
      const qg = term.q.needsGrad ? gradOf(term.q) : undefined;
      const kg = term.k.needsGrad && m !== 0 ? gradOf(term.k) : undefined;
      const gk = new Float64Array(w);
      let dm = 0;
      for (let b = 0; b < batch; b++) {
        for (let i = 0; i < T; i++) {
          const qi = shared ? 0 : (b * T + i) * w;
          const base = (b * T + i) * T;
          gk.fill(0);
          for (let j = 0; j <= i; j++) {
            const gs = at(g, base + j);
            if (gs === 0) continue;
            const kj = (b * T + j) * w;
            for (let c = 0; c < w; c++) gk[c] = at(gk, c) + (gs * at(k, kj + c));
            if (kg !== undefined) {
              const f = gs * factor * m;
              for (let c = 0; c < w; c++) kg[kj + c] = at(kg, kj + c) + (f * at(q, qi + c));
            }
          }
          for (let c = 0; c < w; c++) {
            dm += at(q, qi + c) * at(gk, c);
            if (qg !== undefined) qg[qi + c] = at(qg, qi + c) + (factor * m * at(gk, c));
          }
        }
      }
      if (term.masks.needsGrad) {
        const mg = gradOf(term.masks);
        mg[term.index] = at(mg, term.index) + factor * dm;
      }
    }
  });
};

/** Softmax of each query's causal scores [batch, length, length] (keys j ≤ i). */
export const causalSoftmax = (tape: Tape, scores: Node, s: ScoreShape): Node => {
  const { batch, length: T } = s;
  const out = new Float64Array(batch * T * T);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < T; i++) {
      const base = (b * T + i) * T;
      let max = -Infinity;
      for (let j = 0; j <= i; j++) max = Math.max(max, at(scores.value, base + j));
      let total = 0;
      for (let j = 0; j <= i; j++) {
        out[base + j] = Math.exp(at(scores.value, base + j) - max);
        total += at(out, base + j);
      }
      for (let j = 0; j <= i; j++) out[base + j] = at(out, base + j) / (total);
    }
  }
  return tape.record(out, scores.shape, [scores], (g) => {
    const sg = gradOf(scores);
    for (let b = 0; b < batch; b++) {
      for (let i = 0; i < T; i++) {
        const base = (b * T + i) * T;
        let dot = 0;
        for (let j = 0; j <= i; j++) dot += at(g, base + j) * at(out, base + j);
        for (let j = 0; j <= i; j++) sg[base + j] = at(sg, base + j) + (at(out, base + j) * (at(g, base + j) - dot));
      }
    }
  });
};

/** Attention weights [batch, length, length] times values [batch·length, w]. */
export const attend = (tape: Tape, weights: Node, values: Node, s: ScoreShape): Node => {
  const { batch, length: T } = s;
  const w = colsOf(values);
  const out = new Float64Array(batch * T * w);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < T; i++) {
      const o = (b * T + i) * w;
      for (let j = 0; j <= i; j++) {
        const a = at(weights.value, (b * T + i) * T + j);
        if (a === 0) continue;
        const v = (b * T + j) * w;
        for (let c = 0; c < w; c++) out[o + c] = at(out, o + c) + (a * at(values.value, v + c));
      }
    }
  }
  return tape.record(out, [batch * T, w], [weights, values], (g) => {
    const wg = weights.needsGrad ? gradOf(weights) : undefined;
    const vg = values.needsGrad ? gradOf(values) : undefined;
    for (let b = 0; b < batch; b++) {
      for (let i = 0; i < T; i++) {
        const o = (b * T + i) * w;
        for (let j = 0; j <= i; j++) {
          const cell = (b * T + i) * T + j;
          const v = (b * T + j) * w;
          let dot = 0;
          for (let c = 0; c < w; c++) {
            dot += at(g, o + c) * at(values.value, v + c);
            if (vg !== undefined) vg[v + c] = at(vg, v + c) + (at(weights.value, cell) * at(g, o + c));
          }
          if (wg !== undefined) wg[cell] = at(wg, cell) + dot;
        }
      }
    }
  });
};

