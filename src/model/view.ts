/**
 * A verifier's view of a compiled model: each node's blocks read straight from the tensors,
 * located through the manifest (residual labels, stage placements). Nothing here trusts the
 * compiler's in-memory structures: a lemma or solver query evaluates the weights as stored.
 */
import type { Value } from '../ast/value.js';
import { canonicalNumber, canonicalValue, isNumberLike, toNumber, valueEquals } from '../ast/value.js';
import type { CompiledModel, NodeReport, StagePlacement, Tensor32 } from './model.js';
import { at } from '../util/at.js';

/** An s-op's directions in the residual stream, as the manifest lists them. */
export interface SpaceView {
  readonly label: string;
  readonly representation: 'categorical' | 'numerical';
  /** Residual indices: one per value (categorical) or one (numerical). */
  readonly indices: readonly number[];
  /** The value of each categorical direction. */
  readonly values: readonly Value[];
}

export class ModelView {
  readonly d: number;
  readonly one: number;
  readonly bos: number;
  /** The `pad` direction (bidirectional models); −1 when the model has none. */
  readonly pad: number;
  private readonly spaces = new Map<string, SpaceView>();
  readonly nodes: ReadonlyMap<string, NodeReport>;

  constructor(readonly model: CompiledModel) {
    this.d = model.config.d_model;
    const residual = model.manifest.residual;
    this.one = residual.findIndex((r) => r.label === 'one');
    this.bos = residual.findIndex((r) => r.label === 'bos');
    this.pad = residual.findIndex((r) => r.label === 'pad');
    const byLabel = new Map<string, number[]>();
    residual.forEach((r, i) => byLabel.set(r.label, [...(byLabel.get(r.label) ?? []), i]));
    for (const [label, indices] of byLabel) {
      const categorical = indices.some((i) => residual[i]?.value !== undefined);
      this.spaces.set(label, {
        label,
        representation: categorical ? 'categorical' : 'numerical',
        indices,
        values: categorical ? indices.map((i) => residual[i]?.value as Value) : [],
      });
    }
    this.nodes = new Map(model.manifest.nodes.map((n) => [n.label, n]));
  }

  space(label: string): SpaceView | undefined {
    return this.spaces.get(label);
  }

  tensor(name: string): Tensor32 {
    const t = this.model.tensors.get(name);
    if (t === undefined) throw new Error(`bug: tensor ${name} missing`);
    return t;
  }

  /** A residual vector with `one` set (a non-BOS position) and the given encodings written. */
  vector(encodings: readonly (readonly [SpaceView, Value])[], bosPosition = false): Float64Array {
    const x = new Float64Array(this.d);
    x[this.one] = 1;
    if (bosPosition) x[this.bos] = 1;
    for (const [space, v] of encodings) writeValue(x, space, v);
    return x;
  }

  /**
   * A PAD position's residual as the compiler lays it out: BOS's (`one`, `bos`) plus `pad`, and
   * the given encodings (its index; every other s-op is None there).
   */
  padVector(encodings: readonly (readonly [SpaceView, Value])[]): Float64Array {
    const x = this.vector(encodings, true);
    if (this.pad >= 0) x[this.pad] = 1;
    return x;
  }

  /** Σ over the units [from, to) of layer `layer`: ReLU(x·W_in + b_in)·W_out, and the pre-activations. */
  mlp(layer: number, units: readonly [number, number], x: Float64Array): { out: Float64Array; pre: Float64Array } {
    const { d } = this;
    const dm = this.model.config.d_mlp;
    const win = this.tensor(`blocks.${layer}.mlp.W_in`).data;
    const bin = this.tensor(`blocks.${layer}.mlp.b_in`).data;
    const wout = this.tensor(`blocks.${layer}.mlp.W_out`).data;
    const out = new Float64Array(d);
    const pre = new Float64Array(units[1] - units[0]);
    for (let u = units[0]; u < units[1]; u++) {
      let z = bin[u] as number;
      for (let i = 0; i < d; i++) {
        const xi = x[i] as number;
        if (xi !== 0) z += xi * (win[i * dm + u] as number);
      }
      pre[u - units[0]] = z;
      if (z <= 0) continue;
      for (let j = 0; j < d; j++) out[j] = (out[j] as number) + z * (wout[u * d + j] as number);
    }
    return { out, pre };
  }

  /** The attention logit of head `head` in layer `layer` between a query and a key residual. */
  score(layer: number, head: number, query: Float64Array, key: Float64Array): number {
    const q = this.project(layer, head, 'Q', query);
    const k = this.project(layer, head, 'K', key);
    let s = 0;
    for (let j = 0; j < q.length; j++) s += (q[j] as number) * (k[j] as number);
    return s / this.model.config.attn_scale;
  }

  /** x·W_X[head] + b_X[head] for X ∈ {Q, K, V}. */
  project(layer: number, head: number, which: 'Q' | 'K' | 'V', x: Float64Array): Float64Array {
    const { d } = this;
    const dh = this.model.config.d_head;
    const w = this.tensor(`blocks.${layer}.attn.W_${which}`).data;
    const b = this.tensor(`blocks.${layer}.attn.b_${which}`).data;
    const out = new Float64Array(dh);
    for (let j = 0; j < dh; j++) out[j] = b[head * dh + j] as number;
    for (let i = 0; i < d; i++) {
      const xi = x[i] as number;
      if (xi === 0) continue;
      const row = (head * d + i) * dh;
      for (let j = 0; j < dh; j++) out[j] = (out[j] as number) + xi * (w[row + j] as number);
    }
    return out;
  }

  /** What a head writes to the residual for a value vector: (x·W_V + b_V)·W_O (b_O excluded). */
  headOutput(layer: number, head: number, x: Float64Array): Float64Array {
    const { d } = this;
    const dh = this.model.config.d_head;
    const v = this.project(layer, head, 'V', x);
    const wo = this.tensor(`blocks.${layer}.attn.W_O`).data;
    const out = new Float64Array(d);
    for (let j = 0; j < dh; j++) {
      const vj = v[j] as number;
      if (vj === 0) continue;
      for (let i = 0; i < d; i++) out[i] = (out[i] as number) + vj * (wo[(head * dh + j) * d + i] as number);
    }
    return out;
  }
}

/** Adds a value's encoding into a residual vector (one-hot or scalar; None writes nothing). */
export const writeValue = (x: Float64Array, space: SpaceView, v: Value): void => {
  if (v === null) return;
  if (space.representation === 'numerical') {
    const dir = at(space.indices, 0);
    x[dir] = at(x, dir) + (isNumberLike(v) ? toNumber(v) : Number.NaN);
    return;
  }
  const i = space.values.findIndex((u) => valueEquals(u, v));
  if (i < 0) throw new Error(`bug: ${String(v)} has no direction in ${space.label}`);
  const dir = at(space.indices, i);
  x[dir] = at(x, dir) + 1;
};

/** The value a space holds in a residual vector: one-hot argmax (None below 1/2), or the number. */
export const decodeSpace = (x: Float64Array, space: SpaceView): Value => {
  const r = readSpace(x, space);
  if (space.representation === 'numerical') return canonicalNumber(at(r, 0));
  let best = -1;
  r.forEach((v, i) => {
    if (v > 0.5 && (best < 0 || v > at(r, best))) best = i;
  });
  return best < 0 ? null : canonicalValue(at(space.values, best));
};

/** Reads a space back from a residual: the vector of its coordinates. */
export const readSpace = (x: Float64Array, space: SpaceView): number[] => space.indices.map((i) => x[i] as number);

export const stagesOf = (node: NodeReport, sublayer: 'attn' | 'mlp', role?: string): StagePlacement[] =>
  node.stages.filter((s) => s.sublayer === sublayer && (role === undefined || s.role === role));
