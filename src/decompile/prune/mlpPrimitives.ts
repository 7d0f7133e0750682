/**
 * Named MLP primitives (the decompiler paper's simplification of MLPs). An MLP that reads one
 * distribution-valued variable x (an average of one-hot vectors, e.g. a head's average of the
 * tokens) — and possibly the current token — is replaced by a named function of x followed by a
 * linear read-out into the MLP's hidden units, fitted by least squares on sample positions:
 *
 * - `exists(x)`: per dimension, [x_i > θ_i] — does the symbol occur among the attended positions;
 * - `is_pure(x)`: per varying dimension, [x_i is the only varying symbol present];
 * - `balance(x, a, b)`: [x_a > x_b], [x_a < x_b] — which of two symbols is more frequent;
 * - `sharpen(x, p)`: x^p / Σ x^p — the distribution made peakier;
 * - `harden(x)`: the one-hot argmax of x.
 *
 * θ_i is half the smallest positive value dimension i takes in the samples. With the current token
 * as a second input the read-out is fitted per token (features ⊗ one-hot token). The caller keeps a
 * replacement only when the program's match accuracy holds (simplify.ts).
 */
import { basisSize, dimensionName } from '../drasp/basis.js';
import type { DraspRun } from '../drasp/interpreter.js';
import type { DraspProgram, ElementwiseFunction, VariableStatement } from '../drasp/program.js';
import { argmaxRow } from '../../nn/predictions.js';
import { ridgeLeastSquares } from './leastSquares.js';

export type MlpPrimitiveName = 'exists' | 'is_pure' | 'balance' | 'sharpen' | 'harden';

export interface MlpPrimitive {
  readonly name: MlpPrimitiveName;
  /** What it computes, in the input's dimension names. */
  readonly detail: string;
  readonly width: number;
  /** Writes the primitive's `width` outputs for one input vector. */
  readonly features: (x: Float64Array, out: Float64Array) => void;
}

export interface MlpReplacement {
  readonly primitive: MlpPrimitive;
  readonly statement: VariableStatement;
  /** Σ‖fit − MLP‖² / Σ‖MLP − mean‖² over the sample positions. */
  readonly error: number;
}

const PRESENT = 1e-12;
/** Past this many dimensions only the per-dimension primitives are tried (balance has n² pairs). */
const MAX_BALANCE_DIMS = 16;
/** Read-outs with more features than this are not fitted. */
const MAX_FEATURES = 512;

/** Whether every row is a distribution: non-negative entries summing to 1. */
export const isDistribution = (rows: Float64Array, n: number): boolean => {
  for (let r = 0; r * n < rows.length; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const v = rows[r * n + i];
      if (v < -1e-9) return false;
      sum += v;
    }
    if (Math.abs(sum - 1) > 1e-6) return false;
  }
  return true;
};

interface DimensionStats {
  readonly threshold: Float64Array;
  /** Dimensions present in some rows and absent in others. */
  readonly varying: number[];
  /** Dimensions whose value changes across rows. */
  readonly changing: number[];
}

const dimensionStats = (rows: Float64Array, n: number): DimensionStats => {
  const smallest = new Float64Array(n).fill(Infinity);
  const min = new Float64Array(n).fill(Infinity);
  const max = new Float64Array(n).fill(-Infinity);
  for (let r = 0; r * n < rows.length; r++) {
    for (let i = 0; i < n; i++) {
      const v = rows[r * n + i];
      if (v > PRESENT && v < smallest[i]) smallest[i] = v;
      min[i] = Math.min(min[i], v);
      max[i] = Math.max(max[i], v);
    }
  }
  const threshold = smallest.map((s) => (Number.isFinite(s) ? s / 2 : Infinity));
  const dims = Array.from({ length: n }, (_, i) => i);
  return {
    threshold,
    varying: dims.filter((i) => max[i] > PRESENT && min[i] <= PRESENT),
    changing: dims.filter((i) => max[i] - min[i] > 1e-9),
  };
};

/** The primitives that could describe an MLP of `x`, given sample rows of x (rows × n). */
export const mlpPrimitiveCandidates = (rows: Float64Array, n: number, dimName: (i: number) => string, input: string): MlpPrimitive[] => {
  const { threshold, varying, changing } = dimensionStats(rows, n);
  const candidates: MlpPrimitive[] = [
    {
      name: 'exists',
      detail: `[${input}_i > θ_i] for each symbol i (θ: half its smallest positive value)`,
      width: n,
      features: (x, out) => {
        for (let i = 0; i < n; i++) out[i] = x[i] > threshold[i] ? 1 : 0;
      },
    },
  ];
  if (varying.length > 0) {
    candidates.push({
      name: 'is_pure',
      detail: `[${varying.length <= 8 ? varying.map(dimName).join(' | ') : `one of ${varying.length} symbols`} is the only one of them present in ${input}]`,
      width: varying.length,
      features: (x, out) => {
        let present = -1;
        let count = 0;
        varying.forEach((i, k) => {
          if (x[i] > threshold[i]) {
            present = k;
            count++;
          }
        });
        out.fill(0);
        if (count === 1) out[present] = 1;
      },
    });
  }
  if (changing.length <= MAX_BALANCE_DIMS) {
    for (let s = 0; s < changing.length; s++) {
      for (let t = s + 1; t < changing.length; t++) {
        const a = changing[s];
        const b = changing[t];
        candidates.push({
          name: 'balance',
          detail: `[${input}_${dimName(a)} > ${input}_${dimName(b)}], [${input}_${dimName(a)} < ${input}_${dimName(b)}]`,
          width: 2,
          features: (x, out) => {
            out[0] = x[a] > x[b] ? 1 : 0;
            out[1] = x[a] < x[b] ? 1 : 0;
          },
        });
      }
    }
  }
  for (const power of [2, 4, 8]) {
    candidates.push({
      name: 'sharpen',
      detail: `${input}^${power} / Σ ${input}^${power}`,
      width: n,
      features: (x, out) => {
        let sum = 0;
        for (let i = 0; i < n; i++) {
          out[i] = Math.max(x[i], 0) ** power;
          sum += out[i];
        }
        for (let i = 0; i < n; i++) out[i] = sum > 0 ? out[i] / sum : 0;
      },
    });
  }
  const hardened = changing.length > 0 ? changing : Array.from({ length: n }, (_, i) => i);
  candidates.push({
    name: 'harden',
    detail: `one-hot argmax of ${input} over ${hardened.length <= 8 ? `{${hardened.map(dimName).join(', ')}}` : `${hardened.length} symbols`}`,
    width: hardened.length,
    features: (x, out) => {
      let best = 0;
      hardened.forEach((i, k) => {
        if (x[i] > x[hardened[best]]) best = k;
      });
      out.fill(0);
      out[best] = 1;
    },
  });
  return candidates;
};

/** Rows of `name`'s values across the runs, concatenated. */
const stacked = (runs: readonly DraspRun[], name: string): Float64Array => {
  const parts = runs.map((run) => run.values.get(name) ?? new Float64Array(0));
  const out = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
};

/** Two-way decisions first, then per-symbol tests, then the continuous sharpen. */
const SIMPLICITY: Record<MlpPrimitiveName, number> = { balance: 0, exists: 1, is_pure: 1, harden: 2, sharpen: 3 };

/**
 * Replacements of the opaque MLP `statement` by named primitives whose relative fit error is at
 * most `maxError`, simplest first (balance, exists / is_pure, harden, sharpen), at most `limit`.
 * Empty when the MLP does not read exactly one distribution-valued variable (plus, optionally, the
 * tokens), or when its output does not vary on the samples.
 */
export const mlpReplacements = (program: DraspProgram, statement: VariableStatement, runs: readonly DraspRun[], limit = 4, maxError = 0.5): MlpReplacement[] => {
  const definition = statement.definition;
  if (definition.kind !== 'elementwise' || definition.fn.kind !== 'opaque') return [];
  const variables = new Map(program.statements.filter((s): s is VariableStatement => s.kind === 'variable').map((s) => [s.name, s]));
  const inputs = definition.inputs.map((name) => variables.get(name) as VariableStatement);
  const tokenInputs = inputs.filter((v) => v.definition.kind === 'tokens');
  const others = inputs.filter((v) => v.definition.kind !== 'tokens');
  // A one-hot input (the positions) is already as discrete as it gets: that MLP is a table.
  if (others.length !== 1 || tokenInputs.length > 1 || others[0].definition.kind === 'positions') return [];
  const target = others[0];
  const context = tokenInputs[0];
  const n = basisSize(target.basis);
  const contextSize = context === undefined ? 1 : basisSize(context.basis);
  const units = basisSize(statement.basis);
  const xs = stacked(runs, target.name);
  const hs = stacked(runs, statement.name);
  const rows = xs.length / n;
  if (rows === 0 || !isDistribution(xs, n)) return [];
  const contextIds = new Int32Array(rows);
  if (context !== undefined) {
    const tok = stacked(runs, context.name);
    for (let r = 0; r < rows; r++) contextIds[r] = argmaxRow(tok, r * contextSize, contextSize);
  }
  const mean = new Float64Array(units);
  for (let r = 0; r < rows; r++) for (let u = 0; u < units; u++) mean[u] += hs[r * units + u] / rows;
  let spread = 0;
  for (let r = 0; r < rows; r++) for (let u = 0; u < units; u++) spread += (hs[r * units + u] - mean[u]) ** 2;
  if (spread === 0) return [];

  const targetIndex = definition.inputs.indexOf(target.name);
  const contextIndex = context === undefined ? -1 : definition.inputs.indexOf(context.name);
  const fitted: MlpReplacement[] = [];
  for (const primitive of mlpPrimitiveCandidates(xs, n, (i) => dimensionName(target.basis, i), target.name)) {
    const width = primitive.width + 1;
    const p = width * contextSize;
    if (p > MAX_FEATURES) continue;
    const features = new Float64Array(rows * p);
    const f = new Float64Array(width);
    for (let r = 0; r < rows; r++) {
      primitive.features(xs.subarray(r * n, (r + 1) * n), f);
      f[primitive.width] = 1;
      for (let k = 0; k < width; k++) features[r * p + k * contextSize + contextIds[r]] = f[k];
    }
    const readout = ridgeLeastSquares(features, hs, rows, p, units);
    let residual = 0;
    for (let r = 0; r < rows; r++) {
      for (let u = 0; u < units; u++) {
        let y = 0;
        for (let k = 0; k < width; k++) {
          const v = features[r * p + k * contextSize + contextIds[r]];
          if (v !== 0) y += v * readout[(k * contextSize + contextIds[r]) * units + u];
        }
        residual += (y - hs[r * units + u]) ** 2;
      }
    }
    const fn: ElementwiseFunction = {
      kind: 'opaque',
      name: primitive.name,
      description: `${primitive.detail}; then a linear read-out${context === undefined ? '' : ` per ${context.name} value`} into ${units} hidden unit${units === 1 ? '' : 's'}`,
      apply: (values, output) => {
        const g = new Float64Array(width);
        primitive.features(values[targetIndex], g);
        g[primitive.width] = 1;
        const c = contextIndex < 0 ? 0 : argmaxRow(values[contextIndex], 0, contextSize);
        output.fill(0);
        for (let k = 0; k < width; k++) {
          if (g[k] === 0) continue;
          const base = (k * contextSize + c) * units;
          for (let u = 0; u < units; u++) output[u] += g[k] * readout[base + u];
        }
      },
    };
    fitted.push({ primitive, statement: { ...statement, definition: { ...definition, fn } }, error: residual / spread });
  }
  return fitted
    .filter((r) => r.error <= maxError)
    .sort((a, b) => SIMPLICITY[a.primitive.name] - SIMPLICITY[b.primitive.name] || a.error - b.error)
    .slice(0, limit);
};
