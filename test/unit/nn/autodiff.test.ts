import * as Either from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { gpt2Forward } from '../../../src/nn/gpt2Forward.js';
import { distillationKl } from '../../../src/nn/autodiff/losses.js';
import { maskedScoreSum } from '../../../src/nn/autodiff/scores.js';
import { gradOf, Tape } from '../../../src/nn/autodiff/tape.js';
import { makeBatch } from '../../../src/nn/batch.js';
import { gpt2Leaves, gpt2Logits } from '../../../src/nn/gpt2Graph.js';
import { taskByName } from '../../../src/tasks/registry.js';
import { type Task } from '../../../src/tasks/task.js';
import { gpt2ConfigFor, initialGpt2, taskLoss } from '../../../src/train/trainGpt2.js';
import { sampleExamples } from '../../../src/tasks/sampling.js';
import { mulberry32 } from '../../../src/util/random.js';

const task = (name: string): Task => {
  const t = taskByName(name);
  if (Either.isLeft(t)) throw new Error(t.left.message);
  return t.right;
};

/** A small model with weights large enough that every nonlinearity matters. */
const sharpModel = (t: Task) => {
  const model = initialGpt2(gpt2ConfigFor(t, { layers: 2, heads: 2, dModel: 8, maxTestLength: 10 }), 3);
  for (const b of model.blocks) {
    b.qkvWeight.forEach((v, i, a) => (a[i] = v * 20));
    b.mlpInWeight.forEach((v, i, a) => (a[i] = v * 20));
    b.ln1Bias.forEach((_, i, a) => (a[i] = 0.1 * i));
  }
  return model;
};

describe('the GPT-2 graph on the autodiff tape', () => {
  for (const name of ['majority', 'tomita2']) {
    it(`${name}: logits equal the HF-numerics forward pass, with position offsets and padding`, () => {
      const t = task(name);
      const model = sharpModel(t);
      const examples = sampleExamples(t, mulberry32(5), [2, 4, 6], 3);
      const batch = makeBatch(t, examples, [0, 1, 2]);
      const tape = new Tape();
      const logits = gpt2Logits(tape, gpt2Leaves(tape, false), model, batch).value;
      const V = model.config.vocab_size;
      examples.forEach((e, s) => {
        const n = e.tokens.length;
        const ref = gpt2Forward(model, batch.ids.slice(s * batch.length, s * batch.length + n), batch.positions.slice(s * batch.length, s * batch.length + n));
        for (let i = 0; i < n * V; i++) expect(Math.abs(ref[i] - logits[s * batch.length * V + i])).toBeLessThan(1e-12);
      });
    });

    it(`${name}: every parameter's gradient matches central differences`, () => {
      const t = task(name);
      const model = sharpModel(t);
      const batch = makeBatch(t, sampleExamples(t, mulberry32(5), [3, 4, 5], 3), [0, 1, 2]);
      const lossOf = (): number => {
        const tape = new Tape();
        return taskLoss(tape, t, gpt2Logits(tape, gpt2Leaves(tape, false), model, batch), batch).value[0];
      };
      const tape = new Tape();
      const leaves = gpt2Leaves(tape, true);
      tape.backward(taskLoss(tape, t, gpt2Logits(tape, leaves, model, batch), batch));
      expect(leaves.nodes.size).toBe(4 + 12 * 2); // the tied embedding is one parameter
      for (const [array, node] of leaves.nodes) {
        for (const i of [0, 5, Math.floor(array.length / 2), array.length - 1]) {
          const old = array[i];
          const h = 1e-6;
          array[i] = old + h;
          const up = lossOf();
          array[i] = old - h;
          const down = lossOf();
          array[i] = old;
          const numeric = (up - down) / (2 * h);
          const analytic = node.grad?.[i] ?? 0;
          expect(Math.abs(numeric - analytic)).toBeLessThan(1e-6 + 1e-4 * Math.abs(numeric));
        }
      }
    });
  }

  it('distillation KL is zero against itself and positive otherwise, with the right gradient', () => {
    for (const prediction of ['argmax', 'sigmoid'] as const) {
      const teacher = Float64Array.of(0.5, -1, 2, 0.3, 0.1, -0.2);
      const kl = (student: Float64Array): number => {
        const tape = new Tape();
        return distillationKl(tape, tape.constant(student, [2, 3]), Int32Array.of(0, 1), teacher, prediction).value[0];
      };
      expect(kl(teacher)).toBeCloseTo(0, 12);
      const student = Float64Array.of(0, 0, 1, 1, -1, 0.5);
      expect(kl(student)).toBeGreaterThan(0);
      const tape = new Tape();
      const node = tape.param(student, [2, 3]);
      tape.backward(distillationKl(tape, node, Int32Array.of(0, 1), teacher, prediction));
      for (let i = 0; i < 6; i++) {
        const old = student[i];
        student[i] = old + 1e-6;
        const up = kl(student);
        student[i] = old - 1e-6;
        const down = kl(student);
        student[i] = old;
        expect(node.grad?.[i]).toBeCloseTo((up - down) / 2e-6, 6);
      }
    }
  });

  it('the fused masked score sum equals the sum of its terms, with the right gradients', () => {
    const random = mulberry32(8);
    const shape = { batch: 2, length: 4 };
    const rows = shape.batch * shape.length;
    const w = 3;
    const fill = (n: number): Float64Array => Float64Array.from({ length: n }, () => random() * 2 - 1);
    const q1 = fill(rows * w);
    const shared = fill(w);
    const k1 = fill(rows * w);
    const k2 = fill(rows * w);
    const masks = Float64Array.of(0.3, 0.8, 0.55);
    const weights = fill(shape.batch * shape.length * shape.length);
    const run = (tape: Tape, leaf: (v: Float64Array, dims: number[]) => ReturnType<Tape['constant']>) => {
      const m = leaf(masks, [3]);
      const nodes = { q1: leaf(q1, [rows, w]), shared: leaf(shared, [1, w]), k1: leaf(k1, [rows, w]), k2: leaf(k2, [rows, w]), m };
      const scores = maskedScoreSum(
        tape,
        [
          { q: nodes.q1, k: nodes.k1, masks: m, index: 0 },
          { q: nodes.q1, k: nodes.k2, masks: m, index: 1 },
          { q: nodes.shared, k: nodes.k2, masks: m, index: 2 },
        ],
        0.7,
        shape,
      );
      return { nodes, scores };
    };
    const plain = run(new Tape(), (v, dims) => new Tape().constant(v, dims)).scores.value;
    const T = shape.length;
    for (let b = 0; b < shape.batch; b++) {
      for (let i = 0; i < T; i++) {
        for (let j = 0; j < T; j++) {
          const dot = (qa: Float64Array, qi: number, ka: Float64Array): number => {
            let s = 0;
            for (let c = 0; c < w; c++) s += qa[qi * w + c] * ka[(b * T + j) * w + c];
            return s;
          };
          const expected = j > i ? 0 : 0.7 * (masks[0] * dot(q1, b * T + i, k1) + masks[1] * dot(q1, b * T + i, k2) + masks[2] * dot(shared, 0, k2));
          expect(plain[(b * T + i) * T + j]).toBeCloseTo(expected, 12);
        }
      }
    }
    const loss = (): number => run(new Tape(), (v, dims) => new Tape().constant(v, dims)).scores.value.reduce((sum, v, i) => sum + v * weights[i], 0);
    const tape = new Tape();
    const { nodes, scores } = run(tape, (v, dims) => tape.param(v, dims));
    const total = tape.record(Float64Array.of(scores.value.reduce((sum, v, i) => sum + v * weights[i], 0)), [1], [scores], (g) => {
      const sg = gradOf(scores);
      for (let i = 0; i < sg.length; i++) sg[i] += g[0] * weights[i];
    });
    tape.backward(total);
    for (const [name, values] of [['q1', q1], ['shared', shared], ['k1', k1], ['k2', k2], ['m', masks]] as const) {
      const grad = nodes[name].grad as Float64Array;
      for (let i = 0; i < values.length; i++) {
        const old = values[i];
        values[i] = old + 1e-6;
        const up = loss();
        values[i] = old - 1e-6;
        const down = loss();
        values[i] = old;
        expect(grad[i]).toBeCloseTo((up - down) / 2e-6, 6);
      }
    }
  });
});
