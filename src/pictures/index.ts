/** The pictures `raspc show` draws, as Vega-Lite specifications (render.ts renders them). */
import * as Either from 'fp-ts/lib/Either.js';
import { showValue, type Value } from '../ast/value.js';
import { diagnostic, type Diagnostic } from '../diagnostics.js';
import { PreparedModel, tokenIds, type Trace } from '../model/forward.js';
import type { CompiledModel } from '../model/model.js';
import { lookupTables } from './lookupTables.js';
import { attentionSpec, dagSpec, mlpSpec, residualSpec, type Spec } from './specs.js';

export const PICTURES = ['residual', 'attention', 'dag', 'mlp'] as const;
export type PictureKind = (typeof PICTURES)[number];

export const isPictureKind = (s: string): s is PictureKind => (PICTURES as readonly string[]).includes(s);

/** Runs the model on one input, keeping the residual stream and attention weights. */
export const traceOf = (model: CompiledModel, input: readonly Value[]): Either.Either<readonly Diagnostic[], Trace> => {
  const maxLen = model.manifest.bounds.maxLen;
  if (input.length === 0 || input.length > maxLen) {
    return Either.left([diagnostic('input/length', `the input has ${input.length} tokens; this model takes 1 to ${maxLen}`, { fix: 'give a shorter (or non-empty) --input' })]);
  }
  const ids = tokenIds(model, input);
  if (!(ids instanceof Int32Array)) {
    const bad = input[ids.outOfVocabulary] as Value;
    return Either.left([
      diagnostic('input/out-of-vocabulary', `token ${showValue(bad)} (position ${ids.outOfVocabulary}) is not in the vocabulary`, {
        fix: `use tokens from {${model.manifest.bounds.vocab.map(showValue).join(', ')}}`,
      }),
    ]);
  }
  const trace: Trace = { residuals: [], attention: [] };
  new PreparedModel(model).run(ids, trace);
  return Either.right(trace);
};

export const pictureSpec = (model: CompiledModel, kind: PictureKind, input?: readonly Value[]): Either.Either<readonly Diagnostic[], Spec> => {
  if (kind === 'dag') return Either.right(dagSpec(model));
  if (kind === 'mlp') return Either.right(mlpSpec(lookupTables(model)));
  if (input === undefined) return Either.left([diagnostic('cli/missing-input', `the ${kind} picture needs an input`, { fix: 'add --input "a b c"' })]);
  const trace = traceOf(model, input);
  if (Either.isLeft(trace)) return trace;
  return Either.right(kind === 'residual' ? residualSpec(model, input, trace.right) : attentionSpec(model, input, trace.right));
};
