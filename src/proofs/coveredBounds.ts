/**
 * Which bounds a compiled model can be verified at: those it covers. A model compiled for
 * vocabulary V, lengths 1..N and a causality covers every vocabulary V' ⊆ V and length N' ≤ N
 * with the same causality: each input within (V', N') is an input within (V, N), on which the
 * model computes exactly what it computes there. (A different causality is a different program
 * semantics, so it is never covered.) verify.ts then checks exhaustively only the inputs within
 * (V', N'); a lemma proven at (V, N) holds on them too.
 */
import * as Either from 'fp-ts/lib/Either.js';
import { showValue, type Value } from '../ast/value.js';
import { diagnostic, type Diagnostic } from '../diagnostics.js';
import type { Manifest } from '../model/model.js';
import type { Bounds } from '../typecheck/bounds.js';

/** The model's token id of each token of the requested vocabulary (ids as `tokenIds` gives them). */
export type TokenIds = readonly number[];

export const showSet = (vocab: readonly Value[]): string => `{${vocab.map(showValue).join(', ')}}`;

/** Whether the two bounds are the same (same vocabulary in the same order, length, causality). */
export const sameBounds = (a: Bounds | Manifest['bounds'], b: Bounds | Manifest['bounds']): boolean =>
  a.maxLen === b.maxLen && a.causal === b.causal && a.vocab.length === b.vocab.length && a.vocab.every((v, i) => v === b.vocab[i]);

/**
 * The model's token ids for `requested`'s vocabulary, when the model's bounds cover it; otherwise
 * one diagnostic saying every way they do not.
 */
export const coveredBounds = (requested: Bounds, model: Manifest['bounds']): Either.Either<Diagnostic, TokenIds> => {
  const problems: string[] = [];
  const fixes: string[] = [];
  if (requested.causal !== model.causal) {
    problems.push(model.causal ? 'the model is causal; verify it with --causal' : 'the model is not causal; --causal asks for a causal one');
    fixes.push(model.causal ? 'add --causal' : 'drop --causal');
  }
  if (requested.maxLen > model.maxLen) {
    problems.push(`--max-len ${requested.maxLen} is beyond the model's maximum length ${model.maxLen}`);
    fixes.push(`verify at --max-len ${model.maxLen} or less, or recompile with --max-len ${requested.maxLen}`);
  }
  // tokens match as the model's runtime matches them (tokenIds: strict equality)
  const ids = requested.vocab.map((v) => model.vocab.findIndex((w) => w === v) + 2);
  const outside = requested.vocab.filter((_, i) => ids[i] === 1);
  if (outside.length > 0) {
    problems.push(`${outside.length === 1 ? 'token' : 'tokens'} ${outside.map(showValue).join(', ')} ${outside.length === 1 ? 'is' : 'are'} not in the model's vocabulary ${showSet(model.vocab)}`);
    fixes.push('verify with tokens of the model\'s vocabulary, or recompile with a larger --vocab');
  }
  if (problems.length > 0) {
    return Either.left(
      diagnostic('verify/bounds-not-covered', `the model does not cover the bounds given: ${problems.join('; ')}`, { fix: fixes.join('; ') }),
    );
  }
  return Either.right(ids);
};
