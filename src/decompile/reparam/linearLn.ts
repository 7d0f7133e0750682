/**
 * The linear-LayerNorm assumption for GPT-2 models: each LayerNorm use-site (ln_1 and ln_2 of
 * every block, ln_f) divides by a constant s instead of the position's own √(var + ε):
 *
 *   LN(x) = γ ⊙ (x − mean(x)) / s + β        s = the mean of √(var + ε) at that site over the
 *                                            positions of sample inputs
 *
 * which is affine in x. `gpt2Forward` with a fixed LayerNorm treatment runs the model so changed
 * (the "linear-LN model"), to compare the D-RASP program built from `gpt2AsLinearized` with; the
 * true model agrees with it only as far as the assumption holds.
 */
import * as Either from 'fp-ts/lib/Either.js';
import { diagnostic, type Diagnostic } from '../../diagnostics.js';
import { ACTIVATIONS } from '../../nn/activations.js';
import { gpt2ForwardTrace, type LinearLnScales } from '../../nn/gpt2Forward.js';
import type { Gpt2Model } from '../../nn/gpt2Model.js';
import { matrix, selectColumns, selectRows, type Matrix } from '../drasp/matrix.js';
import type { AffineNorm, LinearizedHead, LinearizedTransformer } from './linearizedTransformer.js';

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
