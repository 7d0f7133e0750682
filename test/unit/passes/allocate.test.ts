import * as Either from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { HeadBlock, MlpBlock } from '../../../src/craft/blocks.js';
import { allocate, type Allocation } from '../../../src/passes/allocate.js';
import type { LoweredNode, Stage } from '../../../src/passes/lower.js';

const head: HeadBlock = { kind: 'head', role: 'test-head', qk: [], ov: [] };
const mlp = (units: number): MlpBlock => ({ kind: 'mlp', role: 'test-mlp', units: Array.from({ length: units }, () => ({ input: [], output: [] })) });
const attn: Stage = { sublayer: 'attn', heads: [head] };
const mlpStage = (units: number): Stage => ({ sublayer: 'mlp', mlps: [mlp(units)] });

const node = (id: number, stages: readonly Stage[], reads: readonly number[], construction = 'test'): LoweredNode => ({
  id,
  label: `n${id}`,
  construction,
  reads,
  stages,
  error: 0,
  required: 0,
});

const allocated = (nodes: readonly LoweredNode[]): Allocation => {
  const r = allocate({ nodes });
  if (Either.isLeft(r)) throw new Error(r.left.map((d) => d.message).join('; '));
  return r.right;
};

describe('allocate', () => {
  it('places a chain as early as possible and an independent MLP where the MLP width stays lowest', () => {
    // e → A (mlp, 1 unit) → B (head) → C (mlp, 3 units); D (mlp, 2 units) reads e, nobody reads D
    const nodes = [
      node(0, [], []),
      node(1, [mlpStage(1)], [0]),
      node(2, [attn], [1]),
      node(3, [mlpStage(3)], [2]),
      node(4, [mlpStage(2)], [0]),
    ];
    const a = allocated(nodes);
    expect([...a.firstStage]).toEqual([
      [0, -1],
      [1, 1],
      [2, 2],
      [3, 3],
      // layer 0's MLP holds 1 unit, layer 1's 3: D joins layer 0 (width 3, not 5)
      [4, 1],
    ]);
    expect(a.report).toEqual({ layers: 2, layerLowerBound: 2, maxHeadsPerLayer: 1, headsLowerBound: 1, mlpWidth: 3, mlpWidthLowerBound: 3 });
  });

  it("a selector width's output is ready after its MLP stage: its reader waits a layer", () => {
    const nodes = [node(0, [], []), node(1, [attn, mlpStage(2)], [0], 'selector-width'), node(2, [mlpStage(1)], [1])];
    const a = allocated(nodes);
    expect([...a.firstStage]).toEqual([
      [0, -1],
      [1, 0],
      [2, 3],
    ]);
    expect(a.report.layers).toBe(2);
  });

  it('a head with slack goes to the layer with fewer heads', () => {
    // H1 → M (mlp) → H2 fixes two layers; H1b and H3 read only e and may go in either layer
    const nodes = [node(0, [], []), node(1, [attn], [0]), node(2, [attn], [0]), node(3, [mlpStage(1)], [1]), node(4, [attn], [3]), node(5, [attn], [0])];
    const a = allocated(nodes);
    // in node order: H1b goes to layer 1 (no head yet there), then H3 to layer 0 (one head each before it)
    expect([...a.firstStage]).toEqual([
      [0, -1],
      [1, 0],
      [2, 2],
      [3, 1],
      [4, 2],
      [5, 0],
    ]);
    expect(a.report).toEqual({ layers: 2, layerLowerBound: 2, maxHeadsPerLayer: 2, headsLowerBound: 2, mlpWidth: 1, mlpWidthLowerBound: 1 });
  });

  it('between equally loaded slots a node goes to the earliest', () => {
    // e → A (mlp) → B (head) → C (mlp), one unit each; D (mlp, one unit) fits layer 0 or 1 equally
    const nodes = [node(0, [], []), node(1, [mlpStage(1)], [0]), node(2, [attn], [1]), node(3, [mlpStage(1)], [2]), node(4, [mlpStage(1)], [0])];
    expect(allocated(nodes).firstStage.get(4)).toBe(1);
  });

  it('a program of embeddings only has no layers', () => {
    const a = allocated([node(0, [], [])]);
    expect(a.report).toEqual({ layers: 0, layerLowerBound: 0, maxHeadsPerLayer: 0, headsLowerBound: 0, mlpWidth: 0, mlpWidthLowerBound: 0 });
  });
});
