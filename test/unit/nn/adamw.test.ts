import { describe, expect, it } from 'vitest';
import { AdamW, clipGradients, learningRateAt } from '../../../src/nn/adamw.js';

const settings = { learningRate: 0.1, beta1: 0.9, beta2: 0.98, epsilon: 1e-8, weightDecay: 0.01 };

describe('AdamW', () => {
  it('one step by hand: bias-corrected moments are g and g², so each weight moves by lr·g/(|g| + ε) plus the decay', () => {
    const decayed = Float64Array.of(1, -2);
    const kept = Float64Array.of(3);
    const optimizer = new AdamW(settings);
    const grads = new Map([
      [decayed, Float64Array.of(0.5, -0.1)],
      [kept, Float64Array.of(2)],
    ]);
    optimizer.update(grads, 0.1, (p) => p === decayed);
    expect(decayed[0]).toBeCloseTo(1 - 0.1 * (0.5 / (0.5 + 1e-8)) - 0.1 * 0.01 * 1, 14);
    expect(decayed[1]).toBeCloseTo(-2 + 0.1 * (0.1 / (0.1 + 1e-8)) + 0.1 * 0.01 * 2, 14);
    expect(kept[0]).toBeCloseTo(3 - 0.1 * (2 / (2 + 1e-8)), 14);
  });

  it('a second step by hand: the moments carry the first gradient', () => {
    const p = Float64Array.of(0);
    const optimizer = new AdamW({ ...settings, weightDecay: 0 });
    optimizer.update(new Map([[p, Float64Array.of(1)]]), 0.1, () => true);
    const afterFirst = p[0] ?? NaN;
    expect(afterFirst).toBeCloseTo(-0.1 / (1 + 1e-8), 14);
    optimizer.update(new Map([[p, Float64Array.of(-1)]]), 0.1, () => true);
    // m = 0.9·0.1 + 0.1·(−1) = −0.01, v = 0.98·0.02 + 0.02 = 0.0396; corrected by 1 − 0.9² and 1 − 0.98².
    const m = -0.01 / (1 - 0.81);
    const v = 0.0396 / (1 - 0.9604);
    expect(p[0]).toBeCloseTo(afterFirst - (0.1 * m) / (Math.sqrt(v) + 1e-8), 14);
  });
});

describe('the learning-rate schedule and gradient clipping', () => {
  it('warms up linearly, then decays by a cosine to 10 %', () => {
    expect(learningRateAt(1, 0, 100, 10)).toBeCloseTo(0.1, 15);
    expect(learningRateAt(1, 9, 100, 10)).toBeCloseTo(1, 15);
    expect(learningRateAt(1, 10, 100, 10)).toBeCloseTo(1, 15);
    expect(learningRateAt(1, 55, 100, 10)).toBeCloseTo(0.55, 15);
    expect(learningRateAt(1, 100, 100, 10)).toBeCloseTo(0.1, 15);
  });

  it('scales gradients to the global norm bound and returns the norm before', () => {
    const a = Float64Array.of(3, 0);
    const b = Float64Array.of(4);
    const grads = new Map([
      [new Float64Array(2), a],
      [new Float64Array(1), b],
    ]);
    expect(clipGradients(grads, 1)).toBeCloseTo(5, 15);
    expect(a[0]).toBeCloseTo(0.6, 15);
    expect(a[1]).toBe(0);
    expect(b[0]).toBeCloseTo(0.8, 15);
    expect(clipGradients(grads, 10)).toBeCloseTo(1, 15);
    expect(b[0]).toBeCloseTo(0.8, 15);
  });
});
