/**
 * The size guard: an estimate of the model a checked program compiles to, from its plan and value
 * sets alone (no weight is built), and the refusal of programs beyond a parameter budget. It runs
 * in time linear in the program, so `raspc check` and `compile` refuse a model of billions of
 * parameters in well under a second instead of building it for hours or running out of memory.
 *
 * The estimate follows the constructions (src/craft/chambers): a categorical s-op takes one
 * residual dimension per value, a numerical one a single dimension; a table MLP has a hidden unit
 * per input value (at most per output value), a pair table one per value pair, a discretising MLP
 * two per step between input values (times the gate's values when gated), a linear MLP two, a
 * selector width's decoder two per width; a head's width is the rank its score and value tables
 * can have. Layers are placed as early as possible, and every layer of the dense model is as wide
 * as its widest layer, as in the files written. Like the compiler, the guard then carries
 * s-ops numerically (one dimension, a linear route) where the planner accepts it and the estimate
 * shrinks (`length - indices - 1`: two hidden units instead of an N² table); fusing and absorbing
 * maps, which the compiler also does, are not counted, so the estimate errs on the large side
 * (about 1–5× the library's models).
 */
import * as Either from 'fp-ts/lib/Either.js';
import { isSelector, type Encoding, type Selector } from '../ast/program.js';
import { diagnostic, type Diagnostic } from '../diagnostics.js';
import { atomsOf, planProgram, type NodePlan } from './plan.js';
import type { TypedProgram } from './typecheck.js';

/** The default `--max-params` (and `compile`'s `maxParams`): 50 million parameters, 200 MB of float32. */
export const DEFAULT_MAX_PARAMS = 50_000_000;

export interface SizeEstimate {
  readonly parameters: number;
  readonly layers: number;
  readonly dModel: number;
  readonly heads: number;
  readonly dHead: number;
  readonly mlpWidth: number;
  /** The node that costs the most parameters, and what it is. */
  readonly largest?: { readonly label: string; readonly parameters: number; readonly what: string };
}

const count = (n: number): string => Math.round(n).toLocaleString('en-US');

/** Estimates the size of the model a checked program compiles to (see the file comment). */
export const estimateSize = (typed: TypedProgram): SizeEstimate => {
  const { graph, plan, inference, bounds } = typed;
  const planOf = (id: number): NodePlan | undefined => plan.nodes.get(id);
  const valueCount = (id: number): number => inference.valueSets.get(id)?.withoutNone().size ?? 0;
  const dims = (id: number): number => (planOf(id)?.representation === 'numerical' ? 1 : valueCount(id));
  const kids = (id: number): readonly number[] => graph.nodes[id]?.children ?? [];

  /** Hidden units of an MLP construction (0 for heads and embeddings). */
  const units = (id: number): number => {
    const p = planOf(id);
    const [a, b] = kids(id) as [number, number];
    switch (p?.construction) {
      case 'table-mlp':
        return Math.max(1, Math.min(valueCount(a), valueCount(id)));
      case 'linear-mlp':
        return 2;
      case 'pair-table-mlp':
        return valueCount(a) * valueCount(b);
      case 'discretising-mlp':
        return 2 * Math.max(1, valueCount(a)) - 1;
      case 'gated-discretising-mlp': {
        const [gate, num] = planOf(a)?.representation === 'categorical' ? [a, b] : [b, a];
        return valueCount(gate) * (2 * Math.max(1, valueCount(num)) - 1);
      }
      case 'selector-width':
        return 2 * (bounds.maxLen + 1);
      default:
        return 0;
    }
  };
  /** A head's width: the rank of its score table (per (query, key) pair) and of its value table. */
  const headWidth = (id: number): number => {
    const selector = kids(id)[0] as number;
    // per (keys, queries) pair: whether any of its selects looks at the values (not TRUE / FALSE)
    const pairs = new Map<string, boolean>();
    for (const atom of atomsOf(graph, selector)) {
      const p = (graph.nodes[atom]?.node as Extract<Selector, { kind: 'select' }>).predicate;
      const constant = p.kind === 'comparison' && (p.op === 'TRUE' || p.op === 'FALSE');
      const pair = kids(atom).join(':');
      pairs.set(pair, (pairs.get(pair) ?? false) || !constant);
    }
    let score = 0;
    for (const [pair, looks] of pairs) {
      const [keys, queries] = pair.split(':').map(Number) as [number, number];
      score += looks ? Math.min(dims(keys), dims(queries)) + 1 : 1;
    }
    const value = planOf(id)?.construction === 'selector-width' ? 1 : dims(kids(id)[1] as number);
    return Math.max(1, score, value);
  };
  const isHead = (id: number): boolean => ['categorical-attention', 'numerical-attention', 'selector-width'].includes(planOf(id)?.construction ?? '');

  // residual width: one, BOS, every s-op's dimensions, a selector width's attention output
  let dModel = 2;
  for (const g of graph.nodes) {
    if (planOf(g.id) === undefined) continue;
    dModel += dims(g.id) + (planOf(g.id)?.construction === 'selector-width' ? 1 : 0);
  }

  // sublayers as early as possible: attention at even indices, MLPs at odd ones
  const available = new Map<number, number>();
  const headsAt = new Map<number, number>();
  const unitsAt = new Map<number, number>();
  let dHead = 1;
  let last = -1;
  for (const g of graph.nodes) {
    const ready = Math.max(-1, ...g.children.map((c) => available.get(c) ?? -1));
    if (isSelector(g.node) || planOf(g.id) === undefined || planOf(g.id)?.construction.startsWith('embed')) {
      available.set(g.id, isSelector(g.node) ? ready : -1);
      continue;
    }
    const attention = isHead(g.id);
    const first = ready + 1 + (((ready + 1) % 2 === 0) === attention ? 0 : 1);
    if (attention) {
      headsAt.set(first, (headsAt.get(first) ?? 0) + 1);
      dHead = Math.max(dHead, headWidth(g.id));
    }
    const mlpAt = attention ? first + 1 : first;
    const u = units(g.id);
    if (u > 0) unitsAt.set(mlpAt, (unitsAt.get(mlpAt) ?? 0) + u);
    const done = u > 0 ? mlpAt : first;
    available.set(g.id, done);
    last = Math.max(last, done);
  }
  const layers = last < 0 ? 0 : Math.floor(last / 2) + 1;
  const heads = Math.max(1, ...headsAt.values());
  const mlpWidth = Math.max(1, ...unitsAt.values());
  const outputs = dims(graph.output);
  const perLayer = 4 * heads * dModel * dHead + 3 * heads * dHead + 2 * dModel * mlpWidth + mlpWidth + 2 * dModel;
  const parameters = layers * perLayer + (bounds.vocab.length + 2 + bounds.maxLen + 1 + outputs) * dModel;

  // each node's share: of the MLP parameters by its hidden units, of the attention parameters by
  // its head width, of everything by its residual dimensions
  const sops = graph.nodes.filter((g) => planOf(g.id) !== undefined);
  const totalUnits = sops.reduce((t, g) => t + units(g.id), 0);
  const totalWidth = sops.reduce((t, g) => t + (isHead(g.id) ? headWidth(g.id) : 0), 0);
  const mlpParameters = layers * (2 * dModel * mlpWidth + mlpWidth);
  const attentionParameters = layers * (4 * heads * dModel * dHead + 3 * heads * dHead);
  let largest: SizeEstimate['largest'];
  const consider = (label: string, p: number, what: string): void => {
    if (largest === undefined || p > largest.parameters) largest = { label, parameters: p, what };
  };
  for (const g of sops) {
    const construction = planOf(g.id)?.construction as string;
    const u = units(g.id);
    if (u > 0) consider(g.label, (u / totalUnits) * mlpParameters, `a ${construction} of ${count(u)} hidden units`);
    if (isHead(g.id)) consider(g.label, (headWidth(g.id) / totalWidth) * attentionParameters, `a ${construction} head of width ${count(headWidth(g.id))}`);
    consider(g.label, (dims(g.id) / dModel) * parameters, `${count(dims(g.id))} residual dimensions (one per value) of ${count(dModel)}`);
  }
  return { parameters, layers, dModel, heads, dHead, mlpWidth, ...(largest ? { largest } : {}) };
};

/**
 * The s-ops the compiler's representation search may carry numerically (compile.ts,
 * chooseRepresentations): categorical maps, sequence maps and selector widths of three or more
 * numbers, never None, other than the output.
 */
const numericalCandidates = (typed: TypedProgram): number[] =>
  typed.graph.nodes
    .filter((g) => {
      if (isSelector(g.node) || g.id === typed.graph.output) return false;
      if (!['map', 'sequenceMap', 'selectorWidth'].includes(g.node.kind) || g.node.encoding !== 'categorical') return false;
      const set = typed.inference.valueSets.get(g.id);
      return set !== undefined && set.size >= 3 && set.isNumeric && !set.hasNone;
    })
    .map((g) => g.id);

/** The estimate after carrying s-ops numerically wherever that shrinks it (as the compiler does, greedily). */
export const estimateCompiledSize = (typed: TypedProgram): SizeEstimate => {
  const carried = new Set<number>();
  const declared = (id: number): Encoding => (typed.graph.nodes[id]?.node as { encoding: Encoding }).encoding;
  const representation = (id: number): Encoding => (carried.has(id) ? 'numerical' : declared(id));
  let best = estimateSize(typed);
  for (const id of numericalCandidates(typed)) {
    carried.add(id);
    const plan = planProgram(typed.graph, typed.inference, representation);
    const trial = Either.isRight(plan) ? estimateSize({ ...typed, plan: plan.right }) : undefined;
    if (trial !== undefined && trial.parameters < best.parameters) best = trial;
    else carried.delete(id);
  }
  return best;
};

/** One line describing an estimate. */
export const describeEstimate = (e: SizeEstimate): string =>
  `about ${count(e.parameters)} parameters (${e.layers} layers, d_model ${count(e.dModel)}, MLP width ${count(e.mlpWidth)}, ` +
  `${e.heads} head(s) of width ${count(e.dHead)}; ${bytes(4 * e.parameters)} of float32 weights)`;

const bytes = (n: number): string => (n >= 1e9 ? `${(n / 1e9).toFixed(n >= 1e10 ? 0 : 1)} GB` : `${Math.max(1, Math.round(n / 1e6))} MB`);

/**
 * The guard: the estimate when it is within `maxParams`, otherwise a diagnostic naming the
 * estimate and the node that dominates it.
 */
export const checkSize = (typed: TypedProgram, maxParams: number = DEFAULT_MAX_PARAMS): Either.Either<readonly Diagnostic[], SizeEstimate> => {
  const e = estimateCompiledSize(typed);
  if (e.parameters <= maxParams) return Either.right(e);
  // a node dominates when it is at least a fifth of the estimate; otherwise the depth does
  const dominant = e.largest !== undefined && e.largest.parameters >= e.parameters / 5 ? e.largest : undefined;
  const why = dominant === undefined ? `; no single node dominates: ${e.layers} layers (the longest dependency path), each as wide as the widest` : `; the largest part is ${dominant.what}`;
  return Either.left([
    diagnostic('size/too-large', `the model would have ${describeEstimate(e)}, more than the limit of ${count(maxParams)}${why}`, {
      ...(dominant ? { node: dominant.label } : {}),
      fix: 'lower --max-len or the vocabulary, make large s-ops numerical(...) where a linear route exists, or raise --max-params',
    }),
  ]);
};
