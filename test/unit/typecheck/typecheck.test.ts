import * as Either from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import * as D from '../../../src/ast/dsl.js';
import * as E from '../../../src/ast/expr.js';
import type { SOp } from '../../../src/ast/program.js';
import type { Value } from '../../../src/ast/value.js';
import type { Diagnostic } from '../../../src/diagnostics.js';
import { makeBounds, checkInput, type Bounds } from '../../../src/typecheck/bounds.js';
import { typecheck } from '../../../src/passes/compile.js';
import type { TypedProgram } from '../../../src/typecheck/typecheck.js';
import { ValueSet } from '../../../src/typecheck/valueSet.js';

const bounds = (vocab: Value[], maxLen: number, causal = false): Bounds => {
  const b = makeBounds(vocab, maxLen, causal);
  if (Either.isLeft(b)) throw new Error('bad bounds in test');
  return b.right;
};

const ok = (p: SOp, b: Bounds): TypedProgram => {
  const r = typecheck(p, b);
  if (Either.isLeft(r)) throw new Error(`unexpected rejection: ${r.left.map((d) => d.message).join('; ')}`);
  return r.right;
};

const rejected = (p: SOp, b: Bounds): readonly Diagnostic[] => {
  const r = typecheck(p, b);
  if (Either.isRight(r)) throw new Error('expected a rejection');
  return r.left;
};

const valuesOf = (t: TypedProgram, node: SOp): readonly Value[] =>
  (t.inference.valueSets.get(t.graph.idOf.get(node) as number) as ValueSet).values;

const x = E.v('x');
const fracPrevs = (bools: SOp): SOp =>
  D.named(D.aggregate(D.select(D.indices, D.indices, D.LEQ), D.numerical(bools), 0), 'frac_prevs');

describe('value sets', () => {
  it('a numerical mean of 0/1 values takes every k/w, not only 1/w (Tracr defect 2)', () => {
    const frac = fracPrevs(D.eq(D.tokens, 'l'));
    const t = ok(frac, bounds(['h', 'e', 'l', 'o'], 5));
    const vs = valuesOf(t, frac) as number[];
    const expected = new Set<number>();
    for (let w = 1; w <= 5; w++) for (let k = 0; k <= w; k++) expected.add(k / w);
    expect(vs.length).toBe(expected.size);
    for (const e of expected) expect(vs.some((v) => Math.abs(v - e) < 1e-12)).toBe(true);
  });

  it('a map after frac_prevs sees every k/w (x*x contains (2/3)^2 and (3/4)^2)', () => {
    const frac = fracPrevs(D.eq(D.tokens, 'l'));
    const sq = D.numerical(D.map(D.lambda(['x'], E.binary('*', x, x)), frac));
    const vs = valuesOf(ok(sq, bounds(['h', 'l'], 5)), sq) as number[];
    for (const e of [4 / 9, 9 / 16, 4 / 25, 16 / 25]) expect(vs.some((v) => Math.abs(v - e) < 1e-12)).toBe(true);
  });

  it('float noise never makes two entries (0.1 + 0.2 and 0.3), and results are canonical fractions', () => {
    expect(ValueSet.of([0.1 + 0.2, 0.3, 0.30000000000000004]).size).toBe(1);
    expect(ValueSet.of([0.1 + 0.2, 0.3]).has(0.3)).toBe(true);
    expect(ValueSet.of([1, 2]).has(1.5)).toBe(false);
    const m = D.numerical(D.map(D.lambda(['x'], E.binary('+', E.binary('+', x, E.lit(0.1)), E.lit(0.2))), D.full(0)));
    const s = D.numerical(D.sequenceMap(D.lambda(['x', 'y'], E.binary('+', x, E.v('y'))), m, D.numerical(D.full(-0.3))));
    const t = ok(s, bounds(['a'], 3));
    expect(valuesOf(t, m)).toHaveLength(1);
    // results are canonical fractions, so 0.1 + 0.2 - 0.3 is exactly 0
    expect(valuesOf(t, s)).toEqual([0]);
  });

  it('length is exactly {1..N}, causal or not; opp = length - indices - 1 is exactly {0..N-1}', () => {
    const opp = D.sub(D.sub(D.length, D.indices), 1);
    for (const causal of [false, true]) {
      const t = ok(opp, bounds(['a', 'b'], 7, causal));
      expect(valuesOf(t, D.length)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      expect(valuesOf(t, opp)).toEqual(causal ? [0] : [0, 1, 2, 3, 4, 5, 6]);
    }
  });

  it('selector widths: 0..N in general, 1..N when every query selects itself', () => {
    const hist = D.selectorWidth(D.select(D.tokens, D.tokens, D.EQ));
    const less = D.selectorWidth(D.select(D.tokens, D.tokens, D.LT));
    const t1 = ok(hist, bounds(['a', 'b'], 4));
    expect(valuesOf(t1, hist)).toEqual([1, 2, 3, 4]);
    const t2 = ok(less, bounds(['a', 'b'], 4));
    expect(valuesOf(t2, less)).toEqual([0, 1, 2, 3, 4]);
  });

  it('a categorical aggregate includes its default only when the selection can be empty', () => {
    const shifted = D.aggregate(D.select(D.indices, D.indices, D.lambda(['k', 'q'], E.binary('==', E.v('q'), E.binary('+', E.v('k'), E.lit(1))))), D.tokens);
    expect(valuesOf(ok(shifted, bounds(['a', 'b'], 4)), shifted)).toEqual([null, 'a', 'b']);
    const same = D.aggregate(D.select(D.tokens, D.tokens, D.EQ), D.tokens);
    expect(valuesOf(ok(same, bounds(['a', 'b'], 4)), same)).toEqual(['a', 'b']);
  });

  it('a numerical aggregate over a selector that picks at most one index keeps the values as they are', () => {
    const prev = D.aggregate(
      D.select(D.indices, D.indices, D.lambda(['k', 'q'], E.binary('==', E.v('q'), E.binary('+', E.v('k'), E.lit(1))))),
      D.numerical(D.map(D.lambda(['x'], E.binary('*', x, E.lit(10))), D.tokens)),
      0,
    );
    expect(valuesOf(ok(prev, bounds([1, 2], 6)), prev)).toEqual([0, 10, 20]);
  });

  it('a function that fails on some input values is a warning, not a rejection', () => {
    const inv = D.numerical(D.map(D.lambda(['x'], E.binary('/', E.lit(1), x)), D.tokens));
    const t = ok(inv, bounds([0, 1, 2], 3));
    expect(valuesOf(t, inv)).toEqual([0.5, 1]);
    expect(t.warnings.map((w) => w.code)).toContain('value-set/function-fails');
  });
});

describe('compilability rules', () => {
  const b = bounds(['a', 'b', 'c'], 5);

  it('rejects a numerical aggregate of strings, naming the node, the rule and a fix', () => {
    const bad = D.named(D.aggregate(D.select(D.tokens, D.tokens, D.EQ), D.numerical(D.tokens), 0), 'bad_mean');
    const [d] = rejected(bad, b);
    expect(d?.code).toBe('rule/numerical-values');
    expect(d?.node).toBe('bad_mean');
    expect(d?.fix).toMatch(/categorical|numbers/);
  });

  it('rejects an aggregate whose encoding differs from its s-op', () => {
    const bad = D.named(D.numerical(D.aggregate(D.select(D.tokens, D.tokens, D.EQ), D.map(D.lambda(['x'], E.lit(1)), D.tokens))), 'mixed');
    const ds = rejected(bad, b);
    expect(ds.map((d) => d.code)).toContain('rule/aggregate-encoding');
    expect(ds.find((d) => d.code === 'rule/aggregate-encoding')?.node).toBe('mixed');
  });

  it('rejects a numerical aggregate with a None default', () => {
    const ones = D.numerical(D.map(D.lambda(['x'], E.lit(1)), D.tokens));
    const bad = D.aggregate(D.select(D.tokens, D.tokens, D.LT), ones, null);
    expect(rejected(bad, b).map((d) => d.code)).toContain('rule/numerical-values');
  });

  it('compiles a non-affine sequence map of two numerical inputs by discretising one input first', () => {
    const n1 = D.numerical(D.indices);
    const n2 = D.numerical(D.map(D.lambda(['x'], E.lit(2)), D.tokens));
    const product = D.numerical(D.sequenceMap(D.lambda(['x', 'y'], E.binary('*', x, E.v('y'))), n1, D.numerical(D.length)));
    const t = ok(product, b);
    const out = t.graph.nodes[t.graph.output];
    expect(t.plan.nodes.get(t.graph.output)?.construction).toBe('gated-discretising-mlp');
    const inputs = out?.children.map((c) => t.graph.nodes[c]);
    expect(inputs?.some((g) => g?.label.endsWith('_discrete') && (g.node as SOp).encoding === 'categorical')).toBe(true);
    const affine = D.numerical(D.sequenceMap(D.lambda(['x', 'y'], E.binary('-', x, E.binary('*', E.lit(3), E.v('y')))), n1, n2));
    const t2 = ok(affine, b);
    expect(t2.plan.nodes.get(t2.graph.output)?.construction).toBe('linear-mlp');
    expect(t2.graph.nodes.some((g) => g.label.endsWith('_discrete'))).toBe(false);
  });

  it('rejects numerical keys, accepts a numerical query with ==, rejects one with <', () => {
    const numIdx = D.numerical(D.indices);
    expect(rejected(D.aggregate(D.select(numIdx, D.indices, D.EQ), D.tokens), b).map((d) => d.code)).toContain('rule/numerical-key');
    const t = ok(D.aggregate(D.select(D.indices, numIdx, D.EQ), D.tokens), b);
    expect(t.plan.nodes.get(t.graph.output)?.selector?.numericalQuery).toBe(true);
    expect(rejected(D.aggregate(D.select(D.indices, numIdx, D.LT), D.tokens), b).map((d) => d.code)).toContain('rule/numerical-query');
  });

  it('plans composite selectors: a conjunction natively, a general | over tuples', () => {
    const and = D.selectorWidth(D.selectorAnd(D.select(D.tokens, D.tokens, D.EQ), D.select(D.indices, D.indices, D.LT)));
    const t1 = ok(and, b);
    expect(t1.plan.nodes.get(t1.graph.output)?.selector?.kind).toBe('score-conjunction');
    const sortSel = D.selectorOr(
      D.select(D.tokens, D.tokens, D.LT),
      D.selectorAnd(D.select(D.tokens, D.tokens, D.EQ), D.select(D.indices, D.indices, D.LT)),
    );
    // a general | becomes one select over (token, index) tuples, computed by an MLP first
    const t2 = ok(D.selectorWidth(sortSel), b);
    expect(t2.plan.nodes.get(t2.graph.output)?.selector?.kind).toBe('score-table');
    const tupleNodes = t2.graph.nodes.filter((g) => /_(tuple|keys|queries)$/.test(g.label));
    expect(tupleNodes).toHaveLength(1);
    expect(t2.inference.valueSets.get(tupleNodes[0]?.id as number)?.size).toBe(3 * 5);
    const withNone = D.selectorWidth(
      D.selectorOr(
        D.select(D.aggregate(D.select(D.indices, D.indices, D.LT), D.tokens), D.tokens, D.LT),
        D.selectorAnd(D.select(D.tokens, D.tokens, D.EQ), D.select(D.indices, D.indices, D.LT)),
      ),
    );
    expect(rejected(withNone, b).map((d) => d.code)).toContain('rule/composite-none');
    const sameSops = D.selectorWidth(D.selectorOr(D.select(D.tokens, D.tokens, D.LT), D.select(D.tokens, D.tokens, D.EQ)));
    const t3 = ok(sameSops, b);
    expect(t3.plan.nodes.get(t3.graph.output)?.selector?.kind).toBe('score-table');
  });
});

describe('bounds and inputs', () => {
  it('rejects an empty vocabulary, duplicates and a bad max length', () => {
    const r = makeBounds(['a', 'a'], 0);
    expect(Either.isLeft(r) && r.left.map((d) => d.code)).toEqual(['bounds/vocab', 'bounds/max-len']);
    expect(Either.isLeft(makeBounds([], 3))).toBe(true);
  });

  it('names the position of an out-of-vocabulary token, and rejects empty or too-long inputs', () => {
    const b = bounds(['a', 'b'], 3);
    const [d] = checkInput(['a', 'z'], b);
    expect(d?.where).toBe('input position 1');
    expect(d?.message).toContain('"z"');
    expect(checkInput([], b).map((x) => x.code)).toEqual(['input/empty']);
    expect(checkInput(['a', 'a', 'a', 'a'], b).map((x) => x.code)).toEqual(['input/too-long']);
    expect(checkInput([1], bounds(['1'], 3)).map((x) => x.code)).toEqual(['input/out-of-vocabulary']);
  });
});
