/**
 * MLP constructions. Each returns the block and the largest input error under which its output
 * is exact ("tolerance"); constructions fed by exact inputs use the cheaper one-unit forms.
 */
import { isNumberLike, toNumber, type Value } from '../../ast/value.js';
import type { MlpBlock, Unit, Weights } from '../blocks.js';
import { combine, encodeMaybe, scale, type SopSpace } from '../sopSpace.js';
import { stepUnits, termsBound, unit } from './units.js';

export interface MlpConstruction {
  readonly block: MlpBlock;
  /**
   * Per input label: the largest error (L1 for categorical, absolute for numerical) under which
   * the output is exact, or `passes` when errors pass through linearly (with this gain).
   */
  readonly tolerance: Readonly<Record<string, number>>;
  /** Output error = Σ gain × input error, for constructions that do not clean their input. */
  readonly gain: Readonly<Record<string, number>>;
}

const mlp = (role: string, units: readonly Unit[]): MlpBlock => ({ kind: 'mlp', role, units });

/**
 * The largest magnitude each input direction can hold (1 for a one-hot direction, the largest
 * |value| for a numerical one): what the BOS switch-off must overcome, since an input may hold a
 * value at BOS (an aggregate's default, before its clean-up).
 */
export const magnitudeOf =
  (spaces: readonly SopSpace[]) =>
  (dir: string): number => {
    for (const sp of spaces) {
      if (!sp.directions.some((d) => d.key === dir)) continue;
      if (sp.representation === 'categorical') return 1;
      return Math.max(1, ...sp.values.filter(isNumberLike).map((v) => Math.abs(toNumber(v))));
    }
    return 1;
  };

/**
 * Categorical → categorical lookup. Exact input: one unit per output value (or per input value
 * when fewer), ReLU of the sum of the input indicators that map to it. Noisy input: a 0/1 step
 * of that sum, exact for L1 input error below 0.25.
 */
export const tableMlp = (
  input: SopSpace,
  inputExact: boolean,
  f: (v: Value) => Value,
  output: SopSpace,
): MlpConstruction => {
  const groups = new Map<string, { out: Weights; ins: [string, number][] }>();
  input.values.forEach((v, i) => {
    const out = encodeMaybe(output, f(v));
    if (out === undefined || out.length === 0) return;
    const key = JSON.stringify(out);
    const g = groups.get(key) ?? { out, ins: [] };
    g.ins.push([(input.directions[i] as { key: string }).key, 1]);
    groups.set(key, g);
  });
  const gs = [...groups.values()];
  if (!inputExact) {
    const units = gs.flatMap((g) => stepUnits(g.ins, 0, 0.5, 0.5, g.out, termsBound(g.ins, () => 1)));
    return { block: mlp('table-mlp', units), tolerance: { [input.label]: 0.25 }, gain: {} };
  }
  const perInput = input.values.length <= gs.length;
  const units = perInput
    ? input.values.flatMap((v, i) => {
        const out = encodeMaybe(output, f(v));
        return out === undefined || out.length === 0 ? [] : [unit([[(input.directions[i] as { key: string }).key, 1]], 0, out, 1)];
      })
    : gs.map((g) => unit(g.ins, 0, g.out, termsBound(g.ins, () => 1)));
  return { block: mlp('table-mlp', units), tolerance: {}, gain: { [input.label]: 1 } };
};

/**
 * A numerical output that is an affine function of the inputs' encodings: z = bias + Σ terms,
 * written as ReLU(z) − ReLU(−z) (or just ReLU(z) when z never goes below zero). Negative values
 * are kept (Tracr's categorical→numerical MLP clips them).
 */
export const linearMlp = (
  terms: Weights,
  bias: number,
  output: SopSpace,
  nonNegative: boolean,
  gains: Readonly<Record<string, number>>,
  inputs: readonly SopSpace[],
): MlpConstruction => {
  const dir = (output.directions[0] as { key: string }).key;
  const atBos = termsBound(terms, magnitudeOf(inputs));
  const units = [unit(terms, bias, [[dir, 1]], atBos)];
  if (!nonNegative) units.push(unit(scale(-1, terms), -bias, [[dir, -1]], atBos));
  return { block: mlp('linear-mlp', units), tolerance: {}, gain: gains };
};

/**
 * Two categorical inputs → a table over value pairs: one unit per pair whose output is not
 * None/0. Exact inputs: ReLU(a_u + b_w − 1). Noisy inputs: a step of a_u + b_w at 1.5, exact
 * for a total L1 error below 0.25.
 */
export const pairTableMlp = (
  a: SopSpace,
  b: SopSpace,
  exact: boolean,
  f: (x: Value, y: Value) => Value,
  output: SopSpace,
): MlpConstruction => {
  const units: Unit[] = [];
  a.values.forEach((u, i) => {
    b.values.forEach((w, j) => {
      // a pair whose result is outside the output's value set never occurs
      const out = encodeMaybe(output, f(u, w));
      if (out === undefined || out.length === 0) return;
      const ins: Weights =
        a.label === b.label
          ? i === j
            ? [[(a.directions[i] as { key: string }).key, 2]]
            : []
          : [
              [(a.directions[i] as { key: string }).key, 1],
              [(b.directions[j] as { key: string }).key, 1],
            ];
      if (ins.length === 0) return;
      if (exact) units.push(unit(ins, -1, out, termsBound(ins, () => 1)));
      else units.push(...stepUnits(ins, 0, 1.5, 0.5, out, termsBound(ins, () => 1)));
    });
  });
  return exact
    ? { block: mlp('pair-table-mlp', units), tolerance: {}, gain: { [a.label]: 1, [b.label]: 1 } }
    : { block: mlp('pair-table-mlp', units), tolerance: { [a.label]: 0.125, [b.label]: 0.125 }, gain: {} };
};

/** Sorted numeric values and the thresholds between consecutive ones. */
const thresholds = (values: readonly Value[]): { xs: number[] } => ({
  xs: values.filter(isNumberLike).map(toNumber).sort((p, q) => p - q),
});

interface Steps {
  readonly base: Weights;
  readonly changes: readonly { readonly threshold: number; readonly delta: number; readonly change: Weights }[];
}

/**
 * Walks the sorted input values: the output at the first value, then a change at each threshold
 * where the output differs. Values whose output can never occur (outside the output's value set)
 * keep the previous output: any output is right there, and this one costs no unit.
 */
const walkSteps = (xs: readonly number[], out: (x: number) => Weights | undefined): Steps => {
  let current: Weights = [];
  let started = false;
  let lastX = xs[0] as number;
  const changes: { threshold: number; delta: number; change: Weights }[] = [];
  let base: Weights = [];
  for (const x of xs) {
    const target = out(x);
    if (!started) {
      current = target ?? [];
      base = current;
      started = true;
      lastX = x;
      continue;
    }
    const next = target ?? current;
    const change = combine(1, next, 1, current);
    if (change.length > 0) changes.push({ threshold: (lastX + x) / 2, delta: x - lastX, change });
    current = next;
    lastX = x;
  }
  return { base, changes };
};

/**
 * One numerical input cut into steps: f(v₀) plus, at each threshold between consecutive values
 * where f changes, a 0/1 step of width δ/2 (δ the gap there) carrying the change. Exact for input
 * errors below δ/4 at every used threshold.
 */
export const discretisingMlp = (
  input: SopSpace,
  f: (x: number) => Value,
  output: SopSpace,
  role = 'discretising-mlp',
  inputAtBos = 0,
  fixedWidth?: number,
): MlpConstruction => {
  const { xs } = thresholds(input.values);
  const dir = (input.directions[0] as { key: string }).key;
  const units: Unit[] = [];
  let tolerance = Number.POSITIVE_INFINITY;
  const steps = walkSteps(xs, (x) => encodeMaybe(output, f(x)));
  if (steps.base.length > 0) units.push(unit([], 1, steps.base));
  // at BOS the input holds at most its largest magnitude (a selector width's weight: 1)
  const atBos = Math.max(inputAtBos, magnitudeOf([input])(dir));
  for (const st of steps.changes) {
    // fixed (Tracr) mode: the transition band is [t − 1/L, t], as in Tracr's discretising MLP
    const threshold = fixedWidth === undefined ? st.threshold : st.threshold - fixedWidth / 2;
    units.push(...stepUnits([[dir, 1]], 0, threshold, fixedWidth ?? st.delta / 2, st.change, atBos));
    tolerance = Math.min(tolerance, st.delta / 4);
  }
  return { block: mlp(role, units), tolerance: { [input.label]: tolerance }, gain: {} };
};

/**
 * A categorical input c and a numerical input x: for each value u of c, f(u, x₀) gated by c = u,
 * plus the steps of f(u, ·) gated by c = u (a −G(1 − c_u) shift turns a step off for other u).
 */
export const gatedDiscretisingMlp = (
  gate: SopSpace,
  gateExact: boolean,
  input: SopSpace,
  f: (u: Value, x: number) => Value,
  output: SopSpace,
  fixedWidth?: number,
): MlpConstruction & { readonly gateStrength: number } => {
  const { xs } = thresholds(input.values);
  const dir = (input.directions[0] as { key: string }).key;
  const units: Unit[] = [];
  let tolerance = Number.POSITIVE_INFINITY;
  let gateStrength = 0;
  const range = (xs[xs.length - 1] as number) - (xs[0] as number);
  gate.values.forEach((u, i) => {
    const g = (gate.directions[i] as { key: string }).key;
    const steps = walkSteps(xs, (x) => encodeMaybe(output, f(u, x)));
    if (steps.base.length > 0) {
      if (gateExact) units.push(unit([[g, 1]], 0, steps.base, 1));
      else units.push(...stepUnits([[g, 1]], 0, 0.5, 0.5, steps.base, 1));
    }
    for (const st of steps.changes) {
      const width = fixedWidth ?? st.delta / 2;
      // |x − t| / width stays below (range + δ)/width; G above that switches the step off for c ≠ u
      const G = (range + st.delta) / width + 2;
      gateStrength = Math.max(gateStrength, G);
      const threshold = fixedWidth === undefined ? st.threshold : st.threshold - fixedWidth / 2;
      const terms: Weights = [[dir, 1], [g, G * width]];
      units.push(...stepUnits(terms, -G * width, threshold, width, st.change, termsBound(terms, magnitudeOf([input, gate]))));
      tolerance = Math.min(tolerance, st.delta / 8);
    }
  });
  const gateTolerance = gateExact ? 0 : Math.min(0.25, gateStrength > 0 ? 0.25 / gateStrength : 0.25);
  return {
    block: mlp('gated-discretising-mlp', units),
    tolerance: { [input.label]: tolerance, ...(gateExact ? {} : { [gate.label]: gateTolerance }) },
    gain: gateExact ? { [gate.label]: 0 } : {},
    gateStrength,
  };
};
