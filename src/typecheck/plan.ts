import * as Either from 'fp-ts/lib/Either.js';
import { applyFn, applyPredicate } from '../ast/apply.js';
import { ExprFailure } from '../ast/exprEval.js';
import { isSelector, type Encoding, type Node, type Selector } from '../ast/program.js';
import { canonicalNumber, isNumberLike, showValue, toNumber, type Value } from '../ast/value.js';
import { diagnostic, type Diagnostic } from '../diagnostics.js';
import type { ProgramGraph } from '../ast/graph.js';
import { fitAffine1, splitSeparable } from './fnShape.js';
import type { ValueSetInference } from './inferValueSets.js';
import { RULES, type Rule } from './rules.js';
import type { SelectorFacts } from './selectorFacts.js';
import type { ValueSet } from './valueSet.js';

/**
 * How each s-op is built. MLP constructions:
 * - `linear-mlp`: the output is an affine function of the inputs' encodings (numerical output).
 * - `table-mlp`: categorical input → categorical output, a lookup table.
 * - `pair-table-mlp`: two categorical inputs, one hidden unit per value pair.
 * - `discretising-mlp`: one numerical input cut into steps between its values.
 * - `gated-discretising-mlp`: a numerical input's steps gated by a categorical input.
 */
export type SOpConstruction =
  | 'embed-tokens'
  | 'embed-indices'
  | 'embed-constant'
  | 'linear-mlp'
  | 'table-mlp'
  | 'pair-table-mlp'
  | 'discretising-mlp'
  | 'gated-discretising-mlp'
  | 'categorical-attention'
  | 'numerical-attention'
  | 'selector-width';

/** A pair of (query s-op, key s-op) whose atoms are scored by one table. */
export interface SelectGroup {
  readonly queries: number;
  readonly keys: number;
  readonly atoms: readonly number[];
}

/**
 * How a selector becomes attention scores:
 * - `score-table`: all atoms share one (query, key) pair: one table over their values.
 * - `score-conjunction`: an AND of per-pair conditions: the sum of the pairs' 0/1 tables.
 * - `score-tuple`: anything else: queries and keys become tuples of the pairs' values first.
 */
export interface SelectorPlan {
  readonly kind: 'score-table' | 'score-conjunction' | 'score-tuple';
  readonly groups: readonly SelectGroup[];
  /** True when the (single) group's query is numerical. */
  readonly numericalQuery: boolean;
}

export interface NodePlan {
  readonly id: number;
  readonly construction: SOpConstruction;
  /** The representation in the residual stream (may differ from the declared encoding). */
  readonly representation: Encoding;
  readonly selector?: SelectorPlan;
}

export interface ProgramPlan {
  readonly nodes: ReadonlyMap<number, NodePlan>;
}

type Problem = { readonly rule: Rule; readonly detail: string };

const reject = (rule: Rule, detail: string): Problem => ({ rule, detail });

/** Atoms (leaf selects) of a selector formula, in order. */
export const atomsOf = (graph: ProgramGraph, id: number): number[] => {
  const node = graph.nodes[id]?.node as Node;
  if (node.kind === 'select') return [id];
  return (graph.nodes[id]?.children ?? []).flatMap((c) => atomsOf(graph, c));
};

export const groupKey = (graph: ProgramGraph, atom: number): string => {
  const [keys, queries] = graph.nodes[atom]?.children as [number, number];
  return `${queries}:${keys}`;
};

/** The top-level AND operands of a selector formula. */
export const conjuncts = (graph: ProgramGraph, id: number): number[] => {
  const node = graph.nodes[id]?.node as Selector;
  if (node.kind !== 'selectorAnd') return [id];
  return (graph.nodes[id]?.children ?? []).flatMap((c) => conjuncts(graph, c));
};

/**
 * Whether a numerical query can score the keys: every query value selects one class of key values
 * (key values selected by exactly the same queries) or none, and each class — and "none" — is
 * selected on a contiguous range of the sorted query values.
 */
const numericalQueryIsScorable = (
  selects: (key: Value, query: Value) => boolean | ExprFailure,
  queries: ValueSet,
  keys: ValueSet,
): boolean => {
  const keyValues = keys.withoutNone().values;
  const patterns = keyValues.map((k) => queries.values.map((q) => (selects(k, q) === true ? '1' : '0')).join(''));
  const classOf = queries.values.map((_, qi) => {
    const selected = new Set(keyValues.map((_, ki) => patterns[ki] as string).filter((p) => p[qi] === '1'));
    return selected.size === 0 ? 'none' : selected.size === 1 ? [...selected][0] : undefined;
  });
  if (classOf.some((c) => c === undefined)) return false;
  const seen = new Set<string>();
  let previous: string | undefined;
  for (const c of classOf as string[]) {
    if (c !== previous) {
      if (seen.has(c)) return false;
      seen.add(c);
      previous = c;
    }
  }
  return true;
};

export const planSelector = (
  graph: ProgramGraph,
  id: number,
  rep: (id: number) => Encoding,
  sets: ReadonlyMap<number, ValueSet>,
  facts: ReadonlyMap<number, SelectorFacts>,
): SelectorPlan | Problem => {
  const atoms = atomsOf(graph, id);
  const groups = new Map<string, number[]>();
  for (const a of atoms) groups.set(groupKey(graph, a), [...(groups.get(groupKey(graph, a)) ?? []), a]);
  const groupList: SelectGroup[] = [...groups.values()].map((as) => {
    const [keys, queries] = graph.nodes[as[0] as number]?.children as [number, number];
    return { queries, keys, atoms: as };
  });
  for (const g of groupList) {
    const constantPredicate = g.atoms.every((a) => {
      const p = (graph.nodes[a]?.node as Extract<Selector, { kind: 'select' }>).predicate;
      return p.kind === 'comparison' && (p.op === 'TRUE' || p.op === 'FALSE');
    });
    if (rep(g.keys) === 'numerical' && !constantPredicate) {
      return reject(RULES.numericalKey, `keys ${graph.nodes[g.keys]?.label} are numerical`);
    }
  }
  const numericalGroups = groupList.filter((g) => rep(g.queries) === 'numerical');
  const constantGroup = (g: SelectGroup): boolean =>
    g.atoms.every((a) => {
      const p = (graph.nodes[a]?.node as Extract<Selector, { kind: 'select' }>).predicate;
      return p.kind === 'comparison' && (p.op === 'TRUE' || p.op === 'FALSE');
    });
  if (groupList.length === 1) {
    const g = groupList[0] as SelectGroup;
    // a constant predicate needs no lines: its table does not look at the values
    const numericalQuery = numericalGroups.length === 1 && !constantGroup(g);
    if (numericalQuery) {
      const selects = (k: Value, q: Value): boolean | ExprFailure => selectorHolds(graph, id, k, q);
      if (!numericalQueryIsScorable(selects, sets.get(g.queries) as ValueSet, sets.get(g.keys) as ValueSet)) {
        return reject(RULES.numericalQuery, `query ${graph.nodes[g.queries]?.label} is numerical`);
      }
      if (!(facts.get(id)?.neverEmpty ?? false)) {
        return reject(RULES.numericalQuery, `query ${graph.nodes[g.queries]?.label} is numerical and a query may select no key`);
      }
    }
    return { kind: 'score-table', groups: groupList, numericalQuery };
  }
  if (numericalGroups.some((g) => !constantGroup(g))) {
    const g = numericalGroups.find((x) => !constantGroup(x)) as SelectGroup;
    return reject(RULES.numericalQuery, `query ${graph.nodes[g.queries]?.label} is numerical in a composite selector`);
  }
  const conjunctive = conjuncts(graph, id).every((c) => new Set(atomsOf(graph, c).map((a) => groupKey(graph, a))).size === 1);
  if (conjunctive) return { kind: 'score-conjunction', groups: groupList, numericalQuery: false };
  const bothNumerical = groupList.find((g) => rep(g.keys) === 'numerical' && rep(g.queries) === 'numerical');
  if (bothNumerical !== undefined) {
    return reject(RULES.compositeNumerical, `pair (${graph.nodes[bothNumerical.queries]?.label}, ${graph.nodes[bothNumerical.keys]?.label})`);
  }
  return { kind: 'score-tuple', groups: groupList, numericalQuery: false };
};

/** Evaluates a single-group selector formula on one (key value, query value) pair. */
export const selectorHolds = (graph: ProgramGraph, id: number, key: Value, query: Value): boolean | ExprFailure => {
  const g = graph.nodes[id] as { node: Node; children: readonly number[] };
  const node = g.node as Selector;
  if (node.kind === 'select') return applyPredicate(node.predicate, key, query);
  const a = selectorHolds(graph, g.children[0] as number, key, query);
  if (a instanceof ExprFailure || node.kind === 'selectorNot') return a instanceof ExprFailure ? a : !a;
  if (node.kind === 'selectorAnd' ? !a : a) return a;
  return selectorHolds(graph, g.children[1] as number, key, query);
};

const asValue = (r: Value | ExprFailure): Value | undefined => (r instanceof ExprFailure ? undefined : r);

/** The function a two-input map computes: a sequence map's lambda, or α·x + β·y. */
export const pairFunction = (node: Extract<Node, { kind: 'sequenceMap' | 'linearSequenceMap' }>) =>
  (x: Value, y: Value): Value | ExprFailure =>
    node.kind === 'sequenceMap'
      ? applyFn(node.fn, [x, y])
      : isNumberLike(x) && isNumberLike(y)
        ? canonicalNumber(node.fstCoeff * toNumber(x) + node.sndCoeff * toNumber(y))
        : new ExprFailure('a linear combination of non-numbers');

/**
 * How a (linear) sequence map compiles, given its inputs' representations: `linear-mlp` when the
 * output is numerical and the function is separable and affine in each numerical input (always,
 * for a linear sequence map); otherwise — a categorical output, whatever the function — a pair
 * table (two categorical inputs), a gated discretisation (one numerical input), or
 * `two-numerical`, which the typecheck pass removes by discretising one input first.
 */
export const sequenceMapShape = (
  graph: ProgramGraph,
  id: number,
  sets: ReadonlyMap<number, ValueSet>,
  representation: (id: number) => Encoding,
): 'linear-mlp' | 'pair-table-mlp' | 'gated-discretising-mlp' | 'two-numerical' => {
  const g = graph.nodes[id] as { node: Node; children: readonly number[] };
  const node = g.node as Extract<Node, { kind: 'sequenceMap' | 'linearSequenceMap' }>;
  const [a, b] = g.children as [number, number];
  if (representation(id) === 'numerical') {
    if (node.kind === 'linearSequenceMap') return 'linear-mlp';
    const xs = (sets.get(a) as ValueSet).withoutNone().values;
    const ys = (sets.get(b) as ValueSet).withoutNone().values;
    const f = pairFunction(node);
    const split = splitSeparable(xs, ys, (x, y) => asValue(f(x, y)));
    if (split !== undefined) {
      const gPoints = xs.map((x, i) => [Number(x), split.g[i] as number] as const);
      const hPoints = ys.map((y, j) => [Number(y), split.h[j] as number] as const);
      const affineIn = (input: number, points: readonly (readonly [number, number])[]): boolean =>
        representation(input) === 'categorical' || fitAffine1(points) !== undefined;
      if (affineIn(a, gPoints) && affineIn(b, hPoints)) return 'linear-mlp';
    }
  }
  const numericalInputs = [a, b].filter((c) => representation(c) === 'numerical').length;
  return numericalInputs === 0 ? 'pair-table-mlp' : numericalInputs === 1 ? 'gated-discretising-mlp' : 'two-numerical';
};

/**
 * Chooses a construction for every s-op, or says which rule forbids it. `representation` gives
 * each s-op's encoding in the residual stream (by default its declared encoding).
 */
export const planProgram = (
  graph: ProgramGraph,
  inference: ValueSetInference,
  representation: (id: number) => Encoding = (id) => (graph.nodes[id]?.node as { encoding: Encoding }).encoding,
): Either.Either<readonly Diagnostic[], ProgramPlan> => {
  const sets = inference.valueSets;
  const plans = new Map<number, NodePlan>();
  const problems: Diagnostic[] = [];
  const setOf = (id: number): ValueSet => sets.get(id) as ValueSet;
  for (const g of graph.nodes) {
    if (isSelector(g.node)) continue;
    const node = g.node;
    const rep = representation(g.id);
    const fail = (p: Problem): void => {
      problems.push(diagnostic(p.rule.id, `${p.detail}: ${p.rule.summary}`, { node: g.label, fix: p.rule.fix }));
    };
    if (rep === 'numerical' && !setOf(g.id).isNumeric) {
      fail(reject(RULES.numericalValues, `values ${setOf(g.id).describe(6)}`));
      continue;
    }
    const plan = (construction: SOpConstruction, selector?: SelectorPlan): void => {
      plans.set(g.id, { id: g.id, construction, representation: rep, ...(selector ? { selector } : {}) });
    };
    switch (node.kind) {
      case 'tokens':
        plan('embed-tokens');
        break;
      case 'indices':
        plan('embed-indices');
        break;
      case 'full':
        plan('embed-constant');
        break;
      case 'map': {
        const input = g.children[0] as number;
        const xs = setOf(input).withoutNone().values;
        if (rep === 'numerical' && representation(input) === 'categorical') plan('linear-mlp');
        else if (representation(input) === 'categorical') plan('table-mlp');
        else if (
          rep === 'numerical' &&
          fitAffine1(xs.filter(isNumberLike).map((x) => [Number(x), asValue(applyFn(node.fn, [x])) ?? null] as const))
        ) {
          plan('linear-mlp');
        } else plan('discretising-mlp');
        break;
      }
      case 'linearSequenceMap':
      case 'sequenceMap': {
        const shape = sequenceMapShape(graph, g.id, sets, representation);
        if (shape === 'two-numerical') {
          fail(reject(RULES.twoNumericalInputs, 'both inputs are numerical and the output is categorical or the function is not affine'));
        } else plan(shape);
        break;
      }
      case 'aggregate':
      case 'selectorWidth': {
        const selectorId = g.children[0] as number;
        const selector = planSelector(graph, selectorId, representation, sets, inference.selectorFacts);
        if ('rule' in selector) {
          fail(selector);
          break;
        }
        if (node.kind === 'selectorWidth') {
          // a width needs BOS to tie with the selected keys, which a numerical score cannot do
          if (selector.numericalQuery) {
            fail(reject(RULES.numericalQuery, 'a selector width cannot use a numerical query'));
            break;
          }
          plan('selector-width', selector);
          break;
        }
        const inner = g.children[1] as number;
        // the aggregated s-op's declared encoding, and how it is carried (the representation
        // search may carry a categorical s-op numerically), must both match the aggregate's
        if (node.encoding !== (graph.nodes[inner]?.node as { encoding: Encoding }).encoding || representation(inner) !== node.encoding) {
          fail(reject(RULES.aggregateEncoding, `aggregate is ${node.encoding}, its s-op is not (or is carried otherwise)`));
          break;
        }
        if (node.encoding === 'numerical' && (node.default === null || !isNumberLike(node.default))) {
          fail(reject(RULES.numericalDefault, `default is ${showValue(node.default)}`));
          break;
        }
        plan(node.encoding === 'numerical' ? 'numerical-attention' : 'categorical-attention', selector);
        break;
      }
    }
  }
  return problems.length > 0 ? Either.left(problems) : Either.right({ nodes: plans });
};
