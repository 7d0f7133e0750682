/**
 * Attention scores over integer-valued numerical queries and keys (indices, `length - indices - 1`,
 * widths, counts) in O(1) query/key width, instead of one direction per value. Values lie on a
 * grid of spacing δ (1 for integers). Scores are in the score units of attention.ts (selected keys
 * 0 here, keys that must lose at least `gap` below the winners); the head multiplies them by β.
 * Derivations: docs/compiler.md, "Numerical attention in constant width".
 *
 * A BOS position holds `one` and `bos` and every s-op's zero vector (None), so numerical value and
 * square directions read 0 there; each score below adds a `bos` column that puts the BOS key where
 * the construction needs it, and a BOS query row that makes the BOS query attend to BOS.
 */
import { BOS, ONE } from '../basis.js';
import type { ScoreWeights } from '../blocks.js';
import type { Score } from './attention.js';

/** A numerical s-op as a head sees it: its direction, the direction of its square, its values. */
export interface NumericSide {
  readonly dir: string;
  /** A direction holding value² (a position embedding, or a numerical MLP's output). */
  readonly square?: string;
  readonly values: readonly number[];
}

export type Comparison = '<' | '<=' | '>' | '>=';

const maxAbs = (xs: readonly number[]): number => xs.reduce((m, x) => Math.max(m, Math.abs(x)), 0);

/** The BOS query attends to BOS: `bos`→`one` −B, `bos`→`bos` +2B puts BOS 2B − reach above any key. */
const bosQueryRows = (big: number): ScoreWeights => [
  [BOS, ONE, -big],
  [BOS, BOS, 2 * big],
];

const checkGrid = (side: NumericSide, spacing: number, what: string): void => {
  if (!(spacing > 0)) throw new Error(`bug: ${what}: spacing ${spacing} is not positive`);
  for (const v of side.values) {
    const steps = v / spacing;
    if (Math.abs(steps - Math.round(steps)) > 1e-9) throw new Error(`bug: ${what}: value ${v} is off the grid of spacing ${spacing}`);
  }
};

/**
 * Equality k == q as the score −(k − q)²/δ² = (2qk − k² − q²)/δ², from key features (k, k², 1) and
 * query features (q, 1, q²): the selected key scores 0, every other key at most −1 (integer grid).
 * `bosOffset` is the BOS key's score for every real query: −1/2 for an aggregate whose selection
 * may be empty (BOS wins exactly then, gap 1/2), 0 for a selector width (BOS ties with the selected
 * keys: weight 1/(w+1), gap 1), ≤ −1 when the selection is never empty (BOS always loses, gap 1).
 */
export const numericEqualityScore = (query: NumericSide, key: NumericSide, spacing: number, bosOffset: number): Score => {
  checkGrid(query, spacing, 'equality query');
  checkGrid(key, spacing, 'equality key');
  if (query.square === undefined || key.square === undefined) throw new Error('bug: numeric equality needs the squares of both sides');
  if (bosOffset > 0 || (bosOffset < 0 && bosOffset > -1 && bosOffset !== -0.5)) throw new Error(`bug: BOS offset ${bosOffset} is not 0, -1/2 or at most -1`);
  const inv = 1 / (spacing * spacing);
  const reach = (maxAbs(query.values) + maxAbs(key.values)) ** 2 * inv;
  const big = reach + 2;
  const weights: ScoreWeights = [
    [query.dir, key.dir, 2 * inv],
    [ONE, key.square, -inv],
    [query.square, ONE, -inv],
    // BOS key: its value and square read 0, leaving −q²/δ²; add it back and place BOS at bosOffset
    [query.square, BOS, inv],
    ...(bosOffset !== 0 ? [[ONE, BOS, bosOffset] as const] : []),
    ...bosQueryRows(big),
  ];
  const gap = bosOffset === 0 || bosOffset <= -1 ? 1 : Math.min(-bosOffset, 1 + bosOffset);
  return { weights, gap, magnitude: reach + 1 };
};

/** +1 when the predicate selects keys above the query, −1 below; the tie margin's sign. */
const orientation = (op: Comparison): { sign: 1 | -1; margin: number } => {
  switch (op) {
    case '>':
      return { sign: 1, margin: 0.5 };
    case '>=':
      return { sign: 1, margin: -0.5 };
    case '<':
      return { sign: -1, margin: 0.5 };
    case '<=':
      return { sign: -1, margin: -0.5 };
  }
};

/**
 * A comparison `k op q` as the linear score σ(k − q)/δ − m with BOS at 0 as the threshold: σ = +1
 * for > and ≥, −1 for < and ≤; the tie margin m = 1/2 for a strict comparison (k = q loses) and
 * −1/2 otherwise (k = q wins). On the grid every selected key scores ≥ 1/2 and every other key
 * ≤ −1/2, so BOS wins exactly when nothing is selected. Only for selectors that select AT MOST ONE
 * key per query (e.g. `select(indices, length - 1, >=)`: the last position); with several
 * selected keys the largest score wins instead of the mean (RASP's semantics), and the lemma's
 * winner spread must reject it.
 */
export const numericComparisonScore = (op: Comparison, query: NumericSide, key: NumericSide, spacing: number): Score => {
  checkGrid(query, spacing, 'comparison query');
  checkGrid(key, spacing, 'comparison key');
  const { sign, margin } = orientation(op);
  const reach = (maxAbs(query.values) + maxAbs(key.values)) / spacing + 0.5;
  const big = reach + 2;
  const weights: ScoreWeights = [
    [ONE, key.dir, sign / spacing],
    [query.dir, ONE, -sign / spacing],
    [ONE, ONE, -margin],
    // BOS key: value 0 leaves −σq/δ − m; cancel both so BOS scores 0 for every query
    [query.dir, BOS, sign / spacing],
    [ONE, BOS, margin],
    ...bosQueryRows(big),
  ];
  return { weights, gap: 0.5, magnitude: reach };
};

/**
 * The last position: the score k/δ over the key values (indices), so the largest key wins by 1
 * over the next; the BOS key scores −1 (below index 0). Reading `indices` there gives length − 1.
 */
export const lastPositionScore = (key: NumericSide, spacing: number): Score => {
  checkGrid(key, spacing, 'last-position key');
  if (key.values.some((v) => v < 0)) throw new Error('bug: last position over negative keys');
  const reach = maxAbs(key.values) / spacing;
  const big = reach + 2;
  const weights: ScoreWeights = [[ONE, key.dir, 1 / spacing], [ONE, BOS, -1], ...bosQueryRows(big)];
  return { weights, gap: 1, magnitude: reach + 1 };
};
