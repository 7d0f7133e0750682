import * as Either from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { gpt2Forward } from '../src/decompile/gpt2Forward.js';
import { distillationKl } from '../src/train/autodiff/losses.js';
import { Tape } from '../src/train/autodiff/tape.js';
import { makeBatch } from '../src/train/batch.js';
import { gpt2Leaves, gpt2Logits } from '../src/train/gpt2Graph.js';
import { taskByName, type Task } from '../src/train/tasks.js';
import { gpt2ConfigFor, initialGpt2, sampleExamples, taskLoss } from '../src/train/trainGpt2.js';
import { mulberry32 } from '../src/util/random.js';

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
});
