/**
 * Pure parts of the growth benchmark: the fitted growth exponent (least squares on log-log) and the
 * markdown tables docs/benchmarks.md shows.
 */
import type { PointOutcome } from './cliCompile.js';

export interface GrowthPoint {
  readonly program: string;
  readonly vocab: number;
  readonly maxLen: number;
  readonly outcome: PointOutcome | { readonly kind: 'skipped'; readonly reason: string };
}

export interface Fit {
  /** The slope of ln(y) against ln(N): y grows like N^exponent. */
  readonly exponent: number;
  /** How many points the fit used. */
  readonly points: number;
}

/** Least-squares slope of ln y on ln n over the points with n, y > 0; undefined under two distinct n. */
export const fitExponent = (points: readonly { readonly n: number; readonly y: number }[]): Fit | undefined => {
  const usable = points.filter((p) => p.n > 0 && p.y > 0 && Number.isFinite(p.y));
  if (new Set(usable.map((p) => p.n)).size < 2) return undefined;
  const xs = usable.map((p) => Math.log(p.n));
  const ys = usable.map((p) => Math.log(p.y));
  const mx = xs.reduce((s, x) => s + x, 0) / xs.length;
  const my = ys.reduce((s, y) => s + y, 0) / ys.length;
  let sxy = 0;
  let sxx = 0;
  for (const [i, x] of xs.entries()) {
    sxy += (x - mx) * ((ys[i] ?? my) - my);
    sxx += (x - mx) ** 2;
  }
  return { exponent: sxy / sxx, points: usable.length };
};

export const fmt = (n: number): string => (Number.isFinite(n) ? n.toLocaleString('en-US') : '—');
export const secs = (s: number): string =>
  !Number.isFinite(s) ? '—' : s < 0.01 ? `${(s * 1000).toFixed(1)} ms` : s < 100 ? `${s.toFixed(2)} s` : `${s.toFixed(0)} s`;
const exponent = (f: Fit | undefined): string => (f === undefined ? '— (fewer than 2 points)' : `N^${f.exponent.toFixed(2)} (${f.points} points)`);

/** One row per (program, max length); a point that did not finish says why in the size column. */
export const growthRowsTable = (points: readonly GrowthPoint[]): string =>
  [
    '| program | vocab | max len | parameters | d_model | layers | compile CPU | certificate (method, CPU) | peak RSS |',
    '|---|---|---|---|---|---|---|---|---|',
    ...points.map((p) => {
      const head = `| ${p.program} | ${p.vocab} | ${p.maxLen} |`;
      const o = p.outcome;
      if (o.kind !== 'done') return `${head} ${o.reason} | | | | | |`;
      return `${head} ${fmt(o.parameters)} | ${fmt(o.dModel)} | ${o.layers} | ${secs(o.compileCpu)} | ${o.certificateMethod}, ${secs(o.certificateCpu)} | ${fmt(Math.round(o.peakRssMiB))} MiB |`;
    }),
  ].join('\n');

/** The fitted exponents per program, over the points that finished. */
export const growthFitTable = (points: readonly GrowthPoint[]): string => {
  const programs = [...new Set(points.map((p) => p.program))];
  const rows = programs.map((program) => {
    const done = points.flatMap((p) => (p.program === program && p.outcome.kind === 'done' ? [{ n: p.maxLen, o: p.outcome }] : []));
    const lengths = done.map((d) => d.n);
    const range = lengths.length === 0 ? 'none' : `${Math.min(...lengths)}–${Math.max(...lengths)}`;
    const params = fitExponent(done.map((d) => ({ n: d.n, y: d.o.parameters })));
    const compile = fitExponent(done.map((d) => ({ n: d.n, y: d.o.compileCpu })));
    const certificate = fitExponent(done.map((d) => ({ n: d.n, y: d.o.certificateCpu })));
    return `| ${program} | ${range} | ${exponent(params)} | ${exponent(compile)} | ${exponent(certificate)} |`;
  });
  return ['| program | lengths that finished | parameters | compile CPU | certificate CPU |', '|---|---|---|---|---|', ...rows].join('\n');
};
