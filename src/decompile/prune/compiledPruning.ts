/**
 * Pruning a model this project compiled (causal ones): its exact linearized form, inputs drawn
 * from its vocabulary at lengths 1 … max length, every input position an output. The reference
 * is the unpruned model itself (fromCompiled.ts is exact).
 */
import * as Either from 'fp-ts/lib/Either.js';
import { diagnostic } from '../../diagnostics.js';
import { Tape } from '../../nn/autodiff/tape.js';
import type { Task } from '../../tasks/task.js';
import { randomInt } from '../../util/random.js';
import { BOS_ID, PAD_ID, type CompiledModel } from '../../model/model.js';
import { compiledAsLinearized } from '../reparam/fromCompiled.js';
import { maskedForward } from './maskedForward.js';
import type { LinearizedTrained } from './trainedModelPruning.js';

/** The compiled model's input space as a task: `<bos> x1 … xL`, outputs at positions 1 … L. */
export const compiledTask = (model: CompiledModel): Task => {
  const vocab = model.manifest.tokens.map((t) => String(t.token));
  const maxLen = model.config.n_ctx - 1;
  const symbols = vocab.length - 2;
  const hasLength = (n: number): boolean => n >= 1 && n <= maxLen;
  return {
    name: 'compiled',
    kind: 'seq2seq',
    symbols: vocab.slice(2),
    vocab,
    bos: BOS_ID,
    sep: BOS_ID,
    eos: BOS_ID,
    pad: PAD_ID,
    hasLength,
    generate: (random, length) => {
      if (!hasLength(length)) return Either.left(diagnostic('train/task-length', `the model takes lengths 1..${maxLen}, not ${length}`));
      const tokens = [BOS_ID, ...Array.from({ length }, () => 2 + randomInt(random, symbols))];
      const lossPositions = Array.from({ length }, (_, i) => i + 1);
      return Either.right({ tokens, lossPositions, targets: lossPositions.map(() => 0), nextSets: [] });
    },
  };
};

export const linearizeCompiled = (model: CompiledModel): LinearizedTrained => {
  const linearized = compiledAsLinearized(model);
  return { linearized, reference: (batch) => maskedForward(new Tape(), linearized, batch).logits.value };
};
