/**
 * The compiler bugs the fuzzer found (docs/fuzzing.md), each as its minimal counterexample: the
 * program now compiles and the model agrees with the interpreter on every input within the bounds
 * (or, where the program cannot be compiled correctly, the checker refuses it with a rule).
 */
import * as Either from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { parseProgram } from '../../src/ast/parser/index.js';
import type { SOp } from '../../src/ast/program.js';
import { parseToken, type Value } from '../../src/ast/value.js';
import { compile } from '../../src/passes/compile.js';
import { checkLemmas } from '../../src/proofs/lemmas/check.js';
import { typecheck } from '../../src/passes/compile.js';
import { allInputs, bounds, compiled, disagreement } from '../support/check.js';

const program = (text: string): SOp => {
  const r = parseProgram(text);
  if (Either.isLeft(r)) throw new Error(r.left.map((d) => d.message).join('; '));
  return r.right;
};

const vocab = (v: string): Value[] => v.split(',').map(parseToken);

const cases: { bug: string; text: string; vocab: string; maxLen: number; causal?: boolean }[] = [
  { bug: 'aggregate narrower than its source', text: 'aggregate(select(indices, length, ==), length);', vocab: 'a,b', maxLen: 1 },
  {
    bug: 'aggregate narrower than its source, through map absorption',
    text: 'a = map(x -> x < 0, length);\nb = map(x -> "a", tokens);\naggregate(select(a, a, ==) & select(b, b, false), a);',
    vocab: 'a,x',
    maxLen: 1,
  },
  { bug: 'numerical keys with a constant predicate', text: 'aggregate(select(numerical(indices), tokens, true), tokens);', vocab: 'a,b', maxLen: 3 },
  { bug: 'keys carried numerically with a constant predicate', text: 'aggregate(select(length, map(x -> 0, tokens), true), tokens);', vocab: 'a,b', maxLen: 3 },
  { bug: 'a single numerical key value with a constant predicate', text: 'selector_width(select(numerical(map(x -> 0, indices)), indices, true));', vocab: 'a,b', maxLen: 2 },
  { bug: 'categorical aggregate of an s-op the search would carry numerically', text: 'aggregate(select(indices, indices, ==), length);', vocab: 'a,b', maxLen: 3 },
  { bug: 'an empty value set', text: 'linear_sequence_map(numerical(map(x -> {9: 1}[x], indices)), numerical(indices), 1, 1);', vocab: 'a,b', maxLen: 2 },
  {
    bug: "a map reading an aggregate's default at BOS",
    text: 'a = aggregate(select(tokens, tokens, false), tokens, -1);\naggregate(select(tokens, tokens, false), map(x -> x < 0, a));',
    vocab: '0,1',
    maxLen: 3,
  },
  {
    bug: "a map reading a numerical aggregate's default at BOS",
    text: 'm = map(x -> x, aggregate(select(tokens, tokens, ==), numerical(length), 2));\naggregate(select(tokens, tokens, ==) & select(m, m, ==), tokens);',
    vocab: '0,1',
    maxLen: 2,
  },
  {
    bug: "a width reading a map of an aggregate's default",
    text: 'a = aggregate(select(tokens, tokens, false), tokens, -1); b = map(x -> x + 2, a); selector_width(select(b, tokens, !=));',
    vocab: '0,1',
    maxLen: 3,
  },
  { bug: 'a width whose query the search would carry numerically', text: 'selector_width(select(length, length, !=) | select(indices, length, <=));', vocab: 'a,b', maxLen: 3, causal: true },
  { bug: 'one s-op read twice by a linear MLP', text: 'a = aggregate(select(tokens, tokens, <), numerical(length));\nlinear_sequence_map(a, a, 1, 0);', vocab: '0,1', maxLen: 5 },
  {
    bug: 'a tuple rewrite feeding another',
    text: 'm = map(x -> "a", tokens);\na = aggregate(select(m, tokens, ==) | select(m, m, ==), m);\nselector_width(select(a, a, ==) | select(indices, indices, <));',
    vocab: 'a,y',
    maxLen: 2,
  },
  {
    bug: 'a head nothing needs precise, whose value input carries error (causal)',
    text: 'a = aggregate(select(tokens, tokens, ==), numerical(indices));\nmap(x -> max(x, 2), aggregate(select(tokens, tokens, ==), linear_sequence_map(a, a, 0, -2)));',
    vocab: 'a,x',
    maxLen: 6,
    causal: true,
  },
  {
    bug: 'a head nothing needs precise, under a constant numerical map',
    text: 'numerical(map(x -> 1 if x > 0.5 else 0, aggregate(select(indices, indices, (k, q) -> q == k + 0), numerical(map(x -> {0: 4, 1: 3}[x], aggregate(select(indices, length, ==), tokens, 0))))));',
    vocab: '0,1',
    maxLen: 1,
  },
  // issue 13: every linear sequence map was planned as a linear MLP, whatever its encoding
  { bug: 'a categorical linear sequence map of two categorical inputs', text: 'x = categorical(linear_sequence_map(indices, tokens, 2, 1));', vocab: '1,2,3', maxLen: 3 },
  { bug: 'a categorical linear sequence map of a numerical and a categorical input', text: 'categorical(linear_sequence_map(numerical(indices), tokens, 1, -1));', vocab: '0,1,2', maxLen: 3 },
  { bug: 'a categorical linear sequence map of two numerical inputs', text: 'categorical(linear_sequence_map(numerical(indices), numerical(tokens), 1, 2));', vocab: '0,1', maxLen: 3 },
  {
    bug: 'a categorical linear sequence map read by a select',
    text: 's = categorical(linear_sequence_map(indices, tokens, 1, 1));\naggregate(select(s, s, ==), tokens);',
    vocab: '0,1',
    maxLen: 3,
  },
];

describe('compiler bugs found by the fuzzer stay fixed', () => {
  for (const c of cases) {
    it(c.bug, () => {
      const p = program(c.text);
      const b = bounds(vocab(c.vocab), c.maxLen, c.causal ?? false);
      const model = compiled(p, b);
      const r = disagreement(p, model, allInputs(b.vocab, b.maxLen), b.causal);
      expect(r.mismatch).toBeUndefined();
      const lemmas = checkLemmas(model.typed.program, model.model);
      expect(Either.isRight(lemmas) && lemmas.right.verdict).toBe('verified');
    });
  }

  it('a selector width with a numerical query is refused (BOS cannot tie with a numerical score)', () => {
    const r = compile(program('selector_width(select(length, numerical(length), ==));'), bounds(vocab('a,b'), 3));
    expect(Either.isLeft(r) && r.left[0]?.code).toBe('rule/numerical-query');
  });

  it('nested numerical means do not exhaust memory: the checker refuses them with value-set/too-large', () => {
    const text = 'a = aggregate(select(tokens, tokens, <), numerical(length), 1);\nb = aggregate(select(tokens, tokens, ==), a);\naggregate(select(tokens, tokens, ==), b);';
    const started = performance.now();
    const r = typecheck(program(text), bounds(vocab('0,1,5,6'), 5, true));
    expect(Either.isLeft(r) && r.left.map((d) => d.code)).toContain('value-set/too-large');
    expect(performance.now() - started).toBeLessThan(20_000);
  });
});
