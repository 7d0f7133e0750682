import * as Either from 'fp-ts/lib/Either.js';
import { diagnostic, type Diagnostic } from '../diagnostics.js';
import { isNumberLike, showValue, toNumber, type Value } from '../ast/value.js';
import { mergedTokens, unrepresentableValue } from './representable.js';

/** What a program is checked and compiled for: the vocabulary, the maximum length, causal or not. */
export interface Bounds {
  readonly vocab: readonly Value[];
  readonly maxLen: number;
  readonly causal: boolean;
}

/** A string equal for two values exactly when {@link valueEquals} holds (so duplicates are found in linear time). */
const valueKey = (v: Value): string =>
  v === null ? 'None' : isNumberLike(v) ? `n${toNumber(v)}` : typeof v === 'string' ? `s${v}` : `t(${v.map(valueKey).join(',')})`;

/**
 * The largest max length and vocabulary the checker accepts: each is one value set (indices,
 * tokens), and value sets above MAX_VALUE_SET values are refused anyway. Real limits come sooner,
 * from the size estimate (src/typecheck/sizeEstimate.ts, `--max-params`).
 */
export const MAX_LENGTH = 100_000;
export const MAX_VOCABULARY = 100_000;

export const makeBounds = (
  vocab: readonly Value[],
  maxLen: number,
  causal = false,
): Either.Either<readonly Diagnostic[], Bounds> => {
  const problems: Diagnostic[] = [];
  if (vocab.length === 0) {
    problems.push(diagnostic('bounds/vocab', 'the vocabulary is empty', { fix: 'pass --vocab a,b,c' }));
  }
  if (vocab.length > MAX_VOCABULARY) {
    // checked before anything looks at the items: each check below is linear or worse in them
    return Either.left([
      diagnostic('bounds/vocab', `the vocabulary has ${vocab.length} tokens, more than ${MAX_VOCABULARY}`, { fix: 'use a smaller vocabulary' }),
    ]);
  }
  const firstIndex = new Map<string, number>();
  vocab.forEach((v, i) => {
    if (v === null) problems.push(diagnostic('bounds/vocab', `vocabulary item ${i + 1} is None`, { fix: 'remove it' }));
    const bad = unrepresentableValue(v);
    if (bad !== undefined) {
      problems.push(diagnostic('bounds/vocab', `vocabulary item ${i + 1} is ${bad}`, { fix: 'use finite numbers within ±(2^53 − 1), or strings' }));
      return;
    }
    const key = valueKey(v);
    const j = firstIndex.get(key) ?? i;
    if (j === i) firstIndex.set(key, i);
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
  } else if (maxLen > MAX_LENGTH) {
    problems.push(diagnostic('bounds/max-len', `max length must be at most ${MAX_LENGTH}, got ${maxLen}`, { fix: 'use a smaller max length' }));
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
  const known = new Set(bounds.vocab.map((v) => `${typeof v}${valueKey(v)}`));
  const shown = bounds.vocab.length <= 12 ? bounds.vocab.map(showValue).join(', ') : `${bounds.vocab.slice(0, 8).map(showValue).join(', ')}, … (${bounds.vocab.length} tokens)`;
  input.forEach((t, i) => {
    if (!known.has(`${typeof t}${valueKey(t)}`)) {
      problems.push(
        diagnostic('input/out-of-vocabulary', `token ${JSON.stringify(t)} is not in the vocabulary {${shown}}`, {
          where: `input position ${i}`,
          fix: 'use vocabulary tokens only, or add it to --vocab',
        }),
      );
    }
  });
  return problems;
};
