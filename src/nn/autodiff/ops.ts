/**
 * Differentiable ops on the tape (tape.ts). Activations are row-major [rows, width] matrices,
 * rows = batch × sequence positions. Each op computes its value eagerly and records how to push
 * its output gradient into its inputs.
 */
import { geluNew } from '../activations.js';
import { gradOf, type Node, type Tape } from './tape.js';

const rowsOf = (n: Node): number => n.shape[0];
const colsOf = (n: Node): number => n.shape[1];

/** out[r] = table[ids[r]]: an embedding lookup. */
export const gather = (tape: Tape, table: Node, ids: Int32Array): Node => {
  const width = colsOf(table);
  const out = new Float64Array(ids.length * width);
  for (let r = 0; r < ids.length; r++) out.set(table.value.subarray(ids[r] * width, (ids[r] + 1) * width), r * width);
  return tape.record(out, [ids.length, width], [table], (g) => {
    if (!table.needsGrad) return;
    const tg = gradOf(table);
    for (let r = 0; r < ids.length; r++) {
      const base = ids[r] * width;
      for (let c = 0; c < width; c++) tg[base + c] += g[r * width + c];
    }
  });
};

/** Σ inputs, all of one shape. */
export const addAll = (tape: Tape, inputs: readonly Node[]): Node => {
  const out = new Float64Array(inputs[0].value.length);
  for (const n of inputs) for (let i = 0; i < out.length; i++) out[i] += n.value[i];
  return tape.record(out, inputs[0].shape, inputs, (g) => {
    for (const n of inputs) {
      if (!n.needsGrad) continue;
      const ng = gradOf(n);
      for (let i = 0; i < g.length; i++) ng[i] += g[i];
    }
  });
};

/** x [rows, k] · w [k, m] (+ bias [m]). */
export const linear = (tape: Tape, x: Node, w: Node, bias?: Node): Node => {
  const rows = rowsOf(x);
  const k = colsOf(x);
  const m = colsOf(w);
  if (w.shape[0] !== k) throw new Error(`linear: ${rows}×${k} · ${w.shape.join('×')}`);
  const out = new Float64Array(rows * m);
  const xv = x.value;
  const wv = w.value;
  for (let r = 0; r < rows; r++) {
    const o = r * m;
    if (bias !== undefined) out.set(bias.value, o);
    for (let i = 0; i < k; i++) {
      const a = xv[r * k + i];
      if (a === 0) continue;
      const wb = i * m;
      for (let j = 0; j < m; j++) out[o + j] += a * wv[wb + j];
    }
  }
  const inputs = bias === undefined ? [x, w] : [x, w, bias];
  return tape.record(out, [rows, m], inputs, (g) => {
    if (x.needsGrad) {
      const xg = gradOf(x);
      for (let r = 0; r < rows; r++) {
        for (let i = 0; i < k; i++) {
          let s = 0;
          const wb = i * m;
          for (let j = 0; j < m; j++) s += g[r * m + j] * wv[wb + j];
          xg[r * k + i] += s;
        }
      }
    }
    if (w.needsGrad) {
      const wg = gradOf(w);
      for (let r = 0; r < rows; r++) {
        for (let i = 0; i < k; i++) {
          const a = xv[r * k + i];
          if (a === 0) continue;
          const wb = i * m;
          for (let j = 0; j < m; j++) wg[wb + j] += a * g[r * m + j];
        }
      }
    }
    if (bias !== undefined && bias.needsGrad) {
      const bg = gradOf(bias);
      for (let r = 0; r < rows; r++) for (let j = 0; j < m; j++) bg[j] += g[r * m + j];
    }
  });
};

/** x [rows, k] · wᵀ for w [m, k] (a tied unembedding). */
export const linearTransposed = (tape: Tape, x: Node, w: Node): Node => {
  const rows = rowsOf(x);
  const k = colsOf(x);
  const m = rowsOf(w);
  const out = new Float64Array(rows * m);
  const xv = x.value;
  const wv = w.value;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let i = 0; i < k; i++) s += xv[r * k + i] * wv[j * k + i];
      out[r * m + j] = s;
    }
  }
  return tape.record(out, [rows, m], [x, w], (g) => {
    const xg = x.needsGrad ? gradOf(x) : undefined;
    const wg = w.needsGrad ? gradOf(w) : undefined;
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < m; j++) {
        const gj = g[r * m + j];
        if (gj === 0) continue;
        for (let i = 0; i < k; i++) {
          if (xg !== undefined) xg[r * k + i] += gj * wv[j * k + i];
          if (wg !== undefined) wg[j * k + i] += gj * xv[r * k + i];
        }
      }
    }
  });
};

/** LayerNorm over each row: (x − μ) / √(σ² + ε) ⊙ γ + β. */
export const layerNorm = (tape: Tape, x: Node, gamma: Node, beta: Node, eps: number): Node => {
  const rows = rowsOf(x);
  const d = colsOf(x);
  const out = new Float64Array(rows * d);
  const normed = new Float64Array(rows * d);
  const inverseStd = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const b = r * d;
    let mean = 0;
    for (let i = 0; i < d; i++) mean += x.value[b + i];
    mean /= d;
    let variance = 0;
    for (let i = 0; i < d; i++) variance += (x.value[b + i] - mean) ** 2;
    variance /= d;
    const inv = 1 / Math.sqrt(variance + eps);
    inverseStd[r] = inv;
    for (let i = 0; i < d; i++) {
      const n = (x.value[b + i] - mean) * inv;
      normed[b + i] = n;
      out[b + i] = n * gamma.value[i] + beta.value[i];
    }
  }
  return tape.record(out, [rows, d], [x, gamma, beta], (g) => {
    const gg = gamma.needsGrad ? gradOf(gamma) : undefined;
    const bg = beta.needsGrad ? gradOf(beta) : undefined;
    const xg = x.needsGrad ? gradOf(x) : undefined;
    for (let r = 0; r < rows; r++) {
      const b = r * d;
      let sumDn = 0;
      let sumDnN = 0;
      for (let i = 0; i < d; i++) {
        const dn = g[b + i] * gamma.value[i];
        sumDn += dn;
        sumDnN += dn * normed[b + i];
        if (gg !== undefined) gg[i] += g[b + i] * normed[b + i];
        if (bg !== undefined) bg[i] += g[b + i];
      }
      if (xg === undefined) continue;
      const inv = inverseStd[r];
      for (let i = 0; i < d; i++) {
        const dn = g[b + i] * gamma.value[i];
        xg[b + i] += inv * (dn - sumDn / d - (normed[b + i] * sumDnN) / d);
      }
    }
  });
};

/** LayerNorm with its standard deviation fixed: (x − μ) ⊙ scale + shift (constants). */
export const affineNorm = (tape: Tape, x: Node, scale: Float64Array, shift: Float64Array): Node => {
  const rows = rowsOf(x);
  const d = colsOf(x);
  const out = new Float64Array(rows * d);
  for (let r = 0; r < rows; r++) {
    const b = r * d;
    let mean = 0;
    for (let i = 0; i < d; i++) mean += x.value[b + i];
    mean /= d;
    for (let i = 0; i < d; i++) out[b + i] = (x.value[b + i] - mean) * scale[i] + shift[i];
  }
  return tape.record(out, [rows, d], [x], (g) => {
    const xg = gradOf(x);
    for (let r = 0; r < rows; r++) {
      const b = r * d;
      let mean = 0;
      for (let i = 0; i < d; i++) mean += g[b + i] * scale[i];
      mean /= d;
      for (let i = 0; i < d; i++) xg[b + i] += g[b + i] * scale[i] - mean;
    }
  });
};

const SQRT_TWO_OVER_PI = Math.sqrt(2 / Math.PI);

/** HF gelu_new, elementwise. */
export const gelu = (tape: Tape, x: Node): Node => {
  const out = new Float64Array(x.value.length);
  for (let i = 0; i < out.length; i++) out[i] = geluNew(x.value[i]);
  return tape.record(out, x.shape, [x], (g) => {
    const xg = gradOf(x);
    for (let i = 0; i < g.length; i++) {
      const v = x.value[i];
      const inner = SQRT_TWO_OVER_PI * (v + 0.044715 * v * v * v);
      const t = Math.tanh(inner);
      const dInner = SQRT_TWO_OVER_PI * (1 + 3 * 0.044715 * v * v);
      xg[i] += g[i] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * dInner);
    }
  });
};

export interface AttentionShape {
  readonly batch: number;
  readonly length: number;
  readonly heads: number;
  /** Multiplies every score (1/√d_head). */
  readonly scale: number;
}

/**
 * Causal softmax attention. q, k, v: [batch·length, heads·dHead] with head h in columns
 * h·dHead … (h+1)·dHead − 1. Returns the concatenated head outputs, same layout.
 */
export const causalAttention = (tape: Tape, q: Node, k: Node, v: Node, s: AttentionShape): Node => {
  const { batch, length: T, heads, scale } = s;
  const width = colsOf(q);
  const dh = width / heads;
  const out = new Float64Array(batch * T * width);
  // weights[b][h][i][j] for j ≤ i, stored densely T×T per (b, h).
  const weights = new Float64Array(batch * heads * T * T);
  const scores = new Float64Array(T);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const wBase = (b * heads + h) * T * T;
      for (let i = 0; i < T; i++) {
        const qi = (b * T + i) * width + h * dh;
        let max = -Infinity;
        for (let j = 0; j <= i; j++) {
          const kj = (b * T + j) * width + h * dh;
          let dot = 0;
          for (let c = 0; c < dh; c++) dot += q.value[qi + c] * k.value[kj + c];
          scores[j] = dot * scale;
          if (scores[j] > max) max = scores[j];
        }
        let total = 0;
        for (let j = 0; j <= i; j++) {
          const e = Math.exp(scores[j] - max);
          weights[wBase + i * T + j] = e;
          total += e;
        }
        const oi = (b * T + i) * width + h * dh;
        for (let j = 0; j <= i; j++) {
          const w = weights[wBase + i * T + j] / total;
          weights[wBase + i * T + j] = w;
          const vj = (b * T + j) * width + h * dh;
          for (let c = 0; c < dh; c++) out[oi + c] += w * v.value[vj + c];
        }
      }
    }
  }
  return tape.record(out, [batch * T, width], [q, k, v], (g) => {
    const qg = q.needsGrad ? gradOf(q) : undefined;
    const kg = k.needsGrad ? gradOf(k) : undefined;
    const vg = v.needsGrad ? gradOf(v) : undefined;
    const dw = new Float64Array(T);
    for (let b = 0; b < batch; b++) {
      for (let h = 0; h < heads; h++) {
        const wBase = (b * heads + h) * T * T;
        for (let i = 0; i < T; i++) {
          const oi = (b * T + i) * width + h * dh;
          let weighted = 0;
          for (let j = 0; j <= i; j++) {
            const vj = (b * T + j) * width + h * dh;
            const w = weights[wBase + i * T + j];
            let dot = 0;
            for (let c = 0; c < dh; c++) {
              dot += g[oi + c] * v.value[vj + c];
              if (vg !== undefined) vg[vj + c] += w * g[oi + c];
            }
            dw[j] = dot;
            weighted += w * dot;
          }
          if (qg === undefined && kg === undefined) continue;
          const qi = oi;
          for (let j = 0; j <= i; j++) {
            const ds = weights[wBase + i * T + j] * (dw[j] - weighted) * scale;
            if (ds === 0) continue;
            const kj = (b * T + j) * width + h * dh;
            for (let c = 0; c < dh; c++) {
              if (qg !== undefined) qg[qi + c] += ds * k.value[kj + c];
              if (kg !== undefined) kg[kj + c] += ds * q.value[qi + c];
            }
          }
        }
      }
    }
  });
};

/**
 * m·x + (1 − m)·c with m = masks[index] (a scalar of a mask vector) and c a learned row [width]
 * broadcast over rows: an edge kept with weight m, its ablated value the constant c.
 */
export const mixWithConstant = (tape: Tape, x: Node, masks: Node, index: number, c: Node): Node => {
  const rows = rowsOf(x);
  const width = colsOf(x);
  const m = masks.value[index];
  const out = new Float64Array(rows * width);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < width; i++) out[r * width + i] = m * x.value[r * width + i] + (1 - m) * c.value[i];
  }
  return tape.record(out, x.shape, [x, masks, c], (g) => {
    const xg = x.needsGrad ? gradOf(x) : undefined;
    const cg = c.needsGrad ? gradOf(c) : undefined;
    let dm = 0;
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < width; i++) {
        const gi = g[r * width + i];
        if (xg !== undefined) xg[r * width + i] += m * gi;
        if (cg !== undefined) cg[i] += (1 - m) * gi;
        dm += gi * (x.value[r * width + i] - c.value[i]);
      }
    }
    if (masks.needsGrad) gradOf(masks)[index] += dm;
  });
};

/** sigmoid((α + noise) / τ), elementwise: a relaxed Bernoulli sample of each mask. */
export const relaxedMasks = (tape: Tape, alpha: Node, noise: Float64Array, temperature: number): Node => {
  const out = new Float64Array(alpha.value.length);
  for (let i = 0; i < out.length; i++) out[i] = 1 / (1 + Math.exp(-(alpha.value[i] + noise[i]) / temperature));
  return tape.record(out, alpha.shape, [alpha], (g) => {
    const ag = gradOf(alpha);
    for (let i = 0; i < g.length; i++) ag[i] += (g[i] * out[i] * (1 - out[i])) / temperature;
  });
};

/** Σ sigmoid(α): the expected number of kept edges. */
export const expectedCount = (tape: Tape, alpha: Node): Node => {
  let total = 0;
  const p = new Float64Array(alpha.value.length);
  for (let i = 0; i < p.length; i++) {
    p[i] = 1 / (1 + Math.exp(-alpha.value[i]));
    total += p[i];
  }
  return tape.record(Float64Array.of(total), [1], [alpha], (g) => {
    const ag = gradOf(alpha);
    for (let i = 0; i < p.length; i++) ag[i] += g[0] * p[i] * (1 - p[i]);
  });
};

/** Σ factors[i] · scalars[i]. */
export const weightedSum = (tape: Tape, scalars: readonly Node[], factors: readonly number[]): Node => {
  let total = 0;
  scalars.forEach((s, i) => (total += factors[i] * s.value[0]));
  return tape.record(Float64Array.of(total), [1], scalars, (g) => {
    scalars.forEach((s, i) => {
      if (s.needsGrad) gradOf(s)[0] += factors[i] * g[0];
    });
  });
};

/** max(x, 0), elementwise. */
export const reluOp = (tape: Tape, x: Node): Node => {
  const out = x.value.map((v) => (v > 0 ? v : 0));
  return tape.record(out, x.shape, [x], (g) => {
    const xg = gradOf(x);
    for (let i = 0; i < g.length; i++) if (x.value[i] > 0) xg[i] += g[i];
  });
};

/** A constant row [width] repeated `rows` times. */
export const broadcastRow = (tape: Tape, row: Float64Array, rows: number): Node => {
  const out = new Float64Array(rows * row.length);
  for (let r = 0; r < rows; r++) out.set(row, r * row.length);
  return tape.constant(out, [rows, row.length]);
};

/** x [rows, w] + row [1, w] broadcast over the rows. */
export const addRow = (tape: Tape, x: Node, row: Node): Node => {
  const rows = rowsOf(x);
  const width = colsOf(x);
  const out = new Float64Array(rows * width);
  for (let r = 0; r < rows; r++) for (let i = 0; i < width; i++) out[r * width + i] = x.value[r * width + i] + row.value[i];
  return tape.record(out, x.shape, [x, row], (g) => {
    if (x.needsGrad) {
      const xg = gradOf(x);
      for (let i = 0; i < g.length; i++) xg[i] += g[i];
    }
    if (row.needsGrad) {
      const rg = gradOf(row);
      for (let r = 0; r < rows; r++) for (let i = 0; i < width; i++) rg[i] += g[r * width + i];
    }
  });
};

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
    const scale = factor * term.masks.value[term.index];
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
          for (let c = 0; c < w; c++) dot += q[qi + c] * k[kj + c];
          out[base + j] += scale * dot;
        }
      }
    }
  }
  const inputs = [...new Set(terms.flatMap((t) => [t.q, t.k, t.masks]))];
  return tape.record(out, [batch, T, T], inputs, (g) => {
    for (const term of terms) {
      const w = colsOf(term.k);
      const shared = rowsOf(term.q) === 1;
      const m = term.masks.value[term.index];
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
            const gs = g[base + j];
            if (gs === 0) continue;
            const kj = (b * T + j) * w;
            for (let c = 0; c < w; c++) gk[c] += gs * k[kj + c];
            if (kg !== undefined) {
              const f = gs * factor * m;
              for (let c = 0; c < w; c++) kg[kj + c] += f * q[qi + c];
            }
          }
          for (let c = 0; c < w; c++) {
            dm += q[qi + c] * gk[c];
            if (qg !== undefined) qg[qi + c] += factor * m * gk[c];
          }
        }
      }
      if (term.masks.needsGrad) gradOf(term.masks)[term.index] += factor * dm;
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
      for (let j = 0; j <= i; j++) max = Math.max(max, scores.value[base + j]);
      let total = 0;
      for (let j = 0; j <= i; j++) {
        out[base + j] = Math.exp(scores.value[base + j] - max);
        total += out[base + j];
      }
      for (let j = 0; j <= i; j++) out[base + j] /= total;
    }
  }
  return tape.record(out, scores.shape, [scores], (g) => {
    const sg = gradOf(scores);
    for (let b = 0; b < batch; b++) {
      for (let i = 0; i < T; i++) {
        const base = (b * T + i) * T;
        let dot = 0;
        for (let j = 0; j <= i; j++) dot += g[base + j] * out[base + j];
        for (let j = 0; j <= i; j++) sg[base + j] += out[base + j] * (g[base + j] - dot);
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
        const a = weights.value[(b * T + i) * T + j];
        if (a === 0) continue;
        const v = (b * T + j) * w;
        for (let c = 0; c < w; c++) out[o + c] += a * values.value[v + c];
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
          const at = (b * T + i) * T + j;
          const v = (b * T + j) * w;
          let dot = 0;
          for (let c = 0; c < w; c++) {
            dot += g[o + c] * values.value[v + c];
            if (vg !== undefined) vg[v + c] += weights.value[at] * g[o + c];
          }
          if (wg !== undefined) wg[at] += dot;
        }
      }
    }
  });
};

/** (x − mean(x)) ⊙ scale per row, no shift: the linear part of an affine normalisation. */
export const centerScale = (tape: Tape, x: Node, scale: Float64Array): Node => affineNorm(tape, x, scale, new Float64Array(scale.length));

/** Σ factors[i] · nodes[i], all of one shape. */
export const linearCombination = (tape: Tape, nodes: readonly Node[], factors: readonly number[]): Node => {
  const out = new Float64Array(nodes[0].value.length);
  nodes.forEach((n, k) => {
    for (let i = 0; i < out.length; i++) out[i] += factors[k] * n.value[i];
  });
  return tape.record(out, nodes[0].shape, nodes, (g) => {
    nodes.forEach((n, k) => {
      if (!n.needsGrad) return;
      const ng = gradOf(n);
      for (let i = 0; i < g.length; i++) ng[i] += factors[k] * g[i];
    });
  });
};
