/**
 * MLP lemmas by interval arithmetic. For every combination of input values, the node's units are
 * evaluated on the box of residuals within the inputs' error bounds (each coordinate of an input's
 * subspace within ±ε of its exact encoding): pre-activation intervals, ReLU, output intervals.
 * The lemma bounds the output's distance from the exact encoding of f(inputs) over the whole box;
 * that bound is the node's error for its consumers. A unit whose interval straddles 0 is
 * "unstable"; the Z3 method re-examines those.
 */
import { applyFn } from '../../ast/apply.js';
import { ExprFailure } from '../../ast/exprEval.js';
import type { SOp } from '../../ast/program.js';
import { canonicalNumber, isNumberLike, toNumber, type Value } from '../../ast/value.js';
import { ValueSet } from '../../typecheck/valueSet.js';
import type { StagePlacement } from '../../model/model.js';
import { addAt } from '../arrays.js';
import { type SpaceView, writeValue } from '../../model/view.js';
import { combinations, type Lemma, type LemmaContext } from './context.js';

export interface MlpInput {
  readonly space: SpaceView;
  readonly values: readonly Value[];
  /** Error bound of the input (L1 for categorical, absolute for numerical). */
  readonly error: number;
}

/** One input combination as the bound saw it (for the solver to re-examine). */
export interface ComboBound {
  readonly combo: readonly Value[];
  /** The exact encoding of the inputs (centre of the box) and each coordinate's radius. */
  readonly centre: Float64Array;
  readonly radius: Float64Array;
  /** The exact encoding of f(inputs). */
  readonly ideal: Float64Array;
  readonly error: number;
  /** Units whose pre-activation may change sign over the box. */
  readonly unstableUnits: readonly number[];
}

export interface MlpBound {
  /** Largest error of the output over every input combination and its box. */
  readonly error: number;
  readonly combinations: number;
  /** Combinations whose result is outside the output's value set (they never occur). */
  readonly skipped: number;
  /** Unit evaluations whose pre-activation interval straddled 0. */
  readonly unstable: number;
  /** The combination with the largest error. */
  readonly worst?: readonly Value[];
}

/**
 * Whether a result can occur: it is in the output's value set (a superset of everything the node
 * can produce within the bounds). Combinations giving anything else never happen.
 */
const occurs = (outputValues: ValueSet, v: Value): boolean => outputValues.has(v);

/**
 * The interval bound of an MLP stage: output error over every combination of input values, with
 * each input's coordinates free within its error bound.
 */
export const mlpBound = (
  c: LemmaContext,
  stage: StagePlacement,
  inputs: readonly MlpInput[],
  output: SpaceView,
  outputValues: ValueSet,
  f: (args: Value[]) => Value | undefined,
  visit?: (combo: ComboBound) => void,
): MlpBound => {
  const { view } = c;
  const d = view.d;
  const dm = view.model.config.d_mlp;
  const [from, to] = stage.units as readonly [number, number];
  const win = view.tensor(`blocks.${stage.layer}.mlp.W_in`).data;
  const bin = view.tensor(`blocks.${stage.layer}.mlp.b_in`).data;
  const wout = view.tensor(`blocks.${stage.layer}.mlp.W_out`).data;
  const nu = to - from;
  const radius = new Float64Array(d);
  for (const input of inputs) for (const i of input.space.indices) radius[i] = Math.max(radius[i] as number, input.error);
  // each unit's non-zero input rows and its weights on the output directions, as flat arrays
  const rowStart = new Int32Array(nu + 1);
  const rowIdx: number[] = [];
  const rowW: number[] = [];
  const outDims = output.indices;
  const no = outDims.length;
  const outW = new Float64Array(nu * no);
  for (let u = from; u < to; u++) {
    rowStart[u - from] = rowIdx.length;
    for (let i = 0; i < d; i++) {
      const w = win[i * dm + u] as number;
      if (w !== 0) {
        rowIdx.push(i);
        rowW.push(w);
      }
    }
    for (let j = 0; j < no; j++) outW[(u - from) * no + j] = wout[u * d + (outDims[j] as number)] as number;
  }
  rowStart[nu] = rowIdx.length;
  const ri = Int32Array.from(rowIdx);
  const rw = Float64Array.from(rowW);
  const rr = Float64Array.from(rowIdx.map((i) => radius[i] as number));
  // the input directions that carry error, compactly indexed (for the affine part's slopes)
  const noisy = [...new Set(rowIdx.filter((i) => (radius[i] as number) > 0))];
  const slot = new Int32Array(d).fill(-1);
  noisy.forEach((i, k) => (slot[i] = k));
  const nn = noisy.length;
  const slope = new Float64Array(no * nn);
  const lo = new Float64Array(no);
  const hi = new Float64Array(no);
  let worstError = 0;
  let worst: Value[] | undefined;
  let skipped = 0;
  let unstable = 0;
  const combos = combinations(inputs.map((x) => x.values));
  for (const combo of combos) {
    const y = f(combo);
    if (y === undefined || !occurs(outputValues, y)) {
      skipped++;
      continue;
    }
    const x = view.vector(inputs.map((input, k) => [input.space, combo[k] as Value] as const));
    // units active over the whole box contribute an affine function of x (exact: the two units
    // of a step cancel); units that may switch contribute their interval
    lo.fill(0);
    hi.fill(0);
    slope.fill(0);
    const switching: number[] = [];
    for (let u = 0; u < nu; u++) {
      let z = bin[u + from] as number;
      let r = 0;
      const end = rowStart[u + 1] as number;
      for (let p = rowStart[u] as number; p < end; p++) {
        const w = rw[p] as number;
        z += w * (x[ri[p] as number] as number);
        r += Math.abs(w) * (rr[p] as number);
      }
      if (z + r <= 0) continue;
      if (z - r >= 0) {
        for (let j = 0; j < no; j++) {
          const w = outW[u * no + j] as number;
          if (w === 0) continue;
          addAt(lo, j, w * z);
          addAt(hi, j, w * z);
          if (nn === 0) continue;
          for (let p = rowStart[u] as number; p < end; p++) {
            const k = slot[ri[p] as number] as number;
            if (k >= 0) addAt(slope, j * nn + k, w * (rw[p] as number));
          }
        }
        continue;
      }
      unstable++;
      switching.push(u + from);
      for (let j = 0; j < no; j++) {
        const w = outW[u * no + j] as number;
        if (w >= 0) addAt(hi, j, w * (z + r));
        else addAt(lo, j, w * (z + r));
      }
    }
    for (let j = 0; j < no; j++) {
      let dev = 0;
      for (let k = 0; k < nn; k++) dev += Math.abs(slope[j * nn + k] as number) * (radius[noisy[k] as number] as number);
      addAt(lo, j, -dev);
      addAt(hi, j, dev);
    }
    const ideal = new Float64Array(d);
    writeValue(ideal, output, y);
    let error = 0;
    for (let j = 0; j < no; j++) {
      const t = ideal[outDims[j] as number] as number;
      const e = Math.max(Math.abs((hi[j] as number) - t), Math.abs((lo[j] as number) - t));
      error = output.representation === 'categorical' ? error + e : Math.max(error, e);
    }
    if (error > worstError) {
      worstError = error;
      worst = combo;
    }
    visit?.({ combo, centre: x, radius, ideal, error, unstableUnits: switching });
  }
  return { error: worstError, combinations: combos.length, skipped, unstable, ...(worst ? { worst } : {}) };
};

/**
 * At the BOS position every unit must be off: the largest pre-activation there (≤ 0 holds). Each
 * entry gives an input space, the value it holds at BOS (0 / None for clean inputs, an aggregate's
 * default before its clean-up, 1 for a selector width's weight) and a pollution radius.
 */
export const bosGate = (c: LemmaContext, stage: StagePlacement, atBos: readonly (readonly [SpaceView, Value, number])[], padPosition = false): number => {
  const { view } = c;
  const d = view.d;
  const dm = view.model.config.d_mlp;
  const [from, to] = stage.units as readonly [number, number];
  const win = view.tensor(`blocks.${stage.layer}.mlp.W_in`).data;
  const bin = view.tensor(`blocks.${stage.layer}.mlp.b_in`).data;
  const centre = new Float64Array(d);
  const radius = new Float64Array(d);
  centre[view.one] = 1;
  centre[view.bos] = 1;
  if (padPosition && view.pad >= 0) centre[view.pad] = 1;
  for (const [space, value, pollution] of atBos) {
    writeValue(centre, space, value);
    for (const i of space.indices) radius[i] = pollution;
  }
  let worst = Number.NEGATIVE_INFINITY;
  for (let u = from; u < to; u++) {
    let z = bin[u] as number;
    for (let i = 0; i < d; i++) {
      const w = win[i * dm + u] as number;
      if (w !== 0) z += w * (centre[i] as number) + Math.abs(w) * (radius[i] as number);
    }
    worst = Math.max(worst, z);
  }
  return worst;
};

/**
 * At PAD positions (bidirectional models) too: PAD holds BOS's inputs plus `pad` and its index,
 * so the largest pre-activation over every index an input `indices` may hold there (the BOS
 * entries otherwise). −∞ in causal models, where no real query sees a PAD key.
 */
export const padGate = (c: LemmaContext, stage: StagePlacement, atBos: readonly (readonly [SpaceView, Value, number])[]): number => {
  if (!c.padded) return Number.NEGATIVE_INFINITY;
  const choices = atBos.map(([space, value, pollution]) =>
    c.byLabel.get(space.label)?.node.kind === 'indices' ? c.atPad(space.label).map((v) => [space, v, 0] as const) : [[space, value, pollution] as const],
  );
  return Math.max(...combinations(choices).map((entries) => bosGate(c, stage, entries, true)));
};

/** The function an MLP node computes, from the compiled program. */
export const nodeFunction = (node: SOp): ((args: Value[]) => Value | undefined) => {
  switch (node.kind) {
    case 'map':
      return ([x]) => {
        if (x === null) return null;
        const r = applyFn(node.fn, [x as Value]);
        return r instanceof ExprFailure ? undefined : r;
      };
    case 'sequenceMap':
      return ([x, y]) => {
        if (x === null || y === null) return null;
        const r = applyFn(node.fn, [x as Value, y as Value]);
        return r instanceof ExprFailure ? undefined : r;
      };
    case 'linearSequenceMap':
      return ([x, y]) =>
        x === null || y === null || !isNumberLike(x as Value) || !isNumberLike(y as Value)
          ? null
          : canonicalNumber(node.fstCoeff * toNumber(x as number) + node.sndCoeff * toNumber(y as number));
    default:
      return () => undefined;
  }
};

export const mlpLemma = (label: string, b: MlpBound, statement: string, holds: boolean, extra: Readonly<Record<string, number>> = {}): Lemma => ({
  node: label,
  kind: 'mlp',
  holds,
  statement,
  numbers: { outputError: b.error, combinations: b.combinations, neverOccur: b.skipped, unstableUnits: b.unstable, ...extra },
});
