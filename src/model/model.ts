/**
 * A compiled model: its configuration, its tensors (TransformerLens state-dict names and shapes)
 * and the manifest that says what every residual direction means and how to decode the output.
 *
 * Conventions (the forward pass in forward.ts is the reference):
 *   x = W_E[token] + W_pos[position]            position 0 holds BOS
 *   per layer: x += Σ_h softmax(mask((x W_Q[h] + b_Q[h]) (x W_K[h] + b_K[h])ᵀ · attn_scale⁻¹)) (x W_V[h] + b_V[h]) W_O[h] + b_O
 *              x += relu(x W_in + b_in) W_out + b_out
 *   logits = x W_U + b_U
 * attn_scale is 1 (no 1/√d_head); mask hides keys after the query in causal models and nothing
 * else: PAD keys (right padding) are masked inside the weights of bidirectional models, so every
 * runtime without a key padding mask (TransformerLens, numpy, ONNX) computes the same thing.
 */
import type { Certification, Manifest } from './manifest.js';

export const MODEL_FORMAT = 'raspc-model';
export const MODEL_FORMAT_VERSION = 2;

export interface ModelConfig {
  readonly format: typeof MODEL_FORMAT;
  readonly version: typeof MODEL_FORMAT_VERSION;
  readonly n_layers: number;
  readonly d_model: number;
  readonly n_heads: number;
  readonly d_head: number;
  readonly d_mlp: number;
  /** Input tokens: BOS (0), PAD (1), then the vocabulary. */
  readonly d_vocab: number;
  readonly d_vocab_out: number;
  /** Positions: BOS plus the maximum input length. */
  readonly n_ctx: number;
  readonly act_fn: 'relu';
  readonly normalization_type: null;
  readonly attn_scale: 1;
  readonly causal: boolean;
}

export interface Tensor32 {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export type { Certification, Manifest, NodeReport, OutputDecoding, ResidualDirection, StagePlacement } from './manifest.js';

export const UNVERIFIED: Certification = { verdict: 'unverified' };

export interface CompiledModel {
  readonly config: ModelConfig;
  readonly manifest: Manifest;
  readonly tensors: ReadonlyMap<string, Tensor32>;
}

/** What a forward pass reads: the configuration and the tensors (the report page has no manifest). */
export type ModelWeights = Pick<CompiledModel, 'config' | 'tensors'>;

export const BOS_ID = 0;
export const PAD_ID = 1;

export const tensorNames = (layers: number): string[] => [
  'embed.W_E',
  'pos_embed.W_pos',
  ...Array.from({ length: layers }, (_, l) => [
    `blocks.${l}.attn.W_Q`,
    `blocks.${l}.attn.W_K`,
    `blocks.${l}.attn.W_V`,
    `blocks.${l}.attn.W_O`,
    `blocks.${l}.attn.b_Q`,
    `blocks.${l}.attn.b_K`,
    `blocks.${l}.attn.b_V`,
    `blocks.${l}.attn.b_O`,
    `blocks.${l}.mlp.W_in`,
    `blocks.${l}.mlp.b_in`,
    `blocks.${l}.mlp.W_out`,
    `blocks.${l}.mlp.b_out`,
  ]).flat(),
  'unembed.W_U',
  'unembed.b_U',
];

/** The shape of every tensor, from the config. */
export const expectedShape = (c: ModelConfig, name: string): number[] => {
  const last = name.split('.').slice(-1)[0];
  switch (last) {
    case 'W_E':
      return [c.d_vocab, c.d_model];
    case 'W_pos':
      return [c.n_ctx, c.d_model];
    case 'W_Q':
    case 'W_K':
    case 'W_V':
      return [c.n_heads, c.d_model, c.d_head];
    case 'W_O':
      return [c.n_heads, c.d_head, c.d_model];
    case 'b_Q':
    case 'b_K':
    case 'b_V':
      return [c.n_heads, c.d_head];
    case 'b_O':
    case 'b_out':
      return [c.d_model];
    case 'W_in':
      return [c.d_model, c.d_mlp];
    case 'b_in':
      return [c.d_mlp];
    case 'W_out':
      return [c.d_mlp, c.d_model];
    case 'W_U':
      return [c.d_model, c.d_vocab_out];
    case 'b_U':
      return [c.d_vocab_out];
    default:
      throw new Error(`bug: unknown tensor ${name}`);
  }
};

export const parameterCount = (c: ModelConfig): number =>
  tensorNames(c.n_layers).reduce((s, n) => s + expectedShape(c, n).reduce((p, d) => p * d, 1), 0);
