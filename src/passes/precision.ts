/**
 * Precision derivation for attention heads. A head's scores put every selected key at least
 * `gap` (score units) above every key that must lose; input errors shift scores by at most Δ.
 * With sharpness β the weight leaking to the losers is at most λ = n·e^{−β(gap − 2Δ)} (n keys),
 * and selected keys' weights differ by at most a factor e^{4βΔ}. These bounds are what the
 * compiler sizes β with and what the verifier's lemmas re-check from the weights.
 */

export interface HeadErrorModel {
  /** How many keys can lose (max length; BOS counted where it loses). */
  readonly keys: number;
  readonly gap: number;
  /** Bound on score errors caused by input errors. */
  readonly scoreError: number;
  /** Output error = leak·λ + equal·(e^{4βΔ} − 1) + passthrough. */
  readonly leak: number;
  readonly equal: number;
  readonly passthrough: number;
}

export const leakageBound = (keys: number, beta: number, gap: number, scoreError: number): number =>
  Math.min(1, keys * Math.exp(-beta * (gap - 2 * scoreError)));

export const headOutputError = (m: HeadErrorModel, beta: number): number =>
  m.leak * leakageBound(m.keys, beta, m.gap, m.scoreError) + m.equal * Math.expm1(4 * beta * m.scoreError) + m.passthrough;

/** Never sharper than this: logits stay well inside float32 and softmax stays smooth. */
export const MAX_BETA = 1e4;

/**
 * The smallest β (to 3 significant digits, rounded up) whose output error is within `required`,
 * or undefined when no β reaches it (score errors or passed-through errors too large).
 */
export const chooseBeta = (m: HeadErrorModel, required: number): number | undefined => {
  const effectiveGap = m.gap - 2 * m.scoreError;
  if (effectiveGap <= 0 || m.passthrough >= required) return undefined;
  // aim the leakage at half of what is left, so the equality term has room
  const budget = (required - m.passthrough) / 2;
  const lambda = Math.min(budget / Math.max(m.leak, 1e-300), 0.5);
  let beta = Math.max(Math.log(m.keys / lambda) / effectiveGap, 1);
  beta = roundUp(beta);
  if (beta > MAX_BETA || headOutputError(m, beta) > required) return undefined;
  return beta;
};

/** Rounds up to 3 significant digits (readable manifests; still at least the bound). */
const roundUp = (x: number): number => {
  const p = 10 ** (Math.floor(Math.log10(x)) - 2);
  return Math.ceil(x / p) * p;
};
