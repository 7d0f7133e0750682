import * as Either from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { Encoding, SOp } from '../ast/program.js';
import type { Diagnostic } from '../diagnostics.js';
import { discretiseNumericalPairs } from '../passes/discretiseNumericalPairs.js';
import { buildGraph, type ProgramGraph } from '../passes/graph.js';
import type { Bounds } from './bounds.js';
import { inferValueSets, type ValueSetInference } from './inferValueSets.js';
import { planProgram, sequenceMapShape, type ProgramPlan } from './plan.js';

/** A program that passed the checker: its graph, value sets and the construction of every node. */
export interface TypedProgram {
  /** The program as compiled (after the checker's rewrites; see discretiseNumericalPairs). */
  readonly program: SOp;
  readonly bounds: Bounds;
  readonly graph: ProgramGraph;
  readonly inference: ValueSetInference;
  readonly plan: ProgramPlan;
  readonly warnings: readonly Diagnostic[];
}

type Analysed = { readonly program: SOp; readonly graph: ProgramGraph; readonly inference: ValueSetInference };

const analyse = (program: SOp, bounds: Bounds): Either.Either<readonly Diagnostic[], Analysed> =>
  pipe(
    buildGraph(program),
    Either.chain((graph) =>
      pipe(
        inferValueSets(graph, bounds),
        Either.map((inference) => ({ program, graph, inference })),
      ),
    ),
  );

const declared = (a: Analysed) => (id: number): Encoding => (a.graph.nodes[id]?.node as { encoding: Encoding }).encoding;

/** Sequence maps of two numerical inputs get one input discretised first, then everything is re-analysed. */
const withDiscretisedPairs = (a: Analysed, bounds: Bounds): Either.Either<readonly Diagnostic[], Analysed> => {
  const targets = a.graph.nodes
    .filter((g) => g.node.kind === 'sequenceMap')
    .filter((g) => sequenceMapShape(a.graph, g.id, a.inference.valueSets, declared(a)) === 'two-numerical')
    .map((g) => g.id);
  if (targets.length === 0) return Either.right(a);
  return analyse(discretiseNumericalPairs(a.program, a.graph, a.inference.valueSets, targets), bounds);
};

/** The typecheck pass: graph, sound value sets, and the compilability rules (via the planner). */
export const typecheck = (program: SOp, bounds: Bounds): Either.Either<readonly Diagnostic[], TypedProgram> =>
  pipe(
    analyse(program, bounds),
    Either.chain((a) => withDiscretisedPairs(a, bounds)),
    Either.chain((a) =>
      pipe(
        planProgram(a.graph, a.inference),
        Either.map(
          (plan): TypedProgram => ({
            program: a.program,
            bounds,
            graph: a.graph,
            inference: a.inference,
            plan,
            warnings: a.inference.warnings,
          }),
        ),
      ),
    ),
  );
