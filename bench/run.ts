/**
 * `npm run bench [-- --only compile,growth,exhaustive,verify] [--quick]`: runs the benchmarks and
 * writes docs/benchmarks.md (and docs/verification.md for the verify section). The compile and
 * growth sections go through the user's path: the built CLI on examples/*.rasp, certification
 * included, each run in a child process with a CPU budget and a heap cap (bench/cliCompile.ts).
 * --quick: a subset at small lengths (a smoke run), and it skips exhaustive checks over 2 million
 * inputs and lemma checks at length 64; --z3-timeout sets the per-query Z3 timeout in seconds.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { Command } from 'commander';
import type { PointLimits } from './cliCompile.js';
import { exhaustiveBench, type ExhaustiveRow } from './exhaustiveBench.js';
import { GROWTH_LENGTHS, GROWTH_PROGRAMS, growthBench } from './growthBench.js';
import { fmt, growthFitTable, growthRowsTable, secs, type GrowthPoint } from './growthTable.js';
import { RowCache } from './rowCache.js';
import { tracrSettingsBench, tracrSettingsNotes, tracrSettingsTable } from './tracrSettingsBench.js';
import { verifyBench, type VerifyRow } from './verifyBench.js';

const cli = new Command()
  .option('--only <sections>', 'compile,growth,exhaustive,verify', 'compile,growth,exhaustive,verify')
  .option('--quick', 'a subset at small lengths; skip the longest runs')
  .option('--cpu-budget <seconds>', 'CPU seconds one compile (with certification) may take before it is recorded as not finished', '300')
  .option('--memory <MiB>', 'heap cap of one compile', '4096')
  .option('--z3-timeout <seconds>', 'per Z3 query', '600')
  .option('--resume', 'reuse the rows an interrupted run kept in bench/.cache/ (measure only the rest)')
  .option('--skip-lemmas <list>', 'program/length pairs not to run the lemma method at, e.g. dyck3_ptf/64', '')
  .parse(process.argv);
const opts = cli.opts<{ only: string; quick?: boolean; cpuBudget: string; memory: string; z3Timeout: string; resume?: boolean; skipLemmas: string }>();
const sections = new Set(opts.only.split(',').map((x) => x.trim()));
const limits: PointLimits = { cpuSeconds: Number(opts.cpuBudget), memoryMiB: Number(opts.memory) };
const QUICK_PROGRAMS = ['reverse', 'sort', 'hist'];
const QUICK_LENGTHS = [8, 16];



const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; load average at start ${loadavg()[0]?.toFixed(1)}`;

/** Keeps a section of an existing document when it is not re-run. */
const previous = (file: string, heading: string): string | undefined => {
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf(heading);
  if (start < 0) return undefined;
  const next = text.indexOf('\n## ', start + heading.length);
  return text.slice(start, next < 0 ? undefined : next).trimEnd();
};

/** Mean and slowest Z3 query over every program's queries. */
const queryStats = (xs: readonly { count: number; mean: number; max: number }[]): string => {
  const count = xs.reduce((s, x) => s + x.count, 0);
  if (count === 0) return 'no queries';
  const mean = xs.reduce((s, x) => s + x.mean * x.count, 0) / count;
  return `${count} queries, mean ${secs(mean)}, slowest ${secs(Math.max(...xs.map((x) => x.max)))}`;
};

const main = async (): Promise<void> => {
  const started = Date.now();
  const parts: string[] = [];

  if (!existsSync('dist/src/cli/main.js')) throw new Error('the benchmark runs the built CLI: run `npm run build` first');
  if (sections.has('compile')) {
    process.stderr.write("compile benchmark (Tracr's settings, through the CLI)...\n");
    const rows = tracrSettingsBench({ repeats: opts.quick ? 1 : 3, limits, log: (l) => process.stderr.write(`${l}\n`) });
    parts.push(`## Compile: the library at Tracr's test settings

Each example compiled by \`raspc compile examples/NAME.rasp --vocab ... --max-len ... --json\` at the
settings in its header, certification included as the CLI does it, in a child process (CPU budget
${limits.cpuSeconds} s, heap ${limits.memoryMiB} MiB). Times are CPU seconds as the CLI times them (its timers read
the CPU clock: bench/cpuClock.mjs), the median of ${opts.quick ? 1 : 3} runs; compile includes value-set inference, the
selector rewrites tried, lowering, layer allocation and assembly. Reference figures in parentheses
are Tracr's (SPEC §4; its compile CPU from issue 15: Tracr's own code run to its craft model).
Parameters count every tensor we ship, biases and unembedding included. Each run is a fresh
process, as a user's is, so compile CPU includes warming up the compiler's code (JIT); an
in-process compile repeated in a warm process is several times faster on the small programs.

${tracrSettingsTable(rows)}

Compiler choices, as the compile report prints them (the manifest's \`notes\`):

${tracrSettingsNotes(rows).join('\n')}`);
  } else {
    const p = previous('docs/benchmarks.md', '## Compile: the library');
    if (p) parts.push(p);
  }

  if (sections.has('growth')) {
    process.stderr.write('growth benchmark (max length 16 to 256, through the CLI)...\n');
    const points = growthBench({
      programs: opts.quick ? QUICK_PROGRAMS : GROWTH_PROGRAMS,
      lengths: opts.quick ? QUICK_LENGTHS : GROWTH_LENGTHS,
      limits,
      cache: new RowCache<GrowthPoint>('bench/.cache/growth.jsonl', opts.resume ?? false),
      log: (l) => process.stderr.write(`${l}\n`),
    });
    parts.push(`## Compile: growth with the maximum length

Each example compiled and certified by the CLI (as above: one run per point, child process with a
CPU budget of ${limits.cpuSeconds} s and a heap cap of ${limits.memoryMiB} MiB; the CLI's default --max-params limit of
50,000,000 applies) at its header's vocabulary and max length ${(opts.quick ? QUICK_LENGTHS : GROWTH_LENGTHS).join(', ')}. Once a
program does not finish at one length, its longer lengths are not run. Times are CPU seconds;
peak RSS is the whole child process.

${growthRowsTable(points)}

Fitted growth (least squares of ln y on ln N over the lengths that finished):

${growthFitTable(points)}`);
  } else {
    const p = previous('docs/benchmarks.md', '## Compile: growth');
    if (p) parts.push(p);
  }

  let exhaustive: ExhaustiveRow[] | undefined;
  if (sections.has('exhaustive')) {
    process.stderr.write('exhaustive benchmark...\n');
    exhaustive = (await exhaustiveBench({ ...(opts.quick ? { maxInputs: 2_000_000 } : {}), cache: new RowCache<ExhaustiveRow>('bench/.cache/exhaustive.jsonl', opts.resume ?? false) })).rows;
    parts.push(`## Exhaustive checking

Every input of length 1..N, model against interpreter, in worker threads. Target: every input of
sort at vocab 4 / length 8 (87,380 inputs) in under 10 s on 2 cores.

| program | vocab | max len | inputs | time | inputs / s | workers | verdict |
|---|---|---|---|---|---|---|---|
${exhaustive.map((r) => `| ${r.name} | ${r.vocab} | ${r.maxLen} | ${fmt(r.inputs)} | ${secs(r.seconds)} | ${fmt(Math.round(r.inputsPerSecond))} | ${r.workers} | ${r.verdict} |`).join('\n')}`);
  } else {
    const p = previous('docs/benchmarks.md', '## Exhaustive checking');
    if (p) parts.push(p);
  }

  if (sections.has('verify')) {
    process.stderr.write('verification benchmark (every method, every program)...\n');
    const rows: VerifyRow[] = await verifyBench({
      ...(exhaustive ? { knownExhaustive: exhaustive } : {}),
      z3TimeoutMs: Number(opts.z3Timeout) * 1000,
      cache: new RowCache<VerifyRow>('bench/.cache/verify.jsonl', opts.resume ?? false),
      skip: new Map(
        opts.skipLemmas
          .split(',')
          .filter((x) => x !== '')
          .map((x) => [x, 'not run: over the time budget of one benchmark run (see the note below the table)'] as const),
      ),
      ...(opts.quick ? { exhaustiveLimit: 2_000_000, lemmaLengths: [32] } : {}),
    });
    const lemmaRows = rows.filter((r) => r.method === 'lemmas');
    const z3Rows = rows.filter((r) => r.method === 'z3');
    const byLength = (n: number) => lemmaRows.filter((r) => r.maxLen === n);
    const total = (xs: readonly VerifyRow[]) => xs.reduce((s, r) => s + r.seconds, 0);
    parts.push(`## Lemma method and Z3

Lemma method (per-block lemmas composed along the model; no enumeration), including compilation:
${[32, 64].filter((n) => byLength(n).length > 0).map((n) => `at max length ${n}: ${byLength(n).filter((r) => r.verdict === 'verified').length}/${byLength(n).length} programs verified, ${secs(total(byLength(n)))} in all, slowest ${byLength(n).sort((a, b) => b.seconds - a.seconds)[0]?.program} (${secs(byLength(n).sort((a, b) => b.seconds - a.seconds)[0]?.seconds ?? 0)})`).join('; ')}.

Z3 method at the library bounds: ${z3Rows.filter((r) => r.verdict === 'verified').length}/${z3Rows.length} verified, ${secs(total(z3Rows))} in all (per program in docs/verification.md; each length is one bounded-equivalence query, timeout ${opts.z3Timeout} s per query). Time per query: ${queryStats(z3Rows.flatMap((r) => (r.z3Queries ? [r.z3Queries] : [])))}.`);
    const table = [
      '| program | vocab | max len | method | verdict | time | detail |',
      '|---|---|---|---|---|---|---|',
      ...rows.map((r) => `| ${r.program} | ${r.vocab} | ${r.maxLen} | ${r.method} | ${r.verdict} | ${secs(r.seconds)} | ${r.detail} |`),
    ].join('\n');
    const doc = existsSync('docs/verification.md') ? readFileSync('docs/verification.md', 'utf8') : '';
    const marker = '## Results';
    const head = doc.includes(marker) ? doc.slice(0, doc.indexOf(marker)) : doc;
    writeFileSync(
      'docs/verification.md',
      `${head}${marker}\n\nWritten by \`npm run bench\` (bench/verifyBench.ts) on ${machine}. Times include compilation.\n\n${table}\n`,
    );
  } else {
    const p = previous('docs/benchmarks.md', '## Lemma method and Z3');
    if (p) parts.push(p);
  }

  // written by `npm run bench:decompile`, not here: kept as it is
  const decompile = previous('docs/benchmarks.md', '## Training and decompiling');
  const doc = `# Benchmarks

Written by \`npm run bench\` (bench/run.ts) on ${machine}.

${parts.join('\n\n')}

_Benchmark wall time: ${((Date.now() - started) / 1000).toFixed(0)} s (sections run: ${[...sections].join(', ')})._
${decompile === undefined ? '' : `\n${decompile}\n`}`;
  writeFileSync('docs/benchmarks.md', doc);
  process.stderr.write('wrote docs/benchmarks.md\n');
};

void main();
