import { describe, expect, it } from 'vitest';
import { BOS, ONE } from '../../../../src/craft/basis.js';
import type { MlpBlock } from '../../../../src/craft/blocks.js';
import { widthToIntegerMlp } from '../../../../src/craft/chambers/numericWidth.js';

const N = 256;
const f = Math.fround;
type Residual = Readonly<Record<string, number>>;

const runExact = (block: MlpBlock, x: Residual): number =>
  block.units.reduce((out, u) => {
    const h = Math.max(0, u.input.reduce((s, [d, w]) => s + w * (x[d] ?? 0), 0));
    return out + u.output.reduce((s, [, w]) => s + w * h, 0);
  }, 0);

/** Every weight, product and sum rounded to float32, as an exported model computes the MLP. */
const runFloat32 = (block: MlpBlock, x: Residual): number => {
  let out = 0;
  for (const u of block.units) {
    let pre = 0;
    for (const [d, w] of u.input) pre = f(pre + f(f(w) * f(x[d] ?? 0)));
    const h = Math.max(0, pre);
    for (const [, w] of u.output) out = f(out + f(f(w) * h));
  }
  return out;
};

const at = (a: number): Residual => ({ [ONE]: 1, aux: a });

describe('width-to-integer MLP', () => {
  const { block, tolerance } = widthToIntegerMlp('aux', N, 'width');

  it('uses 2 hidden units per possible width and writes one numerical direction', () => {
    expect(block.units).toHaveLength(2 * N);
    expect(new Set(block.units.flatMap((u) => u.output.map(([d]) => d)))).toEqual(new Set(['width']));
    expect(tolerance).toBeCloseTo(1 / (4 * N * (N + 1)), 15);
  });

  it('returns w exactly (float64) for BOS weight 1/(w+1), anywhere within the tolerance, for every w ≤ 256', () => {
    for (let w = 0; w <= N; w++) {
      for (const e of [-tolerance, 0, tolerance]) expect(Math.abs(runExact(block, at(1 / (w + 1) + e)) - w)).toBeLessThan(1e-6);
    }
  });

  it('is off at the BOS position (input 1 there, BOS attends to itself)', () => {
    expect(runExact(block, { [ONE]: 1, [BOS]: 1, aux: 1 })).toBe(0);
  });

  it('in float32 at N = 256 stays within 1e-3 of w (measured: 2.9e-4; docs/compiler.md)', () => {
    let worst = 0;
    for (let w = 0; w <= N; w++) {
      for (const e of [-0.99 * tolerance, 0, 0.99 * tolerance]) worst = Math.max(worst, Math.abs(runFloat32(block, at(1 / (w + 1) + e)) - w));
    }
    expect(worst).toBeLessThan(1e-3);
    expect(worst).toBeGreaterThan(0);
  });
});
