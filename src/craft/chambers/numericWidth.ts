/**
 * A selector width read back as ONE numerical direction: the width head leaves a = 1/(w + 1) (BOS's
 * attention weight) in an auxiliary direction; this MLP turns it into the integer w in O(N) hidden
 * units (2 per possible width), instead of a one-hot of N + 1 residual directions. Derivation and
 * float32 limits: docs/compiler.md, "Numerical attention in constant width".
 */
import type { MlpBlock, Unit } from '../blocks.js';
import { stepUnits } from './units.js';

export interface WidthToIntegerMlp {
  readonly block: MlpBlock;
  /** How far the input a may be from 1/(w + 1) with the output still exactly w (in exact arithmetic). */
  readonly tolerance: number;
}

/**
 * w = #{j < N : a < t_j}, with t_j the midpoint of a_j = 1/(j + 1) and a_{j+1} = 1/(j + 2): each
 * term a 0/1 step of width δ_j/2 (δ_j = a_j − a_{j+1} = 1/((j + 1)(j + 2))) centred on t_j, exact
 * while |a − a_w| ≤ δ_j/4 — so the tolerance is δ_{N−1}/4 = 1/(4N(N + 1)). At BOS the input is 1
 * (BOS attends to itself), which the steps' BOS gate switches off.
 */
export const widthToIntegerMlp = (input: string, maxWidth: number, output: string): WidthToIntegerMlp => {
  if (!Number.isInteger(maxWidth) || maxWidth < 1) throw new Error(`bug: max width ${maxWidth}`);
  const units: Unit[] = [];
  for (let j = 0; j < maxWidth; j++) {
    const upper = 1 / (j + 1);
    const lower = 1 / (j + 2);
    const delta = upper - lower;
    // [a < t_j] as a step of −a around −t_j: 1 when −a ≥ −t_j + δ/4, 0 when −a ≤ −t_j − δ/4
    units.push(...stepUnits([[input, -1]], 0, -(upper + lower) / 2, delta / 2, [[output, 1]], 1));
  }
  const block: MlpBlock = { kind: 'mlp', role: 'width-to-integer-mlp', units };
  return { block, tolerance: 1 / (4 * maxWidth * (maxWidth + 1)) };
};
