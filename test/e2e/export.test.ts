/**
 * Exports (src/export): the TransformerLens state dict's names and shapes, the ONNX graph run in
 * onnxruntime-node against our forward pass, the numpy script under interop/ (TransformerLens's
 * forward pass) against our decoded outputs, and the JSON export.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Either from 'fp-ts/lib/Either.js';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeProgram } from '../../src/ast/codec.js';
import { valueToJson, type Value } from '../../src/ast/value.js';
import { exportFiles } from '../../src/export/index.js';
import { JSON_EXPORT_FORMAT } from '../../src/export/programJson.js';
import { decodeLogits } from '../../src/model/decode.js';
import { PreparedModel, tokenIds } from '../../src/model/forward.js';
import type { CompiledModel } from '../../src/model/model.js';
import { runModel } from '../../src/model/run.js';
import { readSafetensors, toFloat32 } from '../../src/model/safetensors.js';
import { findEntry, REGISTRY } from '../../src/lib/index.js';
import { bounds, compiled, randomInputs } from '../support/check.js';

const scratch = mkdtempSync(join(tmpdir(), 'raspc-export-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Library programs at small bounds (every program, quick to run). */
const library = REGISTRY.map((e) => {
  const b = bounds(e.vocab, Math.min(e.maxLen, 5), e.causal ?? false);
  return { name: e.name, vocab: e.vocab, bounds: b, model: compiled(e.build(), b).model };
});

const decodedOf = (model: CompiledModel, input: readonly Value[]): unknown => {
  const r = runModel(model, input);
  if (Either.isLeft(r)) throw new Error(r.left[0]?.message);
  return r.right.map((v) => valueToJson(v as Value));
};

describe('tl export', () => {
  it('names and shapes are TransformerLens state-dict names and shapes', () => {
    const e = findEntry('sort');
    if (e === undefined) throw new Error('sort');
    const model = compiled(e.build(), bounds(e.vocab, 5)).model;
    const files = exportFiles(model, 'tl');
    const config = JSON.parse(new TextDecoder().decode(files['config.json'])) as Record<string, number | string | null | boolean>;
    const { n_layers: L, d_model: d, n_heads: H, d_head: dh, d_mlp: m, d_vocab: V, d_vocab_out: Vo, n_ctx: n } = config as Record<string, number>;
    const expected: Record<string, number[]> = { 'embed.W_E': [V, d], 'pos_embed.W_pos': [n, d], 'unembed.W_U': [d, Vo], 'unembed.b_U': [Vo] };
    for (let l = 0; l < L; l++) {
      Object.assign(expected, {
        [`blocks.${l}.attn.W_Q`]: [H, d, dh],
        [`blocks.${l}.attn.W_K`]: [H, d, dh],
        [`blocks.${l}.attn.W_V`]: [H, d, dh],
        [`blocks.${l}.attn.W_O`]: [H, dh, d],
        [`blocks.${l}.attn.b_Q`]: [H, dh],
        [`blocks.${l}.attn.b_K`]: [H, dh],
        [`blocks.${l}.attn.b_V`]: [H, dh],
        [`blocks.${l}.attn.b_O`]: [d],
        [`blocks.${l}.mlp.W_in`]: [d, m],
        [`blocks.${l}.mlp.b_in`]: [m],
        [`blocks.${l}.mlp.W_out`]: [m, d],
        [`blocks.${l}.mlp.b_out`]: [d],
      });
    }
    const st = readSafetensors(files['model.safetensors'] as Uint8Array);
    if (Either.isLeft(st)) throw new Error(st.left[0]?.message);
    const shapes = Object.fromEntries([...st.right.tensors].map(([name, t]) => [name, [...t.shape]]));
    expect(shapes).toEqual(expected);
    expect([...st.right.tensors.values()].every((t) => t.dtype === 'F32')).toBe(true);
    expect(config).toMatchObject({ act_fn: 'relu', normalization_type: null, attention_dir: 'bidirectional', use_attn_scale: false, n_layers: model.config.n_layers });
    const encoders = JSON.parse(new TextDecoder().decode(files['encoders.json'])) as { input: { tokens: { id: number; token: unknown }[] }; output: { values: unknown[] } };
    expect(encoders.input.tokens.map((t) => t.token)).toEqual(e.vocab);
    expect(encoders.output.values).toEqual(model.manifest.output.values.map(valueToJson));
  });

  it('is byte-identical run to run', () => {
    const { model } = library[2] as (typeof library)[number];
    const a = exportFiles(model, 'tl');
    const b = exportFiles(model, 'tl');
    for (const name of Object.keys(a)) expect(Buffer.compare(Buffer.from(a[name] as Uint8Array), Buffer.from(b[name] as Uint8Array))).toBe(0);
    const x = exportFiles(model, 'onnx')['model.onnx'] as Uint8Array;
    const y = exportFiles(model, 'onnx')['model.onnx'] as Uint8Array;
    expect(Buffer.compare(Buffer.from(x), Buffer.from(y))).toBe(0);
  });
});

describe('onnx export runs in onnxruntime-node and agrees with our forward pass', () => {
  for (const p of library) {
    it(p.name, async () => {
      const session = await ort.InferenceSession.create(exportFiles(p.model, 'onnx')['model.onnx'] as Uint8Array);
      const inputs = randomInputs(p.vocab, p.bounds.maxLen, 3, 11);
      // one padded batch, no mask: the weights mask PAD keys, so padding must not change anything
      const T = p.bounds.maxLen + 1;
      const ids = inputs.map((input) => tokenIds(p.model, input, p.bounds.maxLen) as Int32Array);
      const flat = BigInt64Array.from(ids.flatMap((row) => [...row].map(BigInt)));
      const result = await session.run({ tokens: new ort.Tensor('int64', flat, [inputs.length, T]) });
      const prepared = new PreparedModel(p.model);
      const d = p.model.config.d_model;
      const width = p.model.config.d_vocab_out;
      let worst = 0;
      inputs.forEach((input, b) => {
        const ours = prepared.run(tokenIds(p.model, input) as Int32Array);
        const n = input.length + 1;
        for (let l = 0; l < p.model.config.n_layers; l++) {
          const theirs = result[`blocks.${l}.hook_resid_post`]?.data as Float32Array;
          if (l === p.model.config.n_layers - 1) {
            for (let i = 0; i < n * d; i++) worst = Math.max(worst, Math.abs((ours[i] as number) - (theirs[b * T * d + i] as number)));
          }
          expect(theirs.length).toBe(inputs.length * T * d);
        }
        const logits = Float64Array.from((result['logits']?.data as Float32Array).subarray(b * T * width, (b * T + n) * width));
        expect(decodeLogits(logits, input.length, p.model.manifest.output).map((v) => valueToJson(v as Value)), input.join(' ')).toEqual(decodedOf(p.model, input));
      });
      expect(worst).toBeLessThanOrEqual(1e-5);
    });
  }
});

describe('interop/run_tl.py (numpy, TransformerLens forward pass) decodes what we decode', () => {
  for (const p of library) {
    it(p.name, () => {
      const dir = join(scratch, `tl-${p.name}`);
      mkdirSync(dir, { recursive: true });
      for (const [name, bytes] of Object.entries(exportFiles(p.model, 'tl'))) writeFileSync(join(dir, name), bytes);
      const inputs = randomInputs(p.vocab, p.bounds.maxLen, 4, 5);
      writeFileSync(join(dir, 'inputs.json'), JSON.stringify(inputs.map((i) => i.map(valueToJson))));
      const stdout = execFileSync(process.env['PYTHON'] ?? 'python3', ['interop/run_tl.py', dir, '--inputs', join(dir, 'inputs.json')], { encoding: 'utf8' });
      const { outputs } = JSON.parse(stdout) as { outputs: unknown[] };
      expect(outputs).toEqual(inputs.map((i) => decodedOf(p.model, i)));
    });
  }
});

describe('json export', () => {
  it('holds the compiled program (decodable by the codec), the config and the manifest', () => {
    const { model } = library.find((p) => p.name === 'reverse') as (typeof library)[number];
    const doc = JSON.parse(new TextDecoder().decode(exportFiles(model, 'json')['raspc.json'])) as { format: string; program: unknown; config: unknown; manifest: unknown };
    expect(doc.format).toBe(JSON_EXPORT_FORMAT);
    expect(Either.isRight(decodeProgram(doc.program))).toBe(true);
    expect(doc.config).toEqual(JSON.parse(JSON.stringify(model.config)));
    expect(doc.manifest).toEqual(JSON.parse(JSON.stringify(model.manifest)));
  });
});

describe('safetensors export read back', () => {
  it('the tl weights equal the model tensors bit for bit', () => {
    const { model } = library[0] as (typeof library)[number];
    const st = readSafetensors(exportFiles(model, 'tl')['model.safetensors'] as Uint8Array);
    if (Either.isLeft(st)) throw new Error('unreadable');
    for (const [name, t] of model.tensors) {
      const back = toFloat32(st.right.tensors.get(name) as never, name);
      expect(Either.isRight(back) && Buffer.compare(Buffer.from(back.right.buffer), Buffer.from(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + t.data.byteLength)))).toBe(0);
    }
  });
});
