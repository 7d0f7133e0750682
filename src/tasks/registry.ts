/** Every task by name: what `raspc train --task NAME` and task.json name. */
import * as Either from 'fp-ts/lib/Either.js';
import { diagnostic, type Diagnostic } from '../diagnostics.js';
import { abDbc, ababStar, abcde, aPeriodStar, dyck1, tomita1, tomita2, tomita3, tomita4, tomita5, tomita6, tomita7 } from './languages.js';
import { binaryAdditionTask, countTask, majorityTask, mostFrequentTask, parityTask, repeatCopyTask, sortTask, uniqueCopyTask, uniqueReverseTask } from './seq2seq.js';
import type { Task } from './task.js';

const registry: Readonly<Record<string, () => Task>> = {
  majority: majorityTask,
  most_freq: () => mostFrequentTask(),
  count: () => countTask(),
  sort: () => sortTask(),
  unique_copy: () => uniqueCopyTask(),
  unique_reverse: () => uniqueReverseTask(),
  repeat_copy: repeatCopyTask,
  parity: parityTask,
  addition: binaryAdditionTask,
  tomita1,
  tomita2,
  tomita3,
  tomita4,
  tomita5,
  tomita6,
  tomita7,
  dyck1_d2: () => dyck1(2),
  dyck1_d3: () => dyck1(3),
  dyck1_d4: () => dyck1(4),
  aastar: () => aPeriodStar(2),
  aaaastar: () => aPeriodStar(4),
  ababstar: ababStar,
  abcde,
  ab_d_bc: abDbc,
};

export const taskNames: readonly string[] = Object.keys(registry);

/** The task of this name, or a Left diagnostic listing the known names. */
export const taskByName = (name: string): Either.Either<Diagnostic, Task> => {
  const make = Object.prototype.hasOwnProperty.call(registry, name) ? registry[name] : undefined;
  return make === undefined
    ? Either.left(
        diagnostic('train/unknown-task', `unknown task '${name}'`, { fix: `use one of: ${taskNames.join(', ')}` }),
      )
    : Either.right(make());
};
