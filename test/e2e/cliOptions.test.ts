/**
 * Issue 13, CLI odds: `-` for standard input and output, empty vocabulary items, numeric options
 * that say what was given, and options that some combination would silently ignore.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as Either from 'fp-ts/lib/Either.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeProgram } from '../../src/ast/codec.js';
import { parseProgram } from '../../src/ast/parser/index.js';
import { expectOneLineError, raspc, raspcWith } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'raspc-options-'));
const reverse = resolve('examples/reverse.rasp');
const model = join(dir, 'reverse-model');

beforeAll(() => {
  const r = raspc('compile', reverse, '--vocab', 'a,b,c', '--max-len', '4', '-o', model);
  if (r.code !== 0) throw new Error(r.stderr);
});

describe("'-' as the program reads it from standard input", () => {
  const text = readFileSync(reverse, 'utf8');

  it('run, check, compile, verify and report', () => {
    expect(raspcWith({ stdin: text }, 'run', '-', '--input', 'a b c').stdout).toBe('c b a\n');
    const check = raspcWith({ stdin: text }, 'check', '-', '--vocab', 'a,b', '--max-len', '3', '--json');
    expect((JSON.parse(check.stdout) as { ok: boolean }).ok).toBe(true);
    const out = join(dir, 'from-stdin');
    expect(raspcWith({ stdin: text }, 'compile', '-', '--vocab', 'a,b', '--max-len', '3', '-o', out).code).toBe(0);
    expect(existsSync(join(out, 'model.safetensors'))).toBe(true);
    expect(raspcWith({ stdin: text }, 'verify', '-', '--vocab', 'a,b', '--max-len', '3', '--method', 'exhaustive').code).toBe(0);
    const page = join(dir, 'stdin.html');
    expect(raspcWith({ stdin: text }, 'report', '-', '--vocab', 'a,b', '--max-len', '3', '-o', page).code).toBe(0);
    expect(readFileSync(page, 'utf8')).toContain('reverse_selector = select(indices, opp_idx_minus_1, ==);');
  });

  it('a JSON program on standard input, and errors located at <stdin>', () => {
    const parsed = parseProgram(text);
    const encoded = Either.isRight(parsed) ? encodeProgram(parsed.right) : undefined;
    if (encoded === undefined || Either.isLeft(encoded)) throw new Error('reverse does not encode');
    expect(raspcWith({ stdin: JSON.stringify(encoded.right) }, 'run', '-', '--input', 'a b c').stdout).toBe('c b a\n');
    expectOneLineError(raspcWith({ stdin: 'x = map(t -> t +, tokens);\n' }, 'run', '-', '--input', 'a'), /^error: <stdin>:1:/);
    expectOneLineError(raspcWith({ stdin: '{"kind": ' }, 'run', '-', '--input', 'a'), /^error: <stdin>: the program is not valid JSON/);
  });
});

describe("'-' as an output: refused where it cannot be a stream, standard output where it can", () => {
  it('compile -o - is refused and creates nothing (it created a directory named -)', () => {
    const r = raspcWith({ cwd: dir }, 'compile', reverse, '--vocab', 'a,b', '--max-len', '3', '-o', '-');
    expectOneLineError(r, /-o - \(standard output\) cannot hold a model directory/);
    expect(existsSync(join(dir, '-'))).toBe(false);
  });

  it('export, train and show refuse -o -; decompile -o - prints; report -o - writes the page to standard output', () => {
    expectOneLineError(raspcWith({ cwd: dir }, 'export', model, '-o', '-'), /-o - \(standard output\) cannot hold an export directory/);
    expectOneLineError(raspcWith({ cwd: dir }, 'train', '--task', 'majority', '--layers', '1', '--heads', '1', '--d-model', '8', '-o', '-'), /cannot hold a model directory/);
    expectOneLineError(raspcWith({ cwd: dir }, 'show', model, '--picture', 'dag', '-o', '-'), /cannot hold a picture/);
    expect(existsSync(join(dir, '-'))).toBe(false);
    const printed = raspcWith({ cwd: dir }, 'decompile', model, '-o', '-');
    expect(printed.code).toBe(0);
    expect(printed.stdout).toContain('aggregate(');
    const page = raspcWith({ cwd: dir }, 'report', reverse, '--vocab', 'a,b', '--max-len', '3', '-o', '-');
    expect(page.code).toBe(0);
    expect(page.stdout.startsWith('<!doctype html>')).toBe(true);
    expect(page.stderr).toMatch(/wrote the page to standard output/);
    expect(existsSync(join(dir, '-'))).toBe(false);
    expectOneLineError(raspc('verify', reverse, '--vocab', 'a,b', '--max-len', '3', '--certificate', '-'), /--certificate - would mix the certificate with the report/);
  });
});

describe('--vocab and numeric options say what was given', () => {
  it('empty vocabulary items are refused with their position (a,,b was read as {a, b})', () => {
    expectOneLineError(raspc('check', reverse, '--vocab', 'a,,b', '--max-len', '3'), /--vocab item 2 is empty \(in "a,,b"\)/);
    expectOneLineError(raspc('check', reverse, '--vocab', 'a,b,', '--max-len', '3'), /--vocab item 3 is empty/);
    expectOneLineError(raspc('run', reverse, '--input', 'a', '--vocab', ',a'), /--vocab item 1 is empty/);
  });

  it('--max-len -1 and 2.5 (reported "got NaN")', () => {
    expectOneLineError(raspc('check', reverse, '--vocab', 'a,b', '--max-len', '-1'), /--max-len must be a positive integer, got -1/);
    expectOneLineError(raspc('compile', reverse, '--vocab', 'a,b', '--max-len', '2.5', '-o', join(dir, 'x')), /--max-len must be a positive integer, got 2\.5/);
    expectOneLineError(raspc('verify', reverse, '--vocab', 'a,b', '--max-len', 'five'), /--max-len must be a positive integer, got five/);
    expectOneLineError(raspc('verify', reverse, '--vocab', 'a,b', '--max-len', '3', '--workers', '0'), /--workers must be a positive integer, got 0/);
    expectOneLineError(raspc('verify', reverse, '--vocab', 'a,b', '--max-len', '3', '--method', 'z3', '--z3-timeout', '-5'), /--z3-timeout must be a positive integer, got -5/);
    expectOneLineError(raspc('decompile', model, '--prune', '--prune-steps', '0'), /--prune-steps must be a positive integer, got 0/);
    expectOneLineError(raspc('decompile', model, '--prune', '--lambda', '0.1,,0.3'), /--lambda must be non-negative numbers/);
  });
});

describe('no option is silently ignored', () => {
  it('run --max-len without --vocab checks the length (it was ignored)', () => {
    expectOneLineError(raspc('run', reverse, '--input', 'a b c', '--max-len', '2'), /the input has 3 tokens, more than the max length 2/);
    expect(raspc('run', reverse, '--input', 'a b', '--max-len', '2').stdout).toBe('b a\n');
  });

  it('verify: --workers without the exhaustive check, --z3-timeout without z3, compile options with --model', () => {
    const bounds = ['--vocab', 'a,b,c', '--max-len', '4'];
    expectOneLineError(raspc('verify', reverse, ...bounds, '--method', 'lemmas', '--workers', '2'), /--workers has no effect with --method lemmas/);
    expectOneLineError(raspc('verify', reverse, ...bounds, '--method', 'exhaustive', '--z3-timeout', '1000'), /--z3-timeout has no effect with --method exhaustive/);
    expectOneLineError(raspc('verify', reverse, ...bounds, '--model', model, '--tracr-constants'), /--tracr-constants has no effect with --model/);
    expectOneLineError(raspc('verify', reverse, ...bounds, '--model', model, '--max-params', '1000'), /--max-params has no effect with --model/);
    expect(raspc('verify', reverse, ...bounds, '--method', 'exhaustive', '--workers', '1').code).toBe(0);
  });

  it('decompile: the --prune options without --prune, and --format rasp with --prune', () => {
    expectOneLineError(raspc('decompile', model, '--lambda', '0.1'), /--lambda only applies with --prune/);
    expectOneLineError(raspc('decompile', model, '--samples', '10', '--no-norm-fit'), /--samples, --no-norm-fit only apply with --prune/);
    expectOneLineError(raspc('decompile', model, '--prune', '--format', 'rasp'), /--format rasp has no effect with --prune/);
  });

  it('show --input on a picture that does not run the model', () => {
    expectOneLineError(raspc('show', model, '--picture', 'dag', '--input', 'a b', '-o', join(dir, 'dag.svg')), /--input has no effect on the dag picture/);
    expectOneLineError(raspc('show', model, '--picture', 'mlp', '--input', 'a b', '-o', join(dir, 'mlp.svg')), /--input has no effect on the mlp picture/);
  });
});
