/**
 * Certified on compile: `raspc compile` certifies the model before writing it (certificate.json
 * beside it, the verdict in the manifest); a model that fails is not written; `--no-verify`
 * writes it marked unverified, and every reader warns.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Either from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { REGISTRY } from '../../src/lib/index.js';
import { makeBounds } from '../../src/typecheck/bounds.js';
import { compileCertified } from '../../src/passes/compile.js';

const CLI = 'dist/src/cli/main.js';
const raspc = (...args: string[]): { code: number; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
};
const dir = mkdtempSync(join(tmpdir(), 'raspc-certify-'));
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

describe('compile certifies what it writes', () => {
  it('writes certificate.json beside the model, and the manifest records its verdict and hash', () => {
    const out = join(dir, 'reverse');
    const r = raspc('compile', 'examples/reverse.rasp', '--vocab', 'a,b,c,d', '--max-len', '5', '-o', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/certified \(lemmas \+ exhaustive\)/);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { certification: { verdict: string; method: string; certificate: string } };
    const certificate = readFileSync(join(out, 'certificate.json'));
    expect(manifest.certification.verdict).toBe('verified');
    expect(manifest.certification.certificate).toBe(sha256(certificate));
    const cert = JSON.parse(certificate.toString('utf8')) as { verdict: string; bounds: { maxLen: number }; exhaustive: { inputs: number } };
    expect(cert.verdict).toBe('verified');
    expect(cert.bounds.maxLen).toBe(5);
    expect(cert.exhaustive.inputs).toBe(1364);
    expect(raspc('eval', out, '--input', 'a b c').stderr).toBe('');
  });

  it('is deterministic: the same program and bounds give byte-identical certificates and manifests', () => {
    const a = join(dir, 'sort-a');
    const b = join(dir, 'sort-b');
    for (const d of [a, b]) expect(raspc('compile', 'examples/sort.rasp', '--vocab', '1,2,3,4', '--max-len', '5', '-o', d).code).toBe(0);
    for (const f of ['certificate.json', 'manifest.json', 'model.safetensors']) expect(readFileSync(join(a, f))).toEqual(readFileSync(join(b, f)));
  });

  it('refuses to write a model that fails certification: exit 1 with the counterexample', () => {
    // Tracr's fixed precision is wrong for `length` at max length 10 (SPEC §4.1)
    const out = join(dir, 'length-tracr');
    const r = raspc('compile', 'examples/length.rasp', '--vocab', 'a,b', '--max-len', '10', '--tracr-constants', '-o', out);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is wrong \(exhaustive\).*nothing was written/);
    expect(r.stderr).toMatch(/input\s+\[/);
    expect(existsSync(out)).toBe(false);
  });

  it('--no-verify writes the model marked unverified, and every reader warns', () => {
    const out = join(dir, 'length-unverified');
    const r = raspc('compile', 'examples/length.rasp', '--vocab', 'a,b', '--max-len', '10', '--tracr-constants', '--no-verify', '-o', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/not certified/);
    expect(existsSync(join(out, 'certificate.json'))).toBe(false);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { certification: { verdict: string } };
    expect(manifest.certification.verdict).toBe('unverified');
    const readers = [
      raspc('eval', out, '--input', 'a b'),
      raspc('show', out, '--picture', 'dag', '-o', join(dir, 'dag.svg')),
      raspc('export', out, '--format', 'tl', '-o', join(dir, 'tl-unverified')),
      raspc('decompile', out),
      raspc('verify', 'examples/length.rasp', '--vocab', 'a,b', '--max-len', '10', '--model', out, '--method', 'lemmas'),
    ];
    for (const reader of readers) expect(reader.stderr).toMatch(/warning: .*manifest\.json: this model is not certified/);
  });

  it('a certificate.json edited or removed after compilation is refused by readers (exit 3, one line)', () => {
    const out = join(dir, 'hist');
    expect(raspc('compile', 'examples/hist.rasp', '--vocab', 'a,b,c,d', '--max-len', '5', '-o', out).code).toBe(0);
    const path = join(out, 'certificate.json');
    writeFileSync(path, readFileSync(path, 'utf8').replace('"verified"', '"unknown"'));
    const edited = raspc('eval', out, '--input', 'a b');
    expect(edited.code).toBe(3);
    expect(edited.stderr.trim().split('\n')).toHaveLength(1);
    expect(edited.stderr).toMatch(/certificate\.json (was changed|has \d+ bytes where).* after compilation/);
    rmSync(path);
    const removed = raspc('eval', out, '--input', 'a b');
    expect(removed.code).toBe(3);
    expect(removed.stderr).toMatch(/certificate\.json: no such file/);
  });

  it('the library compile certifies every library program at its bounds', async () => {
    for (const e of REGISTRY) {
      const bounds = makeBounds(e.vocab, e.maxLen, e.causal ?? false);
      if (Either.isLeft(bounds)) throw new Error(e.name);
      const r = await compileCertified(e.build(), bounds.right);
      if (Either.isLeft(r)) throw new Error(`${e.name}: ${r.left.map((d) => d.message).join('; ')}`);
      expect([e.name, r.right.certificate.verdict]).toEqual([e.name, 'verified']);
      expect(r.right.model.manifest.certification.verdict).toBe('verified');
    }
  });
});
