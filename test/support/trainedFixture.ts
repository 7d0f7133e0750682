/**
 * The committed trained models (test/fixtures/trained, written by scripts/trainedFixtures.ts):
 * tests read them instead of training for minutes.
 */
import { join } from 'node:path';
import * as Either from 'fp-ts/lib/Either.js';
import { readGpt2 } from '../../src/nn/gpt2Files.js';
import type { Gpt2Model } from '../../src/nn/gpt2Model.js';
import { readTaskRecord, type TaskRecord } from '../../src/nn/trainedModel.js';
import { taskByName } from '../../src/tasks/registry.js';
import { type Task } from '../../src/tasks/task.js';

export interface TrainedFixture {
  readonly task: Task;
  readonly record: TaskRecord;
  readonly model: Gpt2Model;
}

export const trainedFixture = (name: string): TrainedFixture => {
  const dir = join(import.meta.dirname, '..', 'fixtures', 'trained', name);
  const record = readTaskRecord(dir);
  if (Either.isLeft(record)) throw new Error(record.left.map((d) => d.message).join('; '));
  const task = taskByName(record.right.task);
  if (Either.isLeft(task)) throw new Error(task.left.message);
  const model = readGpt2(dir);
  if (Either.isLeft(model)) throw new Error(model.left.map((d) => d.message).join('; '));
  return { task: task.right, record: record.right, model: model.right };
};
