/** Tracr `lib.make_reverse`. */
import * as D from '../ast/dsl.js';
import type { SOp } from '../ast/program.js';
import { length } from './length.js';

/**
 * Reverses `sop`: `aggregate(select(indices, length - indices - 1, ==), sop)`.
 *
 *   makeReverse(tokens) on "Hello" → "olleH"
 *
 * Same nodes as Tracr: `opp_idx = length - indices` (a sequence map), `opp_idx - 1` (a map; Tracr
 * names it `opp_idx-1`, here `opp_idx_minus_1`), the `reverse_selector` and the categorical
 * aggregate `reverse`.
 */
export const makeReverse = (sop: SOp): SOp => {
  const oppIdx = D.named(D.sub(length, D.indices), 'opp_idx');
  const oppIdxMinus1 = D.named(D.sub(oppIdx, 1), 'opp_idx_minus_1');
  const reverseSelector = D.named(D.select(D.indices, oppIdxMinus1, D.EQ), 'reverse_selector');
  return D.named(D.aggregate(reverseSelector, sop), 'reverse');
};
