/**
 * The compiler: program + bounds → weights. Each pass is a pure function returning Either:
 *
 *   typecheck (graph, value sets, rules, plan)
 *   → fuse consecutive maps (fewer layers), re-checked
 *   → choose representations (numerical where a linear route is smaller)
 *   → lower (craft blocks, derived precision) → allocate (layers) → assemble (tensors, manifest).
 */
import * as Either from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { isSelector, type Encoding, type SOp } from '../ast/program.js';
import type { Diagnostic } from '../diagnostics.js';
import type { CompiledModel } from '../model/model.js';
import type { Bounds } from '../typecheck/bounds.js';
import { planProgram } from '../typecheck/plan.js';
import { typecheck, type TypedProgram } from '../typecheck/typecheck.js';
import { allocate, type Allocation } from './allocate.js';
import { assemble, programHash } from './assemble.js';
import { fuseMaps } from './fuseMaps.js';
import { lower, type FixedPrecision, type LoweredProgram } from './lower.js';

export interface Compilation {
  readonly model: CompiledModel;
  readonly typed: TypedProgram;
  readonly lowered: LoweredProgram;
  readonly allocation: Allocation;
}

export interface CompileOptions {
  /** Fuse map chains and choose representations (default true). */
  readonly optimise?: boolean;
  /** Tracr-style fixed constants instead of derived precision (for demonstrations; see lower.ts). */
  readonly fixedPrecision?: FixedPrecision;
}

const declaredOf = (typed: TypedProgram) => (id: number): Encoding =>
  (typed.graph.nodes[id]?.node as { encoding: Encoding }).encoding;

/** lower → allocate → assemble for a checked program. */
const build = (
  typed: TypedProgram,
  notes: readonly string[],
  sourceHash: string,
  fixed?: FixedPrecision,
): Either.Either<readonly Diagnostic[], Compilation> =>
  pipe(
    lower(typed, fixed),
    Either.chain((lowered) =>
      pipe(
        allocate(lowered),
        Either.chain((allocation) =>
          pipe(
            assemble({ lowered, allocation, declaredEncoding: declaredOf(typed), notes, sourceHash }),
            Either.map((model) => ({ model, typed, lowered, allocation })),
          ),
        ),
      ),
    ),
  );

const better = (a: CompiledModel, b: CompiledModel): boolean =>
  a.config.n_layers < b.config.n_layers || (a.config.n_layers === b.config.n_layers && a.manifest.parameters < b.manifest.parameters);

/**
 * Tries, node by node, to carry a numerically-valued s-op as one real dimension instead of a
 * one-hot: kept when the planner accepts it and the compiled model is smaller (layers first,
 * then parameters). `length - indices - 1` then costs two hidden units, not a |L|·|I| table.
 */
const chooseRepresentations = (typed: TypedProgram, baseline: Compilation, notes: readonly string[], sourceHash: string): Compilation => {
  const graph = typed.graph;
  const rep = new Map<number, Encoding>();
  const representation = (id: number): Encoding => rep.get(id) ?? declaredOf(typed)(id);
  let best = baseline;
  const candidates = graph.nodes.filter((g) => {
    if (isSelector(g.node) || g.id === graph.output) return false;
    if (!['map', 'sequenceMap', 'selectorWidth'].includes(g.node.kind)) return false;
    const set = typed.inference.valueSets.get(g.id);
    return (g.node as SOp).encoding === 'categorical' && set !== undefined && set.size >= 3 && set.isNumeric && !set.hasNone;
  });
  const chosen: string[] = [];
  for (const g of candidates) {
    rep.set(g.id, 'numerical');
    const plan = planProgram(graph, typed.inference, representation);
    const trial = Either.isRight(plan) ? build({ ...typed, plan: plan.right }, notes, sourceHash) : undefined;
    if (trial !== undefined && Either.isRight(trial) && better(trial.right.model, best.model)) {
      best = trial.right;
      chosen.push(g.label);
    } else rep.delete(g.id);
  }
  if (chosen.length === 0) return best;
  const note = `carried numerically (one dimension, linear route) instead of one-hot: ${chosen.join(', ')}`;
  return Either.getOrElse((): Compilation => best)(
    build({ ...typed, plan: best.typed.plan }, [...notes, note], sourceHash),
  );
};

/** Fusion, then the representation search, for one checked variant of the program. */
const optimise = (
  typed: TypedProgram,
  bounds: Bounds,
  notes: readonly string[],
  sourceHash: string,
): Either.Either<readonly Diagnostic[], Compilation> => {
  let current = typed;
  const allNotes = [...notes];
  const fusion = fuseMaps(current.program, current.graph, current.inference.valueSets);
  if (fusion.fused.length > 0) {
    const refused = typecheck(fusion.program, bounds, { normaliseSelectors: false });
    if (Either.isRight(refused)) {
      current = refused.right;
      allNotes.push(`fused consecutive MLP steps: ${fusion.fused.join('; ')}`);
    }
  }
  return Either.map((baseline: Compilation) => chooseRepresentations(current, baseline, allNotes, sourceHash))(
    build(current, allNotes, sourceHash),
  );
};

export const compile = (
  program: SOp,
  bounds: Bounds,
  options: CompileOptions = {},
): Either.Either<readonly Diagnostic[], Compilation> => {
  const sourceHash = programHash(program);
  if (options.fixedPrecision !== undefined) {
    const note = `FIXED precision (softmax coldness ${options.fixedPrecision.softmaxColdness}, MLP large number ${options.fixedPrecision.mlpLargeNumber}), as Tracr: not derived from the bounds`;
    return Either.chain((t: TypedProgram) => build(t, [note], sourceHash, options.fixedPrecision))(typecheck(program, bounds));
  }
  if (options.optimise === false) return Either.chain((t: TypedProgram) => build(t, [], sourceHash))(typecheck(program, bounds));
  // two variants: the selectors as written, and rewritten into cheaper equivalents; keep the
  // smaller (a tie keeps the program as written)
  const variants = [
    { typed: typecheck(program, bounds, { normaliseSelectors: false }), notes: [] as string[] },
    { typed: typecheck(program, bounds, { normaliseSelectors: true }), notes: ['selectors rewritten into cheaper equivalents (lexicographic keys, widths of disjoint unions)'] },
  ];
  let best: Compilation | undefined;
  for (const v of variants) {
    if (Either.isLeft(v.typed)) continue;
    const c = optimise(v.typed.right, bounds, v.notes, sourceHash);
    if (Either.isRight(c) && (best === undefined || better(c.right.model, best.model))) best = c.right;
  }
  if (best !== undefined) return Either.right(best);
  return Either.chain((t: TypedProgram) => build(t, [], sourceHash))(typecheck(program, bounds));
};
