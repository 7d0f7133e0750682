/**
 * The embedded TypeScript DSL, modelled on Tracr's `rasp` module:
 *
 *   const opp = named(sub(sub(length, indices), 1), 'opp');
 *   const reverse = aggregate(select(indices, opp, EQ), tokens);
 *
 * Operator helpers (`add`, `eq`, ...) build serializable lambdas, so programs written with them
 * print to `.rasp` and round-trip through JSON. Plain TypeScript functions are accepted too and
 * become opaque functions (they evaluate and compile, but cannot be printed or serialized).
 */
import * as E from './expr.js';
import type { Expr } from './expr.js';
import type { Comparison, Encoding, Fn, Node, Predicate, Selector, SOp } from './program.js';
import type { Value } from './value.js';

export type { Comparison, Encoding, Fn, Predicate, Selector, SOp } from './program.js';

export const tokens: SOp = { kind: 'tokens', encoding: 'categorical' };
export const indices: SOp = { kind: 'indices', encoding: 'categorical' };

export const EQ: Comparison = 'EQ';
export const NEQ: Comparison = 'NEQ';
export const LT: Comparison = 'LT';
export const LEQ: Comparison = 'LEQ';
export const GT: Comparison = 'GT';
export const GEQ: Comparison = 'GEQ';
export const TRUE: Comparison = 'TRUE';
export const FALSE: Comparison = 'FALSE';

/** A serializable lambda: `lambda(['x'], add(v('x'), 1))` style bodies built from `src/ast/expr`. */
export const lambda = (params: readonly string[], body: Expr): Fn => ({ kind: 'lambda', params, body });

/** An opaque TypeScript function (evaluates and compiles; cannot be printed). */
export const opaque = (name: string, impl: (...args: Value[]) => Value): Fn => ({
  kind: 'opaque',
  arity: impl.length,
  name,
  impl,
});

type FnLike = Fn | ((...args: Value[]) => Value);

const toFn = (f: FnLike): Fn => (typeof f === 'function' ? opaque(f.name || 'fn', f) : f);

export const named = <T extends Node>(node: T, name: string): T => ({ ...node, name });

export const numerical = (sop: SOp): SOp => (sop.encoding === 'numerical' ? sop : { ...sop, encoding: 'numerical' });
export const categorical = (sop: SOp): SOp =>
  sop.encoding === 'categorical' ? sop : { ...sop, encoding: 'categorical' };

export const map = (f: FnLike, inner: SOp, encoding: Encoding = 'categorical'): SOp => ({
  kind: 'map',
  fn: toFn(f),
  inner,
  encoding,
});

export const sequenceMap = (f: FnLike, fst: SOp, snd: SOp, encoding: Encoding = 'categorical'): SOp => ({
  kind: 'sequenceMap',
  fn: toFn(f),
  fst,
  snd,
  encoding,
});

/** α·fst + β·snd, numerical by default as in Tracr. */
export const linearSequenceMap = (fst: SOp, snd: SOp, fstCoeff: number, sndCoeff: number): SOp => ({
  kind: 'linearSequenceMap',
  fst,
  snd,
  fstCoeff,
  sndCoeff,
  encoding: 'numerical',
});

export const full = (value: Value, encoding: Encoding = 'categorical'): SOp => ({ kind: 'full', value, encoding });

export const select = (keys: SOp, queries: SOp, predicate: Comparison | FnLike): Selector => ({
  kind: 'select',
  keys,
  queries,
  predicate: typeof predicate === 'string' ? { kind: 'comparison', op: predicate } : (toFn(predicate) as Predicate),
});

export const selectorAnd = (fst: Selector, snd: Selector): Selector => ({ kind: 'selectorAnd', fst, snd });
export const selectorOr = (fst: Selector, snd: Selector): Selector => ({ kind: 'selectorOr', fst, snd });
export const selectorNot = (inner: Selector): Selector => ({ kind: 'selectorNot', inner });

/**
 * Aggregates `sop` over the selector. The result has the encoding of `sop`; the default is None
 * for categorical and 0 for numerical values unless given.
 */
export const aggregate = (selector: Selector, sop: SOp, defaultValue?: Value): SOp => ({
  kind: 'aggregate',
  selector,
  sop,
  default: defaultValue === undefined ? (sop.encoding === 'numerical' ? 0 : null) : defaultValue,
  encoding: sop.encoding,
});

export const selectorWidth = (selector: Selector): SOp => ({ kind: 'selectorWidth', selector, encoding: 'categorical' });

/** `length` = selector_width(select(tokens, tokens, TRUE)), as in Tracr. */
export const length: SOp = named(selectorWidth(select(tokens, tokens, TRUE)), 'length');

// ---- operators on s-ops and constants, building serializable maps / sequence maps ----

type Operand = SOp | Value;

const isSOpOperand = (x: Operand): x is SOp =>
  typeof x === 'object' && x !== null && !Array.isArray(x) && 'kind' in (x as object);

/** A binary operator on s-ops; at least one operand is an s-op (checked by the overloads). */
type LiftedBinary = { (a: SOp, b: Operand): SOp; (a: Value, b: SOp): SOp };

const lift2 = (op: E.BinaryOp, a: Operand, b: Operand): SOp => {
  const x = E.v('x');
  const y = E.v('y');
  if (isSOpOperand(a) && isSOpOperand(b)) {
    if (a === b) return map(lambda(['x'], E.binary(op, x, x)), a);
    return sequenceMap(lambda(['x', 'y'], E.binary(op, x, y)), a, b);
  }
  if (isSOpOperand(a)) return map(lambda(['x'], E.binary(op, x, E.lit(b as Value))), a);
  if (isSOpOperand(b)) return map(lambda(['x'], E.binary(op, E.lit(a), x)), b);
  throw new Error(`bug: ${op} reached with no s-op operand`);
};

const lift1 = (op: E.UnaryOp, a: SOp): SOp => map(lambda(['x'], E.unary(op, E.v('x'))), a);

export const add: LiftedBinary = (a: Operand, b: Operand): SOp => lift2('+', a, b);
export const sub: LiftedBinary = (a: Operand, b: Operand): SOp => lift2('-', a, b);
export const mul: LiftedBinary = (a: Operand, b: Operand): SOp => lift2('*', a, b);
export const div: LiftedBinary = (a: Operand, b: Operand): SOp => lift2('/', a, b);
export const mod: LiftedBinary = (a: Operand, b: Operand): SOp => lift2('%', a, b);
export const eq: LiftedBinary = (a: Operand, b: Operand): SOp => lift2('==', a, b);
export const ne: LiftedBinary = (a: Operand, b: Operand): SOp => lift2('!=', a, b);
export const lt: LiftedBinary = (a: Operand, b: Operand): SOp => lift2('<', a, b);
export const le: LiftedBinary = (a: Operand, b: Operand): SOp => lift2('<=', a, b);
export const gt: LiftedBinary = (a: Operand, b: Operand): SOp => lift2('>', a, b);
export const ge: LiftedBinary = (a: Operand, b: Operand): SOp => lift2('>=', a, b);
export const and: LiftedBinary = (a: Operand, b: Operand): SOp => lift2('and', a, b);
export const or: LiftedBinary = (a: Operand, b: Operand): SOp => lift2('or', a, b);
export const min: LiftedBinary = (a: Operand, b: Operand): SOp => lift2('min', a, b);
export const max: LiftedBinary = (a: Operand, b: Operand): SOp => lift2('max', a, b);
export const not = (a: SOp): SOp => lift1('not', a);
export const neg = (a: SOp): SOp => lift1('neg', a);
export const abs = (a: SOp): SOp => lift1('abs', a);
export const round = (a: SOp): SOp => lift1('round', a);
