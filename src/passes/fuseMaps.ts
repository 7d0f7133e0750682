/**
 * Fuses consecutive MLP-only steps: a map or sequence map whose input is another map/sequence
 * map used nowhere else becomes one node computing the composition (one lookup table), which
 * saves an MLP sublayer — and so a layer — on that path. Tracr's `length - indices - 1` takes two
 * MLPs; fused it takes one.
 *
 * None is kept exactly: the inner function's None stops the outer one, as in the interpreter.
 *
 * Preserves: every node's value on every input (the fused function is the composition, None
 * included). Checked by test/unit/passes/fuseMaps.test.ts and the interpreter comparisons of the
 * integration tests; the fused program must pass the checker again or it is not used.
 */
import * as Either from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as D from '../ast/dsl.js';
import * as E from '../ast/expr.js';
import type { Expr } from '../ast/expr.js';
import { applyFn } from '../ast/apply.js';
import { ExprFailure } from '../ast/exprEval.js';
import type { Fn, Node, SOp } from '../ast/program.js';
import { rewriteProgram } from '../ast/rewrite.js';
import type { Value } from '../ast/value.js';
import type { ProgramGraph } from '../ast/graph.js';
import type { ValueSet } from '../typecheck/valueSet.js';
import type { Diagnostic } from '../diagnostics.js';
import type { Noted, Recheck } from './pass.js';

type MapLike = Extract<SOp, { kind: 'map' | 'sequenceMap' }>;

const isMapLike = (n: Node): n is MapLike => n.kind === 'map' || n.kind === 'sequenceMap';
const inputsOf = (n: MapLike): SOp[] => (n.kind === 'map' ? [n.inner] : [n.fst, n.snd]);

/** The body of a lambda with its parameters replaced by expressions. */
const instantiate = (fn: Extract<Fn, { kind: 'lambda' }>, args: readonly Expr[]): Expr =>
  E.substitute(fn.body, new Map(fn.params.map((p, i) => [p, args[i] as Expr])));

/**
 * outer(…, inner(args), …): `slot` is which of outer's parameters the inner result feeds.
 * Returns the fused function over `arity` fresh parameters, given how outer's other parameter
 * and inner's parameters map onto them.
 */
const compose = (
  outer: Fn,
  inner: Fn,
  slot: number,
  innerArgs: readonly number[],
  otherArg: number | undefined,
  arity: number,
  innerMayBeNone: boolean,
): Fn => {
  const params = Array.from({ length: arity }, (_, i) => `x${i}`);
  if (outer.kind === 'lambda' && inner.kind === 'lambda') {
    const innerBody = instantiate(inner, innerArgs.map((i) => E.v(params[i] as string)));
    const outerArgs = outer.params.map((_, i) => (i === slot ? innerBody : E.v(params[otherArg as number] as string)));
    const body = instantiate(outer, outerArgs);
    // the interpreter never calls outer on None: keep that
    return D.lambda(params, innerMayBeNone ? E.cond(E.binary('==', innerBody, E.lit(null)), E.lit(null), body) : body);
  }
  const name = `fused_${outer.kind === 'opaque' ? outer.name : 'lambda'}_${inner.kind === 'opaque' ? inner.name : 'lambda'}`;
  return D.opaque(name, (...xs: Value[]) => {
    const r = applyFn(inner, innerArgs.map((i) => xs[i] as Value));
    if (r instanceof ExprFailure) throw new Error(r.message);
    if (r === null) return null;
    const other = otherArg === undefined ? [] : [xs[otherArg] as Value];
    const out = applyFn(outer, slot === 0 ? [r, ...other] : [...other, r]);
    if (out instanceof ExprFailure) throw new Error(out.message);
    return out;
  });
};

/**
 * Fuses single-consumer chains whose inner step reads only categorical s-ops, or is a map of one
 * numerical s-op feeding a map (the fused node is then a table or a discretisation of the same
 * input). Returns the program unchanged when nothing fuses.
 */
export const fuseMapChains = (program: SOp, graph: ProgramGraph, sets: ReadonlyMap<number, ValueSet>): { program: SOp; fused: string[] } => {
  const fused: string[] = [];
  const idOf = (n: Node): number => graph.idOf.get(n) as number;
  const fusible = (outer: Node, innerOriginal: Node, inner: Node): inner is MapLike => {
    if (!isMapLike(outer) || !isMapLike(innerOriginal) || !isMapLike(inner)) return false;
    const g = graph.nodes[idOf(innerOriginal)];
    if (g === undefined || g.consumers.length !== 1 || idOf(innerOriginal) === graph.output) return false;
    const innerInputs = inputsOf(inner);
    const allCategorical = innerInputs.every((x) => x.encoding === 'categorical');
    const numericMapIntoMap = inner.kind === 'map' && outer.kind === 'map';
    return allCategorical || numericMapIntoMap;
  };
  const result = rewriteProgram(program, (original, rebuilt) => {
    if (!isMapLike(original) || !isMapLike(rebuilt)) return rebuilt;
    const origInputs = inputsOf(original);
    const newInputs = inputsOf(rebuilt);
    for (let slot = 0; slot < origInputs.length; slot++) {
      const innerOrig = origInputs[slot] as Node;
      const inner = newInputs[slot] as Node;
      if (!fusible(original, innerOrig, inner)) continue;
      const innerInputs = inputsOf(inner);
      const other = rebuilt.kind === 'sequenceMap' ? (newInputs[1 - slot] as SOp) : undefined;
      // distinct inputs of the fused node (by graph identity of the originals)
      const distinct: SOp[] = [];
      const position = (x: SOp): number => {
        const i = distinct.indexOf(x);
        if (i >= 0) return i;
        distinct.push(x);
        return distinct.length - 1;
      };
      const innerArgs = innerInputs.map(position);
      const otherArg = other === undefined ? undefined : position(other);
      if (distinct.length > 2) continue;
      const innerMayBeNone = sets.get(idOf(innerOrig))?.hasNone ?? true;
      const fn = compose(rebuilt.fn, inner.fn, slot, innerArgs, otherArg, distinct.length, innerMayBeNone);
      const name = rebuilt.name;
      const base = distinct.length === 1
        ? D.map(fn, distinct[0] as SOp, rebuilt.encoding)
        : D.sequenceMap(fn, distinct[0] as SOp, distinct[1] as SOp, rebuilt.encoding);
      fused.push(`${inner.name ?? inner.kind} into ${name ?? rebuilt.kind}`);
      return name === undefined ? base : D.named(base, name);
    }
    return rebuilt;
  });
  return { program: result, fused };
};

/** The pass: fused map chains, re-checked; the input unchanged when nothing fuses, Left when the fused program is refused. */
export const fuseMaps = (n: Noted, recheck: Recheck): Either.Either<readonly Diagnostic[], Noted> => {
  const t = n.typed;
  const fusion = fuseMapChains(t.program, t.graph, t.inference.valueSets);
  if (fusion.fused.length === 0) return Either.right(n);
  return pipe(
    recheck(fusion.program, t.bounds),
    Either.map((typed) => ({ typed, notes: [...n.notes, `fused consecutive MLP steps: ${fusion.fused.join('; ')}`] })),
  );
};
