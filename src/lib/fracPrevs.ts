/** Tracr `lib.make_frac_prevs` (the RASP paper's running fraction). */
import * as D from '../ast/dsl.js';
import type { SOp } from '../ast/program.js';

/**
 * The fraction of positions up to and including this one where `bools` is true: a numerical mean
 * over `select(indices, indices, <=)` with default 0.
 *
 *   makeFracPrevs(eq(tokens, 'l')) on "hello" → [0, 0, 1/3, 1/2, 2/5]
 *
 * Causal-compatible: the selector only looks at keys at or before the query.
 */
export const makeFracPrevs = (bools: SOp): SOp => {
  const numericBools = D.numerical(bools);
  const prevs = D.select(D.indices, D.indices, D.LEQ);
  return D.named(D.numerical(D.aggregate(prevs, numericBools, 0)), 'frac_prevs');
};
