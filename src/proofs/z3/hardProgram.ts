/**
 * The hard-attention program read from a compiled model's weights (hardSemantics.ts): per node a
 * space of decoded values and a table, per head the ranks of its logits. Shared by the solver
 * encoding (encode.ts) and the evaluator (runHard.ts).
 */
import type { SOp } from '../../ast/program.js';
import { showValue, valuesClose, type Value } from '../../ast/value.js';
import type { Rat } from './rational.js';

/** The decoded-value index of a numerical residual that matches no value. */
export const UNDECODABLE = -2;

/** A table over the product of index ranges, row-major (the last dimension varies fastest). */
export interface Table<T> {
  readonly dims: readonly number[];
  readonly data: readonly T[];
}

export const tableAt = <T>(t: Table<T>, idx: readonly number[]): T => {
  let off = 0;
  t.dims.forEach((d, i) => {
    off = off * d + (idx[i] as number);
  });
  return t.data[off] as T;
};

/** Builds a table by calling `f` on every index tuple in row-major order. */
export const buildTable = <T>(dims: readonly number[], f: (idx: readonly number[]) => T): Table<T> => {
  const data: T[] = [];
  const idx = dims.map(() => 0);
  const total = dims.reduce((p, d) => p * d, 1);
  for (let n = 0; n < total; n++) {
    data.push(f(idx));
    for (let i = dims.length - 1; i >= 0; i--) {
      idx[i] = (idx[i] as number) + 1;
      if ((idx[i] as number) < (dims[i] as number)) break;
      idx[i] = 0;
    }
  }
  return { dims, data };
};

/** How a node's residual directions decode. */
export interface HardSpace {
  readonly label: string;
  readonly representation: 'categorical' | 'numerical';
  /** Decoded values by index (categorical: None first). */
  readonly values: readonly Value[];
  /** Numerical: the values as exact rationals, and the half-open interval [lo, hi) decoding to each. */
  readonly numbers?: readonly Rat[];
  readonly intervals?: readonly (readonly [Rat, Rat])[];
}

interface HardBase {
  readonly label: string;
  readonly space: HardSpace;
}

/** Hard attention of one head: its logits as ranks over the query / key s-ops' value indices. */
export interface HardAttention {
  readonly layer: number;
  readonly head: number;
  /** Node indices (into HardProgram.nodes) of the query s-ops and of the key s-ops. */
  readonly queries: readonly number[];
  readonly keys: readonly number[];
  /** Rank of the logit, dims = [...query value counts, ...key value counts]. */
  readonly rank: Table<number>;
  /** Rank of the BOS key's logit, dims = query value counts. */
  readonly bosRank: Table<number>;
}

export type HardNode =
  | (HardBase & {
      readonly kind: 'embed';
      /** dims [maxLen, |vocab|]: the decoded value at position p (1-based) for token index t. */
      readonly table: Table<number>;
    })
  | (HardBase & {
      readonly kind: 'mlp';
      readonly inputs: readonly number[];
      readonly table: Table<number>;
    })
  | (HardBase & {
      readonly kind: 'aggregate';
      readonly attention: HardAttention;
      /** Node index of the aggregated s-op. */
      readonly value: number;
      /** Per output component (categorical: direction j ↔ value index j + 1; numerical: one), what a key holding each value writes. */
      readonly written: readonly (readonly Rat[])[];
      /** Per output component, what the BOS key writes. */
      readonly writtenBos: readonly Rat[];
    })
  | (HardBase & {
      readonly kind: 'width';
      readonly attention: HardAttention;
      /** dims [2, maxLen + 2]: decoded width for (BOS among the winners?, number of winners incl. BOS). */
      readonly table: Table<number>;
    });

export interface HardProgram {
  readonly nodes: readonly HardNode[];
  /** Index of the output node. */
  readonly output: number;
  /** Per value index of the output node: what the unembedding decodes it to (undefined: undecodable). */
  readonly unembed: readonly (Value | undefined)[];
  readonly vocab: readonly Value[];
  readonly maxLen: number;
  readonly causal: boolean;
  /** The compiled program, for reports. */
  readonly program: SOp;
}

export const valueIndex = (space: HardSpace, v: Value): number => space.values.findIndex((u) => (u === null ? v === null : valuesClose(u, v)));

/** A short description of a node, for reports. */
export const describeNode = (node: HardNode): string => `${node.label} (${node.kind}, ${node.space.values.map(showValue).join(' ')})`;

