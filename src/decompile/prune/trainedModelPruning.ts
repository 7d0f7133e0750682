/**
 * Pruning a trained GPT-2 model: its linear-LayerNorm form (LN standard deviations estimated on
 * the task's own inputs) is pruned against the true model's logits.
 */
import * as Either from 'fp-ts/lib/Either.js';
import type { Diagnostic } from '../../diagnostics.js';
import { makeBatch } from '../../train/batch.js';
import { gpt2BatchLogits } from '../../train/evaluate.js';
import { lengthsIn, sampleExamples } from '../../train/trainGpt2.js';
import type { Task } from '../../train/tasks.js';
import { mulberry32 } from '../../util/random.js';
import type { Gpt2Model } from '../gpt2Model.js';
import { estimateLnScales, gpt2AsLinearized } from '../reparam/linearLn.js';
import type { LinearizedTransformer } from '../reparam/linearizedTransformer.js';
import type { ReferenceLogits } from './prune.js';

export interface LinearizedTrained {
  readonly linearized: LinearizedTransformer;
  readonly reference: ReferenceLogits;
}

/** The linearized model and the true model's logits, for a GPT-2 model trained on `task`. */
export const linearizeTrained = (task: Task, model: Gpt2Model, lnSamples = 64, maxLength = 150, seed = 0): Either.Either<Diagnostic[], LinearizedTrained> => {
  const examples = sampleExamples(task, mulberry32(seed + 5), lengthsIn(task, 0, maxLength), lnSamples);
  const scales = estimateLnScales(
    model,
    examples.map((e) => ({ ids: Int32Array.from(e.tokens) })),
  );
  if (Either.isLeft(scales)) return scales;
  const linearized = gpt2AsLinearized(model, scales.right, { tokenNames: task.vocab });
  if (Either.isLeft(linearized)) return linearized;
  const prediction = task.kind === 'seq2seq' ? 'argmax' : 'sigmoid';
  return Either.right({
    linearized: { ...linearized.right, prediction, outputNames: task.vocab, maskedKeyTokens: [task.pad] },
    reference: (batch) => gpt2BatchLogits(model, batch),
  });
};

export { makeBatch };
