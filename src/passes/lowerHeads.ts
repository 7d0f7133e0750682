/** lower: the scores of attention heads and how errors move them (src/craft/chambers/attention.ts). */
import type { Node } from '../ast/program.js';
import { isNumberLike, toNumber, type Value } from '../ast/value.js';
import { BOS, ONE } from '../craft/basis.js';
import type { ScoreWeights } from '../craft/blocks.js';
import type { ScoreGroup } from '../craft/chambers/attention.js';
import type { SopSpace } from '../craft/sopSpace.js';
import { conjuncts, groupKey, selectorHolds, type SelectorPlan } from '../typecheck/plan.js';
import type { TypedProgram } from '../typecheck/typecheck.js';
import type { Context } from './lowerMlps.js';

/** Output tolerance of the program's output: categorical argmax, or the nearest numeric value. */
export const outputRequirement = (space: SopSpace): number => {
  if (space.representation === 'categorical') return 0.125;
  const xs = space.values.filter(isNumberLike).map(toNumber).sort((a, b) => a - b);
  let gap = Number.POSITIVE_INFINITY;
  for (let i = 1; i < xs.length; i++) gap = Math.min(gap, (xs[i] as number) - (xs[i - 1] as number));
  return Number.isFinite(gap) ? gap / 8 : 0.125 * Math.max(1, Math.abs(xs[0] ?? 1));
};

/** The groups of a selector plan, each with its part of the formula. */
export const scoreGroups = (c: Context, selectorId: number, plan: SelectorPlan): ScoreGroup[] => {
  const graph = c.t.graph;
  if (plan.kind === 'score-table') {
    const g = plan.groups[0] as SelectorPlan['groups'][number];
    return [
      {
        query: c.spaces.get(g.queries) as SopSpace,
        key: c.spaces.get(g.keys) as SopSpace,
        holds: (k, q) => selectorHolds(graph, selectorId, k, q) === true,
      },
    ];
  }
  const parts = conjuncts(graph, selectorId);
  return plan.groups.map((g) => {
    const first = g.atoms[0] as number;
    const mine = parts.filter((p) => {
      const atom = firstAtom(graph, p);
      return groupKey(graph, atom) === groupKey(graph, first);
    });
    return {
      query: c.spaces.get(g.queries) as SopSpace,
      key: c.spaces.get(g.keys) as SopSpace,
      holds: (k: Value, q: Value) => mine.every((p) => selectorHolds(graph, p, k, q) === true),
    };
  });
};

const firstAtom = (graph: TypedProgram['graph'], id: number): number => {
  const n = graph.nodes[id] as { node: Node; children: readonly number[] };
  return n.node.kind === 'select' ? id : firstAtom(graph, n.children[0] as number);
};

/** Per input s-op of a head: how much an error in it moves any score (≤ sensitivity × error). */
export const scoreSensitivity = (score: ScoreWeights, space: SopSpace, side: 'query' | 'key'): number => {
  const dirs = new Set(space.directions.map((d) => d.key));
  const rows = new Map<string, { max: number; one: number; bos: number }>();
  for (const [q, k, w] of score) {
    const [mine, other] = side === 'query' ? [q, k] : [k, q];
    if (!dirs.has(mine)) continue;
    const r = rows.get(mine) ?? { max: 0, one: 0, bos: 0 };
    if (other === ONE) r.one += Math.abs(w);
    else if (other === BOS) r.bos += Math.abs(w);
    else r.max = Math.max(r.max, Math.abs(w));
    rows.set(mine, r);
  }
  let s = 0;
  for (const r of rows.values()) s = Math.max(s, r.max + r.one + r.bos);
  return s;
};

