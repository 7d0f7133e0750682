import * as Either from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { gpt2Files } from '../../src/nn/gpt2Files.js';
import { gpt2BatchLogits, testBatches } from '../../src/nn/evaluate.js';
import { predictionsOf } from '../../src/nn/predictions.js';
import { sequenceTokens } from '../../src/nn/batch.js';
import { taskByName } from '../../src/tasks/registry.js';
import { roundedToFloat32 } from '../../src/nn/trainedModel.js';
import { TRAIN_DEFAULTS, trainGpt2 } from '../../src/train/trainGpt2.js';
import { trainedFixture } from '../support/trainedFixture.js';

const trainedBytes = (seed: number): Uint8Array => {
  const task = taskByName('tomita2');
  if (Either.isLeft(task)) throw new Error(task.left.message);
  const model = trainGpt2(task.right, { ...TRAIN_DEFAULTS, layers: 1, heads: 2, dModel: 8, steps: 8, batchSize: 4, seed });
  if (Either.isLeft(model)) throw new Error(model.left.map((d) => d.message).join('; '));
  return gpt2Files(roundedToFloat32(model.right))['model.safetensors'];
};

describe('training', () => {
  it('is deterministic: the same settings give byte-identical weights, another seed different ones', () => {
    const a = trainedBytes(3);
    expect(Buffer.from(trainedBytes(3)).equals(Buffer.from(a))).toBe(true);
    expect(Buffer.from(trainedBytes(4)).equals(Buffer.from(a))).toBe(false);
  });

  it('refuses bad settings with diagnostics, not exceptions', () => {
    const task = taskByName('majority');
    if (Either.isLeft(task)) throw new Error(task.left.message);
    const bad = trainGpt2(task.right, { ...TRAIN_DEFAULTS, layers: 0, heads: 3, dModel: 8, steps: 0, learningRate: -1 });
    expect(Either.isLeft(bad)).toBe(true);
    if (Either.isLeft(bad)) expect(bad.left.map((d) => d.message)).toEqual([
      'layers must be a positive integer, not 0',
      'steps must be a positive integer, not 0',
      'learning rate must be positive, not -1',
    ]);
  });

  it('test batches by length hold the same examples, shortest first, and give each sequence the same logits', () => {
    const task = taskByName('tomita2');
    if (Either.isLeft(task)) throw new Error(task.left.message);
    const t = task.right;
    const sequences = (byLength: boolean): string[] =>
      testBatches(t, { low: 0, high: 30 }, 40, 9, 8, byLength).flatMap((b) => Array.from({ length: b.size }, (_, s) => Array.from(sequenceTokens(b, s, t.pad)).join(' ')));
    const drawn = sequences(false);
    const sorted = sequences(true);
    expect([...sorted].sort()).toEqual([...drawn].sort());
    const lengths = testBatches(t, { low: 0, high: 30 }, 40, 9, 8, true).map((b) => b.length);
    expect(lengths).toEqual([...lengths].sort((a, b) => a - b));
    expect(lengths[0]).toBeLessThan(lengths[lengths.length - 1]);
    // a briefly trained model (scripts/trainedFixtures.ts, saved as float32): each sequence's
    // logits and predictions do not depend on the batching
    const saved = trainedFixture('tomita2-1l2h8d').model;
    const vocab = saved.config.vocab_size;
    // each sequence's predictions and logits, keyed by its tokens
    const perSequence = (byLength: boolean): Map<string, string> => {
      const out = new Map<string, string>();
      for (const b of testBatches(t, { low: 0, high: 30 }, 40, 9, 8, byLength)) {
        const logits = gpt2BatchLogits(saved, b);
        const predicted = predictionsOf(t, logits, b, vocab);
        for (let s = 0; s < b.size; s++) {
          const tokens = sequenceTokens(b, s, t.pad);
          const rows = Array.from(logits.subarray(s * b.length * vocab, (s * b.length + tokens.length) * vocab), (v) => v.toFixed(12));
          out.set(Array.from(tokens).join(' '), `${predicted[s].join(',')}|${rows.join(',')}`);
        }
      }
      return out;
    };
    expect(perSequence(true)).toEqual(perSequence(false));
  });
});
