/**
 * `verify PROG --vocab V --max-len N --model DIR` verifies the bounds given (issue 13; before,
 * it verified the model's own bounds and ignored them): exhaustively over exactly those inputs,
 * by lemmas at the model's bounds (which contain them), by Z3 at the lengths and tokens given.
 * Bounds the model does not cover are refused with one line. The certificate states the bounds
 * verified, and the model's when they differ.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Either from 'fp-ts/lib/Either.js';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Value } from '../../src/ast/value.js';
import { findEntry } from '../../src/lib/index.js';
import type { CompiledModel, Tensor32 } from '../../src/model/model.js';
import type { Certificate } from '../../src/proofs/certificate.js';
import { verify } from '../../src/passes/verifyProgram.js';
import { bounds, compiled } from '../support/check.js';
import { raspcInProcess } from '../support/inProcessCli.js';

const root = mkdtempSync(join(tmpdir(), 'raspc-verify-bounds-'));
const reverseDir = join(root, 'reverse');
const causalDir = join(root, 'length_causal');
const REVERSE = join('examples', 'reverse.rasp');

beforeAll(async () => {
  for (const [program, dir, extra] of [
    [REVERSE, reverseDir, []],
    [join('examples', 'length_causal.rasp'), causalDir, ['--causal']],
  ] as const) {
    const r = await raspcInProcess('compile', program, '--vocab', 'a,b,c,d', '--max-len', '5', '-o', dir, ...extra);
    if (r.code !== 0) throw new Error(r.stderr);
  }
});

const certificateOf = async (...args: string[]): Promise<Certificate> => {
  const r = await raspcInProcess('verify', ...args, '--json');
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Certificate;
};

describe('verify --model with bounds the model covers', () => {
  it('exhaustive: enumerates the inputs of the given bounds only, and says so', async () => {
    const c = await certificateOf(REVERSE, '--vocab', 'b,a', '--max-len', '3', '--model', reverseDir, '--method', 'exhaustive');
    expect(c.verdict).toBe('verified');
    expect(c.bounds).toEqual({ vocab: ['b', 'a'], maxLen: 3, causal: false });
    expect(c.exhaustive).toEqual({ inputs: 2 + 4 + 8, checked: 14, verdict: 'verified' });
    expect(c.claim).toMatch(/every input of length 1\.\.3 over \{b, a\} \(14 inputs\)/);
    expect(c.modelBounds).toEqual({ vocab: ['a', 'b', 'c', 'd'], maxLen: 5, causal: false });
  });

  it("lemmas: proven at the model's bounds, which contain the given ones", async () => {
    const c = await certificateOf(REVERSE, '--vocab', 'a,c', '--max-len', '4', '--model', reverseDir, '--method', 'lemmas');
    expect(c.verdict).toBe('verified');
    expect(c.bounds).toEqual({ vocab: ['a', 'c'], maxLen: 4, causal: false });
    expect(c.modelBounds?.maxLen).toBe(5);
    expect(c.claim).toMatch(/length 1\.\.4 over \{a, c\}.*lemmas proven at the model's bounds \(\{a, b, c, d\}, length 1\.\.5\), which contain these/);
  });

  it('the same bounds as the model: the certificate is what it was (no modelBounds)', async () => {
    const c = await certificateOf(REVERSE, '--vocab', 'a,b,c,d', '--max-len', '5', '--model', reverseDir, '--method', 'exhaustive');
    expect(c.bounds).toEqual({ vocab: ['a', 'b', 'c', 'd'], maxLen: 5, causal: false });
    expect(c.modelBounds).toBeUndefined();
    expect(c.exhaustive?.inputs).toBe(1364);
  });

  it('a causal model at a shorter length', async () => {
    const c = await certificateOf(join('examples', 'length_causal.rasp'), '--vocab', 'd', '--max-len', '2', '--causal', '--model', causalDir, '--method', 'auto');
    expect(c.verdict).toBe('verified');
    expect(c.bounds).toEqual({ vocab: ['d'], maxLen: 2, causal: true });
    expect(c.exhaustive?.inputs).toBe(2);
  });
});

describe('verify --model with bounds the model does not cover: one line, exit 3', () => {
  it.each([
    ['a longer max length', ['--vocab', 'a,b', '--max-len', '6'], reverseDir, /--max-len 6 is beyond the model's maximum length 5/],
    ['tokens outside its vocabulary', ['--vocab', 'a,e,f', '--max-len', '3'], reverseDir, /tokens e, f are not in the model's vocabulary \{a, b, c, d\}/],
    ['--causal for a non-causal model', ['--vocab', 'a', '--max-len', '3', '--causal'], reverseDir, /the model is not causal; --causal asks for a causal one/],
    ['no --causal for a causal model', ['--vocab', 'a', '--max-len', '3'], causalDir, /the model is causal; verify it with --causal/],
  ] as const)('%s', async (_, bounds, dir, says) => {
    const program = dir === causalDir ? join('examples', 'length_causal.rasp') : REVERSE;
    const r = await raspcInProcess('verify', program, ...bounds, '--model', dir);
    expect(r.code).toBe(3);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(says);
  });
});

describe('the verdict is about the given bounds (library)', () => {
  const e = findEntry('reverse');
  if (e === undefined) throw new Error('reverse');
  const program = e.build();
  const model = compiled(program, bounds(['a', 'b', 'c', 'd'], 5)).model;
  /** The model with token c's embedding zeroed: wrong on every input holding c, right on the rest. */
  const withoutC: CompiledModel = (() => {
    const tensors = new Map<string, Tensor32>([...model.tensors].map(([n, t]) => [n, { shape: t.shape, data: new Float32Array(t.data) }]));
    const we = tensors.get('embed.W_E') as Tensor32;
    const d = we.shape[1] as number;
    we.data.fill(0, (2 + 2) * d, (2 + 3) * d);
    return { ...model, tensors };
  })();

  const certify = async (vocab: readonly Value[], maxLen: number, method: 'exhaustive' | 'auto' | 'z3'): Promise<Certificate> => {
    const r = await verify(program, bounds(vocab, maxLen), { method, model: withoutC, workers: 1, z3TimeoutMs: 30_000 });
    if (Either.isLeft(r)) throw new Error(r.left[0]?.message);
    return r.right.certificate;
  };

  it('exhaustive: a counterexample with c; verified without it', async () => {
    const all = await certify(['a', 'b', 'c', 'd'], 5, 'exhaustive');
    expect(all.verdict).toBe('counterexample');
    expect(all.counterexample?.input).toContain('c');
    expect((await certify(['a', 'b', 'd'], 5, 'exhaustive')).verdict).toBe('verified');
  });

  it('auto: the failing lemmas do not turn into a counterexample outside the given bounds', async () => {
    const c = await certify(['a', 'b'], 4, 'auto');
    expect(c.lemmas?.verdict).toBe('failed');
    expect(c.counterexample).toBeUndefined();
    expect(c.verdict).toBe('verified');
  });

  it('z3: the tokens are those given (no counterexample holding c)', async () => {
    const all = await certify(['a', 'b', 'c'], 2, 'z3');
    expect(all.verdict).toBe('counterexample');
    expect(all.counterexample?.input).toContain('c');
    const ab = await certify(['a', 'b'], 2, 'z3');
    expect(ab.counterexample).toBeUndefined();
    expect(ab.z3?.equivalence.verdict).toBe('verified');
    expect(ab.z3?.equivalence.lengths.map((l) => l.n)).toEqual([1, 2]);
  });

  it('worker threads check the given bounds as one thread does', async () => {
    const long = compiled(program, bounds(['a', 'b', 'c', 'd'], 9)).model;
    const tensors = new Map<string, Tensor32>([...long.tensors].map(([n, t]) => [n, { shape: t.shape, data: new Float32Array(t.data) }]));
    const we = tensors.get('embed.W_E') as Tensor32;
    we.data.fill(0, 4 * (we.shape[1] as number), 5 * (we.shape[1] as number));
    const damaged: CompiledModel = { ...long, tensors };
    const run = async (vocab: readonly Value[], workers: number): Promise<Certificate> => {
      const r = await verify(program, bounds(vocab, 9), { method: 'exhaustive', model: damaged, workers });
      if (Either.isLeft(r)) throw new Error(r.left[0]?.message);
      return r.right.certificate;
    };
    const withoutC = await run(['a', 'b', 'd'], 2);
    expect(withoutC.verdict).toBe('verified');
    expect(withoutC.exhaustive?.checked).toBe(29_523);
    const [threads, one] = [await run(['d', 'c', 'a'], 2), await run(['d', 'c', 'a'], 1)];
    expect(threads.verdict).toBe('counterexample');
    expect(threads.counterexample).toEqual(one.counterexample);
    expect(threads.counterexample?.input).toEqual(['c']);
  });
});
