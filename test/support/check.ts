/** Shared helpers for tests that compile programs and compare them with the interpreter. */
import * as Either from 'fp-ts/lib/Either.js';
import type { SOp } from '../../src/ast/program.js';
import { showValue, valuesClose, type Value } from '../../src/ast/value.js';
import { isUndecodable, type Decoded } from '../../src/model/decode.js';
import { PreparedModel } from '../../src/model/forward.js';
import { runModel } from '../../src/model/run.js';
import { evaluate } from '../../src/interpreter/evaluate.js';
import { compile, type Compilation } from '../../src/passes/compile.js';
import { makeBounds, type Bounds } from '../../src/typecheck/bounds.js';
import { mulberry32 } from '../../src/util/random.js';

export const bounds = (vocab: readonly Value[], maxLen: number, causal = false): Bounds => {
  const b = makeBounds(vocab, maxLen, causal);
  if (Either.isLeft(b)) throw new Error('bad bounds in a test');
  return b.right;
};

export const compiled = (program: SOp, b: Bounds): Compilation => {
  const r = compile(program, b);
  if (Either.isLeft(r)) throw new Error(`compile failed: ${r.left.map((d) => `${d.node ?? ''} ${d.message}`).join('; ')}`);
  return r.right;
};

/** Every input of length 1..maxLen over the vocabulary. */
export function* allInputs(vocab: readonly Value[], maxLen: number): Generator<Value[]> {
  for (let n = 1; n <= maxLen; n++) {
    const idx = new Array<number>(n).fill(0);
    for (;;) {
      yield idx.map((i) => vocab[i] as Value);
      let k = n - 1;
      while (k >= 0 && idx[k] === vocab.length - 1) idx[k--] = 0;
      if (k < 0) break;
      idx[k] = (idx[k] as number) + 1;
    }
  }
}

export const inputCount = (vocabSize: number, maxLen: number): number => {
  let total = 0;
  for (let n = 1; n <= maxLen; n++) total += vocabSize ** n;
  return total;
};

/** A deterministic pseudo-random generator (tests must not be flaky). */
export const seeded = (seed: number): (() => number) => mulberry32(seed);

/** Random inputs covering every length 1..maxLen (several per length). */
export const randomInputs = (vocab: readonly Value[], maxLen: number, perLength: number, seed = 1): Value[][] => {
  const rnd = seeded(seed);
  const out: Value[][] = [];
  for (let n = 1; n <= maxLen; n++) {
    for (let k = 0; k < perLength; k++) out.push(Array.from({ length: n }, () => vocab[Math.floor(rnd() * vocab.length)] as Value));
  }
  return out;
};

const show = (xs: readonly Decoded[]): string => xs.map((x) => (isUndecodable(x) ? `?${JSON.stringify(x.logits)}` : showValue(x))).join(' ');

/**
 * Runs the model and the interpreter on each input; returns the first disagreement (as text) or
 * undefined, and how many inputs were compared (inputs the program itself fails on are skipped).
 */
export const disagreement = (
  program: SOp,
  c: Compilation,
  inputs: Iterable<Value[]>,
  causal = false,
): { readonly mismatch?: string; readonly compared: number } => {
  const prepared = new PreparedModel(c.model);
  let compared = 0;
  for (const input of inputs) {
    const want = evaluate(program, input, { causal });
    if (Either.isLeft(want)) continue;
    const got = runModel(prepared, input);
    compared++;
    if (Either.isLeft(got)) return { mismatch: `${input.map(showValue).join(' ')}: ${got.left[0]?.message}`, compared };
    const ok = got.right.every((g, i) => !isUndecodable(g) && valuesClose(g, want.right[i] as Value));
    if (!ok) return { mismatch: `${input.map(showValue).join(' ')}: model ${show(got.right)}, interpreter ${want.right.map(showValue).join(' ')}`, compared };
  }
  return { compared };
};
