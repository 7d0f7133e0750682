/**
 * The checker's analysis of one program: its graph, sound value sets and selector facts
 * (`analyse`), and the construction of every node (`planned`). Analysis only: the rewrites that
 * make more programs compilable, and the policy of which to apply, are compile passes
 * (src/passes/pipeline.ts).
 */
import * as Either from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { buildGraph, type ProgramGraph } from '../ast/graph.js';
import type { Encoding, SOp } from '../ast/program.js';
import type { Diagnostic } from '../diagnostics.js';
import type { Bounds } from './bounds.js';
import { inferValueSets, type ValueSetInference } from './inferValueSets.js';
import { planProgram, type ProgramPlan } from './plan.js';

/** A program with its graph and value sets at the bounds. */
export interface Analysed {
  readonly program: SOp;
  readonly bounds: Bounds;
  readonly graph: ProgramGraph;
  readonly inference: ValueSetInference;
}

/** A program that passed the checker: its graph, value sets and the construction of every node. */
export interface TypedProgram extends Analysed {
  readonly plan: ProgramPlan;
  readonly warnings: readonly Diagnostic[];
}

/** The graph and sound value sets of `program` within `bounds`. */
export const analyse = (program: SOp, bounds: Bounds): Either.Either<readonly Diagnostic[], Analysed> =>
  pipe(
    buildGraph(program),
    Either.chain((graph) =>
      pipe(
        inferValueSets(graph, bounds),
        Either.map((inference) => ({ program, bounds, graph, inference })),
      ),
    ),
  );

/** The encoding a graph node was declared with (selectors have none: never asked). */
export const declaredEncoding =
  (graph: ProgramGraph) =>
  (id: number): Encoding =>
    (graph.nodes[id]?.node as { encoding: Encoding }).encoding;

/** The construction of every node with its declared encoding; refused by the compilability rules. */
export const planned = (a: Analysed): Either.Either<readonly Diagnostic[], TypedProgram> =>
  pipe(
    planProgram(a.graph, a.inference),
    Either.map((plan): TypedProgram => ({ ...a, plan, warnings: a.inference.warnings })),
  );
