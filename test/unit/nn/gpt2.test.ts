import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Either from 'fp-ts/lib/Either.js';
import { afterAll, describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../../src/diagnostics.js';
import { erf, geluExact, geluNew } from '../../../src/nn/activations.js';
import { numberToF16Bits } from '../../../src/model/safetensors.js';
import { parseGpt2Config, type Gpt2Activation, type Gpt2Config } from '../../../src/nn/gpt2Config.js';
import { gpt2Files, readGpt2 } from '../../../src/nn/gpt2Files.js';
import { gpt2Forward, gpt2ForwardTrace } from '../../../src/nn/gpt2Forward.js';
import { gpt2FromTensors, type Gpt2Model } from '../../../src/nn/gpt2Model.js';
import { f16BitsToNumber, readSafetensors, tensorF64, tensorI64, writeSafetensors, type Tensor } from '../../../src/model/safetensors.js';
import { mulberry32, randomInt } from '../../../src/util/random.js';
import { naiveGpt2 } from '../../support/naiveGpt2.js';

const right = <A>(e: Either.Either<Diagnostic[], A>): A => {
  if (Either.isLeft(e)) throw new Error(e.left.map((d) => `${d.code}: ${d.message}`).join('\n'));
  return e.right;
};

const left = <A>(e: Either.Either<Diagnostic[], A>): Diagnostic[] => {
  if (Either.isRight(e)) throw new Error('expected Left, got Right');
  return e.left;
};

interface Shape {
  readonly layers: number;
  readonly heads: number;
  readonly d: number;
  readonly vocab: number;
  readonly positions: number;
  /** undefined: leave n_inner out; null: write null (both mean 4d). */
  readonly inner?: number | null;
  readonly tied: boolean;
  readonly activation: Gpt2Activation;
  readonly epsilon: number;
}

const configJson = (s: Shape): Record<string, unknown> => ({
  model_type: 'gpt2',
  n_layer: s.layers,
  n_head: s.heads,
  n_embd: s.d,
  n_positions: s.positions,
  vocab_size: s.vocab,
  ...(s.inner === undefined ? {} : { n_inner: s.inner }),
  layer_norm_epsilon: s.epsilon,
  activation_function: s.activation,
  tie_word_embeddings: s.tied,
});

/** Random HF-named F64 tensors for `s`; `round` maps each value (e.g. to float32). */
const randomTensors = (s: Shape, seed: number, round: (x: number) => number = (x) => x): Map<string, Tensor> => {
  const random = mulberry32(seed);
  const inner = s.inner ?? 4 * s.d;
  const tensors = new Map<string, Tensor>();
  const add = (name: string, shape: number[], value: () => number): void => {
    const values = Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => round(value()));
    tensors.set(name, tensorF64(shape, values));
  };
  const uniform = (scale: number) => () => scale * (2 * random() - 1);
  const nearOne = () => 1 + 0.4 * (random() - 0.5);
  add('wte.weight', [s.vocab, s.d], uniform(1));
  add('wpe.weight', [s.positions, s.d], uniform(1));
  for (let l = 0; l < s.layers; l++) {
    add(`h.${l}.ln_1.weight`, [s.d], nearOne);
    add(`h.${l}.ln_1.bias`, [s.d], uniform(0.2));
    add(`h.${l}.attn.c_attn.weight`, [s.d, 3 * s.d], uniform(2 / Math.sqrt(s.d)));
    add(`h.${l}.attn.c_attn.bias`, [3 * s.d], uniform(0.3));
    add(`h.${l}.attn.c_proj.weight`, [s.d, s.d], uniform(1.5 / Math.sqrt(s.d)));
    add(`h.${l}.attn.c_proj.bias`, [s.d], uniform(0.3));
    add(`h.${l}.ln_2.weight`, [s.d], nearOne);
    add(`h.${l}.ln_2.bias`, [s.d], uniform(0.2));
    add(`h.${l}.mlp.c_fc.weight`, [s.d, inner], uniform(1.5 / Math.sqrt(s.d)));
    add(`h.${l}.mlp.c_fc.bias`, [inner], uniform(0.3));
    add(`h.${l}.mlp.c_proj.weight`, [inner, s.d], uniform(1.5 / Math.sqrt(inner)));
    add(`h.${l}.mlp.c_proj.bias`, [s.d], uniform(0.3));
  }
  add('ln_f.weight', [s.d], nearOne);
  add('ln_f.bias', [s.d], uniform(0.2));
  if (!s.tied) add('lm_head.weight', [s.vocab, s.d], uniform(1));
  return tensors;
};

const buildModel = (json: Record<string, unknown>, tensors: ReadonlyMap<string, Tensor>): Gpt2Model =>
  right(gpt2FromTensors(right(parseGpt2Config(json)), tensors));

const maxAbsDifference = (fast: Float64Array, naive: number[][]): number => {
  const columns = naive[0]?.length ?? 0;
  expect(fast.length).toBe(naive.length * columns);
  let worst = 0;
  naive.forEach((row, t) => row.forEach((x, v) => (worst = Math.max(worst, Math.abs(fast[t * columns + v]! - x)))));
  return worst;
};

const rows = (flat: Float64Array, columns: number): number[][] =>
  Array.from({ length: flat.length / columns }, (_, r) => Array.from(flat.subarray(r * columns, (r + 1) * columns)));

const randomIds = (random: () => number, length: number, vocab: number): Int32Array => Int32Array.from({ length }, () => randomInt(random, vocab));

const SHAPES: readonly Shape[] = [
  { layers: 1, heads: 1, d: 8, vocab: 7, positions: 16, tied: true, activation: 'gelu_new', epsilon: 1e-5 },
  { layers: 2, heads: 2, d: 16, vocab: 11, positions: 20, inner: 24, tied: false, activation: 'gelu', epsilon: 1e-6 },
  { layers: 3, heads: 4, d: 32, vocab: 9, positions: 24, inner: null, tied: true, activation: 'relu', epsilon: 1e-5 },
  { layers: 2, heads: 4, d: 8, vocab: 5, positions: 12, tied: false, activation: 'gelu_new', epsilon: 1e-6 },
  { layers: 1, heads: 2, d: 12, vocab: 6, positions: 10, inner: 20, tied: true, activation: 'gelu', epsilon: 1e-5 },
];

const showShape = (s: Shape): string =>
  `${s.layers} layer(s), ${s.heads} head(s), d=${s.d}, ${s.tied ? 'tied' : 'untied'}, ${s.activation}, eps=${s.epsilon}`;

const scratch = mkdtempSync(join(tmpdir(), 'raspc-gpt2-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let dirCount = 0;
/** A fresh directory under the scratch folder holding `files`. */
const directoryWith = (files: Record<string, Uint8Array | string>): string => {
  const dir = join(scratch, `model-${dirCount++}`);
  mkdirSync(dir);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
};

describe('activations', () => {
  it('erf matches reference values to 1e-14 and is odd', () => {
    // Values of erf from the DLMF / Abramowitz–Stegun tables (to 16 digits).
    const reference: [number, number][] = [
      [0, 0],
      [0.1, 0.1124629160182849],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [1.5, 0.9661051464753108],
      [2, 0.9953222650189527],
      [3, 0.9999779095030014],
      [4, 0.9999999845827421],
      [5.9, 0.9999999999999999],
      [7, 1],
    ];
    for (const [x, value] of reference) {
      expect(Math.abs(erf(x) - value)).toBeLessThan(1e-14);
      expect(Math.abs(erf(-x) + value)).toBeLessThan(1e-14);
    }
  });

  it('gelu and gelu_new agree with their definitions at known points', () => {
    expect(geluExact(0)).toBe(0);
    // Φ(1) = 0.8413447460685429, so gelu(1) = Φ(1) and gelu(−1) = −(1 − Φ(1)).
    expect(Math.abs(geluExact(1) - 0.8413447460685429)).toBeLessThan(1e-14);
    expect(Math.abs(geluExact(-1) + 0.15865525393145707)).toBeLessThan(1e-14);
    // gelu_new(1) = 0.5 · (1 + tanh(√(2/π) · 1.044715)).
    expect(geluNew(1)).toBeCloseTo(0.5 * (1 + Math.tanh(0.7978845608028654 * 1.044715)), 15);
    // The tanh form stays within 1e-3 of the exact one.
    for (let x = -6; x <= 6; x += 0.25) expect(Math.abs(geluNew(x) - geluExact(x))).toBeLessThan(1e-3);
  });
});

describe('half precision writing', () => {
  it('rounds to the nearest half, ties to even', () => {
    expect(numberToF16Bits(1)).toBe(0x3c00);
    expect(numberToF16Bits(-2)).toBe(0xc000);
    expect(numberToF16Bits(0)).toBe(0);
    expect(numberToF16Bits(-0)).toBe(0x8000);
    expect(numberToF16Bits(65504)).toBe(0x7bff);
    expect(numberToF16Bits(65519.99)).toBe(0x7bff);
    expect(numberToF16Bits(65520)).toBe(0x7c00);
    expect(numberToF16Bits(-Infinity)).toBe(0xfc00);
    expect(numberToF16Bits(NaN)).toBe(0x7e00);
    expect(numberToF16Bits(2 ** -24)).toBe(1);
    expect(numberToF16Bits(2 ** -25)).toBe(0); // tie between 0 and 2^-24: to even
    expect(numberToF16Bits(3 * 2 ** -25)).toBe(2); // tie between 1 and 2 (× 2^-24): to even
    expect(numberToF16Bits(2 ** -14 - 2 ** -26)).toBe(0x0400); // rounds up into the normals
    expect(numberToF16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie: to even
    expect(numberToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie: to even
    expect(numberToF16Bits(1.9999)).toBe(0x4000); // carries into the exponent
  });

  it('returns every half unchanged, and no half is nearer to a random value', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const value = f16BitsToNumber(bits);
      if (!Number.isNaN(value)) expect(numberToF16Bits(value)).toBe(bits);
    }
    const random = mulberry32(7);
    for (let i = 0; i < 2000; i++) {
      const x = (random() - 0.5) * 2 ** (randomInt(random, 40) - 24);
      const bits = numberToF16Bits(x);
      const error = Math.abs(f16BitsToNumber(bits) - x);
      for (const neighbour of [bits - 1, bits + 1]) {
        if ((neighbour & 0x7fff) >= 0x7c00 || neighbour < 0 || neighbour > 0xffff) continue;
        expect(error).toBeLessThanOrEqual(Math.abs(f16BitsToNumber(neighbour) - x));
      }
    }
  });
});

describe('GPT-2 config.json', () => {
  const minimal = { n_layer: 2, n_head: 2, n_embd: 8, n_ctx: 32, vocab_size: 10 };

  it('fills in HF defaults (n_ctx for n_positions, 4·n_embd for n_inner, gelu_new, tied, 1e-5)', () => {
    const config = right(parseGpt2Config(minimal));
    expect(config).toEqual<Gpt2Config>({
      n_layer: 2,
      n_head: 2,
      n_embd: 8,
      n_positions: 32,
      vocab_size: 10,
      n_inner: 32,
      layer_norm_epsilon: 1e-5,
      activation_function: 'gelu_new',
      tie_word_embeddings: true,
    });
    expect(right(parseGpt2Config({ ...minimal, n_inner: null, n_positions: 16 })).n_inner).toBe(32);
    expect(right(parseGpt2Config({ ...minimal, n_positions: 16 })).n_positions).toBe(16);
  });

  it('names the field that is missing or wrong', () => {
    const missing = left(parseGpt2Config({ ...minimal, n_layer: undefined }));
    expect(missing).toHaveLength(1);
    expect(missing[0]!.message).toContain('has no field n_layer');

    const activation = left(parseGpt2Config({ ...minimal, activation_function: 'swish' }, 'm/config.json'));
    expect(activation).toHaveLength(1);
    expect(activation[0]!.message).toBe('m/config.json: field activation_function is "swish", expected one of "gelu_new", "gelu", "relu"');

    const inner = left(parseGpt2Config({ ...minimal, n_inner: 2.5 }));
    expect(inner).toHaveLength(1);
    expect(inner[0]!.message).toContain('n_inner is 2.5, expected null or a positive integer');

    expect(left(parseGpt2Config({ ...minimal, n_ctx: undefined }))[0]!.message).toContain('neither n_positions nor n_ctx');
    expect(left(parseGpt2Config({ ...minimal, n_embd: 9 }))[0]!.message).toContain('n_embd 9 is not a multiple of n_head 2');
    expect(left(parseGpt2Config({ ...minimal, model_type: 'llama' }))[0]!.code).toBe('gpt2/unsupported');
    expect(left(parseGpt2Config({ ...minimal, scale_attn_by_inverse_layer_idx: true }))[0]!.code).toBe('gpt2/unsupported');
    expect(left(parseGpt2Config([1, 2]))[0]!.message).toContain('not a JSON object');
  });
});

describe('GPT-2 forward pass', () => {
  it('matches a tiny model computed by hand', () => {
    // d = 2, one head (d_head = 2), one layer, 2 tokens, 2 positions, n_inner = 2, gelu_new, ε = 1e-5,
    // tied embeddings. wte = I, so token 0 embeds as (1, 0) and token 1 as (0, 1); wpe[1] = (½, ½).
    // Input: ids (0, 1) at positions (0, 1): x0 = (1, 0), x1 = (0.5, 1.5).
    //
    // With d = 2, LayerNorm (weight 1, bias 0) maps (a, b) to (n, −n), n = s / √(s² + ε), s = (a − b)/2.
    //   ln_1(x0) = (c, −c), ln_1(x1) = (−c, c) with c = ½ / √(¼ + ε).
    // c_attn: q = k = (h₀, 0), v = h + (1, 0). Position 0 sees only itself: a0 = v0 = (c + 1, −c).
    //   Position 1: scores (q1·k0, q1·k1)/√2 = (−c², c²)/√2, so p1 − p0 = tanh(c²/√2) =: δ and
    //   a1 = p0·v0 + p1·v1 = (1 − cδ, cδ) with v1 = (1 − c, c).
    // c_proj = diag(2, 1), no bias: r0 = x0 + (2c + 2, −c) = (2c + 3, −c),
    //   r1 = x1 + (2 − 2cδ, cδ) = (2.5 − 2cδ, 1.5 + cδ).
    // ln_2 (weight 1, bias 0): (m, −m) with m = norm((r₀ − r₁)/2); c_fc = I, no bias; gelu_new g;
    //   mlp c_proj = I with bias (0, ½): r' = r + (g(m), g(−m) + ½).
    // ln_f with weight (1, −1), bias (½, 0): (n, −n) ↦ (n + ½, n), n = norm((r'₀ − r'₁)/2).
    // lm_head = wte = I: logits = (n + ½, n).
    // Numerically c ≈ 0.99998, δ ≈ 0.608842; position 0: m ≈ 0.9999994, n ≈ 0.9999995, logits ≈
    // (1.4999995, 0.9999995); position 1: m ≈ −0.99997, n ≈ −0.999996, logits ≈ (−0.499996, −0.999996).
    // (The LayerNorms of a 2-wide stream saturate near ±1; the residual and attention checks below
    // see the attention itself.)
    const epsilon = 1e-5;
    const norm = (s: number): number => s / Math.sqrt(s * s + epsilon);
    const g = (x: number): number => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
    const c = 0.5 / Math.sqrt(0.25 + epsilon);
    const delta = Math.tanh((c * c) / Math.SQRT2);
    const r: [number, number][] = [
      [2 * c + 3, -c],
      [2.5 - 2 * c * delta, 1.5 + c * delta],
    ];
    const expected = r.map(([r0, r1]) => {
      const m = norm((r0 - r1) / 2);
      const n = norm((r0 + g(m) - (r1 + g(-m) + 0.5)) / 2);
      return [n + 0.5, n];
    });

    const tensor = (shape: number[], values: number[]): Tensor => tensorF64(shape, Float64Array.from(values));
    const tensors = new Map<string, Tensor>([
      ['wte.weight', tensor([2, 2], [1, 0, 0, 1])],
      ['wpe.weight', tensor([2, 2], [0, 0, 0.5, 0.5])],
      ['h.0.ln_1.weight', tensor([2], [1, 1])],
      ['h.0.ln_1.bias', tensor([2], [0, 0])],
      ['h.0.attn.c_attn.weight', tensor([2, 6], [1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1])],
      ['h.0.attn.c_attn.bias', tensor([6], [0, 0, 0, 0, 1, 0])],
      ['h.0.attn.c_proj.weight', tensor([2, 2], [2, 0, 0, 1])],
      ['h.0.attn.c_proj.bias', tensor([2], [0, 0])],
      ['h.0.ln_2.weight', tensor([2], [1, 1])],
      ['h.0.ln_2.bias', tensor([2], [0, 0])],
      ['h.0.mlp.c_fc.weight', tensor([2, 2], [1, 0, 0, 1])],
      ['h.0.mlp.c_fc.bias', tensor([2], [0, 0])],
      ['h.0.mlp.c_proj.weight', tensor([2, 2], [1, 0, 0, 1])],
      ['h.0.mlp.c_proj.bias', tensor([2], [0, 0.5])],
      ['ln_f.weight', tensor([2], [1, -1])],
      ['ln_f.bias', tensor([2], [0.5, 0])],
    ]);
    const json = { n_layer: 1, n_head: 1, n_embd: 2, n_positions: 2, vocab_size: 2, n_inner: 2, layer_norm_epsilon: epsilon };
    const model = buildModel(json, tensors);
    const logits = gpt2Forward(model, Int32Array.from([0, 1]));
    expect(maxAbsDifference(logits, expected)).toBeLessThan(1e-12);
    expect(logits[0]).toBeCloseTo(1.4999995, 7);
    expect(logits[3]).toBeCloseTo(-0.999996, 6);
    expect(maxAbsDifference(logits, naiveGpt2(json, tensors, [0, 1], [0, 1]).logits)).toBeLessThan(1e-12);

    const trace = gpt2ForwardTrace(model, Int32Array.from([0, 1]));
    expect(Array.from(trace.residuals[0]!)).toEqual([1, 0, 0.5, 1.5]);
    const afterBlock = r.map(([r0, r1]) => {
      const m = norm((r0 - r1) / 2);
      return [r0 + g(m), r1 + g(-m) + 0.5];
    });
    expect(maxAbsDifference(trace.residuals[1]!, afterBlock)).toBeLessThan(1e-12);
    const p1 = (1 + delta) / 2;
    expect(maxAbsDifference(trace.attention[0]![0]!, [[1, 0], [1 - p1, p1]])).toBeLessThan(1e-15);
  });

  for (const [index, shape] of SHAPES.entries()) {
    it(`matches the naive implementation to 1e-9: ${showShape(shape)}`, () => {
      const json = configJson(shape);
      const tensors = randomTensors(shape, 100 + index);
      const model = buildModel(json, tensors);
      const random = mulberry32(200 + index);
      const lengths = [1, 2, 5, shape.positions];
      for (const length of lengths) {
        const ids = randomIds(random, length, shape.vocab);
        const offset = randomInt(random, shape.positions - length + 1);
        const positionSets: Int32Array[] = [
          Int32Array.from({ length }, (_, i) => i),
          Int32Array.from({ length }, (_, i) => offset + i),
          Int32Array.from({ length }, () => randomInt(random, shape.positions)),
        ];
        for (const positions of positionSets) {
          const naive = naiveGpt2(json, tensors, Array.from(ids), Array.from(positions));
          const trace = gpt2ForwardTrace(model, ids, positions);
          expect(maxAbsDifference(trace.logits, naive.logits)).toBeLessThanOrEqual(1e-9);
          expect(trace.residuals).toHaveLength(shape.layers + 1);
          trace.residuals.forEach((residual, i) => expect(maxAbsDifference(residual, naive.residuals[i]!)).toBeLessThanOrEqual(1e-9));
        }
        expect(Array.from(gpt2Forward(model, ids))).toEqual(Array.from(gpt2ForwardTrace(model, ids).logits));
      }
    });

    it(`with a fixed LayerNorm scale per use-site, matches the naive implementation to 1e-9: ${showShape(shape)}`, () => {
      const json = configJson(shape);
      const tensors = randomTensors(shape, 300 + index);
      const model = buildModel(json, tensors);
      const random = mulberry32(400 + index);
      const scale = (): number => 0.5 + random();
      const fixed = { ln1: Array.from({ length: shape.layers }, scale), ln2: Array.from({ length: shape.layers }, scale), final: scale() };
      const scales = { ln1: Float64Array.from(fixed.ln1), ln2: Float64Array.from(fixed.ln2), final: fixed.final };
      for (const length of [1, 3, shape.positions]) {
        const ids = randomIds(random, length, shape.vocab);
        const positions = Int32Array.from({ length }, () => randomInt(random, shape.positions));
        const naive = naiveGpt2(json, tensors, Array.from(ids), Array.from(positions), fixed);
        const trace = gpt2ForwardTrace(model, ids, positions, { kind: 'fixed', scales });
        expect(maxAbsDifference(trace.logits, naive.logits)).toBeLessThanOrEqual(1e-9);
        trace.residuals.forEach((residual, i) => expect(maxAbsDifference(residual, naive.residuals[i]!)).toBeLessThanOrEqual(1e-9));
        expect(Array.from(trace.layerNormScales.final)).toEqual(new Array<number>(length).fill(1 / fixed.final));
        // The real LayerNorm differs: the treatment is not ignored.
        expect(maxAbsDifference(gpt2Forward(model, ids, positions), naive.logits)).toBeGreaterThan(1e-6);
      }
    });
  }

  it('records causal attention patterns whose rows sum to 1, and LayerNorm scales', () => {
    const shape = SHAPES[2]!;
    const model = buildModel(configJson(shape), randomTensors(shape, 5));
    const length = 9;
    const trace = gpt2ForwardTrace(model, randomIds(mulberry32(6), length, shape.vocab));
    expect(trace.attention).toHaveLength(shape.layers);
    for (const layer of trace.attention) {
      expect(layer).toHaveLength(shape.heads);
      for (const pattern of layer) {
        for (let t = 0; t < length; t++) {
          let sum = 0;
          for (let s = 0; s < length; s++) {
            const p = pattern[t * length + s]!;
            if (s > t) expect(p).toBe(0);
            sum += p;
          }
          expect(sum).toBeCloseTo(1, 12);
        }
      }
    }
    expect(trace.layerNormScales.ln1).toHaveLength(shape.layers);
    expect(trace.layerNormScales.ln2).toHaveLength(shape.layers);
    expect(trace.layerNormScales.final).toHaveLength(length);
    // The final scale is 1/√(var + ε) of the last residual.
    const last = trace.residuals[shape.layers]!;
    const row = Array.from(last.subarray(0, shape.d));
    const mean = row.reduce((a, b) => a + b, 0) / shape.d;
    const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / shape.d;
    expect(trace.layerNormScales.final[0]).toBeCloseTo(1 / Math.sqrt(variance + shape.epsilon), 10);
  });

  it('refuses token or position ids out of range', () => {
    const shape = SHAPES[0]!;
    const model = buildModel(configJson(shape), randomTensors(shape, 1));
    expect(() => gpt2Forward(model, Int32Array.from([shape.vocab]))).toThrow(RangeError);
    expect(() => gpt2Forward(model, Int32Array.from([0]), Int32Array.from([shape.positions]))).toThrow(/position id/);
    expect(() => gpt2Forward(model, Int32Array.from([0, 1]), Int32Array.from([0]))).toThrow(/2 token ids but 1 position ids/);
    expect(() => gpt2Forward(model, new Int32Array(shape.positions + 1))).toThrow(RangeError);
  });

  it('runs a model with no blocks (embeddings, ln_f, unembedding)', () => {
    const shape: Shape = { layers: 0, heads: 1, d: 4, vocab: 3, positions: 4, tied: false, activation: 'relu', epsilon: 1e-5 };
    const json = configJson(shape);
    const tensors = randomTensors(shape, 9);
    const logits = gpt2Forward(buildModel(json, tensors), Int32Array.from([2, 0, 1]));
    expect(maxAbsDifference(logits, naiveGpt2(json, tensors, [2, 0, 1], [0, 1, 2]).logits)).toBeLessThanOrEqual(1e-12);
  });
});

describe('GPT-2 files (HF layout)', () => {
  const shape = SHAPES[1]!; // untied: lm_head.weight is written too
  const ids = Int32Array.from([3, 1, 4, 1, 5, 9, 2, 6]);
  const positions = Int32Array.from([5, 6, 7, 8, 9, 10, 11, 12]);

  it('round-trips through config.json + model.safetensors, with and without the transformer. prefix', () => {
    // Weights representable in float32 come back exactly from an F32 file.
    const model = buildModel(configJson(shape), randomTensors(shape, 11, Math.fround));
    const expected = Array.from(gpt2Forward(model, ids, positions));
    for (const prefix of [true, false]) {
      const files = gpt2Files(model, { prefix });
      const names = [...right(readSafetensors(files['model.safetensors']!)).tensors.keys()];
      expect(names.includes('transformer.wte.weight')).toBe(prefix);
      expect(names.includes('wte.weight')).toBe(!prefix);
      expect(names).toContain('lm_head.weight');
      const loaded = right(readGpt2(directoryWith(files)));
      expect(loaded.config).toEqual(model.config);
      expect(Array.from(gpt2Forward(loaded, ids, positions))).toEqual(expected);
    }
    // Deterministic.
    expect(gpt2Files(model)).toEqual(gpt2Files(model));
  });

  it('round-trips F64 files exactly and ties the unembedding to wte', () => {
    const tiedShape = SHAPES[0]!;
    const model = buildModel(configJson(tiedShape), randomTensors(tiedShape, 12));
    const files = gpt2Files(model, { dtype: 'F64' });
    expect([...right(readSafetensors(files['model.safetensors']!)).tensors.keys()]).not.toContain('lm_head.weight');
    const loaded = right(readGpt2(directoryWith(files)));
    expect(loaded.unembedding).toBe(loaded.tokenEmbedding);
    const someIds = Int32Array.from([0, 6, 2]);
    expect(Array.from(gpt2Forward(loaded, someIds))).toEqual(Array.from(gpt2Forward(model, someIds)));
  });

  it('reads F16 files as the F16-rounded weights', () => {
    const tensors = randomTensors(shape, 13);
    const model = buildModel(configJson(shape), tensors);
    const loaded = right(readGpt2(directoryWith(gpt2Files(model, { dtype: 'F16' }))));
    const roundedTensors = new Map(
      [...tensors].map(([name, t]) => {
        const values = new Float64Array(t.data.buffer, t.data.byteOffset, t.data.byteLength / 8);
        return [name, tensorF64(t.shape, values.map((v) => f16BitsToNumber(numberToF16Bits(v))))];
      }),
    );
    const rounded = buildModel(configJson(shape), roundedTensors);
    expect(Array.from(gpt2Forward(loaded, ids, positions))).toEqual(Array.from(gpt2Forward(rounded, ids, positions)));
    // The rounding is visible, and small.
    const difference = maxAbsDifference(gpt2Forward(loaded, ids), rows(gpt2Forward(model, ids), shape.vocab));
    expect(difference).toBeGreaterThan(0);
    expect(difference).toBeLessThan(0.05);
  });

  it('reads BF16 tensors', () => {
    // bfloat16 is the top half of a float32: keep values whose low 16 bits are zero.
    const toBf16 = (x: number): number => {
      const view = new DataView(new ArrayBuffer(4));
      view.setFloat32(0, x, true);
      view.setUint16(0, 0, true);
      return view.getFloat32(0, true);
    };
    const tensors = randomTensors(shape, 14, toBf16);
    const bf16 = new Map<string, Tensor>(
      [...tensors].map(([name, t]) => {
        const values = new Float64Array(t.data.buffer, t.data.byteOffset, t.data.byteLength / 8);
        const data = new Uint8Array(values.length * 2);
        const view = new DataView(new ArrayBuffer(4));
        values.forEach((v, i) => {
          view.setFloat32(0, v, true);
          data[2 * i] = view.getUint8(2);
          data[2 * i + 1] = view.getUint8(3);
        });
        return [name, { dtype: 'BF16', shape: t.shape, data }];
      }),
    );
    const dir = directoryWith({ 'config.json': JSON.stringify(configJson(shape)), 'model.safetensors': writeSafetensors(bf16) });
    const loaded = right(readGpt2(dir));
    expect(Array.from(gpt2Forward(loaded, ids))).toEqual(Array.from(gpt2Forward(buildModel(configJson(shape), tensors), ids)));
  });

  describe('malformed models give one diagnostic naming the problem', () => {
    const d = shape.d;
    const inner = shape.inner as number;
    const goodFiles = gpt2Files(buildModel(configJson(shape), randomTensors(shape, 15, Math.fround)));
    const goodTensors = right(readSafetensors(goodFiles['model.safetensors']!)).tensors;
    const withTensors = (change: (tensors: Map<string, Tensor>) => void): string => {
      const tensors = new Map(goodTensors);
      change(tensors);
      return directoryWith({ 'config.json': goodFiles['config.json']!, 'model.safetensors': writeSafetensors(tensors, { format: 'pt' }) });
    };
    const oneProblem = (dir: string): Diagnostic => {
      const problems = left(readGpt2(dir));
      expect(problems).toHaveLength(1);
      return problems[0]!;
    };

    it('a missing tensor', () => {
      const dir = withTensors((tensors) => tensors.delete('transformer.h.1.attn.c_proj.bias'));
      const problem = oneProblem(dir);
      expect(problem.code).toBe('safetensors/missing-tensor');
      expect(problem.message).toBe(`${join(dir, 'model.safetensors')} has no tensor "transformer.h.1.attn.c_proj.bias" (expected shape [${d}])`);
    });

    it('a missing lm_head when the embeddings are not tied', () => {
      const problem = oneProblem(withTensors((tensors) => tensors.delete('lm_head.weight')));
      expect(problem.message).toContain('no tensor "lm_head.weight" but the config sets tie_word_embeddings: false');
    });

    it('a tensor of the wrong shape', () => {
      const dir = withTensors((tensors) => {
        const t = tensors.get('transformer.h.0.mlp.c_fc.weight')!;
        tensors.set('transformer.h.0.mlp.c_fc.weight', { ...t, shape: [inner, d] });
      });
      const problem = oneProblem(dir);
      expect(problem.code).toBe('safetensors/shape-mismatch');
      expect(problem.message).toBe(
        `tensor "transformer.h.0.mlp.c_fc.weight" in ${join(dir, 'model.safetensors')} has shape [${inner}, ${d}], expected [${d}, ${inner}]`,
      );
      expect(problem.fix).toContain('transposed');
    });

    it('a tensor of an integer dtype', () => {
      const dir = withTensors((tensors) => tensors.set('transformer.ln_f.bias', tensorI64([d], new Array<number>(d).fill(0))));
      const problem = oneProblem(dir);
      expect(problem.code).toBe('gpt2/bad-dtype');
      expect(problem.message).toContain('"transformer.ln_f.bias"');
    });

    it('a non-finite weight', () => {
      const nan = tensorF64([shape.positions, d], new Float64Array(shape.positions * d).fill(NaN));
      const dir = withTensors((tensors) => tensors.set('transformer.wpe.weight', nan));
      expect(oneProblem(dir).message).toContain('"transformer.wpe.weight"');
    });

    it('a truncated safetensors file', () => {
      const bytes = goodFiles['model.safetensors']!;
      const dir = directoryWith({ 'config.json': goodFiles['config.json']!, 'model.safetensors': bytes.subarray(0, bytes.length - 7) });
      const problem = oneProblem(dir);
      expect(problem.code).toBe('safetensors/truncated');
      expect(problem.message).toContain(join(dir, 'model.safetensors'));
    });

    it('a safetensors file with a bad header', () => {
      const bytes = goodFiles['model.safetensors']!.slice();
      bytes[8] = '!'.charCodeAt(0);
      const problem = oneProblem(directoryWith({ 'config.json': goodFiles['config.json']!, 'model.safetensors': bytes }));
      expect(problem.code).toBe('safetensors/bad-header');
    });

    it('a config.json with a missing field, a bad activation, or bad JSON', () => {
      const json = configJson(shape);
      const weights = goodFiles['model.safetensors']!;
      const missing = oneProblem(directoryWith({ 'config.json': JSON.stringify({ ...json, n_head: undefined }), 'model.safetensors': weights }));
      expect(missing.message).toMatch(/config\.json has no field n_head \(the number of attention heads\)$/);
      const activation = oneProblem(directoryWith({ 'config.json': JSON.stringify({ ...json, activation_function: 'silu' }), 'model.safetensors': weights }));
      expect(activation.message).toContain('field activation_function is "silu", expected one of "gelu_new", "gelu", "relu"');
      const badJson = oneProblem(directoryWith({ 'config.json': '{"n_layer": 2,', 'model.safetensors': weights }));
      expect(badJson.code).toBe('gpt2/bad-json');
      expect(badJson.message).toContain('config.json is not valid JSON');
    });

    it('a config that does not describe the file: problems are capped', () => {
      const wrongWidth = JSON.stringify({ ...configJson(shape), n_embd: 2 * d });
      const problems = left(readGpt2(directoryWith({ 'config.json': wrongWidth, 'model.safetensors': goodFiles['model.safetensors']! })));
      expect(problems).toHaveLength(9);
      expect(problems[8]!.code).toBe('gpt2/more-problems');
    });

    it('a missing directory or file', () => {
      const nowhere = join(scratch, 'no-such-model');
      const directory = oneProblem(nowhere);
      expect(directory.code).toBe('gpt2/missing-directory');
      expect(directory.message).toBe(`${nowhere}: no such directory`);
      const noWeights = directoryWith({ 'config.json': goodFiles['config.json']! });
      expect(oneProblem(noWeights).message).toBe(`${join(noWeights, 'model.safetensors')}: no such file`);
      const noConfig = directoryWith({ 'model.safetensors': goodFiles['model.safetensors']! });
      expect(oneProblem(noConfig).message).toBe(`${join(noConfig, 'config.json')}: no such file`);
    });
  });
});
