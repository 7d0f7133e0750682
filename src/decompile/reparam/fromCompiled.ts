/**
 * A model this project compiled (model.ts: TransformerLens tensors, no LayerNorm, ReLU MLPs,
 * attn_scale 1, no key padding mask: the weights mask PAD keys) as a linearized transformer: it
 * already is one, exactly.
 */
import { showValue } from '../../ast/value.js';
import type { CompiledModel, Tensor32 } from '../../model/model.js';
import { relu } from '../../nn/activations.js';
import { matrix, type Matrix } from '../drasp/matrix.js';
import type { LinearizedHead, LinearizedTransformer } from './linearizedTransformer.js';

const tensor = (model: CompiledModel, name: string): Tensor32 => {
  const found = model.tensors.get(name);
  if (found === undefined) throw new Error(`bug: tensor ${name} missing from a compiled model`);
  return found;
};

/** Elements offset .. offset + rows·cols − 1 of a tensor, as a rows × cols matrix. */
const slice = (t: Tensor32, offset: number, rows: number, cols: number): Matrix => matrix(rows, cols, Float64Array.from(t.data.subarray(offset, offset + rows * cols)));

const vector = (t: Tensor32, offset = 0, length = t.data.length): Float64Array => Float64Array.from(t.data.subarray(offset, offset + length));

export const compiledAsLinearized = (model: CompiledModel): LinearizedTransformer => {
  const c = model.config;
  const d = c.d_model;
  const dh = c.d_head;
  const blocks = Array.from({ length: c.n_layers }, (_, l) => {
    const at = (name: string): Tensor32 => tensor(model, `blocks.${l}.${name}`);
    const heads = Array.from(
      { length: c.n_heads },
      (_, h): LinearizedHead => ({
        wq: slice(at('attn.W_Q'), h * d * dh, d, dh),
        wk: slice(at('attn.W_K'), h * d * dh, d, dh),
        wv: slice(at('attn.W_V'), h * d * dh, d, dh),
        bq: vector(at('attn.b_Q'), h * dh, dh),
        bk: vector(at('attn.b_K'), h * dh, dh),
        bv: vector(at('attn.b_V'), h * dh, dh),
        wo: slice(at('attn.W_O'), h * dh * d, dh, d),
      }),
    );
    return {
      heads,
      attentionBias: vector(at('attn.b_O')),
      mlpIn: slice(at('mlp.W_in'), 0, d, c.d_mlp),
      mlpInBias: vector(at('mlp.b_in')),
      activation: relu,
      activationName: 'relu',
      mlpOut: slice(at('mlp.W_out'), 0, c.d_mlp, d),
      mlpOutBias: vector(at('mlp.b_out')),
    };
  });
  const output = model.manifest.output;
  return {
    d,
    tokenNames: model.manifest.tokens.map((t) => (t.token === '<bos>' || t.token === '<pad>' ? t.token : showValue(t.token))),
    tokenEmbedding: slice(tensor(model, 'embed.W_E'), 0, c.d_vocab, d),
    positionEmbedding: slice(tensor(model, 'pos_embed.W_pos'), 0, c.n_ctx, d),
    blocks,
    unembedding: slice(tensor(model, 'unembed.W_U'), 0, d, c.d_vocab_out),
    unembeddingBias: vector(tensor(model, 'unembed.b_U')),
    outputNames: output.encoding === 'categorical' ? output.values.map(showValue) : [output.label],
    scoreScale: 1 / c.attn_scale,
    causal: c.causal,
    maskedKeyTokens: [],
    prediction: 'argmax',
  };
};
