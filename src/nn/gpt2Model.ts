/**
 * A GPT-2 model in memory, and its tensors in the HuggingFace layout.
 *
 * Every matrix is row-major float64. Linear maps are stored as HF's Conv1D stores them, [in, out],
 * and applied as x·W + b: `c_attn` is [d, 3d] with columns q | k | v (head h owning columns
 * h·d_head .. (h+1)·d_head − 1 of each third). The embeddings and `lm_head` are [rows, d].
 */
import * as Either from 'fp-ts/lib/Either.js';
import { diagnostic, type Diagnostic } from '../diagnostics.js';
import { expectTensor, toFloat64, type Tensor } from '../model/safetensors.js';
import type { Gpt2Config } from './gpt2Config.js';

export interface Gpt2Block {
  /** ln_1.weight, ln_1.bias: [d] */
  readonly ln1Weight: Float64Array;
  readonly ln1Bias: Float64Array;
  /** attn.c_attn.weight [d, 3d], .bias [3d] */
  readonly qkvWeight: Float64Array;
  readonly qkvBias: Float64Array;
  /** attn.c_proj.weight [d, d], .bias [d] */
  readonly attnOutWeight: Float64Array;
  readonly attnOutBias: Float64Array;
  /** ln_2.weight, ln_2.bias: [d] */
  readonly ln2Weight: Float64Array;
  readonly ln2Bias: Float64Array;
  /** mlp.c_fc.weight [d, inner], .bias [inner] */
  readonly mlpInWeight: Float64Array;
  readonly mlpInBias: Float64Array;
  /** mlp.c_proj.weight [inner, d], .bias [d] */
  readonly mlpOutWeight: Float64Array;
  readonly mlpOutBias: Float64Array;
}

export interface Gpt2Model {
  readonly config: Gpt2Config;
  /** wte.weight: [vocab_size, d] */
  readonly tokenEmbedding: Float64Array;
  /** wpe.weight: [n_positions, d] */
  readonly positionEmbedding: Float64Array;
  /** h.0 .. h.{n_layer − 1} */
  readonly blocks: readonly Gpt2Block[];
  /** ln_f.weight, ln_f.bias: [d] */
  readonly finalLnWeight: Float64Array;
  readonly finalLnBias: Float64Array;
  /** lm_head.weight [vocab_size, d]; the very array `tokenEmbedding` when the embeddings are tied. */
  readonly unembedding: Float64Array;
}

interface TensorSpec<Field> {
  readonly field: Field;
  /** The HF name (of a block's tensor: after `h.{l}.`). */
  readonly name: string;
  readonly shape: (c: Gpt2Config) => readonly number[];
}

const width = (c: Gpt2Config): readonly number[] => [c.n_embd];

export const GPT2_BLOCK_TENSORS: readonly TensorSpec<keyof Gpt2Block>[] = [
  { field: 'ln1Weight', name: 'ln_1.weight', shape: width },
  { field: 'ln1Bias', name: 'ln_1.bias', shape: width },
  { field: 'qkvWeight', name: 'attn.c_attn.weight', shape: (c) => [c.n_embd, 3 * c.n_embd] },
  { field: 'qkvBias', name: 'attn.c_attn.bias', shape: (c) => [3 * c.n_embd] },
  { field: 'attnOutWeight', name: 'attn.c_proj.weight', shape: (c) => [c.n_embd, c.n_embd] },
  { field: 'attnOutBias', name: 'attn.c_proj.bias', shape: width },
  { field: 'ln2Weight', name: 'ln_2.weight', shape: width },
  { field: 'ln2Bias', name: 'ln_2.bias', shape: width },
  { field: 'mlpInWeight', name: 'mlp.c_fc.weight', shape: (c) => [c.n_embd, c.n_inner] },
  { field: 'mlpInBias', name: 'mlp.c_fc.bias', shape: (c) => [c.n_inner] },
  { field: 'mlpOutWeight', name: 'mlp.c_proj.weight', shape: (c) => [c.n_inner, c.n_embd] },
  { field: 'mlpOutBias', name: 'mlp.c_proj.bias', shape: width },
];

type TopField = 'tokenEmbedding' | 'positionEmbedding' | 'finalLnWeight' | 'finalLnBias';

export const GPT2_TOP_TENSORS: readonly TensorSpec<TopField>[] = [
  { field: 'tokenEmbedding', name: 'wte.weight', shape: (c) => [c.vocab_size, c.n_embd] },
  { field: 'positionEmbedding', name: 'wpe.weight', shape: (c) => [c.n_positions, c.n_embd] },
  { field: 'finalLnWeight', name: 'ln_f.weight', shape: width },
  { field: 'finalLnBias', name: 'ln_f.bias', shape: width },
];

/** HF's GPT2LMHeadModel keeps the transformer under this prefix; GPT2Model checkpoints have none. */
export const GPT2_PREFIX = 'transformer.';
/** Never prefixed. */
export const GPT2_LM_HEAD = 'lm_head.weight';

const FLOAT_DTYPES: readonly string[] = ['F64', 'F32', 'F16', 'BF16'];

/** Beyond this many problems the rest are counted, not listed (a wrong n_embd mis-shapes every tensor). */
const MAX_PROBLEMS = 8;

const showShape = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/** The values of tensor `name`: present, shaped `shape`, of a float dtype, every value finite. */
const readTensor = (
  tensors: ReadonlyMap<string, Tensor>,
  name: string,
  shape: readonly number[],
  source: string,
): Either.Either<Diagnostic[], Float64Array> => {
  const found = expectTensor(tensors, name, shape, source);
  if (Either.isLeft(found)) return found;
  if (!FLOAT_DTYPES.includes(found.right.dtype)) {
    return Either.left([
      diagnostic('gpt2/bad-dtype', `tensor ${JSON.stringify(name)} in ${source} has dtype ${found.right.dtype}; weights must be F32, F16, BF16 or F64`, {
        fix: 'save the weights as floating point',
      }),
    ]);
  }
  const values = toFloat64(found.right, name);
  if (Either.isLeft(values)) return values;
  const bad = values.right.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    return Either.left([
      diagnostic('gpt2/non-finite', `tensor ${JSON.stringify(name)} in ${source} holds ${values.right[bad]} at element ${bad} (shape ${showShape(shape)})`, {
        fix: 'the weights are corrupt or the training diverged',
      }),
    ]);
  }
  return values;
};

/**
 * The model with `config` from HF-layout tensors (names with or without the `transformer.` prefix;
 * extra tensors such as the `attn.bias` mask buffers are ignored). `source` names the file in
 * messages. Left with one diagnostic per missing tensor, wrong shape, non-float dtype or
 * non-finite value.
 */
export const gpt2FromTensors = (
  config: Gpt2Config,
  tensors: ReadonlyMap<string, Tensor>,
  source = 'model.safetensors',
): Either.Either<Diagnostic[], Gpt2Model> => {
  const prefix = [...tensors.keys()].some((name) => name.startsWith(GPT2_PREFIX)) ? GPT2_PREFIX : '';
  const problems: Diagnostic[] = [];
  const take = (name: string, shape: readonly number[]): Float64Array => {
    const values = readTensor(tensors, name, shape, source);
    if (Either.isRight(values)) return values.right;
    problems.push(...values.left);
    return new Float64Array(0);
  };

  const top = {} as Record<TopField, Float64Array>;
  for (const spec of GPT2_TOP_TENSORS) top[spec.field] = take(prefix + spec.name, spec.shape(config));
  const blocks: Gpt2Block[] = [];
  for (let layer = 0; layer < config.n_layer; layer++) {
    const block = {} as Record<keyof Gpt2Block, Float64Array>;
    for (const spec of GPT2_BLOCK_TENSORS) block[spec.field] = take(`${prefix}h.${layer}.${spec.name}`, spec.shape(config));
    blocks.push(block);
  }
  let unembedding = top.tokenEmbedding;
  if (!config.tie_word_embeddings) {
    if (tensors.has(GPT2_LM_HEAD)) unembedding = take(GPT2_LM_HEAD, [config.vocab_size, config.n_embd]);
    else {
      problems.push(
        diagnostic('safetensors/missing-tensor', `${source} has no tensor ${JSON.stringify(GPT2_LM_HEAD)} but the config sets tie_word_embeddings: false`, {
          fix: 'save lm_head.weight [vocab_size, n_embd], or set tie_word_embeddings: true if the unembedding is wte',
        }),
      );
    }
  }

  if (problems.length > MAX_PROBLEMS) {
    const more = problems.length - MAX_PROBLEMS;
    return Either.left([
      ...problems.slice(0, MAX_PROBLEMS),
      diagnostic('gpt2/more-problems', `${source}: ${more} more problem${more === 1 ? '' : 's'} with its tensors`, {
        fix: 'many wrong shapes usually mean config.json does not describe this file',
      }),
    ]);
  }
  if (problems.length > 0) return Either.left(problems);
  return Either.right({ config, ...top, blocks, unembedding });
};
