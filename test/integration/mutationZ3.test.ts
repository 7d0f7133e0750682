/**
 * Mutation test for the Z3 method (a solver test, in its own file): for every library program,
 * one output weight flipped (test/support/mutate.ts) gives a counterexample that really breaks the
 * model.
 */
import * as Either from 'fp-ts/lib/Either.js';
import { afterAll, describe, expect, it } from 'vitest';
import type { Value } from '../../src/ast/value.js';
import { REGISTRY } from '../../src/lib/index.js';
import { verify } from '../../src/passes/verifyProgram.js';
import { shutdownZ3 } from '../../src/proofs/z3/solver.js';
import { disagreesOn } from '../support/mutate.js';
import { mutationCase } from '../support/mutationCase.js';

afterAll(async () => {
  await shutdownZ3();
});

describe('the Z3 method catches a flipped weight', () => {
  for (const e of REGISTRY) {
    it(`${e.name}`, async () => {
      const { program, bounds: b, causal, mutated } = mutationCase(e);
      const r = await verify(program, b, { method: 'z3', model: mutated.model, z3TimeoutMs: 30_000 });
      if (Either.isLeft(r)) throw new Error(r.left.map((d) => d.message).join('; '));
      const c = r.right.certificate;
      expect(c.verdict, mutated.description).toBe('counterexample');
      expect(c.counterexample?.method).toMatch(/z3/);
      const input = c.counterexample?.input as Value[] | undefined;
      expect(input).toBeDefined();
      expect(disagreesOn(program, mutated.model, input as Value[], causal)).toBe(true);
    });
  }
});
