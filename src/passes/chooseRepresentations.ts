/**
 * Choose representations: tries, node by node, to carry a numerically-valued s-op as one real
 * dimension instead of a one-hot, keeping the choice when the planner accepts it and the model is
 * smaller (layers first, then parameters). `length - indices - 1` then costs two hidden units,
 * not a |L|·|I| table.
 *
 * Preserves: the program (only the plan changes: which construction each node gets); every plan
 * it keeps passed the planner's rules. Checked by test/unit/passes/chooseRepresentations.test.ts.
 */
import * as Either from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { isSelector, type Encoding, type SOp } from '../ast/program.js';
import type { Diagnostic } from '../diagnostics.js';
import { planProgram } from '../typecheck/plan.js';
import { declaredEncoding, type TypedProgram } from '../typecheck/typecheck.js';
import { allocate } from './allocate.js';
import { modelSize } from './assemble.js';
import { lower } from './lower.js';
import type { Noted } from './pass.js';

/** A checked variant with the cost of its model. */
export interface Sized extends Noted {
  readonly layers: number;
  readonly parameters: number;
}

/** lower → allocate → dimensions only (no tensors): the cost of a candidate. */
export const sized = (n: Noted): Either.Either<readonly Diagnostic[], Sized> =>
  pipe(
    lower(n.typed),
    Either.chain((lowered) =>
      pipe(
        allocate(lowered),
        Either.map((allocation) => {
          const s = modelSize(lowered, allocation);
          return { typed: n.typed, notes: n.notes, layers: s.config.n_layers, parameters: s.parameters };
        }),
      ),
    ),
  );

/** Fewer layers, or as many with fewer parameters. */
export const smaller = (a: Sized, b: Sized): boolean => a.layers < b.layers || (a.layers === b.layers && a.parameters < b.parameters);

/** Nodes worth trying numerically: categorical maps, sequence maps and widths with ≥ 3 numbers and no None. */
const candidates = (typed: TypedProgram) =>
  typed.graph.nodes.filter((g) => {
    if (isSelector(g.node) || g.id === typed.graph.output) return false;
    if (!['map', 'sequenceMap', 'selectorWidth'].includes(g.node.kind)) return false;
    const set = typed.inference.valueSets.get(g.id);
    return (g.node as SOp).encoding === 'categorical' && set !== undefined && set.size >= 3 && set.isNumeric && !set.hasNone;
  });

/** The pass: the smallest model over greedy numerical choices; Left when even the baseline does not lower. */
export const chooseRepresentations = (n: Noted): Either.Either<readonly Diagnostic[], Sized> =>
  pipe(
    sized(n),
    Either.map((baseline) => {
      const typed = baseline.typed;
      const rep = new Map<number, Encoding>();
      const representation = (id: number): Encoding => rep.get(id) ?? declaredEncoding(typed.graph)(id);
      let best = baseline;
      const chosen: string[] = [];
      for (const g of candidates(typed)) {
        rep.set(g.id, 'numerical');
        const plan = planProgram(typed.graph, typed.inference, representation);
        const trial = Either.isRight(plan) ? sized({ typed: { ...typed, plan: plan.right }, notes: baseline.notes }) : undefined;
        if (trial !== undefined && Either.isRight(trial) && smaller(trial.right, best)) {
          best = trial.right;
          chosen.push(g.label);
        } else rep.delete(g.id);
      }
      if (chosen.length === 0) return best;
      return { ...best, notes: [...baseline.notes, `carried numerically (one dimension, linear route) instead of one-hot: ${chosen.join(', ')}`] };
    }),
  );
