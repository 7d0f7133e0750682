/**
 * Every reader of a model directory refuses a damaged one (issue 13): for each library program,
 * a NaN or Inf weight, a negated tensor, config.json's causal flag flipped, manifest.json's output
 * values reversed, or model.safetensors cut short → eval, show, export, decompile and
 * verify --model exit 3 with one line naming the file, and so does the library's `readModel`.
 * The CLI runs in-process; every program is compiled once.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Either from 'fp-ts/lib/Either.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseProgram } from '../../src/ast/parser/index.js';
import type { SOp } from '../../src/ast/program.js';
import { showValue, valueToJson } from '../../src/ast/value.js';
import { evaluate } from '../../src/interpreter/evaluate.js';
import { REGISTRY, type LibraryEntry } from '../../src/lib/registry.js';
import { readModel, writeModel } from '../../src/model/files.js';
import type { CompiledModel } from '../../src/model/model.js';
import { compile } from '../../src/passes/compile.js';
import { writeSafetensors } from '../../src/model/safetensors.js';
import type { Bounds } from '../../src/typecheck/bounds.js';
import { bounds } from '../support/check.js';
import { editJson, negateTensor, setWeight, truncateFile } from '../support/damage.js';
import { raspcInProcess, type CliRun } from '../support/inProcessCli.js';
import { randomGpt2Tensors } from '../support/randomGpt2.js';

const root = mkdtempSync(join(tmpdir(), 'raspc-damaged-'));
const intactDir = (e: LibraryEntry): string => join(root, e.name, 'intact');

/** The program as `verify` reads it: examples/<name>.rasp. */
const programOf = (e: LibraryEntry): SOp => {
  const path = join('examples', `${e.name}.rasp`);
  const program = parseProgram(readFileSync(path, 'utf8'), path);
  if (Either.isLeft(program)) throw new Error(`cannot parse ${path}`);
  return program.right;
};

/** One compilation (no search over selector rewrites: any correct model is a fixture). */
const compiledFast = (program: SOp, b: Bounds): CompiledModel => {
  const r = compile(program, b, { optimise: false });
  if (Either.isLeft(r)) throw new Error(`compile failed: ${r.left[0]?.message ?? ''}`);
  return r.right.model;
};

beforeAll(() => {
  for (const e of REGISTRY) {
    const written = writeModel(intactDir(e), compiledFast(programOf(e), bounds(e.vocab, e.maxLen, e.causal ?? false)));
    if (Either.isLeft(written)) throw new Error(`cannot write ${e.name}`);
  }
});

interface Damage {
  readonly name: string;
  readonly apply: (dir: string, e: LibraryEntry) => void;
  /** What the one line must say (besides the file). */
  readonly says: RegExp;
}

const DAMAGES: readonly Damage[] = [
  { name: 'a NaN weight', apply: (dir) => setWeight(dir, Number.NaN), says: /model\.safetensors: tensor unembed\.W_U holds NaN/ },
  { name: 'an Inf weight', apply: (dir) => setWeight(dir, Number.POSITIVE_INFINITY), says: /model\.safetensors: tensor unembed\.W_U holds Infinity/ },
  { name: 'a negated tensor', apply: (dir) => negateTensor(dir), says: /model\.safetensors was changed after compilation/ },
  {
    name: "config.json's causal flag flipped",
    apply: (dir) => editJson(dir, 'config.json', (c) => (c['causal'] = c['causal'] !== true)),
    says: /config\.json and .*manifest\.json disagree on causality/,
  },
  {
    name: "manifest.json's output values reversed",
    apply: (dir) =>
      editJson(dir, 'manifest.json', (m) => {
        const output = m['output'] as { values: unknown[]; tolerance: number };
        const reversed = [...output.values].reverse();
        if (JSON.stringify(reversed) !== JSON.stringify(output.values)) output.values = reversed;
        else output.tolerance *= 2;
      }),
    says: /manifest\.json was edited after compilation/,
  },
  {
    name: 'a model of the previous format (1: PAD masked at run time only)',
    apply: (dir) => editJson(dir, 'config.json', (c) => (c['version'] = 1)),
    says: /config\.json: a raspc model of format 1; this raspc reads format 2/,
  },
  { name: 'model.safetensors cut in half', apply: (dir) => truncateFile(dir, 'model.safetensors'), says: /model\.safetensors (.*truncated|declares a header of \d+ bytes but only)/ },
];

const vocabArg = (e: LibraryEntry): string => e.vocab.map((v) => showValue(v)).join(',');
const someInput = (e: LibraryEntry): string => Array.from({ length: Math.min(3, e.maxLen) }, (_, i) => showValue(e.vocab[i % e.vocab.length] as never)).join(' ');

const READERS: readonly { readonly name: string; readonly args: (dir: string, e: LibraryEntry) => string[] }[] = [
  { name: 'eval', args: (dir, e) => ['eval', dir, '--input', someInput(e)] },
  { name: 'show', args: (dir) => ['show', dir, '--picture', 'dag', '-o', join(dir, 'dag.svg')] },
  { name: 'export', args: (dir) => ['export', dir, '--format', 'tl', '-o', join(dir, 'export')] },
  { name: 'decompile', args: (dir) => ['decompile', dir] },
  {
    name: 'verify --model',
    args: (dir, e) => ['verify', join('examples', `${e.name}.rasp`), '--vocab', vocabArg(e), '--max-len', String(e.maxLen), ...(e.causal ? ['--causal'] : []), '--model', dir],
  },
];

const expectOneLine = (r: CliRun, says: RegExp, what: string): void => {
  expect(r.code, `${what}: ${r.stderr}`).toBe(3);
  const lines = r.stderr.trim().split('\n');
  expect(lines, what).toHaveLength(1);
  expect(lines[0], what).toMatch(says);
  expect(lines[0], what).toMatch(/recompile/);
};

describe.each(REGISTRY.map((e) => [e.name, e] as const))('a damaged %s model', (name, e) => {
  it.each(DAMAGES.map((d) => [d.name, d] as const))('%s: every reader exits 3 with one line', async (damage, d) => {
    const dir = join(root, name, damage.replace(/[^a-z]+/gi, '-'));
    cpSync(intactDir(e), dir, { recursive: true });
    d.apply(dir, e);
    const loaded = readModel(dir);
    expect(Either.isLeft(loaded), 'readModel').toBe(true);
    if (Either.isLeft(loaded)) {
      expect(loaded.left).toHaveLength(1);
      expect(loaded.left[0]?.message).toMatch(d.says);
    }
    for (const reader of READERS) expectOneLine(await raspcInProcess(...reader.args(dir, e)), d.says, reader.name);
    expect(existsSync(join(dir, 'dag.svg')) || existsSync(join(dir, 'export')), 'nothing is written').toBe(false);
  });

  it('the intact model evaluates as the program does', async () => {
    const input = someInput(e);
    const r = await raspcInProcess('eval', intactDir(e), '--input', input, '--json');
    expect(r.code, r.stderr).toBe(0);
    const tokens = input.split(' ').map((s) => (e.vocab.includes(s) ? s : Number(s)));
    const want = evaluate(programOf(e), tokens, { causal: e.causal ?? false });
    if (Either.isLeft(want)) throw new Error('the program fails on the test input');
    expect(JSON.parse(r.stdout)).toEqual({ output: want.right.map(valueToJson) });
  });
});

describe('every reader accepts an intact model', () => {
  it.each(['sort', 'frac_prevs', 'length_causal'])('%s', async (name) => {
    const e = REGISTRY.find((x) => x.name === name) as LibraryEntry;
    const dir = join(root, name, 'readers');
    cpSync(intactDir(e), dir, { recursive: true });
    for (const reader of READERS) {
      const r = await raspcInProcess(...reader.args(dir, e));
      expect(r.code, `${reader.name}: ${r.stderr}`).toBe(0);
    }
  });
});

describe('a damaged HuggingFace GPT-2 model (no manifest: shapes and finiteness are checked)', () => {
  /** A random one-layer GPT-2 sized for the majority task (6 tokens, 154 positions). */
  const gpt2Dir = (name: string): string => {
    const d = 8;
    const tensors = randomGpt2Tensors(11, 154, d);
    const dir = join(root, 'gpt2', name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(tensors, { format: 'pt' }));
    const config = { model_type: 'gpt2', n_layer: 1, n_head: 2, n_embd: d, n_positions: 154, vocab_size: 6, activation_function: 'relu' };
    writeFileSync(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
    return dir;
  };

  const GPT2_DAMAGES: readonly Damage[] = [
    { name: 'a NaN weight', apply: (dir) => setWeight(dir, Number.NaN, 'h.0.mlp.c_fc.weight'), says: /"h\.0\.mlp\.c_fc\.weight" in .*model\.safetensors holds NaN/ },
    { name: 'an Inf weight', apply: (dir) => setWeight(dir, Number.NEGATIVE_INFINITY, 'wte.weight'), says: /"wte\.weight" in .*model\.safetensors holds -Infinity/ },
    { name: 'model.safetensors cut in half', apply: (dir) => truncateFile(dir, 'model.safetensors'), says: /model\.safetensors (.*truncated|declares a header of \d+ bytes but only)/ },
    { name: 'n_embd edited', apply: (dir) => editJson(dir, 'config.json', (c) => (c['n_embd'] = 16)), says: /has shape \[.*\], expected .* \(and \d+ more problems\)/ },
    { name: 'vocab_size edited', apply: (dir) => editJson(dir, 'config.json', (c) => (c['vocab_size'] = 7)), says: /"wte\.weight" in .*model\.safetensors has shape \[6, 8\], expected \[7, 8\]/ },
  ];

  it.each(GPT2_DAMAGES.map((d) => [d.name, d] as const))('%s: decompile (D-RASP and --prune) exits 3 with one line', async (damage, d) => {
    const dir = gpt2Dir(damage.replace(/[^a-z]+/gi, '-'));
    d.apply(dir, REGISTRY[0] as LibraryEntry);
    for (const args of [['decompile', dir, '--format', 'drasp'], ['decompile', dir, '--prune', '--task', 'majority']]) {
      const r = await raspcInProcess(...args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(3);
      const lines = r.stderr.trim().split('\n');
      expect(lines, args.join(' ')).toHaveLength(1);
      expect(lines[0]).toMatch(d.says);
    }
  });

  it('the readers of compiled models refuse it, naming what it is', async () => {
    const dir = gpt2Dir('foreign');
    for (const reader of READERS) {
      const r = await raspcInProcess(...reader.args(dir, REGISTRY.find((e) => e.name === 'sort') as LibraryEntry));
      expect(r.code, reader.name === 'decompile' ? 'decompile reads it as GPT-2: RASP is refused' : reader.name).toBe(3);
      expect(r.stderr.trim().split('\n'), reader.name).toHaveLength(1);
      if (reader.name !== 'decompile') expect(r.stderr, reader.name).toMatch(/holds a HuggingFace GPT-2 model/);
    }
  });

  it('pruning against a task the model was not trained on: one line, not an internal error', async () => {
    const r = await raspcInProcess('decompile', gpt2Dir('other-task'), '--prune', '--task', 'sort');
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/task sort has \d+ tokens but .*config\.json gives vocab_size 6/);
  });
});
