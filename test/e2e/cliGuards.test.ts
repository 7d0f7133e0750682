/**
 * Issue 13, through the built CLI: inputs that reached the internal-error exit (70), ran out of
 * memory or hung now get one line and exit 3 — values no model can carry, sizes beyond the limits
 * (max length, vocabulary, the parameter estimate), absurd training sizes.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, raspc } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'raspc-guards-'));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('values no model can carry: check refuses, verify and compile no longer crash (exit 70)', () => {
  const cases = [
    { name: 'nan.rasp', text: 'x = numerical(map(t -> nan, tokens));\n', message: /NaN/ },
    { name: 'inf.rasp', text: 'x = map(t -> t * inf, tokens);\n', message: /inf, which no finite weight can carry/ },
    { name: 'huge.rasp', text: 'x = map(t -> t * 9007199254740991, tokens);\n', message: /beyond ±\(2\^53 − 1\)/ },
  ];
  for (const c of cases) {
    it(`${c.name}: check, compile and verify exit 3 with the node`, () => {
      const p = file(c.name, c.text);
      for (const args of [
        ['check', p, '--vocab', '1,2', '--max-len', '3'],
        ['compile', p, '--vocab', '1,2', '--max-len', '3', '-o', join(dir, `${c.name}.model`)],
        ['verify', p, '--vocab', '1,2', '--max-len', '3'],
      ]) {
        const r = raspc(...args);
        expectOneLineError(r, c.message);
        expect(r.stderr).toMatch(/\[node x\]/);
      }
      expect(existsSync(join(dir, `${c.name}.model`))).toBe(false);
    });
  }

  it('an integer literal above 2^53: a syntax error at its position, in every command', () => {
    const p = file('literal.rasp', 'x = map(t -> t + 9007199254740993, tokens);\n');
    for (const args of [['check', p, '--vocab', '1,2', '--max-len', '3'], ['verify', p, '--vocab', '1,2', '--max-len', '3'], ['run', p, '--input', '1 2']]) {
      expectOneLineError(raspc(...args), /literal\.rasp:1:18: the integer 9007199254740993 is beyond 2\^53 − 1/);
    }
  });

  it('a vocabulary token of inf is refused', () => {
    expectOneLineError(raspc('check', 'examples/sort.rasp', '--vocab', '1,1e400', '--max-len', '3'), /vocabulary item 2 is inf/);
  });
});

describe('size guards: refused in one line instead of running out of memory or hanging', () => {
  it('check with --max-len 1000000000 (ran out of memory)', () => {
    expectOneLineError(
      raspc('check', 'examples/reverse.rasp', '--vocab', 'a,b', '--max-len', '1000000000'),
      /--max-len must be at most 100,000 \(the largest value set the checker enumerates\), got 1000000000/,
    );
  });

  it('compile with a 10,000-token vocabulary (hung): the estimate and the node that dominates; check agrees', () => {
    const vocab = Array.from({ length: 10_000 }, (_, i) => `t${i}`).join(',');
    const out = join(dir, 'big-vocab');
    for (const args of [
      ['compile', 'examples/reverse.rasp', '--vocab', vocab, '--max-len', '5', '-o', out],
      ['check', 'examples/reverse.rasp', '--vocab', vocab, '--max-len', '5'],
    ]) {
      expectOneLineError(raspc(...args), /the model would have about [\d,]+ parameters .*more than the limit of 50,000,000; the largest part is .* \[node \w+\] — fix: .*--max-params/);
    }
    expect(existsSync(out)).toBe(false);
  });

  it('--max-params lowers (and raises) the budget; check reports the estimate', () => {
    const small = raspc('compile', 'examples/reverse.rasp', '--vocab', 'a,b', '--max-len', '5', '-o', join(dir, 'rev'), '--max-params', '1000');
    expectOneLineError(small, /more than the limit of 1,000/);
    expect(raspc('compile', 'examples/reverse.rasp', '--vocab', 'a,b', '--max-len', '5', '-o', join(dir, 'rev')).code).toBe(0);
    const check = raspc('check', 'examples/reverse.rasp', '--vocab', 'a,b', '--max-len', '5', '--json');
    expect((JSON.parse(check.stdout) as { estimate: { parameters: number } }).estimate.parameters).toBeGreaterThan(0);
    expectOneLineError(raspc('check', 'examples/reverse.rasp', '--vocab', 'a,b', '--max-len', '5', '--max-params', '0'), /--max-params must be a positive integer, got 0/);
  });

  it('a program of 3,000 chained maps: no single node dominates, the depth does', () => {
    const lines = ['x0 = tokens;', ...Array.from({ length: 3000 }, (_, i) => `x${i + 1} = map(t -> t, x${i});`)];
    const p = file('deep.rasp', `${lines.join('\n')}\n`);
    expectOneLineError(raspc('check', p, '--vocab', '1,2', '--max-len', '2'), /no single node dominates: 3000 layers/);
  });

  it('train --d-model 1000000000 (hung), and sizes within the limits that are still too large', () => {
    const out = join(dir, 'trained');
    expectOneLineError(raspc('train', '--task', 'majority', '--layers', '1', '--heads', '1', '--d-model', '1000000000', '-o', out), /--d-model must be at most 4,096, got 1000000000/);
    expectOneLineError(
      raspc('train', '--task', 'majority', '--layers', '2', '--heads', '4', '--d-model', '4096', '-o', out),
      /the model would have [\d,]+ parameters, more than the limit of 50,000,000/,
    );
    expectOneLineError(
      raspc('train', '--task', 'majority', '--layers', '2', '--heads', '4', '--d-model', '512', '--batch-size', '4096', '-o', out),
      /a training step would hold about \d+ GiB \(limit 8\.0 GiB\)/,
    );
    expectOneLineError(raspc('train', '--task', 'majority', '--layers', '0', '--heads', '1', '--d-model', '8', '-o', out), /--layers must be a positive integer, got 0/);
    expectOneLineError(raspc('train', '--task', 'majority', '--layers', '1', '--heads', '1', '--d-model', '8', '--steps', '1e12', '-o', out), /--steps must be at most 10,000,000, got 1e12/);
    expectOneLineError(raspc('train', '--task', 'majority', '--layers', '1', '--heads', '1', '--d-model', '8', '--lr', 'abc', '-o', out), /--lr must be a positive number, got "abc"/);
    expect(existsSync(out)).toBe(false);
  });
});
