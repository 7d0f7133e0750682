/**
 * `raspc decompile`: a model directory to a program. This project's compiled models (config
 * format `raspc-model`) go to RASP (roundTrip.ts) or to D-RASP (the faithful re-parameterization);
 * HuggingFace GPT-2 models go to D-RASP under the linear-LayerNorm assumption, with the LayerNorm
 * scales estimated on random inputs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as Either from 'fp-ts/lib/Either.js';
import { printProgram } from '../ast/printer.js';
import { diagnostic, firstOf, type Diagnostic } from '../diagnostics.js';
import { MODEL_FILES, readModel, unverifiedWarning } from '../model/files.js';
import { MODEL_FORMAT } from '../model/model.js';
import { taskByName } from '../tasks/registry.js';
import { readTaskRecord } from '../nn/trainedModel.js';
import { mulberry32 } from '../util/random.js';
import { printDrasp } from './drasp/printer.js';
import { readGpt2 } from '../nn/gpt2Files.js';
import { reparameterize } from './reparam/expandPaths.js';
import { compiledAsLinearized } from './reparam/fromCompiled.js';
import { estimateLnScales, gpt2AsLinearized, type Gpt2Sample } from './reparam/linearLn.js';
import { programSize, recoverProgram } from './roundTrip.js';

export type DecompileFormat = 'rasp' | 'drasp';

export interface Decompiled {
  readonly text: string;
  readonly kind: 'compiled' | 'gpt2';
  /** Operations (RASP) or paths (D-RASP). */
  readonly size: number;
  readonly notes: readonly string[];
  /** Problems worth a warning (an uncertified compiled model). */
  readonly warnings: readonly Diagnostic[];
}

/** Random token sequences for estimating LayerNorm scales (seeded: same model, same program). */
const samplesFor = (vocab: number, maxLen: number, count: number): Gpt2Sample[] => {
  const rnd = mulberry32(20261122);
  return Array.from({ length: count }, () => {
    const n = 1 + Math.floor(rnd() * maxLen);
    return { ids: Int32Array.from({ length: n }, () => Math.floor(rnd() * vocab)) };
  });
};

/** The token names of a model `raspc train` wrote (its task.json), when they fit the vocabulary. */
const trainedVocabulary = (dir: string, size: number): readonly string[] | undefined => {
  const record = readTaskRecord(dir);
  if (Either.isLeft(record)) return undefined;
  const task = taskByName(record.right.task);
  return Either.isRight(task) && task.right.vocab.length === size ? task.right.vocab : undefined;
};

/**
 * Whether `dir` holds a model `raspc compile` wrote: it has a manifest.json, or its config.json
 * says so. Either way it is read (and checked) as one, never as a foreign GPT-2 model.
 */
export const isCompiledModel = (dir: string): boolean => {
  if (existsSync(join(dir, MODEL_FILES.manifest))) return true;
  try {
    return (JSON.parse(readFileSync(join(dir, MODEL_FILES.config), 'utf8')) as { format?: unknown }).format === MODEL_FORMAT;
  } catch {
    return false;
  }
};

export const decompileModel = (dir: string, format: DecompileFormat): Either.Either<readonly Diagnostic[], Decompiled> => {
  if (!existsSync(join(dir, 'config.json'))) {
    return Either.left([diagnostic('model/missing-file', `${join(dir, 'config.json')}: no such file`, { fix: 'point at a model directory (raspc compile -o DIR, or a HuggingFace GPT-2 directory)' })]);
  }
  if (isCompiledModel(dir)) {
    const model = readModel(dir);
    if (Either.isLeft(model)) return model;
    const unverified = unverifiedWarning(dir, model.right);
    const warnings = unverified === undefined ? [] : [unverified];
    if (format === 'rasp') {
      const r = recoverProgram(model.right);
      if (Either.isLeft(r)) return r;
      const text = printProgram(r.right.program);
      if (Either.isLeft(text)) return text;
      return Either.right({ text: text.right, kind: 'compiled', size: programSize(r.right.program), notes: r.right.blocks, warnings });
    }
    const r = reparameterize(compiledAsLinearized(model.right));
    if (Either.isLeft(r)) return r;
    return Either.right({ text: printDrasp(r.right.program), kind: 'compiled', size: r.right.stats.paths, notes: [`${r.right.stats.paths} paths`], warnings });
  }
  if (format === 'rasp') {
    return Either.left([diagnostic('decompile/format', 'only models compiled by raspc decompile to RASP directly', { fix: 'use --format drasp for a GPT-2 model' })]);
  }
  const model = readGpt2(dir);
  if (Either.isLeft(model)) return Either.left([firstOf(model.left)]);
  const c = model.right.config;
  const scales = estimateLnScales(model.right, samplesFor(c.vocab_size, Math.min(c.n_positions, 50), 64));
  if (Either.isLeft(scales)) return scales;
  const linear = gpt2AsLinearized(model.right, scales.right, { tokenNames: trainedVocabulary(dir, c.vocab_size) });
  if (Either.isLeft(linear)) return linear;
  const r = reparameterize(linear.right);
  if (Either.isLeft(r)) return r;
  return Either.right({
    text: printDrasp(r.right.program),
    kind: 'gpt2',
    size: r.right.stats.paths,
    notes: [`${r.right.stats.paths} paths`, 'linear-LayerNorm assumption: scales estimated on 64 random sequences (seed 20261122)'],
    warnings: [],
  });
};
