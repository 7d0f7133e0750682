/**
 * The edges causal pruning learns masks for (stage 1 of the decompiler paper): from each component
 * that writes the residual stream (token and position embeddings, every head, every MLP) to each
 * input that reads it later (a head's query, key and value, an MLP, the logits). Names follow
 * expandPaths' EdgeMask.
 */
import type { LinearizedTransformer } from '../reparam/linearizedTransformer.js';

export interface Edge {
  readonly reader: string;
  readonly writer: string;
}

export const QKV = ['q', 'k', 'v'] as const;

/** Every edge, in a fixed order: block by block, head by head, q k v, then the MLP; the logits last. */
export const edgesOf = (model: LinearizedTransformer): Edge[] => {
  const edges: Edge[] = [];
  const writers = ['tok', 'pos'];
  model.blocks.forEach((block, layer) => {
    block.heads.forEach((_, h) => {
      for (const role of QKV) for (const writer of writers) edges.push({ reader: `l${layer}h${h}.${role}`, writer });
    });
    const heads = block.heads.map((_, h) => `l${layer}h${h}`);
    for (const writer of [...writers, ...heads]) edges.push({ reader: `l${layer}.mlp`, writer });
    writers.push(...heads, `l${layer}.mlp`);
  });
  for (const writer of writers) edges.push({ reader: 'logits', writer });
  return edges;
};

export const edgeKey = (e: Edge): string => `${e.reader}<-${e.writer}`;
