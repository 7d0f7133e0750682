/**
 * The compiler, pass by pass. Read top to bottom, this file is the whole of it: each step is a
 * pure function in its own file returning an Either of diagnostics or its result, and each file's
 * header says what the pass preserves and which test or lemma checks it. `compile.ts` only
 * searches over the variants this pipeline offers (selectors as written or normalised) and keeps
 * the smallest model.
 *
 *   check                    typecheck/typecheck.ts        graph + sound value sets
 *   normalise selectors      normaliseSelectors.ts         (one of the two variants only)
 *   discretise pairs         discretiseNumericalPairs.ts
 *   tuple selectors          tupleSelectors.ts
 *   plan                     typecheck/typecheck.ts        the construction of every node (the rules)
 *   fuse                     fuseMaps.ts                   kept only if the result re-checks
 *   absorb                   absorbMaps.ts                 kept only if the result re-checks
 *   choose representations   chooseRepresentations.ts      re-plans; smaller model wins
 *   lower                    lower.ts                      craft blocks, derived precision
 *   allocate                 allocate.ts                   layers
 *   assemble                 assemble.ts                   tensors + manifest
 *   certify                  certify.ts                    proofs on the model (src/proofs/)
 */
import * as Either from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { SOp } from '../ast/program.js';
import type { Diagnostic } from '../diagnostics.js';
import type { CompiledModel } from '../model/model.js';
import type { Bounds } from '../typecheck/bounds.js';
import { analyse, declaredEncoding, planned, type TypedProgram } from '../typecheck/typecheck.js';
import { absorbMaps } from './absorbMaps.js';
import { allocate, type Allocation } from './allocate.js';
import { assemble } from './assemble.js';
import { chooseRepresentations, type Sized } from './chooseRepresentations.js';
import { discretiseNumericalPairs } from './discretiseNumericalPairs.js';
import { fuseMaps } from './fuseMaps.js';
import { lower, type FixedPrecision, type LoweredProgram } from './lower.js';
import { normaliseSelectors } from './normaliseSelectors.js';
import type { Noted } from './pass.js';
import { tupleSelectors } from './tupleSelectors.js';

export { certifyCompilation as certify } from './certify.js';

/** Which variant of the program the front end checks. */
export interface Variant {
  /** Rewrite selectors into cheaper equivalents (lexicographic keys, widths of disjoint unions). */
  readonly normaliseSelectors: boolean;
}

/** check → rewrites → plan: the program made compilable, or the diagnostics that refuse it. */
export const checkProgram = (program: SOp, bounds: Bounds, variant: Variant): Either.Either<readonly Diagnostic[], TypedProgram> =>
  pipe(
    analyse(program, bounds),
    Either.chain((a) => (variant.normaliseSelectors ? normaliseSelectors(a) : Either.right(a))),
    Either.chain(discretiseNumericalPairs),
    Either.chain(tupleSelectors),
    Either.chain(planned),
  );

/** What fuse and absorb re-run on their results: the front end without selector normalisation. */
const recheck = (program: SOp, bounds: Bounds): Either.Either<readonly Diagnostic[], TypedProgram> =>
  checkProgram(program, bounds, { normaliseSelectors: false });

/** fuse → absorb → choose representations: the smallest model of one checked variant. */
export const optimise = (checked: Noted): Either.Either<readonly Diagnostic[], Sized> => {
  const fused = pipe(fuseMaps(checked, recheck), Either.getOrElse(() => checked));
  const absorbed = pipe(absorbMaps(fused, recheck), Either.getOrElse(() => fused));
  return chooseRepresentations(absorbed);
};

export interface Compilation {
  readonly model: CompiledModel;
  readonly typed: TypedProgram;
  readonly lowered: LoweredProgram;
  readonly allocation: Allocation;
}

/** lower → allocate → assemble: the weights of a checked (and planned) program. */
export const build = (
  chosen: Noted,
  sourceHash: string,
  fixed?: FixedPrecision,
): Either.Either<readonly Diagnostic[], Compilation> => {
  const typed = chosen.typed;
  return pipe(
    lower(typed, fixed),
    Either.chain((lowered) =>
      pipe(
        allocate(lowered),
        Either.chain((allocation) =>
          pipe(
            assemble({ lowered, allocation, declaredEncoding: declaredEncoding(typed.graph), notes: chosen.notes, sourceHash }),
            Either.map((model) => ({ model, typed, lowered, allocation })),
          ),
        ),
      ),
    ),
  );
};
