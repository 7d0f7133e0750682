/**
 * The craft IR: blocks as sparse linear maps over named residual directions (keys from
 * basis.ts). Biases are weights on the `one` direction, so assembled models have zero biases.
 */

export type Weights = readonly (readonly [string, number])[];

/** One ReLU hidden unit: its input weights (residual → unit) and output weights (unit → residual). */
export interface Unit {
  readonly input: Weights;
  readonly output: Weights;
}

export interface MlpBlock {
  readonly kind: 'mlp';
  /** What it computes, e.g. `table-mlp`, `bos-cleanup`. */
  readonly role: string;
  readonly units: readonly Unit[];
}

/** A query-direction × key-direction weight of the bilinear score form (already scaled by β). */
export type ScoreWeights = readonly (readonly [string, string, number])[];

export interface HeadBlock {
  readonly kind: 'head';
  readonly role: string;
  readonly qk: ScoreWeights;
  /** value direction → output direction. */
  readonly ov: ScoreWeights;
}

export type Block = MlpBlock | HeadBlock;

/** The directions a block reads. */
export const reads = (b: Block): string[] =>
  b.kind === 'mlp'
    ? [...new Set(b.units.flatMap((u) => u.input.map(([d]) => d)))]
    : [...new Set([...b.qk.flatMap(([q, k]) => [q, k]), ...b.ov.map(([v]) => v)])];

/** The directions a block writes. */
export const writes = (b: Block): string[] =>
  b.kind === 'mlp'
    ? [...new Set(b.units.flatMap((u) => u.output.map(([d]) => d)))]
    : [...new Set(b.ov.map(([, o]) => o))];
