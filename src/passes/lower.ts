/**
 * Lowering: a checked program → craft blocks, with precision derived from the bounds.
 *
 * 1. MLP constructions are built first; their tolerances (the input error under which the
 *    output is exact) and gains (how errors pass through) do not depend on attention sharpness.
 * 2. Requirements flow backwards: each s-op gets the largest error its consumers tolerate.
 * 3. Errors flow forwards: each head gets the smallest sharpness β that keeps its output error
 *    within the requirement, given the errors of its inputs.
 * Every margin lands in the result, for the manifest and the verifier.
 */
import * as Either from 'fp-ts/lib/Either.js';
import { applyFn } from '../ast/apply.js';
import { ExprFailure } from '../ast/exprEval.js';
import type { Encoding, Node, Selector, SOp } from '../ast/program.js';
import { isNumberLike, numbersClose, toNumber, type Value } from '../ast/value.js';
import { BOS, ONE } from '../craft/basis.js';
import type { HeadBlock, MlpBlock, ScoreWeights, Weights } from '../craft/blocks.js';
import {
  bosCleanup,
  categoricalAggregateHead,
  defaultVector,
  maskPadKeys,
  numericalAggregateHead,
  numericalQueryScore,
  selectorWidthHead,
  tableScore,
  type Score,
  type ScoreGroup,
} from '../craft/chambers/attention.js';
import {
  discretisingMlp,
  gatedDiscretisingMlp,
  linearMlp,
  pairTableMlp,
  tableMlp,
  type MlpConstruction,
} from '../craft/chambers/mlps.js';
import { sopSpace, type SopSpace } from '../craft/sopSpace.js';
import { diagnostic, type Diagnostic } from '../diagnostics.js';
import { fitAffine1, splitSeparable } from '../typecheck/fnShape.js';
import { conjuncts, groupKey, pairFunction, selectorHolds, type NodePlan, type SelectorPlan } from '../typecheck/plan.js';
import type { TypedProgram } from '../typecheck/typecheck.js';
import type { ValueSet } from '../typecheck/valueSet.js';
import { chooseBeta, headOutputError, leakageBound, type HeadErrorModel } from './precision.js';

export type Stage = { readonly sublayer: 'attn'; readonly heads: readonly HeadBlock[] } | { readonly sublayer: 'mlp'; readonly mlps: readonly MlpBlock[] };

export interface HeadMargins {
  readonly beta: number;
  readonly gap: number;
  /** Bidirectional models: the PAD term (score units, before β) every query gives PAD keys. */
  readonly padPenalty?: number;
  readonly scoreError: number;
  readonly leakage: number;
  readonly outputError: number;
  readonly required: number;
}

export interface LoweredNode {
  readonly id: number;
  readonly label: string;
  readonly construction: string;
  /** S-ops whose directions the node reads (its dependencies). */
  readonly reads: readonly number[];
  /** Consecutive sublayers (an attention stage is followed by its MLP stage in the same layer). */
  readonly stages: readonly Stage[];
  readonly head?: HeadMargins;
  /** Per input label, the error under which an MLP's output is exact. */
  readonly tolerance?: Readonly<Record<string, number>>;
  /** Error bound of what the node writes (L1 for categorical, absolute for numerical). */
  readonly error: number;
  /** The error its consumers tolerate. */
  readonly required: number;
}

export interface LoweredProgram {
  readonly typed: TypedProgram;
  readonly spaces: ReadonlyMap<number, SopSpace>;
  /** Private directions (selector-width attention outputs), by key. */
  readonly auxiliary: readonly string[];
  readonly nodes: readonly LoweredNode[];
  readonly output: number;
}

const asValue = (r: Value | ExprFailure): Value => (r instanceof ExprFailure ? null : r);

type SelectNode = Extract<Selector, { kind: 'select' }>;

interface Context {
  readonly t: TypedProgram;
  readonly spaces: Map<number, SopSpace>;
  readonly plan: (id: number) => NodePlan;
  readonly valueSet: (id: number) => ValueSet;
  readonly label: (id: number) => string;
}

/** Output tolerance of the program's output: categorical argmax, or the nearest numeric value. */
const outputRequirement = (space: SopSpace): number => {
  if (space.representation === 'categorical') return 0.125;
  const xs = space.values.filter(isNumberLike).map(toNumber).sort((a, b) => a - b);
  let gap = Number.POSITIVE_INFINITY;
  for (let i = 1; i < xs.length; i++) gap = Math.min(gap, (xs[i] as number) - (xs[i - 1] as number));
  return Number.isFinite(gap) ? gap / 8 : 0.125 * Math.max(1, Math.abs(xs[0] ?? 1));
};

/** The groups of a selector plan, each with its part of the formula. */
const scoreGroups = (c: Context, selectorId: number, plan: SelectorPlan): ScoreGroup[] => {
  const graph = c.t.graph;
  if (plan.kind === 'score-table') {
    const g = plan.groups[0] as SelectorPlan['groups'][number];
    return [
      {
        query: c.spaces.get(g.queries) as SopSpace,
        key: c.spaces.get(g.keys) as SopSpace,
        holds: (k, q) => selectorHolds(graph, selectorId, k, q) === true,
      },
    ];
  }
  const parts = conjuncts(graph, selectorId);
  return plan.groups.map((g) => {
    const first = g.atoms[0] as number;
    const mine = parts.filter((p) => {
      const atom = firstAtom(graph, p);
      return groupKey(graph, atom) === groupKey(graph, first);
    });
    return {
      query: c.spaces.get(g.queries) as SopSpace,
      key: c.spaces.get(g.keys) as SopSpace,
      holds: (k: Value, q: Value) => mine.every((p) => selectorHolds(graph, p, k, q) === true),
    };
  });
};

const firstAtom = (graph: TypedProgram['graph'], id: number): number => {
  const n = graph.nodes[id] as { node: Node; children: readonly number[] };
  return n.node.kind === 'select' ? id : firstAtom(graph, n.children[0] as number);
};

/** Per input s-op of a head: how much an error in it moves any score (≤ sensitivity × error). */
const scoreSensitivity = (score: ScoreWeights, space: SopSpace, side: 'query' | 'key'): number => {
  const dirs = new Set(space.directions.map((d) => d.key));
  const rows = new Map<string, { max: number; one: number; bos: number }>();
  for (const [q, k, w] of score) {
    const [mine, other] = side === 'query' ? [q, k] : [k, q];
    if (!dirs.has(mine)) continue;
    const r = rows.get(mine) ?? { max: 0, one: 0, bos: 0 };
    if (other === ONE) r.one += Math.abs(w);
    else if (other === BOS) r.bos += Math.abs(w);
    else r.max = Math.max(r.max, Math.abs(w));
    rows.set(mine, r);
  }
  let s = 0;
  for (const r of rows.values()) s = Math.max(s, r.max + r.one + r.bos);
  return s;
};

/** Error gains per input s-op: one s-op read twice adds its two gains. */
const gainsOf = (la: string, ga: number, lb: string, gb: number): Record<string, number> =>
  la === lb ? { [la]: ga + gb } : { [la]: ga, [lb]: gb };

const mlpFor = (c: Context, id: number, exact: (id: number) => boolean, fixedWidth?: number): MlpConstruction | undefined => {
  const g = c.t.graph.nodes[id] as { node: Node; children: readonly number[] };
  const node = g.node as SOp;
  const plan = c.plan(id);
  const out = c.spaces.get(id) as SopSpace;
  const space = (k: number): SopSpace => c.spaces.get(g.children[k] as number) as SopSpace;
  const rep = (k: number): Encoding => space(k).representation;
  const nonNegative = (): boolean => out.values.every((v) => isNumberLike(v) && toNumber(v) >= 0);
  const terms = (s: SopSpace, f: (v: Value) => number): { terms: Weights; bias: number; gain: number } => {
    if (s.representation === 'categorical') {
      const ts = s.values.map((v, i) => [(s.directions[i] as { key: string }).key, f(v)] as const).filter(([, w]) => w !== 0);
      return { terms: ts, bias: 0, gain: Math.max(0, ...ts.map(([, w]) => Math.abs(w))) };
    }
    const fit = fitAffine1(s.values.filter(isNumberLike).map((x) => [toNumber(x), f(x)] as const));
    if (fit === undefined) throw new Error(`bug: ${s.label} planned as affine but is not`);
    return { terms: fit.a === 0 ? [] : [[(s.directions[0] as { key: string }).key, fit.a]], bias: fit.b, gain: Math.abs(fit.a) };
  };
  switch (node.kind) {
    case 'map': {
      const f = (v: Value): Value => asValue(applyFn(node.fn, [v]));
      if (plan.construction === 'table-mlp') return tableMlp(space(0), exact(g.children[0] as number), f, out);
      if (plan.construction === 'discretising-mlp') return discretisingMlp(space(0), (x) => f(x), out, 'discretising-mlp', 0, fixedWidth);
      const t = terms(space(0), (v) => toNumber(f(v) as number));
      return linearMlp(t.terms, t.bias, out, nonNegative() && exact(g.children[0] as number), { [space(0).label]: t.gain }, [space(0)]);
    }
    case 'linearSequenceMap':
    case 'sequenceMap': {
      const fn = pairFunction(node);
      const f = (x: Value, y: Value): Value => asValue(fn(x, y));
      const [ia, ib] = g.children as [number, number];
      if (plan.construction === 'pair-table-mlp') return pairTableMlp(space(0), space(1), exact(ia) && exact(ib), f, out);
      if (plan.construction === 'gated-discretising-mlp') {
        const gateFirst = rep(0) === 'categorical';
        const gate = gateFirst ? space(0) : space(1);
        const num = gateFirst ? space(1) : space(0);
        return gatedDiscretisingMlp(gate, exact(gateFirst ? ia : ib), num, (u, x) => (gateFirst ? f(u, x) : f(x, u)), out, fixedWidth);
      }
      if (node.kind === 'linearSequenceMap') {
        const a = terms(space(0), (v) => node.fstCoeff * toNumber(v as number));
        const b = terms(space(1), (v) => node.sndCoeff * toNumber(v as number));
        return linearMlp([...a.terms, ...b.terms], a.bias + b.bias, out, nonNegative() && exact(ia) && exact(ib), gainsOf(space(0).label, a.gain, space(1).label, b.gain), [space(0), space(1)]);
      }
      const xs = (c.valueSet(ia) as ValueSet).withoutNone().values;
      const ys = (c.valueSet(ib) as ValueSet).withoutNone().values;
      const split = splitSeparable(xs, ys, f);
      if (split === undefined) throw new Error(`bug: ${c.label(id)} planned as linear but is not separable`);
      const at = (vals: readonly Value[], table: readonly number[]) => (v: Value): number => {
        const i = vals.findIndex((u) => isNumberLike(u) && isNumberLike(v) ? numbersClose(toNumber(u), toNumber(v)) : u === v);
        return table[i] as number;
      };
      const a = terms(space(0), at(xs, split.g));
      const b = terms(space(1), at(ys, split.h));
      return linearMlp([...a.terms, ...b.terms], a.bias + b.bias, out, nonNegative() && exact(ia) && exact(ib), gainsOf(space(0).label, a.gain, space(1).label, b.gain), [space(0), space(1)]);
    }
    default:
      return undefined;
  }
};

/**
 * Fixed precision constants instead of derived ones, as Tracr uses (softmax coldness 100, MLP
 * "large number" 100): only for demonstrating what goes wrong; the verifier catches it.
 */
export interface FixedPrecision {
  /** β for every head. */
  readonly softmaxColdness: number;
  /** Discretising steps get width 1/largeNumber instead of half the gap between values. */
  readonly mlpLargeNumber: number;
}

/** Lowers a checked program to craft blocks with derived precision. */
export const lower = (t: TypedProgram, fixed?: FixedPrecision): Either.Either<readonly Diagnostic[], LoweredProgram> => {
  const fixedWidth = fixed === undefined ? undefined : 1 / fixed.mlpLargeNumber;
  const graph = t.graph;
  const spaces = new Map<number, SopSpace>();
  const sopIds = graph.nodes.filter((g) => t.plan.nodes.has(g.id)).map((g) => g.id);
  for (const id of sopIds) {
    const plan = t.plan.nodes.get(id) as NodePlan;
    spaces.set(id, sopSpace((graph.nodes[id] as { label: string }).label, plan.representation, (t.inference.valueSets.get(id) as ValueSet).values));
  }
  const c: Context = {
    t,
    spaces,
    plan: (id) => t.plan.nodes.get(id) as NodePlan,
    valueSet: (id) => t.inference.valueSets.get(id) as ValueSet,
    label: (id) => (graph.nodes[id] as { label: string }).label,
  };
  const construction = (id: number): string => c.plan(id).construction;
  const isHead = (id: number): boolean => ['categorical-attention', 'numerical-attention', 'selector-width'].includes(construction(id));

  // exactness is structural: only attention outputs (and linear maps of them) carry errors
  const exactness = new Map<number, boolean>();
  const exact = (id: number): boolean => exactness.get(id) ?? true;
  const mlps = new Map<number, MlpConstruction>();
  for (const id of sopIds) {
    const kids = (graph.nodes[id] as { children: readonly number[] }).children;
    if (construction(id).startsWith('embed')) exactness.set(id, true);
    else if (construction(id) === 'selector-width') exactness.set(id, true);
    else if (isHead(id)) exactness.set(id, false);
    else {
      const m = mlpFor(c, id, exact, fixedWidth) as MlpConstruction;
      mlps.set(id, m);
      exactness.set(id, construction(id) === 'linear-mlp' ? kids.every(exact) : true);
    }
  }

  // selector-width decoders are MLPs too: 1/(w+1) → w
  const auxOf = (id: number): string => `${c.label(id)}.attn`;
  const widthDecoders = new Map<number, MlpConstruction>();
  for (const id of sopIds.filter((i) => construction(i) === 'selector-width')) {
    const widths = c.valueSet(id).values.filter(isNumberLike).map(toNumber);
    const auxSpace: SopSpace = { label: auxOf(id), representation: 'numerical', values: widths.map((w) => 1 / (w + 1)), directions: [{ key: auxOf(id), name: auxOf(id), label: auxOf(id) }] };
    const out = spaces.get(id) as SopSpace;
    // the BOS query attends to BOS, so the attention output is 1 there: the decoder's gate must cover it
    widthDecoders.set(id, discretisingMlp(auxSpace, (x) => Math.round(1 / x - 1), out, 'selector-width-mlp', 1, fixedWidth));
  }

  // PAD positions (bidirectional models) are copies of BOS plus `pad` and their index: of all
  // s-ops only `indices` is non-zero there (MLPs are off, heads attend to BOS, as at BOS itself)
  const padMasked = !t.bounds.causal;
  const nonZeroAtPad = (space: SopSpace): boolean => padMasked && graph.nodes.find((n) => n.label === space.label)?.node.kind === 'indices';

  // selectors used by heads, and their scores' structure (weights need β only as a factor)
  const scores = new Map<number, { score: Score; groups: ScoreGroup[]; selector: number }>();
  for (const id of sopIds.filter(isHead)) {
    const plan = c.plan(id);
    const selectorId = (graph.nodes[id] as { children: readonly number[] }).children[0] as number;
    const sel = plan.selector as SelectorPlan;
    const groups = scoreGroups(c, selectorId, sel);
    const bosScore = construction(id) === 'selector-width' ? 1 : 0.5;
    const raw = sel.numericalQuery ? numericalQueryScore(groups[0] as ScoreGroup) : tableScore(groups, bosScore);
    const score = padMasked ? maskPadKeys(raw, groups.map((g) => g.query), groups.map((g) => g.key).filter(nonZeroAtPad)) : raw;
    scores.set(id, { score, groups, selector: selectorId });
  }

  // --- requirements, backwards
  const required = new Map<number, number>();
  const need = (id: number, r: number): void => {
    if (!(r > 0)) throw new Error(`bug: non-positive requirement ${r} for ${c.label(id)}`);
    required.set(id, Math.min(required.get(id) ?? Number.POSITIVE_INFINITY, r));
  };
  need(graph.output, outputRequirement(spaces.get(graph.output) as SopSpace));
  const keysBound = t.bounds.maxLen + 1;
  // keys = every position (BOS and PAD ones included): the losing keys of the leakage bound
  const headModel = (id: number): Omit<HeadErrorModel, 'scoreError' | 'passthrough'> => {
    const kind = construction(id);
    const s = scores.get(id) as { score: Score };
    if (kind === 'selector-width') return { keys: keysBound, gap: s.score.gap, leak: 1, equal: 1 };
    const value = spaces.get((graph.nodes[id] as { children: readonly number[] }).children[1] as number) as SopSpace;
    const agg = graph.nodes[id]?.node as Extract<SOp, { kind: 'aggregate' }>;
    // a losing PAD key writes BOS's default plus its own value (an index) when it has one
    const valueAtPad = nonZeroAtPad(value);
    if (kind === 'categorical-attention') {
      const defaultWritten = defaultVector(spaces.get(id) as SopSpace, agg.default).length > 0;
      return { keys: keysBound, gap: s.score.gap, leak: valueAtPad && defaultWritten ? 3 : 2, equal: 0 };
    }
    const values = value.values.filter(isNumberLike).map((v) => Math.abs(toNumber(v)));
    const dflt = Math.abs(toNumber(agg.default as number));
    const vmax = Math.max(1e-12, ...values, dflt);
    const padWrite = valueAtPad ? Math.max(0, ...values) + dflt : 0;
    return { keys: keysBound, gap: s.score.gap, leak: 2 * Math.max(vmax, padWrite), equal: vmax };
  };
  const headRequirement = (id: number): number => {
    if (construction(id) === 'selector-width') {
      return ((widthDecoders.get(id) as MlpConstruction).tolerance[auxOf(id)] ?? 1) / 2;
    }
    return required.get(id) ?? Number.POSITIVE_INFINITY;
  };
  for (let i = sopIds.length - 1; i >= 0; i--) {
    const id = sopIds[i] as number;
    const kids = (graph.nodes[id] as { children: readonly number[] }).children;
    const mine = required.get(id) ?? Number.POSITIVE_INFINITY;
    const m = mlps.get(id);
    if (m !== undefined) {
      kids.forEach((k) => {
        const l = c.label(k);
        if (m.tolerance[l] !== undefined) need(k, (m.tolerance[l] as number) / 2);
        else if ((m.gain[l] ?? 0) > 0 && !exact(k)) need(k, mine / (2 * (m.gain[l] as number)));
      });
      continue;
    }
    if (!isHead(id)) continue;
    const { score, groups } = scores.get(id) as { score: Score; groups: ScoreGroup[] };
    const model = headModel(id);
    const req = headRequirement(id);
    // score errors may use an eighth of the gap, and keep selected weights equal within req/4
    const betaEstimate = (Math.log(model.keys) + Math.log(Math.max(4 * model.leak / Math.min(req, 1), 1)) + 3) / (model.gap / 2);
    const equalBudget = model.equal > 0 ? Math.log1p(Math.min(req, 1) / (4 * model.equal)) / (4 * betaEstimate) : Number.POSITIVE_INFINITY;
    const deltaBudget = Math.min(model.gap / 8, equalBudget);
    const inputs = groups.flatMap((g) => [
      { space: g.query, side: 'query' as const },
      { space: g.key, side: 'key' as const },
    ]);
    for (const input of inputs) {
      const sid = sopIds.find((s) => c.label(s) === input.space.label) as number;
      if (exact(sid)) continue;
      const sens = scoreSensitivity(score.weights, input.space, input.side);
      if (sens > 0) need(sid, deltaBudget / (sens * inputs.length));
    }
    if (construction(id) !== 'selector-width' && Number.isFinite(req)) {
      const valueId = kids[1] as number;
      if (!exact(valueId)) need(valueId, req / 4);
    }
  }

  // --- errors and constructions, forwards
  const problems: Diagnostic[] = [];
  const errors = new Map<number, number>();
  const lowered: LoweredNode[] = [];
  const auxiliary: string[] = [];
  for (const id of sopIds) {
    const g = graph.nodes[id] as { node: Node; children: readonly number[]; label: string };
    const kind = construction(id);
    const mine = required.get(id) ?? Number.POSITIVE_INFINITY;
    if (kind.startsWith('embed')) {
      errors.set(id, 0);
      lowered.push({ id, label: g.label, construction: kind, reads: [], stages: [], error: 0, required: mine });
      continue;
    }
    const m = mlps.get(id);
    if (m !== undefined) {
      let error = 0;
      for (const k of g.children) {
        const l = c.label(k);
        const e = errors.get(k) ?? 0;
        const tol = m.tolerance[l];
        if (tol !== undefined && e > tol && fixed === undefined) {
          problems.push(diagnostic('precision/infeasible', `input ${l} carries error ${e.toExponential(2)}, above the ${tol.toExponential(2)} this MLP tolerates`, { node: g.label }));
        }
        if (tol === undefined) error += (m.gain[l] ?? 0) * e;
      }
      errors.set(id, error);
      lowered.push({ id, label: g.label, construction: kind, reads: [...new Set(g.children)], stages: [{ sublayer: 'mlp', mlps: [m.block] }], tolerance: m.tolerance, error, required: mine });
      continue;
    }
    // an attention head
    const { score, groups, selector } = scores.get(id) as { score: Score; groups: ScoreGroup[]; selector: number };
    const base = headModel(id);
    let scoreError = 0;
    for (const grp of groups) {
      for (const [space, side] of [[grp.query, 'query'], [grp.key, 'key']] as const) {
        const sid = sopIds.find((s) => c.label(s) === space.label) as number;
        scoreError += (errors.get(sid) ?? 0) * scoreSensitivity(score.weights, space, side);
      }
    }
    const valueId = g.children[1] as number;
    const passthrough = kind === 'selector-width' ? 0 : (errors.get(valueId) ?? 0);
    const model: HeadErrorModel = { ...base, scoreError, passthrough };
    const req = headRequirement(id);
    // nothing downstream needs this head precise (e.g. it feeds a constant function): aim at 1/8
    // beyond what its value input already carries
    const target = Number.isFinite(req) ? req : 0.125 + passthrough;
    const beta = fixed !== undefined ? fixed.softmaxColdness : chooseBeta(model, target);
    if (beta === undefined) {
      problems.push(
        diagnostic('precision/infeasible', `no attention sharpness reaches the required error ${req.toExponential(2)} (score error ${scoreError.toExponential(2)}, passed-through error ${passthrough.toExponential(2)})`, {
          node: g.label,
          fix: 'lower --max-len, or make inputs of this selector come from MLPs rather than attention',
        }),
      );
      errors.set(id, Number.POSITIVE_INFINITY);
      continue;
    }
    const outputError = headOutputError(model, beta);
    const margins: HeadMargins = { beta, gap: score.gap, ...(score.padPenalty !== undefined ? { padPenalty: score.padPenalty } : {}), scoreError, leakage: leakageBound(model.keys, beta, score.gap, scoreError), outputError, required: req };
    const reads = [...new Set([...groups.flatMap((grp) => [grp.query.label, grp.key.label]).map((l) => sopIds.find((s) => c.label(s) === l) as number), ...(kind === 'selector-width' ? [] : [valueId])])];
    if (kind === 'selector-width') {
      auxiliary.push(auxOf(id));
      const decoder = widthDecoders.get(id) as MlpConstruction;
      errors.set(id, 0);
      lowered.push({
        id,
        label: g.label,
        construction: kind,
        reads,
        stages: [
          { sublayer: 'attn', heads: [selectorWidthHead(score, beta, auxOf(id))] },
          { sublayer: 'mlp', mlps: [decoder.block] },
        ],
        head: margins,
        tolerance: decoder.tolerance,
        error: 0,
        required: mine,
      });
      continue;
    }
    const agg = g.node as Extract<SOp, { kind: 'aggregate' }>;
    const out = spaces.get(id) as SopSpace;
    const value = spaces.get(valueId) as SopSpace;
    const headBlock =
      kind === 'categorical-attention'
        ? categoricalAggregateHead(score, beta, value, out, agg.default)
        : numericalAggregateHead(score, beta, value, out, toNumber(agg.default as number));
    const written = defaultVector(out, agg.default);
    errors.set(id, outputError);
    lowered.push({
      id,
      label: g.label,
      construction: kind,
      reads,
      stages: [{ sublayer: 'attn', heads: [headBlock] }, ...(written.length > 0 ? [{ sublayer: 'mlp' as const, mlps: [bosCleanup(written)] }] : [])],
      head: margins,
      error: outputError,
      required: mine,
    });
    void selector;
  }
  if (problems.length > 0) return Either.left(problems);
  return Either.right({ typed: t, spaces, auxiliary, nodes: lowered, output: graph.output });
};

/** The selector node of an s-op, for reports. */
export type { SelectNode };
