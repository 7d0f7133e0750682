import { describe, expect, it } from 'vitest';
import { stepUnits, termsBound, unit } from '../../../../src/craft/chambers/units.js';
import { BOS_POSITION, runMlp } from '../../../support/craftBlocks.js';

describe('unit', () => {
  it('adds the bias on `one` and a BOS switch-off above bias + atBos', () => {
    expect(unit([['a', 2]], 0.5, [['o', 1]], 3)).toEqual({ input: [['a', 2], ['one', 0.5], ['bos', -4.5]], output: [['o', 1]] });
  });

  it('omits a zero bias and switches off with −1 when nothing reaches BOS', () => {
    expect(unit([['a', 1]], 0, [['o', -2]])).toEqual({ input: [['a', 1], ['bos', -1]], output: [['o', -2]] });
  });

  it('is silent at BOS even with its inputs at their bound there', () => {
    const u = unit([['a', 2]], 0.5, [['o', 1]], 3);
    expect(runMlp({ kind: 'mlp', role: 't', units: [u] }, { ...BOS_POSITION, a: 1.5 })).toEqual({});
  });
});

describe('termsBound', () => {
  it('is Σ |w| · magnitude', () => {
    expect(termsBound([['a', 2], ['b', -3]], (d) => (d === 'a' ? 5 : 1))).toBe(13);
  });
});

describe('stepUnits', () => {
  it('two units: the step centred on the threshold, width 1', () => {
    expect(stepUnits([['x', 1]], 0, 2, 1, [['o', 1]])).toEqual([
      { input: [['x', 1], ['one', -1.5], ['bos', -1]], output: [['o', 1]] },
      { input: [['x', 1], ['one', -2.5], ['bos', -1]], output: [['o', -1]] },
    ]);
  });

  it('scales terms and bias by the width and gates BOS above atBos', () => {
    expect(stepUnits([['x', 2]], 1, 3, 0.5, [['o', 2]], 4)).toEqual([
      { input: [['x', 4], ['one', -3.5], ['bos', -5.5]], output: [['o', 2]] },
      { input: [['x', 4], ['one', -4.5], ['bos', -5.5]], output: [['o', -2]] },
    ]);
  });

  it('is exactly 0 below the band, 1 above it, linear inside', () => {
    const block = { kind: 'mlp' as const, role: 'step', units: stepUnits([['x', 1]], 0, 2, 1, [['o', 1]]) };
    const o = (x: number): number => runMlp(block, { one: 1, x }).o ?? 0;
    expect([0, 1.5, 2, 2.5, 7].map(o)).toEqual([0, 0, 0.5, 1, 1]);
  });
});
