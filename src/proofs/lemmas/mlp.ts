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
import { type SpaceView, writeValue } from '../blockView.js';
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
  // the rows each unit reads, once
  const rows: { i: number; w: number }[][] = [];
  for (let u = from; u < to; u++) {
    const r: { i: number; w: number }[] = [];
    for (let i = 0; i < d; i++) {
      const w = win[i * dm + u] as number;
      if (w !== 0) r.push({ i, w });
    }
    rows.push(r);
  }
  const radius = new Float64Array(d);
  for (const input of inputs) for (const i of input.space.indices) radius[i] = Math.max(radius[i] as number, input.error);
  let worstError = 0;
  let worst: Value[] | undefined;
  let skipped = 0;
  let unstable = 0;
  const combos = combinations(inputs.map((x) => x.values));
  const lo = new Float64Array(d);
  const hi = new Float64Array(d);
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
    const coefficient = new Map<number, Float64Array>();
    const switching: number[] = [];
    for (let u = from; u < to; u++) {
      let z = bin[u] as number;
      let r = 0;
      for (const { i, w } of rows[u - from] as { i: number; w: number }[]) {
        z += w * (x[i] as number);
        r += Math.abs(w) * (radius[i] as number);
      }
      const zl = z - r;
      const zh = z + r;
      if (zh <= 0) continue;
      if (zl >= 0) {
        for (const j of output.indices) {
          const w = wout[u * d + j] as number;
          if (w === 0) continue;
          lo[j] += w * z;
          hi[j] += w * z;
          let a = coefficient.get(j);
          if (a === undefined) {
            a = new Float64Array(d);
            coefficient.set(j, a);
          }
          for (const { i, w: wi } of rows[u - from] as { i: number; w: number }[]) a[i] += w * wi;
        }
        continue;
      }
      unstable++;
      switching.push(u);
      for (const j of output.indices) {
        const w = wout[u * d + j] as number;
        if (w >= 0) hi[j] += w * zh;
        else lo[j] += w * zh;
      }
    }
    for (const [j, a] of coefficient) {
      let dev = 0;
      for (let i = 0; i < d; i++) dev += Math.abs(a[i] as number) * (radius[i] as number);
      lo[j] -= dev;
      hi[j] += dev;
    }
    const ideal = new Float64Array(d);
    writeValue(ideal, output, y);
    let error = 0;
    for (const j of output.indices) {
      const e = Math.max(Math.abs((hi[j] as number) - (ideal[j] as number)), Math.abs((lo[j] as number) - (ideal[j] as number)));
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

/** At the BOS position every unit must be off: the largest pre-activation there (≤ 0 holds). */
export const bosGate = (c: LemmaContext, stage: StagePlacement, atBos: readonly (readonly [SpaceView, number, number])[]): number => {
  const { view } = c;
  const d = view.d;
  const dm = view.model.config.d_mlp;
  const [from, to] = stage.units as readonly [number, number];
  const win = view.tensor(`blocks.${stage.layer}.mlp.W_in`).data;
  const bin = view.tensor(`blocks.${stage.layer}.mlp.b_in`).data;
  // BOS residual: one + bos, plus `value ± pollution` in the listed spaces
  const centre = new Float64Array(d);
  const radius = new Float64Array(d);
  centre[view.one] = 1;
  centre[view.bos] = 1;
  for (const [space, value, pollution] of atBos) {
    for (const i of space.indices) {
      centre[i] = space.representation === 'numerical' ? value : 0;
      radius[i] = pollution;
    }
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
