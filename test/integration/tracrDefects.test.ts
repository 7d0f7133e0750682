/** Regression tests: each known defect of Tracr (SPEC §4), at the sizes where Tracr fails. */
import * as Either from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import * as D from '../../src/ast/dsl.js';
import * as E from '../../src/ast/expr.js';
import type { Node, SOp } from '../../src/ast/program.js';
import type { Value } from '../../src/ast/value.js';
import { findEntry, makeSort, makeSortFreq } from '../../src/lib/index.js';
import { PreparedModel, tokenIds, type Trace } from '../../src/model/forward.js';
import { runModel } from '../../src/model/run.js';
import { buildGraph } from '../../src/ast/graph.js';
import { evaluate } from '../../src/interpreter/evaluate.js';
import { allInputs, bounds, compiled, disagreement, randomInputs } from '../support/check.js';

const lib = (name: string): SOp => {
  const e = findEntry(name);
  if (e === undefined) throw new Error(`no library program ${name}`);
  return e.build();
};

describe('Tracr defect 1: selector width (length, reverse, hist, sort, sort_freq) exact at max length 32', () => {
  // Tracr's sort and sort_freq take the max length as a parameter (to make keys unique)
  const cases: [string, () => SOp, Value[]][] = [
    ['length', () => lib('length'), ['a', 'b', 'c', 'd']],
    ['reverse', () => lib('reverse'), ['a', 'b', 'c', 'd']],
    ['hist', () => lib('hist'), ['a', 'b', 'c', 'd']],
    ['sort', () => makeSort(D.tokens, D.tokens, { maxSeqLen: 32, minKey: 1 }), [1, 2, 3, 4]],
    ['sort_freq', () => makeSortFreq(32), [1, 2, 3, 4]],
  ];
  for (const [name, build, vocab] of cases) {
    it(`${name}: every length 1..32, random inputs`, () => {
      const program = build();
      const c = compiled(program, bounds(vocab, 32));
      const r = disagreement(program, c, randomInputs(vocab, 32, 8, 7));
      expect(r.mismatch).toBeUndefined();
      expect(r.compared).toBe(32 * 8);
    });
  }
  it('length reads exactly n at every n ≤ 32 (Tracr reads 6.89, 7.69, … from n = 10)', () => {
    const c = compiled(lib('length'), bounds(['a'], 32));
    for (let n = 1; n <= 32; n++) {
      const out = runModel(c.model, new Array<Value>(n).fill('a'));
      expect(out).toEqual(Either.right(new Array<Value>(n).fill(n)));
    }
  });
});

describe('Tracr defect 2: a numerical map after frac_prevs sees every k/w', () => {
  it('x*x of frac_prevs is exact at max length 10', () => {
    const frac = lib('frac_prevs');
    const square = D.numerical(D.map(D.lambda(['x'], E.binary('*', E.v('x'), E.v('x'))), frac));
    const vocab = ['h', 'e', 'l', 'o'];
    const c = compiled(square, bounds(vocab, 10));
    const r = disagreement(square, c, [...allInputs(['h', 'l'], 10), ...randomInputs(vocab, 10, 40, 3)]);
    expect(r.mismatch).toBeUndefined();
    expect(r.compared).toBe(2046 + 400);
  });
});

describe('Tracr defect 3: shuffle_dyck2 discretisation gap', () => {
  it('answers 1 for "()" and "({)}" at max length 16', () => {
    const c = compiled(lib('shuffle_dyck2'), bounds(['(', ')', '{', '}'], 16));
    expect(runModel(c.model, ['(', ')'])).toEqual(Either.right([true, true]));
    expect(runModel(c.model, ['(', '{', ')', '}'])).toEqual(Either.right([true, true, true, true]));
    expect(runModel(c.model, ['(', ')', ')'])).toEqual(Either.right([false, false, false]));
  });
});

describe('Tracr defect 4: categorical → numerical maps keep negative values', () => {
  it('a table with negative outputs decodes exactly', () => {
    const table = D.numerical(D.map(D.lambda(['x'], E.table([['a', -3], ['b', 2], ['c', -0.5]], E.v('x'))), D.tokens));
    const c = compiled(table, bounds(['a', 'b', 'c'], 4));
    expect(runModel(c.model, ['a', 'b', 'c', 'a'])).toEqual(Either.right([-3, 2, -0.5, -3]));
    const mean = D.aggregate(D.select(D.indices, D.indices, D.LEQ), table, 0);
    const m = compiled(mean, bounds(['a', 'b', 'c'], 4));
    expect(disagreement(mean, m, allInputs(['a', 'b', 'c'], 4)).mismatch).toBeUndefined();
  });
});

describe('Tracr defect 5: PAD positions are masked out of attention', () => {
  it('padded inputs give the same output as unpadded ones', () => {
    for (const name of ['reverse', 'hist', 'sort', 'shift_by_1', 'frac_prevs']) {
      const e = findEntry(name);
      if (e === undefined) throw new Error(name);
      const prepared = new PreparedModel(compiled(e.build(), bounds(e.vocab, e.maxLen)).model);
      for (const input of randomInputs(e.vocab, e.maxLen - 1, 5, 11)) {
        expect(runModel(prepared, input, e.maxLen)).toEqual(runModel(prepared, input));
      }
    }
  });
});

describe('Tracr defect 6: a None default is decoded as None', () => {
  it('shift_by gives None where nothing is selected, not the smallest value', () => {
    const c = compiled(lib('shift_by_2'), bounds(['a', 'b', 'c', 'd'], 5));
    expect(runModel(c.model, ['a', 'b', 'c', 'd'])).toEqual(Either.right([null, null, 'a', 'b']));
  });
  it('a non-None categorical default is decoded as that value', () => {
    const p = D.aggregate(D.select(D.indices, D.indices, D.lambda(['k', 'q'], E.binary('==', E.v('q'), E.binary('+', E.v('k'), E.lit(1))))), D.tokens, '-');
    const c = compiled(p, bounds(['a', 'b'], 4));
    expect(runModel(c.model, ['a', 'b', 'b'])).toEqual(Either.right(['-', 'a', 'b']));
  });
});

describe('Tracr defect 7: attention logits are not divided by √d_head', () => {
  it('the selector-width head puts weight 1/(n+1) on BOS within its leakage bound, with a wide head', () => {
    const c = compiled(lib('length'), bounds(['a', 'b', 'c', 'd'], 32));
    expect(c.model.config.attn_scale).toBe(1);
    const node = c.model.manifest.nodes.find((n) => n.label === 'length');
    const leakage = node?.margins['leakage'] as number;
    expect(leakage).toBeGreaterThan(0);
    const prepared = new PreparedModel(c.model);
    for (const n of [1, 10, 32]) {
      const trace: Trace = { residuals: [], attention: [] };
      prepared.run(tokenIds(c.model, new Array<Value>(n).fill('b')) as Int32Array, trace);
      const pattern = (trace.attention[0] as Float64Array[])[0] as Float64Array;
      const T = n + 1;
      for (let q = 1; q < T; q++) expect(Math.abs((pattern[q * T] as number) - 1 / (n + 1))).toBeLessThanOrEqual(leakage);
    }
  });
});

describe('Tracr defect 8: graph extraction is linear in the depth of shared sub-expressions', () => {
  it('a 60-deep doubly-shared program (2^60 paths) builds its graph and evaluates at once', () => {
    let a: SOp = D.indices;
    let b: SOp = D.tokens;
    for (let i = 0; i < 60; i++) {
      const na = D.sequenceMap(D.lambda(['x', 'y'], E.binary('max', E.v('x'), E.lit(0))), a, b);
      const nb = D.sequenceMap(D.lambda(['x', 'y'], E.v('y')), a, b);
      a = na;
      b = nb;
    }
    const out = D.sequenceMap(D.lambda(['x', 'y'], E.v('x')), a, b);
    const started = performance.now();
    const g = buildGraph(out);
    expect(Either.isRight(g) && g.right.nodes.length).toBe(2 + 2 * 60 + 1);
    expect(evaluate(out, [1, 2, 3])).toEqual(Either.right([0, 1, 2]));
    expect(performance.now() - started).toBeLessThan(2000);
    const sharedChildren = (n: Node): number => (Either.isRight(g) ? g.right.idOf.get(n) ?? -1 : -1);
    expect(sharedChildren(out)).toBe(2 + 2 * 60);
  });
});
