import * as fc from 'fast-check';
import * as Either from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import * as D from '../../../src/ast/dsl.js';
import * as E from '../../../src/ast/expr.js';
import type { Expr } from '../../../src/ast/expr.js';
import { programsEqual } from '../../../src/ast/equality.js';
import { parseProgram } from '../../../src/ast/parser/index.js';
import { numberLiteral, printProgram } from '../../../src/ast/printer.js';
import type { Selector, SOp } from '../../../src/ast/program.js';
import type { Value } from '../../../src/ast/value.js';
import { evaluate } from '../../../src/interpreter/evaluate.js';

const x = E.v('x');
const y = E.v('y');
const k = E.v('k');
const q = E.v('q');
const L = E.lit;
const B = E.binary;

const print = (p: SOp): string => {
  const r = printProgram(p);
  if (Either.isLeft(r)) throw new Error(`print failed: ${JSON.stringify(r.left)}`);
  return r.right;
};

const parse = (text: string): SOp => {
  const r = parseProgram(text);
  if (Either.isLeft(r)) throw new Error(`parse failed: ${JSON.stringify(r.left)}\n${text}`);
  return r.right;
};

/** print, parse back, and require structural equality; returns the text. */
const roundTrip = (p: SOp): string => {
  const text = print(p);
  const back = parse(text);
  if (!programsEqual(back, p)) throw new Error(`round trip changed the program:\n${text}`);
  expect(print(back)).toBe(text);
  return text;
};

const run = (p: SOp, input: readonly Value[]): readonly Value[] => {
  const r = evaluate(p, input);
  if (Either.isLeft(r)) throw new Error(JSON.stringify(r.left));
  return r.right;
};

describe('printing the SPEC reverse program', () => {
  it('prints the statements in order with the parser syntax', () => {
    const source = 'opp = length - indices - 1;\nflip = select(indices, opp, ==);\nreverse = aggregate(flip, tokens);\n';
    expect(print(parse(source))).toBe(
      'opp = sequence_map((x, y) -> x - y - 1, length, indices);\nflip = select(indices, opp, ==);\nreverse = aggregate(flip, tokens);\n',
    );
  });

  it('round-trips the DSL-built reverse (two operator-helper nodes)', () => {
    const opp = D.named(D.sub(D.sub(D.length, D.indices), 1), 'opp');
    const reverse = D.named(D.aggregate(D.named(D.select(D.indices, opp, D.EQ), 'flip'), D.tokens), 'reverse');
    const text = roundTrip(reverse);
    expect(text).toBe(
      'opp = map(x -> x - 1, sequence_map((x, y) -> x - y, length, indices));\n' +
        'flip = select(indices, opp, ==);\n' +
        'reverse = aggregate(flip, tokens);\n',
    );
    expect(run(parse(text), ['a', 'b', 'c'])).toEqual(['c', 'b', 'a']);
  });
});

describe('round trips of DSL programs', () => {
  it('shared anonymous nodes are bound to _ variables, once', () => {
    const m = D.map(D.lambda(['x'], B('+', x, L(1))), D.tokens);
    const twice = D.map(D.lambda(['x'], B('*', x, L(2))), m);
    const p = D.sequenceMap(D.lambda(['x', 'y'], B('*', x, y)), m, twice);
    const text = roundTrip(p);
    const lines = text.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^_map_[0-9a-f]{6} = map\(x -> x \+ 1, tokens\);$/);
    expect(lines[1]).toContain('sequence_map((x, y) -> x * y, _map_');
  });

  it('the same node twice under one parent', () => {
    const m = D.map(D.lambda(['x'], B('%', x, L(3))), D.indices);
    const p = D.sequenceMap(D.lambda(['a', 'b'], B('-', E.v('a'), E.v('b'))), m, m);
    roundTrip(p);
  });

  it('numerical annotations (frac_prevs and numerical maps)', () => {
    const bools = D.numerical(D.eq(D.tokens, 'l'));
    const frac = D.named(D.aggregate(D.select(D.indices, D.indices, D.LEQ), bools, 0), 'frac_prevs');
    const sq = D.named(D.numerical(D.map(D.lambda(['x'], B('*', x, x)), frac)), 'squared');
    const text = roundTrip(sq);
    expect(text).toContain('aggregate(select(indices, indices, <=), numerical(map(x -> x == "l", tokens)))');
    expect(text).toContain('squared = numerical(map(x -> x * x, frac_prevs));');
    const out = run(parse(text), 'hello'.split(''));
    expect(out[4] as number).toBeCloseTo(0.16, 12);
  });

  it('aggregate defaults are printed only when they differ from the parser default', () => {
    const sel = D.named(D.select(D.tokens, D.tokens, D.EQ), 'same');
    const num = D.numerical(D.indices);
    const a = D.named(D.aggregate(sel, D.tokens, 'z'), 'a');
    const b = D.named(D.aggregate(sel, num, 1), 'b');
    const c = D.named(D.aggregate(sel, num), 'c');
    const d = D.named(D.aggregate(sel, D.tokens), 'd');
    const e = D.named(D.categorical(D.aggregate(sel, num)), 'e');
    const f = D.named(D.aggregate(sel, num, false), 'f');
    const g = D.named(D.numerical(D.aggregate(sel, D.indices)), 'g');
    const parts = [a, b, c, d, e, f, g];
    const all = parts.slice(1).reduce((acc, s) => D.sequenceMap(D.lambda(['x', 'y'], E.tuple([x, y])), acc, s), a);
    const text = roundTrip(all);
    expect(text).toContain('a = aggregate(same, tokens, "z");');
    expect(text).toContain('b = aggregate(same, _indices, 1);'.replace('_indices', text.match(/(_indices\w*)/)?.[1] ?? '?'));
    expect(text).toMatch(/c = aggregate\(same, _indices\w*\);/);
    expect(text).toContain('d = aggregate(same, tokens);');
    expect(text).toMatch(/e = categorical\(aggregate\(same, _indices\w*\)\);/);
    expect(text).toMatch(/f = aggregate\(same, _indices\w*, False\);/);
    expect(text).toContain('g = numerical(aggregate(same, indices));');
  });

  it('composite selectors with precedence and sharing', () => {
    const lt = D.select(D.indices, D.indices, D.LT);
    const eq = D.named(D.select(D.tokens, D.tokens, D.EQ), 'eq');
    const either = D.selectorOr(D.select(D.tokens, D.tokens, D.LT), D.selectorAnd(eq, lt));
    const negated = D.selectorNot(D.selectorAnd(either, D.selectorNot(lt)));
    const nested = D.selectorAnd(D.selectorAnd(eq, eq), D.selectorOr(D.selectorOr(lt, eq), D.selectorAnd(lt, D.selectorNot(eq))));
    const w = D.sequenceMap(D.lambda(['x', 'y'], B('+', x, y)), D.selectorWidth(negated), D.selectorWidth(nested));
    const text = roundTrip(w);
    expect(text).toContain('eq = select(tokens, tokens, ==);');
    expect(text).toMatch(/!\(\(select\(tokens, tokens, <\) \| eq & _select_\w+\) & !_select_\w+\)/);
  });

  it('sort: the composite-selector program evaluates the same after the round trip', () => {
    const before = D.named(
      D.selectorOr(D.select(D.tokens, D.tokens, D.LT), D.selectorAnd(D.select(D.tokens, D.tokens, D.EQ), D.select(D.indices, D.indices, D.LT))),
      'before',
    );
    const sort = D.named(D.aggregate(D.select(D.selectorWidth(before), D.indices, D.EQ), D.tokens), 'sort');
    const back = parse(roundTrip(sort));
    expect(run(back, [2, 4, 1, 2])).toEqual([1, 2, 2, 4]);
  });

  it('lambda predicates keep their parameter names', () => {
    const p = D.aggregate(D.select(D.indices, D.indices, D.lambda(['key', 'query'], B('==', E.v('query'), B('+', E.v('key'), L(1))))), D.tokens);
    const text = roundTrip(p);
    expect(text).toBe('aggregate(select(indices, indices, (key, query) -> query == key + 1), tokens);\n');
  });

  it('linear_sequence_map with negative and fractional coefficients, re-encoded', () => {
    const a = D.numerical(D.indices);
    const l1 = D.named(D.linearSequenceMap(a, a, 2, -1), 'l1');
    const l2 = D.categorical(D.linearSequenceMap(l1, D.numerical(D.tokens), 0.5, -0.25));
    const l3 = D.linearSequenceMap(l2, l1, -0, 1e21);
    const text = roundTrip(l3);
    expect(text).toContain('linear_sequence_map(_indices');
    expect(text).toContain(', 2, -1);');
    expect(text).toContain('categorical(linear_sequence_map(l1, numerical(tokens), 0.5, -0.25))');
    expect(text).toContain('-0, 1e+21)');
  });

  it('full of every kind of value', () => {
    const values: Value[] = [3, 'a', [1, 'b'], null, -1, true, [], ['x'], 2.5, 'quote"back\\slash\nnewline', [[1, 2], null]];
    const fulls: SOp[] = values.map((v) => D.full(v));
    // (full(NaN) prints as full(nan), but programsEqual never equates NaN values, so it is left out)
    fulls.push(D.numerical(D.full(2.5)), D.full(Infinity), D.full(-Infinity));
    const p = fulls.slice(1).reduce((acc, f) => D.sequenceMap(D.lambda(['x', 'y'], E.tuple([x, y])), acc, f), fulls[0] as SOp);
    const text = roundTrip(p);
    expect(text).toContain('full((1, "b"))');
    expect(text).toContain('full(())');
    expect(text).toContain('full(("x",))');
    expect(text).toContain('numerical(full(2.5))');
    expect(text).toContain('full(-inf)');
  });

  it('tuples, indexing and tables; tuple literals inside lambdas become constants', () => {
    const pair = D.named(D.sequenceMap(D.lambda(['x', 'y'], E.tuple([x, y])), D.tokens, D.indices), 'pair');
    const first = D.map(D.lambda(['p'], E.index(E.v('p'), L(0))), pair);
    const table = D.map(
      D.lambda(['x'], E.table([[[0, 'a'], 1], ['b', [2, 3]], [null, true]], x)),
      D.sequenceMap(D.lambda(['x', 'y'], E.tuple([y, x])), first, D.indices),
    );
    const literalTuple = D.map(D.lambda(['x'], B('==', x, L([1, 2]))), D.tokens);
    const tupleExpr = D.map(D.lambda(['x'], B('==', x, E.tuple([L(1), L(2)]))), D.tokens);
    const single = D.map(D.lambda(['x'], E.tuple([x])), D.tokens);
    const p = [table, literalTuple, tupleExpr, single].reduce((acc, s) => D.sequenceMap(D.lambda(['x', 'y'], E.tuple([x, y])), acc, s));
    const text = roundTrip(p);
    expect(text).toContain('_tuple = (1, 2);');
    expect(text).toContain('x -> x == _tuple');
    expect(text).toContain('x -> x == (1, 2)');
    expect(text).toContain('{(0, "a"): 1, "b": (2, 3), None: True}[x]');
    expect(text).toContain('x -> (x,)');
    expect(text.split('\n')[0]).toBe('_tuple = (1, 2);');
  });

  it('expression precedence: minimal but correct parentheses', () => {
    const bodies: [Expr, string][] = [
      [B('-', x, L(-1)), 'x - -1'],
      [B('-', x, B('-', x, L(1))), 'x - (x - 1)'],
      [B('-', B('-', x, L(1)), x), 'x - 1 - x'],
      [B('*', B('+', x, L(1)), L(2)), '(x + 1) * 2'],
      [E.unary('neg', L(1)), '-(1)'],
      [E.unary('neg', L(-1)), '- -1'],
      [E.unary('neg', E.unary('neg', x)), '- -x'],
      [E.unary('neg', E.index(x, L(0))), '-x[0]'],
      [E.index(E.unary('neg', x), L(0)), '(-x)[0]'],
      [E.index(L(-1), x), '(-1)[x]'],
      [E.index(L('abc'), x), '"abc"[x]'],
      [E.unary('neg', E.index(L(5), x)), '-5[x]'],
      [B('<', B('<', x, L(1)), L(2)), '(x < 1) < 2'],
      [B('==', x, B('==', x, L(1))), 'x == (x == 1)'],
      [E.unary('not', B('==', x, L(1))), 'not x == 1'],
      [B('==', E.unary('not', x), L(1)), '(not x) == 1'],
      [B('and', E.unary('not', x), x), 'not x and x'],
      [B('and', x, B('and', x, x)), 'x and (x and x)'],
      [B('or', B('and', x, x), x), 'x and x or x'],
      [B('and', B('or', x, x), x), '(x or x) and x'],
      [E.cond(x, L(1), E.cond(B('>', x, L(0)), L(2), L(3))), '1 if x else 2 if x > 0 else 3'],
      [E.cond(E.cond(x, x, x), E.cond(x, x, x), x), '(x if x else x) if (x if x else x) else x'],
      [B('+', E.cond(x, L(1), L(2)), L(1)), '(1 if x else 2) + 1'],
      [B('min', B('+', x, L(1)), E.unary('abs', x)), 'min(x + 1, abs(x))'],
      [B('max', E.unary('round', B('/', x, L(2))), L(-0)), 'max(round(x / 2), -0)'],
      [B('%', x, B('*', x, L(2))), 'x % (x * 2)'],
      [E.unary('not', E.unary('not', x)), 'not not x'],
      [B('*', E.unary('neg', x), L(2)), '-x * 2'],
      [B('+', L(1e-7), L(Infinity)), '1e-7 + inf'],
      [B('*', x, L(NaN)), 'x * nan'],
      [E.index(E.tuple([x, L(1)]), L(1)), '(x, 1)[1]'],
      [E.tuple([]), '()'],
      [E.index(E.table([['a', 1]], x), L(0)), '{"a": 1}[x][0]'],
    ];
    for (const [body, expected] of bodies) {
      const p = D.map(D.lambda(['x'], body), D.tokens);
      const text = roundTrip(p);
      expect(text).toBe(`map(x -> ${expected}, tokens);\n`);
    }
  });

  it('two distinct nodes with the same name keep their names through aliases', () => {
    const xNode = D.named(D.map(D.lambda(['x'], B('+', x, L(1))), D.tokens), 'x');
    const xNum = D.numerical(xNode);
    const p = D.named(D.sequenceMap(D.lambda(['a', 'b'], B('+', E.v('a'), E.v('b'))), xNum, xNode), 'out');
    const text = roundTrip(p);
    expect(text).toContain('x = map(x -> x + 1, tokens);');
    expect(text).toContain('x = numerical(map(x -> x + 1, tokens));');
    expect(text).toMatch(/_x = x;/);
  });

  it('length, numerical(length), named and numerical tokens', () => {
    const numLength = D.numerical(D.length);
    const named = D.named(D.tokens, 'toks');
    const p = [numLength, named, D.numerical(D.tokens), D.named(D.numerical(D.indices), 'ni'), D.length].reduce((acc, s) =>
      D.sequenceMap(D.lambda(['x', 'y'], E.tuple([x, y])), acc, s),
    );
    const text = roundTrip(p);
    expect(text).toContain('numerical(length)');
    expect(text).toContain('toks = tokens;');
    expect(text).toContain('ni = numerical(indices);');
    expect(print(D.length)).toBe('length;\n');
    expect(print(D.tokens)).toBe('tokens;\n');
  });

  it('a node named length that is not the built-in shadows it; the built-in stays reachable', () => {
    const ownLength = D.named(D.selectorWidth(D.named(D.select(D.tokens, D.tokens, D.TRUE), 'all_true_selector')), 'length');
    const p = [D.length, ownLength, D.numerical(D.length), D.map(D.lambda(['x'], B('-', x, L(1))), ownLength)].reduce((acc, s) =>
      D.sequenceMap(D.lambda(['x', 'y'], E.tuple([x, y])), acc, s),
    );
    const text = roundTrip(p);
    expect(text.split('\n')[0]).toBe('_length = length;');
    expect(text).toContain('length = selector_width(all_true_selector);');
    expect(text).toContain('numerical(_length)');
    expect(text).toContain('map(x -> x - 1, length)');
  });

  it('deep chains are split into anonymous statements', () => {
    let p: SOp = D.tokens;
    for (let i = 0; i < 60; i++) p = D.map(D.lambda(['x'], B('+', x, L(1))), p);
    const text = roundTrip(p);
    expect(text.trim().split('\n').length).toBeGreaterThan(2);
    expect(run(parse(text), [0])).toEqual([60]);
  });

  it('selectors of selector_width, full queries and named selectors', () => {
    const s: Selector = D.named(D.select(D.indices, D.full(0), D.EQ), 'at_zero');
    const p = D.named(D.aggregate(s, D.tokens), 'first');
    expect(roundTrip(p)).toBe('at_zero = select(indices, full(0), ==);\nfirst = aggregate(at_zero, tokens);\n');
  });
});

describe('names that are not valid identifiers', () => {
  it('are sanitised, made unique, and the text still parses', () => {
    const a = D.named(D.map(D.lambda(['x'], B('+', x, L(1))), D.tokens), 'my node');
    const b = D.named(D.map(D.lambda(['x'], B('+', x, L(2))), a), 'indices');
    const c = D.named(D.map(D.lambda(['x'], B('+', x, L(3))), b), '_private');
    const d = D.named(D.sequenceMap(D.lambda(['x', 'y'], B('+', x, y)), c, D.named(D.full(1), '3d')), 'map');
    const text = print(d);
    expect(text).toContain('my_node = map(');
    expect(text).toContain('indices_2 = map(');
    expect(text).toContain('v_private = map(');
    expect(text).toContain('v3d = full(1);');
    expect(text).toContain('map_2 = sequence_map(');
    const back = parse(text);
    expect(back.name).toBe('map_2');
    expect(run(back, [0])).toEqual([7]);
  });
});

describe('what cannot be printed', () => {
  it('an opaque function gives Left naming the node', () => {
    const bad = D.named(D.map((v: Value) => v, D.tokens), 'bad');
    const r = printProgram(D.aggregate(D.select(D.indices, D.indices, D.EQ), bad));
    expect(Either.isLeft(r)).toBe(true);
    if (Either.isRight(r)) return;
    expect(r.left).toHaveLength(1);
    expect(r.left[0]?.node).toBe('bad');
    expect(r.left[0]?.message).toContain("cannot print node 'bad'");
    expect(r.left[0]?.message).toContain('opaque');
    expect(r.left[0]?.fix).toContain('lambda');
  });

  it('an opaque select predicate and a lambda with a free variable', () => {
    const r = printProgram(D.selectorWidth(D.select(D.tokens, D.tokens, (a: Value, b: Value) => a === b)));
    expect(Either.isLeft(r)).toBe(true);
    const s = printProgram(D.map(D.lambda(['x'], B('+', x, E.v('z'))), D.tokens));
    expect(Either.isLeft(s) && s.left[0]?.message).toContain("uses 'z'");
  });
});

describe('numbers', () => {
  it('read back as the same double', () => {
    for (const n of [0, -0, 1, -1, 0.1, 1 / 3, 1e21, 1e-7, 5e-324, Number.MAX_VALUE, -123.456, Infinity, -Infinity]) {
      const p = D.map(D.lambda(['x'], B('+', x, L(n))), D.tokens);
      const back = parse(print(p));
      if (back.kind !== 'map' || back.fn.kind !== 'lambda' || back.fn.body.kind !== 'binary') throw new Error('shape');
      const lit = back.fn.body.right;
      expect(lit.kind === 'lit' && Object.is(lit.value, n)).toBe(true);
    }
    expect(numberLiteral(NaN)).toBe('nan');
  });
});

// ---- random programs ----

const exprArb = (params: readonly string[]): fc.Arbitrary<Expr> => {
  const leaf: fc.Arbitrary<Expr> = fc.oneof(
    fc.constantFrom(...params).map(E.v),
    fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom(0.5, -0.5, 1e-7), fc.constantFrom('a', 'b"'), fc.boolean(), fc.constant(null)).map((v) =>
      L(v as Value),
    ),
    fc.constant(L([1, 'a'])),
  );
  const { expr } = fc.letrec<{ expr: Expr }>((tie) => ({
    expr: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.tuple(fc.constantFrom(...E.UNARY_OPS), tie('expr')).map(([op, a]) => E.unary(op, a)),
      fc.tuple(fc.constantFrom(...E.BINARY_OPS), tie('expr'), tie('expr')).map(([op, a, b]) => B(op, a, b)),
      fc.tuple(tie('expr'), tie('expr'), tie('expr')).map(([c, t, o]) => E.cond(c, t, o)),
      fc.array(tie('expr'), { maxLength: 3 }).map(E.tuple),
      fc.tuple(tie('expr'), tie('expr')).map(([t, i]) => E.index(t, i)),
      tie('expr').map((a) => E.table([[1, 'one'], [[2, 'x'], null]], a)),
    ),
  }));
  return expr;
};

type Step =
  | { op: 'map'; body: Expr; a: number; num: boolean; name?: string }
  | { op: 'seq'; body: Expr; a: number; b: number; name?: string }
  | { op: 'lin'; a: number; b: number; c1: number; c2: number; name?: string }
  | { op: 'agg'; keys: number; queries: number; cmp: number; v: number; dflt?: Value; name?: string; combine: number }
  | { op: 'width'; keys: number; queries: number; name?: string }
  | { op: 'full'; value: Value; name?: string };

const nameArb = fc.option(fc.constantFrom('a', 'b', 'out', 'x', 'length', 'weird name'), { nil: undefined });
const idx = fc.nat(1000);

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ op: fc.constant('map' as const), body: exprArb(['x']), a: idx, num: fc.boolean(), name: nameArb }),
  fc.record({ op: fc.constant('seq' as const), body: exprArb(['x', 'y']), a: idx, b: idx, name: nameArb }),
  fc.record({ op: fc.constant('lin' as const), a: idx, b: idx, c1: fc.integer({ min: -2, max: 2 }), c2: fc.constantFrom(1, -1, 0.5), name: nameArb }),
  fc.record({
    op: fc.constant('agg' as const),
    keys: idx,
    queries: idx,
    cmp: fc.nat(8),
    v: idx,
    dflt: fc.option(fc.constantFrom<Value>(0, null, 'z', -1), { nil: undefined }),
    name: nameArb,
    combine: fc.nat(3),
  }),
  fc.record({ op: fc.constant('width' as const), keys: idx, queries: idx, name: nameArb }),
  fc.record({ op: fc.constant('full' as const), value: fc.constantFrom<Value>(1, 'q', [1, 2], null), name: nameArb }),
);

const build = (steps: readonly Step[]): SOp => {
  const pool: SOp[] = [D.tokens, D.indices, D.length];
  const pick = (i: number): SOp => pool[i % pool.length] as SOp;
  const withName = <T extends SOp>(n: T, name: string | undefined): T => (name === undefined ? n : D.named(n, name));
  for (const s of steps) {
    let n: SOp;
    switch (s.op) {
      case 'map':
        n = D.map(D.lambda(['x'], s.body), pick(s.a));
        if (s.num) n = D.numerical(n);
        break;
      case 'seq':
        n = D.sequenceMap(D.lambda(['x', 'y'], s.body), pick(s.a), pick(s.b));
        break;
      case 'lin':
        n = D.linearSequenceMap(pick(s.a), pick(s.b), s.c1, s.c2);
        break;
      case 'agg': {
        const comparisons = [D.EQ, D.NEQ, D.LT, D.LEQ, D.GT, D.GEQ, D.TRUE, D.FALSE] as const;
        let sel: Selector =
          s.cmp === 8
            ? D.select(pick(s.keys), pick(s.queries), D.lambda(['k', 'q'], B('<', k, q)))
            : D.select(pick(s.keys), pick(s.queries), comparisons[s.cmp] as D.Comparison);
        if (s.combine === 1) sel = D.selectorNot(sel);
        if (s.combine === 2) sel = D.selectorAnd(sel, D.selectorOr(sel, D.select(D.indices, D.indices, D.LT)));
        n = D.aggregate(sel, pick(s.v), s.dflt);
        break;
      }
      case 'width':
        n = D.selectorWidth(D.select(pick(s.keys), pick(s.queries), D.EQ));
        break;
      case 'full':
        n = D.full(s.value);
        break;
    }
    pool.push(withName(n, s.name));
  }
  // tie every node into one output so that sharing is exercised
  return pool.slice(1).reduce((acc, s) => D.sequenceMap(D.lambda(['x', 'y'], E.tuple([x, y])), acc, s), pool[0] as SOp);
};

describe('random programs', () => {
  it('parse(print(p)) equals p whenever the names are valid', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 12 }), (steps) => {
        const clean = steps.map((s) => (s.name === 'weird name' ? { ...s, name: undefined } : s));
        const p = build(clean);
        const text = print(p);
        const back = parse(text);
        expect(programsEqual(back, p)).toBe(true);
        expect(print(back)).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  it('always prints text that parses, even with names that must change', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 12 }), (steps) => {
        const text = print(build(steps));
        expect(Either.isRight(parseProgram(text))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
