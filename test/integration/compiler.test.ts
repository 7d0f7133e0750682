import * as Either from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { REGISTRY, type LibraryEntry } from '../../src/lib/index.js';
import { compile } from '../../src/passes/compile.js';
import { modelFiles } from '../../src/model/files.js';
import { parameterCount, type CompiledModel } from '../../src/model/model.js';
import * as D from '../../src/ast/dsl.js';
import { allInputs, bounds, compiled, disagreement, inputCount, randomInputs } from '../support/check.js';

/** Programs from the RASP paper are checked at small bounds (all inputs of length ≤ 5). */
const PAPER = new Set(['dyck1_ptf', 'dyck2_ptf', 'dyck3_ptf', 'most_freq', 'double_hist', 'sort_stable']);
const EXHAUSTIVE_BUDGET = 60_000;

const settings = (e: LibraryEntry): { maxLen: number; exhaustiveLen: number } => {
  const maxLen = PAPER.has(e.name) ? Math.min(e.maxLen, 5) : e.maxLen;
  let exhaustiveLen = maxLen;
  while (inputCount(e.vocab.length, exhaustiveLen) > EXHAUSTIVE_BUDGET) exhaustiveLen--;
  return { maxLen, exhaustiveLen };
};

describe('every library program compiles and agrees with the interpreter', () => {
  for (const e of REGISTRY) {
    const { maxLen, exhaustiveLen } = settings(e);
    const scope =
      exhaustiveLen === maxLen
        ? `on every input of length 1..${maxLen}`
        : `on every input of length 1..${exhaustiveLen} and random inputs up to ${maxLen}`;
    it(`${e.name} (vocab ${e.vocab.length}, max length ${maxLen}) ${scope}`, () => {
      const causal = e.causal ?? false;
      const c = compiled(e.build(), bounds(e.vocab, maxLen, causal));
      const inputs = exhaustiveLen === maxLen ? allInputs(e.vocab, maxLen) : [...allInputs(e.vocab, exhaustiveLen), ...randomInputs(e.vocab, maxLen, 60)];
      const r = disagreement(e.build(), c, inputs, causal);
      expect(r.mismatch).toBeUndefined();
      expect(r.compared).toBeGreaterThan(0);
    });
  }
});

/**
 * What the `pad` direction costs (the parameters of one residual dimension): Tracr's models have
 * no such direction and are wrong on padded batches (defect 5), so sizes compare without it.
 */
const padDirectionCost = (m: CompiledModel): number =>
  m.manifest.residual.some((r) => r.label === 'pad') ? parameterCount(m.config) - parameterCount({ ...m.config, d_model: m.config.d_model - 1 }) : 0;

describe('Tracr sizes (SPEC §4): never larger on layers, d_model or parameters (less the PAD direction Tracr lacks)', () => {
  // layers / d_model / params of Tracr's compiled models at its own test settings
  const tracr: Record<string, [number, number, number, number]> = {
    frac_prevs: [2, 14, 1108, 5],
    reverse: [4, 43, 19700, 5],
    hist: [1, 19, 1208, 5],
    sort_unique: [2, 23, 2826, 5],
    sort: [3, 43, 17544, 5],
    sort_freq: [5, 66, 64122, 5],
    shuffle_dyck2: [8, 55, 246884, 5],
    shuffle_dyck3: [9, 73, 725253, 6],
    pair_balance: [2, 23, 5442, 10],
    count_less_freq_2: [2, 29, 4287, 6],
  };
  for (const [name, [layers, dModel, params, maxLen]] of Object.entries(tracr)) {
    it(`${name}: ≤ ${layers} layers, d_model ≤ ${dModel}, ≤ ${params} parameters`, () => {
      const e = REGISTRY.find((x) => x.name === name) as LibraryEntry;
      expect(e.maxLen).toBe(maxLen);
      const m = compiled(e.build(), bounds(e.vocab, e.maxLen)).model;
      expect(m.config.n_layers).toBeLessThanOrEqual(layers);
      expect(m.config.d_model).toBeLessThanOrEqual(dModel);
      expect(m.manifest.parameters - padDirectionCost(m)).toBeLessThanOrEqual(params);
      expect(m.manifest.allocation.layers).toBe(m.manifest.allocation.layerLowerBound);
    });
  }
});

describe('determinism and rejection', () => {
  it('the same program and bounds give byte-identical model files', () => {
    const e = REGISTRY.find((x) => x.name === 'sort_freq') as LibraryEntry;
    const a = modelFiles(compiled(e.build(), bounds(e.vocab, e.maxLen)).model);
    const b = modelFiles(compiled(e.build(), bounds(e.vocab, e.maxLen)).model);
    expect(Object.keys(a)).toEqual(Object.keys(b));
    for (const k of Object.keys(a)) expect(Buffer.compare(Buffer.from(a[k] as Uint8Array), Buffer.from(b[k] as Uint8Array))).toBe(0);
  });

  it('an unsupported program is rejected before any weights exist, with the checker\'s message', () => {
    const numericalKeys = D.aggregate(D.select(D.numerical(D.indices), D.indices, D.LT), D.tokens);
    const r = compile(numericalKeys, bounds(['a', 'b'], 4));
    expect(Either.isLeft(r)).toBe(true);
    if (Either.isRight(r)) return;
    expect(r.left[0]?.code).toBe('rule/numerical-key');
    expect(r.left[0]?.fix).toMatch(/categorical/);
  });
});
