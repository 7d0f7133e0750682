import * as Either from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import * as D from '../../../src/ast/dsl.js';
import * as E from '../../../src/ast/expr.js';
import { chooseRepresentations } from '../../../src/passes/chooseRepresentations.js';
import { compile, typecheck } from '../../../src/passes/compile.js';
import { build, checkProgram, optimise } from '../../../src/passes/pipeline.js';
import { bounds } from '../../support/check.js';
import { checked, right, source } from './support.js';

const x = E.v('x');
const y = E.v('y');
const m1 = D.named(D.map(D.lambda(['x'], E.binary('+', x, E.lit(1))), D.tokens), 'm1');
const m2 = D.named(D.map(D.lambda(['x'], E.binary('*', x, E.lit(2))), m1), 'm2');
/** `opp = length - indices - 1`, then `y = numerical(opp * 2)`: opp is cheaper as one real dimension. */
const opp = D.named(D.sequenceMap(D.lambda(['x', 'y'], E.binary('-', E.binary('-', x, y), E.lit(1))), D.length, D.indices), 'opp');
const twiceOpp = D.named(D.numerical(D.map(D.lambda(['x'], E.binary('*', x, E.lit(2))), opp)), 'y');

describe('the pipeline', () => {
  it('check runs the rewrites in order: a numerical pair is discretised before the plan', () => {
    const a = D.named(D.numerical(D.map(D.lambda(['x'], x), D.tokens)), 'a');
    const prod = D.named(D.sequenceMap(D.lambda(['x', 'y'], E.binary('*', x, y)), a, a), 'prod');
    const t = right(checkProgram(prod, bounds([1, 2, 3], 3), { normaliseSelectors: false }));
    expect(t.graph.nodes.map((g) => g.label)).toEqual(['tokens', 'a', 'a_discrete', 'prod']);
    expect(t.plan.nodes.get(2)?.construction).toBe('discretising-mlp');
  });

  it('optimise fuses, then chooses representations: notes say what changed', () => {
    const r = right(optimise({ typed: checked(m2, [1, 2, 3], 3), notes: [] }));
    expect(source(r.typed.program)).toBe('m2 = map(x0 -> (x0 + 1) * 2, tokens);\n');
    expect(r.notes).toEqual(['fused consecutive MLP steps: m1 into m2']);
    expect([r.layers, r.parameters]).toEqual([1, right(build(r, 'h')).model.manifest.parameters]);
  });

  it('choose representations carries length - indices - 1 as one number when that is smaller', () => {
    const t = checked(twiceOpp, [1, 2, 3], 5);
    const r = right(chooseRepresentations({ typed: t, notes: [] }));
    expect(r.notes).toEqual(['carried numerically (one dimension, linear route) instead of one-hot: opp']);
    expect([...r.typed.plan.nodes.values()].map((p) => [p.construction, p.representation])).toEqual([
      ['embed-tokens', 'categorical'],
      ['selector-width', 'categorical'],
      ['embed-indices', 'categorical'],
      ['linear-mlp', 'numerical'],
      ['linear-mlp', 'numerical'],
    ]);
    const baseline = [...t.plan.nodes.values()].map((p) => p.representation);
    expect(baseline[3]).toBe('categorical');
  });

  it('build records the chosen notes and the source hash in the manifest', () => {
    const c = right(build({ typed: checked(m1), notes: ['n1'] }, 'hash'));
    expect(c.model.manifest.notes).toEqual(['n1']);
    expect(c.model.manifest.program.hash).toBe('hash');
    expect(c.allocation.report.layers).toBe(1);
  });

  it("compile keeps the smaller variant: the fused chain has one layer where the program as written has two", () => {
    const unoptimised = right(compile(m2, bounds([1, 2, 3], 3), { optimise: false }));
    const optimised = right(compile(m2, bounds([1, 2, 3], 3)));
    expect(unoptimised.model.config.n_layers).toBe(2);
    expect(optimised.model.config.n_layers).toBe(1);
    expect(optimised.model.manifest.notes).toEqual(['fused consecutive MLP steps: m1 into m2']);
    expect(unoptimised.model.manifest.notes).toEqual([]);
  });

  it('typecheck accepts what either variant accepts and reports the plain variant when both refuse', () => {
    const bad = D.aggregate(D.select(D.tokens, D.tokens, D.EQ), D.numerical(D.map(D.lambda(['x'], x), D.tokens)));
    const b = bounds(['a', 'b'], 3);
    const plain = checkProgram(bad, b, { normaliseSelectors: false });
    const r = typecheck(bad, b);
    expect(Either.isLeft(plain)).toBe(true);
    expect(r).toEqual(plain);
  });
});
