import { BOS, ONE } from '../basis.js';
import type { Unit, Weights } from '../blocks.js';

/**
 * A ReLU unit computing ReLU(Σ terms + bias). Every unit is switched off at the BOS position
 * (a −G weight on `bos`, G above any pre-activation there), so no MLP writes into BOS's residual.
 * `atBos` bounds |Σ terms| at the BOS position: inputs are mostly zero there, but an aggregate's
 * default sits at BOS until its clean-up (in the same MLP layer), and a selector width's attention
 * output is 1 there — the caller passes Σ |w|·(largest magnitude of that input).
 */
export const unit = (terms: Weights, bias: number, output: Weights, atBos = 0): Unit => ({
  input: [...terms, ...(bias !== 0 ? [[ONE, bias] as const] : []), [BOS, -(Math.max(bias + atBos, 0) + 1)] as const],
  output,
});

/** Σ |w|·magnitude(direction): a bound on |Σ terms| for any input the unit can see. */
export const termsBound = (terms: Weights, magnitude: (dir: string) => number): number =>
  terms.reduce((s, [d, w]) => s + Math.abs(w) * magnitude(d), 0);

/**
 * A 0/1 step of the linear form z = Σ terms + bias around `threshold`, as two ReLU units:
 * exactly 1 when z ≥ threshold + width/2, exactly 0 when z ≤ threshold − width/2.
 */
export const stepUnits = (
  terms: Weights,
  bias: number,
  threshold: number,
  width: number,
  output: Weights,
  atBos = 0,
): Unit[] => {
  const scaled = terms.map(([d, w]) => [d, w / width] as const);
  const centre = (bias - threshold) / width;
  const bosGate = -(Math.max(centre + atBos / width + 0.5, 0) + 1);
  const neg = output.map(([d, w]) => [d, -w] as const);
  return [
    { input: [...scaled, [ONE, centre + 0.5], [BOS, bosGate]], output },
    { input: [...scaled, [ONE, centre - 0.5], [BOS, bosGate]], output: neg },
  ];
};
