/**
 * The compiler against the interpreter, on random programs (props/arbitraries.ts; the long runs
 * are `npm run fuzz`, docs/fuzzing.md). Every property has a fixed seed so CI is reproducible;
 * fast-check prints the seed, the path and the shrunk counterexample (as `.rasp` text with its
 * bounds) on failure. Value-set soundness is in props/language.test.ts.
 * Nothing is excluded: the compiler bugs the fuzzer found are fixed (docs/fuzzing.md) and their
 * counterexamples are regression tests in test/fuzzRegressions.test.ts.
 */
import { test } from '@fast-check/vitest';
import { describe } from 'vitest';
import {
  checkCompiler,
  describeFailure,
  programInputs,
  randomProgram,
  rawInputs,
  type CompilerCheckOptions,
  type RandomProgram,
} from './arbitraries.js';

/** Every input of length 1..L for the largest L with at most this many inputs, then the random ones. */
const EXHAUSTIVE_BUDGET = 40;

const holds = (p: RandomProgram, raw: readonly (readonly number[])[], options: CompilerCheckOptions): void => {
  const r = checkCompiler(p, programInputs(p, raw, EXHAUSTIVE_BUDGET), options);
  if (r.failure !== undefined) throw new Error(describeFailure(r.failure));
};

// 900 + 500 + 200 = 1600 random programs
describe('compiler properties (random programs)', () => {
  test.prop([randomProgram(), rawInputs(6)], { numRuns: 900, seed: 20261123 })(
    'compile ∘ forward ∘ decode ≡ interpret (and the checker accepts exactly what compiles)',
    (p, raw) => holds(p, raw, { acceptance: true, agreement: true }),
  );

  test.prop([randomProgram({ maxInstructions: 14 })], { numRuns: 500, seed: 424242 })(
    'the checker rejects exactly what the compiler cannot compile: isLeft(typecheck) = isLeft(compile)',
    (p) => holds(p, [], { acceptance: true, agreement: false }),
  );

  test.prop([randomProgram()], { numRuns: 200, seed: 777 })('compiling the same program twice gives byte-identical model files', (p) =>
    holds(p, [], { acceptance: false, agreement: false, determinism: true }),
  );
});
