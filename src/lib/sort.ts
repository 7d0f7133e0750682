/**
 * Sorting: Tracr's `make_sort_unique`, `make_sort`, `make_sort_freq`, and the RASP paper's stable
 * sort with a composite tie-breaking selector.
 */
import * as D from '../ast/dsl.js';
import * as E from '../ast/expr.js';
import type { SOp } from '../ast/program.js';
import { makeHist } from './hist.js';

/**
 * `vals` ordered by `keys` (ascending), for unique keys: each position moves to the number of
 * keys smaller than its own. With duplicate keys two positions get the same target and the output
 * has a hole (None), or the aggregate is ambiguous when their values differ.
 *
 *   makeSortUnique(tokens, tokens) on [2, 4, 3, 1] → [1, 2, 3, 4]
 */
export const makeSortUnique = (vals: SOp, keys: SOp): SOp => {
  const smaller = D.named(D.select(keys, keys, D.LT), 'smaller');
  const targetPos = D.named(D.selectorWidth(smaller), 'target_pos');
  const selNew = D.select(targetPos, D.indices, D.EQ);
  return D.named(D.aggregate(selNew, vals), 'sort');
};

export interface SortBounds {
  /** The largest input length the program is used at (keeps the tie-break below 1). */
  readonly maxSeqLen: number;
  /** The tie-break scale; Tracr passes the smallest key. */
  readonly minKey: number;
}

/**
 * Tracr's `make_sort`: `vals` ordered by numerical `keys` that need not be unique. Instead of a
 * composite selector, ties are broken by making the keys unique: `key + min_key * i / max_seq_len`
 * (so equal keys keep their input order), then {@link makeSortUnique}.
 *
 *   makeSort(tokens, tokens, { maxSeqLen: 5, minKey: 1 }) on [2, 4, 1, 2] → [1, 2, 2, 4]
 */
export const makeSort = (vals: SOp, keys: SOp, bounds: SortBounds): SOp => {
  const x = E.v('x');
  const i = E.v('i');
  const tieBreak = E.binary('/', E.binary('*', E.lit(bounds.minKey), i), E.lit(bounds.maxSeqLen));
  const uniqueKeys = D.sequenceMap(D.lambda(['x', 'i'], E.binary('+', x, tieBreak)), keys, D.indices);
  return makeSortUnique(vals, uniqueKeys);
};

/**
 * Tracr's `make_sort_freq`: tokens ordered by descending frequency, equally frequent tokens in
 * input order (`make_sort(tokens, -hist, max_seq_len, min_key=1)`).
 *
 *   makeSortFreq(5) on [2, 4, 2, 1] → [2, 2, 4, 1]
 */
export const makeSortFreq = (maxSeqLen: number): SOp => {
  const negHist = D.mul(-1, makeHist());
  return D.named(makeSort(D.tokens, negHist, { maxSeqLen, minKey: 1 }), 'sort_freq');
};

/**
 * The RASP paper's stable sort (rasplib `sort`): position q goes to the number of positions that
 * must come before it, `key < key_q` or (`key == key_q` and earlier). Works for any ordered keys
 * (numbers or strings) and duplicates; needs the composite selectors `|` and `&`.
 *
 *   makeSortStable(tokens, tokens) on "dbca" → "abcd"
 */
export const makeSortStable = (vals: SOp, keys: SOp): SOp => {
  const smaller = D.select(keys, keys, D.LT);
  const tie = D.selectorAnd(D.select(keys, keys, D.EQ), D.select(D.indices, D.indices, D.LT));
  const earlier = D.named(D.selectorOr(smaller, tie), 'select_earlier_in_sorted');
  const targetPosition = D.named(D.selectorWidth(earlier), 'target_position');
  const selectNewVal = D.named(D.select(targetPosition, D.indices, D.EQ), 'select_new_val');
  return D.named(D.aggregate(selectNewVal, vals), 'sort');
};
