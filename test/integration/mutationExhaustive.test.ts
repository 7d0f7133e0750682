/**
 * Mutation test for the exhaustive method: for every library program, one output weight flipped
 * (test/support/mutate.ts) is caught with a counterexample that really breaks the model.
 */
import * as Either from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { Value } from '../../src/ast/value.js';
import { REGISTRY } from '../../src/lib/index.js';
import { verify } from '../../src/passes/verifyProgram.js';
import { disagreesOn } from '../support/mutate.js';
import { mutationCase } from '../support/mutationCase.js';

describe('the exhaustive method catches a flipped weight', () => {
  for (const e of REGISTRY) {
    it(`${e.name}`, async () => {
      const { program, bounds: b, causal, mutated } = mutationCase(e);
      const r = await verify(program, b, { method: 'exhaustive', model: mutated.model, workers: 1 });
      if (Either.isLeft(r)) throw new Error(r.left.map((d) => d.message).join('; '));
      const c = r.right.certificate;
      expect(c.verdict, mutated.description).toBe('counterexample');
      const input = c.counterexample?.input as Value[] | undefined;
      expect(input).toBeDefined();
      expect(disagreesOn(program, mutated.model, input as Value[], causal)).toBe(true);
      expect(c.counterexample?.message.length).toBeGreaterThan(0);
    });
  }
});
