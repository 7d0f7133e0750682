/**
 * Selector rewrites that make attention heads small, each checked on the value sets before it
 * applies (so it holds on every input within the bounds):
 *
 * - Lexicographic keys: `select(k, k, <)` where `k = f(a, b)` orders pairs exactly as (a, b)
 *   lexicographically (Tracr's sort keys `x + min_key·i/max_len`) becomes
 *   `select(a, a, <) | (select(a, a, ==) & select(b, b, <))`: tables over a and b instead of
 *   over every (a, b) pair.
 * - Width of a disjoint union: `selector_width(A | B)` with A and B never selecting the same key
 *   becomes `selector_width(A) + selector_width(B)`: two cheap heads instead of a tuple head.
 *
 * Preserves: the program's output on every input within the bounds (each rewrite is checked on
 * the value sets). Checked by test/unit/passes/normaliseSelectors.test.ts (exact rewritten
 * programs) and the interpreter comparisons of test/integration/compiler.test.ts.
 */
import * as Either from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as D from '../ast/dsl.js';
import * as E from '../ast/expr.js';
import { applyFn, applyPredicate } from '../ast/apply.js';
import { ExprFailure } from '../ast/exprEval.js';
import { labelOf } from '../ast/label.js';
import type { Comparison, Node, Selector, SOp } from '../ast/program.js';
import { rewriteProgram } from '../ast/rewrite.js';
import type { Value } from '../ast/value.js';
import type { Diagnostic } from '../diagnostics.js';
import type { ProgramGraph } from '../ast/graph.js';
import type { ValueSet } from '../typecheck/valueSet.js';
import type { Analysed } from '../typecheck/typecheck.js';
import { reanalysedAfter } from './reanalyse.js';

const ORDERS: readonly Comparison[] = ['LT', 'LEQ', 'GT', 'GEQ'];

/** The rewritten selector when select(k, k, op) on k = f(a, b) is a lexicographic order on (a, b). */
const lexicographic = (graph: ProgramGraph, sets: ReadonlyMap<number, ValueSet>, sel: Node): Selector | undefined => {
  if (sel.kind !== 'select' || sel.predicate.kind !== 'comparison' || !ORDERS.includes(sel.predicate.op)) return undefined;
  const kid = graph.idOf.get(sel.keys);
  if (kid === undefined || kid !== graph.idOf.get(sel.queries)) return undefined;
  const keys = sel.keys;
  if (keys.kind !== 'sequenceMap' || keys.fst.encoding !== 'categorical' || keys.snd.encoding !== 'categorical') return undefined;
  const as = sets.get(graph.idOf.get(keys.fst) as number);
  const bs = sets.get(graph.idOf.get(keys.snd) as number);
  if (as === undefined || bs === undefined || as.hasNone || bs.hasNone || as.size * bs.size > 2500) return undefined;
  const pairs: { a: Value; b: Value; k: Value }[] = [];
  for (const a of as.values) {
    for (const b of bs.values) {
      const k = applyFn(keys.fn, [a, b]);
      if (k instanceof ExprFailure || k === null) return undefined;
      pairs.push({ a, b, k });
    }
  }
  const op = sel.predicate.op;
  const holds = (p: Comparison, x: Value, y: Value): boolean => applyPredicate({ kind: 'comparison', op: p }, x, y) === true;
  // each component may be ascending or descending; the minor one is strict exactly when op is
  const minorChoices: readonly Comparison[] = op === 'LT' || op === 'GT' ? ['LT', 'GT'] : ['LEQ', 'GEQ'];
  for (const [first, second] of [['fst', 'snd'], ['snd', 'fst']] as const) {
    const pick = (p: { a: Value; b: Value }, side: 'fst' | 'snd'): Value => (side === 'fst' ? p.a : p.b);
    for (const majorCmp of ['LT', 'GT'] as const) {
      for (const minorCmp of minorChoices) {
        const equivalent = pairs.every((key) =>
          pairs.every((query) => {
            const lex =
              holds(majorCmp, pick(key, first), pick(query, first)) ||
              (holds('EQ', pick(key, first), pick(query, first)) && holds(minorCmp, pick(key, second), pick(query, second)));
            return holds(op, key.k, query.k) === lex;
          }),
        );
        if (!equivalent) continue;
        const major = first === 'fst' ? keys.fst : keys.snd;
        const minor = first === 'fst' ? keys.snd : keys.fst;
        return D.selectorOr(D.select(major, major, majorCmp), D.selectorAnd(D.select(major, major, 'EQ'), D.select(minor, minor, minorCmp)));
      }
    }
  }
  return undefined;
};

/** Leaf selects of a selector formula. */
const atoms = (s: Selector): Extract<Selector, { kind: 'select' }>[] =>
  s.kind === 'select' ? [s] : s.kind === 'selectorNot' ? atoms(s.inner) : [...atoms(s.fst), ...atoms(s.snd)];

/**
 * Whether A and B can never both select a key: A ∧ B is false for every combination of the
 * truth values each (query s-op, key s-op) pair can give its atoms (pairs vary independently,
 * which covers every real input).
 */
const disjoint = (graph: ProgramGraph, sets: ReadonlyMap<number, ValueSet>, a: Selector, b: Selector): boolean => {
  const all = [...atoms(a), ...atoms(b)];
  const groupOf = (s: Extract<Selector, { kind: 'select' }>): string => `${graph.idOf.get(s.queries)}:${graph.idOf.get(s.keys)}`;
  const groups = [...new Set(all.map(groupOf))];
  const vectors = groups.map((g) => {
    const members = all.filter((s) => groupOf(s) === g);
    const first = members[0] as Extract<Selector, { kind: 'select' }>;
    const qs = [...(sets.get(graph.idOf.get(first.queries) as number)?.values ?? []), null];
    const ks = [...(sets.get(graph.idOf.get(first.keys) as number)?.values ?? []), null];
    const seen = new Map<string, Map<Node, boolean>>();
    for (const q of qs) {
      for (const k of ks) {
        const truth = new Map<Node, boolean>(members.map((s) => [s, applyPredicate(s.predicate, k, q) === true]));
        seen.set(members.map((s) => (truth.get(s) ? '1' : '0')).join(''), truth);
      }
    }
    return [...seen.values()];
  });
  if (vectors.reduce((n, v) => n * v.length, 1) > 100_000) return false;
  const evalWith = (s: Selector, truth: Map<Node, boolean>): boolean => {
    if (s.kind === 'select') return truth.get(s) as boolean;
    if (s.kind === 'selectorNot') return !evalWith(s.inner, truth);
    const x = evalWith(s.fst, truth);
    const y = evalWith(s.snd, truth);
    return s.kind === 'selectorAnd' ? x && y : x || y;
  };
  const walk = (i: number, truth: Map<Node, boolean>): boolean => {
    if (i === vectors.length) return !(evalWith(a, truth) && evalWith(b, truth));
    return (vectors[i] as Map<Node, boolean>[]).every((v) => walk(i + 1, new Map([...truth, ...v])));
  };
  return walk(0, new Map());
};

/** The disjoint parts of a selector's top-level unions. */
const disjointParts = (graph: ProgramGraph, sets: ReadonlyMap<number, ValueSet>, s: Selector): Selector[] =>
  s.kind === 'selectorOr' && disjoint(graph, sets, s.fst, s.snd)
    ? [...disjointParts(graph, sets, s.fst), ...disjointParts(graph, sets, s.snd)]
    : [s];

const sum = (parts: readonly SOp[]): SOp =>
  parts.slice(1).reduce((acc, p) => D.sequenceMap(D.lambda(['x', 'y'], E.binary('+', E.v('x'), E.v('y'))), acc, p), parts[0] as SOp);

/** The lexicographic-keys rewrite; the same program object when it does not apply. */
export const lexicographicKeys = (
  program: SOp,
  graph: ProgramGraph,
  sets: ReadonlyMap<number, ValueSet>,
): { program: SOp; rewrites: string[] } => {
  const rewrites: string[] = [];
  const result = rewriteProgram(program, (original, rebuilt) => {
    if (rebuilt.kind !== 'select') return rebuilt;
    const lex = lexicographic(graph, sets, original);
    if (lex === undefined) return rebuilt;
    rewrites.push(`${labelOf(original)}: the order on ${labelOf((original as { keys: SOp }).keys)} is lexicographic on its inputs`);
    return lex;
  });
  return { program: result, rewrites };
};

/** The width-of-a-disjoint-union rewrite; the same program object when it does not apply. */
export const splitDisjointWidths = (
  program: SOp,
  graph: ProgramGraph,
  sets: ReadonlyMap<number, ValueSet>,
): { program: SOp; rewrites: string[] } => {
  const rewrites: string[] = [];
  const result = rewriteProgram(program, (original, rebuilt, rebuiltOf) => {
    if (original.kind !== 'selectorWidth' || rebuilt.kind !== 'selectorWidth') return rebuilt;
    const parts = disjointParts(graph, sets, original.selector);
    if (parts.length < 2) return rebuilt;
    rewrites.push(`${labelOf(original)}: selector width of ${parts.length} disjoint parts, summed`);
    const total: SOp = { ...sum(parts.map((p) => D.selectorWidth(rebuiltOf(p) as Selector))), encoding: rebuilt.encoding };
    return rebuilt.name === undefined ? total : D.named(total, rebuilt.name);
  });
  return { program: result, rewrites };
};

/** The pass: both selector rewrites, in order, each followed by re-analysis when it applied. */
export const normaliseSelectors = (a: Analysed): Either.Either<readonly Diagnostic[], Analysed> =>
  pipe(reanalysedAfter(a, lexicographicKeys(a.program, a.graph, a.inference.valueSets).program), Either.chain((b) => reanalysedAfter(b, splitDisjointWidths(b.program, b.graph, b.inference.valueSets).program)));
