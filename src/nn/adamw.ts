/**
 * AdamW (decoupled weight decay) over a set of parameter arrays, updated in place.
 */
import { at } from '../util/at.js';
export interface AdamWSettings {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
}

export const ADAMW_DEFAULTS: AdamWSettings = { learningRate: 3e-3, beta1: 0.9, beta2: 0.98, epsilon: 1e-8, weightDecay: 0.01 };

export class AdamW {
  private readonly moments = new Map<Float64Array, { m: Float64Array; v: Float64Array }>();
  private step = 0;

  constructor(private readonly settings: AdamWSettings) {}

  /** One update of every parameter in `grads` with learning rate `learningRate` (the schedule's). */
  update(grads: ReadonlyMap<Float64Array, Float64Array>, learningRate: number, decayed: (p: Float64Array) => boolean): void {
    this.step += 1;
    const { beta1, beta2, epsilon, weightDecay } = this.settings;
    const c1 = 1 - beta1 ** this.step;
    const c2 = 1 - beta2 ** this.step;
    for (const [param, grad] of grads) {
      let state = this.moments.get(param);
      if (state === undefined) {
        state = { m: new Float64Array(param.length), v: new Float64Array(param.length) };
        this.moments.set(param, state);
      }
      const decay = decayed(param) ? learningRate * weightDecay : 0;
      const { m, v } = state;
      for (const [i, p] of param.entries()) {
        const g = at(grad, i);
        const mi = beta1 * at(m, i) + (1 - beta1) * g;
        const vi = beta2 * at(v, i) + (1 - beta2) * g * g;
        m[i] = mi;
        v[i] = vi;
        param[i] = p - (learningRate * (mi / c1) / (Math.sqrt(vi / c2) + epsilon) + decay * p);
      }
    }
  }
}

/** Linear warm-up over `warmup` steps, then cosine decay to 10 % at `total`. */
export const learningRateAt = (base: number, step: number, total: number, warmup: number): number => {
  if (step < warmup) return (base * (step + 1)) / warmup;
  const progress = Math.min(1, (step - warmup) / Math.max(1, total - warmup));
  return base * (0.1 + 0.45 * (1 + Math.cos(Math.PI * progress)));
};

/** Scales the gradients so their global L2 norm is at most `maxNorm`; returns the norm before. */
export const clipGradients = (grads: ReadonlyMap<Float64Array, Float64Array>, maxNorm: number): number => {
  let total = 0;
  for (const g of grads.values()) for (const x of g) total += x * x;
  const norm = Math.sqrt(total);
  if (norm > maxNorm) {
    const f = maxNorm / norm;
    for (const g of grads.values()) g.forEach((x, i) => (g[i] = x * f));
  }
  return norm;
};
