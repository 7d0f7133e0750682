/**
 * GPT-2 models on disk in the HuggingFace layout: a directory with `config.json` and
 * `model.safetensors`. Reading reports every problem (missing directory or file, bad JSON, bad
 * config, bad safetensors, missing or mis-shaped tensor) as a diagnostic naming the file and the
 * field or tensor; it never throws. Writing is deterministic.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as Either from 'fp-ts/lib/Either.js';
import { diagnostic, type Diagnostic } from '../diagnostics.js';
import { readSafetensors, tensorF32, tensorF64, writeSafetensors, type Tensor } from '../model/safetensors.js';
import { tensorF16 } from '../model/safetensors.js';
import { gpt2ConfigJson, parseGpt2Config } from './gpt2Config.js';
import { GPT2_BLOCK_TENSORS, GPT2_LM_HEAD, GPT2_PREFIX, GPT2_TOP_TENSORS, gpt2FromTensors, type Gpt2Model } from './gpt2Model.js';

export const GPT2_FILES = { config: 'config.json', weights: 'model.safetensors' } as const;

export type Gpt2WeightDType = 'F32' | 'F64' | 'F16';

export interface Gpt2WriteOptions {
  /** The dtype of every tensor (default F32, as HF saves; F32 and F16 round the float64 weights). */
  readonly dtype?: Gpt2WeightDType;
  /** Name the transformer's tensors `transformer.…` as GPT2LMHeadModel.save_pretrained does (default true). */
  readonly prefix?: boolean;
}

const encoders: Readonly<Record<Gpt2WeightDType, (shape: readonly number[], values: Float64Array) => Tensor>> = {
  F64: tensorF64,
  F32: (shape, values) => tensorF32(shape, Float32Array.from(values)),
  F16: tensorF16,
};

/** The two files' contents (what `writeGpt2` writes). Tied models store no `lm_head.weight`. */
export const gpt2Files = (model: Gpt2Model, options: Gpt2WriteOptions = {}): Record<string, Uint8Array> => {
  const encode = encoders[options.dtype ?? 'F32'];
  const prefix = (options.prefix ?? true) ? GPT2_PREFIX : '';
  const { config } = model;
  const tensors = new Map<string, Tensor>();
  for (const spec of GPT2_TOP_TENSORS) tensors.set(prefix + spec.name, encode(spec.shape(config), model[spec.field]));
  model.blocks.forEach((block, layer) => {
    for (const spec of GPT2_BLOCK_TENSORS) tensors.set(`${prefix}h.${layer}.${spec.name}`, encode(spec.shape(config), block[spec.field]));
  });
  if (!config.tie_word_embeddings) tensors.set(GPT2_LM_HEAD, encode([config.vocab_size, config.n_embd], model.unembedding));
  return {
    [GPT2_FILES.config]: new TextEncoder().encode(`${JSON.stringify(gpt2ConfigJson(config), null, 2)}\n`),
    // HF's loader refuses a safetensors file whose metadata lacks a framework "format".
    [GPT2_FILES.weights]: writeSafetensors(tensors, { format: 'pt' }),
  };
};

export const writeGpt2 = (dir: string, model: Gpt2Model, options: Gpt2WriteOptions = {}): Either.Either<Diagnostic[], string[]> => {
  try {
    mkdirSync(dir, { recursive: true });
    const files = gpt2Files(model, options);
    for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
    return Either.right(Object.keys(files).map((name) => join(dir, name)));
  } catch (e) {
    return Either.left([diagnostic('io/write', `cannot write the model to ${dir}: ${(e as Error).message}`, { fix: 'check the output directory' })]);
  }
};

const readBytes = (path: string, fix: string): Either.Either<Diagnostic[], Uint8Array> => {
  try {
    return Either.right(readFileSync(path));
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    return Either.left([diagnostic('gpt2/missing-file', `${path}: ${missing ? 'no such file' : (e as Error).message}`, { fix })]);
  }
};

const parseJson = (bytes: Uint8Array, path: string): Either.Either<Diagnostic[], unknown> => {
  try {
    return Either.right(JSON.parse(new TextDecoder().decode(bytes)) as unknown);
  } catch (e) {
    return Either.left([diagnostic('gpt2/bad-json', `${path} is not valid JSON: ${(e as Error).message}`)]);
  }
};

const LAYOUT_FIX = 'a GPT-2 model directory holds config.json and model.safetensors, as HF save_pretrained writes them';

/** Reads and validates a GPT-2 model directory in the HF layout. */
export const readGpt2 = (dir: string): Either.Either<Diagnostic[], Gpt2Model> => {
  let isDirectory = false;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch {
    return Either.left([diagnostic('gpt2/missing-directory', `${dir}: no such directory`, { fix: LAYOUT_FIX })]);
  }
  if (!isDirectory) return Either.left([diagnostic('gpt2/missing-directory', `${dir} is not a directory`, { fix: LAYOUT_FIX })]);

  const configPath = join(dir, GPT2_FILES.config);
  const config = Either.chain((json: unknown) => parseGpt2Config(json, configPath))(
    Either.chain((bytes: Uint8Array) => parseJson(bytes, configPath))(readBytes(configPath, LAYOUT_FIX)),
  );
  if (Either.isLeft(config)) return config;

  const weightsPath = join(dir, GPT2_FILES.weights);
  const pytorchOnly = existsSync(join(dir, 'pytorch_model.bin'));
  const missingWeightsFix = pytorchOnly
    ? 'the directory holds pytorch_model.bin: convert it with safetensors.torch.save_file (or save_pretrained(safe_serialization=True))'
    : LAYOUT_FIX;
  const bytes = readBytes(weightsPath, missingWeightsFix);
  if (Either.isLeft(bytes)) return bytes;
  const file = readSafetensors(bytes.right, weightsPath);
  if (Either.isLeft(file)) return file;
  return gpt2FromTensors(config.right, file.right.tensors, weightsPath);
};
