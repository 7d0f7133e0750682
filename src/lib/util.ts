/**
 * Small helpers shared by the library programs: identifier-safe names for node labels and a few
 * expression builders for lambda bodies.
 */
import * as E from '../ast/expr.js';
import type { Expr } from '../ast/expr.js';
import type { Value } from '../ast/value.js';

const CHAR_NAMES: Readonly<Record<string, string>> = {
  '(': 'lparen',
  ')': 'rparen',
  '{': 'lbrace',
  '}': 'rbrace',
  '[': 'lbrack',
  ']': 'rbrack',
  '<': 'lt',
  '>': 'gt',
  '=': 'eq',
  '+': 'plus',
  '-': 'minus',
  '*': 'star',
  '/': 'slash',
  '.': 'dot',
  ',': 'comma',
  ' ': 'space',
  '$': 'dollar',
  '#': 'hash',
  '!': 'bang',
  '?': 'query',
  ':': 'colon',
  ';': 'semi',
};

const IDENT_CHAR = /^[A-Za-z0-9_]$/;

const stringPart = (s: string): string => {
  if (s.length === 0) return 'empty';
  const pieces: string[] = [];
  let plain = '';
  for (const ch of s) {
    if (IDENT_CHAR.test(ch)) {
      plain += ch;
      continue;
    }
    if (plain !== '') pieces.push(plain);
    plain = '';
    pieces.push(CHAR_NAMES[ch] ?? `u${(ch.codePointAt(0) as number).toString(16)}`);
  }
  if (plain !== '') pieces.push(plain);
  return pieces.join('_');
};

/**
 * A piece of an identifier (letters, digits, underscore) naming a value, used where Tracr puts a
 * value into a node name (`shift_by(1)` → `shift_by_1`, `balance_()` → `balance_lparen_rparen`).
 */
export const identifierPart = (v: Value): string => {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') {
    const magnitude = String(Math.abs(v)).replace('.', 'p').replace('+', '');
    return v < 0 ? `minus_${magnitude}` : magnitude;
  }
  if (typeof v === 'string') return stringPart(v);
  return v.map(identifierPart).join('_');
};

/** `x == a or x == b or ...`: membership of `x` in a finite list (Python's `x in [a, b, ...]`). */
export const oneOf = (x: Expr, values: readonly Value[]): Expr => {
  const tests = values.map((val) => E.binary('==', x, E.lit(val)));
  if (tests.length === 0) return E.lit(false);
  return tests.slice(1).reduce((acc, t) => E.binary('or', acc, t), tests[0] as Expr);
};

/** `then if c else otherwise` with literal branches. */
export const ifElse = (c: Expr, then: Value, otherwise: Value): Expr => E.cond(c, E.lit(then), E.lit(otherwise));
