/**
 * `raspc show`: each picture produced by the built CLI and checked for content (labels, shape),
 * plus the lookup tables read from the weights against the program.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Either from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { writeModel } from '../../src/model/files.js';
import { certifyCompilation } from '../../src/passes/certify.js';
import { findEntry } from '../../src/lib/index.js';
import { lookupTables } from '../../src/pictures/lookupTables.js';
import { pictureSpec } from '../../src/pictures/index.js';
import { bounds, compiled } from '../support/check.js';

const CLI = 'dist/src/cli/main.js';
const raspc = (...args: string[]): { code: number; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
};

const dir = mkdtempSync(join(tmpdir(), 'raspc-show-'));
const sortEntry = findEntry('sort');
if (sortEntry === undefined) throw new Error('sort');
const certified = await certifyCompilation(sortEntry.build(), compiled(sortEntry.build(), bounds([1, 2, 3, 4], 5)));
if (Either.isLeft(certified) || certified.right.certificate.verdict !== 'verified') throw new Error('sort is not certified');
const sort = certified.right.model;
const modelDir = join(dir, 'sort');
if (Either.isLeft(writeModel(modelDir, sort, certified.right.certificateText))) throw new Error('cannot write the model');

/** Text of every <text> element of an SVG. */
const texts = (svg: string): string[] =>
  [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => (m[1] as string).replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'));

describe('raspc show', () => {
  it('residual: a heatmap per stage with labelled directions and positions', () => {
    const out = join(dir, 'residual.svg');
    const r = raspc('show', modelDir, '--picture', 'residual', '--input', '3 1 4 2', '-o', out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const labels = texts(readFileSync(out, 'utf8'));
    for (const name of ['tokens:3', 'indices:0', 'sort:4', 'one', 'bos', '0 <bos>', '4 2', 'layer 2 mlp', 'embed']) expect(labels).toContain(name);
    const spec = pictureSpec(sort, 'residual', [3, 1, 4, 2]);
    if (Either.isLeft(spec)) throw new Error('no spec');
    const values = (spec.right['data'] as { values: { stage: string; position: string; direction: string; value: number }[] }).values;
    expect(values).toHaveLength((1 + 2 * sort.config.n_layers) * 5 * sort.config.d_model);
    // the sorted output is in the last stage: position p holds sort:(p-th smallest)
    const last = values.filter((v) => v.stage === `layer ${sort.config.n_layers - 1} mlp` && v.direction.startsWith('sort:') && v.value > 0.5);
    expect(last.map((v) => `${v.position}→${v.direction}`).sort()).toEqual(['1 3→sort:1', '2 1→sort:2', '3 4→sort:3', '4 2→sort:4']);
  });

  it('attention: one panel per head used, titled with its node', () => {
    const out = join(dir, 'attention.svg');
    expect(raspc('show', modelDir, '--picture', 'attention', '--input', '3 1 4 2', '-o', out).code).toBe(0);
    const labels = texts(readFileSync(out, 'utf8'));
    expect(labels.some((t) => /layer 2 head 0: sort/.test(t))).toBe(true);
    expect(labels.some((t) => /layer 1 head 0: target_pos/.test(t))).toBe(true);
    expect(labels).toContain('query');
    expect(labels).toContain('key');
  });

  it('dag: every node, placed on its layer', () => {
    const out = join(dir, 'dag.svg');
    expect(raspc('show', modelDir, '--picture', 'dag', '-o', out).code).toBe(0);
    const labels = texts(readFileSync(out, 'utf8'));
    for (const n of sort.manifest.nodes) expect(labels).toContain(n.label);
    for (const c of ['embed', 'L0 mlp', 'L1 attn', 'L2 attn']) expect(labels).toContain(c);
  });

  it('mlp: lookup tables read from the weights equal the program (the sort keys: token + index / 5)', () => {
    const tables = lookupTables(sort);
    const keys = tables.find((t) => / = sequenceMap\(tokens, indices\)/.test(t.node));
    expect(keys?.rows).toHaveLength(4 * 5);
    for (const row of keys?.rows ?? []) {
      const [token, index] = row.input.split(', ').map(Number) as [number, number];
      expect(Number(row.output)).toBeCloseTo(token + index / 5, 9);
    }
    const out = join(dir, 'mlp.png');
    expect(raspc('show', modelDir, '--picture', 'mlp', '-o', out).code).toBe(0);
    const png = readFileSync(out);
    expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
    // IHDR: width and height, big-endian, at bytes 16..24
    expect(png.readUInt32BE(16)).toBeGreaterThan(100);
    expect(png.readUInt32BE(20)).toBeGreaterThan(100);
  });

  it('user errors: exit 3 with one line', () => {
    for (const args of [
      ['--picture', 'nope', '-o', join(dir, 'x.svg')],
      ['--picture', 'residual', '-o', join(dir, 'x.svg')],
      ['--picture', 'residual', '--input', '3 9', '-o', join(dir, 'x.svg')],
      ['--picture', 'dag', '-o', join(dir, 'x.gif')],
    ]) {
      const r = raspc('show', modelDir, ...args);
      expect(r.code, args.join(' ')).toBe(3);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });
});
