/**
 * The attention chambers on tiny hand-built spaces: the exact score and OV weights (worked out by
 * hand from the construction's formulas) and the scores they give every (query, key) pair.
 */
import { describe, expect, it } from 'vitest';
import type { Value } from '../../../../src/ast/value.js';
import {
  bosCleanup,
  categoricalAggregateHead,
  defaultVector,
  maskPadKeys,
  numericalAggregateHead,
  numericalQueryScore,
  selectorWidthHead,
  tableScore,
  type ScoreGroup,
} from '../../../../src/craft/chambers/attention.js';
import { sopSpace } from '../../../../src/craft/sopSpace.js';
import { at, BOS_POSITION, score } from '../../../support/craftBlocks.js';

const q = sopSpace('q', 'categorical', [1, 2]);
const k = sopSpace('k', 'categorical', [1, 2]);
// Python's `==` would select None against None; these tests keep None unselected unless they say so
const equal: ScoreGroup = { query: q, key: k, holds: (key, query) => key !== null && key === query };

describe('tableScore', () => {
  it('one group: 1 on the selected cells, the BOS key at bosScore, the BOS query far above', () => {
    const s = tableScore([equal], 0.5);
    expect(s.weights).toEqual([
      ['q:1', 'k:1', 1],
      ['q:2', 'k:2', 1],
      ['one', 'bos', 0.5],
      ['bos', 'one', -3.5],
      ['bos', 'bos', 7],
    ]);
    expect(s.gap).toBe(0.5);
    expect(s.magnitude).toBe(1);
  });

  it('scores every pair as the selector says; BOS ties with selected keys at bosScore 1 (selector width)', () => {
    const w = tableScore([{ ...equal, holds: (key, query) => key !== null && query !== null && (key as number) <= (query as number) }], 1).weights;
    const s = (qv: number, kv: number): number => score(w, at({ [`q:${qv}`]: 1 }), at({ [`k:${kv}`]: 1 }));
    expect([s(1, 1), s(1, 2), s(2, 1), s(2, 2)]).toEqual([1, 0, 1, 1]);
    expect(score(w, at({ 'q:1': 1 }), BOS_POSITION)).toBe(1);
    expect(score(w, BOS_POSITION, BOS_POSITION) - score(w, BOS_POSITION, at({ 'k:2': 1 }))).toBeGreaterThan(3);
  });

  it('None on either side is the `one` row and column (inclusion–exclusion)', () => {
    const noneSelectsAll: ScoreGroup = { ...equal, holds: (key, query) => query === null || (key !== null && key === query) };
    const s = tableScore([noneSelectsAll], 0.5);
    expect(s.weights).toEqual([
      ['q:1', 'k:1', 1],
      ['q:1', 'one', -1],
      ['q:1', 'bos', 1],
      ['q:2', 'k:2', 1],
      ['q:2', 'one', -1],
      ['q:2', 'bos', 1],
      ['one', 'one', 1],
      ['one', 'bos', -0.5],
      ['bos', 'one', -3.5],
      ['bos', 'bos', 7],
    ]);
    // a None query (no q direction) selects every key
    expect(score(s.weights, at({}), at({ 'k:2': 1 }))).toBe(1);
    expect(score(s.weights, at({ 'q:1': 1 }), at({ 'k:2': 1 }))).toBe(0);
    expect(score(s.weights, at({ 'q:1': 1 }), BOS_POSITION)).toBe(0.5);
  });

  it('several groups are a conjunction: Σ T_g − (G − 1)', () => {
    const r = sopSpace('r', 'categorical', ['x']);
    const m = sopSpace('m', 'categorical', ['y']);
    const never: ScoreGroup = { query: r, key: m, holds: () => false };
    const w = tableScore([equal, never], 0.5).weights;
    expect(w).toEqual([
      ['q:1', 'k:1', 1],
      ['q:2', 'k:2', 1],
      ['one', 'one', -1],
      ['one', 'bos', 1.5],
      ['bos', 'one', -3.5],
      ['bos', 'bos', 7],
    ]);
    expect(score(w, at({ 'q:1': 1, 'r:"x"': 1 }), at({ 'k:1': 1, 'm:"y"': 1 }))).toBe(0);
  });
});

describe('numericalQueryScore', () => {
  const x = sopSpace('x', 'numerical', [1, 2, 3]);
  const keys = sopSpace('k', 'categorical', [1, 2, 3]);
  const g: ScoreGroup = { query: x, key: keys, holds: (key, query) => key === query };

  it('one line per run of query values, crossing at the midpoints, scaled to a gap of 0.5', () => {
    const s = numericalQueryScore(g);
    expect(s.weights).toEqual([
      ['one', 'one', -1],
      ['one', 'k:1', 1],
      ['one', 'k:2', -0.5],
      ['one', 'k:3', -3],
      ['one', 'bos', -1],
      ['x', 'k:2', 1],
      ['x', 'k:3', 2],
      ['bos', 'one', -7],
      ['bos', 'bos', 14],
    ]);
    expect(s.gap).toBe(0.5);
    expect(s.magnitude).toBe(5);
  });

  it('the selected key wins by the gap for every query value', () => {
    const w = numericalQueryScore(g).weights;
    for (const v of [1, 2, 3]) {
      const scores = [1, 2, 3].map((kv) => score(w, at({ x: v }), at({ [`k:${kv}`]: 1 })));
      const selected = scores[v - 1] as number;
      const others = [...scores.filter((_, i) => i !== v - 1), score(w, at({ x: v }), BOS_POSITION)];
      expect(selected - Math.max(...others)).toBeGreaterThanOrEqual(0.5);
    }
  });

  it('a query value selecting nothing lets BOS win', () => {
    const w = numericalQueryScore({ ...g, holds: (key, query) => key === query && query !== 3 }).weights;
    const bos = score(w, at({ x: 3 }), BOS_POSITION);
    for (const kv of [1, 2, 3]) expect(bos - score(w, at({ x: 3 }), at({ [`k:${kv}`]: 1 }))).toBeGreaterThanOrEqual(0.5);
  });
});

describe('maskPadKeys', () => {
  it('scores `pad` keys −P, P = (what the index keys can add) + 2·(gap + 1)', () => {
    const indices = sopSpace('indices', 'categorical', [0, 1]);
    const base = tableScore([{ query: q, key: indices, holds: (key, query) => key === (query as number) - 1 }], 0.5);
    const masked = maskPadKeys(base, [q, q], [indices]);
    expect(masked.padPenalty).toBe(4);
    expect(masked.weights).toEqual([...base.weights, ['one', 'pad', -4]]);
    expect(masked.gap).toBe(base.gap);
  });

  it('P = 2·(gap + 1) when the PAD keys hold nothing the score reads', () => {
    const masked = maskPadKeys(tableScore([equal], 0.5), [q], [sopSpace('indices', 'categorical', [0, 1])]);
    expect(masked.padPenalty).toBe(3);
  });
});

describe('heads', () => {
  const base = tableScore([equal], 0.5);
  const value = sopSpace('v', 'categorical', [1, 2]);
  const out = sopSpace('o', 'categorical', [1, 2, 3]);

  it('categorical aggregate: QK scaled by β, OV copies the one-hot, BOS writes the default', () => {
    const h = categoricalAggregateHead(base, 10, value, out, 3);
    expect(h).toEqual({
      kind: 'head',
      role: 'categorical-attention',
      qk: base.weights.map(([a, b, w]) => [a, b, 10 * w]),
      ov: [
        ['v:1', 'o:1', 1],
        ['v:2', 'o:2', 1],
        ['bos', 'o:3', 1],
      ],
    });
    expect(categoricalAggregateHead(base, 10, value, out, null).ov).toHaveLength(2);
  });

  it('defaultVector: a numerical default as a scalar, none for 0, None or a value outside the set', () => {
    const y = sopSpace('y', 'numerical', [0, 2.5]);
    expect(defaultVector(y, 2.5)).toEqual([['y', 2.5]]);
    expect(defaultVector(y, true)).toEqual([['y', 1]]);
    expect(defaultVector(y, 0)).toEqual([]);
    expect(defaultVector(out, null)).toEqual([]);
    expect(defaultVector(out, 7 as Value)).toEqual([]);
    expect(defaultVector(out, 2)).toEqual([['o:2', 1]]);
  });

  it('numerical aggregate: value → output 1, BOS carries a non-zero default', () => {
    const v = sopSpace('v', 'numerical', [0, 1]);
    const y = sopSpace('y', 'numerical', [0, 1, 4]);
    expect(numericalAggregateHead(base, 2, v, y, 0).ov).toEqual([['v', 'y', 1]]);
    expect(numericalAggregateHead(base, 2, v, y, 4)).toEqual({
      kind: 'head',
      role: 'numerical-attention',
      qk: base.weights.map(([a, b, w]) => [a, b, 2 * w]),
      ov: [
        ['v', 'y', 1],
        ['bos', 'y', 4],
      ],
    });
  });

  it('selector width: BOS → the auxiliary direction', () => {
    expect(selectorWidthHead(base, 3, 'aux')).toEqual({ kind: 'head', role: 'selector-width-attention', qk: base.weights.map(([a, b, w]) => [a, b, 3 * w]), ov: [['bos', 'aux', 1]] });
  });

  it('BOS clean-up: one unit on `bos` writing minus what the default wrote', () => {
    expect(bosCleanup([['o:3', 1], ['y', -2]])).toEqual({ kind: 'mlp', role: 'bos-cleanup', units: [{ input: [['bos', 1]], output: [['o:3', -1], ['y', 2]] }] });
  });
});
