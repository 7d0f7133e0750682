/**
 * `decompile --prune` on a trained model directory: linearize, prune over a λ sweep, keep the
 * smallest program with match ≥ threshold.
 */
import * as Either from 'fp-ts/lib/Either.js';
import type { Diagnostic } from '../../diagnostics.js';
import { taskByName } from '../../train/tasks.js';
import { readTaskRecord } from '../../train/trainedModel.js';
import { readGpt2 } from '../gpt2Files.js';
import { pruneModel, type PruneCandidate, type PruneResult, type PruneSettings } from './prune.js';
import { linearizeTrained } from './trainedModelPruning.js';

export interface PrunedDecompilation extends PruneResult {
  readonly task: string;
  readonly seconds: number;
  /** The fitted LayerNorm factors and the KL before and after, when fitted. */
  readonly normFit?: { readonly factors: readonly number[]; readonly klBefore: number; readonly klAfter: number };
}

export const decompilePruned = (
  dir: string,
  settings: PruneSettings,
  taskName?: string,
  onCandidate?: (candidate: PruneCandidate) => void,
): Either.Either<readonly Diagnostic[], PrunedDecompilation> => {
  const started = Date.now();
  const model = readGpt2(dir);
  if (Either.isLeft(model)) return model;
  let name = taskName;
  if (name === undefined) {
    const record = readTaskRecord(dir);
    if (Either.isLeft(record)) return record;
    name = record.right.task;
  }
  const task = taskByName(name);
  if (Either.isLeft(task)) return Either.left([task.left]);
  const linear = linearizeTrained(task.right, model.right, 64, settings.evalMaxLength, settings.seed, settings.fitNorms);
  if (Either.isLeft(linear)) return linear;
  const result = pruneModel(task.right, linear.right.linearized, linear.right.reference, settings, onCandidate);
  if (Either.isLeft(result)) return result;
  return Either.right({ ...result.right, task: name, seconds: (Date.now() - started) / 1000, normFit: linear.right.normFit });
};
