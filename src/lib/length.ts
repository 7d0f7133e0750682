/** Tracr `lib.make_length`: the length of the input at every position. */
import * as D from '../ast/dsl.js';
import type { SOp } from '../ast/program.js';

/**
 * `length = selector_width(select(tokens, tokens, TRUE))`, categorical, as in Tracr.
 *
 *   makeLength() on "abcdefg" → [7, 7, 7, 7, 7, 7, 7]
 */
export const makeLength = (): SOp => {
  const allTrue = D.named(D.select(D.tokens, D.tokens, D.TRUE), 'all_true_selector');
  return D.named(D.selectorWidth(allTrue), 'length');
};

/** The library's shared `length` node (Tracr's module-level `length`). */
export const length: SOp = makeLength();
