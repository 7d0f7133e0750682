/**
 * The MLP activations of GPT-2 models, as HuggingFace defines them (transformers' ACT2FN).
 */
import type { Gpt2Activation } from './gpt2Config.js';

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const SQRT_TWO_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * The error function, to about 1e-15. Uses erf(x) = 2/√π · e^(−x²) · Σₙ 2ⁿ x^(2n+1) / (1·3·…·(2n+1)),
 * whose terms are all positive (no cancellation, unlike the Taylor series); beyond |x| = 6,
 * 1 − erf(|x|) < 2.2e-17 and the value is ±1.
 */
export const erf = (x: number): number => {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a >= 6) return x < 0 ? -1 : 1;
  const twoASquared = 2 * a * a;
  let term = a;
  let sum = a;
  for (let n = 1; term > sum * 1e-17; n++) {
    term *= twoASquared / (2 * n + 1);
    sum += term;
  }
  const value = TWO_OVER_SQRT_PI * Math.exp(-a * a) * sum;
  return x < 0 ? -value : value;
};

/** HF `gelu_new` (NewGELUActivation, GPT-2's own): the tanh approximation. */
export const geluNew = (x: number): number => 0.5 * x * (1 + Math.tanh(SQRT_TWO_OVER_PI * (x + 0.044715 * x * x * x)));

/** HF `gelu` (torch.nn.functional.gelu): the exact x · Φ(x). */
export const geluExact = (x: number): number => 0.5 * x * (1 + erf(x / Math.SQRT2));

export const relu = (x: number): number => Math.max(x, 0);

export const ACTIVATIONS: Readonly<Record<Gpt2Activation, (x: number) => number>> = {
  gelu_new: geluNew,
  gelu: geluExact,
  relu,
};
