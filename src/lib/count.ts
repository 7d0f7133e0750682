/** Tracr `lib.make_count` and `lib.make_count_less_freq`. */
import * as D from '../ast/dsl.js';
import * as E from '../ast/expr.js';
import type { SOp } from '../ast/program.js';
import type { Value } from '../ast/value.js';
import { makeHist } from './hist.js';
import { identifierPart } from './util.js';

/**
 * The number of positions where `sop` equals `token`, at every position:
 * `selector_width(select(sop, sop, (k, q) -> k == token))`.
 *
 *   makeCount(tokens, 'a') on "aaabbc" → [3, 3, 3, 3, 3, 3]
 *
 * Tracr names the node `count_<token>`; here the token part is made identifier-safe.
 */
export const makeCount = (sop: SOp, token: Value): SOp => {
  const keyIsToken = D.lambda(['k', 'q'], E.binary('==', E.v('k'), E.lit(token)));
  return D.named(D.selectorWidth(D.select(sop, sop, keyIsToken)), `count_${identifierPart(token)}`);
};

/**
 * The number of positions whose token occurs at most `n` times, at every position:
 * `selector_width(select(hist, hist, (k, q) -> k <= n))`. (Tracr's docstring says "fewer than n";
 * its code, followed here, uses `<=`.)
 *
 *   makeCountLessFreq(2) on "aaabbc" → [3, 3, 3, 3, 3, 3]
 */
export const makeCountLessFreq = (n: number): SOp => {
  const hist = D.named(makeHist(), 'hist');
  const selectLess = D.named(
    D.select(hist, hist, D.lambda(['x', 'y'], E.binary('<=', E.v('x'), E.lit(n)))),
    'select_less',
  );
  return D.named(D.selectorWidth(selectLess), 'count_less_freq');
};
