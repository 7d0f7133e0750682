/**
 * Compiled weight matrices as compressed sparse rows, and the product that visits only their
 * non-zero entries (skipping a zero term never changes a sum: the dense product's result, bit for bit).
 */

/** A matrix as compressed sparse rows: the non-zero entries of each row that has one. */
export interface SparseRows {
  /** Rows with a non-zero entry, ascending. */
  readonly rows: Int32Array;
  /** Entries of rows[i] are start[i] .. start[i + 1] - 1 (column ascending). */
  readonly start: Int32Array;
  readonly col: Int32Array;
  readonly val: Float64Array;
  /** Columns. */
  readonly cols: number;
  /** 1 for each column with a non-zero entry. */
  readonly liveCols: Uint8Array;
  /** The columns a product computes (the others are never read). */
  readonly outCols: Int32Array;
}

export const indicesWhere = (n: number, keep: (i: number) => boolean): Int32Array => {
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (keep(i)) out.push(i);
  return Int32Array.from(out);
};

export const all = (): boolean => true;

/** 1 at each of the indices. */
export const maskOf = (indices: ArrayLike<number>, n: number): Uint8Array => {
  const mask = new Uint8Array(n);
  for (let i = 0; i < indices.length; i++) mask[indices[i] as number] = 1;
  return mask;
};

/**
 * The non-zero entries of a rows × cols matrix stored at data[offset..], keeping only the rows and
 * columns the caller reads (the others would only add to outputs nobody reads).
 */
export const sparseRows = (
  data: Float32Array,
  offset: number,
  rows: number,
  cols: number,
  keepRow: (r: number) => boolean = all,
  keepCol: (c: number) => boolean = all,
): SparseRows => {
  const live: number[] = [];
  const start: number[] = [0];
  const col: number[] = [];
  const val: number[] = [];
  const liveCols = new Uint8Array(cols);
  const outCols = indicesWhere(cols, keepCol);
  for (let r = 0; r < rows; r++) {
    if (!keepRow(r)) continue;
    const before = col.length;
    for (let c = 0; c < cols; c++) {
      const w = data[offset + r * cols + c] as number;
      if (w === 0 || !keepCol(c)) continue;
      col.push(c);
      val.push(w);
      liveCols[c] = 1;
    }
    if (col.length > before) {
      live.push(r);
      start.push(col.length);
    }
  }
  return { rows: Int32Array.from(live), start: Int32Array.from(start), col: Int32Array.from(col), val: Float64Array.from(val), cols, liveCols, outCols };
};

/**
 * Y (T × m) = X (T × d) · W + b in W's output columns, visiting only W's non-zero entries and X's
 * non-zero inputs.
 */
export const project = (x: Float64Array, T: number, d: number, w: SparseRows, b: Float64Array, y: Float64Array, from = 0): void => {
  const m = w.cols;
  const { rows, start, col, val, outCols } = w;
  const nRows = rows.length;
  const nOut = outCols.length;
  for (let t = from; t < T; t++) {
    const yo = t * m;
    for (let c = 0; c < nOut; c++) {
      const j = outCols[c] as number;
      y[yo + j] = b[j] as number;
    }
    const xo = t * d;
    for (let i = 0; i < nRows; i++) {
      const xv = x[xo + (rows[i] as number)] as number;
      if (xv === 0) continue;
      const end = start[i + 1] as number;
      for (let e = start[i] as number; e < end; e++) {
        const at = yo + (col[e] as number);
        y[at] = (y[at] as number) + xv * (val[e] as number);
      }
    }
  }
};
