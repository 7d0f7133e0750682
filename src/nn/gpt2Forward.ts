/**
 * The forward pass of a GPT-2 model with HuggingFace's numerics (GPT2LMHeadModel), in float64:
 *
 *   x = wte[id] + wpe[position]
 *   each block:  x += c_proj(attention(ln_1(x)));  x += mlp_c_proj(act(c_fc(ln_2(x))))
 *   logits = ln_f(x) · lm_headᵀ
 *
 * LayerNorm is (x − mean) / √(var + ε) · weight + bias with the biased variance (the mean of the
 * squared deviations). Attention: q | k | v = x·c_attn + b split into heads; scores q·kᵀ / √d_head;
 * a causal mask (position t attends to 0..t of the sequence, whatever the position ids); softmax.
 *
 * Everything is plain loops over Float64Arrays, allocated once per call.
 */
import { ACTIVATIONS } from './activations.js';
import type { Gpt2Model } from './gpt2Model.js';

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
  /** What the linear-LayerNorm assumption replaces by constants. */
  readonly layerNormScales: Gpt2LayerNormScales;
}

interface Recorder {
  readonly residuals: Float64Array[];
  readonly attention: Float64Array[][];
  readonly ln1: Float64Array[];
  readonly ln2: Float64Array[];
  final: Float64Array;
}

const layerNorm = (
  x: Float64Array,
  rows: number,
  d: number,
  weight: Float64Array,
  bias: Float64Array,
  epsilon: number,
  out: Float64Array,
  inverseStd: Float64Array | null,
): void => {
  for (let r = 0; r < rows; r++) {
    const base = r * d;
    let mean = 0;
    for (let i = 0; i < d; i++) mean += x[base + i];
    mean /= d;
    let variance = 0;
    for (let i = 0; i < d; i++) {
      const deviation = x[base + i] - mean;
      variance += deviation * deviation;
    }
    variance /= d;
    const inverse = 1 / Math.sqrt(variance + epsilon);
    if (inverseStd !== null) inverseStd[r] = inverse;
    for (let i = 0; i < d; i++) out[base + i] = (x[base + i] - mean) * inverse * weight[i] + bias[i];
  }
};

/**
 * out[rows, nOut] = x[rows, nIn] · weight[nIn, nOut] + bias. Four input features per pass over the
 * output row: a quarter of the loads and stores of `out` (about twice as fast as one at a time).
 */
const linear = (x: Float64Array, rows: number, nIn: number, weight: Float64Array, bias: Float64Array, nOut: number, out: Float64Array): void => {
  for (let r = 0; r < rows; r++) {
    const outBase = r * nOut;
    for (let j = 0; j < nOut; j++) out[outBase + j] = bias[j];
    const inBase = r * nIn;
    let k = 0;
    for (; k + 3 < nIn; k += 4) {
      const x0 = x[inBase + k];
      const x1 = x[inBase + k + 1];
      const x2 = x[inBase + k + 2];
      const x3 = x[inBase + k + 3];
      const w0 = k * nOut;
      const w1 = w0 + nOut;
      const w2 = w1 + nOut;
      const w3 = w2 + nOut;
      for (let j = 0; j < nOut; j++) out[outBase + j] += x0 * weight[w0 + j] + x1 * weight[w1 + j] + x2 * weight[w2 + j] + x3 * weight[w3 + j];
    }
    for (; k < nIn; k++) {
      const xk = x[inBase + k];
      const weightBase = k * nOut;
      for (let j = 0; j < nOut; j++) out[outBase + j] += xk * weight[weightBase + j];
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
        for (let i = 0; i < headSize; i++) dot += qkv[qBase + i] * qkv[kBase + i];
        const score = dot * scale;
        weights[s] = score;
        if (score > max) max = score;
      }
      let sum = 0;
      for (let s = 0; s <= t; s++) {
        const e = Math.exp(weights[s] - max);
        weights[s] = e;
        sum += e;
      }
      const outBase = t * d + qOffset;
      for (let i = 0; i < headSize; i++) out[outBase + i] = 0;
      for (let s = 0; s <= t; s++) {
        const p = weights[s] / sum;
        if (pattern !== null) pattern[t * length + s] = p;
        const vBase = s * stride + vOffset;
        for (let i = 0; i < headSize; i++) out[outBase + i] += p * qkv[vBase + i];
      }
    }
    if (pattern !== null) patterns?.push(pattern);
  }
};

const applyActivation = (x: Float64Array, activation: (v: number) => number): void => {
  for (let i = 0; i < x.length; i++) x[i] = activation(x[i]);
};

const defaultPositions = (length: number): Int32Array => Int32Array.from({ length }, (_, i) => i);

/** Bad ids are a caller's error (tokenisation validates user input): a RangeError, not a diagnostic. */
const checkInput = (model: Gpt2Model, ids: Int32Array, positions: Int32Array): void => {
  const { vocab_size, n_positions } = model.config;
  if (positions.length !== ids.length) throw new RangeError(`gpt2Forward: ${ids.length} token ids but ${positions.length} position ids`);
  ids.forEach((id, i) => {
    if (id < 0 || id >= vocab_size) throw new RangeError(`gpt2Forward: token id ${id} at ${i} is outside 0..${vocab_size - 1}`);
  });
  positions.forEach((p, i) => {
    if (p < 0 || p >= n_positions) throw new RangeError(`gpt2Forward: position id ${p} at ${i} is outside 0..${n_positions - 1}`);
  });
};

const forward = (model: Gpt2Model, ids: Int32Array, positions: Int32Array, recorder: Recorder | null): Float64Array => {
  checkInput(model, ids, positions);
  const { n_embd: d, n_head: heads, n_inner: inner, vocab_size: vocab, layer_norm_epsilon: epsilon } = model.config;
  const length = ids.length;
  const activation = ACTIVATIONS[model.config.activation_function];

  const x = new Float64Array(length * d);
  for (let t = 0; t < length; t++) {
    const tokenBase = ids[t] * d;
    const positionBase = positions[t] * d;
    for (let i = 0; i < d; i++) x[t * d + i] = model.tokenEmbedding[tokenBase + i] + model.positionEmbedding[positionBase + i];
  }
  recorder?.residuals.push(x.slice());

  const normed = new Float64Array(length * d);
  const qkv = new Float64Array(length * 3 * d);
  const headOutputs = new Float64Array(length * d);
  const update = new Float64Array(length * d);
  const hidden = new Float64Array(length * inner);
  const weights = new Float64Array(length);
  const lnScale = (): Float64Array | null => (recorder === null ? null : new Float64Array(length));

  for (const block of model.blocks) {
    const ln1 = lnScale();
    layerNorm(x, length, d, block.ln1Weight, block.ln1Bias, epsilon, normed, ln1);
    linear(normed, length, d, block.qkvWeight, block.qkvBias, 3 * d, qkv);
    const patterns = recorder === null ? null : ([] as Float64Array[]);
    causalAttention(qkv, length, d, heads, headOutputs, weights, patterns);
    linear(headOutputs, length, d, block.attnOutWeight, block.attnOutBias, d, update);
    for (let i = 0; i < x.length; i++) x[i] += update[i];

    const ln2 = lnScale();
    layerNorm(x, length, d, block.ln2Weight, block.ln2Bias, epsilon, normed, ln2);
    linear(normed, length, d, block.mlpInWeight, block.mlpInBias, inner, hidden);
    applyActivation(hidden, activation);
    linear(hidden, length, inner, block.mlpOutWeight, block.mlpOutBias, d, update);
    for (let i = 0; i < x.length; i++) x[i] += update[i];

    if (recorder !== null) {
      recorder.residuals.push(x.slice());
      recorder.attention.push(patterns ?? []);
      recorder.ln1.push(ln1 ?? new Float64Array(0));
      recorder.ln2.push(ln2 ?? new Float64Array(0));
    }
  }

  const finalScale = lnScale();
  layerNorm(x, length, d, model.finalLnWeight, model.finalLnBias, epsilon, normed, finalScale);
  if (recorder !== null && finalScale !== null) recorder.final = finalScale;

  // logits[t, v] = normed[t] · unembedding[v]: both rows are contiguous.
  const logits = new Float64Array(length * vocab);
  const unembedding = model.unembedding;
  for (let t = 0; t < length; t++) {
    const rowBase = t * d;
    for (let v = 0; v < vocab; v++) {
      const unembeddingBase = v * d;
      let dot = 0;
      for (let i = 0; i < d; i++) dot += normed[rowBase + i] * unembedding[unembeddingBase + i];
      logits[t * vocab + v] = dot;
    }
  }
  return logits;
};

/**
 * The logits [T, vocab_size] (row t: the prediction after token t) for token `ids` at
 * `positionIds` (default 0..T−1; any ids below n_positions, e.g. offset for length
 * generalisation). Throws a RangeError on an id out of range or lengths that differ.
 */
export const gpt2Forward = (model: Gpt2Model, ids: Int32Array, positionIds?: Int32Array): Float64Array =>
  forward(model, ids, positionIds ?? defaultPositions(ids.length), null);

/** `gpt2Forward` with its intermediate values: the residual stream, attention patterns, LN scales. */
export const gpt2ForwardTrace = (model: Gpt2Model, ids: Int32Array, positionIds?: Int32Array): Gpt2Trace => {
  const recorder: Recorder = { residuals: [], attention: [], ln1: [], ln2: [], final: new Float64Array(0) };
  const logits = forward(model, ids, positionIds ?? defaultPositions(ids.length), recorder);
  return {
    logits,
    residuals: recorder.residuals,
    attention: recorder.attention,
    layerNormScales: { ln1: recorder.ln1, ln2: recorder.ln2, final: recorder.final },
  };
};
