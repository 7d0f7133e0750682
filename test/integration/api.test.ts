/** The library API (src/index.ts) as the README uses it, imported from the built package entry. */
import * as Either from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';

describe('the library API (package main: dist/src/index.js)', () => {
  it('builds, parses, interprets, compiles, runs, exports and verifies a program', async () => {
    const api = (await import('../../dist/src/index.js')) as typeof import('../../src/index.js');
    const { D } = api;
    const opp = D.named(D.sub(D.sub(D.length, D.indices), 1), 'opp');
    const reverse = D.aggregate(D.select(D.indices, opp, D.EQ), D.tokens);
    const parsed = api.parseProgram('opp = length - indices - 1;\nreverse = aggregate(select(indices, opp, ==), tokens);');
    expect(Either.isRight(parsed)).toBe(true);
    expect(api.evaluate(reverse, ['a', 'b', 'c'])).toEqual(Either.right(['c', 'b', 'a']));
    const bounds = api.makeBounds(['a', 'b', 'c'], 8, false);
    if (Either.isLeft(bounds)) throw new Error('bounds');
    const compiled = await api.compile(reverse, bounds.right);
    if (Either.isLeft(compiled)) throw new Error('compile');
    expect(compiled.right.certificate.verdict).toBe('verified');
    expect(compiled.right.model.manifest.certification.verdict).toBe('verified');
    const raw = api.compileUnverified(reverse, bounds.right);
    expect(Either.isRight(raw) && raw.right.model.manifest.certification.verdict).toBe('unverified');
    expect(api.runModel(compiled.right.model, ['a', 'b', 'c'])).toEqual(Either.right(['c', 'b', 'a']));
    expect(Object.keys(api.exportFiles(compiled.right.model, 'tl')).sort()).toEqual(['config.json', 'encoders.json', 'model.safetensors']);
    const checked = await api.verify(reverse, bounds.right, { method: 'lemmas' });
    expect(Either.isRight(checked) && checked.right.certificate.verdict).toBe('verified');
  });
});

describe('the library API: training and pruning', () => {
  it('trains a tiny model on a task and prunes it to a D-RASP program that runs standalone', async () => {
    const api = (await import('../../dist/src/index.js')) as typeof import('../../src/index.js');
    const task = api.taskByName('majority');
    if (Either.isLeft(task)) throw new Error(task.left.message);
    const model = api.trainGpt2(task.right, { ...api.TRAIN_DEFAULTS, layers: 1, heads: 1, dModel: 8, steps: 40 });
    if (Either.isLeft(model)) throw new Error('training failed');
    const bins = api.accuracyByBin(task.right, model.right, 10, 1);
    expect(bins.map((b) => [b.low, b.high])).toEqual(api.LENGTH_BINS.map((b) => [b.low, b.high]));
    const dir = (await import('node:fs')).mkdtempSync((await import('node:path')).join((await import('node:os')).tmpdir(), 'raspc-api-'));
    expect(Either.isRight(api.writeGpt2(dir, model.right))).toBe(true);
    const pruned = api.decompilePruned(dir, { ...api.PRUNE_DEFAULTS, lambdas: [0.1], steps: 10, evalSamples: 8, pathStages: false, fitNorms: false }, 'majority');
    if (Either.isLeft(pruned)) throw new Error(pruned.left.map((d) => d.message).join('; '));
    const program = pruned.right.candidates[0].program;
    expect(api.printDrasp(program)).toContain('logits = ');
    expect(Either.isRight(api.runDrasp(program, Int32Array.of(task.right.bos, 1, 0, 1, task.right.sep)))).toBe(true);
  });
});
