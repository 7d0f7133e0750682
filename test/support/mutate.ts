/** Test helper: a copy of a compiled model with one weight changed enough to change some output. */
import type { CompiledModel, Tensor32 } from '../../src/model/model.js';

export interface Mutation {
  readonly model: CompiledModel;
  readonly description: string;
}

const copy = (m: CompiledModel): Map<string, Tensor32> => new Map([...m.tensors].map(([n, t]) => [n, { shape: t.shape, data: t.data.slice() }]));

/**
 * Flips the sign of the largest weight the output node writes with: an MLP output weight, or a
 * head's W_O entry. Every input that uses that unit (or value) then decodes wrongly.
 */
export const mutateOutputWeight = (model: CompiledModel): Mutation => {
  const tensors = copy(model);
  const out = model.manifest.nodes.find((n) => n.label === model.manifest.output.label);
  if (out === undefined) throw new Error('no output node');
  const d = model.config.d_model;
  const dirs = model.manifest.residual.flatMap((r, i) => (r.label === out.label ? [i] : []));
  const stage = out.stages.find((s) => s.sublayer === 'mlp' && s.role !== 'bos-cleanup') ?? out.stages.find((s) => s.sublayer === 'attn');
  if (stage === undefined) throw new Error(`output node ${out.label} has no block (an embedding)`);
  if (stage.sublayer === 'mlp') {
    const w = (tensors.get(`blocks.${stage.layer}.mlp.W_out`) as Tensor32).data;
    let best = -1;
    for (let u = (stage.units as [number, number])[0]; u < (stage.units as [number, number])[1]; u++) {
      for (const j of dirs) if (best < 0 || Math.abs(w[u * d + j] as number) > Math.abs(w[best] as number)) best = u * d + j;
    }
    w[best] = -(w[best] as number) - 1;
    return { model: { ...model, tensors }, description: `W_out[${Math.floor(best / d)}, ${model.manifest.residual[best % d]?.name}] of layer ${stage.layer}` };
  }
  const dh = model.config.d_head;
  const w = (tensors.get(`blocks.${stage.layer}.attn.W_O`) as Tensor32).data;
  let best = -1;
  for (let j = 0; j < dh; j++) {
    for (const i of dirs) {
      const at = ((stage.head as number) * dh + j) * d + i;
      if (best < 0 || Math.abs(w[at] as number) > Math.abs(w[best] as number)) best = at;
    }
  }
  w[best] = -(w[best] as number) - 1;
  return { model: { ...model, tensors }, description: `W_O of layer ${stage.layer} head ${stage.head}` };
};
