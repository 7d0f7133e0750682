/**
 * Differentiable ops on the tape (tape.ts). Activations are row-major [rows, width] matrices,
 * rows = batch × sequence positions. Each op computes its value eagerly and records how to push
 * its output gradient into its inputs. Attention: attention.ts, scores.ts; pruning's masks: masks.ts.
 */
import { geluNew } from '../activations.js';
import { colsOf, gradOf, rowsOf, type Node, type Tape } from './tape.js';
import { at } from '../../util/at.js';

/** out[r] = table[ids[r]]: an embedding lookup. */
export const gather = (tape: Tape, table: Node, ids: Int32Array): Node => {
  const width = colsOf(table);
  const out = new Float64Array(ids.length * width);
  for (let r = 0; r < ids.length; r++) out.set(table.value.subarray(at(ids, r) * width, (at(ids, r) + 1) * width), r * width);
  return tape.record(out, [ids.length, width], [table], (g) => {
    if (!table.needsGrad) return;
    const tg = gradOf(table);
    for (let r = 0; r < ids.length; r++) {
      const base = at(ids, r) * width;
      for (let c = 0; c < width; c++) tg[base + c] = at(tg, base + c) + at(g, r * width + c);
    }
  });
};

/** Σ inputs, all of one shape. */
export const addAll = (tape: Tape, inputs: readonly Node[]): Node => {
  const out = new Float64Array(at(inputs, 0).value.length);
  for (const n of inputs) for (let i = 0; i < out.length; i++) out[i] = at(out, i) + at(n.value, i);
  return tape.record(out, at(inputs, 0).shape, inputs, (g) => {
    for (const n of inputs) {
      if (!n.needsGrad) continue;
      const ng = gradOf(n);
      for (let i = 0; i < g.length; i++) ng[i] = at(ng, i) + at(g, i);
    }
  });
};

/** x [rows, k] · w [k, m] (+ bias [m]). */
export const linear = (tape: Tape, x: Node, w: Node, bias?: Node): Node => {
  const rows = rowsOf(x);
  const k = colsOf(x);
  const m = colsOf(w);
  if (at(w.shape, 0) !== k) throw new Error(`linear: ${rows}×${k} · ${w.shape.join('×')}`);
  const out = new Float64Array(rows * m);
  const xv = x.value;
  const wv = w.value;
  for (let r = 0; r < rows; r++) {
    const o = r * m;
    if (bias !== undefined) out.set(bias.value, o);
    for (let i = 0; i < k; i++) {
      const a = at(xv, r * k + i);
      if (a === 0) continue;
      const wb = i * m;
      for (let j = 0; j < m; j++) out[o + j] = at(out, o + j) + (a * at(wv, wb + j));
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
          for (let j = 0; j < m; j++) s += at(g, r * m + j) * at(wv, wb + j);
          xg[r * k + i] = at(xg, r * k + i) + s;
        }
      }
    }
    if (w.needsGrad) {
      const wg = gradOf(w);
      for (let r = 0; r < rows; r++) {
        for (let i = 0; i < k; i++) {
          const a = at(xv, r * k + i);
          if (a === 0) continue;
          const wb = i * m;
          for (let j = 0; j < m; j++) wg[wb + j] = at(wg, wb + j) + (a * at(g, r * m + j));
        }
      }
    }
    if (bias !== undefined && bias.needsGrad) {
      const bg = gradOf(bias);
      for (let r = 0; r < rows; r++) for (let j = 0; j < m; j++) bg[j] = at(bg, j) + at(g, r * m + j);
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
      for (let i = 0; i < k; i++) s += at(xv, r * k + i) * at(wv, j * k + i);
      out[r * m + j] = s;
    }
  }
  return tape.record(out, [rows, m], [x, w], (g) => {
    const xg = x.needsGrad ? gradOf(x) : undefined;
    const wg = w.needsGrad ? gradOf(w) : undefined;
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < m; j++) {
        const gj = at(g, r * m + j);
        if (gj === 0) continue;
        for (let i = 0; i < k; i++) {
          if (xg !== undefined) xg[r * k + i] = at(xg, r * k + i) + (gj * at(wv, j * k + i));
          if (wg !== undefined) wg[j * k + i] = at(wg, j * k + i) + (gj * at(xv, r * k + i));
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
    for (let i = 0; i < d; i++) mean += at(x.value, b + i);
    mean /= d;
    let variance = 0;
    for (let i = 0; i < d; i++) variance += (at(x.value, b + i) - mean) ** 2;
    variance /= d;
    const inv = 1 / Math.sqrt(variance + eps);
    inverseStd[r] = inv;
    for (let i = 0; i < d; i++) {
      const n = (at(x.value, b + i) - mean) * inv;
      normed[b + i] = n;
      out[b + i] = n * at(gamma.value, i) + at(beta.value, i);
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
        const dn = at(g, b + i) * at(gamma.value, i);
        sumDn += dn;
        sumDnN += dn * at(normed, b + i);
        if (gg !== undefined) gg[i] = at(gg, i) + (at(g, b + i) * at(normed, b + i));
        if (bg !== undefined) bg[i] = at(bg, i) + at(g, b + i);
      }
      if (xg === undefined) continue;
      const inv = at(inverseStd, r);
      for (let i = 0; i < d; i++) {
        const dn = at(g, b + i) * at(gamma.value, i);
        xg[b + i] = at(xg, b + i) + (inv * (dn - sumDn / d - (at(normed, b + i) * sumDnN) / d));
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
    for (let i = 0; i < d; i++) mean += at(x.value, b + i);
    mean /= d;
    for (let i = 0; i < d; i++) out[b + i] = (at(x.value, b + i) - mean) * at(scale, i) + at(shift, i);
  }
  return tape.record(out, [rows, d], [x], (g) => {
    const xg = gradOf(x);
    for (let r = 0; r < rows; r++) {
      const b = r * d;
      let mean = 0;
      for (let i = 0; i < d; i++) mean += at(g, b + i) * at(scale, i);
      mean /= d;
      for (let i = 0; i < d; i++) xg[b + i] = at(xg, b + i) + (at(g, b + i) * at(scale, i) - mean);
    }
  });
};

const SQRT_TWO_OVER_PI = Math.sqrt(2 / Math.PI);

/** HF gelu_new, elementwise. */
export const gelu = (tape: Tape, x: Node): Node => {
  const out = new Float64Array(x.value.length);
  for (let i = 0; i < out.length; i++) out[i] = geluNew(at(x.value, i));
  return tape.record(out, x.shape, [x], (g) => {
    const xg = gradOf(x);
    for (let i = 0; i < g.length; i++) {
      const v = at(x.value, i);
      const inner = SQRT_TWO_OVER_PI * (v + 0.044715 * v * v * v);
      const t = Math.tanh(inner);
      const dInner = SQRT_TWO_OVER_PI * (1 + 3 * 0.044715 * v * v);
      xg[i] = at(xg, i) + (at(g, i) * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * dInner));
    }
  });
};

/** max(x, 0), elementwise. */
export const reluOp = (tape: Tape, x: Node): Node => {
  const out = x.value.map((v) => (v > 0 ? v : 0));
  return tape.record(out, x.shape, [x], (g) => {
    const xg = gradOf(x);
    for (let i = 0; i < g.length; i++) if (at(x.value, i) > 0) xg[i] = at(xg, i) + at(g, i);
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
  for (let r = 0; r < rows; r++) for (let i = 0; i < width; i++) out[r * width + i] = at(x.value, r * width + i) + at(row.value, i);
  return tape.record(out, x.shape, [x, row], (g) => {
    if (x.needsGrad) {
      const xg = gradOf(x);
      for (let i = 0; i < g.length; i++) xg[i] = at(xg, i) + at(g, i);
    }
    if (row.needsGrad) {
      const rg = gradOf(row);
      for (let r = 0; r < rows; r++) for (let i = 0; i < width; i++) rg[i] = at(rg, i) + at(g, r * width + i);
    }
  });
};
/** (x − mean(x)) ⊙ scale per row, no shift: the linear part of an affine normalisation. */
export const centerScale = (tape: Tape, x: Node, scale: Float64Array): Node => affineNorm(tape, x, scale, new Float64Array(scale.length));

/** Σ factors[i] · nodes[i], all of one shape. */
export const linearCombination = (tape: Tape, nodes: readonly Node[], factors: readonly number[]): Node => {
  const out = new Float64Array(at(nodes, 0).value.length);
  nodes.forEach((n, k) => {
    for (let i = 0; i < out.length; i++) out[i] = at(out, i) + (at(factors, k) * at(n.value, i));
  });
  return tape.record(out, at(nodes, 0).shape, nodes, (g) => {
    nodes.forEach((n, k) => {
      if (!n.needsGrad) return;
      const ng = gradOf(n);
      for (let i = 0; i < g.length; i++) ng[i] = at(ng, i) + (at(factors, k) * at(g, i));
    });
  });
};
