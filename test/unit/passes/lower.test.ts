import * as D from '../../../src/ast/dsl.js';
import { describe, expect, it } from 'vitest';
import { lower } from '../../../src/passes/lower.js';
import { checked, copy, inc, lowered, right } from './support.js';

describe('lower', () => {
  it('a categorical map becomes one table MLP: a unit per input value, off at BOS', () => {
    const l = lowered(inc);
    expect(l.nodes.map((n) => [n.label, n.construction, n.reads])).toEqual([
      ['tokens', 'embed-tokens', []],
      ['inc', 'table-mlp', [0]],
    ]);
    const node = l.nodes[1];
    expect(node?.stages).toEqual([
      {
        sublayer: 'mlp',
        mlps: [
          {
            kind: 'mlp',
            role: 'table-mlp',
            units: [
              { input: [['tokens:1', 1], ['bos', -2]], output: [['inc:2', 1]] },
              { input: [['tokens:2', 1], ['bos', -2]], output: [['inc:3', 1]] },
            ],
          },
        ],
      },
    ]);
    expect(node?.error).toBe(0);
    expect(l.spaces.get(1)?.directions.map((d) => d.key)).toEqual(['inc:2', 'inc:3']);
    expect(l.auxiliary).toEqual([]);
  });

  it('a categorical aggregate becomes one head: query-key matches index to index, BOS as the default, PAD pushed down; value-output copies tokens', () => {
    const l = lowered(copy);
    const node = l.nodes.find((n) => n.label === 'copy');
    expect(node?.construction).toBe('categorical-attention');
    const stage = node?.stages[0];
    if (stage?.sublayer !== 'attn') throw new Error('expected an attention stage');
    const head = stage.heads[0];
    const beta = node?.head?.beta ?? Number.NaN;
    expect(head?.ov).toEqual([
      ['tokens:1', 'copy:1', 1],
      ['tokens:2', 'copy:2', 1],
    ]);
    // β·(match), BOS half a match below (so it wins only when nothing matches), PAD far below
    expect(head?.qk.map(([q, k]) => [q, k])).toEqual([
      ['indices:0', 'indices:0'],
      ['indices:1', 'indices:1'],
      ['one', 'bos'],
      ['bos', 'one'],
      ['bos', 'bos'],
      ['one', 'pad'],
    ]);
    expect(head?.qk[0]?.[2]).toBe(beta);
    expect(head?.qk[2]?.[2]).toBeCloseTo(beta / 2, 12);
    expect(node?.head?.gap).toBe(0.5);
    expect(node?.head?.outputError).toBeLessThanOrEqual(node?.head?.required ?? 0);
    expect(node?.error).toBe(node?.head?.outputError);
  });

  it('fixed precision uses the given softmax coldness instead of the derived one', () => {
    const r = right(lower(checked(copy), { softmaxColdness: 100, mlpLargeNumber: 100 }));
    expect(r.nodes.find((n) => n.label === 'copy')?.head?.beta).toBe(100);
  });

  it('a selector width is a head into a private direction and an MLP that reads it', () => {
    const l = lowered(D.named(D.selectorWidth(D.select(D.tokens, D.tokens, D.LT)), 'w'));
    const node = l.nodes.find((n) => n.label === 'w');
    expect(node?.construction).toBe('selector-width');
    expect(node?.stages.map((s) => s.sublayer)).toEqual(['attn', 'mlp']);
    expect(l.auxiliary).toEqual(['w.attn']);
  });
});
