/** What the compile passes hand each other (src/passes/pipeline.ts). */
import type * as Either from 'fp-ts/lib/Either.js';
import type { SOp } from '../ast/program.js';
import type { Diagnostic } from '../diagnostics.js';
import type { Bounds } from '../typecheck/bounds.js';
import type { TypedProgram } from '../typecheck/typecheck.js';

/** A checked program and the notes (for the manifest) saying what the passes did to it. */
export interface Noted {
  readonly typed: TypedProgram;
  readonly notes: readonly string[];
}

/** The checker an optimising rewrite re-runs on its result: its output is compiled only if this accepts it. */
export type Recheck = (program: SOp, bounds: Bounds) => Either.Either<readonly Diagnostic[], TypedProgram>;
