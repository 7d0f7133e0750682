/**
 * Attention constructions. A selector becomes a bilinear score S(query, key) over the residual
 * (in "score units", before the sharpness β): selected keys score 1, unselected 0 (or lower),
 * and the BOS key a fixed `bosScore` for every query — 0.5 for aggregates (BOS wins only when
 * nothing is selected, then supplying the default) and 1 for selector width (BOS ties with the
 * selected keys, so its weight is 1/(w+1)). The BOS query always attends to BOS. In
 * bidirectional models every head also scores PAD keys far below BOS ({@link maskPadKeys}).
 */
import { isNumberLike, toNumber, type Value } from '../../ast/value.js';
import { BOS, ONE, PAD } from '../basis.js';
import type { HeadBlock, MlpBlock, ScoreWeights, Weights } from '../blocks.js';
import { encodeMaybe, scale, type SopSpace } from '../sopSpace.js';
import { magnitudeOf } from './mlps.js';

/** One (query s-op, key s-op) pair and the part of the selector formula that reads it. */
export interface ScoreGroup {
  readonly query: SopSpace;
  readonly key: SopSpace;
  /** Whether the key value is selected by the query value (None handled as the selector does). */
  readonly holds: (key: Value, query: Value) => boolean;
}

export interface Score {
  readonly weights: ScoreWeights;
  /** Smallest score difference between a selected key and any key that must not win. */
  readonly gap: number;
  /** Largest |score| for a non-BOS query (bounds how score errors scale). */
  readonly magnitude: number;
  /** Bidirectional models: the PAD term P (score units): every query scores `pad` keys −P. */
  readonly padPenalty?: number;
}

class ScoreBuilder {
  private readonly w = new Map<string, Map<string, number>>();
  add(q: string, k: string, x: number): void {
    if (x === 0) return;
    let row = this.w.get(q);
    if (row === undefined) {
      row = new Map();
      this.w.set(q, row);
    }
    row.set(k, (row.get(k) ?? 0) + x);
  }
  get(q: string, k: string): number {
    return this.w.get(q)?.get(k) ?? 0;
  }
  queryDirs(): string[] {
    return [...this.w.keys()];
  }
  build(): ScoreWeights {
    const out: (readonly [string, string, number])[] = [];
    for (const [q, row] of this.w) for (const [k, x] of row) if (x !== 0) out.push([q, k, x]);
    return out;
  }
}

const dirOf = (space: SopSpace, i: number): string => (space.directions[i] as { key: string }).key;

/**
 * Table T of one group, written so that every (query, key) pair scores T(query, key). A
 * categorical side has one direction per value and the constant `one` stands for None (the zero
 * vector); a numerical side (only with a constant predicate, which ignores values) is a single
 * class read through `one`. Inclusion–exclusion over `one` makes every cell exact.
 */
const addTable = (s: ScoreBuilder, g: ScoreGroup): void => {
  const T = (a: Value | null, b: Value | null): number => (g.holds(b, a) ? 1 : 0);
  const qNumerical = g.query.representation === 'numerical';
  const kNumerical = g.key.representation === 'numerical';
  // what the `one` row / column stands for: None, or a numerical side's (any) value
  const qBase: Value | null = qNumerical ? (g.query.values[0] ?? null) : null;
  const kBase: Value | null = kNumerical ? (g.key.values[0] ?? null) : null;
  const qList = qNumerical ? [] : g.query.values;
  const kList = kNumerical ? [] : g.key.values;
  const baseRow = kList.map((b) => T(qBase, b));
  const baseCol = qList.map((a) => T(a, kBase));
  const baseBase = T(qBase, kBase);
  qList.forEach((a, i) => {
    const q = dirOf(g.query, i);
    kList.forEach((b, j) => s.add(q, dirOf(g.key, j), T(a, b) - (baseRow[j] as number) - (baseCol[i] as number) + baseBase));
    s.add(q, ONE, (baseCol[i] as number) - baseBase);
  });
  kList.forEach((_, j) => s.add(ONE, dirOf(g.key, j), (baseRow[j] as number) - baseBase));
  s.add(ONE, ONE, baseBase);
};

/** BOS key scores `bosScore` for every non-BOS query; the BOS query scores BOS far above any key. */
const addBos = (s: ScoreBuilder, bosScore: number, magnitude: number): void => {
  for (const q of s.queryDirs()) {
    if (q === BOS) continue;
    const compensation = q === ONE ? bosScore - s.get(ONE, ONE) : -s.get(q, ONE);
    s.add(q, BOS, compensation);
  }
  if (s.get(ONE, BOS) === 0 && !s.queryDirs().includes(ONE)) s.add(ONE, BOS, bosScore);
  const big = magnitude + bosScore + 2;
  s.add(BOS, ONE, -big);
  s.add(BOS, BOS, 2 * big);
};

/**
 * Categorical groups: one group is a table; several are a conjunction: Σ T_g − (G − 1), which is
 * 1 exactly when every group holds and at most 0 otherwise.
 */
export const tableScore = (groups: readonly ScoreGroup[], bosScore: number): Score => {
  const s = new ScoreBuilder();
  for (const g of groups) addTable(s, g);
  if (groups.length > 1) s.add(ONE, ONE, -(groups.length - 1));
  addBos(s, bosScore, 1);
  return { weights: s.build(), gap: bosScore < 1 ? Math.min(bosScore, 1 - bosScore) : 1, magnitude: 1 };
};

/**
 * A numerical query x against categorical keys. Sorted query values fall into runs, each selecting
 * one class of key values (or none: BOS). Run r gets the line r·x + b_r, the lines crossing at the
 * midpoints between runs, so the selected class is on top by at least δ/2 (δ the smallest gap at a
 * run boundary); everything is scaled by 1/δ, giving a gap of 0.5.
 */
export const numericalQueryScore = (g: ScoreGroup): Score => {
  const xs = g.query.values.filter(isNumberLike).map(toNumber).sort((a, b) => a - b);
  const pattern = (k: Value): string => xs.map((x) => (g.holds(k, x) ? '1' : '0')).join('');
  const classes = new Map<string, number[]>();
  g.key.values.forEach((k, j) => {
    const p = pattern(k);
    if (p.includes('1')) classes.set(p, [...(classes.get(p) ?? []), j]);
  });
  const classAt = xs.map((_, i) => [...classes.keys()].find((p) => p[i] === '1') ?? 'none');
  const runs: { cls: string; first: number; last: number }[] = [];
  classAt.forEach((c, i) => {
    const last = runs[runs.length - 1];
    if (last !== undefined && last.cls === c) last.last = i;
    else runs.push({ cls: c, first: i, last: i });
  });
  let delta = Number.POSITIVE_INFINITY;
  for (let r = 1; r < runs.length; r++) {
    delta = Math.min(delta, (xs[(runs[r] as { first: number }).first] as number) - (xs[(runs[r - 1] as { last: number }).last] as number));
  }
  if (!Number.isFinite(delta)) delta = 1;
  const lines: { slope: number; intercept: number }[] = [];
  let intercept = 0;
  runs.forEach((run, r) => {
    if (r > 0) {
      const t = ((xs[(runs[r - 1] as { last: number }).last] as number) + (xs[run.first] as number)) / 2;
      intercept -= t;
    }
    lines.push({ slope: r / delta, intercept: intercept / delta });
  });
  const env = (x: number): number => Math.max(...lines.map((l) => l.slope * x + l.intercept));
  const low = Math.min(...xs.map(env)) - 1;
  const s = new ScoreBuilder();
  const xDir = dirOf(g.query, 0);
  s.add(ONE, ONE, low);
  runs.forEach((run, r) => {
    const line = lines[r] as { slope: number; intercept: number };
    if (run.cls === 'none') {
      s.add(xDir, BOS, line.slope);
      s.add(ONE, BOS, line.intercept - low);
      return;
    }
    for (const j of classes.get(run.cls) ?? []) {
      s.add(xDir, dirOf(g.key, j), line.slope);
      s.add(ONE, dirOf(g.key, j), line.intercept - low);
    }
  });
  const hasNone = runs.some((r) => r.cls === 'none');
  if (!hasNone) s.add(ONE, BOS, -1);
  const magnitude = Math.max(...xs.map((x) => Math.abs(env(x))), ...lines.map((l) => Math.abs(l.intercept)), Math.abs(low)) + 1;
  const big = magnitude + 2;
  s.add(BOS, ONE, -big);
  s.add(BOS, BOS, 2 * big);
  return { weights: s.build(), gap: 0.5, magnitude };
};

/**
 * PAD keys masked inside the weights. A PAD position's residual is BOS's (`one`, `bos`) plus
 * `pad` and its position's index, so without this term a PAD key scores like BOS plus what its
 * index adds. Every query (its `one` direction) scores `pad` −P: a PAD key then scores at least
 * P − B below BOS, where B bounds what the index directions (`padKeys`: the key s-ops that are
 * non-zero at PAD, i.e. `indices`) add for any query. P = B + 2·(gap + 1): for a real query PAD
 * keys lose to BOS — and so to every winning key — by more than twice the head's gap, so they
 * are ordinary losing keys, counted among the n ≤ N keys of the leakage bound that β is sized
 * with (precision.ts); for the BOS query (and PAD queries, copies of it) they lose to BOS by at
 * least 2·gap + 2, no less than real keys do (addBos).
 */
export const maskPadKeys = (score: Score, queries: readonly SopSpace[], padKeys: readonly SopSpace[]): Score => {
  const rows = new Map<string, Map<string, number>>();
  for (const [q, k, w] of score.weights) {
    const row = rows.get(k) ?? new Map<string, number>();
    row.set(q, (row.get(q) ?? 0) + w);
    rows.set(k, row);
  }
  const distinct = (spaces: readonly SopSpace[]): SopSpace[] => [...new Map(spaces.map((s) => [s.label, s])).values()];
  const qs = distinct(queries);
  // |S(query, k)| for the key direction k, bounded over every query (one + a value per s-op)
  const reach = (k: string): number => {
    const row = rows.get(k) ?? new Map<string, number>();
    let total = Math.abs(row.get(ONE) ?? 0);
    for (const sp of qs) {
      const mag = magnitudeOf([sp]);
      total += Math.max(0, ...sp.directions.map((d) => mag(d.key) * Math.abs(row.get(d.key) ?? 0)));
    }
    return total;
  };
  let reachAtPad = 0;
  for (const sp of distinct(padKeys)) {
    const mag = magnitudeOf([sp]);
    reachAtPad += Math.max(0, ...sp.directions.map((d) => mag(d.key) * reach(d.key)));
  }
  const penalty = reachAtPad + 2 * (score.gap + 1);
  return { ...score, weights: [...score.weights, [ONE, PAD, -penalty]], padPenalty: penalty };
};

const head = (role: string, score: Score, beta: number, ov: ScoreWeights): HeadBlock => ({
  kind: 'head',
  role,
  qk: score.weights.map(([q, k, w]) => [q, k, w * beta] as const),
  ov,
});

/** Categorical aggregate: copies the selected key's one-hot; BOS supplies the default. */
export const categoricalAggregateHead = (score: Score, beta: number, value: SopSpace, output: SopSpace, defaultValue: Value): HeadBlock => {
  // a source value outside the aggregate's value set is never the selected one: it writes nothing
  const ov: (readonly [string, string, number])[] = value.values.flatMap((v, i) =>
    (encodeMaybe(output, v) ?? []).map(([o, w]) => [dirOf(value, i), o, w] as const),
  );
  for (const [o, w] of defaultVector(output, defaultValue)) ov.push([BOS, o, w]);
  return head('categorical-attention', score, beta, ov);
};

/**
 * What BOS carries for an aggregate's default. A default outside the output's value set is never
 * used (every query selects something), so BOS carries nothing then.
 */
export const defaultVector = (output: SopSpace, defaultValue: Value): Weights => {
  if (output.representation === 'numerical') {
    const x = isNumberLike(defaultValue) ? toNumber(defaultValue) : 0;
    return x === 0 ? [] : [[dirOf(output, 0), x]];
  }
  return encodeMaybe(output, defaultValue) ?? [];
};

/** Numerical aggregate: the mean of the selected values; BOS supplies the default. */
export const numericalAggregateHead = (score: Score, beta: number, value: SopSpace, output: SopSpace, defaultValue: number): HeadBlock => {
  const ov: (readonly [string, string, number])[] = [[dirOf(value, 0), dirOf(output, 0), 1]];
  if (defaultValue !== 0) ov.push([BOS, dirOf(output, 0), defaultValue]);
  return head('numerical-attention', score, beta, ov);
};

/** Selector width, step 1: attend to BOS and the selected keys equally; BOS's weight is 1/(w+1). */
export const selectorWidthHead = (score: Score, beta: number, aux: string): HeadBlock =>
  head('selector-width-attention', score, beta, [[BOS, aux, 1]]);

/**
 * At the BOS position an aggregate writes its default (BOS attends to itself); this unit, active
 * only there, takes it out again so BOS's residual stays clean for later layers.
 */
export const bosCleanup = (written: Weights): MlpBlock => ({
  kind: 'mlp',
  role: 'bos-cleanup',
  units: [{ input: [[BOS, 1]], output: scale(-1, written) }],
});
