/** Tracr `lib.shift_by` and `lib.detect_pattern`. */
import * as D from '../ast/dsl.js';
import * as E from '../ast/expr.js';
import type { SOp } from '../ast/program.js';
import type { Value } from '../ast/value.js';
import { identifierPart } from './util.js';

/**
 * `sop` shifted right by `offset` positions, None-padded:
 * `aggregate(select(indices, indices, (k, q) -> q == k + offset), sop, None)`.
 *
 *   shiftBy(1, tokens) on "abcd" → [None, a, b, c]
 *
 * Tracr names the node `shift_by(offset)`; here `shift_by_<offset>` (`shift_by_minus_1` for -1).
 */
export const shiftBy = (offset: number, sop: SOp): SOp => {
  const k = E.v('k');
  const q = E.v('q');
  const selectOffByOffset = D.select(
    D.indices,
    D.indices,
    D.lambda(['k', 'q'], E.binary('==', q, E.binary('+', k, E.lit(offset)))),
  );
  return D.named(D.aggregate(selectOffByOffset, sop, null), `shift_by_${identifierPart(offset)}`);
};

/**
 * True at the last position of each occurrence of `pattern` in `sop`; the first
 * `pattern.length - 1` positions are None. The and of `shift_by(i, sop == pattern[-1-i])`.
 *
 *   detectPattern(tokens, 'abc') on "abcabc" → [None, None, True, False, False, True]
 */
export const detectPattern = (sop: SOp, pattern: string | readonly Value[]): SOp => {
  const elements: readonly Value[] = typeof pattern === 'string' ? [...pattern] : pattern;
  if (elements.length < 1) throw new RangeError('detectPattern needs a pattern of length at least 1');
  // detectors[i] is true at position j when the i-th element from the end matched at j - i
  const detectors = [...elements].reverse().map((element, i) => {
    const detector = D.eq(sop, element);
    return i === 0 ? detector : shiftBy(i, detector);
  });
  let detected = detectors.pop() as SOp;
  for (let next = detectors.pop(); next !== undefined; next = detectors.pop()) detected = D.and(detected, next);
  const label = typeof pattern === 'string' ? identifierPart(pattern) : pattern.map(identifierPart).join('_');
  return D.named(detected, `detect_pattern_${label}`);
};
