/**
 * Fitting the linear-LayerNorm constants to the model. The mean standard deviation of each
 * LayerNorm use-site (linearLn.ts) can be far from the constant that best imitates the model when
 * the standard deviation varies a lot between positions. Here each use-site's scale is multiplied
 * by a factor chosen by coordinate search (factors 0.5 … 2, up to three rounds over the sites, fewer when a round changes nothing) to
 * minimise KL(model ‖ linearized model) at the loss positions of a fixed set of inputs. The result
 * is still a linearized transformer: the program it expands to reproduces it exactly.
 */
import { distillationKl } from '../../nn/autodiff/losses.js';
import { Tape } from '../../nn/autodiff/tape.js';
import type { Batch } from '../../nn/batch.js';
import type { Task } from '../../tasks/task.js';
import type { AffineNorm, LinearizedTransformer } from '../reparam/linearizedTransformer.js';
import { maskedForward } from './maskedForward.js';
import type { ReferenceLogits } from './prune.js';

const FACTORS = [0.5, 0.7, 0.85, 1.2, 1.4, 2];
const ROUNDS = 3;

const scaledNorm = (norm: AffineNorm | undefined, factor: number): AffineNorm | undefined =>
  norm === undefined || factor === 1 ? norm : { scale: norm.scale.map((v) => v * factor), shift: norm.shift };

/** The model with use-site factors [attention 0, MLP 0, attention 1, …, final]. */
export const withNormFactors = (model: LinearizedTransformer, factors: readonly number[]): LinearizedTransformer => ({
  ...model,
  blocks: model.blocks.map((b, l) => ({ ...b, attentionNorm: scaledNorm(b.attentionNorm, factors[2 * l]), mlpNorm: scaledNorm(b.mlpNorm, factors[2 * l + 1]) })),
  finalNorm: scaledNorm(model.finalNorm, factors[factors.length - 1]),
});

export interface NormFit {
  readonly model: LinearizedTransformer;
  readonly factors: readonly number[];
  readonly klBefore: number;
  readonly klAfter: number;
  /** Coordinate-search rounds run (fewer than the most when one changed nothing). */
  readonly rounds: number;
}

export const fitNormScales = (task: Task, model: LinearizedTransformer, reference: ReferenceLogits, batches: readonly Batch[]): NormFit => {
  const width = model.unembedding.cols;
  const targets = batches.map((b) => {
    const ref = reference(b);
    const out = new Float64Array(b.lossRows.length * width);
    b.lossRows.forEach((row, k) => out.set(ref.subarray(row * width, (row + 1) * width), k * width));
    return out;
  });
  const kl = (candidate: LinearizedTransformer): number =>
    batches.reduce((sum, b, i) => {
      const tape = new Tape();
      const logits = maskedForward(tape, candidate, b).logits;
      return sum + distillationKl(tape, logits, b.lossRows, targets[i], task.kind === 'seq2seq' ? 'argmax' : 'sigmoid').value[0] / batches.length;
    }, 0);
  const factors = new Array<number>(2 * model.blocks.length + 1).fill(1);
  const klBefore = kl(model);
  let best = klBefore;
  let rounds = 0;
  for (let changed = true; changed && rounds < ROUNDS; rounds++) {
    // A round that changes no factor would repeat itself: the search has converged.
    changed = false;
    for (let site = 0; site < factors.length; site++) {
      for (const f of FACTORS) {
        const trial = factors.slice();
        trial[site] *= f;
        const value = kl(withNormFactors(model, trial));
        if (value < best) {
          best = value;
          factors[site] = trial[site];
          changed = true;
        }
      }
    }
  }
  return { model: withNormFactors(model, factors), factors, klBefore, klAfter: best, rounds };
};
