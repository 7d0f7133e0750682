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
import type { Selector, SOp } from '../ast/program.js';
import { isNumberLike, toNumber } from '../ast/value.js';
import type { HeadBlock, MlpBlock } from '../craft/blocks.js';
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
import { discretisingMlp, type MlpConstruction } from '../craft/chambers/mlps.js';
import { sopSpace, type SopSpace } from '../craft/sopSpace.js';
import { diagnostic, type Diagnostic } from '../diagnostics.js';
import type { TypedProgram } from '../typecheck/typecheck.js';
import { outputRequirement, scoreGroups, scoreSensitivity } from './lowerHeads.js';
import { mlpFor, type Context } from './lowerMlps.js';
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

type SelectNode = Extract<Selector, { kind: 'select' }>;

/** A head's score, the groups it was built from and its selector node. */
interface HeadScore {
  readonly score: Score;
  readonly groups: readonly ScoreGroup[];
}

type HeadModel = Omit<HeadErrorModel, 'scoreError' | 'passthrough'>;

/** Everything lowering decides before precision: spaces, MLPs, head scores, the error model of each head. */
interface Prepared {
  readonly t: TypedProgram;
  readonly c: Context;
  readonly fixed: FixedPrecision | undefined;
  readonly sopIds: readonly number[];
  readonly construction: (id: number) => string;
  readonly isHead: (id: number) => boolean;
  /** Exactness is structural: only attention outputs (and linear maps of them) carry errors. */
  readonly exact: (id: number) => boolean;
  readonly mlps: ReadonlyMap<number, MlpConstruction>;
  /** Selector-width decoders are MLPs too: 1/(w+1) → w. */
  readonly widthDecoders: ReadonlyMap<number, MlpConstruction>;
  readonly scores: ReadonlyMap<number, HeadScore>;
  readonly headModel: (id: number) => HeadModel;
  readonly auxOf: (id: number) => string;
}

const childrenOf = (t: TypedProgram, id: number): readonly number[] => t.graph.nodes[id]?.children ?? [];

const known = <K, V>(map: ReadonlyMap<K, V>, key: K, what: string): V => {
  const v = map.get(key);
  if (v === undefined) throw new Error(`bug: no ${what} for ${String(key)}`);
  return v;
};

const contextOf = (t: TypedProgram): { c: Context; sopIds: number[] } => {
  const graph = t.graph;
  const spaces = new Map<number, SopSpace>();
  const sopIds = graph.nodes.filter((g) => t.plan.nodes.has(g.id)).map((g) => g.id);
  const c: Context = {
    t,
    spaces,
    plan: (id) => known(t.plan.nodes, id, 'plan'),
    valueSet: (id) => known(t.inference.valueSets, id, 'value set'),
    label: (id) => graph.nodes[id]?.label ?? '',
  };
  for (const id of sopIds) spaces.set(id, sopSpace(c.label(id), c.plan(id).representation, c.valueSet(id).values));
  return { c, sopIds };
};

const prepare = (t: TypedProgram, fixed: FixedPrecision | undefined): Prepared => {
  const fixedWidth = fixed === undefined ? undefined : 1 / fixed.mlpLargeNumber;
  const { c, sopIds } = contextOf(t);
  const spaces = c.spaces;
  const construction = (id: number): string => c.plan(id).construction;
  const isHead = (id: number): boolean => ['categorical-attention', 'numerical-attention', 'selector-width'].includes(construction(id));

  const exactness = new Map<number, boolean>();
  const exact = (id: number): boolean => exactness.get(id) ?? true;
  const mlps = new Map<number, MlpConstruction>();
  for (const id of sopIds) {
    if (construction(id).startsWith('embed')) exactness.set(id, true);
    else if (construction(id) === 'selector-width') exactness.set(id, true);
    else if (isHead(id)) exactness.set(id, false);
    else {
      const m = mlpFor(c, id, exact, fixedWidth);
      if (m === undefined) throw new Error(`bug: ${c.label(id)} has no MLP construction`);
      mlps.set(id, m);
      exactness.set(id, construction(id) === 'linear-mlp' ? childrenOf(t, id).every(exact) : true);
    }
  }

  const auxOf = (id: number): string => `${c.label(id)}.attn`;
  const widthDecoders = new Map<number, MlpConstruction>();
  for (const id of sopIds.filter((i) => construction(i) === 'selector-width')) {
    const widths = c.valueSet(id).values.filter(isNumberLike).map(toNumber);
    const auxSpace: SopSpace = { label: auxOf(id), representation: 'numerical', values: widths.map((w) => 1 / (w + 1)), directions: [{ key: auxOf(id), name: auxOf(id), label: auxOf(id) }] };
    // the BOS query attends to BOS, so the attention output is 1 there: the decoder's gate must cover it
    widthDecoders.set(id, discretisingMlp(auxSpace, (x) => Math.round(1 / x - 1), known(spaces, id, 'space'), 'selector-width-mlp', 1, fixedWidth));
  }

  // PAD positions (bidirectional models) are copies of BOS plus `pad` and their index: of all
  // s-ops only `indices` is non-zero there (MLPs are off, heads attend to BOS, as at BOS itself)
  const padMasked = !t.bounds.causal;
  const nonZeroAtPad = (space: SopSpace): boolean => padMasked && t.graph.nodes.find((n) => n.label === space.label)?.node.kind === 'indices';

  // selectors used by heads, and their scores' structure (weights need β only as a factor)
  const scores = new Map<number, HeadScore>();
  for (const id of sopIds.filter(isHead)) {
    const selectorId = childrenOf(t, id)[0] ?? -1;
    const sel = c.plan(id).selector;
    if (sel === undefined) throw new Error(`bug: head ${c.label(id)} has no selector plan`);
    const groups = scoreGroups(c, selectorId, sel);
    const bosScore = construction(id) === 'selector-width' ? 1 : 0.5;
    const first = groups[0];
    const raw = sel.numericalQuery && first !== undefined ? numericalQueryScore(first) : tableScore(groups, bosScore);
    const score = padMasked ? maskPadKeys(raw, groups.map((g) => g.query), groups.map((g) => g.key).filter(nonZeroAtPad)) : raw;
    scores.set(id, { score, groups });
  }

  // keys = every position (BOS and PAD ones included): the losing keys of the leakage bound
  const keysBound = t.bounds.maxLen + 1;
  const headModel = (id: number): HeadModel => {
    const kind = construction(id);
    const s = known(scores, id, 'score');
    if (kind === 'selector-width') return { keys: keysBound, gap: s.score.gap, leak: 1, equal: 1 };
    const value = known(spaces, childrenOf(t, id)[1] ?? -1, 'value space');
    const agg = t.graph.nodes[id]?.node as Extract<SOp, { kind: 'aggregate' }>;
    // a losing PAD key writes BOS's default plus its own value (an index) when it has one
    const valueAtPad = nonZeroAtPad(value);
    if (kind === 'categorical-attention') {
      const defaultWritten = defaultVector(known(spaces, id, 'space'), agg.default).length > 0;
      return { keys: keysBound, gap: s.score.gap, leak: valueAtPad && defaultWritten ? 3 : 2, equal: 0 };
    }
    const values = value.values.filter(isNumberLike).map((v) => Math.abs(toNumber(v)));
    const dflt = Math.abs(toNumber(agg.default as number));
    const vmax = Math.max(1e-12, ...values, dflt);
    const padWrite = valueAtPad ? Math.max(0, ...values) + dflt : 0;
    return { keys: keysBound, gap: s.score.gap, leak: 2 * Math.max(vmax, padWrite), equal: vmax };
  };
  return { t, c, fixed, sopIds, construction, isHead, exact, mlps, widthDecoders, scores, headModel, auxOf };
};

/** The error a head's output may carry: its consumers' requirement, or for a width what its decoder tolerates. */
const headRequirement = (p: Prepared, required: ReadonlyMap<number, number>, id: number): number => {
  if (p.construction(id) === 'selector-width') return (known(p.widthDecoders, id, 'width decoder').tolerance[p.auxOf(id)] ?? 1) / 2;
  return required.get(id) ?? Number.POSITIVE_INFINITY;
};

const sopWithLabel = (p: Prepared, label: string): number => {
  const id = p.sopIds.find((s) => p.c.label(s) === label);
  if (id === undefined) throw new Error(`bug: no s-op ${label}`);
  return id;
};

/** Requirements, backwards: each s-op gets the largest error its consumers tolerate. */
const requirements = (p: Prepared): Map<number, number> => {
  const { t, c } = p;
  const required = new Map<number, number>();
  const need = (id: number, r: number): void => {
    if (!(r > 0)) throw new Error(`bug: non-positive requirement ${r} for ${c.label(id)}`);
    required.set(id, Math.min(required.get(id) ?? Number.POSITIVE_INFINITY, r));
  };
  need(t.graph.output, outputRequirement(known(c.spaces, t.graph.output, 'output space')));
  for (const id of [...p.sopIds].reverse()) {
    const kids = childrenOf(t, id);
    const mine = required.get(id) ?? Number.POSITIVE_INFINITY;
    const m = p.mlps.get(id);
    if (m !== undefined) {
      kids.forEach((k) => {
        const l = c.label(k);
        const tolerance = m.tolerance[l];
        const gain = m.gain[l] ?? 0;
        if (tolerance !== undefined) need(k, tolerance / 2);
        else if (gain > 0 && !p.exact(k)) need(k, mine / (2 * gain));
      });
      continue;
    }
    if (!p.isHead(id)) continue;
    const { score, groups } = known(p.scores, id, 'score');
    const model = p.headModel(id);
    const req = headRequirement(p, required, id);
    // score errors may use an eighth of the gap, and keep selected weights equal within req/4
    const betaEstimate = (Math.log(model.keys) + Math.log(Math.max(4 * model.leak / Math.min(req, 1), 1)) + 3) / (model.gap / 2);
    const equalBudget = model.equal > 0 ? Math.log1p(Math.min(req, 1) / (4 * model.equal)) / (4 * betaEstimate) : Number.POSITIVE_INFINITY;
    const deltaBudget = Math.min(model.gap / 8, equalBudget);
    const inputs = groups.flatMap((g) => [
      { space: g.query, side: 'query' as const },
      { space: g.key, side: 'key' as const },
    ]);
    for (const input of inputs) {
      const sid = sopWithLabel(p, input.space.label);
      if (p.exact(sid)) continue;
      const sens = scoreSensitivity(score.weights, input.space, input.side);
      if (sens > 0) need(sid, deltaBudget / (sens * inputs.length));
    }
    const valueId = kids[1];
    if (p.construction(id) !== 'selector-width' && Number.isFinite(req) && valueId !== undefined && !p.exact(valueId)) need(valueId, req / 4);
  }
  return required;
};

/** What the forward walk has so far: the error bound of every s-op lowered, the problems found. */
interface Forward {
  readonly errors: Map<number, number>;
  readonly problems: Diagnostic[];
  readonly auxiliary: string[];
}

const lowerMlpNode = (p: Prepared, f: Forward, id: number, m: MlpConstruction, mine: number): LoweredNode => {
  const label = p.c.label(id);
  const children = childrenOf(p.t, id);
  let error = 0;
  for (const k of children) {
    const l = p.c.label(k);
    const e = f.errors.get(k) ?? 0;
    const tol = m.tolerance[l];
    if (tol !== undefined && e > tol && p.fixed === undefined) {
      f.problems.push(diagnostic('precision/infeasible', `input ${l} carries error ${e.toExponential(2)}, above the ${tol.toExponential(2)} this MLP tolerates`, { node: label }));
    }
    if (tol === undefined) error += (m.gain[l] ?? 0) * e;
  }
  f.errors.set(id, error);
  return { id, label, construction: p.construction(id), reads: [...new Set(children)], stages: [{ sublayer: 'mlp', mlps: [m.block] }], tolerance: m.tolerance, error, required: mine };
};

/** A head: the smallest β that keeps its output error within the requirement, then its blocks. */
const lowerHeadNode = (p: Prepared, f: Forward, required: ReadonlyMap<number, number>, id: number, mine: number): LoweredNode | undefined => {
  const { c } = p;
  const label = c.label(id);
  const kind = p.construction(id);
  const { score, groups } = known(p.scores, id, 'score');
  let scoreError = 0;
  for (const grp of groups) {
    for (const [space, side] of [[grp.query, 'query'], [grp.key, 'key']] as const) {
      scoreError += (f.errors.get(sopWithLabel(p, space.label)) ?? 0) * scoreSensitivity(score.weights, space, side);
    }
  }
  const valueId = childrenOf(p.t, id)[1] ?? -1;
  const passthrough = kind === 'selector-width' ? 0 : (f.errors.get(valueId) ?? 0);
  const model: HeadErrorModel = { ...p.headModel(id), scoreError, passthrough };
  const req = headRequirement(p, required, id);
  // nothing downstream needs this head precise (e.g. it feeds a constant function): aim at 1/8
  // beyond what its value input already carries
  const target = Number.isFinite(req) ? req : 0.125 + passthrough;
  const beta = p.fixed !== undefined ? p.fixed.softmaxColdness : chooseBeta(model, target);
  if (beta === undefined) {
    f.problems.push(
      diagnostic('precision/infeasible', `no attention sharpness reaches the required error ${req.toExponential(2)} (score error ${scoreError.toExponential(2)}, passed-through error ${passthrough.toExponential(2)})`, {
        node: label,
        fix: 'lower --max-len, or make inputs of this selector come from MLPs rather than attention',
      }),
    );
    f.errors.set(id, Number.POSITIVE_INFINITY);
    return undefined;
  }
  const outputError = headOutputError(model, beta);
  const margins: HeadMargins = { beta, gap: score.gap, ...(score.padPenalty !== undefined ? { padPenalty: score.padPenalty } : {}), scoreError, leakage: leakageBound(model.keys, beta, score.gap, scoreError), outputError, required: req };
  const reads = [...new Set([...groups.flatMap((grp) => [grp.query.label, grp.key.label]).map((l) => sopWithLabel(p, l)), ...(kind === 'selector-width' ? [] : [valueId])])];
  if (kind === 'selector-width') {
    f.auxiliary.push(p.auxOf(id));
    const decoder = known(p.widthDecoders, id, 'width decoder');
    f.errors.set(id, 0);
    return {
      id,
      label,
      construction: kind,
      reads,
      stages: [
        { sublayer: 'attn', heads: [selectorWidthHead(score, beta, p.auxOf(id))] },
        { sublayer: 'mlp', mlps: [decoder.block] },
      ],
      head: margins,
      tolerance: decoder.tolerance,
      error: 0,
      required: mine,
    };
  }
  const agg = p.t.graph.nodes[id]?.node as Extract<SOp, { kind: 'aggregate' }>;
  const out = known(c.spaces, id, 'space');
  const value = known(c.spaces, valueId, 'value space');
  const headBlock =
    kind === 'categorical-attention'
      ? categoricalAggregateHead(score, beta, value, out, agg.default)
      : numericalAggregateHead(score, beta, value, out, toNumber(agg.default as number));
  const written = defaultVector(out, agg.default);
  f.errors.set(id, outputError);
  return {
    id,
    label,
    construction: kind,
    reads,
    stages: [{ sublayer: 'attn', heads: [headBlock] }, ...(written.length > 0 ? [{ sublayer: 'mlp' as const, mlps: [bosCleanup(written)] }] : [])],
    head: margins,
    error: outputError,
    required: mine,
  };
};

/** Lowers a checked program to craft blocks with derived precision. */
export const lower = (t: TypedProgram, fixed?: FixedPrecision): Either.Either<readonly Diagnostic[], LoweredProgram> => {
  const p = prepare(t, fixed);
  const required = requirements(p);
  // errors and constructions, forwards
  const f: Forward = { errors: new Map(), problems: [], auxiliary: [] };
  const lowered: LoweredNode[] = [];
  for (const id of p.sopIds) {
    const kind = p.construction(id);
    const mine = required.get(id) ?? Number.POSITIVE_INFINITY;
    if (kind.startsWith('embed')) {
      f.errors.set(id, 0);
      lowered.push({ id, label: p.c.label(id), construction: kind, reads: [], stages: [], error: 0, required: mine });
      continue;
    }
    const m = p.mlps.get(id);
    const node = m !== undefined ? lowerMlpNode(p, f, id, m, mine) : lowerHeadNode(p, f, required, id, mine);
    if (node !== undefined) lowered.push(node);
  }
  if (f.problems.length > 0) return Either.left(f.problems);
  return Either.right({ typed: t, spaces: p.c.spaces, auxiliary: f.auxiliary, nodes: lowered, output: t.graph.output });
};

/** The selector node of an s-op, for reports. */
export type { SelectNode };
