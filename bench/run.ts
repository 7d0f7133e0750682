/**
 * `npm run bench [-- --only compile,exhaustive,verify] [--quick]`: runs the benchmarks and
 * writes docs/benchmarks.md (and docs/verification.md for the verify section). Timings are
 * medians or single runs on this machine; reference figures are Tracr's (SPEC §4).
 * --quick skips exhaustive checks over 2 million inputs and lemma checks at length 64;
 * --z3-timeout sets the per-query Z3 timeout in seconds (default 600).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { Command } from 'commander';
import { compileBench, type CompileRow } from './compileBench.js';
import { exhaustiveBench, type ExhaustiveRow } from './exhaustiveBench.js';
import { RowCache } from './rowCache.js';
import { verifyBench, type VerifyRow } from './verifyBench.js';

const cli = new Command().option('--only <sections>', 'compile,exhaustive,verify', 'compile,exhaustive,verify').option('--quick', 'skip the longest runs')
  .option('--z3-timeout <seconds>', 'per Z3 query', '600')
  .option('--resume', 'reuse the rows an interrupted run kept in bench/.cache/ (measure only the rest)')
  .option('--skip-lemmas <list>', 'program/length pairs not to run the lemma method at, e.g. dyck3_ptf/64', '')
  .parse(process.argv);
const opts = cli.opts<{ only: string; quick?: boolean; z3Timeout: string; resume?: boolean; skipLemmas: string }>();
const sections = new Set(opts.only.split(',').map((x) => x.trim()));

const fmt = (n: number): string => n.toLocaleString('en-US');
const secs = (s: number): string => (s < 0.01 ? `${(s * 1000).toFixed(1)} ms` : s < 100 ? `${s.toFixed(2)} s` : `${s.toFixed(0)} s`);
const vs = (ours: number, theirs: number | undefined): string => (theirs === undefined || theirs === 0 ? fmt(ours) : `${fmt(ours)} (Tracr ${fmt(theirs)})`);
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; load average at start ${loadavg()[0]?.toFixed(1)}`;

const compileTable = (rows: readonly CompileRow[]): string =>
  [
    '| program | vocab | max len | compile | layers (lower bound) | heads | d_model | d_head | MLP width | parameters |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.vocab} | ${r.maxLen} | ${secs(r.seconds)}${r.tracr?.seconds ? ` (Tracr ${r.tracr.seconds} s)` : ''} | ${vs(r.layers, r.tracr?.layers)} (${r.layerLowerBound}) | ${r.heads} | ${vs(r.dModel, r.tracr?.dModel)} | ${r.dHead} | ${fmt(r.mlpWidth)} | ${vs(r.parameters, r.tracr?.params)} |`,
    ),
  ].join('\n');

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

  if (sections.has('compile')) {
    process.stderr.write('compile benchmark...\n');
    const compiled = compileBench();
    const notes = [...compiled.library, ...compiled.scale].filter((r) => r.notes.length > 0).map((r) => `- ${r.name} (${r.vocab}×${r.maxLen}): ${r.notes.join('; ')}`);
    parts.push(`## Compile: the library at Tracr's test settings

Compile times are medians of 5 runs and include value-set inference, the selector rewrites tried,
lowering, layer allocation and assembly. Reference figures in parentheses are Tracr's (SPEC §4).
Parameters count every tensor we ship, biases and unembedding included.

${compileTable(compiled.library)}

## Compile: at scale

Medians of 3 runs. Targets: reverse (10, 80) under 2 s and at most 3 M parameters.

${compileTable(compiled.scale)}

Compiler choices, as the compile report prints them (the manifest's \`notes\`):

${notes.join('\n')}`);
  } else {
    for (const h of ['## Compile: the library', '## Compile: at scale']) {
      const p = previous('docs/benchmarks.md', h);
      if (p) parts.push(p);
    }
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

  const doc = `# Benchmarks

Written by \`npm run bench\` (bench/run.ts) on ${machine}.

${parts.join('\n\n')}

_Benchmark wall time: ${((Date.now() - started) / 1000).toFixed(0)} s (sections run: ${[...sections].join(', ')})._
`;
  writeFileSync('docs/benchmarks.md', doc);
  process.stderr.write('wrote docs/benchmarks.md\n');
};

void main();
