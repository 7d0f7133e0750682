import * as Either from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { Encoding, SOp } from '../ast/program.js';
import type { Diagnostic } from '../diagnostics.js';
import { diagnostic } from '../diagnostics.js';
import { discretiseNumericalPairs } from '../passes/discretiseNumericalPairs.js';
import { tupleSelectors } from '../passes/tupleSelectors.js';
import { lexicographicKeys, splitDisjointWidths } from '../passes/normaliseSelectors.js';
import { RULES } from './rules.js';
import { buildGraph, type ProgramGraph } from '../passes/graph.js';
import type { Bounds } from './bounds.js';
import { inferValueSets, type ValueSetInference } from './inferValueSets.js';
import { planProgram, planSelector, sequenceMapShape, type ProgramPlan } from './plan.js';

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
    .filter((g) => g.node.kind === 'sequenceMap' || g.node.kind === 'linearSequenceMap')
    .filter((g) => sequenceMapShape(a.graph, g.id, a.inference.valueSets, declared(a)) === 'two-numerical')
    .map((g) => g.id);
  if (targets.length === 0) return Either.right(a);
  return analyse(discretiseNumericalPairs(a.program, a.graph, a.inference.valueSets, targets), bounds);
};

/** Composite selectors that one score cannot express become selects over tuples (then re-analysed). */
const withTupleSelectors = (a: Analysed, bounds: Bounds): Either.Either<readonly Diagnostic[], Analysed> => {
  const selectorIds = new Set(
    a.graph.nodes
      .filter((g) => g.node.kind === 'aggregate' || g.node.kind === 'selectorWidth')
      .map((g) => g.children[0] as number),
  );
  const targets = [...selectorIds].filter((id) => {
    const p = planSelector(a.graph, id, declared(a), a.inference.valueSets, a.inference.selectorFacts);
    return 'kind' in p && p.kind === 'score-tuple';
  });
  if (targets.length === 0) return Either.right(a);
  const problems = targets.flatMap((id) => {
    const p = planSelector(a.graph, id, declared(a), a.inference.valueSets, a.inference.selectorFacts);
    const sops = 'groups' in p ? p.groups.flatMap((g) => [g.queries, g.keys]) : [];
    const noneable = sops.filter((s) => a.inference.valueSets.get(s)?.hasNone);
    return noneable.map((s) =>
      diagnostic(RULES.compositeNone.id, `${a.graph.nodes[s]?.label} may be None: ${RULES.compositeNone.summary}`, {
        node: a.graph.nodes[id]?.label,
        fix: RULES.compositeNone.fix,
      }),
    );
  });
  if (problems.length > 0) return Either.left(problems);
  return analyse(tupleSelectors(a.program, a.graph, targets), bounds);
};

type Rewrite = (program: SOp, graph: ProgramGraph, sets: ReadonlyMap<number, import('./valueSet.js').ValueSet>) => { program: SOp; rewrites: string[] };

/** Applies a checked rewrite and re-analyses when it changed the program. */
const rewriteWith = (rewrite: Rewrite) => (a: Analysed, bounds: Bounds): Either.Either<readonly Diagnostic[], Analysed> => {
  const r = rewrite(a.program, a.graph, a.inference.valueSets);
  return r.program === a.program ? Either.right(a) : analyse(r.program, bounds);
};

export interface TypecheckOptions {
  /**
   * Rewrite selectors into cheaper equivalents first (lexicographic keys, widths of disjoint
   * unions; src/passes/normaliseSelectors.ts). Left out, the checker tries without and then with,
   * so it accepts exactly what the compiler (which tries both) can compile.
   */
  readonly normaliseSelectors?: boolean;
}

const pipeline = (program: SOp, bounds: Bounds, normalise: boolean): Either.Either<readonly Diagnostic[], TypedProgram> =>
  pipe(
    analyse(program, bounds),
    Either.chain((a) => (normalise ? rewriteWith(lexicographicKeys)(a, bounds) : Either.right(a))),
    Either.chain((a) => (normalise ? rewriteWith(splitDisjointWidths)(a, bounds) : Either.right(a))),
    Either.chain((a) => withDiscretisedPairs(a, bounds)),
    Either.chain((a) => withTupleSelectors(a, bounds)),
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

/** The typecheck pass: graph, sound value sets, and the compilability rules (via the planner). */
export const typecheck = (
  program: SOp,
  bounds: Bounds,
  options: TypecheckOptions = {},
): Either.Either<readonly Diagnostic[], TypedProgram> => {
  if (options.normaliseSelectors !== undefined) return pipeline(program, bounds, options.normaliseSelectors);
  const plain = pipeline(program, bounds, false);
  if (Either.isRight(plain)) return plain;
  const normalised = pipeline(program, bounds, true);
  return Either.isRight(normalised) ? normalised : plain;
};
