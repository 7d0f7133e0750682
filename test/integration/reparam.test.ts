/**
 * Faithful re-parameterization: compiled models and linear-LN GPT-2 models as D-RASP programs
 * that reproduce their logits, run by the standalone D-RASP interpreter.
 */
import * as Either from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/diagnostics.js';
import { predict, runDrasp } from '../../src/decompile/drasp/interpreter.js';
import { printDrasp } from '../../src/decompile/drasp/printer.js';
import { parseGpt2Config } from '../../src/nn/gpt2Config.js';
import { gpt2Forward, type LinearLnScales } from '../../src/nn/gpt2Forward.js';
import { gpt2FromTensors, type Gpt2Model } from '../../src/nn/gpt2Model.js';
import { reparameterize } from '../../src/decompile/reparam/expandPaths.js';
import type { ReparamOptions, Reparameterization } from '../../src/decompile/reparam/reparameterization.js';
import { compiledAsLinearized } from '../../src/decompile/reparam/fromCompiled.js';
import { estimateLnScales, gpt2AsLinearized, type Gpt2Sample } from '../../src/decompile/reparam/linearLn.js';
import { findEntry } from '../../src/lib/index.js';
import { decodeLogits } from '../../src/model/decode.js';
import { PreparedModel } from '../../src/model/forward.js';
import { BOS_ID, PAD_ID, type CompiledModel } from '../../src/model/model.js';
import { tensorF64, type Tensor } from '../../src/model/safetensors.js';
import { compile } from '../../src/passes/compile.js';
import { makeBounds } from '../../src/typecheck/bounds.js';
import { mulberry32, randomInt } from '../../src/util/random.js';

const right = <A>(e: Either.Either<readonly Diagnostic[], A>): A => {
  if (Either.isLeft(e)) throw new Error(e.left.map((d) => `${d.code}: ${d.message}`).join('\n'));
  return e.right;
};

const left = <A>(e: Either.Either<readonly Diagnostic[], A>): readonly Diagnostic[] => {
  if (Either.isRight(e)) throw new Error('expected Left, got Right');
  return e.left;
};

/** The linear-LN model: the one forward with each LayerNorm dividing by its fixed scale. */
const linearLnForward = (model: Gpt2Model, scales: LinearLnScales, ids: Int32Array, positionIds?: Int32Array): Float64Array =>
  gpt2Forward(model, ids, positionIds, { kind: 'fixed', scales });

const maxAbsDifference = (a: Float64Array, b: Float64Array): number => {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
};

const argmaxRows = (logits: Float64Array, width: number): Int32Array =>
  Int32Array.from({ length: logits.length / width }, (_, t) => {
    let best = 0;
    for (let j = 1; j < width; j++) if (logits[t * width + j] > logits[t * width + best]) best = j;
    return best;
  });

// ---------------------------------------------------------------------------------------------
// Compiled models

const compiledLibraryModel = (name: string): CompiledModel => {
  const entry = findEntry(name);
  if (entry === undefined) throw new Error(`no library program ${name}`);
  const bounds = right(makeBounds(entry.vocab, entry.maxLen, entry.causal ?? false));
  return right(compile(entry.build(), bounds)).model;
};

/** BOS, 1..maxLen vocabulary tokens, then (non-causal models) some PAD: the model's input ids. */
const randomCompiledInput = (model: CompiledModel, random: () => number): { ids: Int32Array; length: number } => {
  const { vocab, maxLen, causal } = model.manifest.bounds;
  const length = 1 + randomInt(random, maxLen);
  const padding = causal ? 0 : randomInt(random, maxLen - length + 1);
  const ids = new Int32Array(1 + length + padding).fill(PAD_ID);
  ids[0] = BOS_ID;
  for (let i = 1; i <= length; i++) ids[i] = 2 + randomInt(random, vocab.length);
  return { ids, length };
};

interface Agreement {
  readonly worst: number;
  readonly decodedAgree: number;
  readonly inputs: number;
}

/** The program's logits against the compiled model's forward pass on random inputs. */
const agreementWithModel = (model: CompiledModel, reparam: Reparameterization, inputs: number, seed: number): Agreement => {
  const prepared = new PreparedModel(model);
  const random = mulberry32(seed);
  let worst = 0;
  let decodedAgree = 0;
  for (let n = 0; n < inputs; n++) {
    const { ids, length } = randomCompiledInput(model, random);
    const expected = prepared.logits(prepared.run(ids));
    const run = right(runDrasp(reparam.program, ids));
    worst = Math.max(worst, maxAbsDifference(run.logits, expected));
    const output = model.manifest.output;
    const decoded = decodeLogits(expected, length, output);
    const same = JSON.stringify(decodeLogits(run.logits, length, output)) === JSON.stringify(decoded);
    // the program's own argmax prediction, where the model's output is a value (not a tie below tolerance)
    const predicted = predict(reparam.program, run.logits);
    const modelClasses = argmaxRows(expected, output.encoding === 'categorical' ? output.values.length : 1);
    const predictionsSame =
      predicted.kind === 'argmax' && decoded.every((value, i) => value === null || predicted.classes[i + 1] === modelClasses[i + 1]);
    if (same && predictionsSame) decodedAgree++;
  }
  return { worst, decodedAgree, inputs };
};

const LIBRARY_PROGRAMS = ['reverse', 'hist', 'sort', 'frac_prevs', 'length_causal', 'shift_by_1', 'pair_balance', 'double_hist', 'sort_freq', 'dyck1_ptf'];

describe('re-parameterization of compiled models', () => {
  const models = new Map<string, CompiledModel>();
  const modelOf = (name: string): CompiledModel => {
    const cached = models.get(name);
    if (cached !== undefined) return cached;
    const model = compiledLibraryModel(name);
    models.set(name, model);
    return model;
  };

  for (const name of LIBRARY_PROGRAMS) {
    it(`${name}: the pruned program reproduces the model's logits to 1e-6 and its decoded outputs`, () => {
      const model = modelOf(name);
      const reparam = right(reparameterize(compiledAsLinearized(model)));
      const agreement = agreementWithModel(model, reparam, 60, 11);
      const s = reparam.stats;
      console.log(
        `${name}: ${model.config.n_layers} layer(s) × ${model.config.n_heads} head(s); ${s.paths} paths (by depth ${s.pathsByDepth.join('/')}), ` +
          `${s.selectors} selectors, ${s.selectTerms}+${s.keyOnlyTerms} select terms, ${s.aggregates} aggregates, ${s.mlps} MLPs, ${s.projectLines} project lines; ` +
          `${s.zeroProductsDropped} zero products dropped; max |Δlogit| ${agreement.worst.toExponential(2)}`,
      );
      expect(agreement.worst).toBeLessThan(1e-6);
      expect(agreement.decodedAgree).toBe(agreement.inputs);
      expect(s.droppedByDepth).toBe(0);
    });
  }

  for (const name of ['reverse', 'hist', 'frac_prevs', 'length_causal']) {
    it(`${name}: the unpruned program (every path, zero products kept) reproduces the logits to 1e-6`, () => {
      const model = modelOf(name);
      const unpruned = right(reparameterize(compiledAsLinearized(model), { pruneZero: false }));
      const pruned = right(reparameterize(compiledAsLinearized(model)));
      const agreement = agreementWithModel(model, unpruned, 30, 5);
      const layers = model.config.n_layers;
      const heads = model.config.n_heads;
      // P(l + 1) = P(l) · (1 + heads) + 1 from P(0) = 2 (tok, pos)
      let expected = 2;
      for (let l = 0; l < layers; l++) expected = expected * (1 + heads) + 1;
      console.log(`${name} unpruned: ${unpruned.stats.paths} paths, ${unpruned.stats.selectTerms}+${unpruned.stats.keyOnlyTerms} select terms (pruned: ${pruned.stats.paths} paths)`);
      expect(unpruned.stats.paths).toBe(expected);
      expect(unpruned.stats.zeroProductsDropped).toBe(0);
      expect(pruned.stats.paths).toBeLessThanOrEqual(unpruned.stats.paths);
      expect(agreement.worst).toBeLessThan(1e-6);
      expect(agreement.decodedAgree).toBe(agreement.inputs);
    });
  }

  it('maxDepth drops the deeper paths and says how many', () => {
    const model = modelOf('reverse');
    const full = right(reparameterize(compiledAsLinearized(model)));
    const shallow = right(reparameterize(compiledAsLinearized(model), { maxDepth: 1 }));
    expect(Math.max(...full.paths.map((p) => p.depth))).toBeGreaterThan(1);
    expect(Math.max(...shallow.paths.map((p) => p.depth))).toBeLessThanOrEqual(1);
    expect(shallow.stats.droppedByDepth).toBeGreaterThan(0);
  });

  it('refuses to expand past maxPaths or maxScoreEntries, with a diagnostic', () => {
    const model = modelOf('reverse');
    const problems = left(reparameterize(compiledAsLinearized(model), { pruneZero: false, maxPaths: 5 }));
    expect(problems[0]?.code).toBe('reparam/too-many-paths');
    expect(problems[0]?.fix).toMatch(/maxDepth/);
    // layer 1 reads tok (6 dims), pos (6), l0h0_tok (6), l0h0_pos (6) and mlp0 (9): 33² entries
    const entries = left(reparameterize(compiledAsLinearized(model), { pruneZero: false, maxScoreEntries: 1000 }));
    expect(entries[0]?.message).toBe("the score matrices of layer 1's heads between 5 paths would hold 1089 numbers, more than the limit 1000");
  });

  it('every path embedding has its basis rows and the residual width', () => {
    const model = modelOf('sort');
    const reparam = right(reparameterize(compiledAsLinearized(model)));
    for (const path of reparam.paths) expect(path.embedding.cols).toBe(model.config.d_model);
    const tok = reparam.paths.find((p) => p.variable === 'tok');
    expect(tok?.embedding.rows).toBe(model.config.d_vocab);
  });

  it('prints the program of a compiled model in the paper form', () => {
    const model = modelOf('hist');
    const reparam = right(reparameterize(compiledAsLinearized(model)));
    const text = printDrasp(reparam.program);
    expect(text).toContain('tok = tokens');
    expect(text).toMatch(/^s_l0h0 = select\(q=tok, k=tok, op=M1\)/m);
    expect(text).toMatch(/^l0h0_tok = aggregate\(s_l0h0, v=tok\)/m);
    expect(text).toMatch(/^mlp0 = MLP0\(tok, l0h0_tok\)/m);
    expect(text).toMatch(/^logits = project\(inp=mlp0, op=P1\) \+ b/m);
    expect(text).toContain('prediction = argmax(logits)');
    // compiled models mask PAD keys in their weights: the program masks no key
    expect(text).toContain('# keys: all positions');
    expect(text).not.toContain('except those holding');
    // M1 is a small token × token table with the tokens as labels
    expect(text).toMatch(/M1: q=tok × k=tok \(6×6\)\n\s+<bos>\s+<pad>\s+a\s+b\s+c\s+d\n/);

    const reverse = printDrasp(right(reparameterize(compiledAsLinearized(modelOf('reverse')))).program);
    expect(reverse).toMatch(/select\(q=\w+, k=pos, op=M\d+\)/);
    expect(reverse).toMatch(/= aggregate\(s_l\d+h\d+, v=tok\)/);
  });
});

// ---------------------------------------------------------------------------------------------
// GPT-2 models under the linear-LayerNorm assumption

interface Gpt2Shape {
  readonly layers: number;
  readonly heads: number;
  readonly d: number;
  readonly vocab: number;
  readonly positions: number;
  readonly activation: 'gelu_new' | 'gelu' | 'relu';
  readonly tied: boolean;
}

/** A random GPT-2 model (HF tensor names), seeded; scales as in the GPT-2 loading tests. */
const randomGpt2 = (shape: Gpt2Shape, seed: number): Gpt2Model => {
  const random = mulberry32(seed);
  const inner = 4 * shape.d;
  const tensors = new Map<string, Tensor>();
  const add = (name: string, dims: number[], value: () => number): void => {
    tensors.set(name, tensorF64(dims, Float64Array.from({ length: dims.reduce((a, b) => a * b, 1) }, value)));
  };
  const uniform = (scale: number) => () => scale * (2 * random() - 1);
  const nearOne = () => 1 + 0.4 * (random() - 0.5);
  add('wte.weight', [shape.vocab, shape.d], uniform(1));
  add('wpe.weight', [shape.positions, shape.d], uniform(1));
  for (let l = 0; l < shape.layers; l++) {
    add(`h.${l}.ln_1.weight`, [shape.d], nearOne);
    add(`h.${l}.ln_1.bias`, [shape.d], uniform(0.2));
    add(`h.${l}.attn.c_attn.weight`, [shape.d, 3 * shape.d], uniform(2 / Math.sqrt(shape.d)));
    add(`h.${l}.attn.c_attn.bias`, [3 * shape.d], uniform(0.3));
    add(`h.${l}.attn.c_proj.weight`, [shape.d, shape.d], uniform(1.5 / Math.sqrt(shape.d)));
    add(`h.${l}.attn.c_proj.bias`, [shape.d], uniform(0.3));
    add(`h.${l}.ln_2.weight`, [shape.d], nearOne);
    add(`h.${l}.ln_2.bias`, [shape.d], uniform(0.2));
    add(`h.${l}.mlp.c_fc.weight`, [shape.d, inner], uniform(1.5 / Math.sqrt(shape.d)));
    add(`h.${l}.mlp.c_fc.bias`, [inner], uniform(0.3));
    add(`h.${l}.mlp.c_proj.weight`, [inner, shape.d], uniform(1.5 / Math.sqrt(inner)));
    add(`h.${l}.mlp.c_proj.bias`, [shape.d], uniform(0.3));
  }
  add('ln_f.weight', [shape.d], nearOne);
  add('ln_f.bias', [shape.d], uniform(0.2));
  if (!shape.tied) add('lm_head.weight', [shape.vocab, shape.d], uniform(1));
  const config = right(
    parseGpt2Config({
      model_type: 'gpt2',
      n_layer: shape.layers,
      n_head: shape.heads,
      n_embd: shape.d,
      n_positions: shape.positions,
      vocab_size: shape.vocab,
      activation_function: shape.activation,
      tie_word_embeddings: shape.tied,
    }),
  );
  return right(gpt2FromTensors(config, tensors));
};

/** Random token ids, and position ids from a random offset (as in length-generalisation training). */
const randomGpt2Sample = (model: Gpt2Model, random: () => number, maxLength: number): Required<Gpt2Sample> => {
  const length = 1 + randomInt(random, maxLength);
  const offset = randomInt(random, model.config.n_positions - length + 1);
  return {
    ids: Int32Array.from({ length }, () => randomInt(random, model.config.vocab_size)),
    positions: Int32Array.from({ length }, (_, i) => offset + i),
  };
};

const GPT2_SHAPES: readonly Gpt2Shape[] = [
  { layers: 2, heads: 2, d: 16, vocab: 7, positions: 16, activation: 'gelu_new', tied: true },
  { layers: 1, heads: 4, d: 12, vocab: 5, positions: 12, activation: 'relu', tied: false },
  { layers: 3, heads: 1, d: 8, vocab: 6, positions: 10, activation: 'gelu', tied: false },
];

describe('re-parameterization of GPT-2 models under the linear-LayerNorm assumption', () => {
  it('the fixed LayerNorm treatment is the true forward pass when each s is the position’s own √(var + ε)', () => {
    // one position: every LayerNorm sees one input, so its own scale is the estimate
    const model = randomGpt2(GPT2_SHAPES[0], 3);
    const ids = Int32Array.of(4);
    const positions = Int32Array.of(9);
    const scales = right(estimateLnScales(model, [{ ids, positions }]));
    const worst = maxAbsDifference(linearLnForward(model, scales, ids, positions), gpt2Forward(model, ids, positions));
    expect(worst).toBeLessThan(1e-12);
  });

  it('estimating scales needs samples', () => {
    const model = randomGpt2(GPT2_SHAPES[0], 3);
    expect(left(estimateLnScales(model, []))[0]?.code).toBe('reparam/no-samples');
  });

  for (const [index, shape] of GPT2_SHAPES.entries()) {
    const label = `${shape.layers} layer(s) × ${shape.heads} head(s), d=${shape.d}, ${shape.activation}, ${shape.tied ? 'tied' : 'untied'}`;
    it(`${label}: the linear-LN D-RASP program reproduces the linear-LN model's logits to 1e-6`, () => {
      const model = randomGpt2(shape, 100 + index);
      const random = mulberry32(7 + index);
      const samples = Array.from({ length: 40 }, () => randomGpt2Sample(model, random, shape.positions));
      const scales: LinearLnScales = right(estimateLnScales(model, samples));
      const reparam = right(reparameterize(right(gpt2AsLinearized(model, scales))));
      const s = reparam.stats;
      // dense weights: nothing is exactly zero, every path is kept
      let expectedPaths = 2;
      for (let l = 0; l < shape.layers; l++) expectedPaths = expectedPaths * (1 + shape.heads) + 1;
      expect(s.paths).toBe(expectedPaths);

      let worst = 0;
      let matchingPositions = 0;
      let positions = 0;
      let matchingSequences = 0;
      const tests = 100;
      for (let n = 0; n < tests; n++) {
        const { ids, positions: positionIds } = randomGpt2Sample(model, random, shape.positions);
        const program = right(runDrasp(reparam.program, ids, positionIds));
        worst = Math.max(worst, maxAbsDifference(program.logits, linearLnForward(model, scales, ids, positionIds)));
        const predicted = predict(reparam.program, program.logits);
        if (predicted.kind !== 'argmax') throw new Error('GPT-2 programs predict by argmax');
        const truth = argmaxRows(gpt2Forward(model, ids, positionIds), shape.vocab);
        let all = true;
        truth.forEach((c, t) => {
          positions++;
          if (predicted.classes[t] === c) matchingPositions++;
          else all = false;
        });
        if (all) matchingSequences++;
      }
      console.log(
        `GPT-2 ${label}: ${s.paths} paths (by depth ${s.pathsByDepth.join('/')}), ${s.selectTerms}+${s.keyOnlyTerms} select terms, ${s.projectLines} project lines; ` +
          `max |Δlogit| vs the linear-LN model ${worst.toExponential(2)}; match accuracy vs the true model: ` +
          `${((100 * matchingPositions) / positions).toFixed(1)}% of positions, ${((100 * matchingSequences) / tests).toFixed(0)}% of whole sequences`,
      );
      expect(worst).toBeLessThan(1e-6);
      expect(matchingPositions / positions).toBeGreaterThan(0.5);
    });
  }

  it('the position basis can be cut to the positions in use; bad vocabularies are refused', () => {
    const model = randomGpt2(GPT2_SHAPES[1], 9);
    const scales = right(estimateLnScales(model, [{ ids: Int32Array.of(0, 1, 2) }]));
    const cut = right(reparameterize(right(gpt2AsLinearized(model, scales, { positions: 4, tokenNames: ['a', 'b', 'c', 'd', 'e'] }))));
    const ids = Int32Array.of(3, 1, 4, 0);
    const run = right(runDrasp(cut.program, ids));
    expect(maxAbsDifference(run.logits, linearLnForward(model, scales, ids))).toBeLessThan(1e-6);
    expect(left(runDrasp(cut.program, Int32Array.of(0, 1, 2, 3, 4)))[0]?.message).toMatch(/position id 4 at 4 is outside pos's basis 0\.\.3/);
    expect(printDrasp(cut.program)).toContain('token basis {a, b, c, d, e}');
    expect(left(gpt2AsLinearized(model, scales, { tokenNames: ['a'] }))[0]?.code).toBe('reparam/bad-vocabulary');
    expect(left(gpt2AsLinearized(model, scales, { positions: 0 }))[0]?.code).toBe('reparam/bad-positions');
  });
});

describe('re-parameterization options', () => {
  it('options default to a faithful, zero-pruned expansion', () => {
    const options: ReparamOptions = {};
    const model = compiledLibraryModel('shift_by_1');
    const reparam = right(reparameterize(compiledAsLinearized(model), options));
    expect(reparam.stats.droppedByDepth).toBe(0);
    expect(reparam.stats.zeroProductsDropped).toBeGreaterThan(0);
  });
});
