import * as Either from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { gpt2Files } from '../src/decompile/gpt2Files.js';
import { taskByName } from '../src/train/tasks.js';
import { roundedToFloat32 } from '../src/train/trainedModel.js';
import { TRAIN_DEFAULTS, trainGpt2 } from '../src/train/trainGpt2.js';

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
});
