/**
 * Padded batches without a mask (issue 13; Tracr defect 5 fixed in the weights). TransformerLens
 * applies no key padding mask to bidirectional models, so a compiled model must mask PAD keys
 * itself: every library program at its library bounds, its inputs right-padded with PAD to the
 * maximum length in one batch, must decode to the unpadded outputs in interop/run_tl.py (numpy,
 * TransformerLens's forward pass, no mask), in onnxruntime (the graph takes no mask) and in our
 * own forward pass (which applies no PAD mask either).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Either from 'fp-ts/lib/Either.js';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import * as D from '../../src/ast/dsl.js';
import * as E from '../../src/ast/expr.js';
import { valueToJson, type Value } from '../../src/ast/value.js';
import { exportFiles } from '../../src/export/index.js';
import { findEntry, REGISTRY, type LibraryEntry } from '../../src/lib/index.js';
import { decodeLogits } from '../../src/model/decode.js';
import { PreparedModel, tokenIds } from '../../src/model/forward.js';
import type { CompiledModel } from '../../src/model/model.js';
import { runModel } from '../../src/model/run.js';
import { checkLemmas } from '../../src/proofs/lemmas/check.js';
import { allInputs, bounds, compiled, inputCount, randomInputs } from '../support/check.js';
import { withoutPadMask } from '../support/mutate.js';

const PYTHON = process.env['PYTHON'] ?? 'python3';
/**
 * Programs with at most this many inputs are checked on every one of them (21 of the 30). The
 * others (56 k to 12.2 M inputs; numpy runs the dense model, a minute per 100 k inputs on the CI
 * box) get every input of the lengths that fit and 300 seeded random inputs per longer length;
 * RASPC_PADDING_EVERY_INPUT=1 checks every input of every program through run_tl.py
 * --check-padding (docs/interop.md gives that run's numbers).
 */
const EVERY_INPUT_UP_TO = 10_000;
const scratch = mkdtempSync(join(tmpdir(), 'raspc-padding-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Every input within the bounds, or (above EVERY_INPUT_UP_TO) every short one and a sample. */
const inputsFor = (e: LibraryEntry): Value[][] => {
  if (inputCount(e.vocab.length, e.maxLen) <= EVERY_INPUT_UP_TO) return [...allInputs(e.vocab, e.maxLen)];
  let k = 1;
  while (inputCount(e.vocab.length, k + 1) <= EVERY_INPUT_UP_TO) k++;
  const longer = randomInputs(e.vocab, e.maxLen, 300, 7).filter((x) => x.length > k);
  return [...allInputs(e.vocab, k), ...longer];
};

const json = (decoded: readonly unknown[]): unknown[] => decoded.map((v) => valueToJson(v as Value));

const unpadded = (prepared: PreparedModel, input: readonly Value[], padTo?: number): unknown[] => {
  const r = runModel(prepared, input, padTo);
  if (Either.isLeft(r)) throw new Error(r.left[0]?.message);
  return json(r.right);
};

const exportTl = (model: CompiledModel, name: string): string => {
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, bytes] of Object.entries(exportFiles(model, 'tl'))) writeFileSync(join(dir, file), bytes);
  return dir;
};

const runTl = (dir: string, args: readonly string[]): unknown =>
  JSON.parse(execFileSync(PYTHON, ['interop/run_tl.py', dir, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 }));

/** First index where two lists of decoded outputs differ, as text (or undefined). */
const firstDifference = (inputs: readonly Value[][], want: readonly unknown[], got: readonly unknown[]): string | undefined => {
  for (let i = 0; i < inputs.length; i++) {
    if (JSON.stringify(want[i]) !== JSON.stringify(got[i])) return `${JSON.stringify(inputs[i])}: unpadded ${JSON.stringify(want[i])}, padded ${JSON.stringify(got[i])}`;
  }
  return got.length === want.length ? undefined : `${got.length} outputs for ${want.length} inputs`;
};

/** The ONNX export on one padded batch (split only to bound memory), with no mask input. */
const onnxPadded = async (model: CompiledModel, inputs: readonly Value[][]): Promise<unknown[]> => {
  const session = await ort.InferenceSession.create(exportFiles(model, 'onnx')['model.onnx'] as Uint8Array);
  expect(session.inputNames).toEqual(['tokens']);
  const maxLen = model.manifest.bounds.maxLen;
  const T = maxLen + 1;
  const width = model.config.d_vocab_out;
  const out: unknown[] = [];
  for (let from = 0; from < inputs.length; from += 4096) {
    const chunk = inputs.slice(from, from + 4096);
    const flat = new BigInt64Array(chunk.length * T);
    chunk.forEach((input, b) => (tokenIds(model, input, maxLen) as Int32Array).forEach((id, t) => (flat[b * T + t] = BigInt(id))));
    const result = await session.run({ tokens: new ort.Tensor('int64', flat, [chunk.length, T]) }, ['logits']);
    const logits = result['logits']?.data as Float32Array;
    chunk.forEach((input, b) => out.push(json(decodeLogits(Float64Array.from(logits.subarray(b * T * width, (b * T + input.length + 1) * width)), input.length, model.manifest.output))));
  }
  return out;
};

describe('the finding: a padded batch through the TransformerLens export', () => {
  it('sort (vocab 1..4, max len 5): every input padded to 5 with no mask decodes as alone (was 336 of 1,364 wrong)', () => {
    const e = findEntry('sort') as LibraryEntry;
    const dir = exportTl(compiled(e.build(), bounds([1, 2, 3, 4], 5)).model, 'finding-sort');
    expect(runTl(dir, ['--check-padding'])).toEqual({ inputs: 1364, mismatches: 0, examples: [] });
  });
});

describe('every library program at its library bounds: padded to the max length in one batch, no mask', () => {
  for (const e of REGISTRY) {
    it(`${e.name} (${e.vocab.length} × ${e.maxLen}${e.causal ? ', causal' : ''})`, async () => {
      const model = compiled(e.build(), bounds(e.vocab, e.maxLen, e.causal ?? false)).model;
      const prepared = new PreparedModel(model);
      const inputs = inputsFor(e);
      const want = inputs.map((input) => unpadded(prepared, input));
      // our own forward pass (no PAD mask)
      expect(firstDifference(inputs, want, inputs.map((input) => unpadded(prepared, input, e.maxLen)))).toBeUndefined();
      // onnxruntime, the graph has no mask input
      expect(firstDifference(inputs, want, await onnxPadded(model, inputs))).toBeUndefined();
      // TransformerLens's forward pass in numpy, no mask
      const dir = exportTl(model, e.name);
      writeFileSync(join(dir, 'inputs.json'), JSON.stringify(inputs.map((i) => i.map(valueToJson))));
      const { outputs } = runTl(dir, ['--inputs', join(dir, 'inputs.json'), '--pad-to', String(e.maxLen)]) as { outputs: unknown[] };
      expect(firstDifference(inputs, want, outputs)).toBeUndefined();
    });
  }
});

describe.runIf(process.env['RASPC_PADDING_EVERY_INPUT'] === '1')('every input of every library program through run_tl.py --check-padding', () => {
  for (const e of REGISTRY) {
    it(e.name, () => {
      const dir = exportTl(compiled(e.build(), bounds(e.vocab, e.maxLen, e.causal ?? false)).model, `every-${e.name}`);
      const r = runTl(dir, ['--check-padding']) as { inputs: number; mismatches: number };
      expect(r).toMatchObject({ inputs: inputCount(e.vocab.length, e.maxLen), mismatches: 0 });
    }, 3_600_000);
  }
});

describe('the PAD term is what masks (the runtime applies no mask), and the lemmas check it', () => {
  const nonCausal = REGISTRY.filter((e) => !(e.causal ?? false));

  it('zeroing the PAD term in the stored weights makes the lemmas fail, for every bidirectional library program', () => {
    for (const e of nonCausal) {
      const c = compiled(e.build(), bounds(e.vocab, Math.min(e.maxLen, 5)));
      const before = checkLemmas(c.typed.program, c.model);
      expect(Either.isRight(before) && before.right.verdict, e.name).toBe('verified');
      // a model without heads (detect_pattern_a: one MLP) has no scores to weaken
      const hasHead = c.model.manifest.nodes.some((n) => n.stages.some((st) => st.sublayer === 'attn'));
      for (const part of hasHead ? (['scores', 'embedding'] as const) : (['embedding'] as const)) {
        const r = checkLemmas(c.typed.program, withoutPadMask(c.model, part));
        expect(Either.isRight(r) && r.right.verdict, `${e.name} without the PAD ${part}`).toBe('failed');
      }
    }
  });

  it('without the PAD term, padded batches go wrong in our own forward pass too (it masks nothing)', () => {
    const e = findEntry('sort') as LibraryEntry;
    const model = withoutPadMask(compiled(e.build(), bounds(e.vocab, 5)).model, 'scores');
    const prepared = new PreparedModel(model);
    const wrong = randomInputs(e.vocab, 4, 10, 3).filter((input) => JSON.stringify(unpadded(prepared, input, 5)) !== JSON.stringify(unpadded(prepared, input)));
    expect(wrong.length).toBeGreaterThan(0);
  });
});

describe('the residual\'s own directions keep their names', () => {
  it('s-ops named one, bos or pad are renamed and do not share the residual\'s one, bos, pad directions', () => {
    for (const name of ['one', 'bos', 'pad']) {
      const x = D.named(D.numerical(D.map(D.lambda(['x'], E.binary('+', E.v('x'), E.lit(2))), D.tokens)), name);
      const program = D.aggregate(D.select(D.indices, D.indices, D.EQ), x);
      const c = compiled(D.numerical(program), bounds([1, 2], 3));
      expect(c.model.manifest.residual.filter((r) => r.label === name).length, name).toBe(1);
      const r = checkLemmas(c.typed.program, c.model);
      expect(Either.isRight(r) && r.right.lemmas.filter((l) => !l.holds).map((l) => l.statement), name).toEqual([]);
    }
  });
});
