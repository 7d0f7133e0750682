import { applyPredicate } from '../ast/apply.js';
import type { Value } from '../ast/value.js';
import type { ProgramGraph } from '../ast/graph.js';
import type { ValueSet } from './valueSet.js';

/** Static facts about a selector used to sharpen value sets and pick constructions. */
export interface SelectorFacts {
  /** Every query selects its own position (so the selection is never empty). */
  readonly selfSelecting: boolean;
  /** No query selects more than one key position. */
  readonly atMostOne: boolean;
  /**
   * Every query selects at least one key on every input within the bounds: implied by
   * selfSelecting, or proved for a position-only selector by evaluating it at every length.
   */
  readonly neverEmpty: boolean;
}

/** Above this many (key, query) value pairs a predicate is not evaluated on all of them. */
const MAX_PAIRS_EVALUATED = 2_000_000;

/**
 * Facts for the selector with graph id `id`, given the value sets of its keys and queries and the
 * facts of the selectors below it.
 */
export const selectorFacts = (
  graph: ProgramGraph,
  id: number,
  valueSets: ReadonlyMap<number, ValueSet>,
  known: ReadonlyMap<number, SelectorFacts>,
): SelectorFacts => {
  const g = graph.nodes[id];
  if (g === undefined) throw new Error(`bug: no graph node ${id}`);
  const node = g.node;
  const facts = (childIndex: number): SelectorFacts => known.get(g.children[childIndex] as number) as SelectorFacts;
  switch (node.kind) {
    case 'select': {
      const [keysId, queriesId] = g.children as [number, number];
      const keys = valueSets.get(keysId) as ValueSet;
      const queries = valueSets.get(queriesId) as ValueSet;
      const p = node.predicate;
      const noNone = !keys.hasNone && !queries.hasNone;
      const always = p.kind === 'comparison' && p.op === 'TRUE';
      const reflexive =
        keysId === queriesId && !keys.hasNone && keys.values.every((v) => applyPredicate(p, v, v) === true);
      const keyNode = graph.nodes[keysId]?.node;
      const atMostOne =
        (p.kind === 'comparison' && p.op === 'FALSE') ||
        (keyNode?.kind === 'indices' &&
          // beyond this many pairs, not evaluated (false is the sound answer)
          keys.size * queries.size <= MAX_PAIRS_EVALUATED &&
          queries.values.every(
            (q: Value) => keys.values.filter((k: Value) => applyPredicate(p, k, q) === true).length <= 1,
          ));
      const selfSelecting = (always && noNone) || reflexive;
      return { selfSelecting, atMostOne, neverEmpty: selfSelecting };
    }
    case 'selectorAnd': {
      const selfSelecting = facts(0).selfSelecting && facts(1).selfSelecting;
      return { selfSelecting, atMostOne: facts(0).atMostOne || facts(1).atMostOne, neverEmpty: selfSelecting };
    }
    case 'selectorOr':
      return {
        selfSelecting: facts(0).selfSelecting || facts(1).selfSelecting,
        atMostOne: false,
        neverEmpty: facts(0).neverEmpty || facts(1).neverEmpty,
      };
    case 'selectorNot':
      return { selfSelecting: false, atMostOne: false, neverEmpty: false };
    default:
      throw new Error(`bug: selectorFacts on s-op ${g.label}`);
  }
};
