/**
 * The forward pass of a compiled model (the conventions of model.ts), in float64 over the stored
 * float32 weights. Compiled weight matrices are almost entirely zero (one-hot tables), so each is
 * prepared as compressed sparse rows, heads whose output matrix is zero are dropped, and only the
 * head dimensions that both the query and the key (or the value and the output) use are visited.
 * Skipping a zero term never changes a sum, so the result is the dense computation's, bit for bit.
 *
 * Leading layers with no live attention head act on each position alone; their output is
 * precomputed for every (token, position) pair. Work buffers are allocated once per model.
 *
 * No key padding mask: a PAD position is an ordinary position, as in TransformerLens, numpy and
 * the ONNX export; bidirectional models mask PAD keys inside their weights (docs/compiler.md).
 */
import { BOS_ID, PAD_ID, type CompiledModel, type ModelWeights, type Tensor32 } from './model.js';
import { MlpMemo } from './forward/mlpMemo.js';
import { f64, prepareLayers, type PreparedHead, type PreparedLayer } from './forward/prepare.js';
import { project, sparseRows, type SparseRows } from './forward/sparse.js';

/**
 * A head of the first attention layer, whose input is a function of (token, position) alone:
 * its scores for every (query row, key row) pair of the table and its values per row.
 */
interface HeadCache {
  /** rows × rows: the score of query row a against key row b. */
  readonly scores: Float64Array;
  /** rows × d_head. */
  readonly v: Float64Array;
}

/** What addAttention reads from the caches: the table row of each position. */
interface CacheUse {
  readonly heads: readonly HeadCache[];
  readonly rowOf: Int32Array;
  readonly rows: number;
}

/**
 * Built after the model's first runs: the residual after the leading layers without a live head
 * for every (token, position) row, and the first attention layer's heads over those rows.
 */
interface Caches {
  readonly pointwiseLayers: number;
  /** rows × d_model, row = token id × n_ctx + position. */
  readonly table: Float64Array;
  /** Layer `pointwiseLayers`'s heads, when rows² is small enough. */
  readonly first: CacheUse | undefined;
  /** Per layer, the MLP memo where the MLP costs more than a lookup. */
  readonly memos: (MlpMemo | undefined)[];
}

/** Doubles one MLP memo may hold (16 MiB). */
const MEMO_DOUBLES = 1 << 21;
/** Lookups after which a memo that hits less than half the time is dropped. */
const MEMO_TRIAL = 20_000;

/** Runs before the caches are built (one-off runs do not pay for them). */
const RUNS_BEFORE_CACHING = 64;

/** Snapshot of the residual stream after each sublayer (for pictures and debugging). */
export interface Trace {
  /** [after embedding, after layer 0 attention, after layer 0 MLP, ...], each T × d_model. */
  readonly residuals: Float64Array[];
  /** Per layer, per live head ({@link PreparedModel.liveHeads}): T × T attention weights. */
  readonly attention: Float64Array[][];
}

/** Largest (token, position) table of precomputed residuals, in doubles. */
const MAX_TABLE = 1 << 22;

export class PreparedModel<M extends ModelWeights = CompiledModel> {
  readonly d: number;
  private readonly layers: PreparedLayer[];
  private readonly embed: Float64Array;
  private readonly pos: Float64Array;
  private readonly unembed: SparseRows;
  private readonly bu: Float64Array;
  private readonly causal: boolean;
  private readonly nCtx: number;
  /** Leading layers without a live head, and the residual after them per (token, position). */
  private caches: Caches | undefined;
  private runs = 0;
  private readonly rowOf: Int32Array;
  // work buffers, n_ctx rows each
  private readonly x: Float64Array;
  private readonly delta: Float64Array;
  private readonly q: Float64Array;
  private readonly k: Float64Array;
  private readonly v: Float64Array;
  private readonly z: Float64Array;
  private readonly scores: Float64Array;
  private readonly h: Float64Array;
  private readonly out: Float64Array;
  private readonly qDims: Int32Array;
  private readonly qVals: Float64Array;

  constructor(readonly model: M) {
    const c = model.config;
    const t = (name: string): Tensor32 => {
      const x = model.tensors.get(name);
      if (x === undefined) throw new Error(`bug: tensor ${name} missing from a compiled model`);
      return x;
    };
    const d = c.d_model;
    this.d = d;
    this.causal = c.causal;
    this.nCtx = c.n_ctx;
    this.embed = f64(t('embed.W_E'));
    this.pos = f64(t('pos_embed.W_pos'));
    this.unembed = sparseRows(t('unembed.W_U').data, 0, d, c.d_vocab_out);
    this.bu = f64(t('unembed.b_U'));
    this.layers = prepareLayers(c, d, t);
    const n = c.n_ctx;
    this.x = new Float64Array(n * d);
    this.delta = new Float64Array(n * d);
    this.q = new Float64Array(n * c.d_head);
    this.k = new Float64Array(n * c.d_head);
    this.v = new Float64Array(n * c.d_head);
    this.z = new Float64Array(c.d_head);
    this.scores = new Float64Array(n);
    this.h = new Float64Array(n * c.d_mlp);
    this.out = new Float64Array(n * d);
    this.qDims = new Int32Array(c.d_head);
    this.qVals = new Float64Array(c.d_head);
    this.rowOf = new Int32Array(n);
  }

  /** The caches, or undefined when the table would be too large. */
  private buildCaches(): Caches | undefined {
    const c = this.model.config;
    const d = this.d;
    const n = this.nCtx;
    let pointwise = 0;
    while (pointwise < this.layers.length && (this.layers[pointwise] as PreparedLayer).heads.length === 0) pointwise++;
    const rows = c.d_vocab * n;
    if (rows * Math.max(d, c.d_head, c.d_mlp) > MAX_TABLE) return undefined;
    const x = new Float64Array(rows * d);
    for (let tok = 0; tok < c.d_vocab; tok++) {
      for (let p = 0; p < n; p++) this.embedRow(x, (tok * n + p) * d, tok, p);
    }
    const h = new Float64Array(rows * c.d_mlp);
    const out = new Float64Array(rows * d);
    for (let l = 0; l < pointwise; l++) {
      const layer = this.layers[l] as PreparedLayer;
      this.addAttention(layer, x, rows, new Float64Array(rows * d), true);
      this.mlp(layer, x, rows, h, out);
    }
    const first = this.layers[pointwise];
    const cached = first !== undefined && rows * rows * first.heads.length <= MAX_TABLE;
    const memos = this.layers.map((layer, l): MlpMemo | undefined => {
      if (l < pointwise) return undefined;
      const k = layer.win.rows.length;
      const c = layer.mlpCols.length;
      const work = layer.win.col.length + 2 * layer.units.length + layer.wout.col.length + c;
      if (c === 0 || work < 2 * (4 * k + 2 * c + 16)) return undefined;
      return new MlpMemo(layer.win.rows, layer.mlpCols, Math.max(1, Math.floor(MEMO_DOUBLES / (k + c))));
    });
    return {
      pointwiseLayers: pointwise,
      table: x,
      memos,
      first: cached ? { heads: first.heads.map((head) => this.headCache(head, x, rows)), rowOf: this.rowOf, rows } : undefined,
    };
  }

  /** Scores and values of a head over every pair of rows of x (the same sums as addAttention's). */
  private headCache(head: PreparedHead, x: Float64Array, rows: number): HeadCache {
    const dh = head.dh;
    const q = new Float64Array(rows * dh);
    const k = new Float64Array(rows * dh);
    const v = new Float64Array(rows * dh);
    project(x, rows, this.d, head.q, head.bq, q);
    project(x, rows, this.d, head.k, head.bk, k);
    project(x, rows, this.d, head.v, head.bv, v);
    const scores = new Float64Array(rows * rows);
    const qk = head.qkDims;
    for (let a = 0; a < rows; a++) {
      const dims: number[] = [];
      for (const j of qk) if (q[a * dh + j] !== 0) dims.push(j);
      for (let b = 0; b < rows; b++) {
        let s = 0;
        for (const j of dims) s += (q[a * dh + j] as number) * (k[b * dh + j] as number);
        scores[a * rows + b] = s;
      }
    }
    return { scores, v };
  }

  private embedRow(x: Float64Array, at: number, token: number, position: number): void {
    const d = this.d;
    const e = token * d;
    const p = position * d;
    for (let j = 0; j < d; j++) x[at + j] = (this.embed[e + j] as number) + (this.pos[p + j] as number);
  }

  /**
   * x += Σ_h head_h(x) + b_O, restricted to the columns that can change. `biasOnly`: the layer
   * has no live head (x += 0 + b_O), whatever the number of rows.
   */
  private addAttention(
    layer: PreparedLayer,
    x: Float64Array,
    T: number,
    delta: Float64Array,
    biasOnly: boolean,
    patterns?: Float64Array[],
    cache?: CacheUse,
  ): void {
    const d = this.d;
    const cols = layer.attnCols;
    const nCols = cols.length;
    if (nCols === 0) return;
    for (let t = 0; t < T; t++) for (let c = 0; c < nCols; c++) delta[t * d + (cols[c] as number)] = 0;
    if (!biasOnly) {
      const { q, k, v, z, scores, qDims, qVals } = this;
      for (let hi = 0; hi < layer.heads.length; hi++) {
        const head = layer.heads[hi] as PreparedHead;
        const dh = head.dh;
        const hc = cache?.heads[hi];
        if (hc === undefined) {
          project(x, T, d, head.q, head.bq, q);
          project(x, T, d, head.k, head.bk, k);
          project(x, T, d, head.v, head.bv, v);
        }
        const rowOf = this.rowOf;
        const rows = cache?.rows ?? 0;
        const vs = hc === undefined ? v : hc.v;
        const qk = head.qkDims;
        const nqk = qk.length;
        const zd = head.zDims;
        const nz = zd.length;
        const { start, col, val } = head.o;
        const zRows = head.zRows;
        const pattern = patterns ? new Float64Array(T * T) : undefined;
        for (let qi = 0; qi < T; qi++) {
          let max = Number.NEGATIVE_INFINITY;
          const kEnd = this.causal ? qi + 1 : T;
          if (hc !== undefined) {
            const cached = hc.scores;
            const rq = (rowOf[qi] as number) * rows;
            for (let ki = 0; ki < kEnd; ki++) {
              const s = cached[rq + (rowOf[ki] as number)] as number;
              scores[ki] = s;
              if (s > max) max = s;
            }
          } else {
            const qo = qi * dh;
            // the query's non-zero dims (a zero term leaves a score unchanged)
            let nq = 0;
            for (let a = 0; a < nqk; a++) {
              const j = qk[a] as number;
              const qv = q[qo + j] as number;
              if (qv === 0) continue;
              qDims[nq] = j;
              qVals[nq++] = qv;
            }
            for (let ki = 0; ki < kEnd; ki++) {
              const ko = ki * dh;
              let s = 0;
              for (let a = 0; a < nq; a++) s += (qVals[a] as number) * (k[ko + (qDims[a] as number)] as number);
              scores[ki] = s;
              if (s > max) max = s;
            }
          }
          let sum = 0;
          for (let ki = 0; ki < kEnd; ki++) {
            const sc = scores[ki] as number;
            // exp(0) is 1 and exp below -745.2 is 0 exactly: skip the call
            const diff = sc - max;
            const e = sc === Number.NEGATIVE_INFINITY || diff < -746 ? 0 : diff === 0 ? 1 : Math.exp(diff);
            scores[ki] = e;
            sum += e;
          }
          for (let a = 0; a < nz; a++) z[zd[a] as number] = 0;
          for (let ki = 0; ki < kEnd; ki++) {
            const w = (scores[ki] as number) / sum;
            if (pattern) pattern[qi * T + ki] = w;
            if (w === 0) continue;
            const vo = (hc === undefined ? ki : (rowOf[ki] as number)) * dh;
            for (let a = 0; a < nz; a++) {
              const j = zd[a] as number;
              z[j] = (z[j] as number) + w * (vs[vo + j] as number);
            }
          }
          // W_O rows in ascending order, as the dense product visits them
          const dOff = qi * d;
          for (let a = 0; a < nz; a++) {
            const zr = z[zd[a] as number] as number;
            if (zr === 0) continue;
            const ri = zRows[a] as number;
            const end = start[ri + 1] as number;
            for (let e = start[ri] as number; e < end; e++) {
              const at = dOff + (col[e] as number);
              delta[at] = (delta[at] as number) + zr * (val[e] as number);
            }
          }
        }
        if (patterns && pattern) patterns.push(pattern);
      }
    }
    const bo = layer.bo;
    for (let t = 0; t < T; t++) {
      const o = t * d;
      for (let c = 0; c < nCols; c++) {
        const j = cols[c] as number;
        x[o + j] = (x[o + j] as number) + ((delta[o + j] as number) + (bo[j] as number));
      }
    }
  }

  /** x += relu(x W_in + b_in) W_out + b_out for rows from ≤ t < T. */
  private mlpRows(layer: PreparedLayer, x: Float64Array, from: number, T: number, h: Float64Array, out: Float64Array): void {
    const cols = layer.mlpCols;
    const nCols = cols.length;
    const d = this.d;
    const m = layer.win.cols;
    project(x, T, d, layer.win, layer.bin, h, from);
    const units = layer.units;
    const nUnits = units.length;
    for (let t = from; t < T; t++) {
      const o = t * m;
      for (let a = 0; a < nUnits; a++) {
        const i = o + (units[a] as number);
        if ((h[i] as number) < 0) h[i] = 0;
      }
    }
    project(h, T, m, layer.wout, layer.bout, out, from);
    for (let t = from; t < T; t++) {
      const o = t * d;
      for (let c = 0; c < nCols; c++) {
        const j = cols[c] as number;
        x[o + j] = (x[o + j] as number) + (out[o + j] as number);
      }
    }
  }

  /** x += relu(x W_in + b_in) W_out + b_out, through the layer's memo when it has one. */
  private mlp(layer: PreparedLayer, x: Float64Array, T: number, h: Float64Array, out: Float64Array, memos?: (MlpMemo | undefined)[], l = -1): void {
    if (layer.mlpCols.length === 0) return;
    const memo = memos?.[l];
    if (memo === undefined || memos === undefined) {
      this.mlpRows(layer, x, 0, T, h, out);
      return;
    }
    const d = this.d;
    for (let t = 0; t < T; t++) {
      const o = t * d;
      if (memo.apply(x, o)) continue;
      this.mlpRows(layer, x, t, t + 1, h, out);
      memo.remember(out, o);
    }
    if (memo.lookups >= MEMO_TRIAL && memo.hits * 2 < memo.lookups) memos[l] = undefined;
  }

  /**
   * The heads of a layer that can change the residual (a non-zero W_O), ascending: a trace's
   * attention patterns of that layer are theirs, in this order.
   */
  liveHeads(layer: number): readonly number[] {
    return this.layers[layer]?.heads.map((h) => h.index) ?? [];
  }

  /**
   * Runs one sequence of token ids (BOS first; PAD ids allowed at the end) and returns the final
   * residual stream, T × d_model, in a buffer of the model's that the next call overwrites (read
   * the first T × d_model entries). For tight loops; {@link run} returns a copy.
   */
  runShared(tokens: Int32Array, trace?: Trace): Float64Array {
    const T = tokens.length;
    if (T > this.nCtx) throw new Error(`bug: ${T} positions for a model with n_ctx ${this.nCtx}`);
    const d = this.d;
    const x = this.x;
    let first = 0;
    if (this.runs < RUNS_BEFORE_CACHING && ++this.runs === RUNS_BEFORE_CACHING) this.caches = this.buildCaches();
    const caches = trace === undefined ? this.caches : undefined;
    if (caches !== undefined) {
      const table = caches.table;
      const n = this.nCtx;
      const rowOf = this.rowOf;
      for (let t = 0; t < T; t++) {
        const row = (tokens[t] as number) * n + t;
        rowOf[t] = row;
        const from = row * d;
        const to = t * d;
        for (let j = 0; j < d; j++) x[to + j] = table[from + j] as number;
      }
      first = caches.pointwiseLayers;
    } else {
      for (let t = 0; t < T; t++) this.embedRow(x, t * d, tokens[t] as number, t);
      trace?.residuals.push(x.slice(0, T * d));
    }
    for (let l = first; l < this.layers.length; l++) {
      const layer = this.layers[l] as PreparedLayer;
      const patterns: Float64Array[] | undefined = trace ? [] : undefined;
      const cache = caches !== undefined && l === first ? caches.first : undefined;
      this.addAttention(layer, x, T, this.delta, layer.heads.length === 0, patterns, cache);
      if (trace && patterns) {
        trace.attention.push(patterns);
        trace.residuals.push(x.slice(0, T * d));
      }
      this.mlp(layer, x, T, this.h, this.out, caches?.memos, l);
      trace?.residuals.push(x.slice(0, T * d));
    }
    return x;
  }

  /**
   * Runs one sequence of token ids (BOS first; PAD ids allowed at the end) and returns the final
   * residual stream, T × d_model.
   */
  run(tokens: Int32Array, trace?: Trace): Float64Array {
    return this.runShared(tokens, trace).slice(0, tokens.length * this.d);
  }

  /** Output logits (T × d_vocab_out) of the first T positions of a final residual, into `out`. */
  logitsInto(residual: Float64Array, T: number, out: Float64Array): Float64Array {
    project(residual, T, this.d, this.unembed, this.bu, out);
    return out;
  }

  /** Output logits (T × d_vocab_out) from a final residual. */
  logits(residual: Float64Array): Float64Array {
    const T = residual.length / this.d;
    return this.logitsInto(residual, T, new Float64Array(T * this.unembed.cols));
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
