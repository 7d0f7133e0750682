/**
 * Dense real matrices, row-major float64: the score, value, projection and embedding matrices of
 * D-RASP programs and of the re-parameterization that builds them.
 */

export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  /** rows × cols, row-major. */
  readonly data: Float64Array;
}

export const matrix = (rows: number, cols: number, data?: Float64Array): Matrix => {
  const values = data ?? new Float64Array(rows * cols);
  if (values.length !== rows * cols) throw new Error(`bug: a ${rows}×${cols} matrix given ${values.length} values`);
  return { rows, cols, data: values };
};

export const identity = (n: number): Matrix => {
  const data = new Float64Array(n * n);
  for (let i = 0; i < n; i++) data[i * n + i] = 1;
  return { rows: n, cols: n, data };
};

/** A · B. */
export const multiply = (a: Matrix, b: Matrix): Matrix => {
  if (a.cols !== b.rows) throw new Error(`bug: multiplying ${a.rows}×${a.cols} by ${b.rows}×${b.cols}`);
  const n = a.rows;
  const inner = a.cols;
  const m = b.cols;
  const out = new Float64Array(n * m);
  const left = a.data;
  const right = b.data;
  for (let i = 0; i < n; i++) {
    const outBase = i * m;
    for (let k = 0; k < inner; k++) {
      const aik = left[i * inner + k];
      if (aik === 0) continue;
      const rightBase = k * m;
      for (let j = 0; j < m; j++) out[outBase + j] += aik * right[rightBase + j];
    }
  }
  return { rows: n, cols: m, data: out };
};

/** A · Bᵀ (rows of A against rows of B). */
export const multiplyTransposed = (a: Matrix, b: Matrix): Matrix => {
  if (a.cols !== b.cols) throw new Error(`bug: multiplying ${a.rows}×${a.cols} by the transpose of ${b.rows}×${b.cols}`);
  const n = a.rows;
  const inner = a.cols;
  const m = b.rows;
  const out = new Float64Array(n * m);
  const left = a.data;
  const right = b.data;
  for (let i = 0; i < n; i++) {
    const leftBase = i * inner;
    for (let j = 0; j < m; j++) {
      const rightBase = j * inner;
      let dot = 0;
      for (let k = 0; k < inner; k++) dot += left[leftBase + k] * right[rightBase + k];
      out[i * m + j] = dot;
    }
  }
  return { rows: n, cols: m, data: out };
};

/** v · A (v a row vector of length A.rows). */
export const vectorTimesMatrix = (v: Float64Array, a: Matrix): Float64Array => {
  if (v.length !== a.rows) throw new Error(`bug: a vector of ${v.length} times a ${a.rows}×${a.cols} matrix`);
  const out = new Float64Array(a.cols);
  const m = a.cols;
  for (let k = 0; k < v.length; k++) {
    const vk = v[k];
    if (vk === 0) continue;
    const base = k * m;
    for (let j = 0; j < m; j++) out[j] += vk * a.data[base + j];
  }
  return out;
};

/** A · v (v a column vector of length A.cols). */
export const matrixTimesVector = (a: Matrix, v: Float64Array): Float64Array => {
  if (v.length !== a.cols) throw new Error(`bug: a ${a.rows}×${a.cols} matrix times a vector of ${v.length}`);
  const out = new Float64Array(a.rows);
  const m = a.cols;
  for (let i = 0; i < a.rows; i++) {
    const base = i * m;
    let dot = 0;
    for (let j = 0; j < m; j++) dot += a.data[base + j] * v[j];
    out[i] = dot;
  }
  return out;
};

export const scaled = (a: Matrix, factor: number): Matrix => {
  const data = new Float64Array(a.data.length);
  for (let i = 0; i < data.length; i++) data[i] = a.data[i] * factor;
  return { rows: a.rows, cols: a.cols, data };
};

export const scaledVector = (v: Float64Array, factor: number): Float64Array => {
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i] * factor;
  return out;
};

export const addVectors = (a: Float64Array, b: Float64Array): Float64Array => {
  if (a.length !== b.length) throw new Error(`bug: adding vectors of ${a.length} and ${b.length}`);
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] + b[i];
  return out;
};

/** target += source, in place. */
export const addInto = (target: Float64Array, source: Float64Array): void => {
  if (target.length !== source.length) throw new Error(`bug: adding a vector of ${source.length} into one of ${target.length}`);
  for (let i = 0; i < target.length; i++) target[i] += source[i];
};

export const isZeroVector = (v: Float64Array): boolean => {
  for (let i = 0; i < v.length; i++) if (v[i] !== 0) return false;
  return true;
};

export const isZeroMatrix = (a: Matrix): boolean => isZeroVector(a.data);

export const nonZeroCount = (v: Float64Array): number => {
  let count = 0;
  for (let i = 0; i < v.length; i++) if (v[i] !== 0) count++;
  return count;
};

export const maxAbs = (v: Float64Array): number => {
  let max = 0;
  for (let i = 0; i < v.length; i++) {
    const a = Math.abs(v[i]);
    if (a > max) max = a;
  }
  return max;
};

/** Rows `keep` of A, in that order. */
export const selectRows = (a: Matrix, keep: ArrayLike<number>): Matrix => {
  const out = new Float64Array(keep.length * a.cols);
  for (let r = 0; r < keep.length; r++) out.set(a.data.subarray(keep[r] * a.cols, (keep[r] + 1) * a.cols), r * a.cols);
  return { rows: keep.length, cols: a.cols, data: out };
};

/** Columns `keep` of A, in that order. */
export const selectColumns = (a: Matrix, keep: ArrayLike<number>): Matrix => {
  const m = keep.length;
  const out = new Float64Array(a.rows * m);
  for (let r = 0; r < a.rows; r++) for (let c = 0; c < m; c++) out[r * m + c] = a.data[r * a.cols + keep[c]];
  return { rows: a.rows, cols: m, data: out };
};

export const selectEntries = (v: Float64Array, keep: ArrayLike<number>): Float64Array => {
  const out = new Float64Array(keep.length);
  for (let i = 0; i < keep.length; i++) out[i] = v[keep[i]];
  return out;
};

/** The rows of A that are not all zero. */
export const nonZeroRows = (a: Matrix): Int32Array => {
  const rows: number[] = [];
  for (let r = 0; r < a.rows; r++) {
    for (let c = 0; c < a.cols; c++) {
      if (a.data[r * a.cols + c] !== 0) {
        rows.push(r);
        break;
      }
    }
  }
  return Int32Array.from(rows);
};
