#!/usr/bin/env node
/**
 * Digests of everything raspc writes for the example programs, through the built CLI (the user's
 * path, so internal moves cannot change what is measured): per example the model directory
 * (weights, config, manifest, certificate), the tl / onnx / json exports, the decompiled RASP and
 * D-RASP, and a lemma certificate; plus a small trained model and its pruned program.
 *
 *   node scripts/outputDigests.mjs --write FILE    record the digests
 *   node scripts/outputDigests.mjs --check FILE    exit 1 and list every file whose bytes changed
 *
 * A refactor must leave every digest unchanged (docs/architecture.md); a change that means to
 * alter outputs re-records the file in the same commit.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [mode, file] = process.argv.slice(2);
if (!['--write', '--check'].includes(mode ?? '') || file === undefined) {
  process.stderr.write('usage: node scripts/outputDigests.mjs --write FILE | --check FILE\n');
  process.exit(3);
}
process.env['NO_COLOR'] = '1';
const { main } = await import('../dist/src/cli/main.js');
const work = mkdtempSync(join(tmpdir(), 'raspc-digests-'));

/** Runs the CLI in this process with stdout and stderr silenced; its exit code. */
const run = async (...args) => {
  const [out, err] = [process.stdout.write.bind(process.stdout), process.stderr.write.bind(process.stderr)];
  process.stdout.write = () => true;
  process.stderr.write = () => true;
  try {
    return await main(['node', 'raspc', ...args]);
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
};
/** The exit code must be 0. */
const raspc = async (...args) => {
  const code = await run(...args);
  if (code !== 0) throw new Error(`raspc ${args.join(' ')} exited ${code}`);
};

/** SHA-256 of a file; acc.json without its wall-clock `trainSeconds`. */
const sha = (path) => {
  let bytes = readFileSync(path);
  if (path.endsWith('acc.json')) bytes = JSON.stringify({ ...JSON.parse(bytes.toString('utf8')), trainSeconds: undefined });
  return createHash('sha256').update(bytes).digest('hex');
};
const digests = {};
/** Records every file under `dir` (or the file itself) as `key/relative path`. */
const record = (key, path) => {
  if (statSync(path).isDirectory()) for (const f of readdirSync(path).sort()) record(`${key}/${f}`, join(path, f));
  else digests[key] = sha(path);
};

const header = (text) => {
  const field = (name) => new RegExp(`^#\\s*${name}:\\s*(.+)$`, 'm').exec(text)?.[1]?.trim();
  return { vocab: field('vocab'), maxLen: field('max-len'), causal: field('causal') === 'true' };
};

for (const name of readdirSync('examples').filter((f) => f.endsWith('.rasp')).sort()) {
  const path = join('examples', name);
  const h = header(readFileSync(path, 'utf8'));
  if (h.vocab === undefined || h.maxLen === undefined) continue;
  const base = name.replace(/\.rasp$/, '');
  const bounds = ['--vocab', h.vocab.replace(/\s+/g, ''), '--max-len', h.maxLen, ...(h.causal ? ['--causal'] : [])];
  const dir = join(work, base);
  await raspc('compile', path, ...bounds, '-o', join(dir, 'model'));
  for (const format of ['tl', 'onnx', 'json']) await raspc('export', join(dir, 'model'), '--format', format, '-o', join(dir, format));
  // a model the decompiler refuses (a table too large) records its exit code instead
  for (const [format, out] of [['rasp', 'decompiled.rasp'], ['drasp', 'decompiled.drasp']]) {
    const code = await run('decompile', join(dir, 'model'), '--format', format, '-o', join(dir, out));
    if (code !== 0) writeFileSync(join(dir, out), `exit ${code}\n`);
  }
  await raspc('verify', path, ...bounds, '--model', join(dir, 'model'), '--method', 'lemmas', '--certificate', join(dir, 'lemmas.cert.json'));
  record(base, dir);
  process.stderr.write(`${base}\n`);
}

const trained = join(work, 'trained-majority');
await raspc('train', '--task', 'majority', '--layers', '1', '--heads', '1', '--d-model', '8', '--steps', '30', '--eval-samples', '20', '-o', trained);
await raspc('decompile', trained, '--format', 'drasp', '-o', join(work, 'trained.drasp'));
await raspc('decompile', trained, '--prune', '--lambda', '0.1', '--prune-steps', '10', '--samples', '16', '-o', join(work, 'trained.pruned.drasp'));
record('trained-majority', trained);
record('trained.drasp', join(work, 'trained.drasp'));
record('trained.pruned.drasp', join(work, 'trained.pruned.drasp'));

const lines = `${JSON.stringify(digests, null, 1)}\n`;
if (mode === '--write') {
  writeFileSync(file, lines);
  process.stderr.write(`recorded ${Object.keys(digests).length} files in ${file}\n`);
} else {
  const expected = JSON.parse(readFileSync(file, 'utf8'));
  const keys = [...new Set([...Object.keys(expected), ...Object.keys(digests)])].sort();
  const changed = keys.filter((k) => expected[k] !== digests[k]);
  for (const k of changed) process.stdout.write(`${expected[k] === undefined ? 'new' : digests[k] === undefined ? 'gone' : 'changed'}  ${k}\n`);
  process.stdout.write(`${keys.length - changed.length}/${keys.length} files byte-identical\n`);
  process.exitCode = changed.length === 0 ? 0 : 1;
}
