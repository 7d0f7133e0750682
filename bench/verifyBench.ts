/**
 * Verification benchmark: every library program by every method at its library (Tracr) bounds,
 * and by the lemma method at max lengths 32 and 64. Writes the rows for docs/verification.md.
 */
import * as Either from 'fp-ts/lib/Either.js';
import * as D from '../src/ast/dsl.js';
import type { SOp } from '../src/ast/program.js';
import type { Value } from '../src/ast/value.js';
import { makeSort, makeSortFreq, REGISTRY, type LibraryEntry } from '../src/lib/index.js';
import type { Method } from '../src/proofs/certificate.js';
import { inputCount } from '../src/proofs/enumerate.js';
import { verify } from '../src/passes/verifyProgram.js';
import { shutdownZ3 } from '../src/proofs/z3/solver.js';
import { makeBounds } from '../src/typecheck/bounds.js';
import type { RowCache } from './rowCache.js';

export interface VerifyRow {
  readonly program: string;
  readonly vocab: number;
  readonly maxLen: number;
  readonly method: Method;
  readonly verdict: string;
  readonly seconds: number;
  readonly detail: string;
  /** Z3 equivalence queries (one per length; z3 rows): how many, mean and slowest seconds. */
  readonly z3Queries?: { readonly count: number; readonly mean: number; readonly max: number };
}

/** Tracr's sort and sort_freq take the max length as a parameter. */
const builderAt = (e: LibraryEntry, maxLen: number): (() => SOp) =>
  e.name === 'sort'
    ? () => makeSort(D.tokens, D.tokens, { maxSeqLen: maxLen, minKey: 1 })
    : e.name === 'sort_freq'
      ? () => makeSortFreq(maxLen)
      : e.build;

const querySummary = (seconds: readonly number[]): { count: number; mean: number; max: number } => ({
  count: seconds.length,
  mean: seconds.length === 0 ? 0 : seconds.reduce((a, b) => a + b, 0) / seconds.length,
  max: seconds.length === 0 ? 0 : Math.max(...seconds),
});

/** Mean and slowest of the per-length equivalence queries. */
const queryTimes = (seconds: readonly number[]): string =>
  seconds.length === 0 ? 'none' : `mean ${(seconds.reduce((a, b) => a + b, 0) / seconds.length).toFixed(2)} s, max ${Math.max(...seconds).toFixed(2)} s`;

const run = async (e: LibraryEntry, maxLen: number, method: Method, z3TimeoutMs: number): Promise<VerifyRow> => {
  const b = makeBounds(e.vocab as Value[], maxLen, e.causal ?? false);
  if (Either.isLeft(b)) throw new Error(`bad bounds for ${e.name}`);
  const started = performance.now();
  const r = await verify(builderAt(e, maxLen)(), b.right, { method, z3TimeoutMs, exhaustiveLimit: 0 });
  const seconds = (performance.now() - started) / 1000;
  if (Either.isLeft(r)) return { program: e.name, vocab: e.vocab.length, maxLen, method, verdict: 'error', seconds, detail: r.left[0]?.message ?? '' };
  const c = r.right.certificate;
  const detail =
    method === 'exhaustive'
      ? `${c.exhaustive?.checked ?? 0} inputs`
      : method === 'lemmas'
        ? `${c.lemmas?.list.filter((l) => l.holds).length}/${c.lemmas?.list.length} lemmas, output error ${Number(c.lemmas?.outputError).toExponential(1)}`
        : `lengths ${c.z3?.equivalence.lengths.map((x) => x.result).join(' ')}; per query ${queryTimes(r.right.z3QuerySeconds)}; ${c.z3?.mlpFacts.reduce((s, f) => s + f.solverQueries, 0)} MLP queries${c.z3?.equivalence.reason ? `; ${c.z3.equivalence.reason}` : ''}`;
  return { program: e.name, vocab: e.vocab.length, maxLen, method, verdict: c.verdict, seconds, detail, ...(method === 'z3' ? { z3Queries: querySummary(r.right.z3QuerySeconds) } : {}) };
};

/** An exhaustive result measured elsewhere (exhaustiveBench), reused instead of checking again. */
export interface KnownExhaustive {
  readonly name: string;
  readonly vocab: number;
  readonly maxLen: number;
  readonly inputs: number;
  readonly seconds: number;
  readonly verdict: string;
}

export interface VerifyBenchOptions {
  readonly knownExhaustive?: readonly KnownExhaustive[];
  /** Skip exhaustive checks above this many inputs (default: none skipped). */
  readonly exhaustiveLimit?: number;
  readonly z3TimeoutMs?: number;
  readonly lemmaLengths?: readonly number[];
  readonly log?: (line: string) => void;
  /** Rows measured before (an interrupted run), reused, and where new rows are kept. */
  readonly cache?: RowCache<VerifyRow>;
  /** Skip lemma runs at these (program, max length) pairs, with the reason (documented, not measured). */
  readonly skip?: ReadonlyMap<string, string>;
}

export const verifyBench = async (options: VerifyBenchOptions = {}): Promise<VerifyRow[]> => {
  const rows: VerifyRow[] = [];
  const log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  for (const e of REGISTRY) {
    for (const method of ['lemmas', 'exhaustive', 'z3'] as const) {
      if (method === 'exhaustive' && inputCount(e.vocab.length, e.maxLen) > (options.exhaustiveLimit ?? Number.POSITIVE_INFINITY)) continue;
      const known =
        method === 'exhaustive'
          ? options.knownExhaustive?.find((k) => k.name === e.name && k.vocab === e.vocab.length && k.maxLen === e.maxLen)
          : undefined;
      const key = `${e.name}/${e.maxLen}/${method}`;
      const cached = options.cache?.get(key);
      const row: VerifyRow =
        cached ??
        (known
          ? { program: e.name, vocab: known.vocab, maxLen: known.maxLen, method, verdict: known.verdict, seconds: known.seconds, detail: `${known.inputs} inputs (from the exhaustive benchmark)` }
          : await run(e, e.maxLen, method, options.z3TimeoutMs ?? 60_000));
      if (cached === undefined) options.cache?.put(key, row);
      rows.push(row);
      log(`  ${row.program} (${row.vocab}, ${row.maxLen}) ${row.method}: ${row.verdict} in ${row.seconds.toFixed(2)} s — ${row.detail}`);
    }
    for (const n of options.lemmaLengths ?? [32, 64]) {
      const key = `${e.name}/${n}/lemmas`;
      const why = options.skip?.get(`${e.name}/${n}`);
      const cached = options.cache?.get(key);
      const row: VerifyRow =
        cached ?? (why !== undefined ? { program: e.name, vocab: e.vocab.length, maxLen: n, method: 'lemmas', verdict: 'not run', seconds: 0, detail: why } : await run(e, n, 'lemmas', 0));
      if (cached === undefined && why === undefined) options.cache?.put(key, row);
      rows.push(row);
      log(`  ${row.program} (${row.vocab}, ${row.maxLen}) lemmas: ${row.verdict} in ${row.seconds.toFixed(2)} s`);
    }
  }
  await shutdownZ3();
  return rows;
};
