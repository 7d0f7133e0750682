/**
 * A worker thread of the exhaustive checker (exhaustive.ts): rebuilds the program (from its JSON)
 * and the model (from tensor copies), then checks the index ranges it is sent, one at a time,
 * posting progress and each range's outcome. A counterexample lowers the shared stop index at
 * once, so the other workers abandon inputs above it.
 */
import * as Either from 'fp-ts/lib/Either.js';
import { parentPort, workerData } from 'node:worker_threads';
import { decodeProgram } from '../ast/codec.js';
import type { CompiledModel, Tensor32 } from '../model/model.js';
import { lowerStop, RangeChecker, type FromWorker, type ToWorker, type WorkerSetup } from './exhaustive.js';

const port = parentPort;
if (port === null) throw new Error('exhaustiveWorker.ts runs as a worker thread of exhaustive.ts');

const post = (m: FromWorker): void => port.postMessage(m);

const start = (setup: WorkerSetup): void => {
  const program = decodeProgram(setup.program);
  if (Either.isLeft(program)) {
    post({ type: 'error', message: `the program does not decode: ${program.left.map((d) => d.message).join('; ')}` });
    return;
  }
  const model: CompiledModel = {
    config: setup.config,
    manifest: setup.manifest,
    tensors: new Map(setup.tensors.map(([name, shape, data]): [string, Tensor32] => [name, { shape, data }])),
  };
  const checker = new RangeChecker(program.right, model, setup.bounds);
  const stop = new BigInt64Array(setup.stop);
  const stopBefore = (): number => Number(Atomics.load(stop, 0));
  let pending = 0;
  let lastPost = performance.now();
  const progress = (delta: number): void => {
    pending += delta;
    const now = performance.now();
    if (now - lastPost >= 100) {
      post({ type: 'progress', done: pending });
      pending = 0;
      lastPost = now;
    }
  };
  port.on('message', (m: ToWorker) => {
    if (m.type === 'exit') {
      port.close();
      return;
    }
    try {
      const outcome = checker.checkRange(m.start, m.end, {
        stopAtFirst: setup.stopAtFirst,
        ...(setup.stopAtFirst ? { stopBefore } : {}),
        progress,
      });
      if (outcome.first !== undefined && setup.stopAtFirst) lowerStop(stop, outcome.first.index);
      if (pending > 0) {
        post({ type: 'progress', done: pending });
        pending = 0;
      }
      post({ type: 'range-done', start: m.start, end: m.end, outcome });
    } catch (e) {
      post({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    }
  });
};

start(workerData as WorkerSetup);
