/**
 * Issue 13: values no model can carry — NaN, ±inf, integers beyond ±(2^53 − 1), distinct integers
 * closer than the value tolerance — are refused by the checker with the node and a fix (and the
 * compiler agrees), instead of an internal error when building or verifying the model.
 */
import * as Either from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { parseProgram } from '../../src/ast/parser/index.js';
import type { SOp } from '../../src/ast/program.js';
import { parseToken, type Value } from '../../src/ast/value.js';
import * as D from '../../src/ast/dsl.js';
import * as E from '../../src/ast/expr.js';
import { compile } from '../../src/passes/compile.js';
import { makeBounds } from '../../src/typecheck/bounds.js';
import { typecheck } from '../../src/passes/compile.js';
import { bounds } from '../support/check.js';

const program = (text: string): SOp => {
  const r = parseProgram(text);
  if (Either.isLeft(r)) throw new Error(r.left.map((d) => d.message).join('; '));
  return r.right;
};

const vocab = (v: string): Value[] => v.split(',').map(parseToken);

const refused: { what: string; text: string; vocab: string; message: RegExp }[] = [
  { what: 'NaN (numerical)', text: 'x = numerical(map(t -> nan, tokens));', vocab: '1,2', message: /NaN/ },
  { what: 'NaN (categorical)', text: 'x = map(t -> nan, tokens);', vocab: '1,2', message: /NaN/ },
  { what: 'infinity', text: 'x = map(t -> t * inf, tokens);', vocab: '1,2', message: /inf/i },
  { what: 'minus infinity (numerical)', text: 'x = numerical(map(t -> 0 - t * inf, tokens));', vocab: '1,2', message: /inf/i },
  { what: 'an integer beyond 2^53', text: 'x = map(t -> t * 9007199254740991, tokens);', vocab: '1,2', message: /2\^53/ },
  { what: 'a constant NaN', text: 'x = full(nan);', vocab: 'a,b', message: /NaN/ },
  { what: 'an aggregate default of inf', text: 'x = aggregate(select(tokens, tokens, <), numerical(tokens), inf);', vocab: '1,2', message: /inf/i },
  {
    what: 'distinct integers the value tolerance merges',
    text: 'x = map(t -> t + 1000000000000000, tokens);',
    vocab: '1,2',
    message: /1000000000000001 and 1000000000000002/,
  },
  {
    what: 'a default that never occurs but is written into the weights',
    text: 'x = numerical(aggregate(select(tokens, tokens, ==), numerical(tokens), 1e300));',
    vocab: '1,2,3',
    message: /default is 1e\+300/,
  },
  {
    what: 'a linear coefficient of inf on an input that is always 0',
    text: 'x = linear_sequence_map(numerical(map(t -> 0, tokens)), numerical(tokens), inf, 1);',
    vocab: '1,2',
    message: /first coefficient is inf/,
  },
  { what: 'NaN inside a tuple', text: 'x = map(t -> (t, nan), tokens);', vocab: '1,2', message: /NaN/ },
];

describe('values no model can carry are refused at check time', () => {
  for (const c of refused) {
    it(c.what, () => {
      const p = program(c.text);
      const b = bounds(vocab(c.vocab), 3);
      const t = typecheck(p, b);
      expect(Either.isLeft(t)).toBe(true);
      const d = Either.isLeft(t) ? t.left[0] : undefined;
      expect(d?.code).toBe('value-set/unrepresentable');
      expect(d?.node).toBe('x');
      expect(d?.message).toMatch(c.message);
      expect(d?.fix).toBeTruthy();
      // the compiler agrees (and does not throw)
      const c2 = compile(p, b);
      expect(Either.isLeft(c2) && c2.left[0]?.code).toBe('value-set/unrepresentable');
    });
  }

  it('a DSL-built literal beyond 2^53 is refused through its values', () => {
    const p = D.named(D.map(D.lambda(['x'], E.binary('+', E.v('x'), E.lit(2 ** 60))), D.tokens), 'x');
    const t = typecheck(p, bounds([1, 2], 2));
    expect(Either.isLeft(t) && t.left[0]?.code).toBe('value-set/unrepresentable');
  });

  it('inf used only in a comparison or a clamp is fine', () => {
    for (const text of ['x = map(t -> t < inf, tokens);', 'x = numerical(map(t -> min(t, inf), tokens));']) {
      expect(Either.isRight(typecheck(program(text), bounds([1, 2], 2)))).toBe(true);
    }
  });

  it('large integers the tolerance keeps apart still compile', () => {
    expect(Either.isRight(typecheck(program('x = map(t -> t * 1000000000000000, tokens);'), bounds([1, 2], 2)))).toBe(true);
  });
});

describe('vocabularies of unrepresentable tokens are refused', () => {
  for (const [what, items, message] of [
    ['infinity', [1, Infinity], /inf/i],
    ['NaN', [Number.NaN, 1], /item 1 is NaN, which equals no value/],
    ['an integer beyond 2^53', [2 ** 60, 1], /2\^53/],
    ['tokens the value tolerance merges', [1000000000000001, 1000000000000002], /1000000000000001 and 1000000000000002/],
  ] as const) {
    it(what, () => {
      const b = makeBounds(items, 3);
      expect(Either.isLeft(b) && b.left[0]?.code).toBe('bounds/vocab');
      expect(Either.isLeft(b) && b.left[0]?.message).toMatch(message);
    });
  }
});

describe('integer literals that a double cannot hold exactly are a syntax error', () => {
  it('9007199254740993 (2^53 + 1, which reads as 2^53)', () => {
    const r = parseProgram('x = map(t -> t + 9007199254740993, tokens);', 'big.rasp');
    expect(Either.isLeft(r)).toBe(true);
    const d = Either.isLeft(r) ? r.left[0] : undefined;
    expect(d?.code).toBe('syntax');
    expect(d?.where).toBe('big.rasp:1:18');
    expect(d?.message).toMatch(/9007199254740993.*2\^53/);
  });

  it('9007199254740991 (2^53 − 1) and float spellings still parse', () => {
    expect(Either.isRight(parseProgram('x = map(t -> t < 9007199254740991, tokens);'))).toBe(true);
    expect(Either.isRight(parseProgram('x = map(t -> t < 1e300, tokens);'))).toBe(true);
  });
});
