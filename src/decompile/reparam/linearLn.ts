/**
 * The linear-LayerNorm assumption for GPT-2 models: each LayerNorm use-site (ln_1 and ln_2 of
 * every block, ln_f) divides by a constant s instead of the position's own √(var + ε):
 *
 *   LN(x) = γ ⊙ (x − mean(x)) / s + β        s = the mean of √(var + ε) at that site over the
 *                                            positions of sample inputs
 *
 * which is affine in x. `linearLnForward` runs the model so changed (the "linear-LN model"), to
 * compare the D-RASP program built from `gpt2AsLinearized` with; the true model agrees with it
 * only as far as the assumption holds.
 */
import * as Either from 'fp-ts/lib/Either.js';
import { diagnostic, type Diagnostic } from '../../diagnostics.js';
import { ACTIVATIONS } from '../../nn/activations.js';
import { gpt2ForwardTrace } from '../../nn/gpt2Forward.js';
import type { Gpt2Model } from '../../nn/gpt2Model.js';
import { matrix, selectColumns, selectRows, type Matrix } from '../drasp/matrix.js';
import type { AffineNorm, LinearizedHead, LinearizedTransformer } from './linearizedTransformer.js';

/** The constant standard deviation s of each LayerNorm use-site. */
export interface LinearLnScales {
  /** Per block. */
  readonly ln1: Float64Array;
  readonly ln2: Float64Array;
  readonly final: number;
}

export interface Gpt2Sample {
  readonly ids: Int32Array;
  /** Default 0..T−1. */
  readonly positions?: Int32Array;
}

/**
 * s per use-site: the mean of √(var + ε) over every position of every sample (the true model's
 * LayerNorm inputs). Left when there are no samples or a sample is empty.
 */
export const estimateLnScales = (model: Gpt2Model, samples: readonly Gpt2Sample[]): Either.Either<Diagnostic[], LinearLnScales> => {
  const positions = samples.reduce((n, s) => n + s.ids.length, 0);
  if (samples.length === 0 || positions === 0) {
    return Either.left([diagnostic('reparam/no-samples', 'estimating LayerNorm scales needs sample inputs; none were given', { fix: 'pass at least one non-empty input' })]);
  }
  const layers = model.config.n_layer;
  const ln1 = new Float64Array(layers);
  const ln2 = new Float64Array(layers);
  let final = 0;
  const addStd = (sums: Float64Array, layer: number, inverse: Float64Array): void => {
    for (let t = 0; t < inverse.length; t++) sums[layer] += 1 / inverse[t];
  };
  for (const sample of samples) {
    if (sample.ids.length === 0) continue;
    const trace = gpt2ForwardTrace(model, sample.ids, sample.positions);
    for (let l = 0; l < layers; l++) {
      addStd(ln1, l, trace.layerNormScales.ln1[l]);
      addStd(ln2, l, trace.layerNormScales.ln2[l]);
    }
    const inverse = trace.layerNormScales.final;
    for (let t = 0; t < inverse.length; t++) final += 1 / inverse[t];
  }
  for (let l = 0; l < layers; l++) {
    ln1[l] /= positions;
    ln2[l] /= positions;
  }
  return Either.right({ ln1, ln2, final: final / positions });
};

/** out = γ ⊙ (x − mean(x)) / s + β for each of `rows` rows of width d. */
const linearLayerNorm = (x: Float64Array, rows: number, d: number, weight: Float64Array, bias: Float64Array, s: number, out: Float64Array): void => {
  for (let r = 0; r < rows; r++) {
    const base = r * d;
    let mean = 0;
    for (let i = 0; i < d; i++) mean += x[base + i];
    mean /= d;
    for (let i = 0; i < d; i++) out[base + i] = ((x[base + i] - mean) * weight[i]) / s + bias[i];
  }
};

/** out[rows, nOut] = x[rows, nIn] · weight[nIn, nOut] + bias. */
const affine = (x: Float64Array, rows: number, nIn: number, weight: Float64Array, bias: Float64Array, nOut: number, out: Float64Array): void => {
  for (let r = 0; r < rows; r++) {
    const outBase = r * nOut;
    for (let j = 0; j < nOut; j++) out[outBase + j] = bias[j];
    for (let k = 0; k < nIn; k++) {
      const xk = x[r * nIn + k];
      const weightBase = k * nOut;
      for (let j = 0; j < nOut; j++) out[outBase + j] += xk * weight[weightBase + j];
    }
  }
};

/**
 * The logits [T, vocab_size] of the linear-LN model: GPT-2's forward pass (gpt2Forward.ts) with
 * every LayerNorm dividing by its constant s from `scales`.
 */
export const linearLnForward = (model: Gpt2Model, scales: LinearLnScales, ids: Int32Array, positionIds?: Int32Array): Float64Array => {
  const { n_embd: d, n_head: heads, n_inner: inner, vocab_size: vocab, n_positions } = model.config;
  const length = ids.length;
  const positions = positionIds ?? Int32Array.from({ length }, (_, i) => i);
  if (positions.length !== length) throw new RangeError(`linearLnForward: ${length} token ids but ${positions.length} position ids`);
  ids.forEach((id, i) => {
    if (id < 0 || id >= vocab) throw new RangeError(`linearLnForward: token id ${id} at ${i} is outside 0..${vocab - 1}`);
  });
  positions.forEach((p, i) => {
    if (p < 0 || p >= n_positions) throw new RangeError(`linearLnForward: position id ${p} at ${i} is outside 0..${n_positions - 1}`);
  });
  const activation = ACTIVATIONS[model.config.activation_function];
  const headSize = d / heads;
  const scoreScale = 1 / Math.sqrt(headSize);

  const x = new Float64Array(length * d);
  for (let t = 0; t < length; t++) {
    for (let i = 0; i < d; i++) x[t * d + i] = model.tokenEmbedding[ids[t] * d + i] + model.positionEmbedding[positions[t] * d + i];
  }
  const normed = new Float64Array(length * d);
  const qkv = new Float64Array(length * 3 * d);
  const headOutputs = new Float64Array(length * d);
  const update = new Float64Array(length * d);
  const hidden = new Float64Array(length * inner);
  const weights = new Float64Array(length);
  model.blocks.forEach((block, l) => {
    linearLayerNorm(x, length, d, block.ln1Weight, block.ln1Bias, scales.ln1[l], normed);
    affine(normed, length, d, block.qkvWeight, block.qkvBias, 3 * d, qkv);
    headOutputs.fill(0);
    for (let h = 0; h < heads; h++) {
      const q = h * headSize;
      const k = d + h * headSize;
      const v = 2 * d + h * headSize;
      for (let t = 0; t < length; t++) {
        let max = -Infinity;
        for (let s = 0; s <= t; s++) {
          let dot = 0;
          for (let i = 0; i < headSize; i++) dot += qkv[t * 3 * d + q + i] * qkv[s * 3 * d + k + i];
          weights[s] = dot * scoreScale;
          if (weights[s] > max) max = weights[s];
        }
        let sum = 0;
        for (let s = 0; s <= t; s++) {
          weights[s] = Math.exp(weights[s] - max);
          sum += weights[s];
        }
        for (let s = 0; s <= t; s++) {
          const p = weights[s] / sum;
          for (let i = 0; i < headSize; i++) headOutputs[t * d + q + i] += p * qkv[s * 3 * d + v + i];
        }
      }
    }
    affine(headOutputs, length, d, block.attnOutWeight, block.attnOutBias, d, update);
    for (let i = 0; i < x.length; i++) x[i] += update[i];
    linearLayerNorm(x, length, d, block.ln2Weight, block.ln2Bias, scales.ln2[l], normed);
    affine(normed, length, d, block.mlpInWeight, block.mlpInBias, inner, hidden);
    for (let i = 0; i < hidden.length; i++) hidden[i] = activation(hidden[i]);
    affine(hidden, length, inner, block.mlpOutWeight, block.mlpOutBias, d, update);
    for (let i = 0; i < x.length; i++) x[i] += update[i];
  });
  linearLayerNorm(x, length, d, model.finalLnWeight, model.finalLnBias, scales.final, normed);
  const logits = new Float64Array(length * vocab);
  for (let t = 0; t < length; t++) {
    for (let w = 0; w < vocab; w++) {
      let dot = 0;
      for (let i = 0; i < d; i++) dot += normed[t * d + i] * model.unembedding[w * d + i];
      logits[t * vocab + w] = dot;
    }
  }
  return logits;
};

const affineNorm = (weight: Float64Array, bias: Float64Array, s: number): AffineNorm => {
  const scale = new Float64Array(weight.length);
  for (let i = 0; i < weight.length; i++) scale[i] = weight[i] / s;
  return { scale, shift: Float64Array.from(bias) };
};

const transpose = (data: Float64Array, rows: number, cols: number): Matrix => {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return matrix(cols, rows, out);
};

const range = (from: number, count: number): Int32Array => Int32Array.from({ length: count }, (_, i) => from + i);

export interface Gpt2LinearizeOptions {
  /** Names of the token ids (default `t0`, `t1`, …). */
  readonly tokenNames?: readonly string[];
  /** Keep only position ids 0..positions−1 in the position basis (default n_positions). */
  readonly positions?: number;
}

/** The linear-LN model as a linearized transformer (the form paths are expanded from). */
export const gpt2AsLinearized = (model: Gpt2Model, scales: LinearLnScales, options: Gpt2LinearizeOptions = {}): Either.Either<Diagnostic[], LinearizedTransformer> => {
  const { n_embd: d, n_head: heads, n_inner: inner, vocab_size: vocab, n_positions } = model.config;
  const tokenNames = options.tokenNames ?? Array.from({ length: vocab }, (_, i) => `t${i}`);
  const positions = options.positions ?? n_positions;
  const problems: Diagnostic[] = [];
  if (tokenNames.length !== vocab) problems.push(diagnostic('reparam/bad-vocabulary', `${tokenNames.length} token names for a vocabulary of ${vocab}`, { fix: 'name every token id once' }));
  if (!Number.isSafeInteger(positions) || positions < 1 || positions > n_positions) {
    problems.push(diagnostic('reparam/bad-positions', `the position basis must keep 1..${n_positions} positions, not ${positions}`));
  }
  if (scales.ln1.length !== model.config.n_layer || scales.ln2.length !== model.config.n_layer) {
    problems.push(diagnostic('reparam/bad-scales', `LayerNorm scales for ${scales.ln1.length} blocks; the model has ${model.config.n_layer}`));
  }
  if (problems.length > 0) return Either.left(problems);
  const headSize = d / heads;
  const activation = ACTIVATIONS[model.config.activation_function];
  const blocks = model.blocks.map((block, l) => {
    const qkv = matrix(d, 3 * d, block.qkvWeight);
    const attnOut = matrix(d, d, block.attnOutWeight);
    const headList = Array.from({ length: heads }, (_, h): LinearizedHead => {
      const columns = (third: number): Int32Array => range(third * d + h * headSize, headSize);
      return {
        wq: selectColumns(qkv, columns(0)),
        wk: selectColumns(qkv, columns(1)),
        wv: selectColumns(qkv, columns(2)),
        bq: block.qkvBias.slice(h * headSize, (h + 1) * headSize),
        bk: block.qkvBias.slice(d + h * headSize, d + (h + 1) * headSize),
        bv: block.qkvBias.slice(2 * d + h * headSize, 2 * d + (h + 1) * headSize),
        wo: selectRows(attnOut, range(h * headSize, headSize)),
      };
    });
    return {
      attentionNorm: affineNorm(block.ln1Weight, block.ln1Bias, scales.ln1[l]),
      heads: headList,
      attentionBias: Float64Array.from(block.attnOutBias),
      mlpNorm: affineNorm(block.ln2Weight, block.ln2Bias, scales.ln2[l]),
      mlpIn: matrix(d, inner, Float64Array.from(block.mlpInWeight)),
      mlpInBias: Float64Array.from(block.mlpInBias),
      activation,
      activationName: model.config.activation_function,
      mlpOut: matrix(inner, d, Float64Array.from(block.mlpOutWeight)),
      mlpOutBias: Float64Array.from(block.mlpOutBias),
    };
  });
  return Either.right({
    d,
    tokenNames,
    tokenEmbedding: matrix(vocab, d, Float64Array.from(model.tokenEmbedding)),
    positionEmbedding: matrix(positions, d, model.positionEmbedding.slice(0, positions * d)),
    blocks,
    finalNorm: affineNorm(model.finalLnWeight, model.finalLnBias, scales.final),
    unembedding: transpose(model.unembedding, vocab, d),
    unembeddingBias: new Float64Array(vocab),
    outputNames: tokenNames,
    scoreScale: 1 / Math.sqrt(headSize),
    causal: true,
    maskedKeyTokens: [],
    prediction: 'argmax',
  });
};
