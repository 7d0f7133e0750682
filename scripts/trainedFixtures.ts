/**
 * The small trained models the tests read instead of training them (training takes minutes on a
 * loaded 2-core machine): each is trained with fixed settings and a seed, rounded to float32 and
 * written as a HuggingFace GPT-2 directory with its task.json under test/fixtures/trained/<name>/.
 * Training is deterministic, so running this again rewrites the same bytes.
 *
 *   npx tsx scripts/trainedFixtures.ts
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as Either from 'fp-ts/lib/Either.js';
import { writeGpt2 } from '../src/nn/gpt2Files.js';
import { roundedToFloat32, TASK_FILE, type TaskRecord } from '../src/nn/trainedModel.js';
import { taskByName } from '../src/tasks/registry.js';
import { TRAIN_DEFAULTS, trainGpt2 } from '../src/train/trainGpt2.js';

/** Name → what it is trained on and how; the tests name the fixture directory. */
export const TRAINED_FIXTURES: Readonly<Record<string, TaskRecord>> = {
  'majority-1l1h16d': { task: 'majority', settings: { ...TRAIN_DEFAULTS, layers: 1, heads: 1, dModel: 16, steps: 400, seed: 2 } },
  'tomita2-1l2h8d': { task: 'tomita2', settings: { ...TRAIN_DEFAULTS, layers: 1, heads: 2, dModel: 8, steps: 90, batchSize: 8, seed: 1 } },
};

const main = (): void => {
  for (const [name, record] of Object.entries(TRAINED_FIXTURES)) {
    const task = taskByName(record.task);
    if (Either.isLeft(task)) throw new Error(task.left.message);
    const model = trainGpt2(task.right, record.settings);
    if (Either.isLeft(model)) throw new Error(model.left.map((d) => d.message).join('; '));
    const dir = join('test', 'fixtures', 'trained', name);
    const written = writeGpt2(dir, roundedToFloat32(model.right), { dtype: 'F32' });
    if (Either.isLeft(written)) throw new Error(written.left.map((d) => d.message).join('; '));
    writeFileSync(join(dir, TASK_FILE), `${JSON.stringify(record, null, 2)}\n`);
    process.stdout.write(`${dir}\n`);
  }
};

main();
