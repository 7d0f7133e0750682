import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as Either from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import * as D from '../../src/ast/dsl.js';
import type { SOp } from '../../src/ast/program.js';
import { valuesClose, type Value } from '../../src/ast/value.js';
import { evaluate } from '../../src/interpreter/evaluate.js';
import { findEntry, makeHist, REGISTRY } from '../../src/lib/index.js';
import { isUndecodable } from '../../src/model/decode.js';
import type { CompiledModel, Tensor32 } from '../../src/model/model.js';
import { runModel } from '../../src/model/run.js';
import { digitsAt, enumerateInputs, InputCursor, inputAt, inputCount } from '../../src/proofs/enumerate.js';
import { checkExhaustive, RangeChecker, type ExhaustiveResult } from '../../src/proofs/exhaustive.js';
import { allInputs, bounds, compiled, disagreement } from '../support/check.js';

const lib = (name: string): NonNullable<ReturnType<typeof findEntry>> => {
  const e = findEntry(name);
  if (e === undefined) throw new Error(`no library program ${name}`);
  return e;
};

/** A copy of the model with one tensor changed by `edit` (the original is left alone). */
const perturbed = (model: CompiledModel, name: string, edit: (data: Float32Array, shape: readonly number[]) => void): CompiledModel => {
  const tensors = new Map<string, Tensor32>();
  for (const [n, t] of model.tensors) tensors.set(n, { shape: t.shape, data: new Float32Array(t.data) });
  const t = tensors.get(name);
  if (t === undefined) throw new Error(`no tensor ${name}`);
  edit(t.data, t.shape);
  return { ...model, tensors };
};

/** The model and the interpreter really disagree on the input (or the model cannot decode it). */
const reallyDisagree = (program: SOp, model: CompiledModel, input: readonly Value[]): boolean => {
  const want = evaluate(program, input, { causal: model.manifest.bounds.causal });
  const got = runModel(model, input);
  if (Either.isLeft(want) || Either.isLeft(got)) throw new Error('unexpected failure');
  return got.right.some((g, i) => isUndecodable(g) || !valuesClose(g, want.right[i] as Value));
};

/** The counterexample is the first: every earlier input agrees. */
const earlierInputsAgree = (program: SOp, model: CompiledModel, index: number): boolean => {
  const { vocab, maxLen, causal } = model.manifest.bounds;
  const c = { model } as Parameters<typeof disagreement>[1];
  const r = disagreement(program, c, enumerateInputs(vocab, maxLen, 0, index), causal);
  return r.mismatch === undefined && r.compared === index;
};

describe('enumerate', () => {
  it('counts Σ V^n inputs', () => {
    expect(inputCount(4, 8)).toBe(87_380);
    expect(inputCount(5, 10)).toBe(12_207_030);
    expect(inputCount(1, 6)).toBe(6);
    expect(inputCount(3, 0)).toBe(0);
  });

  it('inputAt agrees with the generator, the cursor and the shortest-first lexicographic order', () => {
    const vocab = ['x', 'y', 'z'];
    const all = [...enumerateInputs(vocab, 5)];
    expect(all).toHaveLength(inputCount(3, 5));
    expect(all).toEqual([...allInputs(vocab, 5)]);
    expect(all.slice(0, 5)).toEqual([['x'], ['y'], ['z'], ['x', 'x'], ['x', 'y']]);
    all.forEach((input, i) => expect(inputAt(i, vocab, 5)).toEqual(input));
    // a range from the middle, and a cursor started there
    expect([...enumerateInputs(vocab, 5, 100, 130)]).toEqual(all.slice(100, 130));
    const cursor = new InputCursor(3, 5, 37);
    for (let i = 37; i < all.length; i++) {
      expect(cursor.index).toBe(i);
      expect(cursor.input(vocab)).toEqual(all[i]);
      expect(cursor.next()).toBe(i + 1 < all.length);
    }
    expect(digitsAt(inputCount(3, 5) - 1, 3, 5)).toEqual([2, 2, 2, 2, 2]);
    expect(() => inputAt(all.length, vocab, 5)).toThrow(RangeError);
    expect(() => inputAt(-1, vocab, 5)).toThrow(RangeError);
  });
});

describe('checkExhaustive: verified models', () => {
  for (const name of ['reverse', 'hist', 'sort', 'frac_prevs', 'shift_by_2', 'length_causal', 'detect_pattern_abc']) {
    it(`${name} at its registry settings: every input agrees`, async () => {
      const e = lib(name);
      const program = e.build();
      const model = compiled(program, bounds(e.vocab, e.maxLen, e.causal ?? false)).model;
      const progress: number[] = [];
      const r = await checkExhaustive(program, model, { onProgress: (done, total) => progress.push(done / total) });
      expect(r.verdict).toBe('verified');
      expect(r.total).toBe(inputCount(e.vocab.length, e.maxLen));
      expect(r.checked).toBe(r.total);
      expect(r.counterexample).toBeUndefined();
      expect(r.inputsPerSecond).toBeGreaterThan(0);
      expect(progress[progress.length - 1]).toBe(1);
    });
  }

  it('every library program under 20,000 inputs is verified', async () => {
    for (const e of REGISTRY.filter((x) => inputCount(x.vocab.length, x.maxLen) < 20_000)) {
      const program = e.build();
      const r = await checkExhaustive(program, compiled(program, bounds(e.vocab, e.maxLen, e.causal ?? false)).model);
      expect([e.name, r.verdict, r.checked]).toEqual([e.name, 'verified', r.total]);
    }
  });
});

describe('checkExhaustive: counterexamples', () => {
  it('a broken unembedding (reverse never says "b") gives the first input that shows it', async () => {
    const e = lib('reverse');
    const program = e.build();
    const good = compiled(program, bounds(e.vocab, e.maxLen)).model;
    const out = good.manifest.output;
    const col = out.values.findIndex((v) => v === 'b');
    const bad = perturbed(good, 'unembed.W_U', (data, shape) => {
      const width = shape[1] as number;
      for (let r = 0; r < (shape[0] as number); r++) data[r * width + col] = 0;
    });
    const r = await checkExhaustive(program, bad);
    expect(r.verdict).toBe('counterexample');
    const cex = r.counterexample;
    expect(cex?.kind).toBe('mismatch');
    expect(cex?.input).toEqual(['b']);
    expect(cex?.expected).toEqual(['b']);
    expect(cex?.actual).toEqual([null]);
    expect(r.checked).toBe(2);
    expect(reallyDisagree(program, bad, cex?.input ?? [])).toBe(true);
    expect(cex?.message).toMatch(/on input b the model outputs None, the interpreter b/);
  });

  it('a broken MLP output weight (frac_prevs) gives an undecodable counterexample that really disagrees', async () => {
    const e = lib('frac_prevs');
    const program = e.build();
    const good = compiled(program, bounds(e.vocab, e.maxLen)).model;
    const bad = perturbed(good, 'blocks.0.mlp.W_out', (data) => {
      const i = data.findIndex((w) => w !== 0);
      data[i] = (data[i] as number) * 3;
    });
    const r = await checkExhaustive(program, bad);
    const cex = r.counterexample;
    expect(r.verdict).toBe('counterexample');
    expect(cex?.kind).toBe('mismatch');
    expect(reallyDisagree(program, bad, cex?.input ?? [])).toBe(true);
    expect(cex?.actual).toContain('<undecodable>');
    expect(cex?.actual).toHaveLength(cex?.input.length ?? -1);
    expect(earlierInputsAgree(program, bad, r.checked - 1)).toBe(true);
    expect(inputAt(r.checked - 1, e.vocab, e.maxLen)).toEqual(cex?.input);
  });

  it('an ambiguous aggregate is a program error at the first input with two different tokens', async () => {
    const program = D.aggregate(D.select(D.tokens, D.tokens, D.TRUE), D.tokens);
    const model = compiled(program, bounds(['a', 'b', 'c'], 4)).model;
    const r = await checkExhaustive(program, model);
    expect(r.verdict).toBe('counterexample');
    expect(r.counterexample?.kind).toBe('program-error');
    expect(r.counterexample?.input).toEqual(['a', 'b']);
    expect(r.counterexample?.message).toMatch(/categorical aggregate selects different values a \(key 0\) and b \(key 1\)/);
    expect(r.checked).toBe(5);
    // without stopping: every input with two different tokens fails (120 inputs, 3 + 3 + 3 constant ones)
    const all = await checkExhaustive(program, model, { stopAtFirst: false });
    expect(all.checked).toBe(120);
    expect(all.failures).toBe(120 - 12);
    expect(all.counterexample).toEqual(r.counterexample);
  });

  it('the fast decoder agrees with runModel/decodeLogits on every input of perturbed models', () => {
    const cases: [string, number][] = [
      ['frac_prevs', 1.004],
      ['frac_prevs', 1.3],
      ['hist', 0.4],
    ];
    let disagreeing = 0;
    for (const [name, factor] of cases) {
      const e = lib(name);
      const program = e.build();
      // every even output column scaled (whatever the residual layout)
      const bad = perturbed(compiled(program, bounds(e.vocab, e.maxLen)).model, 'unembed.W_U', (data, shape) => {
        const width = shape[1] as number;
        for (let i = 0; i < data.length; i++) if ((i % width) % 2 === 0) data[i] = (data[i] as number) * factor;
      });
      const checker = new RangeChecker(program, bad);
      for (const input of enumerateInputs(e.vocab, e.maxLen)) {
        const fast = checker.checkInput(input);
        expect([name, factor, input, fast !== undefined]).toEqual([name, factor, input, reallyDisagree(program, bad, input)]);
        if (fast !== undefined) disagreeing++;
      }
    }
    expect(disagreeing).toBeGreaterThan(0);
  });
});

describe('checkExhaustive: worker threads', () => {
  // hist over {a, b, c} up to length 9: 29,523 inputs; value 9 occurs only at aaaaaaaaa,
  // bbbbbbbbb and ccccccccc (indices 9840, 19681, 29522), so breaking its logit gives exactly
  // three counterexamples in different index ranges
  const vocab = ['a', 'b', 'c'];
  const program = makeHist();
  const good = compiled(program, bounds(vocab, 9)).model;
  const col = good.manifest.output.values.findIndex((v) => v === 9);
  const bad = perturbed(good, 'unembed.W_U', (data, shape) => {
    for (let r = 0; r < (shape[0] as number); r++) data[r * (shape[1] as number) + col] = 0;
  });
  const same = (a: ExhaustiveResult, b: ExhaustiveResult): void => {
    expect(a.verdict).toBe(b.verdict);
    expect(a.checked).toBe(b.checked);
    expect(a.total).toBe(b.total);
    expect(a.counterexample).toEqual(b.counterexample);
    expect(a.failures).toBe(b.failures);
  };

  it('give the same verdict and the same first counterexample as the in-process loop', async () => {
    expect(col).toBeGreaterThanOrEqual(0);
    const one = await checkExhaustive(program, bad, { workers: 1 });
    expect(one.workers).toBe(1);
    expect(one.counterexample?.input).toEqual(new Array(9).fill('a'));
    expect(one.checked).toBe(9841);
    const progress: number[] = [];
    const two = await checkExhaustive(program, bad, { workers: 2, onProgress: (done) => progress.push(done) });
    expect(two.workers).toBe(2);
    same(two, one);
    expect(progress.length).toBeGreaterThan(0);

    const allOne = await checkExhaustive(program, bad, { workers: 1, stopAtFirst: false });
    const allTwo = await checkExhaustive(program, bad, { workers: 2, stopAtFirst: false });
    // every input checked on both paths: exactly the three failures
    expect(allOne.failures).toBe(3);
    same(allTwo, allOne);
    expect(allTwo.workers).toBe(2);
  });

  it('a program with an opaque TypeScript function is checked in process', async () => {
    const opaque = D.map((x: Value) => (x === 'a' ? 'yes' : 'no'), D.tokens);
    const r = await checkExhaustive(opaque, compiled(opaque, bounds(vocab, 9)).model, { workers: 2 });
    expect([r.verdict, r.checked, r.workers]).toEqual(['verified', 29_523, 1]);
  });

  it('run from the built output with plain node (npm test builds first)', () => {
    const dist = resolve('dist/src/proofs/exhaustive.js');
    expect(existsSync(dist), 'dist/ is missing: run npm run build').toBe(true);
    const url = (p: string): string => pathToFileURL(resolve(p)).href;
    const script = `
      import { makeHist } from ${JSON.stringify(url('dist/src/lib/index.js'))};
      import { compile } from ${JSON.stringify(url('dist/src/passes/compile.js'))};
      import { makeBounds } from ${JSON.stringify(url('dist/src/typecheck/bounds.js'))};
      import { checkExhaustive } from ${JSON.stringify(url('dist/src/proofs/exhaustive.js'))};
      const program = makeHist();
      const model = compile(program, makeBounds(['a', 'b', 'c'], 9).right).right.model;
      const tensors = new Map([...model.tensors].map(([n, t]) => [n, { shape: t.shape, data: new Float32Array(t.data) }]));
      const u = tensors.get('unembed.W_U');
      const col = model.manifest.output.values.findIndex((v) => v === 9);
      for (let r = 0; r < u.shape[0]; r++) u.data[r * u.shape[1] + col] = 0;
      const r = await checkExhaustive(program, { ...model, tensors }, { workers: 2 });
      process.stdout.write(JSON.stringify(r));
    `;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const r = JSON.parse(run.stdout) as ExhaustiveResult;
    expect(r.workers).toBe(2);
    expect(r.verdict).toBe('counterexample');
    expect(r.checked).toBe(9841);
    expect(r.counterexample?.input).toEqual(new Array(9).fill('a'));
    expect(r.counterexample?.kind).toBe('mismatch');
  });
});
