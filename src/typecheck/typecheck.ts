import * as Either from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { SOp } from '../ast/program.js';
import type { Diagnostic } from '../diagnostics.js';
import { buildGraph, type ProgramGraph } from '../passes/graph.js';
import type { Bounds } from './bounds.js';
import { inferValueSets, type ValueSetInference } from './inferValueSets.js';
import { planProgram, type ProgramPlan } from './plan.js';

/** A program that passed the checker: its graph, value sets and the construction of every node. */
export interface TypedProgram {
  readonly program: SOp;
  readonly bounds: Bounds;
  readonly graph: ProgramGraph;
  readonly inference: ValueSetInference;
  readonly plan: ProgramPlan;
  readonly warnings: readonly Diagnostic[];
}

/** The typecheck pass: graph, sound value sets, and the compilability rules (via the planner). */
export const typecheck = (program: SOp, bounds: Bounds): Either.Either<readonly Diagnostic[], TypedProgram> =>
  pipe(
    buildGraph(program),
    Either.chain((graph) =>
      pipe(
        inferValueSets(graph, bounds),
        Either.chain((inference) =>
          pipe(
            planProgram(graph, inference),
            Either.map(
              (plan): TypedProgram => ({ program, bounds, graph, inference, plan, warnings: inference.warnings }),
            ),
          ),
        ),
      ),
    ),
  );
