/**
 * GPT-2's forward pass, written once (HuggingFace's GPT2LMHeadModel):
 *
 *   x = wte[id] + wpe[position]
 *   each block:  x += c_proj(attention(ln_1(x)));  x += mlp_c_proj(act(c_fc(ln_2(x))))
 *   logits = ln_f(x) · lm_headᵀ
 *
 * over an arithmetic that says what a value is: plain Float64Arrays with a LayerNorm treatment
 * (gpt2Forward.ts: the real LayerNorm, or each use-site dividing by a fixed scale) or nodes of the
 * autodiff tape (gpt2Graph.ts: batched, with gradients). Every caller runs this one block loop.
 */
import type { Gpt2Model } from './gpt2Model.js';

/** A LayerNorm use-site: ln_1 or ln_2 of block `layer`, or ln_f. */
export type LayerNormSite = { readonly kind: 'attention' | 'mlp'; readonly layer: number } | { readonly kind: 'final' };

export interface Gpt2Arithmetic<X> {
  /** wte[id] + wpe[position] for every input position. */
  readonly embed: () => X;
  readonly layerNorm: (x: X, weight: Float64Array, bias: Float64Array, site: LayerNormSite) => X;
  /** x [rows, nIn] · weight [nIn, nOut] + bias. */
  readonly linear: (x: X, weight: Float64Array, bias: Float64Array, nIn: number, nOut: number) => X;
  /** Causal multi-head attention from the fused q | k | v [rows, 3d]; the heads' outputs [rows, d]. */
  readonly attention: (qkv: X, layer: number) => X;
  readonly activation: (x: X) => X;
  /** The residual stream plus a block's update. */
  readonly add: (residual: X, update: X) => X;
  /** x [rows, d] · lm_headᵀ: the logits [rows, vocab]. */
  readonly unembed: (x: X) => X;
  /** Sees the residual stream after the embeddings and after each block. */
  readonly residual?: (x: X) => void;
}

/** The logits of `model` in the arithmetic `ops`. */
export const gpt2Blocks = <X>(model: Gpt2Model, ops: Gpt2Arithmetic<X>): X => {
  const { n_embd: d, n_inner: inner } = model.config;
  let x = ops.embed();
  ops.residual?.(x);
  model.blocks.forEach((block, layer) => {
    const qkv = ops.linear(ops.layerNorm(x, block.ln1Weight, block.ln1Bias, { kind: 'attention', layer }), block.qkvWeight, block.qkvBias, d, 3 * d);
    x = ops.add(x, ops.linear(ops.attention(qkv, layer), block.attnOutWeight, block.attnOutBias, d, d));
    const hidden = ops.activation(ops.linear(ops.layerNorm(x, block.ln2Weight, block.ln2Bias, { kind: 'mlp', layer }), block.mlpInWeight, block.mlpInBias, d, inner));
    x = ops.add(x, ops.linear(hidden, block.mlpOutWeight, block.mlpOutBias, inner, d));
    ops.residual?.(x);
  });
  return ops.unembed(ops.layerNorm(x, model.finalLnWeight, model.finalLnBias, { kind: 'final' }));
};
