import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// Runs the built CLI (npm test builds first), as a user would: plain node, no tsx.
const CLI = 'dist/src/cli/main.js';
const raspc = (...args: string[]): { code: number; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
};

const dir = mkdtempSync(join(tmpdir(), 'raspc-cli-'));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

/** A user error: exit 3, exactly one line on stderr, no stack trace. */
const expectOneLineError = (r: { code: number; stderr: string }, pattern: RegExp): void => {
  expect(r.code).toBe(3);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
};

describe('raspc (built CLI)', () => {
  it('run reverse --json prints exactly {"output":["d","c","b","a"]}', () => {
    const r = raspc('run', 'examples/reverse.rasp', '--input', 'a b c d', '--json');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('{"output":["d","c","b","a"]}\n');
  });

  it('run prints None as null in JSON and numbers as numbers', () => {
    const r = raspc('run', 'examples/shift_by_1.rasp', '--input', 'a b c', '--json');
    expect(JSON.parse(r.stdout)).toEqual({ output: [null, 'a', 'b'] });
    const s = raspc('run', 'examples/sort.rasp', '--input', '2 4 1 2', '--json');
    expect(JSON.parse(s.stdout)).toEqual({ output: [1, 2, 2, 4] });
  });

  it('check reports value sets and constructions, with --json one object', () => {
    const r = raspc('check', 'examples/frac_prevs.rasp', '--vocab', 'h,e,l,o', '--max-len', '5', '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { ok: boolean; nodes: { label: string; valueCount: number; construction: string }[] };
    expect(report.ok).toBe(true);
    const frac = report.nodes.find((n) => n.label === 'frac_prevs');
    expect(frac?.valueCount).toBe(11);
    expect(frac?.construction).toBe('numerical-attention');
  });

  it('a syntax error: line:column and what was expected', () => {
    const p = file('syntax.rasp', 'x = select(tokens, tokens, ==)\ny = aggregate(x, tokens);\n');
    expectOneLineError(raspc('run', p, '--input', 'a'), /syntax\.rasp:1:31: expected ';' after the assignment to 'x', found name 'y'/);
  });

  it('an unknown name', () => {
    const p = file('unknown.rasp', 'y = aggregate(select(tokens, tokens, ==), tokenz);\n');
    expectOneLineError(raspc('run', p, '--input', 'a'), /unknown\.rasp:1:43: unknown name 'tokenz'/);
  });

  it('a lambda of the wrong arity', () => {
    const p = file('arity.rasp', 'y = map((a, b) -> a + b, tokens);\n');
    expectOneLineError(raspc('run', p, '--input', 'a'), /arity\.rasp:1:9: map expects a lambda of 1 parameter, got 2/);
  });

  it('a select (aggregate) given a non-selector', () => {
    const p = file('nonsel.rasp', 'y = aggregate(tokens, tokens);\n');
    expectOneLineError(raspc('run', p, '--input', 'a'), /nonsel\.rasp:1:15: aggregate expects a selector as its first argument/);
  });

  it('a categorical aggregate selecting two different values: node and position', () => {
    const p = file('ambiguous.rasp', 'all = select(tokens, tokens, true);\ny = aggregate(all, tokens);\n');
    expectOneLineError(
      raspc('run', p, '--input', 'a b'),
      /input position 0: position 0: categorical aggregate selects different values a \(key 0\) and b \(key 1\) \[node y\]/,
    );
  });

  it('an input token outside the vocabulary (check)', () => {
    expectOneLineError(
      raspc('check', 'examples/reverse.rasp', '--vocab', 'a,b', '--max-len', '4', '--input', 'a q b'),
      /input position 1: token "q" is not in the vocabulary \{a, b\}/,
    );
  });

  it('an empty input', () => {
    expectOneLineError(raspc('run', 'examples/reverse.rasp', '--input', '   '), /the input is empty/);
  });

  it('a program the compiler cannot handle is rejected by check with node, rule and fix', () => {
    const p = file('numkey.rasp', 'k = numerical(indices);\ny = aggregate(select(k, indices, ==), tokens);\n');
    const r = raspc('check', p, '--vocab', 'a,b', '--max-len', '4');
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/rule\/numerical-key|select keys must be categorical/);
    expect(r.stderr).toMatch(/fix: make the keys categorical/);
  });

  it('--help has an example, --version prints the version, an unknown command exits 3', () => {
    const h = raspc('run', '--help');
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/Example:/);
    expect(raspc('--version').stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(raspc('frobnicate').code).toBe(3);
  });

  it('a missing file and a corrupt JSON program are one-line errors', () => {
    expectOneLineError(raspc('run', join(dir, 'missing.rasp'), '--input', 'a'), /cannot read program file/);
    const j = file('bad.json', '{"format": "raspc-program", "version": 1, "output": "n0", "nodes": [{"id": "n0", "kind": "tokens"}]}');
    const r = raspc('run', j, '--input', 'a');
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/nodes\.0\.encoding/);
  });

  it('compile writes the three model files and prints its size; eval decodes like run', () => {
    const out = join(dir, 'reverse-model');
    const c = raspc('compile', 'examples/reverse.rasp', '--vocab', 'a,b,c,d', '--max-len', '5', '-o', out, '--json');
    expect(c.code).toBe(0);
    const report = JSON.parse(c.stdout) as { layers: number; layerLowerBound: number; parameters: number; dModel: number; mlpWidth: number; heads: number };
    expect(report.layers).toBe(report.layerLowerBound);
    expect(report.parameters).toBeGreaterThan(0);
    expect(report.parameters).toBeLessThan(19700);
    const e = raspc('eval', out, '--input', 'a b c d', '--json');
    expect(e.code).toBe(0);
    expect(e.stdout).toBe('{"output":["d","c","b","a"]}\n');
    const human = raspc('compile', 'examples/sort.rasp', '--vocab', '1,2,3,4', '--max-len', '5', '-o', join(dir, 'sort-model'));
    expect(human.stdout).toMatch(/layers\s+\d+ \(lower bound \d+/);
    expect(human.stdout).toMatch(/parameters\s+[\d,]+/);
    expect(human.stdout).toMatch(/MLP width/);
  });

  it('compile refuses an unsupported program with the checker message and writes nothing', () => {
    const p = file('numkey2.rasp', 'k = numerical(indices);\ny = aggregate(select(k, indices, <), tokens);\n');
    const out = join(dir, 'never');
    const r = raspc('compile', p, '--vocab', 'a,b', '--max-len', '4', '-o', out);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/select keys must be categorical/);
    expect(existsSync(out)).toBe(false);
  });

  it('eval: an out-of-vocabulary token, a too-long input, a missing model and a corrupt weights file are one-line errors', () => {
    const out = join(dir, 'hist-model');
    expect(raspc('compile', 'examples/hist.rasp', '--vocab', 'a,b,c,d', '--max-len', '5', '-o', out).code).toBe(0);
    expectOneLineError(raspc('eval', out, '--input', 'a q'), /input position 1: token "q" is not in the model's vocabulary/);
    expectOneLineError(raspc('eval', out, '--input', 'a a a a a a'), /compiled for at most 5/);
    expectOneLineError(raspc('eval', join(dir, 'nothing-here'), '--input', 'a'), /config\.json: no such file/);
    const weights = join(out, 'model.safetensors');
    writeFileSync(weights, readFileSync(weights).subarray(0, 100));
    const r = raspc('eval', out, '--input', 'a');
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/model\.safetensors/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('verify: 0 verified (with a certificate file), 1 counterexample, 2 unknown, 3 error', () => {
    const cert = join(dir, 'sort.cert.json');
    const ok = raspc('verify', 'examples/sort.rasp', '--vocab', '1,2,3,4', '--max-len', '5', '--method', 'lemmas', '--certificate', cert);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/VERIFIED \(lemmas\)/);
    const certificate = JSON.parse(readFileSync(cert, 'utf8')) as { verdict: string; method: string; program: { hash: string }; model: { hash: string } };
    expect(certificate.verdict).toBe('verified');
    expect(certificate.model.hash).toMatch(/^[0-9a-f]{64}$/);
    const bad = raspc('verify', 'examples/length.rasp', '--vocab', 'a,b', '--max-len', '10', '--tracr-constants', '--method', 'exhaustive', '--json');
    expect(bad.code).toBe(1);
    const report = JSON.parse(bad.stdout) as { verdict: string; counterexample: { input: string[]; expected: number[]; actual: number[] } };
    expect(report.verdict).toBe('counterexample');
    expect(report.counterexample.input).toHaveLength(10);
    expect(report.counterexample.expected[0]).toBe(10);
    const unknown = raspc('verify', 'examples/hist.rasp', '--vocab', 'a,b', '--max-len', '4', '--method', 'z3', '--z3-timeout', '1');
    expect(unknown.code).toBe(2);
    expectOneLineError(raspc('verify', 'examples/hist.rasp', '--vocab', 'a,b', '--max-len', '4', '--method', 'magic'), /unknown method 'magic'/);
  });

  it('every command has --help with an example', () => {
    for (const command of ['run', 'check', 'compile', 'eval', 'export', 'show', 'report', 'verify']) {
      const h = raspc(command, '--help');
      expect(h.code, command).toBe(0);
      expect(h.stdout, command).toMatch(/Example/);
      expect(h.stdout, command).toMatch(/--json/);
    }
  });

  it('export: writes each format; a bad format or a missing model is a one-line error', () => {
    const model = join(dir, 'reverse-model');
    expect(raspc('compile', 'examples/reverse.rasp', '--vocab', 'a,b,c,d', '--max-len', '5', '-o', model).code).toBe(0);
    for (const [format, file] of [['tl', 'config.json'], ['onnx', 'model.onnx'], ['json', 'raspc.json']] as const) {
      const out = join(dir, `reverse-${format}`);
      const r = raspc('export', model, '--format', format, '-o', out, '--json');
      expect(r.code, format).toBe(0);
      expect((JSON.parse(r.stdout) as { files: string[] }).files).toContain(join(out, file));
      expect(existsSync(join(out, file))).toBe(true);
    }
    expectOneLineError(raspc('export', model, '--format', 'pickle', '-o', join(dir, 'x')), /unknown export format "pickle"/);
    expectOneLineError(raspc('export', join(dir, 'nowhere'), '--format', 'tl', '-o', join(dir, 'x')), /no such file/);
  });
});

describe('raspc train and decompile --prune (built CLI)', () => {
  it('trains a model into the HF layout with acc.json, prunes it, and reports user errors in one line', () => {
    const out = join(dir, 'majority');
    const trained = raspc('train', '--task', 'majority', '--layers', '1', '--heads', '1', '--d-model', '8', '--steps', '60', '--eval-samples', '20', '-o', out, '--json');
    expect(trained.code).toBe(0);
    const summary = JSON.parse(trained.stdout) as { bins: { low: number; high: number; accuracy: number }[]; parameters: number };
    expect(summary.bins.map((b) => [b.low, b.high])).toEqual([[0, 50], [51, 100], [101, 150]]);
    for (const f of ['config.json', 'model.safetensors', 'task.json', 'acc.json']) expect(existsSync(join(out, f))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'acc.json'), 'utf8'))).toMatchObject({ task: 'majority', parameters: summary.parameters });
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))).toMatchObject({ n_layer: 1, n_head: 1, n_embd: 8, vocab_size: 6 });

    const pruned = raspc('decompile', out, '--prune', '--lambda', '0.03', '--prune-steps', '20', '--samples', '16', '--heatmaps', join(out, 'heatmaps'), '--json');
    expect(pruned.code).toBe(0);
    const result = JSON.parse(pruned.stdout) as { lines: number; fullLines: number; match: number; program: string; edges: number; files: string[] };
    expect(result.edges).toBe(13);
    expect(result.lines).toBeLessThanOrEqual(result.fullLines);
    expect(result.match).toBeGreaterThanOrEqual(0);
    expect(result.program).toContain('logits = ');
    for (const f of result.files) expect(readFileSync(f, 'utf8')).toContain('<svg');

    // a causal model raspc compiled prunes too; a non-causal one is refused
    const shift = join(dir, 'shift');
    expect(raspc('compile', 'examples/shift_by_1.rasp', '--vocab', 'a,b,c,d', '--max-len', '5', '--causal', '-o', shift).code).toBe(0);
    const compiledPruned = raspc('decompile', shift, '--prune', '--lambda', '0.01', '--json');
    expect(compiledPruned.code).toBe(0);
    expect(JSON.parse(compiledPruned.stdout)).toMatchObject({ task: 'compiled', found: true, match: 1 });
    const reverse = join(dir, 'reverse-model');
    expect(raspc('compile', 'examples/reverse.rasp', '--vocab', 'a,b,c,d', '--max-len', '5', '-o', reverse).code).toBe(0);
    expectOneLineError(raspc('decompile', reverse, '--prune'), /causal \(decoder\) models only/);

    expectOneLineError(raspc('train', '--task', 'nope', '--layers', '1', '--heads', '1', '--d-model', '8', '-o', out), /unknown task 'nope'/);
    expectOneLineError(raspc('train', '--task', 'majority', '--layers', '1', '--heads', '3', '--d-model', '8', '-o', out), /not a multiple of heads/);
    expectOneLineError(raspc('decompile', out, '--prune', '--lambda', 'x'), /--lambda/);
    const noTask = join(dir, 'no-task');
    raspc('train', '--task', 'majority', '--layers', '1', '--heads', '1', '--d-model', '8', '--steps', '1', '--eval-samples', '1', '-o', noTask);
    writeFileSync(join(noTask, 'task.json'), 'not json');
    expectOneLineError(raspc('decompile', noTask, '--prune'), /task\.json is not a task record/);
  });
});
