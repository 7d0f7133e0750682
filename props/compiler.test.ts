/**
 * The compiler against the interpreter, on random programs (props/arbitraries.ts; the long runs
 * are `npm run fuzz`, docs/fuzzing.md). Every property has a fixed seed so CI is reproducible;
 * fast-check prints the seed, the path and the shrunk counterexample (as `.rasp` text with its
 * bounds) on failure. Value-set soundness is in props/language.test.ts.
 * Nothing is excluded: the compiler bugs the fuzzer found are fixed (docs/fuzzing.md) and their
 * counterexamples are regression tests in test/integration/fuzzRegressions.test.ts.
 */
import { fc, test } from '@fast-check/vitest';
import * as Either from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { makeBounds } from '../src/typecheck/bounds.js';
import { typecheck } from '../src/passes/compile.js';
import { ENCODED_KINDS, encodedKindsOf, programInputs, randomProgram, rawInputs, type RandomProgram } from './arbitraries.js';
import { checkCompiler, describeFailure, type CompilerCheckOptions } from './compilerCheck.js';

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

describe('the generator', () => {
  it('makes every s-op kind with both encodings, in programs the checker accepts', () => {
    const seen = new Set<string>();
    for (const p of fc.sample(randomProgram(), { numRuns: 400, seed: 13 })) {
      const b = makeBounds(p.vocab, p.maxLen, p.causal);
      if (Either.isRight(b) && Either.isRight(typecheck(p.program, b.right))) for (const k of encodedKindsOf(p.program)) seen.add(k);
    }
    expect(ENCODED_KINDS.filter((k) => !seen.has(k))).toEqual([]);
  });
});
