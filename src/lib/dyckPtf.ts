/**
 * Dyck-k prefix classification from the RASP paper (paper_examples.rasp `_dyck1_ptf`,
 * `dyckk_ptf`): at each position, "T" when the prefix is balanced, "P" when it could still be
 * completed (open brackets pending), "F" when it can never be balanced again.
 *
 * The paper's programs use no BOS token, so they translate one to one: the paper's
 * `indicator(b)` is a numerical boolean map, `aggregate` of it a numerical mean with default 0,
 * and `round((indices + 1) * mean)` one sequence map that turns the running fraction back into a
 * running count.
 */
import * as D from '../ast/dsl.js';
import * as E from '../ast/expr.js';
import type { Selector, SOp } from '../ast/program.js';
import { ifElse, oneOf } from './util.js';

const upToSelf = (): Selector => D.named(D.select(D.indices, D.indices, D.LEQ), 'up_to_self');

/** The number of positions up to this one where `bools` holds: `round((i + 1) * mean)`. */
const countSoFar = (up: Selector, bools: SOp, name: string): SOp => {
  const frac = D.numerical(D.aggregate(up, D.numerical(bools), 0));
  const x = E.v('x');
  const i = E.v('i');
  const count = E.unary('round', E.binary('*', E.binary('+', i, E.lit(1)), x));
  return D.named(D.sequenceMap(D.lambda(['x', 'i'], count), frac, D.indices), name);
};

/** `"F" if problems > 0 else ("T" if depth == 0 else "P")`. */
const classify = (problems: SOp, depth: SOp, name: string): SOp => {
  const p = E.v('p');
  const d = E.v('d');
  const body = E.cond(E.binary('>', p, E.lit(0)), E.lit('F'), ifElse(E.binary('==', d, E.lit(0)), 'T', 'P'));
  return D.named(D.sequenceMap(D.lambda(['p', 'd'], body), problems, depth), name);
};

/**
 * Dyck-1 over one bracket pair (default `(` `)`): the balance is the running count of openers
 * minus closers; "F" once it has been negative anywhere up to here.
 *
 *   makeDyck1Ptf() on "()(()" → "PTPPP"
 */
export const makeDyck1Ptf = (open = '(', close = ')'): SOp => {
  const up = upToSelf();
  const nOpens = countSoFar(up, D.eq(D.tokens, open), 'n_opens');
  const nCloses = countSoFar(up, D.eq(D.tokens, close), 'n_closes');
  const balance = D.named(D.sub(nOpens, nCloses), 'balance');
  const prevImbalances = D.named(
    D.numerical(D.aggregate(up, D.numerical(D.lt(balance, 0)), 0)),
    'prev_imbalances',
  );
  return classify(prevImbalances, balance, 'dyck1_ptf');
};

/**
 * Dyck-k over typed bracket pairs (two-character strings such as `"()"`). `depth` counts all
 * openers minus all closers; a closer's `delay = depth + 1` equals the depth its opener had, and
 * `depth_index` numbers the positions sharing a delay, so a closer's opener is the opener with the
 * same delay and the previous depth index. A closer whose opener does not form a pair (or that
 * has none: the aggregate's default `"-"`, as in the paper) is a mismatch. "F" once there has
 * been a mismatch or a negative depth.
 *
 *   makeDyckkPtf(['()', '{}']) on "({})(}" → "PPPTPF"
 */
export const makeDyckkPtf = (pairs: readonly string[]): SOp => {
  if (pairs.length < 1) throw new RangeError('makeDyckkPtf needs at least one pair');
  for (const pair of pairs) {
    if ([...pair].length !== 2) throw new RangeError(`a bracket pair has two characters, got ${JSON.stringify(pair)}`);
  }
  const openers = pairs.map((p) => [...p][0] as string);
  const closers = pairs.map((p) => [...p][1] as string);
  const x = E.v('x');
  const t = E.v('t');

  const up = upToSelf();
  const opens = D.named(D.map(D.lambda(['x'], oneOf(x, openers)), D.tokens), 'opens');
  const closes = D.named(D.map(D.lambda(['x'], oneOf(x, closers)), D.tokens), 'closes');
  const nOpens = countSoFar(up, opens, 'n_opens');
  const nCloses = countSoFar(up, closes, 'n_closes');
  const depth = D.named(D.sub(nOpens, nCloses), 'depth');

  // delay_closer = depth + (1 if closer else 0)
  const delay = D.named(
    D.sequenceMap(D.lambda(['d', 't'], E.binary('+', E.v('d'), ifElse(oneOf(t, closers), 1, 0))), depth, D.tokens),
    'delay_closer',
  );
  const depthIndex = D.named(
    D.selectorWidth(D.selectorAnd(D.select(delay, delay, D.EQ), up)),
    'depth_index',
  );
  const keyIsOpener = D.select(D.tokens, D.tokens, D.lambda(['k', 'q'], oneOf(E.v('k'), openers)));
  const openForClose = D.named(
    D.selectorAnd(
      D.selectorAnd(keyIsOpener, D.select(delay, delay, D.EQ)),
      D.select(depthIndex, D.sub(depthIndex, 1), D.EQ),
    ),
    'open_for_close',
  );
  const matchedOpener = D.named(D.aggregate(openForClose, D.tokens, '-'), 'matched_opener');

  // mismatch = closer and not (opener + closer in pairs)
  const o = E.v('o');
  const mismatchBody = E.binary('and', oneOf(t, closers), E.unary('not', oneOf(E.binary('+', o, t), pairs)));
  const mismatch = D.named(D.sequenceMap(D.lambda(['o', 't'], mismatchBody), matchedOpener, D.tokens), 'mismatch');
  const problem = D.named(
    D.sequenceMap(
      D.lambda(['m', 'd'], E.binary('or', E.v('m'), E.binary('<', E.v('d'), E.lit(0)))),
      mismatch,
      depth,
    ),
    'problem',
  );
  const hadProblem = D.named(D.numerical(D.aggregate(up, D.numerical(problem), 0)), 'had_problem');
  return classify(hadProblem, depth, 'dyckk_ptf');
};

/** Dyck-2 over `()` and `{}` (paper `dyck2_ptf`). */
export const makeDyck2Ptf = (): SOp => D.named(makeDyckkPtf(['()', '{}']), 'dyck2_ptf');

/** Dyck-3 over `()`, `{}` and `[]` (paper `dyck3_ptf`). */
export const makeDyck3Ptf = (): SOp => D.named(makeDyckkPtf(['()', '{}', '[]']), 'dyck3_ptf');
