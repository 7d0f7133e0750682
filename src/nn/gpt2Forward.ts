/**
 * GPT-2's forward pass (gpt2Blocks.ts) on plain Float64Arrays, one sequence, with HuggingFace's
 * numerics (GPT2LMHeadModel) and a LayerNorm treatment:
 *
 * - real: LayerNorm is (x − mean) / √(var + ε) · weight + bias with the biased variance (the mean of the
 * squared deviations). Attention: q | k | v = x·c_attn + b split into heads; scores q·kᵀ / √d_head;
 * a causal mask (position t attends to 0..t of the sequence, whatever the position ids); softmax.
 */
import { ACTIVATIONS } from './activations.js';
import { gpt2Blocks, type Gpt2Arithmetic, type LayerNormSite } from './gpt2Blocks.js';
import type { Gpt2Model } from './gpt2Model.js';
import { at } from '../util/at.js';

/** The constant standard deviation s of each LayerNorm use-site. */
export interface LinearLnScales {
  /** Per block. */
  readonly ln1: Float64Array;
  readonly ln2: Float64Array;
  readonly final: number;
}

export type LayerNormTreatment = { readonly kind: 'real' } | { readonly kind: 'fixed'; readonly scales: LinearLnScales };

export const REAL_LAYER_NORM: LayerNormTreatment = { kind: 'real' };

export interface Gpt2LayerNormScales {
  /** ln1[l], ln2[l]: 1 / √(var + ε) of each position at block l's LayerNorms; [T] each. */
  readonly ln1: readonly Float64Array[];
  readonly ln2: readonly Float64Array[];
  readonly final: Float64Array;
}

export interface Gpt2Trace {
  /** [T, vocab_size] */
  readonly logits: Float64Array;
  /** residuals[0]: the embeddings; residuals[l + 1]: the stream after block l. [T, d] each. */
  readonly residuals: readonly Float64Array[];
  /** attention[l][h]: [T, T], row t the weights of query t over keys 0..t (zero beyond). */
  readonly attention: readonly (readonly Float64Array[])[];
  /** What the linear-LayerNorm assumption replaces by constants (1 / s under a fixed treatment). */
  readonly layerNormScales: Gpt2LayerNormScales;
}

interface Recorder {
  readonly residuals: Float64Array[];
  readonly attention: Float64Array[][];
  readonly ln1: Float64Array[];
  readonly ln2: Float64Array[];
  final: Float64Array;
}

/**
 * LayerNorm of each of `rows` rows of width d into `out`: by the row's own 1 / √(var + ε), or by
 * 1 / s for a fixed scale s. Records the factor per row in `inverseStd` when given.
 */
const layerNorm = (
  x: Float64Array,
  rows: number,
  d: number,
  weight: Float64Array,
  bias: Float64Array,
  epsilon: number,
  fixedScale: number | null,
  out: Float64Array,
  inverseStd: Float64Array | null,
): void => {
  for (let r = 0; r < rows; r++) {
    const base = r * d;
    let mean = 0;
    for (let i = 0; i < d; i++) mean += at(x, base + i);
    mean /= d;
    if (fixedScale !== null) {
      if (inverseStd !== null) inverseStd[r] = 1 / fixedScale;
      for (let i = 0; i < d; i++) out[base + i] = ((at(x, base + i) - mean) * at(weight, i)) / fixedScale + at(bias, i);
      continue;
    }
    let variance = 0;
    for (let i = 0; i < d; i++) {
      const deviation = at(x, base + i) - mean;
      variance += deviation * deviation;
    }
    variance /= d;
    const inverse = 1 / Math.sqrt(variance + epsilon);
    if (inverseStd !== null) inverseStd[r] = inverse;
    for (let i = 0; i < d; i++) out[base + i] = (at(x, base + i) - mean) * inverse * at(weight, i) + at(bias, i);
  }
};

/**
 * out[rows, nOut] = x[rows, nIn] · weight[nIn, nOut] + bias. Four input features per pass over the
 * output row: a quarter of the loads and stores of `out` (about twice as fast as one at a time).
 */
const linear = (x: Float64Array, rows: number, nIn: number, weight: Float64Array, bias: Float64Array, nOut: number, out: Float64Array): void => {
  for (let r = 0; r < rows; r++) {
    const outBase = r * nOut;
    for (let j = 0; j < nOut; j++) out[outBase + j] = at(bias, j);
    const inBase = r * nIn;
    let k = 0;
    for (; k + 3 < nIn; k += 4) {
      const x0 = at(x, inBase + k);
      const x1 = at(x, inBase + k + 1);
      const x2 = at(x, inBase + k + 2);
      const x3 = at(x, inBase + k + 3);
      const w0 = k * nOut;
      const w1 = w0 + nOut;
      const w2 = w1 + nOut;
      const w3 = w2 + nOut;
      for (let j = 0; j < nOut; j++) out[outBase + j] = at(out, outBase + j) + (x0 * at(weight, w0 + j) + x1 * at(weight, w1 + j) + x2 * at(weight, w2 + j) + x3 * at(weight, w3 + j));
    }
    for (; k < nIn; k++) {
      const xk = at(x, inBase + k);
      const weightBase = k * nOut;
      for (let j = 0; j < nOut; j++) out[outBase + j] = at(out, outBase + j) + (xk * at(weight, weightBase + j));
    }
  }
};

/** out[T, d]: the heads' outputs, concatenated, before c_proj. `weights` is scratch of length T. */
const causalAttention = (
  qkv: Float64Array,
  length: number,
  d: number,
  heads: number,
  out: Float64Array,
  weights: Float64Array,
  patterns: Float64Array[] | null,
): void => {
  const headSize = d / heads;
  const scale = 1 / Math.sqrt(headSize);
  const stride = 3 * d;
  for (let h = 0; h < heads; h++) {
    const qOffset = h * headSize;
    const kOffset = d + h * headSize;
    const vOffset = 2 * d + h * headSize;
    const pattern = patterns === null ? null : new Float64Array(length * length);
    for (let t = 0; t < length; t++) {
      const qBase = t * stride + qOffset;
      let max = -Infinity;
      for (let s = 0; s <= t; s++) {
        const kBase = s * stride + kOffset;
        let dot = 0;
        for (let i = 0; i < headSize; i++) dot += at(qkv, qBase + i) * at(qkv, kBase + i);
        const score = dot * scale;
        weights[s] = score;
        if (score > max) max = score;
      }
      let sum = 0;
      for (let s = 0; s <= t; s++) {
        const e = Math.exp(at(weights, s) - max);
        weights[s] = e;
        sum += e;
      }
      const outBase = t * d + qOffset;
      for (let i = 0; i < headSize; i++) out[outBase + i] = 0;
      for (let s = 0; s <= t; s++) {
        const p = at(weights, s) / sum;
        if (pattern !== null) pattern[t * length + s] = p;
        const vBase = s * stride + vOffset;
        for (let i = 0; i < headSize; i++) out[outBase + i] = at(out, outBase + i) + (p * at(qkv, vBase + i));
      }
    }
    if (pattern !== null) patterns?.push(pattern);
  }
};

const defaultPositions = (length: number): Int32Array => Int32Array.from({ length }, (_, i) => i);

/** Bad ids are a caller's error (tokenisation validates user input): a RangeError, not a diagnostic. */
const checkInput = (model: Gpt2Model, ids: Int32Array, positions: Int32Array, treatment: LayerNormTreatment): void => {
  const { vocab_size, n_positions, n_layer } = model.config;
  if (positions.length !== ids.length) throw new RangeError(`gpt2Forward: ${ids.length} token ids but ${positions.length} position ids`);
  ids.forEach((id, i) => {
    if (id < 0 || id >= vocab_size) throw new RangeError(`gpt2Forward: token id ${id} at ${i} is outside 0..${vocab_size - 1}`);
  });
  positions.forEach((p, i) => {
    if (p < 0 || p >= n_positions) throw new RangeError(`gpt2Forward: position id ${p} at ${i} is outside 0..${n_positions - 1}`);
  });
  if (treatment.kind === 'fixed' && (treatment.scales.ln1.length !== n_layer || treatment.scales.ln2.length !== n_layer)) {
    throw new RangeError(`gpt2Forward: LayerNorm scales for ${treatment.scales.ln1.length} blocks; the model has ${n_layer}`);
  }
};

/** The fixed scale s of a use-site, or null for the real LayerNorm. */
const fixedScaleAt = (treatment: LayerNormTreatment, site: LayerNormSite): number | null => {
  if (treatment.kind === 'real') return null;
  const { scales } = treatment;
  if (site.kind === 'final') return scales.final;
  const perBlock = site.kind === 'attention' ? scales.ln1 : scales.ln2;
  const s = perBlock[site.layer];
  if (s === undefined) throw new RangeError(`gpt2Forward: no LayerNorm scale for block ${site.layer}`);
  return s;
};

/** The arithmetic of one sequence on Float64Arrays; records intermediate values when `recorder` is given. */
const plainArithmetic = (model: Gpt2Model, ids: Int32Array, positions: Int32Array, treatment: LayerNormTreatment, recorder: Recorder | null): Gpt2Arithmetic<Float64Array> => {
  const { n_embd: d, n_head: heads, vocab_size: vocab, layer_norm_epsilon: epsilon } = model.config;
  const length = ids.length;
  const activation = ACTIVATIONS[model.config.activation_function];
  const weights = new Float64Array(length);
  return {
    embed: () => {
      const x = new Float64Array(length * d);
      for (let t = 0; t < length; t++) {
        const tokenBase = at(ids, t) * d;
        const positionBase = at(positions, t) * d;
        for (let i = 0; i < d; i++) x[t * d + i] = at(model.tokenEmbedding, tokenBase + i) + at(model.positionEmbedding, positionBase + i);
      }
      return x;
    },
    layerNorm: (x, weight, bias, site) => {
      const out = new Float64Array(length * d);
      const inverseStd = recorder === null ? null : new Float64Array(length);
      layerNorm(x, length, d, weight, bias, epsilon, fixedScaleAt(treatment, site), out, inverseStd);
      if (recorder !== null && inverseStd !== null) {
        if (site.kind === 'final') recorder.final = inverseStd;
        else (site.kind === 'attention' ? recorder.ln1 : recorder.ln2).push(inverseStd);
      }
      return out;
    },
    linear: (x, weight, bias, nIn, nOut) => {
      const out = new Float64Array(length * nOut);
      linear(x, length, nIn, weight, bias, nOut, out);
      return out;
    },
    attention: (qkv) => {
      const out = new Float64Array(length * d);
      const patterns = recorder === null ? null : ([] as Float64Array[]);
      causalAttention(qkv, length, d, heads, out, weights, patterns);
      if (recorder !== null && patterns !== null) recorder.attention.push(patterns);
      return out;
    },
    activation: (x) => x.map(activation),
    add: (residual, update) => residual.map((v, i) => v + at(update, i)),
    unembed: (normed) => {
      // logits[t, v] = normed[t] · unembedding[v]: both rows are contiguous.
      const logits = new Float64Array(length * vocab);
      const unembedding = model.unembedding;
      for (let t = 0; t < length; t++) {
        const rowBase = t * d;
        for (let v = 0; v < vocab; v++) {
          const unembeddingBase = v * d;
          let dot = 0;
          for (let i = 0; i < d; i++) dot += at(normed, rowBase + i) * at(unembedding, unembeddingBase + i);
          logits[t * vocab + v] = dot;
        }
      }
      return logits;
    },
    residual: recorder === null ? undefined : (x) => recorder.residuals.push(x),
  };
};

const forward = (model: Gpt2Model, ids: Int32Array, positions: Int32Array, treatment: LayerNormTreatment, recorder: Recorder | null): Float64Array => {
  checkInput(model, ids, positions, treatment);
  return gpt2Blocks(model, plainArithmetic(model, ids, positions, treatment, recorder));
};

/**
 * The logits [T, vocab_size] (row t: the prediction after token t) for token `ids` at
 * `positionIds` (default 0..T−1; any ids below n_positions, e.g. offset for length
 * generalisation), with the real LayerNorm unless `layerNorm` says otherwise. Throws a RangeError
 * on an id out of range, lengths that differ or scales for another number of blocks.
 */
export const gpt2Forward = (model: Gpt2Model, ids: Int32Array, positionIds?: Int32Array, layerNorm: LayerNormTreatment = REAL_LAYER_NORM): Float64Array =>
  forward(model, ids, positionIds ?? defaultPositions(ids.length), layerNorm, null);

/** `gpt2Forward` with its intermediate values: the residual stream, attention patterns, LN scales. */
export const gpt2ForwardTrace = (model: Gpt2Model, ids: Int32Array, positionIds?: Int32Array, layerNorm: LayerNormTreatment = REAL_LAYER_NORM): Gpt2Trace => {
  const recorder: Recorder = { residuals: [], attention: [], ln1: [], ln2: [], final: new Float64Array(0) };
  const logits = forward(model, ids, positionIds ?? defaultPositions(ids.length), layerNorm, recorder);
  return {
    logits,
    residuals: recorder.residuals,
    attention: recorder.attention,
    layerNormScales: { ln1: recorder.ln1, ln2: recorder.ln2, final: recorder.final },
  };
};
