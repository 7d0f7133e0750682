import { showValue, valueLiteral, type Value } from '../ast/value.js';

/**
 * Named basis directions of the residual stream. A categorical s-op owns one direction per
 * value (`label:value`), a numerical one a single direction (`label`); `one` is 1 at every
 * position, `bos` at the BOS position and at PAD positions (which act as copies of BOS), and
 * `pad` (bidirectional models only) at PAD positions, where every head scores a key carrying it
 * far below BOS. Directions are referred to by a key string.
 */
export interface Direction {
  /** Unique key (internal). */
  readonly key: string;
  /** Human-readable name, e.g. `tokens:a`, `frac_prevs`, `one`. */
  readonly name: string;
  /** The s-op (or auxiliary) label this direction belongs to. */
  readonly label: string;
  /** The value a categorical direction stands for. */
  readonly value?: Value;
}

import { BOS, ONE, PAD } from '../ast/reservedLabels.js';

export { BOS, ONE, PAD };

export const oneDirection: Direction = { key: ONE, name: ONE, label: ONE };
export const bosDirection: Direction = { key: BOS, name: BOS, label: BOS };
export const padDirection: Direction = { key: PAD, name: PAD, label: PAD };

/** The key of a categorical direction: literal syntax keeps "1" and 1 apart. */
export const valueDirKey = (label: string, value: Value): string => `${label}:${valueLiteral(value)}`;

export const categoricalDirection = (label: string, value: Value): Direction => ({
  key: valueDirKey(label, value),
  name: `${label}:${showValue(value)}`,
  label,
  value,
});

export const numericalDirection = (label: string): Direction => ({ key: label, name: label, label });
