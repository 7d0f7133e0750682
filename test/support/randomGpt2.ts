import { tensorF32, type Tensor } from '../../src/model/safetensors.js';
import { mulberry32 } from '../../src/util/random.js';

/**
 * The tensors of a random one-layer GPT-2 in the HuggingFace layout (6 tokens, width 8), seeded:
 * LayerNorm weights 1, everything else uniform in ±0.5.
 */
export const randomGpt2Tensors = (seed: number, positions: number, d = 8): Map<string, Tensor> => {
  const random = mulberry32(seed);
  const tensors = new Map<string, Tensor>();
  const add = (n: string, dims: number[]): void => {
    const size = dims.reduce((a, b) => a * b, 1);
    tensors.set(n, tensorF32(dims, Float32Array.from({ length: size }, () => (n.includes('ln_') && n.endsWith('weight') ? 1 : 0.5 * (2 * random() - 1)))));
  };
  add('wte.weight', [6, d]);
  add('wpe.weight', [positions, d]);
  for (const ln of ['ln_1', 'ln_2']) for (const w of ['weight', 'bias']) add(`h.0.${ln}.${w}`, [d]);
  add('h.0.attn.c_attn.weight', [d, 3 * d]);
  add('h.0.attn.c_attn.bias', [3 * d]);
  add('h.0.attn.c_proj.weight', [d, d]);
  add('h.0.attn.c_proj.bias', [d]);
  add('h.0.mlp.c_fc.weight', [d, 4 * d]);
  add('h.0.mlp.c_fc.bias', [4 * d]);
  add('h.0.mlp.c_proj.weight', [4 * d, d]);
  add('h.0.mlp.c_proj.bias', [d]);
  add('ln_f.weight', [d]);
  add('ln_f.bias', [d]);
  return tensors;
};
