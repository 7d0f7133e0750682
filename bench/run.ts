/**
 * `npm run bench`: runs the benchmarks and writes docs/benchmarks.md. Timings are medians of
 * repeated runs on this machine; the reference figures are Tracr's, from SPEC §4.
 */
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { compileBench, type CompileRow } from './compileBench.js';

const fmt = (n: number): string => n.toLocaleString('en-US');
const secs = (s: number): string => (s < 0.01 ? `${(s * 1000).toFixed(1)} ms` : `${s.toFixed(2)} s`);
const vs = (ours: number, theirs: number | undefined): string => (theirs === undefined || theirs === 0 ? fmt(ours) : `${fmt(ours)} (Tracr ${fmt(theirs)})`);

const table = (rows: readonly CompileRow[]): string =>
  [
    '| program | vocab | max len | compile | layers (lower bound) | heads | d_model | d_head | MLP width | parameters |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.vocab} | ${r.maxLen} | ${secs(r.seconds)}${r.tracr?.seconds ? ` (Tracr ${r.tracr.seconds} s)` : ''} | ${vs(r.layers, r.tracr?.layers)} (${r.layerLowerBound}) | ${r.heads} | ${vs(r.dModel, r.tracr?.dModel)} | ${r.dHead} | ${fmt(r.mlpWidth)} | ${vs(r.parameters, r.tracr?.params)} |`,
    ),
  ].join('\n');

const started = Date.now();
process.stderr.write('compile benchmark...\n');
const compiled = compileBench();
const notes = [...compiled.library, ...compiled.scale]
  .filter((r) => r.notes.length > 0)
  .map((r) => `- ${r.name} (${r.vocab}×${r.maxLen}): ${r.notes.join('; ')}`);

const doc = `# Benchmarks

Written by \`npm run bench\` (bench/run.ts). Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}.
Compile times are medians of repeated runs (5 at Tracr's settings, 3 at scale) and include
value-set inference, lowering, layer allocation and assembly. Reference figures in parentheses are
Tracr's (SPEC §4). Parameters count every tensor we ship, biases and unembedding included.

## Compile: the library at Tracr's test settings

${table(compiled.library)}

## Compile: at scale

${table(compiled.scale)}

Compiler choices visible in the compile report (\`raspc compile\` prints them; the manifest's \`notes\`):

${notes.join('\n')}

_Benchmark wall time: ${((Date.now() - started) / 1000).toFixed(0)} s._
`;
writeFileSync('docs/benchmarks.md', doc);
process.stderr.write('wrote docs/benchmarks.md\n');
