/** The library API (src/index.ts) as the README uses it, imported from the built package entry. */
import * as Either from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';

describe('the library API (package main: dist/src/index.js)', () => {
  it('builds, parses, interprets, compiles, runs, exports and verifies a program', async () => {
    const api = (await import('../dist/src/index.js')) as typeof import('../src/index.js');
    const { D } = api;
    const opp = D.named(D.sub(D.sub(D.length, D.indices), 1), 'opp');
    const reverse = D.aggregate(D.select(D.indices, opp, D.EQ), D.tokens);
    const parsed = api.parseProgram('opp = length - indices - 1;\nreverse = aggregate(select(indices, opp, ==), tokens);');
    expect(Either.isRight(parsed)).toBe(true);
    expect(api.evaluate(reverse, ['a', 'b', 'c'])).toEqual(Either.right(['c', 'b', 'a']));
    const bounds = api.makeBounds(['a', 'b', 'c'], 8, false);
    if (Either.isLeft(bounds)) throw new Error('bounds');
    const compiled = api.compile(reverse, bounds.right);
    if (Either.isLeft(compiled)) throw new Error('compile');
    expect(api.runModel(compiled.right.model, ['a', 'b', 'c'])).toEqual(Either.right(['c', 'b', 'a']));
    expect(Object.keys(api.exportFiles(compiled.right.model, 'tl')).sort()).toEqual(['config.json', 'encoders.json', 'model.safetensors']);
    const checked = await api.verify(reverse, bounds.right, { method: 'lemmas' });
    expect(Either.isRight(checked) && checked.right.certificate.verdict).toBe('verified');
  });
});
