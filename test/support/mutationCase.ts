/** Test helper: a library program, its small bounds, and its compiled model with one output weight flipped. */
import type { SOp } from '../../src/ast/program.js';
import type { LibraryEntry } from '../../src/lib/index.js';
import type { Bounds } from '../../src/typecheck/bounds.js';
import { bounds, compiled, randomInputs } from './check.js';
import { mutateOutputWeight, type Mutation } from './mutate.js';

export interface MutationCase {
  readonly program: SOp;
  readonly bounds: Bounds;
  readonly causal: boolean;
  readonly mutated: Mutation;
}

export const mutationCase = (e: LibraryEntry): MutationCase => {
  const causal = e.causal ?? false;
  const b = bounds(e.vocab, Math.min(e.maxLen, 4), causal);
  const program = e.build();
  return { program, bounds: b, causal, mutated: mutateOutputWeight(compiled(program, b).model, randomInputs(e.vocab, b.maxLen, 50)) };
};
