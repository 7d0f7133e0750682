/**
 * Issue 13: the size guards as library functions — the estimate from the plan (no weight built),
 * compile's entry refusing beyond `maxParams`, bounds on the max length and the vocabulary, and the
 * training settings checked before anything is allocated.
 */
import * as Either from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import * as D from '../../src/ast/dsl.js';
import { REGISTRY } from '../../src/lib/registry.js';
import { compile } from '../../src/passes/compile.js';
import { taskByName } from '../../src/tasks/registry.js';
import { TRAIN_DEFAULTS, trainGpt2 } from '../../src/train/trainGpt2.js';
import { makeBounds, MAX_LENGTH } from '../../src/typecheck/bounds.js';
import { checkSize, DEFAULT_MAX_PARAMS, estimateCompiledSize } from '../../src/typecheck/sizeEstimate.js';
import { typecheck } from '../../src/passes/compile.js';
import { bounds } from '../support/check.js';

const reverse = REGISTRY.find((e) => e.name === 'reverse');

describe('the size estimate', () => {
  it('is within a small factor of the compiled size for every library program at its bounds', () => {
    for (const e of REGISTRY.filter((x) => x.name !== 'most_freq')) {
      const b = bounds(e.vocab, e.maxLen);
      const t = typecheck(e.build(), b);
      const c = compile(e.build(), b);
      if (Either.isLeft(t) || Either.isLeft(c)) throw new Error(`${e.name} does not compile`);
      const ratio = estimateCompiledSize(t.right).parameters / c.right.model.manifest.parameters;
      // fusing and absorbing maps are not counted (nary_sequencemap_add: about 20×)
      expect([e.name, ratio > 0.5 && ratio < 25]).toEqual([e.name, true]);
    }
  });

  it('follows the representation search: reverse at length 150 is not an N² table', () => {
    const b = bounds('abcdefghij'.split(''), 150);
    const t = typecheck((reverse as { build: () => D.SOp }).build(), b);
    if (Either.isLeft(t)) throw new Error('reverse does not check');
    const c = compile((reverse as { build: () => D.SOp }).build(), b);
    if (Either.isLeft(c)) throw new Error('reverse does not compile');
    const e = estimateCompiledSize(t.right);
    expect(e.parameters).toBeLessThan(3 * c.right.model.manifest.parameters);
    expect(e.parameters).toBeGreaterThan(c.right.model.manifest.parameters / 3);
  });
});

describe("compile's entry applies the guard", () => {
  const program = D.aggregate(D.select(D.indices, D.indices, 'EQ'), D.tokens);

  it('a 10,000-token vocabulary: refused with the estimate and the node that dominates', () => {
    const b = bounds(Array.from({ length: 10_000 }, (_, i) => `t${i}`), 5);
    const r = compile(program, b);
    expect(Either.isLeft(r)).toBe(true);
    const d = Either.isLeft(r) ? r.left[0] : undefined;
    expect(d?.code).toBe('size/too-large');
    expect(d?.message).toMatch(/about [\d,]+ parameters .* more than the limit of 50,000,000; the largest part is/);
    expect(d?.node).toBeDefined();
    const t = typecheck(program, b);
    expect(Either.isRight(t) && Either.isLeft(checkSize(t.right))).toBe(true);
  });

  it('maxParams lowers and raises the budget', () => {
    const b = bounds(['a', 'b'], 4);
    expect(Either.isRight(compile(program, b))).toBe(true);
    const low = compile(program, b, { maxParams: 100 });
    expect(Either.isLeft(low) && low.left[0]?.code).toBe('size/too-large');
    expect(DEFAULT_MAX_PARAMS).toBe(50_000_000);
  });
});

describe('bounds are limited before anything is enumerated', () => {
  it('a max length above MAX_LENGTH', () => {
    const b = makeBounds(['a'], 1_000_000_000);
    expect(Either.isLeft(b) && b.left[0]?.message).toBe(`max length must be at most ${MAX_LENGTH}, got 1000000000`);
  });

  it('a vocabulary of 200,000 tokens', () => {
    const b = makeBounds(Array.from({ length: 200_000 }, (_, i) => i), 3);
    expect(Either.isLeft(b) && b.left[0]?.message).toMatch(/200000 tokens, more than 100000/);
  });

  it('the checker at the largest max length refuses or finishes (indices of 100,000 values)', () => {
    const r = typecheck(D.aggregate(D.select(D.indices, D.indices, 'EQ'), D.tokens), bounds(['a', 'b'], MAX_LENGTH));
    const guarded = Either.chain((t: Parameters<typeof checkSize>[0]) => checkSize(t))(r);
    expect(Either.isLeft(guarded) && guarded.left[0]?.code).toBe('size/too-large');
  });
});

describe('training sizes are checked before anything is allocated', () => {
  const task = taskByName('majority');
  if (Either.isLeft(task)) throw new Error(task.left.message);
  const settings = { ...TRAIN_DEFAULTS, layers: 1, heads: 1, dModel: 8, steps: 1 };

  it('a d-model of 1,000,000,000 (it hung allocating)', () => {
    const r = trainGpt2(task.right, { ...settings, dModel: 1_000_000_000 });
    expect(Either.isLeft(r) && r.left.map((d) => d.message)).toEqual(['d-model must be at most 4,096, not 1000000000']);
  });

  it('a model over maxParams, and a step over the memory budget', () => {
    const big = trainGpt2(task.right, { ...settings, layers: 2, heads: 4, dModel: 4096 });
    expect(Either.isLeft(big) && big.left[0]?.message).toMatch(/would have [\d,]+ parameters, more than the limit of 50,000,000/);
    const capped = trainGpt2(task.right, settings, undefined, { maxParams: 100 });
    expect(Either.isLeft(capped) && capped.left[0]?.code).toBe('train/too-large');
    const memory = trainGpt2(task.right, { ...settings, dModel: 512, batchSize: 4096 });
    expect(Either.isLeft(memory) && memory.left[0]?.message).toMatch(/a training step would hold about \d+ GiB/);
  });
});
