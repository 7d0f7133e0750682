/**
 * The MLP chambers on tiny hand-built spaces: the exact units each writes (worked out by hand from
 * the construction's formulas) and what those units compute on every input value.
 */
import { describe, expect, it } from 'vitest';
import type { Value } from '../../../../src/ast/value.js';
import {
  discretisingMlp,
  gatedDiscretisingMlp,
  linearMlp,
  magnitudeOf,
  pairTableMlp,
  tableMlp,
} from '../../../../src/craft/chambers/mlps.js';
import { sopSpace } from '../../../../src/craft/sopSpace.js';
import { at, BOS_POSITION, runMlp } from '../../../support/craftBlocks.js';

const a = sopSpace('a', 'categorical', [1, 2, 3]);
const parity = sopSpace('o', 'categorical', [0, 1]);
const odd = (v: Value): Value => (v as number) % 2;

describe('magnitudeOf', () => {
  it('1 for one-hot directions and unknown ones, the largest |value| (at least 1) for numerical ones', () => {
    const m = magnitudeOf([a, sopSpace('x', 'numerical', [-3, 0.5]), sopSpace('y', 'numerical', [0.25])]);
    expect(['a:1', 'x', 'y', 'elsewhere'].map(m)).toEqual([1, 3, 1, 1]);
  });
});

describe('tableMlp', () => {
  it('exact input: one unit per output value when there are fewer outputs than inputs', () => {
    const c = tableMlp(a, true, odd, parity);
    expect(c.block).toEqual({
      kind: 'mlp',
      role: 'table-mlp',
      units: [
        { input: [['a:1', 1], ['a:3', 1], ['bos', -3]], output: [['o:1', 1]] },
        { input: [['a:2', 1], ['bos', -2]], output: [['o:0', 1]] },
      ],
    });
    expect(c.tolerance).toEqual({});
    expect(c.gain).toEqual({ a: 1 });
  });

  it('exact input: one unit per input value when there are no more inputs than outputs', () => {
    const c = tableMlp(a, true, (v) => v, sopSpace('o', 'categorical', [1, 2, 3]));
    expect(c.block.units).toEqual([1, 2, 3].map((v) => ({ input: [[`a:${v}`, 1], ['bos', -2]], output: [[`o:${v}`, 1]] })));
  });

  it('noisy input: a 0/1 step per output value, tolerance 0.25', () => {
    const c = tableMlp(a, false, odd, parity);
    expect(c.block.units).toEqual([
      { input: [['a:1', 2], ['a:3', 2], ['one', -0.5], ['bos', -4.5]], output: [['o:1', 1]] },
      { input: [['a:1', 2], ['a:3', 2], ['one', -1.5], ['bos', -4.5]], output: [['o:1', -1]] },
      { input: [['a:2', 2], ['one', -0.5], ['bos', -2.5]], output: [['o:0', 1]] },
      { input: [['a:2', 2], ['one', -1.5], ['bos', -2.5]], output: [['o:0', -1]] },
    ]);
    expect(c.tolerance).toEqual({ a: 0.25 });
    expect(c.gain).toEqual({});
  });

  it('computes the table on every value (exact and noisy forms), None writes nothing, BOS stays clean', () => {
    for (const exact of [true, false]) {
      const block = tableMlp(a, exact, (v) => (v === 2 ? null : odd(v)), parity).block;
      expect(runMlp(block, at({ 'a:1': 1 }))).toEqual({ 'o:1': 1 });
      expect(runMlp(block, at({ 'a:2': 1 }))).toEqual({});
      expect(runMlp(block, at({ 'a:3': 1 }))).toEqual({ 'o:1': 1 });
      expect(runMlp(block, BOS_POSITION)).toEqual({});
    }
  });
});

describe('linearMlp', () => {
  const x = sopSpace('x', 'numerical', [-3, 1]);
  const y = sopSpace('y', 'numerical', [-5, 3]);

  it('z and −z units (BOS gate from the largest |x|) when z can be negative', () => {
    const c = linearMlp([['x', 2]], 1, y, false, { x: 2 }, [x]);
    expect(c.block).toEqual({
      kind: 'mlp',
      role: 'linear-mlp',
      units: [
        { input: [['x', 2], ['one', 1], ['bos', -8]], output: [['y', 1]] },
        { input: [['x', -2], ['one', -1], ['bos', -6]], output: [['y', -1]] },
      ],
    });
    expect(c.gain).toEqual({ x: 2 });
    expect(runMlp(c.block, at({ x: -3 }))).toEqual({ y: -5 });
    expect(runMlp(c.block, at({ x: 1 }))).toEqual({ y: 3 });
  });

  it('one unit when z never goes below zero', () => {
    expect(linearMlp([['x', 2]], 1, y, true, { x: 2 }, [x]).block.units).toEqual([{ input: [['x', 2], ['one', 1], ['bos', -8]], output: [['y', 1]] }]);
  });
});

describe('pairTableMlp', () => {
  const b = sopSpace('b', 'categorical', [1, 2]);
  const ab = sopSpace('a', 'categorical', [1, 2]);
  const sum = (p: Value, q: Value): Value => (p as number) + (q as number);

  it('exact inputs: ReLU(a_u + b_w − 1) per pair with an output in the set', () => {
    const c = pairTableMlp(ab, b, true, sum, sopSpace('o', 'categorical', [2, 3]));
    expect(c.block).toEqual({
      kind: 'mlp',
      role: 'pair-table-mlp',
      units: [
        { input: [['a:1', 1], ['b:1', 1], ['one', -1], ['bos', -2]], output: [['o:2', 1]] },
        { input: [['a:1', 1], ['b:2', 1], ['one', -1], ['bos', -2]], output: [['o:3', 1]] },
        { input: [['a:2', 1], ['b:1', 1], ['one', -1], ['bos', -2]], output: [['o:3', 1]] },
      ],
    });
    expect(c.gain).toEqual({ a: 1, b: 1 });
    expect(runMlp(c.block, at({ 'a:2': 1, 'b:1': 1 }))).toEqual({ 'o:3': 1 });
    expect(runMlp(c.block, at({ 'a:2': 1, 'b:2': 1 }))).toEqual({});
  });

  it('the same s-op twice: only the diagonal, read with weight 2', () => {
    const c = pairTableMlp(ab, ab, true, sum, sopSpace('o', 'categorical', [2, 3, 4]));
    expect(c.block.units).toEqual([
      { input: [['a:1', 2], ['one', -1], ['bos', -2]], output: [['o:2', 1]] },
      { input: [['a:2', 2], ['one', -1], ['bos', -2]], output: [['o:4', 1]] },
    ]);
  });

  it('noisy inputs: a step of a_u + b_w at 1.5, tolerance 0.125 each', () => {
    const c = pairTableMlp(ab, b, false, sum, sopSpace('o', 'categorical', [2]));
    expect(c.block.units).toEqual([
      { input: [['a:1', 2], ['b:1', 2], ['one', -2.5], ['bos', -2.5]], output: [['o:2', 1]] },
      { input: [['a:1', 2], ['b:1', 2], ['one', -3.5], ['bos', -2.5]], output: [['o:2', -1]] },
    ]);
    expect(c.tolerance).toEqual({ a: 0.125, b: 0.125 });
    expect(runMlp(c.block, at({ 'a:1': 1, 'b:1': 1 }))).toEqual({ 'o:2': 1 });
    expect(runMlp(c.block, at({ 'a:1': 1, 'b:2': 1 }))).toEqual({});
  });
});

describe('discretisingMlp', () => {
  const x = sopSpace('x', 'numerical', [0, 1, 2, 3]);
  const atLeast2 = (v: number): Value => (v >= 2 ? 1 : 0);

  it('the first value as a constant unit, then one step where the output changes', () => {
    const c = discretisingMlp(x, atLeast2, parity);
    expect(c.block).toEqual({
      kind: 'mlp',
      role: 'discretising-mlp',
      units: [
        { input: [['one', 1], ['bos', -2]], output: [['o:0', 1]] },
        { input: [['x', 2], ['one', -2.5], ['bos', -4.5]], output: [['o:1', 1], ['o:0', -1]] },
        { input: [['x', 2], ['one', -3.5], ['bos', -4.5]], output: [['o:1', -1], ['o:0', 1]] },
      ],
    });
    expect(c.tolerance).toEqual({ x: 0.25 });
    expect([0, 1, 2, 3].map((v) => runMlp(c.block, at({ x: v })))).toEqual([{ 'o:0': 1 }, { 'o:0': 1 }, { 'o:0': 0, 'o:1': 1 }, { 'o:0': 0, 'o:1': 1 }]);
  });

  it('fixed width (Tracr mode): the band ends at the threshold', () => {
    const c = discretisingMlp(x, atLeast2, parity, 'tracr', 0, 0.5);
    expect(c.block.role).toBe('tracr');
    expect(c.block.units.slice(1)).toEqual([
      { input: [['x', 2], ['one', -2], ['bos', -5]], output: [['o:1', 1], ['o:0', -1]] },
      { input: [['x', 2], ['one', -3], ['bos', -5]], output: [['o:1', -1], ['o:0', 1]] },
    ]);
  });
});

describe('gatedDiscretisingMlp', () => {
  const gate = sopSpace('g', 'categorical', ['p', 'q']);
  const x = sopSpace('x', 'numerical', [0, 1]);
  const y = sopSpace('y', 'numerical', [0, 1]);
  const f = (u: Value, v: number): Value => (u === 'p' ? v : 0);

  it('a step of x gated by g = p, switched off by a shift G(1 − g_p) with G = (range + δ)/width + 2', () => {
    const c = gatedDiscretisingMlp(gate, true, x, f, y);
    expect(c.gateStrength).toBe(6);
    expect(c.block).toEqual({
      kind: 'mlp',
      role: 'gated-discretising-mlp',
      units: [
        { input: [['x', 2], ['g:"p"', 6], ['one', -6.5], ['bos', -2.5]], output: [['y', 1]] },
        { input: [['x', 2], ['g:"p"', 6], ['one', -7.5], ['bos', -2.5]], output: [['y', -1]] },
      ],
    });
    expect(c.tolerance).toEqual({ x: 0.125 });
    expect(c.gain).toEqual({ g: 0 });
    const y1 = (g: string, v: number): number => runMlp(c.block, at({ [`g:"${g}"`]: 1, x: v })).y ?? 0;
    expect([y1('p', 0), y1('p', 1), y1('q', 0), y1('q', 1)]).toEqual([0, 1, 0, 0]);
  });

  it('a noisy gate gets a step for its base value and a tolerance of 0.25 / G', () => {
    const c = gatedDiscretisingMlp(gate, false, x, (u, v) => (u === 'q' ? 1 : v), y);
    expect(c.block.units).toEqual([
      { input: [['x', 2], ['g:"p"', 6], ['one', -6.5], ['bos', -2.5]], output: [['y', 1]] },
      { input: [['x', 2], ['g:"p"', 6], ['one', -7.5], ['bos', -2.5]], output: [['y', -1]] },
      { input: [['g:"q"', 2], ['one', -0.5], ['bos', -2.5]], output: [['y', 1]] },
      { input: [['g:"q"', 2], ['one', -1.5], ['bos', -2.5]], output: [['y', -1]] },
    ]);
    const y1 = (g: string, v: number): number => runMlp(c.block, at({ [`g:"${g}"`]: 1, x: v })).y ?? 0;
    expect([y1('p', 0), y1('p', 1), y1('q', 0), y1('q', 1)]).toEqual([0, 1, 1, 1]);
    expect(c.tolerance).toEqual({ x: 0.125, g: 0.25 / 6 });
    expect(c.gain).toEqual({});
  });
});
