import * as Either from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { runDrasp, predict } from '../../src/decompile/drasp/interpreter.js';
import { printDrasp } from '../../src/decompile/drasp/printer.js';
import { edgesOf } from '../../src/decompile/prune/edges.js';
import { maskedForward } from '../../src/decompile/prune/maskedForward.js';
import { pathEdgesOf, pathForward, stage2EdgeMask } from '../../src/decompile/prune/pathForward.js';
import { matchAccuracy, pruneModel, PRUNE_DEFAULTS, edgeMaskOf, type PrunedWiring } from '../../src/decompile/prune/prune.js';
import { linearizeTrained } from '../../src/decompile/prune/trainedModelPruning.js';
import { reparameterize } from '../../src/decompile/reparam/expandPaths.js';
import { Tape } from '../../src/nn/autodiff/tape.js';
import type { Batch } from '../../src/nn/batch.js';
import { accuracyByBin, testBatches } from '../../src/nn/evaluate.js';
import { predictionsOf } from '../../src/nn/predictions.js';
import { taskByName } from '../../src/tasks/registry.js';
import { type Task } from '../../src/tasks/task.js';
import { gpt2ConfigFor, initialGpt2 } from '../../src/train/trainGpt2.js';
import type { LinearizedTransformer } from '../../src/decompile/reparam/linearizedTransformer.js';
import { mulberry32 } from '../../src/util/random.js';
import { trainedFixture } from '../support/trainedFixture.js';
import { compiledTask, linearizeCompiled } from '../../src/decompile/prune/compiledPruning.js';
import { programSize } from '../../src/decompile/roundTrip.js';
import { findEntry } from '../../src/lib/index.js';
import { compile } from '../../src/passes/compile.js';
import { makeBounds } from '../../src/typecheck/bounds.js';

const right = <T>(e: Either.Either<unknown, T>): T => {
  if (Either.isLeft(e)) throw new Error(JSON.stringify(e.left));
  return e.right;
};

const task = (name: string): Task => {
  const t = taskByName(name);
  if (Either.isLeft(t)) throw new Error(t.left.message);
  return t.right;
};

const hardForward = (model: LinearizedTransformer, batch: Batch, wiring: PrunedWiring): Float64Array => {
  const tape = new Tape();
  return maskedForward(tape, model, batch, {
    edges: wiring.edges,
    masks: tape.constant(Float64Array.from(wiring.kept, (k) => (k ? 1 : 0)), [wiring.edges.length]),
    constants: wiring.constants.map((c) => tape.constant(c, [c.length])),
  }).logits.value;
};

/** Each sequence of the batch through the D-RASP interpreter: logits [size · length, vocab] (padding rows 0). */
const programLogits = (program: Parameters<typeof runDrasp>[0], batch: Batch, pad: number, vocab: number): Float64Array => {
  const out = new Float64Array(batch.size * batch.length * vocab);
  for (let s = 0; s < batch.size; s++) {
    let n = 0;
    while (n < batch.length && batch.ids[s * batch.length + n] !== pad) n++;
    const run = right(runDrasp(program, batch.ids.slice(s * batch.length, s * batch.length + n)));
    out.set(run.logits, s * batch.length * vocab);
  }
  return out;
};

describe('edge masks: the pruned program computes what the masked forward pass computes', () => {
  it('a random 2-layer model under a random wiring with random ablation constants', () => {
    const t = task('tomita4');
    const model = initialGpt2(gpt2ConfigFor(t, { layers: 2, heads: 2, dModel: 8, maxTestLength: 12 }), 9);
    for (const b of model.blocks) b.qkvWeight.forEach((v, i, a) => (a[i] = v * 30));
    const { linearized } = right(linearizeTrained(t, model, 16, 12));
    const edges = edgesOf(linearized);
    expect(edges.length).toBe(2 * 2 * 3 + 4 + 5 * 2 * 3 + 7 + 8);
    const random = mulberry32(4);
    const wiring: PrunedWiring = {
      edges,
      kept: edges.map(() => random() < 0.5),
      constants: edges.map(() => Float64Array.from({ length: linearized.d }, () => random() - 0.5)),
    };
    const program = right(reparameterize(linearized, { edges: edgeMaskOf(wiring) })).program;
    const [batch] = testBatches(t, { low: 0, high: 12 }, 6, 3, 6);
    const expected = hardForward(linearized, batch, wiring);
    const actual = programLogits(program, batch, t.pad, t.vocab.length);
    let worst = 0;
    for (let s = 0; s < batch.size; s++) {
      for (let i = batch.lossStart[s]; i < batch.lossStart[s + 1]; i++) {
        const row = batch.lossRows[i];
        for (let j = 0; j < t.vocab.length; j++) worst = Math.max(worst, Math.abs(expected[row * t.vocab.length + j] - actual[row * t.vocab.length + j]));
      }
    }
    expect(worst).toBeLessThan(1e-9);
    // and dropping edges changes the function (the check is not vacuous)
    const full = right(reparameterize(linearized)).program;
    const fullLogits = programLogits(full, batch, t.pad, t.vocab.length);
    expect(Math.max(...fullLogits.map((v, i) => Math.abs(v - actual[i])))).toBeGreaterThan(1e-3);
  });
});

describe('stages 2 and 3: the program under single-path and single-term masks computes what the path forward pass computes', () => {
  it('random 2-layer models under random wirings of all three stages', () => {
    const t = task('tomita4');
    for (const seed of [1, 2, 3]) {
      const model = initialGpt2(gpt2ConfigFor(t, { layers: 2, heads: 2, dModel: 8, maxTestLength: 12 }), 9 + seed);
      for (const b of model.blocks) b.qkvWeight.forEach((v, i, a) => (a[i] = v * 30));
      const { linearized } = right(linearizeTrained(t, model, 16, 12));
      const edges = edgesOf(linearized);
      const random = mulberry32(seed);
      const noise = (): Float64Array => Float64Array.from({ length: linearized.d }, () => random() - 0.5);
      const stage1: PrunedWiring = { edges, kept: edges.map(() => seed === 1 || random() < 0.6), constants: edges.map(noise) };
      const pathEdges = pathEdgesOf(linearized, stage1);
      const kept = pathEdges.map(() => random() < 0.6);
      const constants = pathEdges.map(noise);
      const [batch] = testBatches(t, { low: 0, high: 12 }, 6, 3, 6);
      const tape = new Tape();
      const expected = pathForward(tape, linearized, batch, stage1, {
        edges: pathEdges,
        masks: tape.constant(Float64Array.from(kept, (k) => (k ? 1 : 0)), [pathEdges.length]),
        constants: constants.map((c) => tape.constant(c, [c.length])),
        hard: true,
      }).logits.value;
      const program = right(reparameterize(linearized, { edges: stage2EdgeMask(stage1, pathEdges, kept, constants) })).program;
      const actual = programLogits(program, batch, t.pad, t.vocab.length);
      const V = t.vocab.length;
      let worst = 0;
      for (let i = 0; i < batch.lossRows.length; i++) {
        const r = batch.lossRows[i];
        for (let j = 0; j < V; j++) worst = Math.max(worst, Math.abs(expected[r * V + j] - actual[r * V + j]));
      }
      expect(worst).toBeLessThan(1e-9);
      // without stage-2/3 masks the path forward pass is the stage-1 forward pass
      const plain = pathForward(new Tape(), linearized, batch, stage1).logits.value;
      const stageOne = hardForward(linearized, batch, stage1);
      for (const r of batch.lossRows) for (let j = 0; j < V; j++) expect(Math.abs(plain[r * V + j] - stageOne[r * V + j])).toBeLessThan(1e-9);
    }
  });
});

describe('pruning a trained 1-layer model on binary majority', () => {
  it('the committed model was trained with the settings it records', () => {
    const { task: t, record, model } = trainedFixture('majority-1l1h16d');
    expect(model.config).toEqual(gpt2ConfigFor(t, record.settings));
  });

  it('has learnt to length-generalise, and its pruned program keeps match ≥ 0.9 and runs standalone', () => {
    // Trained by scripts/trainedFixtures.ts (400 steps; minutes on a loaded machine), read here.
    const { task: t, model } = trainedFixture('majority-1l1h16d');
    const [short, , long] = accuracyByBin(t, model, 100, 5);
    expect(short.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(long.accuracy).toBeGreaterThanOrEqual(0.8);

    const { linearized, reference } = right(linearizeTrained(t, model));
    const settings = { ...PRUNE_DEFAULTS, lambdas: [0.03], steps: 100, evalSamples: 100 };
    const result = right(pruneModel(t, linearized, reference, settings));
    const best = result.best;
    expect(best).toBeDefined();
    if (best === undefined) return;
    expect(best.match).toBeGreaterThanOrEqual(0.9);
    expect(best.lines).toBeLessThan(result.full.lines);
    expect(best.keptEdges).toBeLessThan(best.wiring.edges.length);
    const [stageOne, stageThree] = result.candidates;
    expect([stageOne.stage, stageThree.stage]).toEqual([1, 3]);
    expect(stageThree.lines).toBeLessThanOrEqual(stageOne.lines);
    expect(printDrasp(best.program)).toContain('aggregate(');

    // Simplified, the program is no larger, keeps match ≥ 0.9, and (run alone in the D-RASP
    // interpreter) has the reported match.
    const simplified = result.simplified;
    expect(simplified).toBeDefined();
    if (simplified === undefined) return;
    expect(simplified.lines).toBeLessThanOrEqual(best.lines);
    expect(simplified.match).toBeGreaterThanOrEqual(0.9);
    expect(printDrasp(simplified.program)).toContain('select_all()');
    const batches = testBatches(t, { low: 0, high: settings.evalMaxLength }, settings.evalSamples, settings.seed + 101, 16);
    let agree = 0;
    let total = 0;
    const V = t.vocab.length;
    for (const batch of batches) {
      const logits = programLogits(simplified.program, batch, t.pad, V);
      const mine = predictionsOf(t, logits, batch, V);
      const theirs = predictionsOf(t, reference(batch), batch, V);
      mine.forEach((row, s) => {
        total++;
        if (row.every((x, i) => x === theirs[s][i])) agree++;
      });
      // predict() of the interpreter agrees with the argmax used here
      const first = right(runDrasp(simplified.program, batch.ids.slice(0, batch.lossRows[batch.lossStart[1] - 1] + 1)));
      const p = predict(simplified.program, first.logits);
      expect(p.kind).toBe('argmax');
    }
    expect(agree / total).toBe(simplified.match);
    expect(matchAccuracy(t, linearized, reference, batches, best.wiring)).toBe(best.match);
  });
});

describe('pruning a compiled model', () => {
  for (const name of ['shift_by_1', 'detect_pattern_ab']) {
    it(`${name} (causal): recovers a program with match 1 and no more statements than the source has operations`, () => {
      const entry = findEntry(name);
      if (entry === undefined) throw new Error(name);
      const source = entry.build();
      const model = right(compile(source, right(makeBounds(entry.vocab, entry.maxLen, true)))).model;
      const t = compiledTask(model);
      const { linearized, reference } = linearizeCompiled(model);
      const settings = { ...PRUNE_DEFAULTS, lambdas: [0.01, 0.1], steps: 120, evalSamples: 100, evalMaxLength: entry.maxLen, trainMaxLength: entry.maxLen };
      const result = right(pruneModel(t, linearized, reference, settings));
      expect(result.full.match).toBe(1);
      const best = result.best;
      expect(best).toBeDefined();
      if (best === undefined) return;
      expect(best.match).toBe(1);
      expect(best.keptEdges).toBeLessThan(best.wiring.edges.length);
      const statements = best.program.statements.filter((s) => s.kind === 'selector' || (s.definition.kind !== 'tokens' && s.definition.kind !== 'positions')).length;
      expect(statements).toBeLessThanOrEqual(programSize(source));
    });
  }
});
