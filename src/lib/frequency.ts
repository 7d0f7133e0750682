/**
 * Frequency programs from the RASP paper (paper_examples.rasp `hist2_bos`, `sort_by_most_freq`),
 * translated to BOS-free programs.
 *
 * The paper computes selector widths with a BOS trick (`_with_bos_selector_width`: or the selector
 * with `select(indices, 0, ==)`, read `1 / mean(indices == 0) - 1`) and its sort reserves position
 * 0 for BOS. Here the input has no BOS, so the trick becomes the `selector_width` primitive and the
 * sort is the plain stable sort; on the non-BOS positions the outputs are the paper's.
 */
import * as D from '../ast/dsl.js';
import * as E from '../ast/expr.js';
import type { SOp } from '../ast/program.js';
import type { Value } from '../ast/value.js';
import { makeHist } from './hist.js';
import { makeSortStable } from './sort.js';

/** Whether an earlier position holds the same token (paper `_has_earlier_with_bos`). */
export const makeHasEarlierCopy = (): SOp => {
  const earlierCopy = D.named(
    D.selectorAnd(D.select(D.tokens, D.tokens, D.EQ), D.select(D.indices, D.indices, D.LT)),
    'earlier_copy',
  );
  const numPrevCopies = D.named(D.selectorWidth(earlierCopy), 'num_prev_copies');
  return D.named(D.gt(numPrevCopies, 0), 'has_prev_copy');
};

/**
 * The number of distinct tokens that occur as often as this position's token (a histogram of the
 * histogram): `selector_width(select(hist, hist, ==) & select(has_prev_copy, _, key is False))`,
 * i.e. count the first occurrences of tokens with my count. The paper's `select(has_prev_copy,
 * False, ==)` has a constant query; here it is a key-only predicate, as in Tracr's `make_count`.
 *
 *   makeDoubleHist() on "aabbc" → [2, 2, 2, 2, 1]
 */
export const makeDoubleHist = (): SOp => {
  const hist = makeHist();
  const hasPrevCopy = makeHasEarlierCopy();
  const sameCount = D.select(hist, hist, D.EQ);
  const keyIsFirst = D.select(hasPrevCopy, hasPrevCopy, D.lambda(['k', 'q'], E.unary('not', E.v('k'))));
  const reprWithOwnCount = D.named(D.selectorAnd(sameCount, keyIsFirst), 'repr_with_own_count');
  return D.named(D.selectorWidth(reprWithOwnCount), 'double_hist');
};

/** The value most_freq writes into the positions after the distinct tokens (the paper's `§`). */
export const MOST_FREQ_FILL = '§';

export interface MostFreqOptions {
  /** At least the largest token count (the paper passes 300); the registry uses the max length. */
  readonly maxLen: number;
  /** The filler for the tail; default {@link MOST_FREQ_FILL}. */
  readonly fill?: Value;
}

/**
 * The distinct tokens by descending count, ties in order of first occurrence, then `fill` in the
 * remaining positions (paper `sort_by_most_freq`). Repeated occurrences get the key
 * `max_len - hist` (after every first occurrence, whose key is `-hist`) and the value `fill`;
 * then a stable sort.
 *
 *   makeMostFreq({ maxLen: 8 }) on "122333" → ["3", "2", "1", "§", "§", "§"]
 */
export const makeMostFreq = (options: MostFreqOptions): SOp => {
  const fill = options.fill === undefined ? MOST_FREQ_FILL : options.fill;
  const hist = makeHist();
  const hasEarlier = makeHasEarlierCopy();
  const h = E.v('h');
  const e = E.v('e');
  // key = -(hist - indicator(has_earlier) * max_len)
  const key = D.named(
    D.sequenceMap(
      D.lambda(['h', 'e'], E.binary('-', E.cond(e, E.lit(options.maxLen), E.lit(0)), h)),
      hist,
      hasEarlier,
    ),
    'freq_key',
  );
  const filteredTokens = D.named(
    D.sequenceMap(D.lambda(['t', 'e'], E.cond(e, E.lit(fill), E.v('t'))), D.tokens, hasEarlier),
    'filtered_tokens',
  );
  return D.named(makeSortStable(filteredTokens, key), 'most_freq');
};
