import * as Either from 'fp-ts/lib/Either.js';
import { showValue, type Value } from '../ast/value.js';
import { diagnostic, type Diagnostic } from '../diagnostics.js';
import { decodeLogits, type Decoded } from './decode.js';
import { PreparedModel, tokenIds } from './forward.js';
import type { CompiledModel } from './model.js';

/** Runs a compiled model on one input and decodes its output (positions 1..n; BOS dropped). */
export const runModel = (
  model: CompiledModel | PreparedModel,
  input: readonly Value[],
  padTo?: number,
): Either.Either<readonly Diagnostic[], Decoded[]> => {
  const prepared = model instanceof PreparedModel ? model : new PreparedModel(model);
  const m = prepared.model;
  const { vocab, maxLen } = m.manifest.bounds;
  if (input.length === 0) return Either.left([diagnostic('input/empty', 'the input is empty', { fix: 'give at least one token' })]);
  if (input.length > maxLen || (padTo ?? 0) > maxLen) {
    return Either.left([
      diagnostic('input/too-long', `the input has ${input.length} tokens; the model was compiled for at most ${maxLen}`, {
        fix: `recompile with --max-len ${input.length}`,
      }),
    ]);
  }
  const ids = tokenIds(m, input, padTo);
  if (!(ids instanceof Int32Array)) {
    return Either.left([
      diagnostic('input/out-of-vocabulary', `token ${JSON.stringify(input[ids.outOfVocabulary])} is not in the model's vocabulary {${vocab.map(showValue).join(', ')}}`, {
        where: `input position ${ids.outOfVocabulary}`,
        fix: 'use vocabulary tokens only, or recompile with a larger --vocab',
      }),
    ]);
  }
  return Either.right(decodeLogits(prepared.logits(prepared.run(ids)), input.length, m.manifest.output));
};
