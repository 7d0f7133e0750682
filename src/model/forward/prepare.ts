/**
 * A compiled model's layers prepared for the forward pass: each weight matrix as sparse rows,
 * heads whose output matrix is zero dropped, and only the head dimensions, hidden units and
 * residual columns that can be non-zero kept.
 */
import type { ModelConfig, Tensor32 } from '../model.js';
import { all, indicesWhere, maskOf, sparseRows, type SparseRows } from './sparse.js';

export interface PreparedHead {
  /** The head's index in the layer. */
  readonly index: number;
  readonly q: SparseRows;
  readonly k: SparseRows;
  readonly v: SparseRows;
  /** W_O as rows = head dims. */
  readonly o: SparseRows;
  readonly bq: Float64Array;
  readonly bk: Float64Array;
  readonly bv: Float64Array;
  readonly dh: number;
  /** Head dims where both the query and the key can be non-zero (the only ones in a score). */
  readonly qkDims: Int32Array;
  /** Head dims where the value can be non-zero and W_O has a non-zero row, ascending. */
  readonly zDims: Int32Array;
  /** For each of zDims, its index in o.rows. */
  readonly zRows: Int32Array;
}

export interface PreparedLayer {
  /** Heads with a non-zero W_O (the others add nothing). */
  readonly heads: readonly PreparedHead[];
  readonly bo: Float64Array;
  /** Residual columns the attention sublayer can change (some W_O entry or b_O non-zero). */
  readonly attnCols: Int32Array;
  readonly win: SparseRows;
  readonly bin: Float64Array;
  readonly wout: SparseRows;
  readonly bout: Float64Array;
  /** Hidden units that can be non-zero and that W_out reads. */
  readonly units: Int32Array;
  /** Residual columns the MLP can change (some W_out entry or b_out non-zero). */
  readonly mlpCols: Int32Array;
}

export const f64 = (t: Tensor32 | undefined, offset = 0, length?: number): Float64Array => {
  if (t === undefined) throw new Error('bug: missing tensor');
  return Float64Array.from(t.data.subarray(offset, length === undefined ? undefined : offset + length));
};

/** The layers of a model whose tensors `t` gives (d = d_model). */
export const prepareLayers = (c: ModelConfig, d: number, t: (name: string) => Tensor32): PreparedLayer[] =>
  Array.from({ length: c.n_layers }, (_, l): PreparedLayer => {
    const p = `blocks.${l}`;
    const heads = Array.from({ length: c.n_heads }, (_, h): PreparedHead => {
      const inSize = d * c.d_head;
      const wq = sparseRows(t(`${p}.attn.W_Q`).data, h * inSize, d, c.d_head);
      const wk = sparseRows(t(`${p}.attn.W_K`).data, h * inSize, d, c.d_head);
      const wv = sparseRows(t(`${p}.attn.W_V`).data, h * inSize, d, c.d_head);
      const o = sparseRows(t(`${p}.attn.W_O`).data, h * c.d_head * d, c.d_head, d);
      const bq = f64(t(`${p}.attn.b_Q`), h * c.d_head, c.d_head);
      const bk = f64(t(`${p}.attn.b_K`), h * c.d_head, c.d_head);
      const bv = f64(t(`${p}.attn.b_V`), h * c.d_head, c.d_head);
      const oRows = Array.from(o.rows);
      const qkDims = indicesWhere(c.d_head, (j) => (wq.liveCols[j] === 1 || bq[j] !== 0) && (wk.liveCols[j] === 1 || bk[j] !== 0));
      const oRowMask = maskOf(oRows, c.d_head);
      const zDims = indicesWhere(c.d_head, (j) => (wv.liveCols[j] === 1 || bv[j] !== 0) && oRowMask[j] === 1);
      const qkMask = maskOf(qkDims, c.d_head);
      const zMask = maskOf(zDims, c.d_head);
      const inQk = (j: number): boolean => qkMask[j] === 1;
      const inZ = (j: number): boolean => zMask[j] === 1;
      return {
        index: h,
        q: sparseRows(t(`${p}.attn.W_Q`).data, h * inSize, d, c.d_head, all, inQk),
        k: sparseRows(t(`${p}.attn.W_K`).data, h * inSize, d, c.d_head, all, inQk),
        v: sparseRows(t(`${p}.attn.W_V`).data, h * inSize, d, c.d_head, all, inZ),
        o,
        bq,
        bk,
        bv,
        dh: c.d_head,
        qkDims,
        zDims,
        zRows: Int32Array.from(zDims, (j) => oRows.indexOf(j)),
      };
    }).filter((h) => h.o.rows.length > 0);
    const bo = f64(t(`${p}.attn.b_O`));
    const win = sparseRows(t(`${p}.mlp.W_in`).data, 0, d, c.d_mlp);
    const bin = f64(t(`${p}.mlp.b_in`));
    const wout = sparseRows(t(`${p}.mlp.W_out`).data, 0, c.d_mlp, d);
    const bout = f64(t(`${p}.mlp.b_out`));
    const outRows = Array.from(wout.rows);
    const outRowMask = maskOf(outRows, c.d_mlp);
    const units = indicesWhere(c.d_mlp, (u) => (win.liveCols[u] === 1 || bin[u] !== 0) && outRowMask[u] === 1);
    const unitMask = maskOf(units, c.d_mlp);
    const isUnit = (u: number): boolean => unitMask[u] === 1;
    const mlpCols = indicesWhere(d, (j) => bout[j] !== 0 || wout.liveCols[j] === 1);
    const mlpColMask = maskOf(mlpCols, d);
    return {
      heads,
      bo,
      attnCols: indicesWhere(d, (j) => bo[j] !== 0 || heads.some((h) => h.o.liveCols[j] === 1)),
      win: sparseRows(t(`${p}.mlp.W_in`).data, 0, d, c.d_mlp, all, isUnit),
      bin,
      wout: sparseRows(t(`${p}.mlp.W_out`).data, 0, c.d_mlp, d, isUnit, (j) => mlpColMask[j] === 1),
      bout,
      units,
      mlpCols,
    };
  });
