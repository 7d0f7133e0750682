/** The rewrite passes, each on a small program with the exact program it produces. */
import * as Either from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import * as D from '../../../src/ast/dsl.js';
import * as E from '../../../src/ast/expr.js';
import { absorbMaps } from '../../../src/passes/absorbMaps.js';
import { discretiseNumericalPairs } from '../../../src/passes/discretiseNumericalPairs.js';
import { fuseMaps } from '../../../src/passes/fuseMaps.js';
import { normaliseSelectors } from '../../../src/passes/normaliseSelectors.js';
import { tupleSelectors } from '../../../src/passes/tupleSelectors.js';
import { analyse } from '../../../src/typecheck/typecheck.js';
import { bounds } from '../../support/check.js';
import { checked, recheck, right, source } from './support.js';

const b = bounds([1, 2, 3], 3);
const x = E.v('x');
const y = E.v('y');

describe('discretise numerical pairs', () => {
  const a = D.named(D.numerical(D.map(D.lambda(['x'], x), D.tokens)), 'a');
  const twice = D.named(D.numerical(D.map(D.lambda(['x'], E.binary('*', x, E.lit(2))), D.tokens)), 'b');

  it('x * y of two numerical s-ops gets its first input (fewer values, or the first on a tie) through a categorical copy', () => {
    const prod = D.named(D.sequenceMap(D.lambda(['x', 'y'], E.binary('*', x, y)), a, twice), 'prod');
    const r = right(discretiseNumericalPairs(right(analyse(prod, b))));
    expect(source(r.program)).toBe(
      ['a = numerical(map(x -> x, tokens));', 'a_discrete = map(x -> x, a);', 'b = numerical(map(x -> x * 2, tokens));', 'prod = sequence_map((x, y) -> x * y, a_discrete, b);', ''].join('\n'),
    );
  });

  it('a sequence map of one numerical and one categorical input is left as it is (the same analysis)', () => {
    const mixed = D.named(D.sequenceMap(D.lambda(['x', 'y'], E.binary('*', x, y)), a, D.tokens), 'mixed');
    const analysed = right(analyse(mixed, b));
    expect(right(discretiseNumericalPairs(analysed))).toBe(analysed);
  });
});

describe('tuple selectors', () => {
  it('a | (b & c) over two (query, key) pairs becomes one select over (tokens, indices) tuples', () => {
    const sel = D.selectorOr(D.select(D.tokens, D.tokens, D.EQ), D.selectorAnd(D.select(D.indices, D.indices, D.LT), D.select(D.tokens, D.tokens, D.LT)));
    const r = right(tupleSelectors(right(analyse(D.named(D.selectorWidth(sel), 'w'), b))));
    expect(source(r.program)).toMatch(
      /^(\w+)_tuple = sequence_map\(\(x, y\) -> \(x, y\), tokens, indices\);\nw = selector_width\(select\(\1_tuple, \1_tuple, \(k, q\) -> k\[0\] == q\[0\] or k\[1\] < q\[1\] and k\[0\] < q\[0\]\)\);\n$/,
    );
  });

  it('is refused (rule compositeNone) when an s-op of the tuple may be None', () => {
    // an aggregate that may select nothing is None there
    const maybe = D.named(D.aggregate(D.select(D.tokens, D.tokens, D.LT), D.tokens), 'maybe');
    const sel = D.selectorOr(D.select(maybe, maybe, D.EQ), D.selectorAnd(D.select(D.indices, D.indices, D.LT), D.select(maybe, maybe, D.LT)));
    const r = tupleSelectors(right(analyse(D.selectorWidth(sel), b)));
    // once as the queries' component, once as the keys'
    expect(Either.isLeft(r) && r.left.map((d) => [d.code, d.message.slice(0, 17)])).toEqual([
      ['rule/composite-none', 'maybe may be None'],
      ['rule/composite-none', 'maybe may be None'],
    ]);
  });
});

describe('normalise selectors', () => {
  it('the width of two disjoint selects is the sum of two widths', () => {
    const sel = D.selectorOr(D.select(D.tokens, D.tokens, D.LT), D.select(D.tokens, D.tokens, D.GT));
    const r = right(normaliseSelectors(right(analyse(D.named(D.selectorWidth(sel), 'w'), b))));
    expect(source(r.program)).toBe('w = sequence_map((x, y) -> x + y, selector_width(select(tokens, tokens, <)), selector_width(select(tokens, tokens, >)));\n');
  });
});

describe('fuse maps', () => {
  it('map(x -> x * 2, map(x -> x + 1, tokens)) becomes one map of the composition', () => {
    const m1 = D.named(D.map(D.lambda(['x'], E.binary('+', x, E.lit(1))), D.tokens), 'm1');
    const m2 = D.named(D.map(D.lambda(['x'], E.binary('*', x, E.lit(2))), m1), 'm2');
    const r = right(fuseMaps({ typed: checked(m2, [1, 2, 3], 3), notes: ['before'] }, recheck));
    expect(source(r.typed.program)).toBe('m2 = map(x0 -> (x0 + 1) * 2, tokens);\n');
    expect(r.notes).toEqual(['before', 'fused consecutive MLP steps: m1 into m2']);
  });

  it('a map read by two nodes is not fused (the input comes back unchanged)', () => {
    const m1 = D.named(D.map(D.lambda(['x'], E.binary('+', x, E.lit(1))), D.tokens), 'm1');
    const m2 = D.map(D.lambda(['x'], E.binary('*', x, E.lit(2))), m1);
    const both = D.aggregate(D.select(m1, m1, D.EQ), m2);
    const n = { typed: checked(both, [1, 2, 3], 3), notes: [] };
    expect(right(fuseMaps(n, recheck))).toBe(n);
  });
});

describe('absorb maps', () => {
  it('a map read only as select keys and queries moves into the predicate', () => {
    const neg = D.named(D.map(D.lambda(['x'], E.binary('-', E.lit(0), x)), D.tokens), 'neg');
    const ag = D.named(D.aggregate(D.select(neg, neg, D.LT), D.tokens), 'ag');
    const r = right(absorbMaps({ typed: checked(ag, [1, 2, 3], 3), notes: [] }, recheck));
    expect(source(r.typed.program)).toBe('ag = aggregate(select(tokens, tokens, (k, q) -> 0 - k < 0 - q), tokens);\n');
    expect(r.notes).toEqual(['maps read only by selects absorbed into their predicates: neg']);
  });

  it('a map that is also aggregated stays a node', () => {
    const neg = D.named(D.map(D.lambda(['x'], E.binary('-', E.lit(0), x)), D.tokens), 'neg');
    const ag = D.aggregate(D.select(neg, neg, D.LT), neg);
    const n = { typed: checked(ag, [1, 2, 3], 3), notes: [] };
    expect(right(absorbMaps(n, recheck))).toBe(n);
  });
});
