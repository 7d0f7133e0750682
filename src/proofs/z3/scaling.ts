/** Rationals scaled to integers for the solver: common denominators, and the bit widths a query at length n needs. */
import { rat, type Rat } from './rational.js';
import type { HardNode, HardProgram, Table } from './hardProgram.js';
import type { SourceNode, SourceProgram } from './sourceSemantics.js';
import { bitsFor, Terms } from './terms.js';
import type { Z3Context } from './solver.js';

const gcd = (a: bigint, b: bigint): bigint => {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
};

/** A common denominator D of some rationals and the largest |r·D|. */
interface Scale {
  readonly d: bigint;
  readonly max: bigint;
}

const scaleOf = (rs: readonly Rat[]): Scale => {
  let d = 1n;
  for (const r of rs) d = (d / gcd(d, r.q)) * r.q;
  let max = 1n;
  for (const r of rs) {
    const x = (r.p < 0n ? -r.p : r.p) * (d / r.q);
    if (x > max) max = x;
  }
  return { d, max };
};

export const scaled = (r: Rat, d: bigint): bigint => r.p * (d / r.q);

export const sourceScale = (node: Extract<SourceNode, { kind: 'aggregate' }>): Scale =>
  scaleOf([...(node.valueNumbers ?? []), ...(node.numbers ?? [])].filter((r): r is Rat => r !== undefined));

export const hardScale = (node: Extract<HardNode, { kind: 'aggregate' }>): Scale =>
  scaleOf([
    ...node.written.flat(),
    ...node.writtenBos,
    ...(node.space.intervals ?? []).flat(),
    ...(node.space.representation === 'categorical' ? [rat(1n, 2n)] : []),
  ]);

/** Bit widths for a query at length n: value indices / ranks / counts, and scaled sums. */
export const widths = (src: SourceProgram, hp: HardProgram, n: number): { intBits: number; wideBits: number } => {
  let maxInt = Math.max(n + 2, 4, src.vocab.length, hp.maxLen + 2);
  const tableMax = (t: Table<number>): void => {
    for (const x of t.data) maxInt = Math.max(maxInt, Math.abs(x));
    for (const d of t.dims) maxInt = Math.max(maxInt, d);
  };
  let maxWide = 1n;
  for (const node of src.nodes) {
    if ('values' in node) maxInt = Math.max(maxInt, node.values.length);
    if (node.kind === 'table' || node.kind === 'select') tableMax(node.table);
    if (node.kind === 'aggregate' && node.encoding === 'numerical') {
      const s = sourceScale(node);
      const m = s.max * BigInt(n + 1);
      if (m > maxWide) maxWide = m;
    }
  }
  for (const node of hp.nodes) {
    maxInt = Math.max(maxInt, node.space.values.length);
    if (node.kind === 'embed' || node.kind === 'mlp' || node.kind === 'width') tableMax(node.table);
    if (node.kind === 'aggregate' || node.kind === 'width') {
      tableMax(node.attention.rank);
      tableMax(node.attention.bosRank);
    }
    if (node.kind === 'aggregate') {
      const s = hardScale(node);
      const m = s.max * BigInt(n + 2);
      if (m > maxWide) maxWide = m;
    }
  }
  return { intBits: bitsFor(maxInt) + 1, wideBits: bitsFor(maxWide) + 2 };
};

/** The terms builder for a query at length n. */
export const termsFor = (ctx: Z3Context, src: SourceProgram, hp: HardProgram, n: number): Terms => {
  const w = widths(src, hp, n);
  return new Terms(ctx, w.intBits, w.wideBits);
};

/** table c → r·D·c for counts c = 0..size-1. */
export const timesCount = (r: Rat, d: bigint, size: number): Table<bigint> => ({
  dims: [size],
  data: Array.from({ length: size }, (_, c) => scaled(r, d) * BigInt(c)),
});

