/** Compile-time and model-size benchmark: every library program at Tracr's settings, and at scale. */
import * as Either from 'fp-ts/lib/Either.js';
import * as D from '../src/ast/dsl.js';
import type { SOp } from '../src/ast/program.js';
import type { Value } from '../src/ast/value.js';
import { findEntry, makeSort, REGISTRY } from '../src/lib/index.js';
import { compile } from '../src/passes/compile.js';
import { makeBounds } from '../src/typecheck/bounds.js';

/** Tracr's compiled sizes (SPEC §4): layers, d_model, parameters, and compile seconds where known. */
const TRACR: Record<string, { layers: number; dModel: number; params: number; seconds?: number }> = {
  'frac_prevs@4x5': { layers: 2, dModel: 14, params: 1108 },
  'reverse@4x5': { layers: 4, dModel: 43, params: 19700 },
  'hist@4x5': { layers: 1, dModel: 19, params: 1208 },
  'sort_unique@4x5': { layers: 2, dModel: 23, params: 2826 },
  'sort@4x5': { layers: 3, dModel: 43, params: 17544 },
  'sort_freq@4x5': { layers: 5, dModel: 66, params: 64122 },
  'shuffle_dyck2@4x5': { layers: 8, dModel: 55, params: 246884 },
  'shuffle_dyck3@6x6': { layers: 9, dModel: 73, params: 725253 },
  'pair_balance@5x10': { layers: 2, dModel: 23, params: 5442 },
  'count_less_freq_2@4x6': { layers: 2, dModel: 29, params: 4287 },
  'reverse@10x80': { layers: 0, dModel: 0, params: 27_600_000, seconds: 190 },
  'sort@20x20': { layers: 0, dModel: 0, params: 3_500_000, seconds: 0.85 },
};

export interface CompileRow {
  readonly name: string;
  readonly vocab: number;
  readonly maxLen: number;
  readonly seconds: number;
  readonly layers: number;
  readonly layerLowerBound: number;
  readonly heads: number;
  readonly dModel: number;
  readonly dHead: number;
  readonly mlpWidth: number;
  readonly parameters: number;
  readonly notes: readonly string[];
  readonly tracr?: (typeof TRACR)[string];
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const measure = (name: string, build: () => SOp, vocab: readonly Value[], maxLen: number, repeats: number): CompileRow => {
  const b = makeBounds(vocab, maxLen);
  if (Either.isLeft(b)) throw new Error(`bad bounds for ${name}`);
  const times: number[] = [];
  let last;
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    const r = compile(build(), b.right);
    times.push((performance.now() - started) / 1000);
    if (Either.isLeft(r)) throw new Error(`${name} failed to compile: ${r.left.map((d) => d.message).join('; ')}`);
    last = r.right.model;
  }
  const m = last as NonNullable<typeof last>;
  return {
    name,
    vocab: vocab.length,
    maxLen,
    seconds: median(times),
    layers: m.config.n_layers,
    layerLowerBound: m.manifest.allocation.layerLowerBound,
    heads: m.config.n_heads,
    dModel: m.config.d_model,
    dHead: m.config.d_head,
    mlpWidth: m.config.d_mlp,
    parameters: m.manifest.parameters,
    notes: m.manifest.notes,
    tracr: TRACR[`${name}@${vocab.length}x${maxLen}`],
  };
};

const symbols = (n: number): string[] => Array.from({ length: n }, (_, i) => `t${i}`);

export const compileBench = (): { library: CompileRow[]; scale: CompileRow[] } => {
  const library = REGISTRY.map((e) => measure(e.name, e.build, e.vocab, e.maxLen, 5));
  const entry = (n: string) => {
    const e = findEntry(n);
    if (e === undefined) throw new Error(n);
    return e.build;
  };
  const scale = [
    measure('reverse', entry('reverse'), symbols(10), 80, 3),
    measure('sort', () => makeSort(D.tokens, D.tokens, { maxSeqLen: 20, minKey: 1 }), Array.from({ length: 20 }, (_, i) => i + 1), 20, 3),
    measure('shuffle_dyck2', entry('shuffle_dyck2'), ['(', ')', '{', '}'], 24, 3),
    measure('hist', entry('hist'), symbols(10), 80, 3),
  ];
  return { library, scale };
};
