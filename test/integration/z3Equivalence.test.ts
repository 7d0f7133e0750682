/**
 * Verifier method (b): bounded equivalence of the hard-attention semantics of compiled models and
 * the interpreter, by Z3 (src/proofs/z3).
 */
import * as Either from 'fp-ts/lib/Either.js';
import { afterAll, describe, expect, it } from 'vitest';
import * as D from '../../src/ast/dsl.js';
import type { SOp } from '../../src/ast/program.js';
import { valuesClose, type Value } from '../../src/ast/value.js';
import { evaluate } from '../../src/interpreter/evaluate.js';
import { findEntry, type LibraryEntry } from '../../src/lib/registry.js';
import { isUndecodable } from '../../src/model/decode.js';
import type { CompiledModel, Tensor32 } from '../../src/model/model.js';
import { runModel } from '../../src/model/run.js';
import { buildQuery } from '../../src/proofs/z3/encode.js';
import { checkBoundedEquivalence } from '../../src/proofs/z3/equivalence.js';
import type { HardProgram } from '../../src/proofs/z3/hardProgram.js';
import { extractHardSemantics } from '../../src/proofs/z3/hardSemantics.js';
import { runHard } from '../../src/proofs/z3/runHard.js';
import { shutdownZ3 } from '../../src/proofs/z3/solver.js';
import { sourceSemantics } from '../../src/proofs/z3/sourceSemantics.js';
import { Terms } from '../../src/proofs/z3/terms.js';
import { allInputs, bounds, compiled, randomInputs } from '../support/check.js';

afterAll(async () => {
  await shutdownZ3();
});

const entry = (name: string): LibraryEntry => {
  const e = findEntry(name);
  if (e === undefined) throw new Error(`no registry entry ${name}`);
  return e;
};

const compileEntry = (name: string, maxLen: number): { program: SOp; model: CompiledModel; causal: boolean } => {
  const e = entry(name);
  const causal = e.causal ?? false;
  return { program: e.build(), model: compiled(e.build(), bounds(e.vocab, maxLen, causal)).model, causal };
};

const hardOf = (model: CompiledModel): HardProgram => {
  const h = extractHardSemantics(model);
  if (Either.isLeft(h)) throw new Error(h.left);
  return h.right;
};

/** The interpreter's and the real model's outputs differ on this input (or the program fails there). */
const reallyDisagree = (program: SOp, model: CompiledModel, input: readonly Value[], causal = false): boolean => {
  const want = evaluate(program, input, { causal });
  const got = runModel(model, input);
  if (Either.isLeft(want) || Either.isLeft(got)) return true;
  return !got.right.every((g, i) => !isUndecodable(g) && valuesClose(g, want.right[i] as Value));
};

/** A copy of a model with its tensors copied, so one weight can be changed. */
const mutable = (model: CompiledModel): { model: CompiledModel; tensor: (name: string) => Float32Array } => {
  const tensors = new Map<string, Tensor32>([...model.tensors].map(([k, t]) => [k, { shape: t.shape, data: Float32Array.from(t.data) }]));
  return {
    model: { ...model, tensors },
    tensor: (name) => (tensors.get(name) as Tensor32).data,
  };
};

const residualIndex = (model: CompiledModel, name: string): number => {
  const i = model.manifest.residual.findIndex((r) => r.name === name);
  if (i < 0) throw new Error(`no residual direction ${name}`);
  return i;
};

describe('hard-attention semantics and its encoding', () => {
  it('the extracted hard semantics decode like the real model and the interpreter', () => {
    for (const name of ['reverse', 'sort', 'frac_prevs', 'shuffle_dyck2', 'double_hist', 'length_causal']) {
      const { program, model, causal } = compileEntry(name, 5);
      const hp = hardOf(model);
      const vocab = entry(name).vocab;
      for (const input of randomInputs(vocab, 5, 20, 7)) {
        const tokens = input.map((t) => vocab.findIndex((v) => v === t));
        const hard = runHard(hp, tokens).output;
        const want = evaluate(program, input, { causal });
        expect(Either.isRight(want)).toBe(true);
        if (Either.isLeft(want)) continue;
        expect(hard.every((h, i) => h !== undefined && valuesClose(h, want.right[i] as Value)), `${name} on ${input.join('')}`).toBe(true);
      }
    }
  });

  it('with constant tokens the query folds to "no difference" on every input where interpreter and model agree', () => {
    for (const name of ['sort', 'shuffle_dyck2', 'frac_prevs']) {
      const e = entry(name);
      const { program, model } = compileEntry(name, 4);
      const src = sourceSemantics(program, bounds(e.vocab, 4));
      if (Either.isLeft(src)) throw new Error(src.left);
      const hp = hardOf(model);
      // constants never reach the solver, so no context is needed
      const T = new Terms(undefined as never, 16, 64);
      for (const input of allInputs(e.vocab, 4)) {
        const tokens = input.map((t) => e.vocab.findIndex((v) => v === t));
        const fired = buildQuery(T, src.right, hp, tokens).disjuncts.filter((d) => d.cond !== false);
        expect(fired.map((d) => d.what), `${name} on ${input.join('')}`).toEqual([]);
      }
    }
  });
});

describe('checkBoundedEquivalence', () => {
  const cases: readonly (readonly [string, number])[] = [
    ['reverse', 4],
    ['hist', 5],
    ['frac_prevs', 5],
    ['shift_by_1', 5],
    ['sort', 4],
    ['shuffle_dyck2', 4],
    ['double_hist', 4],
    ['length_causal', 4],
  ];
  for (const [name, maxLen] of cases) {
    it(`verifies ${name} (vocab ${entry(name).vocab.length}, max length ${maxLen})`, async () => {
      const { program, model } = compileEntry(name, maxLen);
      const r = await checkBoundedEquivalence(program, model, { timeoutMs: 30_000 });
      expect(r.reason).toBeUndefined();
      expect(r.verdict).toBe('verified');
      expect(r.perLength.map((p) => [p.n, p.result])).toEqual(Array.from({ length: maxLen }, (_, i) => [i + 1, 'unsat']));
    });
  }

  it('finds an input that a changed MLP output weight breaks', async () => {
    const { program, model } = compileEntry('reverse', 4);
    const node = model.manifest.nodes.find((n) => n.label === 'opp_idx_minus_1');
    const stage = node?.stages.find((s) => s.sublayer === 'mlp');
    if (stage?.units === undefined) throw new Error('reverse has no opp_idx_minus_1 MLP');
    const m = mutable(model);
    const wout = m.tensor(`blocks.${stage.layer}.mlp.W_out`);
    const dir = residualIndex(model, 'opp_idx_minus_1');
    const d = model.config.d_model;
    const u = stage.units[0];
    expect(wout[u * d + dir]).not.toBe(0);
    wout[u * d + dir] = 2 * (wout[u * d + dir] as number);
    const r = await checkBoundedEquivalence(program, m.model, { timeoutMs: 30_000 });
    expect(r.verdict).toBe('counterexample');
    const cex = r.counterexample;
    if (cex === undefined) throw new Error('no counterexample');
    expect(reallyDisagree(program, m.model, cex.input)).toBe(true);
    expect(reallyDisagree(program, model, cex.input)).toBe(false);
    expect(cex.actual).not.toEqual(cex.expected);
  });

  it('finds an input that a changed query weight breaks', async () => {
    const { program, model } = compileEntry('shift_by_1', 4);
    const node = model.manifest.nodes.find((n) => n.label === 'shift_by_1');
    const stage = node?.stages.find((s) => s.sublayer === 'attn');
    if (stage?.head === undefined) throw new Error('shift_by_1 has no head');
    const m = mutable(model);
    const wq = m.tensor(`blocks.${stage.layer}.attn.W_Q`);
    const d = model.config.d_model;
    const dh = model.config.d_head;
    // the query at index 1 now reads like the query at index 2
    const from = residualIndex(model, 'indices:2');
    const to = residualIndex(model, 'indices:1');
    for (let j = 0; j < dh; j++) wq[(stage.head * d + to) * dh + j] = wq[(stage.head * d + from) * dh + j] as number;
    const r = await checkBoundedEquivalence(program, m.model, { timeoutMs: 30_000 });
    expect(r.verdict).toBe('counterexample');
    const cex = r.counterexample;
    if (cex === undefined) throw new Error('no counterexample');
    expect(cex.input.length).toBeGreaterThanOrEqual(2);
    expect(reallyDisagree(program, m.model, cex.input)).toBe(true);
    expect(reallyDisagree(program, model, cex.input)).toBe(false);
  });

  it('reports an ambiguous categorical aggregate (a program error) as a counterexample', async () => {
    const program = D.aggregate(D.select(D.tokens, D.tokens, D.TRUE), D.tokens);
    const model = compiled(program, bounds(['a', 'b'], 3)).model;
    const r = await checkBoundedEquivalence(program, model, { timeoutMs: 30_000 });
    expect(r.verdict).toBe('counterexample');
    const cex = r.counterexample;
    if (cex === undefined) throw new Error('no counterexample');
    expect(new Set(cex.input).size).toBe(2);
    expect(typeof cex.expected).toBe('string');
    expect(cex.expected).toMatch(/different values/);
    expect(Either.isLeft(evaluate(program, cex.input))).toBe(true);
  });

  it('a tiny timeout gives unknown, never verified', async () => {
    const { program, model } = compileEntry('sort', 4);
    const r = await checkBoundedEquivalence(program, model, { timeoutMs: 1 });
    expect(r.verdict).toBe('unknown');
    expect(r.perLength.some((p) => p.result === 'unknown')).toBe(true);
    expect(r.reason).toMatch(/timeout|unknown/);
  });

  it('explains why a model without a compiled program cannot be checked', async () => {
    const { program, model } = compileEntry('reverse', 3);
    const bare: CompiledModel = { ...model, manifest: { ...model.manifest, program: { hash: model.manifest.program.hash, output: model.manifest.program.output } } };
    const r = await checkBoundedEquivalence(program, bare, { timeoutMs: 5_000 });
    expect(r.verdict).toBe('unknown');
    expect(r.reason).toMatch(/compiled program/);
  });
});
