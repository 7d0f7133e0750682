import * as Either from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { assemble, modelSize } from '../../../src/passes/assemble.js';
import type { CompiledModel } from '../../../src/model/model.js';
import { allocated, copy, inc, lowered, right } from './support.js';

const assembled = (l: ReturnType<typeof lowered>): CompiledModel =>
  right(assemble({ lowered: l, allocation: allocated(l), declaredEncoding: () => 'categorical', notes: ['a note'], sourceHash: 'source' }));
const tensor = (m: CompiledModel, name: string): number[] => Array.from(m.tensors.get(name)?.data ?? []);

describe('assemble', () => {
  it('map(x -> x + 1, tokens) over {1, 2}: the residual layout, every weight, the manifest', () => {
    const m = assembled(lowered(inc));
    expect(m.config).toEqual({
      format: 'raspc-model',
      version: 2,
      n_layers: 1,
      d_model: 7,
      n_heads: 1,
      d_head: 1,
      d_mlp: 2,
      d_vocab: 4,
      d_vocab_out: 2,
      n_ctx: 3,
      act_fn: 'relu',
      normalization_type: null,
      attn_scale: 1,
      causal: false,
    });
    expect(m.manifest.residual.map((d) => d.name)).toEqual(['one', 'bos', 'pad', 'tokens:1', 'tokens:2', 'inc:2', 'inc:3']);
    // rows: BOS, PAD (a copy of BOS that carries pad), token 1, token 2
    expect(tensor(m, 'embed.W_E')).toEqual([
      1, 1, 0, 0, 0, 0, 0,
      1, 1, 1, 0, 0, 0, 0,
      1, 0, 0, 1, 0, 0, 0,
      1, 0, 0, 0, 1, 0, 0,
    ]);
    expect(tensor(m, 'pos_embed.W_pos').every((x) => x === 0)).toBe(true);
    // two units, each on for one token and off at BOS (and PAD)
    expect(tensor(m, 'blocks.0.mlp.W_in')).toEqual([0, 0, -2, -2, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0]);
    expect(tensor(m, 'blocks.0.mlp.W_out')).toEqual([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(tensor(m, 'unembed.W_U')).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1]);
    expect(tensor(m, 'blocks.0.attn.W_Q').every((x) => x === 0)).toBe(true);
    expect(m.manifest.program.hash).toBe('source');
    expect(m.manifest.output).toEqual({ label: 'inc', encoding: 'categorical', values: [2, 3], tolerance: 0.5 });
    expect(m.manifest.nodes.map((n) => [n.label, n.layer, n.sublayer, n.stages])).toEqual([
      ['tokens', -1, 'embed', []],
      ['inc', 0, 'mlp', [{ sublayer: 'mlp', layer: 0, role: 'table-mlp', units: [0, 2] }]],
    ]);
    expect(m.manifest.notes).toEqual(['a note']);
    expect(m.manifest.parameters).toBe([...m.tensors.values()].reduce((s, t) => s + t.data.length, 0));
    expect(m.manifest.certification).toEqual({ verdict: 'unverified' });
  });

  it('aggregate over index equality: the head factored through d_head 4, the value side copying tokens', () => {
    const l = lowered(copy);
    const m = assembled(l);
    expect(m.config.d_model).toBe(9);
    expect(m.config.d_head).toBe(4);
    expect(m.manifest.residual.map((d) => d.name)).toEqual(['one', 'bos', 'pad', 'indices:0', 'indices:1', 'tokens:1', 'tokens:2', 'copy:1', 'copy:2']);
    // W_pos: position 1 carries indices:0, position 2 indices:1 (position 0 is BOS)
    expect(tensor(m, 'pos_embed.W_pos')).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
    // W_V [1, 9, 4] reads tokens:1, tokens:2 into head dims 0, 1; W_O [1, 4, 9] writes them to copy:1, copy:2
    const WV = tensor(m, 'blocks.0.attn.W_V');
    expect(WV.flatMap((x, i) => (x === 0 ? [] : [[Math.floor(i / 4), i % 4, x]]))).toEqual([
      [5, 0, 1],
      [6, 1, 1],
    ]);
    const WO = tensor(m, 'blocks.0.attn.W_O');
    expect(WO.flatMap((x, i) => (x === 0 ? [] : [[Math.floor(i / 9), i % 9, x]]))).toEqual([
      [0, 7, 1],
      [1, 8, 1],
    ]);
    // query side: identity selection of one, bos, indices:0, indices:1 (4 dims); key side carries the scores
    const WQ = tensor(m, 'blocks.0.attn.W_Q');
    expect(WQ.flatMap((x, i) => (x === 0 ? [] : [[Math.floor(i / 4), i % 4, x]]))).toEqual([
      [0, 2, 1],
      [1, 3, 1],
      [3, 0, 1],
      [4, 1, 1],
    ]);
    const beta = l.nodes.find((n) => n.label === 'copy')?.head?.beta ?? Number.NaN;
    const WK = tensor(m, 'blocks.0.attn.W_K');
    expect(WK[3 * 4 + 0]).toBeCloseTo(beta, 5);
    expect(WK[4 * 4 + 1]).toBeCloseTo(beta, 5);
  });

  it('modelSize gives the configuration assembly builds, without tensors', () => {
    for (const p of [inc, copy]) {
      const l = lowered(p);
      const size = modelSize(l, allocated(l));
      const m = assembled(l);
      expect(size.config).toEqual(m.config);
      expect(size.parameters).toBe(m.manifest.parameters);
    }
  });

  it('is deterministic: the same input gives the same tensors', () => {
    const l = lowered(copy);
    const a = assembled(l);
    const b = assembled(l);
    expect(Either.right([...a.tensors].map(([k, t]) => [k, Array.from(t.data)]))).toEqual(Either.right([...b.tensors].map(([k, t]) => [k, Array.from(t.data)])));
  });
});
