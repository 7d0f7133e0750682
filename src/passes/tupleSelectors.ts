/**
 * Preserves: which keys every rewritten selector selects, on every input within the bounds where
 * no s-op involved is None (the pass refuses the others: rule compositeNone). Checked by
 * test/unit/passes/tupleSelectors.test.ts.
 */
import * as Either from 'fp-ts/lib/Either.js';
import * as D from '../ast/dsl.js';
import * as E from '../ast/expr.js';
import type { Expr } from '../ast/expr.js';
import { applyPredicate, COMPARISON_SYMBOL } from '../ast/apply.js';
import type { Value } from '../ast/value.js';
import { labelOf } from '../ast/label.js';
import type { ComparisonOp } from '../ast/expr.js';
import type { Node, Selector, SOp } from '../ast/program.js';
import { rewriteProgram } from '../ast/rewrite.js';
import type { ProgramGraph } from '../ast/graph.js';
import { diagnostic, type Diagnostic } from '../diagnostics.js';
import { planSelector } from '../typecheck/plan.js';
import { RULES } from '../typecheck/rules.js';
import { analyse, declaredEncoding, type Analysed } from '../typecheck/typecheck.js';

/** A tuple s-op of several s-ops (one categorical value per combination), or the s-op itself. */
const tupleOf = (sops: readonly SOp[], name: string): SOp => {
  if (sops.length === 1) return sops[0] as SOp;
  const x = E.v('x');
  const y = E.v('y');
  let acc = D.sequenceMap(D.lambda(['x', 'y'], E.tuple([x, y])), sops[0] as SOp, sops[1] as SOp);
  for (let i = 2; i < sops.length; i++) {
    const items = Array.from({ length: i }, (_, j) => E.index(x, E.lit(j)));
    acc = D.sequenceMap(D.lambda(['x', 'y'], E.tuple([...items, y])), acc, sops[i] as SOp);
  }
  return D.named(acc, name);
};

/**
 * A selector that mixes selects on different (query, key) pairs in a way one attention score
 * cannot express (e.g. `a | (b & c)`) is rewritten to a single select over tuples: the queries
 * and keys become tuple s-ops (an MLP each), and the predicate is the original formula over the
 * tuple components. Valid when none of the s-ops involved can be None (checked by the caller).
 */
export const rewriteAsTupleSelects = (program: SOp, graph: ProgramGraph, targets: readonly number[]): SOp => {
  if (targets.length === 0) return program;
  // what each target becomes, built from the rewritten components (rebuiltOf) inside the rewrite
  const replacements = new Map<number, (rebuiltOf: (n: Node) => Node) => Selector>();
  for (const id of targets) {
    const g = graph.nodes[id] as { node: Node; label: string };
    const atoms: Extract<Selector, { kind: 'select' }>[] = [];
    const collect = (s: Selector): void => {
      if (s.kind === 'select') atoms.push(s);
      else if (s.kind === 'selectorNot') collect(s.inner);
      else {
        collect(s.fst);
        collect(s.snd);
      }
    };
    collect(g.node as Selector);
    // group s-ops by graph identity so structurally merged copies share one component
    const queries: SOp[] = [];
    const keys: SOp[] = [];
    const slot = (list: SOp[], s: SOp): number => {
      const sid = graph.idOf.get(s);
      const i = list.findIndex((t) => graph.idOf.get(t) === sid);
      if (i >= 0) return i;
      list.push(s);
      return list.length - 1;
    };
    const places = atoms.map((a) => ({ q: slot(queries, a.queries), k: slot(keys, a.keys) }));
    const component = (name: 'k' | 'q', i: number, count: number): Expr =>
      count === 1 ? E.v(name) : E.index(E.v(name), E.lit(i));
    const atomBody = (a: Extract<Selector, { kind: 'select' }>, i: number): Expr | undefined => {
      const k = component('k', places[i]?.k as number, keys.length);
      const q = component('q', places[i]?.q as number, queries.length);
      const p = a.predicate;
      if (p.kind === 'comparison') {
        if (p.op === 'TRUE') return E.lit(true);
        if (p.op === 'FALSE') return E.lit(false);
        return E.binary(COMPARISON_SYMBOL[p.op] as ComparisonOp, k, q);
      }
      if (p.kind === 'lambda' && p.params.length === 2) {
        return E.substitute(p.body, new Map([[p.params[0] as string, k], [p.params[1] as string, q]]));
      }
      return undefined;
    };
    let next = 0;
    const formula = (s: Selector): Expr | undefined => {
      if (s.kind === 'select') {
        const i = next++;
        return atomBody(s, i);
      }
      if (s.kind === 'selectorNot') {
        const inner = formula(s.inner);
        return inner === undefined ? undefined : E.unary('not', inner);
      }
      const a = formula(s.fst);
      const b = formula(s.snd);
      return a === undefined || b === undefined ? undefined : E.binary(s.kind === 'selectorAnd' ? 'and' : 'or', a, b);
    };
    const body = formula(g.node as Selector);
    const label = labelOf(g.node);
    const predicate =
      body !== undefined
        ? D.lambda(['k', 'q'], body)
        : D.opaque(`${label}_tuple_predicate`, (k, q) => {
            // opaque atoms: evaluate the original formula on the components
            const at = (v: unknown, i: number, n: number): unknown => (n === 1 ? v : (v as unknown[])[i]);
            let j = 0;
            const holds = (s: Selector): boolean => {
              if (s.kind === 'select') {
                const i = j++;
                const pk = at(k, places[i]?.k as number, keys.length);
                const pq = at(q, places[i]?.q as number, queries.length);
                return applyPredicate(s.predicate, pk as Value, pq as Value) === true;
              }
              if (s.kind === 'selectorNot') return !holds(s.inner);
              const a = holds(s.fst);
              const b = holds(s.snd);
              return s.kind === 'selectorAnd' ? a && b : a || b;
            };
            return holds(g.node as Selector);
          });
    const sameSides =
      keys.length === queries.length && keys.every((k, i) => graph.idOf.get(k) === graph.idOf.get(queries[i] as SOp));
    replacements.set(id, (rebuiltOf) => {
      const now = (xs: readonly SOp[]): SOp[] => xs.map((x) => rebuiltOf(x) as SOp);
      const keyTuple = tupleOf(now(keys), sameSides ? `${label}_tuple` : `${label}_keys`);
      const queryTuple = sameSides ? keyTuple : tupleOf(now(queries), `${label}_queries`);
      return D.select(keyTuple, queryTuple, predicate);
    });
  }
  return rewriteProgram(program, (original, rebuilt, rebuiltOf) => {
    const id = graph.idOf.get(original);
    const replace = id === undefined ? undefined : replacements.get(id);
    return replace === undefined ? rebuilt : replace(rebuiltOf);
  });
};

/** The pass: composite selectors that one score cannot express become selects over tuples (then re-analysed). */
export const tupleSelectors = (a: Analysed): Either.Either<readonly Diagnostic[], Analysed> => {
  const declared = declaredEncoding(a.graph);
  const selectorIds = new Set(
    a.graph.nodes
      .filter((g) => g.node.kind === 'aggregate' || g.node.kind === 'selectorWidth')
      .map((g) => g.children[0] as number),
  );
  const targets = [...selectorIds].filter((id) => {
    const p = planSelector(a.graph, id, declared, a.inference.valueSets, a.inference.selectorFacts);
    return 'kind' in p && p.kind === 'score-tuple';
  });
  if (targets.length === 0) return Either.right(a);
  const problems = targets.flatMap((id) => {
    const p = planSelector(a.graph, id, declared, a.inference.valueSets, a.inference.selectorFacts);
    const sops = 'groups' in p ? p.groups.flatMap((g) => [g.queries, g.keys]) : [];
    const noneable = sops.filter((s) => a.inference.valueSets.get(s)?.hasNone);
    return noneable.map((s) =>
      diagnostic(RULES.compositeNone.id, `${a.graph.nodes[s]?.label} may be None: ${RULES.compositeNone.summary}`, {
        node: a.graph.nodes[id]?.label,
        fix: RULES.compositeNone.fix,
      }),
    );
  });
  if (problems.length > 0) return Either.left(problems);
  return analyse(rewriteAsTupleSelects(a.program, a.graph, targets), a.bounds);
};
