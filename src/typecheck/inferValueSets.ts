import * as Either from 'fp-ts/lib/Either.js';
import { applyFn } from '../ast/apply.js';
import { ExprFailure } from '../ast/exprEval.js';
import { isSelector, type Selector, type SOp } from '../ast/program.js';
import { canonicalNumber, isNumberLike, numbersClose, showValue, toNumber, type Value } from '../ast/value.js';
import { diagnostic, type Diagnostic } from '../diagnostics.js';
import { Evaluation } from '../interpreter/evaluate.js';
import type { ProgramGraph } from '../ast/graph.js';
import type { Bounds } from './bounds.js';
import { UNREPRESENTABLE_FIX, unrepresentableConstant, unrepresentableSet } from './representable.js';
import { selectorFacts, type SelectorFacts } from './selectorFacts.js';
import { ValueSet } from './valueSet.js';

/** Above this many values a value set is refused (the model would be impractically large). */
export const MAX_VALUE_SET = 100_000;
/** Position-only sub-programs are evaluated exactly for every length up to this bound. */
export const POSITIONAL_EXACT_LIMIT = 256;

export interface ValueSetInference {
  /** For every s-op (by graph id): a superset of every value it takes on inputs within the bounds. */
  readonly valueSets: ReadonlyMap<number, ValueSet>;
  readonly selectorFacts: ReadonlyMap<number, SelectorFacts>;
  /** S-ops and selectors that do not depend on the tokens. */
  readonly positional: ReadonlySet<number>;
  readonly warnings: readonly Diagnostic[];
}

const sortedUniqueNumbers = (xs: number[]): number[] => {
  xs.sort((a, b) => a - b);
  const out: number[] = [];
  for (const x of xs) if (out.length === 0 || !numbersClose(out[out.length - 1] as number, x)) out.push(x);
  return out;
};

/** Every mean of a multiset of 1..maxLen values drawn from `values` (k/w for 0/1 values). */
const meansOf = (values: readonly number[], maxLen: number): number[] | undefined => {
  let sums = sortedUniqueNumbers([...values]);
  const means: number[] = [];
  for (let w = 1; w <= maxLen; w++) {
    for (const s of sums) means.push(canonicalNumber(s / w));
    if (means.length > 20 * MAX_VALUE_SET) return undefined;
    if (w < maxLen) {
      // check before building: sums × values can be far beyond memory
      if (sums.length * values.length > 20 * MAX_VALUE_SET) return undefined;
      const next: number[] = [];
      for (const s of sums) for (const v of values) next.push(s + v);
      sums = sortedUniqueNumbers(next);
      if (sums.length > MAX_VALUE_SET) return undefined;
    }
  }
  return sortedUniqueNumbers(means);
};

/**
 * Sound value-set inference. Token-independent nodes are evaluated exactly for every length;
 * the rest by abstract rules (images of functions over input sets, products for sequence maps,
 * all k/w means for numerical aggregates, widths 0..N sharpened by selector facts).
 */
export const inferValueSets = (
  graph: ProgramGraph,
  bounds: Bounds,
): Either.Either<readonly Diagnostic[], ValueSetInference> => {
  const sets = new Map<number, ValueSet>();
  const facts = new Map<number, SelectorFacts>();
  const errors: Diagnostic[] = [];
  const warnings: Diagnostic[] = [];
  const dependsOnTokens = new Map<number, boolean>();
  const neverNone = (id: number): boolean => {
    const n = graph.nodes[id]?.node;
    return n?.kind === 'tokens' || n?.kind === 'indices' || (n?.kind === 'full' && n.value !== null);
  };
  for (const g of graph.nodes) {
    const n = g.node;
    // select(tokens, tokens, TRUE) (so `length`) depends only on the positions
    const constantSelect =
      n.kind === 'select' &&
      n.predicate.kind === 'comparison' &&
      (n.predicate.op === 'TRUE' || n.predicate.op === 'FALSE') &&
      g.children.every(neverNone);
    dependsOnTokens.set(
      g.id,
      !constantSelect && (n.kind === 'tokens' || g.children.some((c) => dependsOnTokens.get(c) === true)),
    );
  }
  const positional = new Set(graph.nodes.filter((g) => !dependsOnTokens.get(g.id)).map((g) => g.id));

  const exact = bounds.maxLen <= POSITIONAL_EXACT_LIMIT ? evaluatePositional(graph, bounds, positional, warnings) : undefined;
  const nonEmpty = bounds.maxLen <= POSITIONAL_EXACT_LIMIT ? positionalNeverEmpty(graph, bounds, positional) : new Set<number>();

  const setOf = (id: number): ValueSet => sets.get(id) as ValueSet;
  /** The set, or (reported) the empty set when a model cannot carry its values: no cascade below. */
  const representable = (set: ValueSet, label: string): ValueSet => {
    const problem = unrepresentableSet(set);
    if (problem === undefined) return set;
    errors.push(diagnostic('value-set/unrepresentable', problem, { node: label, fix: UNREPRESENTABLE_FIX }));
    return ValueSet.empty;
  };
  for (const g of graph.nodes) {
    const node = g.node;
    if (isSelector(node)) {
      const f = selectorFacts(graph, g.id, sets, facts);
      facts.set(g.id, nonEmpty.has(g.id) ? { ...f, neverEmpty: true } : f);
      continue;
    }
    const constant = unrepresentableConstant(node);
    if (constant !== undefined) {
      errors.push(diagnostic('value-set/unrepresentable', constant, { node: g.label, fix: UNREPRESENTABLE_FIX }));
      sets.set(g.id, ValueSet.empty);
      continue;
    }
    const exactValues = exact?.get(g.id);
    if (exactValues !== undefined) {
      sets.set(g.id, representable(exactValues, g.label));
      continue;
    }
    const result =
      sameSelectorLinearMean(graph, g.id, setOf, (id) => facts.get(id) as SelectorFacts, bounds) ??
      abstractValueSet(node, g.children, setOf, (id) => facts.get(id) as SelectorFacts, bounds);
    if ('error' in result) {
      errors.push(diagnostic(result.code, result.error, { node: g.label, fix: result.fix }));
      sets.set(g.id, ValueSet.empty);
      continue;
    }
    if (result.failures.length > 0) {
      warnings.push(
        diagnostic(
          'value-set/function-fails',
          `the function fails on ${result.failures.length} input value(s) the node may receive, e.g. ${result.failures[0]}; inputs reaching them have no output`,
          { node: g.label, severity: 'warning', fix: 'make the function total over its input values' },
        ),
      );
    }
    if (result.set.size > MAX_VALUE_SET) {
      errors.push(
        diagnostic('value-set/too-large', `the value set has ${result.set.size} values (limit ${MAX_VALUE_SET})`, {
          node: g.label,
          fix: 'lower --max-len or the vocabulary, or simplify the function',
        }),
      );
    }
    sets.set(g.id, representable(result.set, g.label));
  }
  if (errors.length > 0) return Either.left(errors);
  return Either.right({ valueSets: sets, selectorFacts: facts, positional, warnings });
};

type AbstractResult =
  | { readonly set: ValueSet; readonly failures: readonly string[] }
  | { readonly error: string; readonly code: string; readonly fix: string };

/** Above this many argument combinations a function's image is not enumerated. */
export const MAX_COMBINATIONS = 2_000_000;

const image = (inputs: readonly (readonly Value[])[], f: (args: Value[]) => Value | ExprFailure): AbstractResult => {
  const combos = inputs.reduce((n, xs) => n * xs.length, 1);
  if (combos > MAX_COMBINATIONS) {
    return {
      code: 'value-set/too-large',
      error: `the function would have to be evaluated on ${combos} combinations of input values (limit ${MAX_COMBINATIONS})`,
      fix: 'lower --max-len or the vocabulary, or make an input categorical with fewer values',
    };
  }
  const out: Value[] = [];
  const failures: string[] = [];
  const walk = (prefix: Value[], i: number): void => {
    if (i === inputs.length) {
      const r = f(prefix);
      if (r instanceof ExprFailure) failures.push(`(${prefix.map(showValue).join(', ')}): ${r.message}`);
      else out.push(r);
      return;
    }
    for (const v of inputs[i] as readonly Value[]) walk([...prefix, v], i + 1);
  };
  walk([], 0);
  return { set: ValueSet.of(out), failures };
};

const abstractValueSet = (
  node: SOp,
  kids: readonly number[],
  setOf: (id: number) => ValueSet,
  factsOf: (id: number) => SelectorFacts,
  bounds: Bounds,
): AbstractResult => {
  const N = bounds.maxLen;
  switch (node.kind) {
    case 'tokens':
      return { set: ValueSet.of(bounds.vocab), failures: [] };
    case 'indices':
      return { set: ValueSet.of(Array.from({ length: N }, (_, i) => i)), failures: [] };
    case 'full':
      return { set: ValueSet.of([node.value]), failures: [] };
    case 'map': {
      const inner = setOf(kids[0] as number);
      const r = image([inner.withoutNone().values], (args) => applyFn(node.fn, args));
      return inner.hasNone && 'set' in r ? { ...r, set: r.set.union(ValueSet.of([null])) } : r;
    }
    case 'sequenceMap':
    case 'linearSequenceMap': {
      const a = setOf(kids[0] as number);
      const b = setOf(kids[1] as number);
      if (node.kind === 'linearSequenceMap' && (!a.withoutNone().isNumeric || !b.withoutNone().isNumeric)) {
        return {
          code: 'value-set/linear-non-numeric',
          error: `linear_sequence_map over non-numbers (${a.describe(4)}, ${b.describe(4)})`,
          fix: 'apply it to numeric s-ops only',
        };
      }
      const f =
        node.kind === 'sequenceMap'
          ? (args: Value[]) => applyFn(node.fn, args)
          : ([x, y]: Value[]) => canonicalNumber(node.fstCoeff * toNumber(x as number) + node.sndCoeff * toNumber(y as number));
      const r = image([a.withoutNone().values, b.withoutNone().values], f);
      return (a.hasNone || b.hasNone) && 'set' in r ? { ...r, set: r.set.union(ValueSet.of([null])) } : r;
    }
    case 'selectorWidth': {
      const facts = factsOf(kids[0] as number);
      const lo = facts.selfSelecting ? 1 : 0;
      const hi = facts.atMostOne ? 1 : N;
      return { set: ValueSet.of(Array.from({ length: hi - lo + 1 }, (_, i) => lo + i)), failures: [] };
    }
    case 'aggregate': {
      const facts = factsOf(kids[0] as number);
      const inner = setOf(kids[1] as number);
      const fallback = facts.selfSelecting ? [] : [node.default];
      if (node.encoding === 'categorical') return { set: inner.union(ValueSet.of(fallback)), failures: [] };
      if (!inner.isNumeric) {
        return {
          code: 'rule/numerical-values',
          error: `numerical aggregate over non-numeric values ${inner.describe(6)}`,
          fix: 'aggregate a numerical s-op whose values are numbers, or make the aggregate categorical',
        };
      }
      if (facts.atMostOne) return { set: ValueSet.of([...inner.numbers(), ...fallback]), failures: [] };
      const means = meansOf(inner.numbers(), N);
      if (means === undefined) {
        return {
          code: 'value-set/too-large',
          error: `the means of ${inner.describe(6)} over up to ${N} positions are too many to enumerate`,
          fix: 'lower --max-len, or aggregate fewer distinct values',
        };
      }
      return { set: ValueSet.of([...means, ...fallback]), failures: [] };
    }
  }
};

/**
 * α·A + β·B where A and B are numerical means over the *same* selector: at every position they
 * average over the same keys, so the result is the mean of α·a + β·b over those keys. Its value set
 * is the means of that combined set, far smaller than all α·A + β·B pairs (pair_balance: N² values
 * instead of N⁴).
 */
const sameSelectorLinearMean = (
  graph: ProgramGraph,
  id: number,
  setOf: (id: number) => ValueSet,
  factsOf: (id: number) => SelectorFacts,
  bounds: Bounds,
): AbstractResult | undefined => {
  const g = graph.nodes[id] as { node: SOp; children: readonly number[] };
  if (g.node.kind !== 'linearSequenceMap') return undefined;
  const [a, b] = g.children.map((c) => graph.nodes[c] as { node: SOp; children: readonly number[] }) as [
    { node: SOp; children: readonly number[] },
    { node: SOp; children: readonly number[] },
  ];
  if (a.node.kind !== 'aggregate' || b.node.kind !== 'aggregate') return undefined;
  if (a.node.encoding !== 'numerical' || b.node.encoding !== 'numerical') return undefined;
  if (a.children[0] !== b.children[0] || g.children[0] === g.children[1]) return undefined;
  const sa = setOf(a.children[1] as number);
  const sb = setOf(b.children[1] as number);
  if (!sa.isNumeric || !sb.isNumeric || !isNumberLike(a.node.default) || !isNumberLike(b.node.default)) return undefined;
  const { fstCoeff: alpha, sndCoeff: beta } = g.node;
  if (sa.size * sb.size > MAX_COMBINATIONS) return undefined;
  const combined: number[] = [];
  for (const x of sa.numbers()) for (const y of sb.numbers()) combined.push(canonicalNumber(alpha * x + beta * y));
  const facts = factsOf(a.children[0] as number);
  const means = facts.atMostOne ? sortedUniqueNumbers(combined) : meansOf(sortedUniqueNumbers(combined), bounds.maxLen);
  if (means === undefined) return undefined;
  const fallback = facts.selfSelecting ? [] : [canonicalNumber(alpha * toNumber(a.node.default) + beta * toNumber(b.node.default))];
  return { set: ValueSet.of([...means, ...fallback]), failures: [] };
};

/** Exact value sets of token-independent s-ops: run them on every length 1..N. */
const evaluatePositional = (
  graph: ProgramGraph,
  bounds: Bounds,
  positional: ReadonlySet<number>,
  warnings: Diagnostic[],
): Map<number, ValueSet> => {
  const ids = graph.nodes.filter((g) => positional.has(g.id) && !isSelector(g.node)).map((g) => g.id);
  const collected = new Map<number, Value[]>(ids.map((id) => [id, []]));
  const reported = new Set<string>();
  const filler = bounds.vocab[0] as Value;
  for (let n = 1; n <= bounds.maxLen; n++) {
    const evaluation = new Evaluation(new Array<Value>(n).fill(filler), { causal: bounds.causal });
    for (const id of ids) {
      const r = evaluation.sop((graph.nodes[id] as { node: SOp }).node);
      if (Either.isRight(r)) {
        (collected.get(id) as Value[]).push(...r.right);
      } else if (!reported.has(r.left.node)) {
        reported.add(r.left.node);
        warnings.push(
          diagnostic('value-set/fails-at-length', `fails on every input of length ${n}: ${r.left.message}`, {
            node: r.left.node,
            severity: 'warning',
            fix: 'the program has no output at that length; check its logic',
          }),
        );
      }
    }
  }
  return new Map([...collected].map(([id, vs]) => [id, ValueSet.of(vs)]));
};

/** Position-only selectors that select at least one key in every row, at every length 1..N. */
const positionalNeverEmpty = (graph: ProgramGraph, bounds: Bounds, positional: ReadonlySet<number>): Set<number> => {
  const ids = graph.nodes.filter((g) => positional.has(g.id) && isSelector(g.node)).map((g) => g.id);
  const proved = new Set(ids);
  const filler = bounds.vocab[0] as Value;
  for (let n = 1; n <= bounds.maxLen && proved.size > 0; n++) {
    const evaluation = new Evaluation(new Array<Value>(n).fill(filler), { causal: bounds.causal });
    for (const id of [...proved]) {
      const m = evaluation.selector((graph.nodes[id] as { node: Selector }).node);
      if (Either.isLeft(m)) {
        proved.delete(id);
        continue;
      }
      for (let q = 0; q < n; q++) {
        let any = false;
        for (let k = 0; k < n && !any; k++) any = m.right[q * n + k] === 1;
        if (!any) {
          proved.delete(id);
          break;
        }
      }
    }
  }
  return proved;
};
