import * as Either from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import * as D from '../../../src/ast/dsl.js';
import * as E from '../../../src/ast/expr.js';
import type { SOp } from '../../../src/ast/program.js';
import { planProgram } from '../../../src/typecheck/plan.js';
import { analyse, type Analysed } from '../../../src/typecheck/typecheck.js';
import { bounds } from '../../support/check.js';

const x = E.v('x');
const analysed = (p: SOp, vocab: readonly (string | number)[] = [1, 2, 3]): Analysed => {
  const a = analyse(p, bounds(vocab, 3));
  if (Either.isLeft(a)) throw new Error(a.left.map((d) => d.message).join('; '));
  return a.right;
};
/** label → construction/representation of every planned node. */
const constructions = (p: SOp, vocab?: readonly (string | number)[]): [string, string, string][] => {
  const a = analysed(p, vocab);
  const plan = planProgram(a.graph, a.inference);
  if (Either.isLeft(plan)) throw new Error(plan.left.map((d) => d.message).join('; '));
  return [...plan.right.nodes.values()].map((n) => [a.graph.nodes[n.id]?.label ?? '?', n.construction, n.representation]);
};

describe('plan', () => {
  it('numerical maps of numbers → linear MLPs; categorical of numerical → discretising MLP', () => {
    const num = D.named(D.numerical(D.map(D.lambda(['x'], x), D.tokens)), 'num');
    const lin = D.named(D.numerical(D.map(D.lambda(['x'], E.binary('*', x, E.lit(3))), num)), 'lin');
    const cat = D.named(D.map(D.lambda(['x'], E.binary('+', x, E.lit(1))), lin), 'cat');
    expect(constructions(cat)).toEqual([
      ['tokens', 'embed-tokens', 'categorical'],
      ['num', 'linear-mlp', 'numerical'],
      ['lin', 'linear-mlp', 'numerical'],
      ['cat', 'discretising-mlp', 'categorical'],
    ]);
  });

  it('aggregates: categorical by a selective head, numerical by a mean head; widths by their own construction', () => {
    const cat = D.named(D.aggregate(D.select(D.indices, D.indices, D.EQ), D.tokens), 'cat');
    const mean = D.named(D.numerical(D.aggregate(D.select(D.tokens, D.tokens, D.LEQ), D.numerical(D.map(D.lambda(['x'], x), D.tokens)))), 'mean');
    const both = D.named(D.sequenceMap(D.lambda(['x', 'y'], E.binary('+', x, E.v('y'))), cat, D.named(D.selectorWidth(D.select(D.tokens, D.tokens, D.LT)), 'w')), 'sum');
    expect(constructions(both).map(([l, c]) => [l, c])).toEqual([
      ['indices', 'embed-indices'],
      ['tokens', 'embed-tokens'],
      ['cat', 'categorical-attention'],
      ['w', 'selector-width'],
      ['sum', 'pair-table-mlp'],
    ]);
    expect(constructions(mean).find(([l]) => l === 'mean')?.[1]).toBe('numerical-attention');
  });

  it('refuses a select on numerical keys, naming the rule', () => {
    const num = D.named(D.numerical(D.map(D.lambda(['x'], x), D.tokens)), 'num');
    const a = analysed(D.aggregate(D.select(num, D.tokens, D.EQ), D.tokens));
    const plan = planProgram(a.graph, a.inference);
    expect(Either.isLeft(plan) && plan.left.map((d) => d.code)).toEqual(['rule/numerical-key']);
  });
});
