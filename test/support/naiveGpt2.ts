/**
 * A deliberately naive GPT-2 forward pass for the tests: nested number arrays, one formula per
 * line, straight from the definitions (HF GPT2LMHeadModel), sharing no code with
 * src/nn. With `fixedScales`, every LayerNorm divides by its site's constant (the decompiler's
 * linear-LayerNorm assumption). It reads the raw config.json object and the raw HF-named tensors itself.
 */
import * as Either from 'fp-ts/lib/Either.js';
import { toFloat64, type Tensor } from '../../src/model/safetensors.js';

type Vector = number[];
type Matrix = number[][];

export interface NaiveGpt2Result {
  /** logits[t][v] */
  readonly logits: Matrix;
  /** residuals[0] = embeddings; residuals[l + 1] = after block l; residuals[i][t] is a vector. */
  readonly residuals: Matrix[];
}

/** erf(x) = 2/√π ∫₀ˣ e^(−s²) ds, by Simpson's rule on 2000 intervals (error far below 1e-10 here). */
const naiveErf = (x: number): number => {
  const intervals = 2000;
  const h = x / intervals;
  let sum = 0;
  for (let i = 0; i <= intervals; i++) {
    const s = i * h;
    const weight = i === 0 || i === intervals ? 1 : i % 2 === 1 ? 4 : 2;
    sum += weight * Math.exp(-s * s);
  }
  return (2 / Math.sqrt(Math.PI)) * (h / 3) * sum;
};

const naiveActivation = (name: string, x: number): number => {
  if (name === 'gelu_new') return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * Math.pow(x, 3))));
  if (name === 'gelu') return 0.5 * x * (1 + naiveErf(x / Math.sqrt(2)));
  if (name === 'relu') return x > 0 ? x : 0;
  throw new Error(`naive GPT-2: unknown activation ${name}`);
};

const naiveLayerNorm = (v: Vector, gain: Vector, bias: Vector, epsilon: number): Vector => {
  const n = v.length;
  let mean = 0;
  for (const x of v) mean += x / n;
  let variance = 0;
  for (const x of v) variance += (x - mean) ** 2 / n;
  return v.map((x, i) => ((x - mean) / Math.sqrt(variance + epsilon)) * gain[i]! + bias[i]!);
};

/** Conv1D: out[j] = b[j] + Σᵢ v[i] · W[i][j]. */
const conv1d = (v: Vector, w: Matrix, b: Vector): Vector =>
  b.map((bj, j) => {
    let out = bj;
    for (let i = 0; i < v.length; i++) out += v[i]! * w[i]![j]!;
    return out;
  });

/** The linear-LayerNorm assumption: each use-site divides by this constant s, not by √(var + ε). */
export interface NaiveFixedScales {
  readonly ln1: readonly number[];
  readonly ln2: readonly number[];
  readonly final: number;
}

const naiveFixedLayerNorm = (v: Vector, gain: Vector, bias: Vector, s: number): Vector => {
  const n = v.length;
  let mean = 0;
  for (const x of v) mean += x / n;
  return v.map((x, i) => ((x - mean) / s) * gain[i]! + bias[i]!);
};

export const naiveGpt2 = (
  config: Record<string, unknown>,
  tensors: ReadonlyMap<string, Tensor>,
  ids: readonly number[],
  positions: readonly number[],
  fixedScales?: NaiveFixedScales,
): NaiveGpt2Result => {
  const nLayer = config['n_layer'] as number;
  const nHead = config['n_head'] as number;
  const d = config['n_embd'] as number;
  const epsilon = (config['layer_norm_epsilon'] as number | undefined) ?? 1e-5;
  const activation = (config['activation_function'] as string | undefined) ?? 'gelu_new';
  const tied = (config['tie_word_embeddings'] as boolean | undefined) ?? true;

  const raw = (name: string): { shape: readonly number[]; values: Float64Array } => {
    const tensor = tensors.get(name) ?? tensors.get(`transformer.${name}`);
    if (tensor === undefined) throw new Error(`naive GPT-2: no tensor ${name}`);
    const values = toFloat64(tensor);
    if (Either.isLeft(values)) throw new Error(`naive GPT-2: tensor ${name} unreadable`);
    return { shape: tensor.shape, values: values.right };
  };
  const vector = (name: string): Vector => Array.from(raw(name).values);
  const matrix = (name: string): Matrix => {
    const { shape, values } = raw(name);
    const rows: Matrix = [];
    for (let r = 0; r < shape[0]!; r++) {
      const row: Vector = [];
      for (let c = 0; c < shape[1]!; c++) row.push(values[r * shape[1]! + c]!);
      rows.push(row);
    }
    return rows;
  };

  const wte = matrix('wte.weight');
  const wpe = matrix('wpe.weight');
  let stream: Matrix = ids.map((id, t) => wte[id]!.map((e, i) => e + wpe[positions[t]!]![i]!));
  const residuals: Matrix[] = [stream.map((row) => [...row])];
  const headSize = d / nHead;

  for (let l = 0; l < nLayer; l++) {
    const at = (name: string): string => `h.${l}.${name}`;
    const ln1Gain = vector(at('ln_1.weight'));
    const ln1Bias = vector(at('ln_1.bias'));
    const attnW = matrix(at('attn.c_attn.weight'));
    const attnB = vector(at('attn.c_attn.bias'));
    const attnProjW = matrix(at('attn.c_proj.weight'));
    const attnProjB = vector(at('attn.c_proj.bias'));
    const ln2Gain = vector(at('ln_2.weight'));
    const ln2Bias = vector(at('ln_2.bias'));
    const fcW = matrix(at('mlp.c_fc.weight'));
    const fcB = vector(at('mlp.c_fc.bias'));
    const mlpProjW = matrix(at('mlp.c_proj.weight'));
    const mlpProjB = vector(at('mlp.c_proj.bias'));
    const normed1 = stream.map((row) => (fixedScales === undefined ? naiveLayerNorm(row, ln1Gain, ln1Bias, epsilon) : naiveFixedLayerNorm(row, ln1Gain, ln1Bias, fixedScales.ln1[l]!)));
    const qkv = normed1.map((row) => conv1d(row, attnW, attnB));
    const q = qkv.map((row) => row.slice(0, d));
    const k = qkv.map((row) => row.slice(d, 2 * d));
    const v = qkv.map((row) => row.slice(2 * d, 3 * d));
    const merged: Matrix = stream.map(() => new Array<number>(d).fill(0));
    for (let h = 0; h < nHead; h++) {
      const part = (row: Vector): Vector => row.slice(h * headSize, (h + 1) * headSize);
      for (let t = 0; t < stream.length; t++) {
        const scores: Vector = [];
        for (let s = 0; s <= t; s++) {
          let dot = 0;
          for (let i = 0; i < headSize; i++) dot += part(q[t]!)[i]! * part(k[s]!)[i]!;
          scores.push(dot / Math.sqrt(headSize));
        }
        const total = scores.reduce((acc, score) => acc + Math.exp(score), 0);
        const probabilities = scores.map((score) => Math.exp(score) / total);
        for (let i = 0; i < headSize; i++) {
          let value = 0;
          for (let s = 0; s <= t; s++) value += probabilities[s]! * part(v[s]!)[i]!;
          merged[t]![h * headSize + i] = value;
        }
      }
    }
    const attended = merged.map((row) => conv1d(row, attnProjW, attnProjB));
    stream = stream.map((row, t) => row.map((x, i) => x + attended[t]![i]!));

    const normed2 = stream.map((row) => (fixedScales === undefined ? naiveLayerNorm(row, ln2Gain, ln2Bias, epsilon) : naiveFixedLayerNorm(row, ln2Gain, ln2Bias, fixedScales.ln2[l]!)));
    const hidden = normed2.map((row) => conv1d(row, fcW, fcB).map((x) => naiveActivation(activation, x)));
    const mlpOut = hidden.map((row) => conv1d(row, mlpProjW, mlpProjB));
    stream = stream.map((row, t) => row.map((x, i) => x + mlpOut[t]![i]!));
    residuals.push(stream.map((row) => [...row]));
  }

  const final = stream.map((row) =>
    fixedScales === undefined
      ? naiveLayerNorm(row, vector('ln_f.weight'), vector('ln_f.bias'), epsilon)
      : naiveFixedLayerNorm(row, vector('ln_f.weight'), vector('ln_f.bias'), fixedScales.final),
  );
  const unembedding = tied ? wte : matrix('lm_head.weight');
  const logits = final.map((row) =>
    unembedding.map((tokenRow) => {
      let dot = 0;
      for (let i = 0; i < d; i++) dot += row[i]! * tokenRow[i]!;
      return dot;
    }),
  );
  return { logits, residuals };
};
