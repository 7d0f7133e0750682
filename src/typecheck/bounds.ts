import * as Either from 'fp-ts/lib/Either.js';
import { diagnostic, type Diagnostic } from '../diagnostics.js';
import { showValue, valueEquals, type Value } from '../ast/value.js';
import { mergedTokens, unrepresentableValue } from './representable.js';

/** What a program is checked and compiled for: the vocabulary, the maximum length, causal or not. */
export interface Bounds {
  readonly vocab: readonly Value[];
  readonly maxLen: number;
  readonly causal: boolean;
}

export const makeBounds = (
  vocab: readonly Value[],
  maxLen: number,
  causal = false,
): Either.Either<readonly Diagnostic[], Bounds> => {
  const problems: Diagnostic[] = [];
  if (vocab.length === 0) {
    problems.push(diagnostic('bounds/vocab', 'the vocabulary is empty', { fix: 'pass --vocab a,b,c' }));
  }
  vocab.forEach((v, i) => {
    if (v === null) problems.push(diagnostic('bounds/vocab', `vocabulary item ${i + 1} is None`, { fix: 'remove it' }));
    const bad = unrepresentableValue(v);
    if (bad !== undefined) {
      problems.push(diagnostic('bounds/vocab', `vocabulary item ${i + 1} is ${bad}`, { fix: 'use finite numbers within ±(2^53 − 1), or strings' }));
      return;
    }
    const j = vocab.findIndex((w) => valueEquals(v, w));
    if (j < i) {
      problems.push(
        diagnostic('bounds/vocab', `vocabulary item ${showValue(v)} appears twice (items ${j + 1} and ${i + 1})`, {
          fix: 'list each token once',
        }),
      );
    }
  });
  const merged = mergedTokens(vocab);
  if (merged !== undefined) problems.push(diagnostic('bounds/vocab', `vocabulary items ${merged}`, { fix: 'use tokens further apart (or strings)' }));
  if (!Number.isInteger(maxLen) || maxLen < 1) {
    problems.push(diagnostic('bounds/max-len', `max length must be a positive integer, got ${maxLen}`, { fix: 'pass --max-len 5' }));
  }
  return problems.length > 0 ? Either.left(problems) : Either.right({ vocab: [...vocab], maxLen, causal });
};

/** Checks one input against the bounds: every token in the vocabulary, length within 1..maxLen. */
export const checkInput = (input: readonly Value[], bounds: Bounds): readonly Diagnostic[] => {
  const problems: Diagnostic[] = [];
  if (input.length === 0) {
    problems.push(diagnostic('input/empty', 'the input is empty', { fix: 'give at least one token, e.g. --input "a b"' }));
  }
  if (input.length > bounds.maxLen) {
    problems.push(
      diagnostic('input/too-long', `the input has ${input.length} tokens, more than the max length ${bounds.maxLen}`, {
        fix: `shorten the input or raise --max-len to ${input.length}`,
      }),
    );
  }
  input.forEach((t, i) => {
    if (!bounds.vocab.some((v) => valueEquals(v, t) && typeof v === typeof t)) {
      problems.push(
        diagnostic('input/out-of-vocabulary', `token ${JSON.stringify(t)} is not in the vocabulary {${bounds.vocab.map(showValue).join(', ')}}`, {
          where: `input position ${i}`,
          fix: 'use vocabulary tokens only, or add it to --vocab',
        }),
      );
    }
  });
  return problems;
};
