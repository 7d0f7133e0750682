import { describe, expect, it } from 'vitest';
import type { CompiledPoint } from '../../../bench/cliCompile.js';
import { failureReason } from '../../../bench/cliCompile.js';
import { fitExponent, growthFitTable, growthRowsTable, type GrowthPoint } from '../../../bench/growthTable.js';

const done = (parameters: number, compileCpu: number, certificateCpu = 0.5): CompiledPoint => ({
  kind: 'done',
  parameters,
  dModel: 10,
  layers: 3,
  heads: 1,
  dHead: 4,
  mlpWidth: 8,
  layerLowerBound: 3,
  compileCpu,
  certificateMethod: 'lemmas',
  certificateCpu,
  totalCpu: compileCpu + certificateCpu,
  peakRssMiB: 120.4,
  notes: [],
});

describe('fitExponent', () => {
  it('recovers the exponent of an exact power law', () => {
    const fit = fitExponent([16, 32, 64, 128].map((n) => ({ n, y: 7 * n ** 2.5 })));
    expect(fit?.points).toBe(4);
    expect(fit?.exponent).toBeCloseTo(2.5, 10);
  });

  it('is the least-squares slope on log-log for noisy points', () => {
    // ln y = 0, ln 4, ln 4 at ln n = 0, ln 2, ln 4 (n = 1, 2, 4): slope = 1 exactly by hand
    const fit = fitExponent([
      { n: 1, y: 1 },
      { n: 2, y: 4 },
      { n: 4, y: 4 },
    ]);
    expect(fit?.exponent).toBeCloseTo(1, 10);
  });

  it('needs two distinct lengths and ignores points that cannot be on a log scale', () => {
    expect(fitExponent([{ n: 16, y: 100 }])).toBeUndefined();
    expect(fitExponent([{ n: 16, y: 100 }, { n: 16, y: 200 }])).toBeUndefined();
    expect(fitExponent([{ n: 16, y: 100 }, { n: 32, y: 0 }, { n: 64, y: Number.NaN }])).toBeUndefined();
  });
});

describe('growth tables', () => {
  const points: GrowthPoint[] = [
    { program: 'reverse', vocab: 4, maxLen: 16, outcome: done(1000, 0.1) },
    { program: 'reverse', vocab: 4, maxLen: 32, outcome: done(2000, 0.2) },
    { program: 'sort_freq', vocab: 4, maxLen: 16, outcome: done(5000, 1) },
    { program: 'sort_freq', vocab: 4, maxLen: 32, outcome: { kind: 'failed', reason: 'did not finish: > 120 s CPU' } },
    { program: 'sort_freq', vocab: 4, maxLen: 64, outcome: { kind: 'skipped', reason: 'not run (max len 32 did not finish)' } },
  ];

  it('writes one row per point, with the reason where it did not finish', () => {
    const lines = growthRowsTable(points).split('\n');
    expect(lines).toHaveLength(2 + points.length);
    expect(lines[2]).toBe('| reverse | 4 | 16 | 1,000 | 10 | 3 | 0.10 s | lemmas, 0.50 s | 120 MiB |');
    expect(lines[5]).toBe('| sort_freq | 4 | 32 | did not finish: > 120 s CPU | | | | | |');
    expect(lines[6]).toContain('not run (max len 32 did not finish)');
    // every row has the header's number of cells
    const cells = (l: string | undefined) => (l ?? '').split('|').length;
    for (const l of lines) expect(cells(l)).toBe(cells(lines[0]));
  });

  it('fits each program over the points that finished only', () => {
    const lines = growthFitTable(points).split('\n');
    expect(lines[2]).toBe('| reverse | 16–32 | N^1.00 (2 points) | N^1.00 (2 points) | N^0.00 (2 points) |');
    expect(lines[3]).toBe('| sort_freq | 16–16 | — (fewer than 2 points) | — (fewer than 2 points) | — (fewer than 2 points) |');
  });
});

describe('failureReason', () => {
  const limits = { cpuSeconds: 120, memoryMiB: 4096 };
  it('tells the CPU budget, the heap cap and a refusal apart', () => {
    expect(failureReason('Command terminated by signal 24\nRUSAGE 120.0 0.1 99', limits, false)).toBe('did not finish: > 120 s CPU');
    expect(failureReason('FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\nCommand terminated by signal 6', limits, false)).toBe('out of memory (heap > 4096 MiB)');
    expect(failureReason('', limits, true)).toBe('did not finish: > 480 s wall (stopped)');
    expect(failureReason('error: examples/x.rasp: too large\n', limits, false)).toBe('refused: examples/x.rasp: too large');
  });
});
