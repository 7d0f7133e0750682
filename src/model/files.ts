/**
 * A compiled model on disk: `model.safetensors` (float32 tensors, TransformerLens names),
 * `config.json` and `manifest.json`, whose integrity record holds the SHA-256 of the other files
 * and of its own content (integrity.ts). Writing is deterministic (byte-identical for the same
 * model). Reading refuses a damaged or edited directory with one diagnostic naming the file and
 * what is wrong (docs/model-files.md lists every check).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as Either from 'fp-ts/lib/Either.js';
import * as t from 'io-ts/lib/index.js';
import { diagnostic, firstOf, type Diagnostic } from '../diagnostics.js';
import { configManifestProblems, nonFiniteWeight, weightsMetadataProblem, type ModelPaths } from './consistency.js';
import { checkIntegrity, integrityRecord, sha256Hex, withoutIntegrity } from './integrity.js';
import { Count, ManifestFileCodec, Positive } from './manifest.js';
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

const RECOMPILE = 'recompile the model with `raspc compile`';

const json = (x: unknown): string => `${JSON.stringify(x, null, 2)}\n`;

/** `model.safetensors` as bytes. */
export const weightsFile = (model: CompiledModel): Uint8Array => {
  const tensors = new Map<string, Tensor>([...model.tensors].map(([name, x]) => [name, tensorF32(x.shape, x.data)]));
  return writeSafetensors(tensors, { format: MODEL_FORMAT, program: model.manifest.program.hash });
};

/**
 * The files' contents, as bytes (what `writeModel` writes): weights, config, the certificate when
 * the manifest says the model is certified (its hash must be the manifest's), then the manifest
 * with its integrity record over the others.
 */
export const modelFiles = (model: CompiledModel, certificate?: string): Record<string, Uint8Array> => {
  const c = model.manifest.certification;
  if (c.verdict === 'verified' && (certificate === undefined || sha256Hex(certificate) !== c.certificate)) {
    throw new Error('bug: a certified manifest needs the certificate whose hash it records');
  }
  const files: Record<string, Uint8Array> = {
    [MODEL_FILES.weights]: weightsFile(model),
    [MODEL_FILES.config]: new TextEncoder().encode(json(model.config)),
    ...(c.verdict === 'verified' ? { [MODEL_FILES.certificate]: new TextEncoder().encode(certificate) } : {}),
  };
  // the manifest as it parses back (undefined fields dropped), so that its digest is the reader's
  const manifest = JSON.parse(JSON.stringify(withoutIntegrity(model.manifest))) as Record<string, unknown>;
  const withRecord = { ...manifest, integrity: integrityRecord(manifest, files) };
  const { [MODEL_FILES.weights]: weights, [MODEL_FILES.config]: config, ...rest } = files;
  return {
    [MODEL_FILES.weights]: weights as Uint8Array,
    [MODEL_FILES.config]: config as Uint8Array,
    [MODEL_FILES.manifest]: new TextEncoder().encode(json(withRecord)),
    ...rest,
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
  n_layers: Count,
  d_model: Positive,
  n_heads: Positive,
  d_head: Positive,
  d_mlp: Positive,
  d_vocab: Positive,
  d_vocab_out: Count,
  n_ctx: Positive,
  act_fn: t.literal('relu'),
  normalization_type: t.null,
  attn_scale: t.literal(1),
  causal: t.boolean,
});

/** The bytes of `path`, or a diagnostic saying it cannot be read. */
const readBytes = (path: string): Either.Either<Diagnostic, Uint8Array> => {
  try {
    return Either.right(readFileSync(path));
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    return Either.left(
      diagnostic('model/missing-file', `${path}: ${missing ? 'no such file' : (e as Error).message}`, {
        fix: 'point at a directory written by `raspc compile -o DIR`',
      }),
    );
  }
};

const parseJson = (bytes: Uint8Array, path: string): Either.Either<Diagnostic, unknown> => {
  try {
    return Either.right(JSON.parse(new TextDecoder().decode(bytes)) as unknown);
  } catch (e) {
    return Either.left(diagnostic('model/bad-json', `${path} is not valid JSON (${(e as Error).message}): the file is damaged`, { fix: RECOMPILE }));
  }
};

const validate = <A>(codec: t.Decoder<unknown, A>, value: unknown, path: string): Either.Either<Diagnostic, A> => {
  const r = codec.decode(value);
  if (Either.isRight(r)) return Either.right(r.right);
  const first = r.left[0] as t.ValidationError;
  const field = first.context
    .map((c) => c.key)
    .filter((k) => k !== '' && !/^\d+$/.test(k))
    .join('.');
  const shown = (JSON.stringify(first.value) ?? 'nothing').slice(0, 60);
  return Either.left(diagnostic('model/bad-field', `${path}: field ${field || '(root)'} is invalid (got ${shown})`, { fix: RECOMPILE }));
};

const isGpt2Config = (json: unknown): boolean =>
  typeof json === 'object' && json !== null && !('format' in json) && ('n_layer' in json || (json as { model_type?: unknown }).model_type === 'gpt2');

/** The tensors the config calls for, each present, float32 and of the configured shape. */
const configuredTensors = (config: ModelConfig, found: ReadonlyMap<string, Tensor>, weightsPath: string): Either.Either<Diagnostic, Map<string, Tensor32>> => {
  const perLayer = tensorNames(1).length - tensorNames(0).length;
  if (found.size !== tensorNames(0).length + perLayer * config.n_layers) {
    const layers = (found.size - tensorNames(0).length) / perLayer;
    const held = Number.isInteger(layers) && layers >= 0 ? `, the tensors of ${layers} layers` : '';
    return Either.left(
      diagnostic('model/tensor-count', `${weightsPath} holds ${found.size} tensors${held}; config.json gives n_layers ${config.n_layers}`, {
        fix: `the files do not belong together or were edited; ${RECOMPILE}`,
      }),
    );
  }
  const tensors = new Map<string, Tensor32>();
  const problems: Diagnostic[] = [];
  for (const name of tensorNames(config.n_layers)) {
    const shape = expectedShape(config, name);
    const tensor = expectTensor(found, name, shape, weightsPath);
    if (Either.isLeft(tensor)) {
      problems.push(...tensor.left);
      continue;
    }
    if (tensor.right.dtype !== 'F32') {
      problems.push(diagnostic('model/bad-dtype', `${weightsPath}: tensor ${name} has dtype ${tensor.right.dtype}; raspc writes F32`, { fix: RECOMPILE }));
      continue;
    }
    const data = toFloat32(tensor.right, name);
    if (Either.isLeft(data)) problems.push(...data.left);
    else tensors.set(name, { shape, data: data.right });
  }
  return problems.length > 0 ? Either.left(firstOf(problems)) : Either.right(tensors);
};

/**
 * Reads a model directory and checks everything before anything runs: each file well-formed, the
 * tensors of the shapes config.json gives and finite, the weights written for the program the
 * manifest names, config.json and manifest.json in agreement, and every file as the manifest's
 * integrity record says it was written. Left with exactly one diagnostic (naming the file and what
 * is wrong) when any check fails.
 */
export const readModel = (dir: string): Either.Either<readonly Diagnostic[], CompiledModel> => {
  const r = readChecked(dir);
  return Either.isLeft(r) ? Either.left([r.left]) : r;
};

const readChecked = (dir: string): Either.Either<Diagnostic, CompiledModel> => {
  const paths: ModelPaths = { config: join(dir, MODEL_FILES.config), manifest: join(dir, MODEL_FILES.manifest), weights: join(dir, MODEL_FILES.weights) };
  const configBytes = readBytes(paths.config);
  if (Either.isLeft(configBytes)) return configBytes;
  const configJson = parseJson(configBytes.right, paths.config);
  if (Either.isLeft(configJson)) return configJson;
  if (isGpt2Config(configJson.right)) {
    return Either.left(
      diagnostic('model/foreign', `${dir} holds a HuggingFace GPT-2 model (its config.json has no raspc format), not one raspc compiled`, {
        fix: 'this command reads directories written by `raspc compile`; `raspc decompile DIR --format drasp` reads GPT-2 models',
      }),
    );
  }
  const older = olderFormat(configJson.right, paths.config);
  if (older !== undefined) return Either.left(older);
  const config = validate(ConfigCodec, configJson.right, paths.config);
  if (Either.isLeft(config)) return config;

  const manifestBytes = readBytes(paths.manifest);
  if (Either.isLeft(manifestBytes)) return manifestBytes;
  const manifestJson = parseJson(manifestBytes.right, paths.manifest);
  if (Either.isLeft(manifestJson)) return manifestJson;
  const decoded = validate(ManifestFileCodec, manifestJson.right, paths.manifest);
  if (Either.isLeft(decoded)) return decoded;
  const raw = decoded.right;
  const { integrity: _record, ...manifest } = raw;

  const weightsBytes = readBytes(paths.weights);
  if (Either.isLeft(weightsBytes)) return weightsBytes;
  const file = readSafetensors(weightsBytes.right, paths.weights);
  if (Either.isLeft(file)) return Either.left({ ...firstOf(file.left), fix: `the file is damaged or was replaced; ${RECOMPILE}` });
  const tensors = configuredTensors(config.right, file.right.tensors, paths.weights);
  if (Either.isLeft(tensors)) return tensors;
  const nonFinite = nonFiniteWeight(tensors.right, paths.weights);
  if (nonFinite !== undefined) return Either.left(nonFinite);
  const metadata = weightsMetadataProblem(file.right.metadata, manifest, paths);
  if (metadata !== undefined) return Either.left(metadata);
  const inconsistent = configManifestProblems(config.right, manifest, paths);
  if (inconsistent.length > 0) return Either.left(firstOf(inconsistent));

  const known: Readonly<Record<string, Uint8Array>> = { [MODEL_FILES.config]: configBytes.right, [MODEL_FILES.weights]: weightsBytes.right };
  const read = (name: string): Uint8Array | undefined => {
    const bytes = known[name];
    if (bytes !== undefined) return bytes;
    const other = readBytes(join(dir, name));
    return Either.isRight(other) ? other.right : undefined;
  };
  const integrity = checkIntegrity(dir, MODEL_FILES.manifest, raw, [MODEL_FILES.config, MODEL_FILES.weights], read);
  if (Either.isLeft(integrity)) return integrity;
  const certified = certificateProblem(dir, manifest.certification, read);
  if (certified !== undefined) return Either.left(certified);
  return Either.right({ config: config.right, manifest, tensors: tensors.right });
};

/** Models of format 1 masked PAD keys at run time only (TransformerLens has no such mask): refused by name. */
const olderFormat = (config: unknown, path: string): Diagnostic | undefined => {
  if (typeof config !== 'object' || config === null) return undefined;
  const { format, version } = config as { format?: unknown; version?: unknown };
  if (format !== MODEL_FORMAT || typeof version !== 'number' || version >= MODEL_FORMAT_VERSION) return undefined;
  return diagnostic('model/old-format', `${path}: a raspc model of format ${version}; this raspc reads format ${MODEL_FORMAT_VERSION} (PAD keys masked in the weights, integrity record)`, {
    fix: RECOMPILE,
  });
};

/** A certified model's `certificate.json` must be there and be the one its manifest's verdict rests on. */
const certificateProblem = (dir: string, c: Manifest['certification'], read: (name: string) => Uint8Array | undefined): Diagnostic | undefined => {
  if (c.verdict !== 'verified') return undefined;
  const path = join(dir, MODEL_FILES.certificate);
  const bytes = read(MODEL_FILES.certificate);
  if (bytes === undefined) {
    return diagnostic('model/missing-file', `${path}: no such file, but the manifest says the model is certified`, {
      fix: 'keep certificate.json beside the model, or recompile with `raspc compile`',
    });
  }
  if (sha256Hex(bytes) !== c.certificate) {
    return diagnostic('model/certificate-mismatch', `${path} is not the certificate the manifest records (SHA-256 differs)`, {
      fix: 'the certificate was edited or belongs to another model: recompile with `raspc compile`',
    });
  }
  return undefined;
};

/** The warning every reader of an unverified model prints (undefined for a certified one). */
export const unverifiedWarning = (dir: string, model: CompiledModel): Diagnostic | undefined =>
  model.manifest.certification.verdict === 'unverified'
    ? diagnostic('model/unverified', `${join(dir, MODEL_FILES.manifest)}: this model is not certified (written with --no-verify)`, {
        fix: 'run `raspc verify PROG --model DIR`, or recompile without --no-verify',
      })
    : undefined;
