/**
 * One compile through the user's path: `raspc compile FILE ... --json` (the built CLI, certification
 * included as the CLI does it) in a child process with a CPU-time budget and a heap cap, so a point
 * that blows up is recorded as not finished instead of hanging or crashing the benchmark.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PointLimits {
  /** CPU seconds (all threads, user + system) before the child is stopped (SIGXCPU). */
  readonly cpuSeconds: number;
  /** V8 heap cap in MiB (--max-old-space-size). */
  readonly memoryMiB: number;
}

export interface CompileSettings {
  readonly file: string;
  /** The vocabulary as the CLI takes it: comma-separated. */
  readonly vocab: string;
  readonly maxLen: number;
  readonly causal: boolean;
}

export interface CompiledPoint {
  readonly kind: 'done';
  readonly parameters: number;
  readonly dModel: number;
  readonly layers: number;
  readonly heads: number;
  readonly dHead: number;
  readonly mlpWidth: number;
  readonly layerLowerBound: number;
  /** CPU seconds of compile() as the CLI times it (its timer reads the CPU clock: bench/cpuClock.mjs). */
  readonly compileCpu: number;
  readonly certificateMethod: string;
  readonly certificateCpu: number;
  /** The whole child process: start-up, compile, certification, writing the files. */
  readonly totalCpu: number;
  readonly peakRssMiB: number;
  readonly notes: readonly string[];
}

export interface FailedPoint {
  readonly kind: 'failed';
  /** One line: "did not finish: > 120 s CPU", "out of memory (heap > 4096 MiB)", "refused: ...". */
  readonly reason: string;
}

export type PointOutcome = CompiledPoint | FailedPoint;

const CLI = 'dist/src/cli/main.js';
const CPU_CLOCK = fileURLToPath(new URL('./cpuClock.mjs', import.meta.url));
const SIGXCPU = 24;
const SIGKILL = 9;

interface CliResult {
  readonly ok?: boolean;
  readonly parameters?: number;
  readonly dModel?: number;
  readonly layers?: number;
  readonly heads?: number;
  readonly dHead?: number;
  readonly mlpWidth?: number;
  readonly layerLowerBound?: number;
  readonly seconds?: number;
  readonly notes?: readonly string[];
  readonly certification?: { readonly verdict?: string; readonly method?: string; readonly seconds?: number };
  readonly errors?: readonly { readonly message?: string }[];
}

const lastJsonLine = (stdout: string): CliResult | undefined => {
  const line = stdout.trim().split('\n').reverse().find((l) => l.startsWith('{'));
  if (line === undefined) return undefined;
  try {
    return JSON.parse(line) as CliResult;
  } catch {
    return undefined;
  }
};

/** The reason a child that printed no result stopped, from its exit and what /usr/bin/time saw. */
export const failureReason = (stderr: string, limits: PointLimits, wallTimedOut: boolean): string => {
  if (wallTimedOut) return `did not finish: > ${limits.cpuSeconds * 4} s wall (stopped)`;
  if (/heap out of memory|Reached heap limit|Allocation failed|ERR_STRING_TOO_LONG|Invalid array length|RangeError: Array buffer allocation failed/.test(stderr)) {
    return `out of memory (heap > ${limits.memoryMiB} MiB)`;
  }
  const signal = /terminated by signal (\d+)/.exec(stderr)?.[1];
  if (signal !== undefined && (Number(signal) === SIGXCPU || Number(signal) === SIGKILL)) return `did not finish: > ${limits.cpuSeconds} s CPU`;
  if (signal !== undefined) return `crashed (signal ${signal})`;
  const error = stderr.split('\n').find((l) => l.startsWith('error'));
  return error !== undefined ? `refused: ${error.replace(/^error:\s*/, '').slice(0, 160)}` : `failed: ${stderr.trim().split('\n').slice(-1)[0]?.slice(0, 160) ?? 'no output'}`;
};

const rusage = (stderr: string): { cpu: number; rssMiB: number } => {
  const m = /RUSAGE ([\d.]+) ([\d.]+) (\d+)/.exec(stderr);
  return m === null ? { cpu: Number.NaN, rssMiB: Number.NaN } : { cpu: Number(m[1]) + Number(m[2]), rssMiB: Number(m[3]) / 1024 };
};

/** Runs `raspc compile` once in a limited child process and reads its --json result. */
export const compileThroughCli = (settings: CompileSettings, limits: PointLimits): PointOutcome => {
  const out = mkdtempSync(join(tmpdir(), 'raspc-bench-'));
  try {
    const wallSeconds = limits.cpuSeconds * 4;
    const args = [
      '-k', '10', String(wallSeconds),
      '/usr/bin/time', '-f', 'RUSAGE %U %S %M',
      'prlimit', `--cpu=${limits.cpuSeconds}:${limits.cpuSeconds + 5}`,
      process.execPath, `--max-old-space-size=${limits.memoryMiB}`, '--import', CPU_CLOCK,
      CLI, 'compile', settings.file, '--vocab', settings.vocab, '--max-len', String(settings.maxLen), '-o', join(out, 'model'), '--json',
      ...(settings.causal ? ['--causal'] : []),
    ];
    const child = spawnSync('timeout', args, { encoding: 'utf8', maxBuffer: 256 * 2 ** 20 });
    const stderr = child.stderr ?? '';
    const result = lastJsonLine(child.stdout ?? '');
    if (result?.ok !== true) {
      if (result?.certification?.verdict !== undefined) return { kind: 'failed', reason: `not certified (${result.certification.verdict})` };
      const refused = result?.errors?.[0]?.message;
      if (refused !== undefined) return { kind: 'failed', reason: `refused: ${refused.replace(/; the largest part.*$/, '').slice(0, 240)}` };
      return { kind: 'failed', reason: failureReason(stderr, limits, child.status === 124) };
    }
    const { cpu, rssMiB } = rusage(stderr);
    return {
      kind: 'done',
      parameters: result.parameters ?? Number.NaN,
      dModel: result.dModel ?? Number.NaN,
      layers: result.layers ?? Number.NaN,
      heads: result.heads ?? Number.NaN,
      dHead: result.dHead ?? Number.NaN,
      mlpWidth: result.mlpWidth ?? Number.NaN,
      layerLowerBound: result.layerLowerBound ?? Number.NaN,
      compileCpu: result.seconds ?? Number.NaN,
      certificateMethod: result.certification?.method ?? 'none',
      certificateCpu: result.certification?.seconds ?? Number.NaN,
      totalCpu: cpu,
      peakRssMiB: rssMiB,
      notes: result.notes ?? [],
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
};
