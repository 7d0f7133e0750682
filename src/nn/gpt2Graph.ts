/**
 * The GPT-2 forward pass on the autodiff tape (HF numerics: pre-LN blocks, gelu_new, learned
 * positions, tied unembedding, attention scores scaled by 1/√d_head), batched.
 */
import type { Gpt2Block, Gpt2Model } from './gpt2Model.js';
import { addAll, causalAttention, gather, gelu, layerNorm, linear, linearTransposed } from './autodiff/ops.js';
import type { Node, Tape } from './autodiff/tape.js';
import type { Batch } from './batch.js';

/** The model's arrays as tape leaves: parameters (gradients wanted) or constants. */
export const leafOf = (tape: Tape, trainable: boolean) => (value: Float64Array, shape: readonly number[]): Node =>
  trainable ? tape.param(value, shape) : tape.constant(value, shape);

export interface Gpt2Leaves {
  readonly nodes: Map<Float64Array, Node>;
  readonly node: (value: Float64Array, shape: readonly number[]) => Node;
}

/** One node per distinct array (the tied embedding is one parameter). */
export const gpt2Leaves = (tape: Tape, trainable: boolean): Gpt2Leaves => {
  const nodes = new Map<Float64Array, Node>();
  const make = leafOf(tape, trainable);
  return {
    nodes,
    node: (value, shape) => {
      const found = nodes.get(value);
      if (found !== undefined) return found;
      const created = make(value, shape);
      nodes.set(value, created);
      return created;
    },
  };
};

const block = (tape: Tape, leaves: Gpt2Leaves, model: Gpt2Model, b: Gpt2Block, x: Node, batch: Batch): Node => {
  const c = model.config;
  const d = c.n_embd;
  const p = leaves.node;
  const eps = c.layer_norm_epsilon;
  const h = layerNorm(tape, x, p(b.ln1Weight, [d]), p(b.ln1Bias, [d]), eps);
  const qkv = linear(tape, h, p(b.qkvWeight, [d, 3 * d]), p(b.qkvBias, [3 * d]));
  const [q, k, v] = splitColumns(tape, qkv, 3);
  const attended = causalAttention(tape, q, k, v, { batch: batch.size, length: batch.length, heads: c.n_head, scale: 1 / Math.sqrt(d / c.n_head) });
  const afterAttention = addAll(tape, [x, linear(tape, attended, p(b.attnOutWeight, [d, d]), p(b.attnOutBias, [d]))]);
  const h2 = layerNorm(tape, afterAttention, p(b.ln2Weight, [d]), p(b.ln2Bias, [d]), eps);
  const hidden = gelu(tape, linear(tape, h2, p(b.mlpInWeight, [d, c.n_inner]), p(b.mlpInBias, [c.n_inner])));
  return addAll(tape, [afterAttention, linear(tape, hidden, p(b.mlpOutWeight, [c.n_inner, d]), p(b.mlpOutBias, [d]))]);
};

/** Splits [rows, parts·w] into `parts` nodes [rows, w]. */
export const splitColumns = (tape: Tape, x: Node, parts: number): Node[] => {
  const rows = x.shape[0];
  const total = x.shape[1];
  const w = total / parts;
  return Array.from({ length: parts }, (_, part) => {
    const out = new Float64Array(rows * w);
    for (let r = 0; r < rows; r++) out.set(x.value.subarray(r * total + part * w, r * total + (part + 1) * w), r * w);
    return tape.record(out, [rows, w], [x], (g) => {
      const xg = x.grad ?? (x.grad = new Float64Array(x.value.length));
      for (let r = 0; r < rows; r++) for (let i = 0; i < w; i++) xg[r * total + part * w + i] += g[r * w + i];
    });
  });
};

/** Logits [batch · length, vocab]. */
export const gpt2Logits = (tape: Tape, leaves: Gpt2Leaves, model: Gpt2Model, batch: Batch): Node => {
  const c = model.config;
  const d = c.n_embd;
  const p = leaves.node;
  let x = addAll(tape, [gather(tape, p(model.tokenEmbedding, [c.vocab_size, d]), batch.ids), gather(tape, p(model.positionEmbedding, [c.n_positions, d]), batch.positions)]);
  for (const b of model.blocks) x = block(tape, leaves, model, b, x, batch);
  const final = layerNorm(tape, x, p(model.finalLnWeight, [d]), p(model.finalLnBias, [d]), c.layer_norm_epsilon);
  return linearTransposed(tape, final, p(model.unembedding, [c.vocab_size, d]));
};
