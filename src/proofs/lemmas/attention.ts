/**
 * Attention lemmas. For a head, from its stored W_Q, W_K, W_V, W_O:
 *
 * - scores for every (query value combination, key value combination) and for the BOS key;
 * - the gap between the keys that must win (selected keys, or BOS when nothing is selected; for a
 *   selector width BOS and the selected keys together) and every key that must lose, and the
 *   spread of scores among winners, minus twice the score error Δ its inputs' errors can cause;
 * - what each key writes (its value's encoding; BOS the default);
 * - the BOS query attends to BOS.
 *
 * Bidirectional models also run right-padded batches with no key padding mask. A PAD position
 * holds BOS's residual plus `pad` and its index (every other s-op None, within the pollution
 * bound, as at BOS): PAD keys, for every index, are losers like any other key, what they write
 * enters the losers' bound, and PAD queries must attend to BOS as the BOS query does.
 *
 * With n ≤ max length losing keys (PAD keys included: a padded sequence has max length + 1
 * positions), the weight leaking to losers is at most λ = n·e^{−(gap − 2Δ)} and winners'
 * weights differ by at most e^{spread + 2Δ}: this bounds the head's output error at every length
 * up to the max length, padded or not, without enumerating inputs.
 */
import { applyPredicate } from '../../ast/apply.js';
import type { Node, SOp } from '../../ast/program.js';
import { isNumberLike, toNumber, type Value } from '../../ast/value.js';
import type { StagePlacement } from '../../model/model.js';
import { writeValue, type SpaceView } from '../../model/view.js';
import { combinations, type Lemma, type LemmaContext } from './context.js';
import { selectorSides } from './structure.js';

export interface HeadBound {
  /** Winners' lowest score minus losers' highest, over every query (score units, β included). */
  readonly gap: number;
  /** Largest score difference among winners. */
  readonly spread: number;
  /** Bound on how far input errors move any score. */
  readonly scoreError: number;
  readonly leakage: number;
  /** Output error bound (L1 for categorical, absolute for numerical; the 1/(w+1) weight for widths). */
  readonly outputError: number;
  /** BOS query and PAD queries: BOS's score minus the best other key's (PAD keys included). */
  readonly bosQueryGap: number;
  /** Bidirectional models: the best winner's lead over the best PAD key, over every query. */
  readonly padGap: number;
  /** Error left at the BOS position in the head's output directions (after any clean-up). */
  readonly bosPollution: number;
  readonly queries: number;
  readonly keys: number;
}

/**
 * The selector formula as a function of value indices (key combination, query combination),
 * each atom a precomputed truth table over its key and query values.
 */
const compileSelector = (
  c: LemmaContext,
  selectorId: number,
  sides: { readonly queries: readonly string[]; readonly keys: readonly string[] },
  qValues: readonly (readonly Value[])[],
  kValues: readonly (readonly Value[])[],
): ((k: readonly number[], q: readonly number[]) => boolean) => {
  const build = (id: number): ((k: readonly number[], q: readonly number[]) => boolean) => {
    const g = c.graph.nodes[id] as { node: Node; children: readonly number[] };
    const n = g.node;
    if (n.kind === 'select') {
      const [kId, qId] = g.children as [number, number];
      const kp = sides.keys.indexOf(c.graph.nodes[kId]?.label ?? '');
      const qp = sides.queries.indexOf(c.graph.nodes[qId]?.label ?? '');
      const ks = kValues[kp] as readonly Value[];
      const qs = qValues[qp] as readonly Value[];
      const table = new Uint8Array(ks.length * qs.length);
      ks.forEach((kv, ki) => qs.forEach((qv, qi) => (table[ki * qs.length + qi] = applyPredicate(n.predicate, kv, qv) === true ? 1 : 0)));
      const width = qs.length;
      return (k, q) => table[(k[kp] as number) * width + (q[qp] as number)] === 1;
    }
    const a = build(g.children[0] as number);
    if (n.kind === 'selectorNot') return (k, q) => !a(k, q);
    const b = build(g.children[1] as number);
    return n.kind === 'selectorAnd' ? (k, q) => a(k, q) && b(k, q) : (k, q) => a(k, q) || b(k, q);
  };
  return build(selectorId);
};

const dot = (a: Float64Array, b: Float64Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
};

/** How much an error of size 1 in a space's coordinates can move q·k, maximised over the other side. */
const sensitivity = (c: LemmaContext, stage: StagePlacement, which: 'Q' | 'K', space: SpaceView, others: readonly Float64Array[]): number => {
  const { view } = c;
  const dh = view.model.config.d_head;
  const w = view.tensor(`blocks.${stage.layer}.attn.W_${which}`).data;
  let worst = 0;
  for (const i of space.indices) {
    const row = new Float64Array(dh);
    for (let j = 0; j < dh; j++) row[j] = w[((stage.head as number) * view.d + i) * dh + j] as number;
    for (const o of others) worst = Math.max(worst, Math.abs(dot(row, o)));
  }
  return worst / view.model.config.attn_scale;
};

/** max |W_Q[i]·W_K[j]| over query directions i and key directions j. */
const largestBilinear = (c: LemmaContext, stage: StagePlacement, qs: readonly SpaceView[], ks: readonly SpaceView[]): number => {
  const { view } = c;
  const dh = view.model.config.d_head;
  const wq = view.tensor(`blocks.${stage.layer}.attn.W_Q`).data;
  const wk = view.tensor(`blocks.${stage.layer}.attn.W_K`).data;
  const row = (w: Float32Array, i: number): Float64Array =>
    Float64Array.from(w.subarray(((stage.head as number) * view.d + i) * dh, ((stage.head as number) * view.d + i + 1) * dh));
  let m = 0;
  for (const qs1 of qs) for (const i of qs1.indices) for (const ks1 of ks) for (const j of ks1.indices) m = Math.max(m, Math.abs(dot(row(wq, i), row(wk, j))));
  return m / view.model.config.attn_scale;
};

export interface HeadInputs {
  /** Error bound of each s-op (by label). */
  readonly errors: ReadonlyMap<string, number>;
  /** Error at the BOS position in each s-op's directions. */
  readonly pollution: ReadonlyMap<string, number>;
}

export const headBound = (c: LemmaContext, label: string, stage: StagePlacement, inputs: HeadInputs, cleanup?: StagePlacement): HeadBound => {
  const { view } = c;
  const layer = stage.layer;
  const head = stage.head as number;
  const g = c.byLabel.get(label) as { node: Node; children: readonly number[] };
  const node = g.node as SOp;
  const width = node.kind === 'selectorWidth';
  const selectorId = g.children[0] as number;
  const neverEmpty = c.facts.get(selectorId)?.neverEmpty ?? false;
  const sides = selectorSides(c, selectorId);
  const qSpaces = sides.queries.map((l) => c.space(l));
  const kSpaces = sides.keys.map((l) => c.space(l));
  const qValues = sides.queries.map((l) => c.values(l));
  const kValues = sides.keys.map((l) => c.values(l));
  const qCombos = combinations(qValues.map((vs) => vs.map((_, i) => i)));
  const kCombos = combinations(kValues.map((vs) => vs.map((_, i) => i)));
  const dh = view.model.config.d_head;
  const scale = view.model.config.attn_scale;
  const projectAll = (which: 'Q' | 'K', spaces: readonly SpaceView[], values: readonly (readonly Value[])[], combos: readonly number[][]): Float64Array[] =>
    combos.map((combo) => view.project(layer, head, which, view.vector(spaces.map((sp, i) => [sp, (values[i] as readonly Value[])[combo[i] as number] as Value] as const))));
  const qVecs = projectAll('Q', qSpaces, qValues, qCombos);
  const kVecs = projectAll('K', kSpaces, kValues, kCombos);
  const bosVector = view.vector([], true);
  const kBos = view.project(layer, head, 'K', bosVector);
  const qBos = view.project(layer, head, 'Q', bosVector);
  // PAD positions: BOS + pad + their index, for every index (nothing in causal models)
  const padAll = (which: 'Q' | 'K', spaces: readonly SpaceView[], labels: readonly string[]): Float64Array[] => {
    if (!c.padded) return [];
    const values = labels.map((l) => c.atPad(l));
    return combinations(values.map((vs) => vs.map((_, i) => i))).map((combo) =>
      view.project(layer, head, which, view.padVector(spaces.map((sp, i) => [sp, (values[i] as readonly Value[])[combo[i] as number] as Value] as const))),
    );
  };
  const qPads = padAll('Q', qSpaces, sides.queries);
  const kPads = padAll('K', kSpaces, sides.keys);
  const kFlat = new Float64Array(kCombos.length * dh);
  kVecs.forEach((k, i) => kFlat.set(k, i * dh));
  const selected = compileSelector(c, selectorId, sides, qValues, kValues);

  let gap = Number.POSITIVE_INFINITY;
  let spread = 0;
  let padGap = Number.POSITIVE_INFINITY;
  qCombos.forEach((qc, qi) => {
    const q = qVecs[qi] as Float64Array;
    let minWinner = Number.POSITIVE_INFINITY;
    let maxWinner = Number.NEGATIVE_INFINITY;
    // PAD keys are losers for every query
    let maxPad = Number.NEGATIVE_INFINITY;
    for (const k of kPads) maxPad = Math.max(maxPad, dot(q, k) / scale);
    let maxLoser = maxPad;
    let winners = 0;
    for (let ki = 0; ki < kCombos.length; ki++) {
      let sc = 0;
      const o = ki * dh;
      for (let j = 0; j < dh; j++) sc += (q[j] as number) * (kFlat[o + j] as number);
      sc /= scale;
      if (selected(kCombos[ki] as number[], qc)) {
        winners++;
        if (sc < minWinner) minWinner = sc;
        if (sc > maxWinner) maxWinner = sc;
      } else if (sc > maxLoser) maxLoser = sc;
    }
    const b = dot(q, kBos) / scale;
    padGap = Math.min(padGap, Math.max(b, maxWinner) - maxPad);
    if (width) {
      const lowest = Math.min(minWinner, b);
      gap = Math.min(gap, lowest - maxLoser);
      spread = Math.max(spread, Math.max(maxWinner, b) - lowest);
    } else {
      // something selected: selected keys beat BOS and the rest; nothing selected: BOS beats the
      // rest — unless the selector provably always selects a key
      if (winners > 0) {
        gap = Math.min(gap, minWinner - Math.max(maxLoser, b));
        spread = Math.max(spread, maxWinner - minWinner);
      }
      if (!neverEmpty) gap = Math.min(gap, b - maxLoser);
    }
  });

  // score errors from input errors (and BOS-position pollution on the key side)
  const err = (l: string): number => inputs.errors.get(l) ?? 0;
  const keyErr = (l: string): number => Math.max(err(l), inputs.pollution.get(l) ?? 0);
  const dq = sides.queries.reduce((s, l, i) => s + err(l) * sensitivity(c, stage, 'Q', qSpaces[i] as SpaceView, [...kVecs, kBos, ...kPads]), 0);
  const dk = sides.keys.reduce((s, l, i) => s + keyErr(l) * sensitivity(c, stage, 'K', kSpaces[i] as SpaceView, qVecs), 0);
  // the cross term e_q·W·e_k: L1 errors times the largest bilinear weight between the two sides
  const totalQ = sides.queries.reduce((x, l) => x + err(l), 0);
  const totalK = sides.keys.reduce((x, l) => x + keyErr(l), 0);
  const cross = totalQ > 0 && totalK > 0 ? totalQ * totalK * largestBilinear(c, stage, qSpaces, kSpaces) : 0;
  const scoreError = dq + dk + cross;
  const effectiveGap = gap - 2 * scoreError;
  const leakage = Math.min(1, c.maxLen * Math.exp(-effectiveGap));
  const ratio = Math.expm1(spread + 2 * scoreError);

  // BOS query (and PAD queries): attend to BOS, over every other key (PAD keys included)
  let bosQueryGap = Number.POSITIVE_INFINITY;
  for (const qx of [qBos, ...qPads]) {
    let bestOther = Number.NEGATIVE_INFINITY;
    for (const k of [...kVecs, ...kPads]) bestOther = Math.max(bestOther, dot(qx, k) / scale);
    bosQueryGap = Math.min(bosQueryGap, dot(qx, kBos) / scale - bestOther);
  }
  // their scores move with the keys' errors and with the pollution their own query s-ops carry
  const pollutionOf = (l: string): number => inputs.pollution.get(l) ?? 0;
  const bosScoreError =
    sides.keys.reduce((s, l, i) => s + keyErr(l) * sensitivity(c, stage, 'K', kSpaces[i] as SpaceView, [qBos, ...qPads]), 0) +
    sides.queries.reduce((s, l, i) => s + pollutionOf(l) * sensitivity(c, stage, 'Q', qSpaces[i] as SpaceView, [kBos, ...kVecs, ...kPads]), 0) +
    (totalK > 0 ? sides.queries.reduce((x, l) => x + pollutionOf(l), 0) * totalK * largestBilinear(c, stage, qSpaces, kSpaces) : 0);
  const bosLeak = Math.min(1, c.maxLen * Math.exp(-(bosQueryGap - 2 * bosScoreError)));

  let outputError: number;
  let bosPollution: number;
  if (width) {
    outputError = leakage + ratio;
    bosPollution = bosLeak;
  } else {
    const valueLabel = c.graph.nodes[g.children[1] as number]?.label ?? '';
    const valueSpace = c.space(valueLabel);
    const out = c.space(label);
    const categorical = out.representation === 'categorical';
    const measure = (v: Float64Array): number =>
      categorical ? out.indices.reduce((s, j) => s + Math.abs(v[j] as number), 0) : Math.abs(v[out.indices[0] as number] as number);
    // what each value and BOS write, against their intended encodings
    let writeError = 0;
    let maxWrite = 0;
    const outputValues = c.valueSet(label);
    for (const v of c.values(valueLabel)) {
      const written = view.headOutput(layer, head, view.vector([[valueSpace, v]]));
      // a source value outside the aggregate's value set is never selected: it must write nothing
      const ideal = new Float64Array(view.d);
      if (v !== null && outputValues.has(v)) writeValue(ideal, out, v);
      writeError = Math.max(writeError, measure(written.map((x, i) => x - (ideal[i] as number))));
      maxWrite = Math.max(maxWrite, measure(written));
    }
    const agg = node as Extract<SOp, { kind: 'aggregate' }>;
    const bosWrites = view.headOutput(layer, head, bosVector);
    const idealDefault = new Float64Array(view.d);
    if (agg.default !== null && (categorical ? c.values(label).some((u) => u === agg.default) : true)) writeValue(idealDefault, out, agg.default);
    const defaultError = measure(bosWrites.map((x, i) => x - (idealDefault[i] as number)));
    const gain = valueSpace.indices.reduce((s, i) => {
      const unit = new Float64Array(view.d);
      unit[i] = 1;
      return Math.max(s, measure(view.headOutput(layer, head, unit)));
    }, 0);
    // a PAD key writes BOS's default and its own value (an index, for `indices`)
    let padWrite = 0;
    if (c.padded) for (const v of c.atPad(valueLabel)) padWrite = Math.max(padWrite, measure(view.headOutput(layer, head, view.padVector([[valueSpace, v]]))));
    // the value's error at every key: its error bound, or its pollution at BOS and PAD positions
    const passthrough = gain * keyErr(valueLabel);
    const vmax = Math.max(maxWrite, measure(bosWrites), padWrite) + passthrough;
    outputError = categorical
      ? leakage * (1 + vmax) + Math.max(writeError, defaultError) + passthrough
      : leakage * 2 * vmax + ratio * vmax + Math.max(writeError, defaultError) + passthrough;
    // at BOS the head writes ≈ BOS's own value; the clean-up stage takes it out again
    let residualAtBos = bosWrites;
    if (cleanup !== undefined) {
      const cleaned = view.mlp(cleanup.layer, cleanup.units as readonly [number, number], bosVector).out;
      residualAtBos = bosWrites.map((x, i) => x + (cleaned[i] as number));
    }
    bosPollution = measure(residualAtBos) + bosLeak * vmax;
  }
  return { gap, spread, scoreError, leakage, outputError, bosQueryGap, padGap, bosPollution, queries: qCombos.length, keys: kCombos.length };
};

/** Whether a clean-up stage is off away from BOS (so it never touches real positions). */
export const cleanupIsOff = (c: LemmaContext, cleanup: StagePlacement): boolean => {
  const out = c.view.mlp(cleanup.layer, cleanup.units as readonly [number, number], c.view.vector([]));
  return out.pre.every((z) => z <= 0);
};

export const headLemma = (label: string, b: HeadBound, holds: boolean, statement: string): Lemma => ({
  node: label,
  kind: 'attention',
  holds,
  statement,
  numbers: {
    gap: b.gap,
    spread: b.spread,
    scoreError: b.scoreError,
    leakageAtMaxLength: b.leakage,
    outputError: b.outputError,
    bosQueryGap: b.bosQueryGap,
    ...(Number.isFinite(b.padGap) ? { padGap: b.padGap } : {}),
    bosPollution: b.bosPollution,
    queryCombinations: b.queries,
    keyCombinations: b.keys,
  },
});

export const numeric = (v: Value): number => (isNumberLike(v) ? toNumber(v) : Number.NaN);
