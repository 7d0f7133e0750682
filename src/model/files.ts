/**
 * A compiled model on disk: `model.safetensors` (float32 tensors, TransformerLens names),
 * `config.json` and `manifest.json`. Writing is deterministic (byte-identical for the same model);
 * reading validates everything and reports problems naming the file and field.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as Either from 'fp-ts/lib/Either.js';
import * as t from 'io-ts/lib/index.js';
import { ValueCodec } from '../ast/codec.js';
import { diagnostic, type Diagnostic } from '../diagnostics.js';
import {
  expectedShape,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  tensorNames,
  type CompiledModel,
  type Manifest,
  type ModelConfig,
  type Tensor32,
} from './model.js';
import { expectTensor, readSafetensors, tensorF32, toFloat32, writeSafetensors, type Tensor } from './safetensors.js';

export const MODEL_FILES = {
  weights: 'model.safetensors',
  config: 'config.json',
  manifest: 'manifest.json',
  certificate: 'certificate.json',
} as const;

const json = (x: unknown): string => `${JSON.stringify(x, null, 2)}\n`;

export const sha256 = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

/**
 * The model's files, as bytes (what `writeModel` writes): weights, config and manifest, and the
 * certificate when the manifest says the model is certified (its hash must match the manifest's).
 */
/** `model.safetensors` as bytes. */
export const weightsFile = (model: CompiledModel): Uint8Array => {
  const tensors = new Map<string, Tensor>([...model.tensors].map(([name, x]) => [name, tensorF32(x.shape, x.data)]));
  return writeSafetensors(tensors, { format: MODEL_FORMAT, program: model.manifest.program.hash });
};

export const modelFiles = (model: CompiledModel, certificate?: string): Record<string, Uint8Array> => {
  const c = model.manifest.certification;
  if (c.verdict === 'verified' && (certificate === undefined || sha256(certificate) !== c.certificate)) {
    throw new Error('bug: a certified manifest needs the certificate whose hash it records');
  }
  return {
    [MODEL_FILES.weights]: weightsFile(model),
    [MODEL_FILES.config]: new TextEncoder().encode(json(model.config)),
    [MODEL_FILES.manifest]: new TextEncoder().encode(json(model.manifest)),
    ...(c.verdict === 'verified' ? { [MODEL_FILES.certificate]: new TextEncoder().encode(certificate) } : {}),
  };
};

/**
 * Writes a model directory. A certified model needs its certificate (the text whose hash the
 * manifest records); an unverified one is written as such, and its readers warn. A certificate
 * left from an earlier model in the directory is removed, so it never sits beside another model.
 */
export const writeModel = (dir: string, model: CompiledModel, certificate?: string): Either.Either<readonly Diagnostic[], string[]> => {
  try {
    mkdirSync(dir, { recursive: true });
    const files = modelFiles(model, certificate);
    const stale = join(dir, MODEL_FILES.certificate);
    if (files[MODEL_FILES.certificate] === undefined && existsSync(stale)) rmSync(stale);
    for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
    return Either.right(Object.keys(files).map((f) => join(dir, f)));
  } catch (e) {
    return Either.left([diagnostic('io/write', `cannot write the model to ${dir}: ${(e as Error).message}`, { fix: 'check the output directory' })]);
  }
};

const ConfigCodec = t.type({
  format: t.literal(MODEL_FORMAT),
  version: t.literal(MODEL_FORMAT_VERSION),
  n_layers: t.number,
  d_model: t.number,
  n_heads: t.number,
  d_head: t.number,
  d_mlp: t.number,
  d_vocab: t.number,
  d_vocab_out: t.number,
  n_ctx: t.number,
  act_fn: t.literal('relu'),
  normalization_type: t.null,
  attn_scale: t.literal(1),
  causal: t.boolean,
});

const ManifestCodec = t.type({
  format: t.literal(MODEL_FORMAT),
  version: t.literal(MODEL_FORMAT_VERSION),
  program: t.type({ hash: t.string, output: t.string }),
  bounds: t.type({ vocab: t.readonlyArray(ValueCodec), maxLen: t.number, causal: t.boolean }),
  tokens: t.readonlyArray(t.type({ id: t.number, token: ValueCodec })),
  residual: t.readonlyArray(t.type({ name: t.string, label: t.string })),
  output: t.type({
    label: t.string,
    encoding: t.union([t.literal('categorical'), t.literal('numerical')]),
    values: t.readonlyArray(ValueCodec),
    tolerance: t.number,
  }),
  nodes: t.readonlyArray(t.unknown),
  allocation: t.unknown,
  parameters: t.number,
  notes: t.readonlyArray(t.string),
  certification: t.union([
    t.type({ verdict: t.literal('verified'), method: t.string, claim: t.string, certificate: t.string }),
    t.type({ verdict: t.literal('unverified') }),
  ]),
});

const readJson = (path: string): Either.Either<readonly Diagnostic[], unknown> => {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    return Either.left([
      diagnostic('model/missing-file', `${path}: ${missing ? 'no such file' : (e as Error).message}`, {
        fix: 'point at a directory written by `raspc compile -o DIR`',
      }),
    ]);
  }
  try {
    return Either.right(JSON.parse(text) as unknown);
  } catch (e) {
    return Either.left([diagnostic('model/bad-json', `${path} is not valid JSON: ${(e as Error).message}`)]);
  }
};

const validate = <A>(codec: t.Decoder<unknown, A>, value: unknown, path: string): Either.Either<readonly Diagnostic[], A> => {
  const r = codec.decode(value);
  if (Either.isRight(r)) return Either.right(r.right);
  return Either.left(
    r.left.slice(0, 5).map((e) => {
      const field = e.context
        .map((c) => c.key)
        .filter((k) => k !== '' && !/^\d+$/.test(k))
        .join('.');
      return diagnostic('model/bad-field', `${path}: field ${field || '(root)'} is invalid (got ${JSON.stringify(e.value) ?? 'nothing'})`, {
        fix: 'recompile the model with `raspc compile`',
      });
    }),
  );
};

/** Reads and validates a model directory. */
export const readModel = (dir: string): Either.Either<readonly Diagnostic[], CompiledModel> => {
  const configPath = join(dir, MODEL_FILES.config);
  const manifestPath = join(dir, MODEL_FILES.manifest);
  const weightsPath = join(dir, MODEL_FILES.weights);
  const config = Either.chain((v: unknown) => validate(ConfigCodec, v, configPath))(readJson(configPath));
  if (Either.isLeft(config)) return config;
  const manifest = Either.chain((v: unknown) => validate(ManifestCodec, v, manifestPath))(readJson(manifestPath));
  if (Either.isLeft(manifest)) return manifest;
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(weightsPath);
  } catch (e) {
    return Either.left([diagnostic('model/missing-file', `${weightsPath}: ${(e as Error).message}`)]);
  }
  const file = readSafetensors(bytes, weightsPath);
  if (Either.isLeft(file)) return Either.left(file.left);
  const c = config.right as ModelConfig;
  const tensors = new Map<string, Tensor32>();
  const problems: Diagnostic[] = [];
  for (const name of tensorNames(c.n_layers)) {
    const shape = expectedShape(c, name);
    const found = expectTensor(file.right.tensors, name, shape, weightsPath);
    if (Either.isLeft(found)) {
      problems.push(...found.left);
      continue;
    }
    const data = toFloat32(found.right, name);
    if (Either.isLeft(data)) problems.push(...data.left);
    else tensors.set(name, { shape, data: data.right });
  }
  if (problems.length > 0) return Either.left(problems);
  const certified = checkCertificateFile(dir, manifest.right.certification);
  if (Either.isLeft(certified)) return certified;
  return Either.right({ config: c, manifest: manifest.right as unknown as Manifest, tensors });
};

/** A certified model's `certificate.json` must be there and be the one its manifest records. */
const checkCertificateFile = (dir: string, c: Manifest['certification']): Either.Either<readonly Diagnostic[], void> => {
  if (c.verdict !== 'verified') return Either.right(undefined);
  const path = join(dir, MODEL_FILES.certificate);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch {
    return Either.left([
      diagnostic('model/missing-file', `${path}: no such file, but the manifest says the model is certified`, {
        fix: 'keep certificate.json beside the model, or recompile with `raspc compile`',
      }),
    ]);
  }
  if (sha256(bytes) !== c.certificate) {
    return Either.left([
      diagnostic('model/certificate-mismatch', `${path} is not the certificate the manifest records (SHA-256 differs)`, {
        fix: 'the certificate was edited or belongs to another model: recompile with `raspc compile`',
      }),
    ]);
  }
  return Either.right(undefined);
};

/** The warning every reader of an unverified model prints (undefined for a certified one). */
export const unverifiedWarning = (dir: string, model: CompiledModel): Diagnostic | undefined =>
  model.manifest.certification.verdict === 'unverified'
    ? diagnostic('model/unverified', `${join(dir, MODEL_FILES.manifest)}: this model is not certified (written with --no-verify)`, {
        fix: 'run `raspc verify PROG --model DIR`, or recompile without --no-verify',
      })
    : undefined;
