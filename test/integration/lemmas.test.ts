import * as Either from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import * as D from '../../src/ast/dsl.js';
import { findEntry, REGISTRY } from '../../src/lib/index.js';
import { compile } from '../../src/passes/compile.js';
import { certificateJson } from '../../src/proofs/certificate.js';
import { checkLemmas } from '../../src/proofs/lemmas/check.js';
import { verify } from '../../src/passes/verifyProgram.js';
import { bounds, compiled } from '../support/check.js';
import { mutateOutputWeight } from '../support/mutate.js';

const lemmasOf = (c: ReturnType<typeof compiled>) => {
  const r = checkLemmas(c.typed.program, c.model);
  if (Either.isLeft(r)) throw new Error(r.left.map((d) => d.message).join('; '));
  return r.right;
};

describe('the lemma method', () => {
  for (const e of REGISTRY) {
    it(`${e.name}: every lemma holds at the library bounds (${e.vocab.length}, ${e.maxLen})`, () => {
      const r = lemmasOf(compiled(e.build(), bounds(e.vocab, e.maxLen, e.causal ?? false)));
      expect(r.lemmas.filter((l) => !l.holds).map((l) => `${l.node}: ${l.statement}`)).toEqual([]);
      expect(r.verdict).toBe('verified');
      expect(r.outputError).toBeLessThan(r.outputTolerance);
    });
  }

  for (const name of ['length', 'reverse', 'hist', 'frac_prevs', 'pair_balance', 'shift_by_1', 'count_a', 'shuffle_dyck2']) {
    it(`${name} is certified at max length 32 without enumerating inputs`, () => {
      const e = findEntry(name);
      if (e === undefined) throw new Error(name);
      const r = lemmasOf(compiled(e.build(), bounds(e.vocab, 32)));
      expect(r.verdict).toBe('verified');
    });
  }

  it('breaks when one weight of the output block is flipped, for every library program', () => {
    for (const e of REGISTRY) {
      const c = compiled(e.build(), bounds(e.vocab, Math.min(e.maxLen, 4), e.causal ?? false));
      const mutated = mutateOutputWeight(c.model);
      const r = checkLemmas(c.typed.program, mutated.model);
      expect(Either.isRight(r) && r.right.verdict, `${e.name} (${mutated.description})`).toBe('failed');
    }
  });

  it("with Tracr's fixed constants, length at max length 10 fails a lemma and yields a counterexample", async () => {
    const e = findEntry('length');
    if (e === undefined) throw new Error('length');
    const r = await verify(e.build(), bounds(e.vocab, 10), {
      method: 'lemmas',
      compileOptions: { fixedPrecision: { softmaxColdness: 100, mlpLargeNumber: 100 } },
    });
    if (Either.isLeft(r)) throw new Error('verify failed');
    expect(r.right.certificate.verdict).toBe('counterexample');
    expect(r.right.certificate.counterexample?.input?.length).toBe(10);
  });

  it('certificates are byte-identical run to run (no wall time unless asked)', async () => {
    const e = findEntry('sort');
    if (e === undefined) throw new Error('sort');
    const run = async () => {
      const r = await verify(e.build(), bounds(e.vocab, e.maxLen), { method: 'auto', workers: 1 });
      if (Either.isLeft(r)) throw new Error('verify failed');
      return certificateJson(r.right.certificate);
    };
    expect(await run()).toBe(await run());
    const timed = await verify(e.build(), bounds(e.vocab, e.maxLen), { method: 'lemmas', timing: true });
    expect(Either.isRight(timed) && timed.right.certificate.time?.['lemmas']).toBeGreaterThan(0);
  });

  it('a numerical query that may select nothing is refused (BOS could not be the fallback)', () => {
    const r = compile(D.aggregate(D.select(D.indices, D.numerical(D.tokens), D.EQ), D.tokens), bounds([0, 3, 9], 4));
    expect(Either.isLeft(r) && r.left.map((d) => d.code)).toContain('rule/numerical-query');
  });
});
