/**
 * Pruning a trained GPT-2 model: its linear-LayerNorm form (LN standard deviations estimated on
 * the task's own inputs) is pruned against the true model's logits.
 */
import * as Either from 'fp-ts/lib/Either.js';
import type { Diagnostic } from '../../diagnostics.js';
import { gpt2BatchLogits, testBatches } from '../../nn/evaluate.js';
import { lengthsIn, sampleExamples } from '../../tasks/sampling.js';
import type { Task } from '../../tasks/task.js';
import { mulberry32 } from '../../util/random.js';
import type { Gpt2Model } from '../../nn/gpt2Model.js';
import { estimateLnScales, gpt2AsLinearized } from '../reparam/linearLn.js';
import type { LinearizedTransformer } from '../reparam/linearizedTransformer.js';
import { fitNormScales, type NormFit } from './fitLayerNorm.js';
import { matchAccuracy, type ReferenceLogits } from './prune.js';

export interface LinearizedTrained {
  readonly linearized: LinearizedTransformer;
  readonly reference: ReferenceLogits;
  /** How the LayerNorm constants were fitted (fitLayerNorm.ts); absent when not. */
  readonly normFit?: Omit<NormFit, 'model'>;
}

/**
 * The linearized model and the true model's logits, for a GPT-2 model trained on `task`; with
 * `fitNorms`, the LayerNorm constants fitted to the model on 32 inputs of length ≤ maxLength (kept
 * only when the linearized model's match on 64 other inputs does not drop).
 */
export const linearizeTrained = (task: Task, model: Gpt2Model, lnSamples = 64, maxLength = 150, seed = 0, fitNorms = false): Either.Either<Diagnostic[], LinearizedTrained> => {
  const examples = sampleExamples(task, mulberry32(seed + 5), lengthsIn(task, 0, maxLength), lnSamples);
  const scales = estimateLnScales(
    model,
    examples.map((e) => ({ ids: Int32Array.from(e.tokens) })),
  );
  if (Either.isLeft(scales)) return scales;
  const linearized = gpt2AsLinearized(model, scales.right, { tokenNames: task.vocab });
  if (Either.isLeft(linearized)) return linearized;
  const prediction = task.kind === 'seq2seq' ? 'argmax' : 'sigmoid';
  const plain: LinearizedTransformer = { ...linearized.right, prediction, outputNames: task.vocab, maskedKeyTokens: [task.pad] };
  const reference: ReferenceLogits = (batch) => gpt2BatchLogits(model, batch);
  if (!fitNorms) return Either.right({ linearized: plain, reference });
  const { model: fitted, ...normFit } = fitNormScales(task, plain, reference, testBatches(task, { low: 0, high: maxLength }, 32, seed + 77, 16));
  // The fit lowers the KL on its inputs; keep it only when whole-sequence agreement does not drop.
  const check = testBatches(task, { low: 0, high: maxLength }, 64, seed + 78, 16, true);
  const kept = matchAccuracy(task, fitted, reference, check) >= matchAccuracy(task, plain, reference, check);
  return Either.right(kept ? { linearized: fitted, reference, normFit } : { linearized: plain, reference, normFit: { ...normFit, factors: normFit.factors.map(() => 1), klAfter: normFit.klBefore } });
};
