/**
 * The forward pass of a compiled model (the conventions of model.ts), in float64 over the stored
 * float32 weights. Weight matrices are mostly zero, so each is prepared as the list of its
 * non-zero rows; the kernels are plain loops over Float64Arrays.
 */
import { BOS_ID, PAD_ID, type CompiledModel, type Tensor32 } from './model.js';

interface SparseRows {
  /** Rows with a non-zero entry. */
  readonly rows: Int32Array;
  /** Row-major dense copy (rows × cols). */
  readonly dense: Float64Array;
  readonly cols: number;
}

const sparseRows = (data: Float32Array, offset: number, rows: number, cols: number): SparseRows => {
  const dense = new Float64Array(rows * cols);
  const live: number[] = [];
  for (let r = 0; r < rows; r++) {
    let any = false;
    for (let c = 0; c < cols; c++) {
      const w = data[offset + r * cols + c] as number;
      dense[r * cols + c] = w;
      if (w !== 0) any = true;
    }
    if (any) live.push(r);
  }
  return { rows: Int32Array.from(live), dense, cols };
};

interface PreparedHead {
  readonly q: SparseRows;
  readonly k: SparseRows;
  readonly v: SparseRows;
  /** W_O as rows = head dims. */
  readonly o: SparseRows;
  readonly bq: Float64Array;
  readonly bk: Float64Array;
  readonly bv: Float64Array;
}

interface PreparedLayer {
  readonly heads: readonly PreparedHead[];
  readonly bo: Float64Array;
  readonly win: SparseRows;
  readonly bin: Float64Array;
  readonly wout: SparseRows;
  readonly bout: Float64Array;
}

/** Snapshot of the residual stream after each sublayer (for pictures and debugging). */
export interface Trace {
  /** [after embedding, after layer 0 attention, after layer 0 MLP, ...], each T × d_model. */
  readonly residuals: Float64Array[];
  /** Per layer, per head: T × T attention weights. */
  readonly attention: Float64Array[][];
}

const f64 = (t: Tensor32 | undefined, offset = 0, length?: number): Float64Array => {
  if (t === undefined) throw new Error('bug: missing tensor');
  return Float64Array.from(t.data.subarray(offset, length === undefined ? undefined : offset + length));
};

export class PreparedModel {
  readonly d: number;
  private readonly layers: PreparedLayer[];
  private readonly embed: Float64Array;
  private readonly pos: Float64Array;
  private readonly unembed: SparseRows;
  private readonly bu: Float64Array;

  constructor(readonly model: CompiledModel) {
    const c = model.config;
    const t = (name: string): Tensor32 => {
      const x = model.tensors.get(name);
      if (x === undefined) throw new Error(`bug: tensor ${name} missing from a compiled model`);
      return x;
    };
    this.d = c.d_model;
    this.embed = f64(t('embed.W_E'));
    this.pos = f64(t('pos_embed.W_pos'));
    this.unembed = sparseRows(t('unembed.W_U').data, 0, c.d_model, c.d_vocab_out);
    this.bu = f64(t('unembed.b_U'));
    this.layers = Array.from({ length: c.n_layers }, (_, l) => {
      const p = `blocks.${l}`;
      const heads = Array.from({ length: c.n_heads }, (_, h): PreparedHead => {
        const inSize = c.d_model * c.d_head;
        return {
          q: sparseRows(t(`${p}.attn.W_Q`).data, h * inSize, c.d_model, c.d_head),
          k: sparseRows(t(`${p}.attn.W_K`).data, h * inSize, c.d_model, c.d_head),
          v: sparseRows(t(`${p}.attn.W_V`).data, h * inSize, c.d_model, c.d_head),
          o: sparseRows(t(`${p}.attn.W_O`).data, h * c.d_head * c.d_model, c.d_head, c.d_model),
          bq: f64(t(`${p}.attn.b_Q`), h * c.d_head, c.d_head),
          bk: f64(t(`${p}.attn.b_K`), h * c.d_head, c.d_head),
          bv: f64(t(`${p}.attn.b_V`), h * c.d_head, c.d_head),
        };
      });
      return {
        heads,
        bo: f64(t(`${p}.attn.b_O`)),
        win: sparseRows(t(`${p}.mlp.W_in`).data, 0, c.d_model, c.d_mlp),
        bin: f64(t(`${p}.mlp.b_in`)),
        wout: sparseRows(t(`${p}.mlp.W_out`).data, 0, c.d_mlp, c.d_model),
        bout: f64(t(`${p}.mlp.b_out`)),
      };
    });
  }

  /** Y (T × m) = X (T × d) · W + b, visiting only W's non-zero rows. */
  private static project(x: Float64Array, T: number, d: number, w: SparseRows, b: Float64Array): Float64Array {
    const m = w.cols;
    const y = new Float64Array(T * m);
    for (let t = 0; t < T; t++) {
      const yo = t * m;
      for (let j = 0; j < m; j++) y[yo + j] = b[j] as number;
      for (let i = 0; i < w.rows.length; i++) {
        const r = w.rows[i] as number;
        const xv = x[t * d + r] as number;
        if (xv === 0) continue;
        const wo = r * m;
        for (let j = 0; j < m; j++) y[yo + j] += xv * (w.dense[wo + j] as number);
      }
    }
    return y;
  }

  /**
   * Runs one sequence of token ids (BOS first; PAD ids allowed at the end) and returns the final
   * residual stream, T × d_model.
   */
  run(tokens: Int32Array, trace?: Trace): Float64Array {
    const T = tokens.length;
    const d = this.d;
    const causal = this.model.config.causal;
    const x = new Float64Array(T * d);
    for (let t = 0; t < T; t++) {
      const e = (tokens[t] as number) * d;
      const p = t * d;
      for (let j = 0; j < d; j++) x[t * d + j] = (this.embed[e + j] as number) + (this.pos[p + j] as number);
    }
    trace?.residuals.push(x.slice());
    const isPad = (t: number): boolean => tokens[t] === PAD_ID;
    const scores = new Float64Array(T);
    for (const layer of this.layers) {
      const patterns: Float64Array[] = [];
      const delta = new Float64Array(T * d);
      for (const head of layer.heads) {
        if (head.o.rows.length === 0) continue;
        const dh = head.q.cols;
        const q = PreparedModel.project(x, T, d, head.q, head.bq);
        const k = PreparedModel.project(x, T, d, head.k, head.bk);
        const v = PreparedModel.project(x, T, d, head.v, head.bv);
        const pattern = trace ? new Float64Array(T * T) : undefined;
        const z = new Float64Array(dh);
        for (let qi = 0; qi < T; qi++) {
          let max = Number.NEGATIVE_INFINITY;
          const kEnd = causal ? qi + 1 : T;
          for (let ki = 0; ki < kEnd; ki++) {
            if (isPad(ki)) {
              scores[ki] = Number.NEGATIVE_INFINITY;
              continue;
            }
            let s = 0;
            for (let j = 0; j < dh; j++) s += (q[qi * dh + j] as number) * (k[ki * dh + j] as number);
            scores[ki] = s;
            if (s > max) max = s;
          }
          let sum = 0;
          for (let ki = 0; ki < kEnd; ki++) {
            const e = scores[ki] === Number.NEGATIVE_INFINITY ? 0 : Math.exp((scores[ki] as number) - max);
            scores[ki] = e;
            sum += e;
          }
          z.fill(0);
          for (let ki = 0; ki < kEnd; ki++) {
            const a = (scores[ki] as number) / sum;
            if (pattern) pattern[qi * T + ki] = a;
            if (a === 0) continue;
            for (let j = 0; j < dh; j++) z[j] += a * (v[ki * dh + j] as number);
          }
          for (let ri = 0; ri < head.o.rows.length; ri++) {
            const r = head.o.rows[ri] as number;
            const zr = z[r] as number;
            if (zr === 0) continue;
            const wo = r * d;
            for (let j = 0; j < d; j++) delta[qi * d + j] += zr * (head.o.dense[wo + j] as number);
          }
        }
        if (pattern) patterns.push(pattern);
      }
      for (let t = 0; t < T; t++) for (let j = 0; j < d; j++) x[t * d + j] += (delta[t * d + j] as number) + (layer.bo[j] as number);
      trace?.attention.push(patterns);
      trace?.residuals.push(x.slice());
      const h = PreparedModel.project(x, T, d, layer.win, layer.bin);
      for (let i = 0; i < h.length; i++) if ((h[i] as number) < 0) h[i] = 0;
      const out = PreparedModel.project(h, T, layer.win.cols, layer.wout, layer.bout);
      for (let i = 0; i < x.length; i++) x[i] += out[i] as number;
      trace?.residuals.push(x.slice());
    }
    return x;
  }

  /** Output logits (T × d_vocab_out) from a final residual. */
  logits(residual: Float64Array): Float64Array {
    return PreparedModel.project(residual, residual.length / this.d, this.d, this.unembed, this.bu);
  }
}

/** Token ids for an input (BOS first), or the index of the first token outside the vocabulary. */
export const tokenIds = (model: CompiledModel, input: readonly unknown[], padTo?: number): Int32Array | { readonly outOfVocabulary: number } => {
  const ids = new Int32Array(Math.max(input.length, padTo ?? 0) + 1).fill(PAD_ID);
  ids[0] = BOS_ID;
  const vocab = model.manifest.bounds.vocab;
  for (let i = 0; i < input.length; i++) {
    const j = vocab.findIndex((v) => v === input[i]);
    if (j < 0) return { outOfVocabulary: i };
    ids[i + 1] = j + 2;
  }
  return ids;
};
