/** Test helper: a copy of a compiled model with one weight changed enough to change some output. */
import * as Either from 'fp-ts/lib/Either.js';
import type { SOp } from '../../src/ast/program.js';
import { valuesClose, type Value } from '../../src/ast/value.js';
import { evaluate } from '../../src/interpreter/evaluate.js';
import { isUndecodable } from '../../src/model/decode.js';
import { PAD_ID, type CompiledModel, type Tensor32 } from '../../src/model/model.js';
import { runModel } from '../../src/model/run.js';

export interface Mutation {
  readonly model: CompiledModel;
  readonly description: string;
}

const copy = (m: CompiledModel): Map<string, Tensor32> => new Map([...m.tensors].map(([n, t]) => [n, { shape: t.shape, data: t.data.slice() }]));

/** Every weight the output node writes with (MLP W_out rows of its units, or its head's W_O), largest first. */
const outputWeights = (model: CompiledModel): { readonly tensor: string; readonly at: number; readonly description: string }[] => {
  const out = model.manifest.nodes.find((n) => n.label === model.manifest.output.label);
  if (out === undefined) throw new Error('no output node');
  const d = model.config.d_model;
  const dirs = model.manifest.residual.flatMap((r, i) => (r.label === out.label ? [i] : []));
  const stage = out.stages.find((s) => s.sublayer === 'mlp' && s.role !== 'bos-cleanup') ?? out.stages.find((s) => s.sublayer === 'attn');
  if (stage === undefined) throw new Error(`output node ${out.label} has no block (an embedding)`);
  const found: { tensor: string; at: number; description: string; size: number }[] = [];
  if (stage.sublayer === 'mlp') {
    const tensor = `blocks.${stage.layer}.mlp.W_out`;
    const w = (model.tensors.get(tensor) as Tensor32).data;
    for (let u = (stage.units as [number, number])[0]; u < (stage.units as [number, number])[1]; u++) {
      for (const j of dirs) {
        const at = u * d + j;
        if (w[at] !== 0) found.push({ tensor, at, size: Math.abs(w[at] as number), description: `W_out[${u}, ${model.manifest.residual[j]?.name}] of layer ${stage.layer}` });
      }
    }
  } else {
    const dh = model.config.d_head;
    const tensor = `blocks.${stage.layer}.attn.W_O`;
    const w = (model.tensors.get(tensor) as Tensor32).data;
    for (let k = 0; k < dh; k++) {
      for (const i of dirs) {
        const at = ((stage.head as number) * dh + k) * d + i;
        if (w[at] !== 0) found.push({ tensor, at, size: Math.abs(w[at] as number), description: `W_O[${k}, ${model.manifest.residual[i]?.name}] of layer ${stage.layer} head ${stage.head}` });
      }
    }
  }
  return found.sort((a, b) => b.size - a.size);
};

const decodedText = (model: CompiledModel, input: readonly Value[]): string => {
  const r = runModel(model, input);
  return Either.isLeft(r) ? 'refused' : JSON.stringify(r.right);
};

/**
 * Flips the sign of one weight the output node writes with (w → −w − 1): the largest one, or,
 * given probe inputs, the largest one whose flip changes the model's decoded output on one of
 * them (a unit that only fires on longer inputs changes nothing within small bounds).
 */
export const mutateOutputWeight = (model: CompiledModel, probe?: readonly (readonly Value[])[]): Mutation => {
  const before = probe?.map((input) => decodedText(model, input));
  for (const candidate of outputWeights(model)) {
    const tensors = copy(model);
    const w = (tensors.get(candidate.tensor) as Tensor32).data;
    w[candidate.at] = -(w[candidate.at] as number) - 1;
    const mutated: CompiledModel = { ...model, tensors };
    if (probe === undefined || probe.some((input, k) => decodedText(mutated, input) !== before?.[k])) return { model: mutated, description: candidate.description };
  }
  throw new Error('no single flipped output weight changes an output on the probe inputs');
};

/** The model's decoded output differs from the interpreter's on this input (or the program fails there). */
export const disagreesOn = (program: SOp, model: CompiledModel, input: readonly Value[], causal: boolean): boolean => {
  const want = evaluate(program, input, { causal });
  const got = runModel(model, input);
  if (Either.isLeft(want) || Either.isLeft(got)) return true;
  return !got.right.every((g, i) => !isUndecodable(g) && valuesClose(g, want.right[i] as Value));
};

/**
 * A copy without the in-weights PAD mask: `scores` zeroes the `pad` row of every W_Q and W_K
 * (no head scores PAD keys down any more), `embedding` zeroes the PAD token's `pad` entry.
 */
export const withoutPadMask = (model: CompiledModel, part: 'scores' | 'embedding'): CompiledModel => {
  const pad = model.manifest.residual.findIndex((r) => r.label === 'pad');
  if (pad < 0) throw new Error('the model has no pad direction');
  const tensors = copy(model);
  const { d_model: d, d_head: dh, n_heads: H, n_layers: L } = model.config;
  if (part === 'embedding') (tensors.get('embed.W_E') as Tensor32).data[PAD_ID * d + pad] = 0;
  else {
    for (let l = 0; l < L; l++) {
      for (const w of ['W_Q', 'W_K']) {
        const data = (tensors.get(`blocks.${l}.attn.${w}`) as Tensor32).data;
        for (let h = 0; h < H; h++) data.fill(0, (h * d + pad) * dh, (h * d + pad + 1) * dh);
      }
    }
  }
  return { ...model, tensors };
};
