/**
 * The GPT-2 forward pass on the autodiff tape (HF numerics: pre-LN blocks, gelu_new, learned
 * positions, tied unembedding, attention scores scaled by 1/√d_head), batched: gpt2Blocks.ts over
 * tape nodes.
 */
import { gpt2Blocks, type Gpt2Arithmetic } from './gpt2Blocks.js';
import type { Gpt2Model } from './gpt2Model.js';
import { causalAttention } from './autodiff/attention.js';
import { addAll, gather, gelu, layerNorm, linear, linearTransposed } from './autodiff/ops.js';
import { colsOf, rowsOf, type Node, type Tape } from './autodiff/tape.js';
import type { Batch } from './batch.js';
import { at } from '../util/at.js';

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

/** Splits [rows, parts·w] into `parts` nodes [rows, w]. */
export const splitColumns = (tape: Tape, x: Node, parts: number): Node[] => {
  const rows = rowsOf(x);
  const total = colsOf(x);
  const w = total / parts;
  return Array.from({ length: parts }, (_, part) => {
    const out = new Float64Array(rows * w);
    for (let r = 0; r < rows; r++) out.set(x.value.subarray(r * total + part * w, r * total + (part + 1) * w), r * w);
    return tape.record(out, [rows, w], [x], (g) => {
      const xg = x.grad ?? (x.grad = new Float64Array(x.value.length));
      for (let r = 0; r < rows; r++) for (let i = 0; i < w; i++) xg[r * total + part * w + i] = at(xg, r * total + part * w + i) + at(g, r * w + i);
    });
  });
};

/** The batch's arithmetic on the tape: nodes with gradients for the leaves `leaves` makes trainable. */
const tapeArithmetic = (tape: Tape, leaves: Gpt2Leaves, model: Gpt2Model, batch: Batch): Gpt2Arithmetic<Node> => {
  const c = model.config;
  const d = c.n_embd;
  const p = leaves.node;
  return {
    embed: () => addAll(tape, [gather(tape, p(model.tokenEmbedding, [c.vocab_size, d]), batch.ids), gather(tape, p(model.positionEmbedding, [c.n_positions, d]), batch.positions)]),
    layerNorm: (x, weight, bias) => layerNorm(tape, x, p(weight, [d]), p(bias, [d]), c.layer_norm_epsilon),
    linear: (x, weight, bias, nIn, nOut) => linear(tape, x, p(weight, [nIn, nOut]), p(bias, [nOut])),
    attention: (qkv) => {
      const [q, k, v] = splitColumns(tape, qkv, 3);
      if (q === undefined || k === undefined || v === undefined) throw new Error('bug: splitColumns gave fewer than 3 parts');
      return causalAttention(tape, q, k, v, { batch: batch.size, length: batch.length, heads: c.n_head, scale: 1 / Math.sqrt(d / c.n_head) });
    },
    activation: (x) => gelu(tape, x),
    add: (residual, update) => addAll(tape, [residual, update]),
    unembed: (x) => linearTransposed(tape, x, p(model.unembedding, [c.vocab_size, d])),
  };
};

/** Logits [batch · length, vocab]: the one GPT-2 forward (gpt2Blocks.ts) on the tape. */
export const gpt2Logits = (tape: Tape, leaves: Gpt2Leaves, model: Gpt2Model, batch: Batch): Node => gpt2Blocks(model, tapeArithmetic(tape, leaves, model, batch));
