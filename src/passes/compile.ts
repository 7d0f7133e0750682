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
import { checkSize } from '../typecheck/sizeEstimate.js';
import { typecheck, type TypedProgram } from '../typecheck/typecheck.js';
import { allocate, type Allocation } from './allocate.js';
import { assemble, modelSize, programHash } from './assemble.js';
import { absorbMaps } from './absorbMaps.js';
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
  /** Refuse (size/too-large) when the estimated model exceeds this many parameters (default DEFAULT_MAX_PARAMS). */
  readonly maxParams?: number;
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

interface Sized {
  readonly typed: TypedProgram;
  readonly notes: readonly string[];
  readonly layers: number;
  readonly parameters: number;
}

/** lower → allocate → dimensions only (no tensors): the cost of a candidate. */
const size = (typed: TypedProgram, notes: readonly string[]): Sized | undefined => {
  const lowered = lower(typed);
  if (Either.isLeft(lowered)) return undefined;
  const allocation = allocate(lowered.right);
  if (Either.isLeft(allocation)) return undefined;
  const s = modelSize(lowered.right, allocation.right);
  return { typed, notes, layers: s.config.n_layers, parameters: s.parameters };
};

const better = (a: Sized, b: Sized): boolean => a.layers < b.layers || (a.layers === b.layers && a.parameters < b.parameters);

/**
 * Tries, node by node, to carry a numerically-valued s-op as one real dimension instead of a
 * one-hot: kept when the planner accepts it and the model is smaller (layers first, then
 * parameters). `length - indices - 1` then costs two hidden units, not a |L|·|I| table.
 */
const chooseRepresentations = (baseline: Sized): Sized => {
  const typed = baseline.typed;
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
    const trial = Either.isRight(plan) ? size({ ...typed, plan: plan.right }, baseline.notes) : undefined;
    if (trial !== undefined && better(trial, best)) {
      best = trial;
      chosen.push(g.label);
    } else rep.delete(g.id);
  }
  if (chosen.length === 0) return best;
  return { ...best, notes: [...baseline.notes, `carried numerically (one dimension, linear route) instead of one-hot: ${chosen.join(', ')}`] };
};

/** Fusion, map absorption, then the representation search, for one checked variant. */
const optimise = (typed: TypedProgram, bounds: Bounds, notes: readonly string[]): Sized | undefined => {
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
  const absorption = absorbMaps(current.program, current.graph, current.inference.valueSets);
  if (absorption.absorbed.length > 0) {
    const rechecked = typecheck(absorption.program, bounds, { normaliseSelectors: false });
    if (Either.isRight(rechecked)) {
      current = rechecked.right;
      allNotes.push(`maps read only by selects absorbed into their predicates: ${absorption.absorbed.join(', ')}`);
    }
  }
  const baseline = size(current, allNotes);
  return baseline === undefined ? undefined : chooseRepresentations(baseline);
};

export const compile = (
  program: SOp,
  bounds: Bounds,
  options: CompileOptions = {},
): Either.Either<readonly Diagnostic[], Compilation> => {
  // the size guard first: nothing is built for a model beyond the budget (sizeEstimate.ts)
  const guarded = Either.chain((t: TypedProgram) => checkSize(t, options.maxParams))(typecheck(program, bounds));
  if (Either.isLeft(guarded)) return Either.left(guarded.left);
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
  let best: Sized | undefined;
  for (const v of variants) {
    if (Either.isLeft(v.typed)) continue;
    const c = optimise(v.typed.right, bounds, v.notes);
    if (c !== undefined && (best === undefined || better(c, best))) best = c;
  }
  if (best !== undefined) return build(best.typed, best.notes, sourceHash);
  return Either.chain((t: TypedProgram) => build(t, [], sourceHash))(typecheck(program, bounds));
};
