/** Causal multi-head softmax attention on the tape (ops.ts), GPT-2's. */
import { colsOf, gradOf, type Node, type Tape } from './tape.js';
import { at } from '../../util/at.js';

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
          for (let c = 0; c < dh; c++) dot += at(q.value, qi + c) * at(k.value, kj + c);
          scores[j] = dot * scale;
          if (at(scores, j) > max) max = at(scores, j);
        }
        let total = 0;
        for (let j = 0; j <= i; j++) {
          const e = Math.exp(at(scores, j) - max);
          weights[wBase + i * T + j] = e;
          total += e;
        }
        const oi = (b * T + i) * width + h * dh;
        for (let j = 0; j <= i; j++) {
          const w = at(weights, wBase + i * T + j) / total;
          weights[wBase + i * T + j] = w;
          const vj = (b * T + j) * width + h * dh;
          for (let c = 0; c < dh; c++) out[oi + c] = at(out, oi + c) + (w * at(v.value, vj + c));
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
            const w = at(weights, wBase + i * T + j);
            let dot = 0;
            for (let c = 0; c < dh; c++) {
              dot += at(g, oi + c) * at(v.value, vj + c);
              if (vg !== undefined) vg[vj + c] = at(vg, vj + c) + (w * at(g, oi + c));
            }
            dw[j] = dot;
            weighted += w * dot;
          }
          if (qg === undefined && kg === undefined) continue;
          const qi = oi;
          for (let j = 0; j <= i; j++) {
            const ds = at(weights, wBase + i * T + j) * (at(dw, j) - weighted) * scale;
            if (ds === 0) continue;
            const kj = (b * T + j) * width + h * dh;
            for (let c = 0; c < dh; c++) {
              if (qg !== undefined) qg[qi + c] = at(qg, qi + c) + (ds * at(k.value, kj + c));
              if (kg !== undefined) kg[kj + c] = at(kg, kj + c) + (ds * at(q.value, qi + c));
            }
          }
        }
      }
    }
  });
};

