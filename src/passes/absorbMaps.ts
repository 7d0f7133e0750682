/**
 * Absorbs a map used only as the keys or queries of selects into their predicates:
 * `select(map(f, a), q, P)` becomes `select(a, q, (k, q) -> P(f(k), q))`. An attention score is a
 * table over value pairs, so the map costs nothing there, while as a node it costs an MLP
 * sublayer (often a layer): `sort_freq`'s `-hist` keys, for example.
 *
 * Only when f never gives None on its inputs (the select's None rule applies to the values it
 * reads, which stay the same) and its input is categorical (select keys must be).
 *
 * Preserves: which keys every select selects, on every input (the predicate reads f's value, as
 * the select did). Checked by test/unit/passes/absorbMaps.test.ts; the result must pass the
 * checker again or it is not used.
 */
import * as Either from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as D from '../ast/dsl.js';
import * as E from '../ast/expr.js';
import type { Expr } from '../ast/expr.js';
import { applyFn, applyPredicate, COMPARISON_SYMBOL } from '../ast/apply.js';
import { ExprFailure } from '../ast/exprEval.js';
import { labelOf } from '../ast/label.js';
import type { ComparisonOp } from '../ast/expr.js';
import type { Fn, Node, Predicate, Selector, SOp } from '../ast/program.js';
import { rewriteProgram } from '../ast/rewrite.js';
import type { Value } from '../ast/value.js';
import type { ProgramGraph } from '../ast/graph.js';
import type { ValueSet } from '../typecheck/valueSet.js';
import type { Diagnostic } from '../diagnostics.js';
import type { Noted, Recheck } from './pass.js';

type MapNode = Extract<SOp, { kind: 'map' }>;

const lambdaBody = (f: Fn, arg: Expr): Expr | undefined =>
  f.kind === 'lambda' && f.params.length === 1 ? E.substitute(f.body, new Map([[f.params[0] as string, arg]])) : undefined;

/** P(fk(k), fq(q)) as a predicate (a lambda when everything is serializable). */
const composedPredicate = (p: Predicate, fk: Fn | undefined, fq: Fn | undefined, name: string): Predicate => {
  const k = E.v('k');
  const q = E.v('q');
  const kArg = fk === undefined ? k : lambdaBody(fk, k);
  const qArg = fq === undefined ? q : lambdaBody(fq, q);
  if (kArg !== undefined && qArg !== undefined) {
    if (p.kind === 'comparison') {
      if (p.op === 'TRUE' || p.op === 'FALSE') return p;
      return D.lambda(['k', 'q'], E.binary(COMPARISON_SYMBOL[p.op] as ComparisonOp, kArg, qArg));
    }
    if (p.kind === 'lambda' && p.params.length === 2) {
      return D.lambda(['k', 'q'], E.substitute(p.body, new Map([[p.params[0] as string, kArg], [p.params[1] as string, qArg]])));
    }
  }
  const apply = (f: Fn | undefined, x: Value): Value => {
    if (f === undefined) return x;
    const r = applyFn(f, [x]);
    if (r instanceof ExprFailure) throw new Error(r.message);
    return r;
  };
  return D.opaque(`${name}_absorbed`, (kv: Value, qv: Value) => applyPredicate(p, apply(fk, kv), apply(fq, qv)) === true) as Predicate;
};

export const absorbIntoPredicates = (program: SOp, graph: ProgramGraph, sets: ReadonlyMap<number, ValueSet>): { program: SOp; absorbed: string[] } => {
  const absorbable = new Set<number>();
  for (const g of graph.nodes) {
    if (g.node.kind !== 'map' || g.id === graph.output || g.consumers.length === 0) continue;
    if (!g.consumers.every((c) => graph.nodes[c]?.node.kind === 'select')) continue;
    const m = g.node as MapNode;
    if (m.inner.encoding !== 'categorical') continue;
    if (sets.get(g.id)?.hasNone ?? true) continue;
    const innerSet = sets.get(graph.idOf.get(m.inner) as number);
    if (innerSet === undefined || innerSet.hasNone) continue;
    absorbable.add(g.id);
  }
  if (absorbable.size === 0) return { program, absorbed: [] };
  const absorbed = new Set<string>();
  const result = rewriteProgram(program, (original, rebuilt) => {
    if (rebuilt.kind !== 'select' || original.kind !== 'select') return rebuilt;
    const keyId = graph.idOf.get(original.keys) as number;
    const queryId = graph.idOf.get(original.queries) as number;
    const absorbKey = absorbable.has(keyId) ? (rebuilt.keys as MapNode) : undefined;
    const absorbQuery = absorbable.has(queryId) ? (rebuilt.queries as MapNode) : undefined;
    if (absorbKey === undefined && absorbQuery === undefined) return rebuilt;
    if (absorbKey) absorbed.add(labelOf(original.keys as Node));
    if (absorbQuery) absorbed.add(labelOf(original.queries as Node));
    const sel: Selector = {
      ...rebuilt,
      keys: absorbKey ? absorbKey.inner : rebuilt.keys,
      queries: absorbQuery ? absorbQuery.inner : rebuilt.queries,
      predicate: composedPredicate(rebuilt.predicate, absorbKey?.fn, absorbQuery?.fn, labelOf(original)),
    };
    return sel;
  });
  return { program: result, absorbed: [...absorbed] };
};

/** The pass: maps read only by selects absorbed, re-checked; the input unchanged when none is, Left when the result is refused. */
export const absorbMaps = (n: Noted, recheck: Recheck): Either.Either<readonly Diagnostic[], Noted> => {
  const t = n.typed;
  const absorption = absorbIntoPredicates(t.program, t.graph, t.inference.valueSets);
  if (absorption.absorbed.length === 0) return Either.right(n);
  return pipe(
    recheck(absorption.program, t.bounds),
    Either.map((typed) => ({ typed, notes: [...n.notes, `maps read only by selects absorbed into their predicates: ${absorption.absorbed.join(', ')}`] })),
  );
};
