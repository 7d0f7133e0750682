/**
 * Random well-typed RASP programs for property tests and the fuzzer.
 *
 * A program is generated as a list of instructions, each building one node from earlier nodes of
 * the right kind (so shared sub-programs occur naturally and every program is well typed by
 * construction); lambda bodies are random expression trees built with `fc.letrec`. Shrinking
 * drops instructions and simplifies constants, giving small counterexamples.
 */
import fc from 'fast-check';
import * as D from '../src/ast/dsl.js';
import * as E from '../src/ast/expr.js';
import type { Expr } from '../src/ast/expr.js';
import type { Comparison, Selector, SOp } from '../src/ast/program.js';
import type { Value } from '../src/ast/value.js';

/** What an s-op holds: vocabulary tokens, small integers, booleans, or fractions (numerical means). */
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

/** Random integer-valued expression bodies over `x` (and `y` when binary), via fc.letrec. */
const intBody = (vars: readonly string[]): fc.Arbitrary<Expr> =>
  fc.letrec<{ e: Expr }>((tie) => ({
    e: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
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

const boolOfInt = fc
  .tuple(fc.constantFrom<E.ComparisonOp>('<', '<=', '==', '!=', '>', '>='), fc.integer({ min: -1, max: 4 }))
  .map(([op, c]) => E.binary(op, x, E.lit(c)));

const comparison = fc.constantFrom<Comparison>('EQ', 'NEQ', 'LT', 'LEQ', 'GT', 'GEQ', 'TRUE', 'FALSE');

/** One step of program construction; `pick*` fields are resolved modulo the candidates available. */
type Instruction =
  | { readonly op: 'mapInt'; readonly src: number; readonly body: Expr }
  | { readonly op: 'intToBool'; readonly src: number; readonly body: Expr }
  | { readonly op: 'boolToInt'; readonly src: number; readonly t: number; readonly o: number }
  | { readonly op: 'tokToBool'; readonly src: number; readonly token: number }
  | { readonly op: 'tokToInt'; readonly src: number; readonly table: readonly number[] }
  | { readonly op: 'seqInt'; readonly a: number; readonly b: number; readonly body: Expr }
  | { readonly op: 'width'; readonly sel: SelSpec }
  | { readonly op: 'aggCat'; readonly sel: SelSpec; readonly src: number; readonly srcKind: 'tok' | 'int' | 'bool' }
  | { readonly op: 'aggNum'; readonly sel: SelSpec; readonly src: number; readonly srcKind: 'int' | 'bool' }
  | { readonly op: 'fracToBool'; readonly src: number; readonly threshold: number }
  | { readonly op: 'linear'; readonly a: number; readonly b: number; readonly ca: number; readonly cb: number };

/** A selector: up to three atoms combined by a random formula. */
interface SelSpec {
  readonly atoms: readonly { readonly kind: 'tok' | 'int' | 'bool'; readonly k: number; readonly q: number; readonly pred: Comparison | 'shift' }[];
  readonly shape: 'one' | 'and' | 'or' | 'not' | 'andNot' | 'orAnd';
}

const catKind = fc.constantFrom<'tok' | 'int' | 'bool'>('tok', 'int', 'bool');
const pick = fc.oneof({ weight: 4, arbitrary: fc.nat({ max: 1 }) }, { weight: 1, arbitrary: fc.nat({ max: 1000 }) });

const selSpec: fc.Arbitrary<SelSpec> = fc.record({
  atoms: fc.array(
    fc.record({ kind: catKind, k: pick, q: pick, pred: fc.oneof(comparison, fc.constant<'shift'>('shift')) }),
    { minLength: 1, maxLength: 3 },
  ),
  shape: fc.constantFrom<SelSpec['shape']>('one', 'one', 'and', 'or', 'not', 'andNot', 'orAnd'),
});

const instruction: fc.Arbitrary<Instruction> = fc.oneof(
  fc.record({ op: fc.constant('mapInt' as const), src: pick, body: intBody(['x']) }),
  fc.record({ op: fc.constant('intToBool' as const), src: pick, body: boolOfInt }),
  fc.record({ op: fc.constant('boolToInt' as const), src: pick, t: fc.integer({ min: -2, max: 3 }), o: fc.integer({ min: -2, max: 3 }) }),
  fc.record({ op: fc.constant('tokToBool' as const), src: pick, token: pick }),
  fc.record({ op: fc.constant('tokToInt' as const), src: pick, table: fc.array(fc.integer({ min: -2, max: 4 }), { minLength: 4, maxLength: 4 }) }),
  fc.record({ op: fc.constant('seqInt' as const), a: pick, b: pick, body: intBody(['x', 'y']) }),
  fc.record({ op: fc.constant('width' as const), sel: selSpec }),
  fc.record({ op: fc.constant('aggCat' as const), sel: selSpec, src: pick, srcKind: catKind }),
  fc.record({ op: fc.constant('aggNum' as const), sel: selSpec, src: pick, srcKind: fc.constantFrom<'int' | 'bool'>('int', 'bool') }),
  fc.record({ op: fc.constant('fracToBool' as const), src: pick, threshold: fc.integer({ min: 0, max: 4 }).map((k) => k / 4 + 0.1) }),
  fc.record({ op: fc.constant('linear' as const), a: pick, b: pick, ca: fc.integer({ min: -2, max: 2 }), cb: fc.integer({ min: -2, max: 2 }) }),
);

const vocabulary: fc.Arbitrary<readonly Value[]> = fc.oneof(
  fc.constantFrom<readonly Value[]>(['a', 'b'], ['a', 'b', 'c'], ['x', 'y', 'z', 'w']),
  fc.constantFrom<readonly Value[]>([0, 1], [1, 2, 3], [0, 2, 5, 7]),
);

/** Builds the program an instruction list describes. Deterministic. */
export const buildProgram = (
  vocab: readonly Value[],
  instructions: readonly Instruction[],
  prefixClosed = false,
): SOp => {
  // a prefix-closed program looks only backwards: every selector is masked to keys <= query
  // (and `length`, which looks at the whole input, is left out)
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
    // most recent first, so later instructions tend to build on earlier ones (deeper programs)
    const candidates = pool.filter((t) => t.kind === kind).reverse();
    if (candidates.length === 0) return kind === 'tok' ? D.tokens : D.indices;
    return (candidates[i % candidates.length] as Typed).node;
  };
  const has = (kind: Kind): boolean => pool.some((t) => t.kind === kind);
  const tokenValues = vocab;
  const buildSelector = (spec: SelSpec): Selector => {
    const sel = buildFormula(spec);
    return prefixClosed ? D.selectorAnd(sel, backwards) : sel;
  };
  const buildFormula = (spec: SelSpec): Selector => {
    const atoms = spec.atoms.map((a): Selector => {
      const kind = has(a.kind) ? a.kind : 'int';
      if (a.pred === 'shift') {
        return D.select(D.indices, D.indices, D.lambda(['k', 'q'], E.binary('==', E.v('q'), E.binary('+', E.v('k'), E.lit(1)))));
      }
      return D.select(of(kind, a.k), of(kind, a.q), a.pred);
    });
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
        pool.push({ node: D.eq(of('tok', ins.src), tokenValues[ins.token % tokenValues.length] as Value), kind: 'bool' });
        break;
      case 'tokToInt':
        pool.push({
          node: D.map(D.lambda(['x'], E.table(tokenValues.map((t, i) => [t, ins.table[i % ins.table.length] as number] as const), x)), of('tok', ins.src)),
          kind: 'int',
        });
        break;
      case 'seqInt': {
        const a = of('int', ins.a);
        const b = of('int', ins.b);
        if (a !== b) pool.push({ node: D.sequenceMap(D.lambda(['x', 'y'], ins.body), a, b), kind: 'int' });
        break;
      }
      case 'width':
        pool.push({ node: D.selectorWidth(buildSelector(ins.sel)), kind: 'int' });
        break;
      case 'aggCat': {
        const kind = has(ins.srcKind) ? ins.srcKind : 'tok';
        pool.push({ node: D.aggregate(buildSelector(ins.sel), of(kind, ins.src)), kind });
        break;
      }
      case 'aggNum': {
        const kind = has(ins.srcKind) ? ins.srcKind : 'int';
        pool.push({ node: D.aggregate(buildSelector(ins.sel), numerical(of(kind, ins.src)), 0), kind: 'frac' });
        break;
      }
      case 'fracToBool':
        if (has('frac')) {
          pool.push({ node: D.map(D.lambda(['x'], E.binary('>', x, E.lit(ins.threshold))), of('frac', ins.src)), kind: 'bool' });
        }
        break;
      case 'linear':
        if (has('frac')) {
          const a = of('frac', ins.a);
          const b = has('frac') ? of('frac', ins.b) : a;
          if (a !== b) pool.push({ node: D.linearSequenceMap(a, b, ins.ca, ins.cb), kind: 'frac' });
        }
        break;
    }
  }
  return (pool[pool.length - 1] as Typed).node;
};

/** A random program over a random vocabulary and bounds. */
export const randomProgram = (
  options: { maxInstructions?: number; maxLen?: number; prefixClosed?: boolean } = {},
): fc.Arbitrary<RandomProgram> =>
  fc
    .record({
      vocab: vocabulary,
      instructions: fc.array(instruction, { minLength: 1, maxLength: options.maxInstructions ?? 10, size: 'medium' }),
      maxLen: fc.integer({ min: 1, max: options.maxLen ?? 5 }),
      causal: fc.boolean(),
    })
    .map(({ vocab, instructions, maxLen, causal }) => ({
      program: buildProgram(vocab, instructions, options.prefixClosed ?? false),
      vocab,
      maxLen,
      causal,
    }));

/** A random input within the bounds of a random program. */
export const inputFor = (p: RandomProgram): fc.Arbitrary<Value[]> =>
  fc.array(fc.constantFrom(...p.vocab), { minLength: 1, maxLength: p.maxLen });

/** `x` and `y` exported for tests that build bodies by hand. */
export const vars = { x, y };
