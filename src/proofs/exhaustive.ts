/**
 * The exhaustive checker: a compiled model is correct when, on EVERY input of length 1..maxLen
 * over the vocabulary (the manifest's bounds, or bounds it covers: coveredBounds.ts), its decoded
 * output equals the interpreter's output
 * position by position (numbers under `valuesClose`; an undecodable position is wrong).
 *
 * An input on which the interpreter itself fails (an EvalError, e.g. an ambiguous categorical
 * aggregate) is a fault of the program, reported as a `program-error` counterexample: a program
 * must have an output on every input within its bounds.
 *
 * Inputs are enumerated in the order of enumerate.ts, so the first counterexample is the same
 * however the work is split. Large checks run in `worker_threads` (exhaustiveWorker.ts) over
 * index ranges handed out in increasing order; the lowest counterexample index wins, and with
 * `stopAtFirst` the ranges above it are abandoned (a shared word tells running workers where to stop).
 */
import * as Either from 'fp-ts/lib/Either.js';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { encodeProgram, type ProgramJson } from '../ast/codec.js';
import type { SOp } from '../ast/program.js';
import { isNumberLike, showValue, toNumber, valuesClose, type Value } from '../ast/value.js';
import { evaluate, formatEvalError } from '../interpreter/evaluate.js';
import { isUndecodable } from '../model/decode.js';
import { PreparedModel } from '../model/forward.js';
import { BOS_ID, type CompiledModel, type Manifest, type ModelConfig } from '../model/model.js';
import { runModel } from '../model/run.js';
import { InputCursor, inputCount } from './enumerate.js';

export interface Counterexample {
  readonly kind: 'mismatch' | 'program-error';
  readonly input: Value[];
  /** The interpreter's output (mismatch). */
  readonly expected?: Value[];
  /** The model's decoded output (mismatch). */
  readonly actual?: (Value | '<undecodable>')[];
  readonly message: string;
}

export interface ExhaustiveResult {
  readonly verdict: 'verified' | 'counterexample';
  /**
   * Inputs checked, in enumeration order: all of them when verified; with `stopAtFirst`, the
   * inputs up to and including the counterexample (every earlier one agrees).
   */
  readonly checked: number;
  readonly total: number;
  /** The first counterexample in enumeration order. */
  readonly counterexample?: Counterexample;
  /** Without `stopAtFirst`: how many inputs fail. */
  readonly failures?: number;
  readonly seconds: number;
  readonly inputsPerSecond: number;
  /** Threads that checked inputs (1: in this thread). */
  readonly workers: number;
}

export interface ExhaustiveOptions {
  /** Worker threads (default `os.availableParallelism()`); 1 checks in this thread. */
  readonly workers?: number;
  readonly onProgress?: (done: number, total: number) => void;
  /** Stop at the first counterexample (default true); false checks every input and counts failures. */
  readonly stopAtFirst?: boolean;
  /** Check these bounds (a vocabulary ⊆ the model's, a length ≤ its own) instead of the manifest's. */
  readonly bounds?: CheckedBounds;
}

/** The inputs an exhaustive check enumerates: every one of length 1..maxLen over the vocabulary. */
export interface CheckedBounds {
  readonly vocab: readonly Value[];
  readonly maxLen: number;
}

/** Below this many inputs, workers cost more to start than they save. */
export const PARALLEL_THRESHOLD = 20_000;

const UNDECODABLE = '<undecodable>';

const showInput = (input: readonly Value[]): string => input.map(showValue).join(' ');

/** A counterexample found at an index of the enumeration. */
export interface Found {
  readonly index: number;
  readonly counterexample: Counterexample;
}

export interface RangeOutcome {
  /** Inputs checked (from the start of the range; fewer than the range when stopped). */
  readonly checked: number;
  readonly failures: number;
  readonly first?: Found;
}

export interface RangeControl {
  readonly stopAtFirst: boolean;
  /** Polled now and then: stop before this index (a lower counterexample is known). */
  readonly stopBefore?: () => number;
  /** Called now and then with the number of inputs checked since the last call. */
  readonly progress?: (delta: number) => void;
}

/**
 * Checks index ranges of the enumeration for one program and model, in this thread. Reuses one
 * prepared model and its buffers; the interpreter runs once per input, as `evaluate` does.
 */
export class RangeChecker {
  private readonly prepared: PreparedModel;
  private readonly vocab: readonly Value[];
  private readonly maxLen: number;
  private readonly causal: boolean;
  readonly total: number;
  private readonly categorical: boolean;
  private readonly width: number;
  private readonly values: readonly Value[];
  private readonly numbers: Float64Array;
  /** Numerical output: the values' numbers ascending, and their indices in `values` (NaN-free only). */
  private readonly sorted: Float64Array | undefined;
  private readonly sortedIndex: Int32Array;
  private readonly tolerance: number;
  /** Token ids per length (BOS first). */
  private readonly ids: Int32Array[];
  /** The model's token id of each vocabulary item (digit). */
  private readonly tokenIds: Int32Array;
  private readonly logits: Float64Array;

  constructor(
    private readonly program: SOp,
    readonly model: CompiledModel,
    bounds: CheckedBounds = model.manifest.bounds,
  ) {
    this.prepared = new PreparedModel(model);
    const { vocab, maxLen } = bounds;
    const own = model.manifest.bounds;
    if (maxLen > own.maxLen) throw new Error(`bug: length ${maxLen} is beyond the model's ${own.maxLen}`);
    this.tokenIds = Int32Array.from(vocab, (v) => {
      const j = own.vocab.findIndex((w) => w === v);
      if (j < 0) throw new Error(`bug: ${showValue(v)} is not in the model's vocabulary`);
      return j + 2;
    });
    this.vocab = vocab;
    this.maxLen = maxLen;
    this.causal = own.causal;
    this.total = inputCount(vocab.length, maxLen);
    const out = model.manifest.output;
    this.categorical = out.encoding === 'categorical';
    this.width = this.categorical ? out.values.length : 1;
    this.values = out.values;
    this.numbers = Float64Array.from(out.values, (v) => (isNumberLike(v) ? toNumber(v) : Number.NaN));
    this.tolerance = out.tolerance;
    const order = Array.from(this.numbers.keys()).sort((a, b) => (this.numbers[a] as number) - (this.numbers[b] as number) || a - b);
    this.sorted = this.numbers.some(Number.isNaN) ? undefined : Float64Array.from(order, (i) => this.numbers[i] as number);
    this.sortedIndex = Int32Array.from(order);
    this.ids = Array.from({ length: maxLen + 1 }, (_, n) => new Int32Array(n + 1).fill(BOS_ID));
    this.logits = new Float64Array((maxLen + 1) * Math.max(1, model.config.d_vocab_out));
    if (model.config.d_vocab_out < this.width) throw new Error('bug: the output decoding is wider than the unembedding');
  }

  /**
   * The decoded value at position p (1-based) of the current logits, as `decodeLogits` decodes
   * it, or undefined where it is undecodable.
   */
  private decodeAt(p: number): Value | undefined {
    const logits = this.logits;
    const width = this.width;
    const o = p * this.prepared.model.config.d_vocab_out;
    if (this.categorical) {
      let best = -1;
      let bestLogit = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < width; j++) {
        const x = logits[o + j] as number;
        if (x > bestLogit) {
          bestLogit = x;
          best = j;
        }
      }
      return best < 0 || bestLogit < this.tolerance ? null : (this.values[best] as Value);
    }
    const x = logits[o] as number;
    const numbers = this.numbers;
    const best = this.sorted === undefined || Number.isNaN(x) ? this.nearestByScan(x) : this.nearest(this.sorted, x);
    return best >= 0 && Math.abs((numbers[best] as number) - x) <= this.tolerance ? (this.values[best] as Value) : undefined;
  }

  /** decodeLogits' choice: the first value (in `values` order) at the least distance from x. */
  private nearestByScan(x: number): number {
    const numbers = this.numbers;
    let best = -1;
    for (let j = 0; j < numbers.length; j++) {
      if (best < 0 || Math.abs((numbers[j] as number) - x) < Math.abs((numbers[best] as number) - x)) best = j;
    }
    return best;
  }

  /**
   * The same choice by binary search: |v − x| never decreases moving away from x in sorted order
   * (rounding is monotone), so every value at the least distance lies in one run around x.
   */
  private nearest(sorted: Float64Array, x: number): number {
    const n = sorted.length;
    if (n === 0) return -1;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((sorted[mid] as number) < x) lo = mid + 1;
      else hi = mid;
    }
    // sorted[lo - 1] < x <= sorted[lo]
    const left = lo > 0 ? Math.abs((sorted[lo - 1] as number) - x) : Number.POSITIVE_INFINITY;
    const right = lo < n ? Math.abs((sorted[lo] as number) - x) : Number.POSITIVE_INFINITY;
    const least = Math.min(left, right);
    const index = this.sortedIndex;
    let best = n;
    for (let i = lo - 1; i >= 0 && Math.abs((sorted[i] as number) - x) === least; i--) best = Math.min(best, index[i] as number);
    for (let i = lo; i < n && Math.abs((sorted[i] as number) - x) === least; i++) best = Math.min(best, index[i] as number);
    return best;
  }

  /** The counterexample for an input, or undefined when the model agrees with the interpreter. */
  checkInput(input: readonly Value[]): Counterexample | undefined {
    if (input.length < 1 || input.length > this.maxLen) throw new Error(`bug: an input of length ${input.length} is outside the bounds`);
    const digits = Int32Array.from(input, (v) => {
      const j = this.vocab.indexOf(v);
      if (j < 0) throw new Error(`bug: ${showValue(v)} is not in the vocabulary`);
      return j;
    });
    return this.checkDigits(digits, input.length, input, 0);
  }

  /**
   * Checks the input given by its digits and values. The model's token ids for this length are
   * kept between calls; positions before `from` are taken to be unchanged since the last call.
   */
  private checkDigits(digits: Int32Array, n: number, input: readonly Value[], from: number): Counterexample | undefined {
    const ids = this.ids[n] as Int32Array;
    for (let i = from; i < n; i++) ids[i + 1] = this.tokenIds[digits[i] as number] as number;
    const want = evaluate(this.program, input, { causal: this.causal });
    if (Either.isLeft(want)) {
      return {
        kind: 'program-error',
        input: [...input],
        message: `the program has no output on input ${showInput(input)}: ${formatEvalError(want.left)}`,
      };
    }
    const residual = this.prepared.runShared(ids);
    this.prepared.logitsInto(residual, n + 1, this.logits);
    const expected = want.right;
    for (let p = 1; p <= n; p++) {
      const got = this.decodeAt(p);
      if (got === undefined || !valuesClose(got, expected[p - 1] as Value)) return this.mismatch(input, expected);
    }
    return undefined;
  }

  /** The reported counterexample, through the reference path (runModel, decodeLogits). */
  private mismatch(input: readonly Value[], expected: readonly Value[]): Counterexample {
    const run = runModel(this.prepared, input);
    if (Either.isLeft(run)) throw new Error(`bug: the model refuses an input within its bounds: ${run.left[0]?.message ?? ''}`);
    const decoded = run.right;
    const actual = decoded.map((d): Value | typeof UNDECODABLE => (isUndecodable(d) ? UNDECODABLE : d));
    const wrong = decoded.findIndex((d, i) => isUndecodable(d) || !valuesClose(d, expected[i] as Value));
    if (wrong < 0) throw new Error(`bug: the fast decoder and decodeLogits disagree on input ${showInput(input)}`);
    const show = (i: number): string => {
      const d = decoded[i];
      return d === undefined || isUndecodable(d) ? UNDECODABLE : showValue(d);
    };
    return {
      kind: 'mismatch',
      input: [...input],
      expected: [...expected],
      actual,
      message:
        `on input ${showInput(input)} the model outputs ${decoded.map((_, i) => show(i)).join(' ')}, the interpreter ${expected.map(showValue).join(' ')} ` +
        `(first difference at position ${wrong}: ${show(wrong)} vs ${showValue(expected[wrong] as Value)})`,
    };
  }

  /** Checks inputs start ≤ i < end in order. */
  checkRange(start: number, end: number, control: RangeControl): RangeOutcome {
    if (start >= end) return { checked: 0, failures: 0 };
    const cursor = new InputCursor(this.vocab.length, this.maxLen, start);
    let checked = 0;
    let failures = 0;
    let first: Found | undefined;
    let reported = 0;
    let lastN = -1;
    for (;;) {
      const index = cursor.index;
      if ((checked & 255) === 0) {
        if (control.stopBefore !== undefined && index >= control.stopBefore()) break;
        if (control.progress !== undefined && checked - reported >= 4096) {
          control.progress(checked - reported);
          reported = checked;
        }
      }
      const n = cursor.length;
      const cex = this.checkDigits(cursor.digits, n, cursor.input(this.vocab), n === lastN ? cursor.changedFrom : 0);
      lastN = n;
      checked++;
      if (cex !== undefined) {
        failures++;
        if (first === undefined) first = { index, counterexample: cex };
        if (control.stopAtFirst) break;
      }
      if (index + 1 >= end || !cursor.next()) break;
    }
    if (control.progress !== undefined && checked > reported) control.progress(checked - reported);
    return first === undefined ? { checked, failures } : { checked, failures, first };
  }
}

/** What a worker is started with (the model's tensors as copies). */
export interface WorkerSetup {
  readonly program: ProgramJson;
  readonly config: ModelConfig;
  readonly manifest: Manifest;
  readonly bounds: CheckedBounds;
  readonly tensors: readonly (readonly [string, readonly number[], Float32Array])[];
  /** BigInt64Array over a SharedArrayBuffer: [0] = the lowest counterexample index known. */
  readonly stop: SharedArrayBuffer;
  readonly stopAtFirst: boolean;
}

export type ToWorker = { readonly type: 'range'; readonly start: number; readonly end: number } | { readonly type: 'exit' };

export type FromWorker =
  | { readonly type: 'progress'; readonly done: number }
  | { readonly type: 'range-done'; readonly start: number; readonly end: number; readonly outcome: RangeOutcome }
  | { readonly type: 'error'; readonly message: string };

/** Lowers the shared stop index to `index` (never raises it). */
export const lowerStop = (stop: BigInt64Array, index: number): void => {
  const want = BigInt(index);
  for (;;) {
    const cur = Atomics.load(stop, 0);
    if (cur <= want) return;
    if (Atomics.compareExchange(stop, 0, cur, want) === cur) return;
  }
};

const NO_STOP = BigInt(Number.MAX_SAFE_INTEGER);

/** tsx's ESM API (`tsx/esm/api`, import condition) as a file URL, or the bare specifier. */
const tsxApi = (): string => {
  try {
    const require = createRequire(import.meta.url);
    const pkgFile = require.resolve('tsx/package.json');
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { exports?: Record<string, { import?: { default?: string } | string }> };
    const entry = pkg.exports?.['./esm/api']?.import;
    const rel = typeof entry === 'string' ? entry : (entry?.default ?? './dist/esm/api/index.mjs');
    return pathToFileURL(join(dirname(pkgFile), rel)).href;
  } catch {
    return 'tsx/esm/api';
  }
};

/**
 * How to start a worker. From the built output, the `.js` file next to this one. From the
 * TypeScript sources (vitest, tsx), the `.ts` worker behind tsx's loader: Node 20 does not apply
 * loaders given as a worker's `--import` execArgv to the worker's own entry, so a two-line
 * bootstrap registers tsx's ESM hooks in the worker and then imports it.
 *
 * Why not tinypool or piscina (issue 14): they would not remove this. A worker started from the
 * TypeScript sources needs a loader whichever pool starts it, so the source/built switch stays;
 * what the pool here does beyond starting workers is specific to this check (one setup per worker
 * with its own transferred tensor copies, ranges handed out as workers ask, a shared stop index
 * that abandons ranges above a counterexample), which a task pool would take as much code to
 * express. Not tried: whether a pool whose own JS entry import()s our file would let tsx come in
 * as `--import` execArgv on Node 20 (then the bootstrap line, not the switch, would go).
 */
const workerEntry = (): { readonly spec: URL | string; readonly eval: boolean; readonly where: string } => {
  const here = fileURLToPath(import.meta.url);
  if (!here.endsWith('.ts')) {
    const file = new URL('./exhaustiveWorker.js', import.meta.url);
    return { spec: file, eval: false, where: file.href };
  }
  const file = new URL('./exhaustiveWorker.ts', import.meta.url).href;
  const code = `import(${JSON.stringify(tsxApi())}).then((tsx) => { tsx.register(); return import(${JSON.stringify(file)}); });`;
  return { spec: code, eval: true, where: file };
};

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const finish = (
  started: number,
  total: number,
  workers: number,
  stopAtFirst: boolean,
  failures: number,
  first: Found | undefined,
): ExhaustiveResult => {
  const seconds = (performance.now() - started) / 1000;
  const checked = first !== undefined && stopAtFirst ? first.index + 1 : total;
  return {
    verdict: first === undefined ? 'verified' : 'counterexample',
    checked,
    total,
    ...(first === undefined ? {} : { counterexample: first.counterexample }),
    ...(stopAtFirst ? {} : { failures }),
    seconds,
    inputsPerSecond: seconds > 0 ? checked / seconds : checked,
    workers,
  };
};

const inProcess = async (program: SOp, model: CompiledModel, total: number, options: ExhaustiveOptions, started: number): Promise<ExhaustiveResult> => {
  const stopAtFirst = options.stopAtFirst ?? true;
  const checker = new RangeChecker(program, model, options.bounds);
  const slice = 8192;
  let done = 0;
  let failures = 0;
  let first: Found | undefined;
  let lastReport = performance.now();
  for (let start = 0; start < total; start += slice) {
    const outcome = checker.checkRange(start, Math.min(total, start + slice), { stopAtFirst });
    done += outcome.checked;
    failures += outcome.failures;
    if (outcome.first !== undefined && first === undefined) first = outcome.first;
    if (first !== undefined && stopAtFirst) break;
    if (options.onProgress !== undefined && performance.now() - lastReport >= 100) {
      options.onProgress(done, total);
      lastReport = performance.now();
    }
    await yieldToEventLoop();
  }
  options.onProgress?.(first !== undefined && stopAtFirst ? first.index + 1 : total, total);
  return finish(started, total, 1, stopAtFirst, failures, first);
};

const inWorkers = (json: ProgramJson, model: CompiledModel, total: number, workers: number, options: ExhaustiveOptions, started: number): Promise<ExhaustiveResult> =>
  new Promise((resolve, reject) => {
    const stopAtFirst = options.stopAtFirst ?? true;
    const stopBuffer = new SharedArrayBuffer(8);
    const stop = new BigInt64Array(stopBuffer);
    stop[0] = NO_STOP;
    // ranges in increasing order, small enough to balance the load and to stop soon
    const chunk = Math.max(2_000, Math.min(250_000, Math.ceil(total / (workers * 32))));
    let next = 0;
    let running = 0;
    let failures = 0;
    let first: Found | undefined;
    let done = 0;
    let lastReport = 0;
    let settled = false;
    const entry = workerEntry();
    const pool: Worker[] = [];
    const stopAll = (): Promise<unknown> => Promise.all(pool.map((w) => w.terminate()));
    const fail = (message: string): void => {
      if (settled) return;
      settled = true;
      void stopAll().then(() => reject(new Error(`exhaustive check: ${message}`)));
    };
    const progress = (delta: number): void => {
      done += delta;
      const now = performance.now();
      if (options.onProgress !== undefined && now - lastReport >= 100) {
        lastReport = now;
        options.onProgress(Math.min(done, total), total);
      }
    };
    const nextRange = (worker: Worker): void => {
      const limit = first !== undefined && stopAtFirst ? first.index : total;
      if (next < limit) {
        const start = next;
        next = Math.min(total, next + chunk);
        running++;
        worker.postMessage({ type: 'range', start, end: next } satisfies ToWorker);
        return;
      }
      worker.postMessage({ type: 'exit' } satisfies ToWorker);
      if (running === 0 && !settled) {
        settled = true;
        void stopAll().then(() => {
          options.onProgress?.(first !== undefined && stopAtFirst ? first.index + 1 : total, total);
          resolve(finish(started, total, pool.length, stopAtFirst, failures, first));
        });
      }
    };
    for (let i = 0; i < workers; i++) {
      // copies, transferred to the worker (the caller's model is left alone)
      const copies = [...model.tensors].map(([name, t]) => [name, [...t.shape], new Float32Array(t.data)] as const);
      const bounds = options.bounds ?? model.manifest.bounds;
      const setup: WorkerSetup = { program: json, config: model.config, manifest: model.manifest, bounds, tensors: copies, stop: stopBuffer, stopAtFirst };
      let worker: Worker;
      try {
        worker = new Worker(entry.spec, {
          eval: entry.eval,
          execArgv: [],
          workerData: setup,
          transferList: copies.map(([, , data]) => data.buffer as ArrayBuffer),
        });
      } catch (e) {
        fail(`cannot start a worker (${entry.where}): ${e instanceof Error ? e.message : String(e)}`);
        return;
      }
      pool.push(worker);
      worker.on('message', (m: FromWorker) => {
        if (settled) return;
        switch (m.type) {
          case 'progress':
            progress(m.done);
            return;
          case 'error':
            fail(m.message);
            return;
          case 'range-done': {
            running--;
            failures += m.outcome.failures;
            const found = m.outcome.first;
            if (found !== undefined && (first === undefined || found.index < first.index)) {
              first = found;
              if (stopAtFirst) lowerStop(stop, found.index);
            }
            nextRange(worker);
            return;
          }
        }
      });
      worker.on('error', (e) => fail(`a worker failed: ${e instanceof Error ? e.message : String(e)}`));
      worker.on('exit', (code) => {
        if (!settled && code !== 0) fail(`a worker exited with code ${code}`);
      });
      nextRange(worker);
    }
  });

/**
 * Checks the model against the interpreter on every input within the manifest's bounds (or
 * `options.bounds`). Uses worker threads for large checks when the program can be serialized
 * (`encodeProgram`), else one in-process loop.
 */
export const checkExhaustive = async (program: SOp, model: CompiledModel, options: ExhaustiveOptions = {}): Promise<ExhaustiveResult> => {
  const started = performance.now();
  const { vocab, maxLen } = options.bounds ?? model.manifest.bounds;
  const total = inputCount(vocab.length, maxLen);
  if (!Number.isSafeInteger(total)) throw new Error(`exhaustive check: ${total} inputs is too many to enumerate`);
  const requested = Math.max(1, Math.floor(options.workers ?? availableParallelism()));
  const workers = Math.min(requested, Math.max(1, Math.ceil(total / 2_000)));
  if (workers <= 1 || total < PARALLEL_THRESHOLD) return inProcess(program, model, total, options, started);
  const json = encodeProgram(program);
  if (Either.isLeft(json)) return inProcess(program, model, total, options, started);
  return inWorkers(json.right, model, total, workers, options, started);
};
