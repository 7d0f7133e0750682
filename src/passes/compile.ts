/**
 * The compiler: program + bounds → weights. Each pass is a pure function returning Either:
 * typecheck (graph, value sets, rules, plan) → lower (craft blocks, derived precision) →
 * allocate (layers) → assemble (tensors, manifest).
 */
import * as Either from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { Encoding, SOp } from '../ast/program.js';
import type { Diagnostic } from '../diagnostics.js';
import type { CompiledModel } from '../model/model.js';
import type { Bounds } from '../typecheck/bounds.js';
import { typecheck, type TypedProgram } from '../typecheck/typecheck.js';
import { allocate, type Allocation } from './allocate.js';
import { assemble } from './assemble.js';
import { lower, type LoweredProgram } from './lower.js';

export interface Compilation {
  readonly model: CompiledModel;
  readonly typed: TypedProgram;
  readonly lowered: LoweredProgram;
  readonly allocation: Allocation;
}

export const compile = (program: SOp, bounds: Bounds): Either.Either<readonly Diagnostic[], Compilation> =>
  pipe(
    typecheck(program, bounds),
    Either.chain((typed) =>
      pipe(
        lower(typed),
        Either.chain((lowered) =>
          pipe(
            allocate(lowered),
            Either.chain((allocation) =>
              pipe(
                assemble({
                  lowered,
                  allocation,
                  declaredEncoding: (id) => (typed.graph.nodes[id]?.node as { encoding: Encoding }).encoding,
                  notes: [],
                }),
                Either.map((model) => ({ model, typed, lowered, allocation })),
              ),
            ),
          ),
        ),
      ),
    ),
  );
