import * as Either from 'fp-ts/lib/Either.js';
import * as D from '../ast/dsl.js';
import * as E from '../ast/expr.js';
import { labelOf } from '../ast/label.js';
import type { Node, SOp } from '../ast/program.js';
import { rewriteProgram } from '../ast/rewrite.js';
import type { ProgramGraph } from '../ast/graph.js';
import type { Diagnostic } from '../diagnostics.js';
import { sequenceMapShape } from '../typecheck/plan.js';
import { analyse, declaredEncoding, type Analysed } from '../typecheck/typecheck.js';
import type { ValueSet } from '../typecheck/valueSet.js';

/**
 * Preserves: the program's output on every input (the inserted map is the identity; only the
 * encoding of one input changes). Checked by test/unit/passes/discretiseNumericalPairs.test.ts.
 *
 * A sequence map of two numerical inputs that is not affine (or whose output is categorical, as a
 * categorical linear sequence map) needs one input as categorical:
 * one MLP cannot cut two real inputs into steps at once. This rewrite inserts
 * `categorical(map(x -> x, input))` for the input with fewer values (an extra MLP stage), so such
 * programs compile instead of being refused.
 */
export const discretiseInputs = (
  program: SOp,
  graph: ProgramGraph,
  sets: ReadonlyMap<number, ValueSet>,
  targets: readonly number[],
): SOp => {
  if (targets.length === 0) return program;
  const chosen = new Map<number, 'fst' | 'snd'>();
  for (const id of targets) {
    const g = graph.nodes[id] as { node: Node; children: readonly number[] };
    const [a, b] = g.children as [number, number];
    chosen.set(id, (sets.get(a) as ValueSet).size <= (sets.get(b) as ValueSet).size ? 'fst' : 'snd');
  }
  const copies = new Map<Node, SOp>();
  const discrete = (input: SOp): SOp => {
    let c = copies.get(input);
    if (c === undefined) {
      c = D.named(D.map(D.lambda(['x'], E.v('x')), input), `${labelOf(input)}_discrete`);
      copies.set(input, c);
    }
    return c;
  };
  return rewriteProgram(program, (original, rebuilt) => {
    const id = graph.idOf.get(original);
    const side = id === undefined ? undefined : chosen.get(id);
    if (side === undefined || (rebuilt.kind !== 'sequenceMap' && rebuilt.kind !== 'linearSequenceMap')) return rebuilt;
    return { ...rebuilt, [side]: discrete(rebuilt[side]) };
  });
};

/** The pass: every sequence map of two numerical inputs gets one input discretised, then the program is re-analysed. */
export const discretiseNumericalPairs = (a: Analysed): Either.Either<readonly Diagnostic[], Analysed> => {
  const targets = a.graph.nodes
    .filter((g) => g.node.kind === 'sequenceMap' || g.node.kind === 'linearSequenceMap')
    .filter((g) => sequenceMapShape(a.graph, g.id, a.inference.valueSets, declaredEncoding(a.graph)) === 'two-numerical')
    .map((g) => g.id);
  if (targets.length === 0) return Either.right(a);
  return analyse(discretiseInputs(a.program, a.graph, a.inference.valueSets, targets), a.bounds);
};
