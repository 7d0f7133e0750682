/**
 * What the re-parameterization expands: a transformer whose normalisations are affine maps, so
 * that everything between the embeddings and an MLP, a head's scores, or the logits is linear.
 * This project's compiled models are already of this form (no LayerNorm); a GPT-2 model becomes
 * one under the linear-LayerNorm assumption (linearLn.ts).
 *
 * Conventions: row vectors; the residual at a position is x ∈ ℝ^d;
 *   input(x) = (x − mean(x)) ⊙ scale + shift        at an affine normalisation (LayerNorm with a
 *                                                  constant standard deviation s: scale = γ / s)
 *   head:   scores = scoreScale · (x W_Q + b_Q)(x W_K + b_K)ᵀ, softmax over the allowed keys,
 *           output = weights · (x W_V + b_V) · W_O
 *   block:  x += Σ_heads output + attentionBias;  x += act(input(x) W_in + b_in) W_out + b_out
 *   logits = input(x) W_U + b_U
 */
import type { Matrix } from '../drasp/matrix.js';
import type { Prediction } from '../drasp/program.js';

/** x ↦ (x − mean(x)) ⊙ scale + shift: LayerNorm with its standard deviation fixed. */
export interface AffineNorm {
  readonly scale: Float64Array;
  readonly shift: Float64Array;
}

export interface LinearizedHead {
  /** d × d_head each. */
  readonly wq: Matrix;
  readonly wk: Matrix;
  readonly wv: Matrix;
  readonly bq: Float64Array;
  readonly bk: Float64Array;
  readonly bv: Float64Array;
  /** d_head × d. */
  readonly wo: Matrix;
}

export interface LinearizedBlock {
  /** Applied to the residual before the heads read it; absent: the identity. */
  readonly attentionNorm?: AffineNorm;
  readonly heads: readonly LinearizedHead[];
  /** Added to the residual once per block (b_O). */
  readonly attentionBias: Float64Array;
  readonly mlpNorm?: AffineNorm;
  /** d × d_mlp. */
  readonly mlpIn: Matrix;
  readonly mlpInBias: Float64Array;
  readonly activation: (x: number) => number;
  readonly activationName: string;
  /** d_mlp × d. */
  readonly mlpOut: Matrix;
  readonly mlpOutBias: Float64Array;
}

export interface LinearizedTransformer {
  /** Residual width. */
  readonly d: number;
  readonly tokenNames: readonly string[];
  /** vocab × d. */
  readonly tokenEmbedding: Matrix;
  /** positions × d. */
  readonly positionEmbedding: Matrix;
  readonly blocks: readonly LinearizedBlock[];
  readonly finalNorm?: AffineNorm;
  /** d × outputs. */
  readonly unembedding: Matrix;
  readonly unembeddingBias: Float64Array;
  readonly outputNames: readonly string[];
  /** Multiplies every attention score (1 / √d_head for GPT-2, 1 for compiled models). */
  readonly scoreScale: number;
  readonly causal: boolean;
  /** Token ids whose positions are never attended to (padding). */
  readonly maskedKeyTokens: readonly number[];
  readonly prediction: Prediction;
}
