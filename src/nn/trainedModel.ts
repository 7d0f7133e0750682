/**
 * A trained model on disk: the HuggingFace GPT-2 directory (config.json, model.safetensors) plus
 * `task.json` (the task and training settings, which `decompile --prune` reads to draw inputs) and
 * `acc.json` (accuracy per length bin, measured on the saved float32 weights).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as Either from 'fp-ts/lib/Either.js';
import { diagnostic, type Diagnostic } from '../diagnostics.js';
import { writeGpt2 } from './gpt2Files.js';
import type { Gpt2Model } from './gpt2Model.js';
import type { BinAccuracy } from './evaluate.js';

/** The settings a model was trained with, as task.json records them. */
export interface TrainSettings {
  readonly layers: number;
  readonly heads: number;
  readonly dModel: number;
  readonly steps: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly seed: number;
  /** Training input lengths are 0 … this (default 50). */
  readonly maxTrainLength: number;
  /** The longest input length the model must take (its positions are trained; default 150). */
  readonly maxTestLength: number;
}

export const TASK_FILE = 'task.json';
export const ACCURACY_FILE = 'acc.json';

export interface TaskRecord {
  readonly task: string;
  readonly settings: TrainSettings;
}

export interface AccuracyRecord {
  readonly task: string;
  readonly parameters: number;
  readonly bins: readonly BinAccuracy[];
  readonly trainSeconds: number;
  readonly finalLoss: number;
}

/** Every weight rounded to float32, as it will be saved. */
export const roundedToFloat32 = (model: Gpt2Model): Gpt2Model => {
  const r = (a: Float64Array): Float64Array => a.map((v) => Math.fround(v));
  const tokenEmbedding = r(model.tokenEmbedding);
  return {
    config: model.config,
    tokenEmbedding,
    positionEmbedding: r(model.positionEmbedding),
    blocks: model.blocks.map((b) => ({
      ln1Weight: r(b.ln1Weight),
      ln1Bias: r(b.ln1Bias),
      qkvWeight: r(b.qkvWeight),
      qkvBias: r(b.qkvBias),
      attnOutWeight: r(b.attnOutWeight),
      attnOutBias: r(b.attnOutBias),
      ln2Weight: r(b.ln2Weight),
      ln2Bias: r(b.ln2Bias),
      mlpInWeight: r(b.mlpInWeight),
      mlpInBias: r(b.mlpInBias),
      mlpOutWeight: r(b.mlpOutWeight),
      mlpOutBias: r(b.mlpOutBias),
    })),
    finalLnWeight: r(model.finalLnWeight),
    finalLnBias: r(model.finalLnBias),
    unembedding: model.unembedding === model.tokenEmbedding ? tokenEmbedding : r(model.unembedding),
  };
};

export const parameterCount = (model: Gpt2Model): number => {
  const arrays = new Set<Float64Array>([model.tokenEmbedding, model.positionEmbedding, model.finalLnWeight, model.finalLnBias, model.unembedding]);
  for (const b of model.blocks) for (const a of Object.values(b)) arrays.add(a);
  let n = 0;
  for (const a of arrays) n += a.length;
  return n;
};

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

export const writeTrainedModel = (dir: string, model: Gpt2Model, task: TaskRecord, accuracy: AccuracyRecord): Either.Either<Diagnostic[], string[]> => {
  const written = writeGpt2(dir, model, { dtype: 'F32' });
  if (Either.isLeft(written)) return written;
  try {
    writeFileSync(join(dir, TASK_FILE), json(task));
    writeFileSync(join(dir, ACCURACY_FILE), json(accuracy));
  } catch (e) {
    return Either.left([diagnostic('io/write', `cannot write to ${dir}: ${(e as Error).message}`, { fix: 'check the output directory' })]);
  }
  return Either.right([...written.right, join(dir, TASK_FILE), join(dir, ACCURACY_FILE)]);
};

/** The task record of a trained model directory; Left when absent or malformed. */
export const readTaskRecord = (dir: string): Either.Either<Diagnostic[], TaskRecord> => {
  const path = join(dir, TASK_FILE);
  if (!existsSync(path)) {
    return Either.left([diagnostic('train/no-task', `${path} not found: pruning draws inputs from the task the model was trained on`, { fix: 'train the model with `raspc train`, or pass --task NAME' })]);
  }
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<TaskRecord>;
    if (typeof parsed.task !== 'string') throw new Error('no "task" string');
    return Either.right(parsed as TaskRecord);
  } catch (e) {
    return Either.left([diagnostic('train/bad-task-file', `${path} is not a task record: ${(e as Error).message}`, { fix: 'write {"task": NAME} or retrain the model' })]);
  }
};
