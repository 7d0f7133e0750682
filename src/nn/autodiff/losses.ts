/**
 * Scalar losses over chosen rows of a logits matrix [rows, vocab]; each is the mean over the
 * chosen rows.
 */
import { gradOf, type Node, type Tape } from './tape.js';
import { at } from '../../util/at.js';

const softmaxRow = (logits: Float64Array, base: number, width: number, out: Float64Array): void => {
  let max = -Infinity;
  for (let j = 0; j < width; j++) max = Math.max(max, at(logits, base + j));
  let total = 0;
  for (let j = 0; j < width; j++) {
    out[j] = Math.exp(at(logits, base + j) - max);
    total += at(out, j);
  }
  for (let j = 0; j < width; j++) out[j] = at(out, j) / (total);
};

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** log(1 + e^x) without overflow. */
const softplus = (x: number): number => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));

/** Mean cross-entropy of `targets[i]` under softmax(logits[rows[i]]). */
export const crossEntropy = (tape: Tape, logits: Node, rows: Int32Array, targets: Int32Array): Node => {
  const width = at(logits.shape, 1);
  const probs = new Float64Array(rows.length * width);
  const row = new Float64Array(width);
  let total = 0;
  for (let i = 0; i < rows.length; i++) {
    softmaxRow(logits.value, at(rows, i) * width, width, row);
    probs.set(row, i * width);
    total -= Math.log(Math.max(at(row, at(targets, i)), 1e-300));
  }
  const n = Math.max(rows.length, 1);
  return tape.record(Float64Array.of(total / n), [1], [logits], (g) => {
    const lg = gradOf(logits);
    for (let i = 0; i < rows.length; i++) {
      const base = at(rows, i) * width;
      for (let j = 0; j < width; j++) lg[base + j] = at(lg, base + j) + ((at(g, 0) * (at(probs, i * width + j) - (j === at(targets, i) ? 1 : 0))) / n);
    }
  });
};

/** Mean (over rows and labels) binary cross-entropy of 0/1 label sets `targets` [rows.length, vocab]. */
export const binaryCrossEntropy = (tape: Tape, logits: Node, rows: Int32Array, targets: Float64Array): Node => {
  const width = at(logits.shape, 1);
  let total = 0;
  for (let i = 0; i < rows.length; i++) {
    for (let j = 0; j < width; j++) {
      const z = at(logits.value, at(rows, i) * width + j);
      total += softplus(z) - at(targets, i * width + j) * z;
    }
  }
  const n = Math.max(rows.length * width, 1);
  return tape.record(Float64Array.of(total / n), [1], [logits], (g) => {
    const lg = gradOf(logits);
    for (let i = 0; i < rows.length; i++) {
      for (let j = 0; j < width; j++) {
        const cell = at(rows, i) * width + j;
        lg[cell] = at(lg, cell) + ((at(g, 0) * (sigmoid(at(logits.value, cell)) - at(targets, i * width + j))) / n);
      }
    }
  });
};

/**
 * Mean KL(teacher ‖ student) at `rows`. `teacher` holds the teacher's logits [rows.length, vocab].
 * argmax outputs: KL of the softmax distributions; sigmoid outputs: the sum over labels of the
 * Bernoulli KLs.
 */
export const distillationKl = (tape: Tape, logits: Node, rows: Int32Array, teacher: Float64Array, prediction: 'argmax' | 'sigmoid'): Node => {
  const width = at(logits.shape, 1);
  const n = Math.max(rows.length, 1);
  const grads = new Float64Array(rows.length * width);
  let total = 0;
  if (prediction === 'argmax') {
    const p = new Float64Array(width);
    const q = new Float64Array(width);
    for (let i = 0; i < rows.length; i++) {
      softmaxRow(teacher, i * width, width, p);
      softmaxRow(logits.value, at(rows, i) * width, width, q);
      for (let j = 0; j < width; j++) {
        if (at(p, j) > 0) total += at(p, j) * (Math.log(at(p, j)) - Math.log(Math.max(at(q, j), 1e-300)));
        grads[i * width + j] = at(q, j) - at(p, j);
      }
    }
  } else {
    for (let i = 0; i < rows.length; i++) {
      for (let j = 0; j < width; j++) {
        const t = at(teacher, i * width + j);
        const s = at(logits.value, at(rows, i) * width + j);
        const p = sigmoid(t);
        // KL(Bern(p) ‖ Bern(q)) with logits t, s: p(log p − log q) + (1−p)(log(1−p) − log(1−q)).
        total += p * (softplus(-s) - softplus(-t)) + (1 - p) * (softplus(s) - softplus(t));
        grads[i * width + j] = sigmoid(s) - p;
      }
    }
  }
  return tape.record(Float64Array.of(total / n), [1], [logits], (g) => {
    const lg = gradOf(logits);
    for (let i = 0; i < rows.length; i++) {
      for (let j = 0; j < width; j++) lg[at(rows, i) * width + j] = at(lg, at(rows, i) * width + j) + ((at(g, 0) * at(grads, i * width + j)) / n);
    }
  });
};
