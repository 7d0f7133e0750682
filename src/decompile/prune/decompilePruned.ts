/**
 * `decompile --prune` on a trained model directory (or a causal model raspc compiled: its inputs
 * are its vocabulary at lengths 1 … max length): linearize, prune over a λ sweep, keep the
 * smallest program with match ≥ threshold.
 */
import * as Either from 'fp-ts/lib/Either.js';
import { join } from 'node:path';
import { diagnostic, firstOf, type Diagnostic } from '../../diagnostics.js';
import { taskByName } from '../../tasks/registry.js';
import { type Task } from '../../tasks/task.js';
import { tokensNeeded } from '../../tasks/sampling.js';
import { readTaskRecord } from '../../nn/trainedModel.js';
import { readModel, unverifiedWarning } from '../../model/files.js';
import { isCompiledModel } from '../decompileModel.js';
import type { Gpt2Config } from '../../nn/gpt2Config.js';
import { GPT2_FILES, readGpt2 } from '../../nn/gpt2Files.js';
import { compiledTask, linearizeCompiled } from './compiledPruning.js';
import { pruneModel, type PruneCandidate, type PruneResult, type PruneSettings } from './prune.js';
import { linearizeTrained, type LinearizedTrained } from './trainedModelPruning.js';

export interface PrunedDecompilation extends PruneResult {
  readonly task: string;
  readonly seconds: number;
  /** Match accuracy was measured on inputs of lengths 0 (1 for compiled models) … this. */
  readonly evalMaxLength: number;
  /** The fitted LayerNorm factors and the KL before and after, when fitted. */
  readonly normFit?: LinearizedTrained['normFit'];
  /** Problems worth a warning (an uncertified compiled model). */
  readonly warnings?: readonly Diagnostic[];
}

/** Why a GPT-2 model cannot have been trained on `task` (its token or position count), if it cannot. */
const taskMismatch = (task: Task, config: Gpt2Config, evalMaxLength: number, configPath: string): Diagnostic | undefined => {
  if (task.vocab.length !== config.vocab_size) {
    return diagnostic('prune/task-mismatch', `task ${task.name} has ${task.vocab.length} tokens but ${configPath} gives vocab_size ${config.vocab_size}: the model was not trained on it`, {
      fix: 'pass the task the model was trained on with --task (raspc train records it in task.json)',
    });
  }
  const needed = tokensNeeded(task, evalMaxLength);
  if (needed > config.n_positions) {
    return diagnostic('prune/task-mismatch', `inputs of task ${task.name} up to length ${evalMaxLength} take ${needed} positions; ${configPath} gives n_positions ${config.n_positions}`, {
      fix: 'pass the task the model was trained on with --task',
    });
  }
  return undefined;
};

export const decompilePruned = (
  dir: string,
  settings: PruneSettings,
  taskName?: string,
  onCandidate?: (candidate: PruneCandidate) => void,
): Either.Either<readonly Diagnostic[], PrunedDecompilation> => {
  const started = Date.now();
  if (isCompiledModel(dir)) {
    const compiled = readModel(dir);
    if (Either.isLeft(compiled)) return compiled;
    const maxLen = compiled.right.config.n_ctx - 1;
    const { linearized, reference } = linearizeCompiled(compiled.right);
    const result = pruneModel(compiledTask(compiled.right), linearized, reference, { ...settings, trainMaxLength: maxLen, evalMaxLength: maxLen, fitNorms: false }, onCandidate);
    if (Either.isLeft(result)) return result;
    const unverified = unverifiedWarning(dir, compiled.right);
    const warnings = unverified === undefined ? [] : [unverified];
    return Either.right({ ...result.right, task: 'compiled', seconds: (Date.now() - started) / 1000, evalMaxLength: maxLen, warnings });
  }
  const model = readGpt2(dir);
  if (Either.isLeft(model)) return Either.left([firstOf(model.left)]);
  let name = taskName;
  if (name === undefined) {
    const record = readTaskRecord(dir);
    if (Either.isLeft(record)) return record;
    name = record.right.task;
  }
  const task = taskByName(name);
  if (Either.isLeft(task)) return Either.left([task.left]);
  const mismatch = taskMismatch(task.right, model.right.config, settings.evalMaxLength, join(dir, GPT2_FILES.config));
  if (mismatch !== undefined) return Either.left([mismatch]);
  const linear = linearizeTrained(task.right, model.right, 64, settings.evalMaxLength, settings.seed, settings.fitNorms);
  if (Either.isLeft(linear)) return linear;
  const result = pruneModel(task.right, linear.right.linearized, linear.right.reference, settings, onCandidate);
  if (Either.isLeft(result)) return result;
  return Either.right({ ...result.right, task: name, seconds: (Date.now() - started) / 1000, evalMaxLength: settings.evalMaxLength, normFit: linear.right.normFit });
};
