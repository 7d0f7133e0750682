/**
 * The linearized transformer's forward pass on the autodiff tape with every edge (edges.ts) scaled
 * by a mask m and its complement replaced by a learned constant c (optimal ablation): a reader's
 * input is Σ_writers m·x_w + (1 − m)·c + the always-on biases (b_O of every block before it).
 * With masks in {0, 1} this computes exactly what expandPaths' program with the same EdgeMask
 * computes. Causal models only.
 */
import { causalAttention } from '../../nn/autodiff/attention.js';
import { mixWithConstant } from '../../nn/autodiff/masks.js';
import { addAll, affineNorm, broadcastRow, gather, gelu, linear, reluOp } from '../../nn/autodiff/ops.js';
import type { Node, Tape } from '../../nn/autodiff/tape.js';
import type { Batch } from '../../nn/batch.js';
import type { Matrix } from '../drasp/matrix.js';
import type { AffineNorm, LinearizedTransformer } from '../reparam/linearizedTransformer.js';
import { edgeKey, type Edge } from './edges.js';

export interface MaskState {
  readonly edges: readonly Edge[];
  /** [edges] mask values (relaxed samples, or 0/1). */
  readonly masks: Node;
  /** Per edge, the constant [d] standing in for the writer when the edge is off. */
  readonly constants: readonly Node[];
}

export interface MaskedRun {
  readonly logits: Node;
  /** Each writer's output [rows, d], by writer name. */
  readonly writers: ReadonlyMap<string, Node>;
}

const constantMatrix = (tape: Tape, m: Matrix): Node => tape.constant(m.data, [m.rows, m.cols]);
const constantVector = (tape: Tape, v: Float64Array): Node => tape.constant(v, [v.length]);

/** The forward pass; `state` undefined runs the unpruned model (every edge on). */
export const maskedForward = (tape: Tape, model: LinearizedTransformer, batch: Batch, state?: MaskState): MaskedRun => {
  const rows = batch.size * batch.length;
  const index = new Map(state?.edges.map((e, i) => [edgeKey(e), i]));
  const writers = new Map<string, Node>();
  writers.set('tok', gather(tape, constantMatrix(tape, model.tokenEmbedding), batch.ids));
  writers.set('pos', gather(tape, constantMatrix(tape, model.positionEmbedding), batch.positions));
  const biases: Float64Array[] = [];

  const input = (reader: string, norm: AffineNorm | undefined): Node => {
    const parts: Node[] = [];
    for (const [writer, x] of writers) {
      const i = index.get(`${reader}<-${writer}`);
      parts.push(state === undefined || i === undefined ? x : mixWithConstant(tape, x, state.masks, i, state.constants[i]));
    }
    for (const b of biases) parts.push(broadcastRow(tape, b, rows));
    const sum = addAll(tape, parts);
    return norm === undefined ? sum : affineNorm(tape, sum, norm.scale, norm.shift);
  };

  model.blocks.forEach((block, layer) => {
    const outputs: [string, Node][] = [];
    block.heads.forEach((head, h) => {
      const name = `l${layer}h${h}`;
      const q = linear(tape, input(`${name}.q`, block.attentionNorm), constantMatrix(tape, head.wq), constantVector(tape, head.bq));
      const k = linear(tape, input(`${name}.k`, block.attentionNorm), constantMatrix(tape, head.wk), constantVector(tape, head.bk));
      const v = linear(tape, input(`${name}.v`, block.attentionNorm), constantMatrix(tape, head.wv), constantVector(tape, head.bv));
      const attended = causalAttention(tape, q, k, v, { batch: batch.size, length: batch.length, heads: 1, scale: model.scoreScale });
      outputs.push([name, linear(tape, attended, constantMatrix(tape, head.wo))]);
    });
    for (const [name, out] of outputs) writers.set(name, out);
    biases.push(block.attentionBias);
    const reader = `l${layer}.mlp`;
    const pre = linear(tape, input(reader, block.mlpNorm), constantMatrix(tape, block.mlpIn), constantVector(tape, block.mlpInBias));
    const hidden = block.activationName === 'relu' ? reluOp(tape, pre) : gelu(tape, pre);
    writers.set(reader, linear(tape, hidden, constantMatrix(tape, block.mlpOut), constantVector(tape, block.mlpOutBias)));
  });
  const logits = linear(tape, input('logits', model.finalNorm), constantMatrix(tape, model.unembedding), constantVector(tape, model.unembeddingBias));
  return { logits, writers };
};
