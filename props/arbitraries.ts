/**
 * Random well-typed RASP programs for property tests and the fuzzer (docs/fuzzing.md).
 *
 * A program is generated as a list of instructions, each building one node from earlier nodes of
 * the right kind (so shared sub-programs occur naturally and every program is well formed by
 * construction; some break a compilability rule on purpose, so the checker has something to
 * refuse); lambda bodies are random expression trees built with `fc.letrec`. Shrinking
 * drops instructions and simplifies constants, giving small counterexamples.
 *
 * What the instructions cover: categorical maps by expression or by random table (tokens → ints,
 * tokens → tokens, small ints → ints/bools/tokens), sequence maps (int × int, token × int,
 * token × token, numerical × categorical, numerical × numerical), constants (`full`), selects
 * with every comparison and lambda predicates,
 * composite selectors (&, |, !), categorical aggregates (some with selectors that pick one key,
 * some whose selected keys agree by construction, defaults None or not), numerical means (of
 * categorical s-ops made numerical, of numerical maps, of means), selector widths, numerical
 * chains (numerical maps of numerical s-ops, linear_sequence_map, categorical maps of numerical
 * s-ops), numerical queries (`select(indices, numerical(length - indices - 1), ==)`), and things
 * the checker refuses (numerical keys, means of strings, None numerical defaults, encodings that
 * do not match), over random vocabularies (2..4 strings or small integers) and bounds (max length
 * 1..6, causal or not).
 */
import fc from 'fast-check';
import * as Either from 'fp-ts/lib/Either.js';
import * as D from '../src/ast/dsl.js';
import * as E from '../src/ast/expr.js';
import type { Expr } from '../src/ast/expr.js';
import { printProgram } from '../src/ast/printer.js';
import { type Comparison, type Selector, type SOp } from '../src/ast/program.js';
import { showValue, valuesClose, type Value } from '../src/ast/value.js';
import type { Diagnostic } from '../src/diagnostics.js';
import { evaluate } from '../src/interpreter/evaluate.js';
import { isUndecodable, type Decoded } from '../src/model/decode.js';
import { modelFiles } from '../src/model/files.js';
import { PreparedModel } from '../src/model/forward.js';
import { runModel } from '../src/model/run.js';
import { compile } from '../src/passes/compile.js';
import { makeBounds } from '../src/typecheck/bounds.js';
import { typecheck } from '../src/typecheck/typecheck.js';

/**
 * What an s-op holds: vocabulary tokens, small integers, booleans (all categorical), or numbers
 * carried numerically (`frac`: numerical means, numerical maps, linear sequence maps).
 */
export type Kind = 'tok' | 'int' | 'bool' | 'frac';

interface Typed {
  readonly node: SOp;
  readonly kind: Kind;
}

export interface RandomProgram {
  readonly program: SOp;
  readonly vocab: readonly Value[];
  readonly maxLen: number;
  readonly causal: boolean;
}

const x = E.v('x');
const y = E.v('y');
const k = E.v('k');
const q = E.v('q');

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
type LambdaSpec =
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
interface AtomSpec {
  readonly kind: 'tok' | 'int' | 'bool' | 'numq' | 'numk';
  readonly k: number;
  readonly q: number;
  readonly pred: Comparison | LambdaSpec;
}

/** A selector: up to three atoms combined by a random formula. */
interface SelSpec {
  readonly atoms: readonly AtomSpec[];
  readonly shape: 'one' | 'and' | 'or' | 'not' | 'andNot' | 'orAnd';
}

type CatKind = 'tok' | 'int' | 'bool';

/** A categorical aggregate's default: None, or a value of the aggregated kind (resolved when built). */
type DefaultSpec = { readonly none: true } | { readonly none: false; readonly pick: number };

/** One step of program construction; `pick`-like fields are resolved modulo the candidates available. */
type Instruction =
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
  | { readonly op: 'linear'; readonly a: number; readonly b: number; readonly ca: number; readonly cb: number };

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

const instruction: fc.Arbitrary<Instruction> = fc.oneof(
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
  fc.record({ op: fc.constant('linear' as const), a: pick, b: pick, ca: fc.integer({ min: -2, max: 2 }), cb: fc.integer({ min: -2, max: 2 }) }),
);

/** Random vocabularies: 2..4 distinct strings or small integers (in random order). */
const vocabulary: fc.Arbitrary<readonly Value[]> = fc.oneof(
  fc.uniqueArray(fc.constantFrom<Value>('a', 'b', 'c', 'd', 'x', 'y', 'z'), { minLength: 2, maxLength: 4 }),
  fc.uniqueArray(fc.integer({ min: -1, max: 7 }), { minLength: 2, maxLength: 4 }),
);

/** Builds the program an instruction list describes. Deterministic. */
export const buildProgram = (
  vocab: readonly Value[],
  instructions: readonly Instruction[],
  prefixClosed = false,
): SOp => {
  // a prefix-closed program looks only backwards: every selector is masked to keys <= query
  // (and `length`, which looks at the whole input, is left out)
  const numericVocab = vocab.every((v) => typeof v === 'number');
  const pool: Typed[] = [
    { node: D.tokens, kind: 'tok' },
    { node: D.indices, kind: 'int' },
    ...(prefixClosed ? [] : [{ node: D.length, kind: 'int' as const }]),
  ];
  const backwards = D.select(D.indices, D.indices, 'LEQ');
  const numericalVersions = new Map<SOp, SOp>();
  const numerical = (n: SOp): SOp => {
    let m = numericalVersions.get(n);
    if (m === undefined) {
      m = D.numerical(n);
      numericalVersions.set(n, m);
    }
    return m;
  };
  const of = (kind: Kind, i: number): SOp => {
    // most recent first, so later instructions tend to build on earlier ones (deeper programs);
    // numeric tokens also serve as ints
    const candidates = [...pool.filter((t) => t.kind === kind).reverse(), ...(kind === 'int' && numericVocab ? [{ node: D.tokens, kind }] : [])];
    if (candidates.length === 0) return kind === 'tok' ? D.tokens : D.indices;
    return (candidates[i % candidates.length] as Typed).node;
  };
  const has = (kind: Kind): boolean => pool.some((t) => t.kind === kind);
  const token = (i: number): Value => vocab[i % vocab.length] as Value;
  const valueOf = (kind: Kind, i: number): Value => {
    switch (kind) {
      case 'tok':
        return token(i);
      case 'bool':
        return i % 2 === 0;
      default:
        return (i % 5) - 1;
    }
  };
  const lambdaOf = (spec: LambdaSpec, kind: AtomSpec['kind']): Expr => {
    if (kind === 'tok' || kind === 'bool' || spec.form === 'literal') {
      // no arithmetic on tokens or booleans: compare each side with a literal
      const lit = (i: number): Value => (kind === 'tok' ? token(i) : kind === 'bool' ? i % 2 === 0 : i);
      const [kt, qt] = spec.form === 'literal' ? [spec.keyToken, spec.queryToken] : [0, 1];
      return E.binary(spec.form === 'literal' ? spec.op : 'or', E.binary('==', k, E.lit(lit(kt))), E.binary('!=', q, E.lit(lit(qt))));
    }
    if (spec.form === 'shift') return E.binary('==', q, E.binary('+', k, E.lit(spec.offset)));
    return E.binary(spec.op, spec.left, spec.right);
  };
  const atomOf = (a: AtomSpec): Selector => {
    if (a.kind === 'numq' && has('frac')) {
      // mostly ==, which numerical queries compile for; other comparisons are mostly refused
      const pred = typeof a.pred === 'string' && !['NEQ', 'LT', 'LEQ'].includes(a.pred) ? a.pred : 'EQ';
      return D.select(of('int', a.k), of('frac', a.q), pred);
    }
    // numerical keys are refused (rule numerical-key) unless the predicate is constant
    if (a.kind === 'numk' && has('frac')) return D.select(of('frac', a.k), of('int', a.q), typeof a.pred === 'string' ? a.pred : 'LT');
    const kind = a.kind !== 'numq' && a.kind !== 'numk' && has(a.kind) ? a.kind : 'int';
    if (typeof a.pred === 'string') return D.select(of(kind, a.k), of(kind, a.q), a.pred);
    if (a.pred.form === 'shift') return D.select(D.indices, D.indices, D.lambda(['k', 'q'], lambdaOf(a.pred, 'int')));
    return D.select(of(kind, a.k), of(kind, a.q), D.lambda(['k', 'q'], lambdaOf(a.pred, kind)));
  };
  const mask = (sel: Selector): Selector => (prefixClosed ? D.selectorAnd(sel, backwards) : sel);
  const buildSelector = (spec: SelSpec): Selector => mask(buildFormula(spec));
  const buildFormula = (spec: SelSpec): Selector => {
    const atoms = spec.atoms.map((a) => atomOf(a));
    const [a, b = atoms[0] as Selector, c = b] = atoms as [Selector, Selector?, Selector?];
    switch (spec.shape) {
      case 'one':
        return a;
      case 'and':
        return D.selectorAnd(a, b);
      case 'or':
        return D.selectorOr(a, b);
      case 'not':
        return D.selectorNot(a);
      case 'andNot':
        return D.selectorAnd(a, D.selectorNot(b));
      case 'orAnd':
        return D.selectorOr(a, D.selectorAnd(b, c));
    }
  };
  const defaultOf = (kind: Kind, spec: DefaultSpec | undefined): Value => (spec === undefined || spec.none ? null : valueOf(kind, spec.pick));
  const catSource = (srcKind: CatKind, src: number): { node: SOp; kind: CatKind } => {
    const kind = has(srcKind) ? srcKind : 'tok';
    return { node: of(kind, src), kind };
  };
  for (const ins of instructions) {
    switch (ins.op) {
      case 'mapInt':
        pool.push({ node: D.map(D.lambda(['x'], ins.body), of('int', ins.src)), kind: 'int' });
        break;
      case 'intToBool':
        pool.push({ node: D.map(D.lambda(['x'], ins.body), of('int', ins.src)), kind: 'bool' });
        break;
      case 'boolToInt':
        if (has('bool')) {
          pool.push({ node: D.map(D.lambda(['x'], E.cond(x, E.lit(ins.t), E.lit(ins.o))), of('bool', ins.src)), kind: 'int' });
        }
        break;
      case 'tokToBool':
        pool.push({ node: D.eq(of('tok', ins.src), token(ins.token)), kind: 'bool' });
        break;
      case 'tokToInt':
        pool.push({
          node: D.map(D.lambda(['x'], E.table(vocab.map((t, i) => [t, ins.table[i % ins.table.length] as number] as const), x)), of('tok', ins.src)),
          kind: 'int',
        });
        break;
      case 'tokToTok':
        pool.push({
          node: D.map(D.lambda(['x'], E.table(vocab.map((t, i) => [t, token(ins.table[i % ins.table.length] as number)] as const), x)), of('tok', ins.src)),
          kind: 'tok',
        });
        break;
      case 'tokExpr':
        pool.push({
          node: D.map(D.lambda(['x'], E.cond(E.binary('==', x, E.lit(token(ins.when))), E.lit(token(ins.then)), x)), of('tok', ins.src)),
          kind: 'tok',
        });
        break;
      case 'intTable': {
        // keys lo..lo+7 cover every small int the generator makes from indices and widths; other
        // keys make the table fail (a warning; those inputs have no output)
        const entries = ins.table.map((v, i) => [ins.lo + i, valueOf(ins.out, v + 1)] as const);
        pool.push({ node: D.map(D.lambda(['x'], E.table(entries, x)), of('int', ins.src)), kind: ins.out });
        break;
      }
      case 'position':
        if (ins.form === 'opp' && !prefixClosed) {
          pool.push({ node: D.sequenceMap(D.lambda(['x', 'y'], E.binary('-', E.binary('-', y, x), E.lit(ins.c + 1))), D.indices, D.length), kind: 'int' });
        } else if (ins.form === 'mod') {
          pool.push({ node: D.map(D.lambda(['x'], E.binary('%', x, E.lit(ins.c + 3))), D.indices), kind: 'int' });
        } else {
          pool.push({ node: D.map(D.lambda(['x'], E.binary('+', x, E.lit(ins.c))), D.indices), kind: 'int' });
        }
        break;
      case 'full':
        // a constant s-op, e.g. the query of select(indices, full(0), ==) (the first token)
        pool.push({ node: D.full(ins.kind === 'tok' ? token(ins.value) : ins.value), kind: ins.kind });
        break;
      case 'seqInt': {
        const a = of('int', ins.a);
        const b = of('int', ins.b);
        if (a !== b) pool.push({ node: D.sequenceMap(D.lambda(['x', 'y'], ins.body), a, b), kind: 'int' });
        break;
      }
      case 'seqTokInt':
        pool.push({
          node: D.sequenceMap(D.lambda(['x', 'y'], E.cond(E.binary('==', x, E.lit(token(ins.token))), ins.then, ins.otherwise)), of('tok', ins.a), of('int', ins.b)),
          kind: 'int',
        });
        break;
      case 'seqTokTok': {
        const a = of('tok', ins.a);
        const b = of('tok', ins.b + 1);
        if (a !== b) pool.push({ node: D.sequenceMap(D.lambda(['x', 'y'], E.binary(ins.cmp, x, y)), a, b), kind: 'bool' });
        break;
      }
      case 'width':
        pool.push({ node: D.selectorWidth(buildSelector(ins.sel)), kind: 'int' });
        break;
      case 'aggCat': {
        const { node, kind } = catSource(ins.srcKind, ins.src);
        pool.push({ node: D.aggregate(buildSelector(ins.sel), node, defaultOf(kind, ins.dflt)), kind });
        break;
      }
      case 'aggOne': {
        // keys are indices: each query selects at most one key, so the aggregate rarely fails; the
        // query may be numerical (`select(indices, numerical(length - indices - 1), ==)`)
        let sel: Selector = D.select(D.indices, ins.numq && has('frac') ? of('frac', ins.q) : of('int', ins.q), 'EQ');
        if (ins.extra !== undefined) sel = D.selectorAnd(sel, atomOf(ins.extra));
        const { node, kind } = catSource(ins.srcKind, ins.src);
        pool.push({ node: D.aggregate(mask(sel), node, defaultOf(kind, ins.dflt)), kind });
        break;
      }
      case 'aggAgree': {
        // select(s, t, ==) [& more] aggregating s: every selected key holds the query's t
        const { node, kind } = catSource(ins.srcKind, ins.src);
        let sel: Selector = D.select(node, of(kind, ins.q), 'EQ');
        if (ins.extra !== undefined) sel = D.selectorAnd(sel, atomOf(ins.extra));
        pool.push({ node: D.aggregate(mask(sel), node, defaultOf(kind, ins.dflt)), kind });
        break;
      }
      case 'aggNum': {
        const kind = has(ins.srcKind) ? ins.srcKind : 'int';
        const src = of(kind, ins.src);
        // numerical(tokens) over a string vocabulary is refused (rule numerical-values)
        pool.push({ node: D.aggregate(buildSelector(ins.sel), kind === 'frac' ? src : numerical(src), ins.dflt === undefined ? 0 : ins.dflt), kind: 'frac' });
        break;
      }
      case 'toNum': {
        // a categorical s-op carried numerically, or a numerical map of a categorical s-op
        const kind = has(ins.srcKind) ? ins.srcKind : 'int';
        const src = of(kind, ins.src);
        const body = kind === 'bool' ? E.cond(x, E.lit(1), E.lit(0)) : ins.body;
        pool.push({ node: body === undefined ? numerical(src) : D.map(D.lambda(['x'], body), src, 'numerical'), kind: 'frac' });
        break;
      }
      case 'numMap':
        if (has('frac')) pool.push({ node: D.map(D.lambda(['x'], ins.body), of('frac', ins.src), 'numerical'), kind: 'frac' });
        break;
      case 'fracToBool':
        if (has('frac')) {
          pool.push({ node: D.map(D.lambda(['x'], E.binary('>', x, E.lit(ins.threshold))), of('frac', ins.src)), kind: 'bool' });
        }
        break;
      case 'fracToInt':
        if (has('frac')) pool.push({ node: D.map(D.lambda(['x'], ins.body), of('frac', ins.src)), kind: 'int' });
        break;
      case 'seqNumCat':
        // one numerical and one categorical input (gated-discretising-mlp), numerical output
        if (has('frac')) {
          pool.push({ node: D.sequenceMap(D.lambda(['x', 'y'], ins.body), of('frac', ins.a), of('int', ins.b), 'numerical'), kind: 'frac' });
        }
        break;
      case 'seqNumNum':
        // two numerical inputs: affine (linear-mlp), or the checker discretises one input first
        if (has('frac')) {
          pool.push({
            node: D.sequenceMap(D.lambda(['x', 'y'], ins.body), of('frac', ins.a), of('frac', ins.b + 1), ins.numericalOut ? 'numerical' : 'categorical'),
            kind: ins.numericalOut ? 'frac' : 'int',
          });
        }
        break;
      case 'linear':
        if (has('frac')) {
          const a = of('frac', ins.a);
          const b = of('frac', ins.b);
          pool.push({ node: D.linearSequenceMap(a, b, ins.ca, ins.cb), kind: 'frac' });
        }
        break;
    }
  }
  return (pool[pool.length - 1] as Typed).node;
};

/** `.rasp` text and bounds of a random program (how fast-check and the fuzzer show counterexamples). */
export const describeProgram = (p: RandomProgram): string => {
  const text = printProgram(p.program);
  const body = Either.isRight(text) ? text.right : `<unprintable: ${text.left.map((d) => d.message).join('; ')}>`;
  return `# vocab {${p.vocab.map(showValue).join(', ')}}, max length ${p.maxLen}${p.causal ? ', causal' : ''}\n${body}`;
};

const withToString = (p: RandomProgram): RandomProgram =>
  Object.defineProperty(p, fc.toStringMethod, { value: () => `\n${describeProgram(p)}\n`, enumerable: false });

export interface RandomProgramOptions {
  readonly maxInstructions?: number;
  /** Max lengths are drawn from 1..maxLen (default 6). */
  readonly maxLen?: number;
  readonly prefixClosed?: boolean;
}

/** A random program over a random vocabulary and bounds. */
export const randomProgram = (options: RandomProgramOptions = {}): fc.Arbitrary<RandomProgram> =>
  fc
    .record({
      vocab: vocabulary,
      instructions: fc.array(instruction, { minLength: 1, maxLength: options.maxInstructions ?? 10, size: 'medium' }),
      maxLen: fc.integer({ min: 1, max: options.maxLen ?? 6 }),
      causal: fc.boolean(),
    })
    .map(({ vocab, instructions, maxLen, causal }) =>
      withToString({
        program: buildProgram(vocab, instructions, options.prefixClosed ?? false),
        vocab,
        maxLen,
        causal,
      }),
    );

/** A random input within the bounds of a random program. */
export const inputFor = (p: RandomProgram): fc.Arbitrary<Value[]> =>
  fc.array(fc.constantFrom(...p.vocab), { minLength: 1, maxLength: p.maxLen });

/**
 * Random inputs independent of the program (so they shrink on their own): token choices, each
 * resolved against a program's bounds by {@link resolveInput}.
 */
export const rawInputs = (maxInputs: number, maxLen = 6): fc.Arbitrary<number[][]> =>
  fc.array(fc.array(fc.nat({ max: 3 }), { minLength: 1, maxLength: maxLen }), { maxLength: maxInputs });

/** A raw input as an input within the bounds: cut to the max length, token i mod the vocabulary. */
export const resolveInput = (p: RandomProgram, raw: readonly number[]): Value[] =>
  raw.slice(0, p.maxLen).map((i) => p.vocab[i % p.vocab.length] as Value);

/**
 * The inputs a program is checked on: every input of length 1..L for the largest L whose count
 * fits `exhaustiveBudget` (short inputs are where Nones, empty selections and defaults live),
 * then the random ones.
 */
export const programInputs = (p: RandomProgram, raw: readonly (readonly number[])[], exhaustiveBudget: number): Value[][] => {
  const out: Value[][] = [];
  let layer: Value[][] = [[]];
  for (let n = 1; n <= p.maxLen; n++) {
    const next = layer.flatMap((prefix) => p.vocab.map((t) => [...prefix, t]));
    if (out.length + next.length > exhaustiveBudget) break;
    out.push(...next);
    layer = next;
  }
  return [...out, ...raw.map((r) => resolveInput(p, r))];
};

/** `x` and `y` exported for tests that build bodies by hand. */
export const vars = { x, y };

// ---- the compiler properties, shared by props/compiler.test.ts and scripts/fuzz.ts ----

/** Why a random program is a counterexample. */
export interface CompilerFailure {
  /**
   * acceptance: the checker and the compiler disagree on whether the program compiles;
   * agreement: the model's decoded output differs from the interpreter's (or is undecodable);
   * determinism: two compilations give different files; crash: something threw.
   */
  readonly property: 'acceptance' | 'agreement' | 'determinism' | 'crash';
  readonly message: string;
  readonly input?: readonly Value[];
}

export interface CompilerCheck {
  readonly typechecked: boolean;
  /** The checker's diagnostic codes when it rejects the program. */
  readonly rejectedBy: readonly string[];
  readonly compiled: boolean;
  /** Inputs on which the model's output was compared with the interpreter's. */
  readonly compared: number;
  readonly failure?: CompilerFailure;
}

export interface CompilerCheckOptions {
  /** typecheck fails exactly when compile fails (default true). */
  readonly acceptance?: boolean;
  /** The compiled model agrees with the interpreter on the inputs (default true). */
  readonly agreement?: boolean;
  /** Compiling twice gives byte-identical model files (default false). */
  readonly determinism?: boolean;
  /** Passed to `compile` (default true): false skips the variants, fusion, absorption and the representation search. */
  readonly optimise?: boolean;
}

const messages = (ds: readonly Diagnostic[]): string => ds.map((d) => `${d.code}${d.node ? ` (${d.node})` : ''}: ${d.message}`).join('; ');

const showDecoded = (xs: readonly Decoded[]): string =>
  xs.map((d) => (isUndecodable(d) ? `<undecodable ${d.logits.map((l) => l.toPrecision(4)).join(',')}>` : showValue(d))).join(' ');

const sameFiles = (a: Record<string, Uint8Array>, b: Record<string, Uint8Array>): string | undefined => {
  const names = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return names.find((n) => {
    const x = a[n];
    const y = b[n];
    return x === undefined || y === undefined || Buffer.compare(Buffer.from(x), Buffer.from(y)) !== 0;
  });
};

/**
 * Checks one random program against the compiler: acceptance (typecheck ⇔ compile), agreement
 * (compile ∘ forward ∘ decode ≡ interpret on each input the interpreter succeeds on, with no
 * undecodable position) and determinism (byte-identical files). Never throws: an exception is a
 * `crash` failure.
 */
export const checkCompiler = (p: RandomProgram, inputs: readonly (readonly Value[])[], options: CompilerCheckOptions = {}): CompilerCheck => {
  const bounds = makeBounds(p.vocab, p.maxLen, p.causal);
  if (Either.isLeft(bounds)) throw new Error(`generator produced bad bounds: ${messages(bounds.left)}`);
  let stage = 'typecheck';
  let typechecked = false;
  let rejectedBy: readonly string[] = [];
  let compiled = false;
  let compared = 0;
  const result = (failure?: CompilerFailure): CompilerCheck => ({ typechecked, rejectedBy, compiled, compared, ...(failure ? { failure } : {}) });
  let input: readonly Value[] | undefined;
  try {
    const typed = typecheck(p.program, bounds.right);
    typechecked = Either.isRight(typed);
    if (Either.isLeft(typed)) rejectedBy = [...new Set(typed.left.map((d) => d.code))];
    stage = 'compile';
    const compileOptions = { optimise: options.optimise ?? true };
    const c = compile(p.program, bounds.right, compileOptions);
    compiled = Either.isRight(c);
    if ((options.acceptance ?? true) && typechecked !== compiled) {
      return result({
        property: 'acceptance',
        message: Either.isLeft(c)
          ? `the checker accepts the program but compile fails: ${messages(c.left)}`
          : `compile succeeds but the checker rejects the program: ${Either.isLeft(typed) ? messages(typed.left) : ''}`,
      });
    }
    if (Either.isLeft(c)) return result();
    if (options.determinism ?? false) {
      stage = 'second compile';
      const again = compile(p.program, bounds.right, compileOptions);
      if (Either.isLeft(again)) return result({ property: 'determinism', message: `the second compilation failed: ${messages(again.left)}` });
      const differs = sameFiles(modelFiles(c.right.model), modelFiles(again.right.model));
      if (differs !== undefined) return result({ property: 'determinism', message: `two compilations give different ${differs}` });
    }
    if (!(options.agreement ?? true)) return result();
    stage = 'forward pass';
    const prepared = new PreparedModel(c.right.model);
    for (const i of inputs) {
      input = i;
      stage = 'interpreter';
      const want = evaluate(p.program, i, { causal: p.causal });
      if (Either.isLeft(want)) continue;
      stage = 'forward pass';
      const got = runModel(prepared, i);
      compared++;
      if (Either.isLeft(got)) return result({ property: 'agreement', message: `the model refused the input: ${messages(got.left)}`, input: i });
      const ok = got.right.length === want.right.length && got.right.every((g, j) => !isUndecodable(g) && valuesClose(g, want.right[j] as Value));
      if (!ok) {
        return result({
          property: 'agreement',
          message: `model ${showDecoded(got.right)}, interpreter ${want.right.map(showValue).join(' ')}`,
          input: i,
        });
      }
    }
    return result();
  } catch (e) {
    const message = e instanceof Error ? (e.stack ?? e.message) : String(e);
    return result({ property: 'crash', message: `${stage} threw: ${message}`, ...(input ? { input } : {}) });
  }
};

/** A failure as text: the property, the message, the input. */
export const describeFailure = (f: CompilerFailure): string =>
  `${f.property}: ${f.message}${f.input ? `\n  input: ${f.input.map(showValue).join(' ')}` : ''}`;
