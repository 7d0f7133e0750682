/**
 * The instructions random programs are built from (props/buildProgram.ts turns a list of them into
 * a program), and their fast-check arbitraries: random expression bodies, selects, selectors,
 * defaults, and an optional explicit encoding annotation on every instruction.
 */
import fc from 'fast-check';
import * as E from '../src/ast/expr.js';
import type { Expr } from '../src/ast/expr.js';
import type { Comparison, Encoding } from '../src/ast/program.js';

/**
 * What an s-op holds: vocabulary tokens, small integers, booleans (all categorical), or numbers
 * carried numerically (`frac`: numerical means, numerical maps, linear sequence maps).
 */
export type Kind = 'tok' | 'int' | 'bool' | 'frac';

export const x = E.v('x');
export const y = E.v('y');
export const k = E.v('k');
export const q = E.v('q');

/** Random integer-valued expression bodies over `vars`, via fc.letrec. */
const intBody = (vars: readonly string[], depthSize: fc.DepthSize = 'small'): fc.Arbitrary<Expr> =>
  fc.letrec<{ e: Expr }>((tie) => ({
    e: fc.oneof(
      { depthSize, withCrossShrink: true },
      fc.constantFrom(...vars.map((n) => E.v(n))),
      fc.integer({ min: -3, max: 3 }).map((c) => E.lit(c)),
      fc
        .tuple(fc.constantFrom<E.BinaryOp>('+', '-', '*', 'min', 'max'), tie('e'), tie('e'))
        .map(([op, a, b]) => E.binary(op, a, b)),
      fc.tuple(tie('e'), fc.integer({ min: 2, max: 4 })).map(([a, m]) => E.binary('%', a, E.lit(m))),
      tie('e').map((a) => E.unary('abs', a)),
      fc
        .tuple(fc.constantFrom<E.ComparisonOp>('<', '==', '>='), tie('e'), tie('e'), tie('e'), tie('e'))
        .map(([op, a, b, t, o]) => E.cond(E.binary(op, a, b), t, o)),
    ),
  })).e;

/** Numeric bodies for numerical maps of numerical s-ops: affine (linear-mlp) or not (discretising-mlp). */
const numBody: fc.Arbitrary<Expr> = fc.oneof(
  fc
    .tuple(fc.integer({ min: -2, max: 3 }), fc.integer({ min: -2, max: 2 }))
    .map(([a, b]) => E.binary('+', E.binary('*', E.lit(a), x), E.lit(b))),
  fc.integer({ min: 0, max: 2 }).map((c) => E.binary('*', x, E.binary('-', x, E.lit(c)))),
  fc.integer({ min: 0, max: 3 }).map((c) => E.unary('abs', E.binary('-', x, E.lit(c)))),
  fc.tuple(fc.constantFrom<E.BinaryOp>('min', 'max'), fc.integer({ min: 0, max: 3 })).map(([op, c]) => E.binary(op, x, E.lit(c))),
  fc.integer({ min: 1, max: 3 }).map((c) => E.cond(E.binary('>', x, E.lit(c / 2)), E.lit(1), E.lit(0))),
  intBody(['x']),
);

const boolOfInt = fc
  .tuple(fc.constantFrom<E.ComparisonOp>('<', '<=', '==', '!=', '>', '>='), fc.integer({ min: -1, max: 4 }))
  .map(([op, c]) => E.binary(op, x, E.lit(c)));

const comparison = fc.constantFrom<Comparison>('EQ', 'NEQ', 'LT', 'LEQ', 'GT', 'GEQ', 'TRUE', 'FALSE');
const comparisonOp = fc.constantFrom<E.ComparisonOp>('<', '<=', '==', '!=', '>', '>=');

/** A lambda predicate `(k, q) -> ...`, resolved by the kind of the select's keys and queries. */
export type LambdaSpec =
  | { readonly form: 'shift'; readonly offset: number }
  | { readonly form: 'compare'; readonly op: E.ComparisonOp; readonly left: Expr; readonly right: Expr }
  | { readonly form: 'literal'; readonly op: 'and' | 'or'; readonly keyToken: number; readonly queryToken: number };

const lambdaSpec: fc.Arbitrary<LambdaSpec> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ form: fc.constant('shift' as const), offset: fc.integer({ min: -2, max: 2 }) }) },
  fc.record({ form: fc.constant('compare' as const), op: comparisonOp, left: intBody(['k', 'q'], '-1'), right: intBody(['k', 'q'], '-1') }),
  fc.record({ form: fc.constant('literal' as const), op: fc.constantFrom<'and' | 'or'>('and', 'or'), keyToken: fc.nat({ max: 3 }), queryToken: fc.nat({ max: 3 }) }),
);

/**
 * One select: keys and queries of one kind (`numq`: categorical int keys and a numerical query;
 * `numk`: numerical keys, refused unless the predicate is constant).
 */
export interface AtomSpec {
  readonly kind: 'tok' | 'int' | 'bool' | 'numq' | 'numk';
  readonly k: number;
  readonly q: number;
  readonly pred: Comparison | LambdaSpec;
}

/** A selector: up to three atoms combined by a random formula. */
export interface SelSpec {
  readonly atoms: readonly AtomSpec[];
  readonly shape: 'one' | 'and' | 'or' | 'not' | 'andNot' | 'orAnd';
}

export type CatKind = 'tok' | 'int' | 'bool';

/** A categorical aggregate's default: None, or a value of the aggregated kind (resolved when built). */
export type DefaultSpec = { readonly none: true } | { readonly none: false; readonly pick: number };

/** One step of program construction; `pick`-like fields are resolved modulo the candidates available. */
export type Instruction =
  | { readonly op: 'mapInt'; readonly src: number; readonly body: Expr }
  | { readonly op: 'intToBool'; readonly src: number; readonly body: Expr }
  | { readonly op: 'boolToInt'; readonly src: number; readonly t: number; readonly o: number }
  | { readonly op: 'tokToBool'; readonly src: number; readonly token: number }
  | { readonly op: 'tokToInt'; readonly src: number; readonly table: readonly number[] }
  | { readonly op: 'tokToTok'; readonly src: number; readonly table: readonly number[] }
  | { readonly op: 'tokExpr'; readonly src: number; readonly when: number; readonly then: number }
  | { readonly op: 'intTable'; readonly src: number; readonly out: CatKind; readonly lo: number; readonly table: readonly number[] }
  | { readonly op: 'position'; readonly form: 'opp' | 'offset' | 'mod'; readonly c: number }
  | { readonly op: 'full'; readonly kind: 'tok' | 'int'; readonly value: number }
  | { readonly op: 'seqInt'; readonly a: number; readonly b: number; readonly body: Expr }
  | { readonly op: 'seqTokInt'; readonly a: number; readonly b: number; readonly token: number; readonly then: Expr; readonly otherwise: Expr }
  | { readonly op: 'seqTokTok'; readonly a: number; readonly b: number; readonly cmp: E.ComparisonOp }
  | { readonly op: 'width'; readonly sel: SelSpec }
  | { readonly op: 'aggCat'; readonly sel: SelSpec; readonly src: number; readonly srcKind: CatKind; readonly dflt?: DefaultSpec }
  | { readonly op: 'aggOne'; readonly q: number; readonly numq: boolean; readonly extra?: AtomSpec; readonly src: number; readonly srcKind: CatKind; readonly dflt: DefaultSpec }
  | { readonly op: 'aggAgree'; readonly q: number; readonly extra?: AtomSpec; readonly src: number; readonly srcKind: CatKind; readonly dflt: DefaultSpec }
  | { readonly op: 'aggNum'; readonly sel: SelSpec; readonly src: number; readonly srcKind: 'int' | 'bool' | 'frac' | 'tok'; readonly dflt?: number | null }
  | { readonly op: 'toNum'; readonly src: number; readonly srcKind: 'int' | 'bool'; readonly body?: Expr }
  | { readonly op: 'numMap'; readonly src: number; readonly body: Expr }
  | { readonly op: 'fracToBool'; readonly src: number; readonly threshold: number }
  | { readonly op: 'fracToInt'; readonly src: number; readonly body: Expr }
  | { readonly op: 'seqNumCat'; readonly a: number; readonly b: number; readonly body: Expr }
  | { readonly op: 'seqNumNum'; readonly a: number; readonly b: number; readonly body: Expr; readonly numericalOut: boolean }
  | { readonly op: 'linear'; readonly a: number; readonly b: number; readonly ca: number; readonly cb: number; readonly aKind: 'frac' | 'int'; readonly bKind: 'frac' | 'int' }
  | { readonly op: 'leaf'; readonly which: 'tokens' | 'indices' };

/**
 * An instruction, optionally with an explicit encoding for the node it builds: `numerical(...)` or
 * `categorical(...)` around it (a no-op where it is the node's default). Every node kind gets both
 * (the fuzzer did not generate `categorical(linear_sequence_map(...))` before, issue 13).
 */
export type AnnotatedInstruction = Instruction & { readonly encoding?: Encoding };

const catKind = fc.constantFrom<CatKind>('tok', 'int', 'bool');
const pick = fc.oneof({ weight: 4, arbitrary: fc.nat({ max: 1 }) }, { weight: 1, arbitrary: fc.nat({ max: 1000 }) });

const atomSpec: fc.Arbitrary<AtomSpec> = fc.record({
  kind: fc.oneof(
    { weight: 12, arbitrary: catKind },
    { weight: 2, arbitrary: fc.constant('numq' as const) },
    { weight: 1, arbitrary: fc.constant('numk' as const) },
  ),
  k: pick,
  q: pick,
  pred: fc.oneof({ weight: 4, arbitrary: comparison }, { weight: 1, arbitrary: lambdaSpec }),
});

const selSpec: fc.Arbitrary<SelSpec> = fc.record({
  atoms: fc.array(atomSpec, { minLength: 1, maxLength: 3 }),
  shape: fc.constantFrom<SelSpec['shape']>('one', 'one', 'and', 'or', 'not', 'andNot', 'orAnd'),
});

const defaultSpec: fc.Arbitrary<DefaultSpec> = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ none: true } as const) },
  { weight: 1, arbitrary: fc.record({ none: fc.constant(false as const), pick: fc.nat({ max: 5 }) }) },
);

const smallTable = (n: number, min = -2, max = 4) => fc.array(fc.integer({ min, max }), { minLength: n, maxLength: n });

const baseInstruction: fc.Arbitrary<Instruction> = fc.oneof(
  fc.record({ op: fc.constant('mapInt' as const), src: pick, body: intBody(['x']) }),
  fc.record({ op: fc.constant('intToBool' as const), src: pick, body: boolOfInt }),
  fc.record({ op: fc.constant('boolToInt' as const), src: pick, t: fc.integer({ min: -2, max: 3 }), o: fc.integer({ min: -2, max: 3 }) }),
  fc.record({ op: fc.constant('tokToBool' as const), src: pick, token: pick }),
  fc.record({ op: fc.constant('tokToInt' as const), src: pick, table: smallTable(4) }),
  fc.record({ op: fc.constant('tokToTok' as const), src: pick, table: smallTable(4, 0, 3) }),
  fc.record({ op: fc.constant('tokExpr' as const), src: pick, when: fc.nat({ max: 3 }), then: fc.nat({ max: 3 }) }),
  fc.record({ op: fc.constant('intTable' as const), src: pick, out: catKind, lo: fc.integer({ min: -1, max: 0 }), table: smallTable(8, -1, 3) }),
  fc.record({
    op: fc.constant('position' as const),
    form: fc.constantFrom<'opp' | 'offset' | 'mod'>('opp', 'offset', 'mod'),
    // 0 makes `length - indices - 1` and `indices`: every query selects a key
    c: fc.oneof(fc.constant(0), fc.integer({ min: -1, max: 2 })),
  }),
  fc.record({ op: fc.constant('full' as const), kind: fc.constantFrom<'tok' | 'int'>('tok', 'int'), value: fc.nat({ max: 3 }) }),
  fc.record({ op: fc.constant('seqInt' as const), a: pick, b: pick, body: intBody(['x', 'y']) }),
  fc.record({ op: fc.constant('seqTokInt' as const), a: pick, b: pick, token: fc.nat({ max: 3 }), then: intBody(['y']), otherwise: intBody(['y']) }),
  fc.record({ op: fc.constant('seqTokTok' as const), a: pick, b: pick, cmp: fc.constantFrom<E.ComparisonOp>('==', '!=', '<') }),
  fc.record({ op: fc.constant('width' as const), sel: selSpec }),
  fc.record({ op: fc.constant('aggCat' as const), sel: selSpec, src: pick, srcKind: catKind, dflt: defaultSpec }),
  fc.record(
    { op: fc.constant('aggOne' as const), q: pick, numq: fc.boolean(), extra: atomSpec, src: pick, srcKind: catKind, dflt: defaultSpec },
    { requiredKeys: ['op', 'q', 'numq', 'src', 'srcKind', 'dflt'] },
  ),
  fc.record(
    { op: fc.constant('aggAgree' as const), q: pick, extra: atomSpec, src: pick, srcKind: catKind, dflt: defaultSpec },
    { requiredKeys: ['op', 'q', 'src', 'srcKind', 'dflt'] },
  ),
  fc.record(
    {
      op: fc.constant('aggNum' as const),
      sel: selSpec,
      src: pick,
      srcKind: fc.constantFrom<'int' | 'bool' | 'frac' | 'tok'>('int', 'bool', 'frac', 'frac', 'tok'),
      // a None default is refused (rule numerical-default)
      dflt: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: -1, max: 2 }) }, { weight: 1, arbitrary: fc.constant(null) }),
    },
    { requiredKeys: ['op', 'sel', 'src', 'srcKind'] },
  ),
  fc.record(
    { op: fc.constant('toNum' as const), src: pick, srcKind: fc.constantFrom<'int' | 'bool'>('int', 'int', 'bool'), body: intBody(['x']) },
    { requiredKeys: ['op', 'src', 'srcKind'] },
  ),
  fc.record({ op: fc.constant('numMap' as const), src: pick, body: numBody }),
  fc.record({ op: fc.constant('fracToBool' as const), src: pick, threshold: fc.integer({ min: 0, max: 4 }).map((t) => t / 4 + 0.1) }),
  fc.record({ op: fc.constant('fracToInt' as const), src: pick, body: numBody }),
  fc.record({ op: fc.constant('seqNumCat' as const), a: pick, b: pick, body: intBody(['x', 'y']) }),
  fc.record({ op: fc.constant('seqNumNum' as const), a: pick, b: pick, body: intBody(['x', 'y']), numericalOut: fc.boolean() }),
  fc.record({
    op: fc.constant('linear' as const),
    a: pick,
    b: pick,
    ca: fc.integer({ min: -2, max: 2 }),
    cb: fc.integer({ min: -2, max: 2 }),
    aKind: fc.constantFrom<'frac' | 'int'>('frac', 'frac', 'int'),
    bKind: fc.constantFrom<'frac' | 'int'>('frac', 'int'),
  }),
  { weight: 2, arbitrary: fc.record({ op: fc.constant('leaf' as const), which: fc.constantFrom<'tokens' | 'indices'>('tokens', 'indices') }) },
);

const encoding: fc.Arbitrary<Encoding | undefined> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constant<Encoding>('numerical') },
  { weight: 1, arbitrary: fc.constant<Encoding>('categorical') },
);

export const instruction: fc.Arbitrary<AnnotatedInstruction> = fc
  .tuple(baseInstruction, encoding)
  .map(([ins, enc]): AnnotatedInstruction => (enc === undefined ? ins : { ...ins, encoding: enc }));

