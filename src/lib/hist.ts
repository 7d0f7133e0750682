/** Tracr `lib.make_hist` (the RASP paper's histogram). */
import * as D from '../ast/dsl.js';
import type { SOp } from '../ast/program.js';

/**
 * The number of times each position's token occurs in the input:
 * `selector_width(select(tokens, tokens, ==))`.
 *
 *   makeHist() on "abac" → [2, 1, 2, 1]
 */
export const makeHist = (): SOp => {
  const sameTok = D.named(D.select(D.tokens, D.tokens, D.EQ), 'same_tok');
  return D.named(D.selectorWidth(sameTok), 'hist');
};
