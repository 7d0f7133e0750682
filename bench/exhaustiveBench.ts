/**
 * Exhaustive-check benchmark: every input within bounds through the compiled model and the
 * interpreter (src/proofs/exhaustive.ts), in worker threads. Covers sort at vocabulary 4 / length 8
 * and every library program at its registry settings up to 20 million inputs (so Tracr's
 * (5, 10) settings of frac_prevs_lparen, frac_prevs_rparen and pair_balance, 12.2 M inputs each,
 * are in). Progress goes to stderr.
 */
import * as Either from 'fp-ts/lib/Either.js';
import * as D from '../src/ast/dsl.js';
import type { SOp } from '../src/ast/program.js';
import type { Value } from '../src/ast/value.js';
import { makeSort, REGISTRY } from '../src/lib/index.js';
import { compile } from '../src/passes/compile.js';
import { inputCount } from '../src/proofs/enumerate.js';
import { checkExhaustive } from '../src/proofs/exhaustive.js';
import { makeBounds } from '../src/typecheck/bounds.js';

export interface ExhaustiveRow {
  readonly name: string;
  readonly vocab: number;
  readonly maxLen: number;
  readonly inputs: number;
  readonly seconds: number;
  readonly inputsPerSecond: number;
  readonly workers: number;
  readonly verdict: string;
}

export interface ExhaustiveBenchOptions {
  /** Skip settings with more inputs than this (default 20 million). */
  readonly maxInputs?: number;
  /** Only these programs (by row name). */
  readonly only?: readonly string[];
  /** Rows measured before (an interrupted run), reused, and where new rows are kept. */
  readonly cache?: RowCache<ExhaustiveRow>;
}

interface Case {
  readonly name: string;
  readonly build: () => SOp;
  readonly vocab: readonly Value[];
  readonly maxLen: number;
  readonly causal: boolean;
}

import { RowCache } from './rowCache.js';

const fmt = (n: number): string => n.toLocaleString('en-US');

const run = async (c: Case): Promise<ExhaustiveRow> => {
  const bounds = makeBounds(c.vocab, c.maxLen, c.causal);
  if (Either.isLeft(bounds)) throw new Error(`bad bounds for ${c.name}`);
  const program = c.build();
  const compiled = compile(program, bounds.right);
  if (Either.isLeft(compiled)) throw new Error(`${c.name} failed to compile: ${compiled.left.map((d) => d.message).join('; ')}`);
  const total = inputCount(c.vocab.length, c.maxLen);
  process.stderr.write(`  ${c.name} (vocab ${c.vocab.length}, max length ${c.maxLen}): ${fmt(total)} inputs`);
  let nextReport = 0.1;
  const long = total >= 1_000_000;
  const r = await checkExhaustive(program, compiled.right.model, {
    onProgress: (done, all) => {
      if (long && done / all >= nextReport && done < all) {
        process.stderr.write(` ${Math.floor((done / all) * 100)}%`);
        nextReport = Math.floor((done / all) * 10) / 10 + 0.1;
      }
    },
  });
  process.stderr.write(
    ` → ${r.verdict} in ${r.seconds.toFixed(2)} s (${fmt(Math.round(r.inputsPerSecond))} inputs/s, ${r.workers} worker${r.workers === 1 ? '' : 's'})\n`,
  );
  if (r.counterexample !== undefined) process.stderr.write(`    ${r.counterexample.kind}: ${r.counterexample.message}\n`);
  return {
    name: c.name,
    vocab: c.vocab.length,
    maxLen: c.maxLen,
    inputs: total,
    seconds: r.seconds,
    inputsPerSecond: r.inputsPerSecond,
    workers: r.workers,
    verdict: r.verdict,
  };
};

export const exhaustiveBench = async (options: ExhaustiveBenchOptions = {}): Promise<{ rows: ExhaustiveRow[] }> => {
  const maxInputs = options.maxInputs ?? 20_000_000;
  const cases: Case[] = [
    {
      name: 'sort',
      build: () => makeSort(D.tokens, D.tokens, { maxSeqLen: 8, minKey: 1 }),
      vocab: [1, 2, 3, 4],
      maxLen: 8,
      causal: false,
    },
    ...REGISTRY.map((e) => ({ name: e.name, build: e.build, vocab: e.vocab, maxLen: e.maxLen, causal: e.causal ?? false })),
  ].filter((c) => inputCount(c.vocab.length, c.maxLen) <= maxInputs && (options.only === undefined || options.only.includes(c.name)));
  process.stderr.write(`exhaustive checks (${cases.length} settings)...\n`);
  const rows: ExhaustiveRow[] = [];
  for (const c of cases) {
    const key = `${c.name}/${c.vocab.length}/${c.maxLen}`;
    const known = options.cache?.get(key);
    const row = known ?? (await run(c));
    if (known === undefined) options.cache?.put(key, row);
    else process.stderr.write(`  ${c.name} (vocab ${c.vocab.length}, max length ${c.maxLen}): measured before, reused\n`);
    rows.push(row);
  }
  return { rows };
};
