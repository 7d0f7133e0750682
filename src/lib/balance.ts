/** Tracr `lib.make_pair_balance` and `lib.make_shuffle_dyck` (from the RASP paper). */
import * as D from '../ast/dsl.js';
import * as E from '../ast/expr.js';
import type { SOp } from '../ast/program.js';
import type { Value } from '../ast/value.js';
import { makeFracPrevs } from './fracPrevs.js';
import { length } from './length.js';
import { identifierPart } from './util.js';

/**
 * The fraction of open tokens minus the fraction of close tokens up to each position:
 * `frac_prevs(sop == open) - frac_prevs(sop == close)` as a numerical linear sequence map (1, -1).
 * If it is never negative and ends at 0 the brackets are balanced.
 *
 *   makePairBalance(tokens, '(', ')') on "a()b(c))" → [0, 1/2, 0, 0, 1/5, 1/6, 0, -1/8]
 */
export const makePairBalance = (sop: SOp, openToken: Value, closeToken: Value): SOp => {
  const boolsOpen = D.named(D.numerical(D.eq(sop, openToken)), 'bools_open');
  const opens = D.named(D.numerical(makeFracPrevs(boolsOpen)), 'opens');
  const boolsClose = D.named(D.numerical(D.eq(sop, closeToken)), 'bools_close');
  const closes = D.named(D.numerical(makeFracPrevs(boolsClose)), 'closes');
  return D.named(D.numerical(D.linearSequenceMap(opens, closes, 1, -1)), 'pair_balance');
};

/**
 * Shuffle-Dyck: 1 (True) at every position when each bracket pair is balanced on its own (the
 * pairs may interleave), else 0 (False). `pairs` are two-character strings such as `"()"`.
 *
 *   makeShuffleDyck(['()', '{}']) on "({)}" → [1, 1, 1, 1]; on "(){)}" → [0, 0, 0, 0, 0]
 *
 * Same nodes as Tracr: one `balance_<pair>` per pair; `any_negative` (a numerical identity map
 * over the or of `balance < 0`; with one pair Tracr's Map fusion leaves just `balance < 0`);
 * `has_neg`, a numerical mean over `select_all` with default 0; `last_zero`, the and of
 * `balance == 0` read at the last position; and `last_zero and not has_neg`.
 */
export const makeShuffleDyck = (pairs: readonly string[]): SOp => {
  if (pairs.length < 1) throw new RangeError('makeShuffleDyck needs at least one pair');
  const balances = pairs.map((pair) => {
    const chars = [...pair];
    if (chars.length !== 2) throw new RangeError(`a bracket pair has two characters, got ${JSON.stringify(pair)}`);
    const [open, close] = chars as [string, string];
    return D.named(makePairBalance(D.tokens, open, close), `balance_${identifierPart(pair)}`);
  });
  const [first, ...rest] = balances as [SOp, ...SOp[]];

  let anyNegative = D.lt(first, 0);
  for (const balance of rest) anyNegative = D.or(anyNegative, D.lt(balance, 0));
  const identity = D.lambda(['x'], E.v('x'));
  const anyNegativeNum = D.named(
    D.numerical(rest.length === 0 ? anyNegative : D.map(identity, anyNegative)),
    'any_negative',
  );

  const selectAll = D.named(D.select(D.indices, D.indices, D.TRUE), 'select_all');
  const hasNeg = D.named(D.numerical(D.aggregate(selectAll, anyNegativeNum, 0)), 'has_neg');

  let allZero = D.eq(first, 0);
  for (const balance of rest) allZero = D.and(allZero, D.eq(balance, 0));

  const selectLast = D.named(D.select(D.indices, D.sub(length, 1), D.EQ), 'select_last');
  const lastZero = D.named(D.aggregate(selectLast, allZero), 'last_zero');

  const notHasNeg = D.named(D.not(hasNeg), 'not_has_neg');
  return D.named(D.and(lastZero, notHasNeg), 'shuffle_dyck');
};

/** Tracr's `make_shuffle_dyck2`: pairs `()` and `{}`. */
export const makeShuffleDyck2 = (): SOp => D.named(makeShuffleDyck(['()', '{}']), 'shuffle_dyck2');

/** Shuffle-Dyck over `()`, `{}` and `[]` (Tracr's shuffle_dyck3 test cases). */
export const makeShuffleDyck3 = (): SOp => D.named(makeShuffleDyck(['()', '{}', '[]']), 'shuffle_dyck3');
