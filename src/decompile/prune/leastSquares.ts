/**
 * Ridge least squares: the p × m matrix A minimising ‖F A − H‖² + ridge · ‖A‖², F rows × p and
 * H rows × m row-major, by a Cholesky factorisation of FᵀF + ridge · I (positive definite for
 * ridge > 0, so rank-deficient features are fine).
 */
export const ridgeLeastSquares = (features: Float64Array, targets: Float64Array, rows: number, p: number, m: number, ridge = 1e-8): Float64Array => {
  const gram = new Float64Array(p * p);
  const rhs = new Float64Array(p * m);
  for (let r = 0; r < rows; r++) {
    const f = r * p;
    const h = r * m;
    for (let i = 0; i < p; i++) {
      const fi = features[f + i];
      if (fi === 0) continue;
      for (let j = 0; j <= i; j++) gram[i * p + j] += fi * features[f + j];
      for (let k = 0; k < m; k++) rhs[i * m + k] += fi * targets[h + k];
    }
  }
  let trace = 0;
  for (let i = 0; i < p; i++) trace += gram[i * p + i];
  const shift = ridge * Math.max(trace / Math.max(p, 1), 1);
  // Cholesky in place on the lower triangle: gram = L Lᵀ.
  for (let j = 0; j < p; j++) {
    let diagonal = gram[j * p + j] + shift;
    for (let k = 0; k < j; k++) diagonal -= gram[j * p + k] * gram[j * p + k];
    const l = Math.sqrt(Math.max(diagonal, shift));
    gram[j * p + j] = l;
    for (let i = j + 1; i < p; i++) {
      let sum = gram[i * p + j];
      for (let k = 0; k < j; k++) sum -= gram[i * p + k] * gram[j * p + k];
      gram[i * p + j] = sum / l;
    }
  }
  // L Y = rhs, then Lᵀ A = Y.
  const out = rhs;
  for (let i = 0; i < p; i++) {
    for (let k = 0; k < i; k++) {
      const lik = gram[i * p + k];
      if (lik === 0) continue;
      for (let c = 0; c < m; c++) out[i * m + c] -= lik * out[k * m + c];
    }
    const lii = gram[i * p + i];
    for (let c = 0; c < m; c++) out[i * m + c] /= lii;
  }
  for (let i = p - 1; i >= 0; i--) {
    for (let k = i + 1; k < p; k++) {
      const lki = gram[k * p + i];
      if (lki === 0) continue;
      for (let c = 0; c < m; c++) out[i * m + c] -= lki * out[k * m + c];
    }
    const lii = gram[i * p + i];
    for (let c = 0; c < m; c++) out[i * m + c] /= lii;
  }
  return out;
};
