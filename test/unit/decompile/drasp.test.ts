/**
 * The D-RASP language: hand-written programs run by the interpreter, well-formedness checks,
 * input errors, and the printer.
 */
import { readFileSync } from 'node:fs';
import * as Either from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../../src/diagnostics.js';
import { derivedBasis, positionBasis, tokenBasis } from '../../../src/decompile/drasp/basis.js';
import { predict, runDrasp } from '../../../src/decompile/drasp/interpreter.js';
import { matrix, type Matrix } from '../../../src/decompile/drasp/matrix.js';
import { printDrasp } from '../../../src/decompile/drasp/printer.js';
import { checkProgram, type DraspProgram, type Statement } from '../../../src/decompile/drasp/program.js';

const right = <A>(e: Either.Either<readonly Diagnostic[], A>): A => {
  if (Either.isLeft(e)) throw new Error(e.left.map((d) => `${d.code}: ${d.message}`).join('\n'));
  return e.right;
};

const problemsOf = <A>(e: Either.Either<readonly Diagnostic[], A>): readonly Diagnostic[] => {
  if (Either.isRight(e)) throw new Error('expected Left, got Right');
  return e.left;
};

const fromRows = (rows: readonly (readonly number[])[]): Matrix => matrix(rows.length, rows[0]?.length ?? 0, Float64Array.from(rows.flat()));

const TOKENS = tokenBasis(['<bos>', 'a', 'b', '<pad>']);
const POSITIONS = positionBasis(6);
const tok: Statement = { kind: 'variable', name: 'tok', basis: TOKENS, definition: { kind: 'tokens' } };
const pos: Statement = { kind: 'variable', name: 'pos', basis: POSITIONS, definition: { kind: 'positions' } };

/** M[i][j] = value where j = i − 1: attend to the previous position. */
const previousPosition = (value: number): Matrix => {
  const m = new Float64Array(36);
  for (let i = 1; i < 6; i++) m[i * 6 + i - 1] = value;
  return matrix(6, 6, m);
};

const program = (statements: readonly Statement[], extra: Partial<DraspProgram> = {}): DraspProgram => ({
  statements,
  output: { basis: derivedBasis('logits', ['a', 'b']), projects: [], bias: new Float64Array(2), prediction: 'argmax' },
  causal: true,
  maskedKeyTokens: [],
  ...extra,
});

const rowOf = (values: Float64Array, width: number, t: number): number[] => Array.from(values.subarray(t * width, (t + 1) * width));

describe('the D-RASP interpreter', () => {
  it('aggregate(select(q=pos, k=pos)) copies the previous token; the logits project it', () => {
    const p = program(
      [
        tok,
        pos,
        { kind: 'selector', name: 's', terms: [{ kind: 'select', query: 'pos', key: 'pos', op: previousPosition(200) }] },
        { kind: 'variable', name: 'prev', basis: TOKENS, definition: { kind: 'aggregate', selector: 's', value: 'tok' } },
      ],
      {
        output: {
          basis: derivedBasis('logits', ['a', 'b']),
          projects: [{ input: 'prev', op: fromRows([[0, 0], [1, 0], [0, 1], [0, 0]]) }],
          bias: Float64Array.of(0.25, 0),
          prediction: 'argmax',
        },
      },
    );
    const ids = Int32Array.of(0, 1, 2, 2, 1);
    const run = right(runDrasp(p, ids));
    const prev = run.values.get('prev') as Float64Array;
    // position 0 has one allowed key, itself
    expect(rowOf(prev, 4, 0)).toEqual([1, 0, 0, 0]);
    for (let t = 1; t < ids.length; t++) {
      const expected = [0, 0, 0, 0];
      expected[ids[t - 1]] = 1;
      rowOf(prev, 4, t).forEach((x, j) => expect(x).toBeCloseTo(expected[j], 12));
    }
    const predicted = predict(p, run.logits);
    expect(predicted).toEqual({ kind: 'argmax', classes: Int32Array.of(0, 0, 0, 1, 1) });
    expect(rowOf(run.logits, 2, 0)).toEqual([0.25, 0]);
  });

  it('sums select and key-only terms into one softmax, over the allowed keys only', () => {
    const qk = fromRows([
      [0.5, -1, 2, 0],
      [1, 0.25, -0.5, 3],
      [0, 1, 1, 0],
      [9, 9, 9, 9],
    ]);
    const keyWeights = Float64Array.of(0.1, -0.3, 0.7, 0, 1.1, -2);
    const statements: Statement[] = [
      tok,
      pos,
      {
        kind: 'selector',
        name: 's',
        terms: [
          { kind: 'select', query: 'tok', key: 'tok', op: qk },
          { kind: 'keySelect', key: 'pos', op: keyWeights },
        ],
      },
      { kind: 'variable', name: 'where', basis: POSITIONS, definition: { kind: 'aggregate', selector: 's', value: 'pos' } },
    ];
    const ids = Int32Array.of(0, 2, 1, 3, 2, 1);
    for (const causal of [true, false]) {
      const run = right(runDrasp(program(statements, { causal, maskedKeyTokens: [3] }), ids));
      const weights = run.weights.get('s') as Float64Array;
      for (let t = 0; t < ids.length; t++) {
        const allowed = Array.from(ids.keys()).filter((s) => (!causal || s <= t) && ids[s] !== 3);
        const scores = allowed.map((s) => qk.data[ids[t] * 4 + ids[s]] + keyWeights[s]);
        const max = Math.max(...scores);
        const total = scores.reduce((sum, x) => sum + Math.exp(x - max), 0);
        const expected = new Array<number>(ids.length).fill(0);
        allowed.forEach((s, i) => (expected[s] = Math.exp(scores[i] - max) / total));
        rowOf(weights, ids.length, t).forEach((w, s) => expect(w).toBeCloseTo(expected[s], 14));
        // the average of one-hot positions is the weights themselves
        rowOf(run.values.get('where') as Float64Array, 6, t).forEach((x, s) => expect(x).toBeCloseTo(expected[s], 14));
      }
    }
  });

  it('a query with no allowed key gets all-zero weights', () => {
    const statements: Statement[] = [
      tok,
      { kind: 'selector', name: 'all', terms: [] },
      { kind: 'variable', name: 'mean', basis: TOKENS, definition: { kind: 'aggregate', selector: 'all', value: 'tok' } },
    ];
    const run = right(runDrasp(program(statements, { maskedKeyTokens: [3] }), Int32Array.of(3, 1, 2)));
    const mean = run.values.get('mean') as Float64Array;
    expect(rowOf(mean, 4, 0)).toEqual([0, 0, 0, 0]);
    expect(rowOf(mean, 4, 1)).toEqual([0, 1, 0, 0]);
    expect(rowOf(mean, 4, 2)).toEqual([0, 0.5, 0.5, 0]);
  });

  it('aggregate with an output matrix maps the average into another basis', () => {
    const count = derivedBasis('counts', ['#a', '#b']);
    const statements: Statement[] = [
      tok,
      { kind: 'selector', name: 'all', terms: [] },
      {
        kind: 'variable',
        name: 'fractions',
        basis: count,
        definition: { kind: 'aggregate', selector: 'all', value: 'tok', output: fromRows([[0, 0], [1, 0], [0, 1], [0, 0]]) },
      },
    ];
    const run = right(runDrasp(program(statements, { causal: false }), Int32Array.of(0, 1, 1, 2)));
    expect(rowOf(run.values.get('fractions') as Float64Array, 2, 3)).toEqual([0.5, 0.25]);
  });

  it('elementwise primitives and opaque functions apply at each position', () => {
    const two = derivedBasis('pair', ['x', 'y']);
    const statements: Statement[] = [
      tok,
      { kind: 'selector', name: 'all', terms: [] },
      { kind: 'variable', name: 'mean', basis: TOKENS, definition: { kind: 'aggregate', selector: 'all', value: 'tok' } },
      { kind: 'variable', name: 'sum', basis: TOKENS, definition: { kind: 'elementwise', inputs: ['tok', 'mean'], fn: { kind: 'primitive', name: 'sum' } } },
      { kind: 'variable', name: 'product', basis: TOKENS, definition: { kind: 'elementwise', inputs: ['tok', 'mean'], fn: { kind: 'primitive', name: 'product' } } },
      { kind: 'variable', name: 'step', basis: TOKENS, definition: { kind: 'elementwise', inputs: ['mean'], fn: { kind: 'primitive', name: 'step' } } },
      { kind: 'variable', name: 'sigmoid', basis: TOKENS, definition: { kind: 'elementwise', inputs: ['mean'], fn: { kind: 'primitive', name: 'sigmoid' } } },
      {
        kind: 'variable',
        name: 'lookup',
        basis: two,
        definition: {
          kind: 'elementwise',
          inputs: ['tok', 'mean'],
          fn: {
            kind: 'opaque',
            name: 'table',
            description: 'is the token a; fraction of b so far',
            apply: ([token, mean], out) => {
              out[0] = token[1];
              out[1] = mean[2];
            },
          },
        },
      },
      { kind: 'variable', name: 'relu', basis: two, definition: { kind: 'elementwise', inputs: ['lookup'], fn: { kind: 'primitive', name: 'relu' } } },
    ];
    const run = right(runDrasp(program(statements), Int32Array.of(0, 1, 2, 2)));
    const at = (name: string, width: number, t: number): number[] => rowOf(run.values.get(name) as Float64Array, width, t);
    expect(at('mean', 4, 3)).toEqual([0.25, 0.25, 0.5, 0]);
    expect(at('sum', 4, 3)).toEqual([0.25, 0.25, 1.5, 0]);
    expect(at('product', 4, 3)).toEqual([0, 0, 0.5, 0]);
    expect(at('step', 4, 3)).toEqual([1, 1, 1, 0]);
    expect(at('sigmoid', 4, 3)).toEqual([0.25, 0.25, 0.5, 0].map((x) => 1 / (1 + Math.exp(-x))));
    expect(at('lookup', 2, 1)).toEqual([1, 0]);
    expect(at('lookup', 2, 3)).toEqual([0, 0.5]);
    expect(at('relu', 2, 3)).toEqual([0, 0.5]);
  });

  it('predicts by sigmoid for multi-label outputs', () => {
    const p = program([tok], {
      output: { basis: derivedBasis('labels', ['x', 'y']), projects: [{ input: 'tok', op: fromRows([[1, -1], [-1, 1], [2, 2], [0, 0]]) }], bias: Float64Array.of(0, 0), prediction: 'sigmoid' },
    });
    const run = right(runDrasp(p, Int32Array.of(0, 1, 2, 3)));
    expect(predict(p, run.logits)).toEqual({ kind: 'sigmoid', labels: Uint8Array.of(1, 0, 0, 1, 1, 1, 0, 0) });
  });

  it('refuses ids outside the bases and mismatched lengths', () => {
    const p = program([tok, pos]);
    expect(problemsOf(runDrasp(p, Int32Array.of(0, 4)))[0]?.message).toBe("token id 4 at 1 is outside tok's basis 0..3");
    expect(problemsOf(runDrasp(p, Int32Array.of(0, 1), Int32Array.of(0, 6)))[0]?.message).toBe("position id 6 at 1 is outside pos's basis 0..5");
    expect(problemsOf(runDrasp(p, Int32Array.of(0, 1), Int32Array.of(0)))[0]?.code).toBe('drasp/bad-input');
    expect(problemsOf(runDrasp(p, Int32Array.of()))[0]?.code).toBe('input/empty');
  });

  it('reads nothing but the program (no model code)', () => {
    const source = readFileSync(new URL('../../../src/decompile/drasp/interpreter.ts', import.meta.url), 'utf8');
    const imports = [...source.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
    expect(imports.filter((i) => !['fp-ts/lib/Either.js', '../../diagnostics.js', './basis.js', './matrix.js', './program.js'].includes(i))).toEqual([]);
  });
});

describe('well-formed D-RASP programs', () => {
  it('names every problem: undefined names, shapes, duplicates, arity', () => {
    const bad = program(
      [
        tok,
        pos,
        { kind: 'selector', name: 's', terms: [{ kind: 'select', query: 'tok', key: 'pos', op: matrix(4, 5) }, { kind: 'keySelect', key: 'nowhere', op: new Float64Array(6) }] },
        { kind: 'variable', name: 'a', basis: TOKENS, definition: { kind: 'aggregate', selector: 'tok', value: 's' } },
        { kind: 'variable', name: 'b', basis: POSITIONS, definition: { kind: 'aggregate', selector: 's', value: 'tok' } },
        { kind: 'variable', name: 'pos', basis: POSITIONS, definition: { kind: 'positions' } },
        { kind: 'variable', name: 'c', basis: TOKENS, definition: { kind: 'elementwise', inputs: ['tok', 'tok'], fn: { kind: 'primitive', name: 'relu' } } },
        { kind: 'variable', name: 'd', basis: POSITIONS, definition: { kind: 'tokens' } },
      ],
      { output: { basis: derivedBasis('logits', ['x']), projects: [{ input: 'tok', op: matrix(3, 1) }], bias: new Float64Array(2), prediction: 'argmax' } },
    );
    const messages = problemsOf(checkProgram(bad)).map((d) => `${d.where}: ${d.message}`);
    expect(messages).toEqual([
      's: select(q=tok, k=pos) has a 4×5 matrix; the bases need 4×6',
      's: "nowhere" is used before it is defined',
      'a: aggregate reads "tok", which is not a selector defined before it',
      'a: "s" is a selector, used as a variable',
      'b: aggregate of tok (4 dims) without an output matrix must have 4 dims, not 6',
      'pos: "pos" is defined twice',
      'c: relu takes one input, not 2',
      'd: tokens must have a token basis',
      'logits: project(inp=tok) has a 3×1 matrix; the bases need 4×1',
      "logits: the logits' bias has 2 entries, not 1",
    ]);
    expect(problemsOf(runDrasp(bad, Int32Array.of(0)))[0]?.code).toBe('drasp/ill-formed');
  });
});

describe('the D-RASP printer', () => {
  it('prints statements in the paper form and the matrices as labelled tables or summaries', () => {
    const big = derivedBasis('hidden', Array.from({ length: 20 }, (_, i) => `h${i}`));
    const p = program(
      [
        tok,
        pos,
        {
          kind: 'selector',
          name: 's1',
          comment: 'previous position',
          terms: [
            { kind: 'select', query: 'pos', key: 'pos', op: previousPosition(10) },
            { kind: 'keySelect', key: 'tok', op: Float64Array.of(-5, 0, 0.125, 0) },
          ],
        },
        { kind: 'variable', name: 'a1', basis: TOKENS, definition: { kind: 'aggregate', selector: 's1', value: 'tok' } },
        { kind: 'variable', name: 'h', basis: big, definition: { kind: 'aggregate', selector: 's1', value: 'tok', output: matrix(4, 20, new Float64Array(80).fill(0.5)) } },
        {
          kind: 'variable',
          name: 'm1',
          basis: TOKENS,
          definition: { kind: 'elementwise', inputs: ['a1'], fn: { kind: 'opaque', name: 'sharpen', description: 'one-hot of the largest entry', apply: () => undefined } },
        },
      ],
      {
        causal: false,
        maskedKeyTokens: [3],
        output: { basis: derivedBasis('logits', ['a', 'b']), projects: [{ input: 'm1', op: fromRows([[0, 0], [1, 0], [0, 1], [0, 0]]) }], bias: Float64Array.of(0, -1.5), prediction: 'sigmoid' },
      },
    );
    const text = printDrasp(p);
    const lines = text.split('\n');
    expect(lines[0]).toBe('# D-RASP program: 5 variables, 1 selector, 1 project line');
    expect(lines[1]).toBe('# keys: all positions, except those holding <pad>');
    expect(text).toMatch(/^tok = tokens +# token basis \{<bos>, a, b, <pad>\}$/m);
    expect(text).toMatch(/^pos = positions +# position basis 0\.\.5$/m);
    expect(text).toMatch(/^s1 = select\(q=pos, k=pos, op=M1\) \+ select\(k=tok, op=w1\) +# previous position$/m);
    expect(text).toMatch(/^a1 = aggregate\(s1, v=tok\) +# token basis/m);
    expect(text).toMatch(/^h = aggregate\(s1, v=tok, op=O1\) +# hidden basis \(20 dims\)$/m);
    expect(text).toMatch(/^m1 = sharpen\(a1\) +# one-hot of the largest entry; token basis/m);
    expect(text).toMatch(/^logits = project\(inp=m1, op=P1\) \+ b +# 2 logits$/m);
    expect(text).toContain('prediction = sigmoid(logits) > 0.5');
    expect(text).toContain(['M1: q=pos × k=pos (6×6)', '      0   1   2   3   4  5', '  0   ·   ·   ·   ·   ·  ·', '  1  10   ·   ·   ·   ·  ·'].join('\n'));
    expect(text).toContain(['w1: k=tok (1×4)', '    <bos>  a      b  <pad>', '       -5  ·  0.125      ·'].join('\n'));
    expect(text).toContain('O1: v=tok → h (4×20): 80 non-zero entries, largest |x| 0.5');
    expect(text).toContain(['b: constant logits (1×2)', '    a     b', '    ·  -1.5'].join('\n'));
  });
});
