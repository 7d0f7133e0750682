/**
 * The integrity record and the consistency checks of a model directory, one at a time: what is an
 * edit and what is not, and what a reader says when the files were re-sealed after an edit (the
 * digests recomputed) so that only the consistency checks stand between it and a wrong answer.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Either from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { REGISTRY } from '../../src/lib/registry.js';
import { modelFiles, MODEL_FILES, readModel, writeModel } from '../../src/model/files.js';
import { canonicalJson, integrityRecord, manifestDigest, sha256Hex, withoutIntegrity } from '../../src/model/integrity.js';
import type { CompiledModel } from '../../src/model/model.js';
import { readSafetensors, writeSafetensors } from '../../src/model/safetensors.js';
import { bounds, compiled } from '../support/check.js';
import { editJson } from '../support/damage.js';

const root = mkdtempSync(join(tmpdir(), 'raspc-model-files-'));
const sortEntry = REGISTRY.find((e) => e.name === 'sort');
if (sortEntry === undefined) throw new Error('sort');
const sort = compiled(sortEntry.build(), bounds(sortEntry.vocab, sortEntry.maxLen)).model;
const intact = join(root, 'intact');
writeModel(intact, sort);

let copies = 0;
const copy = (): string => {
  const dir = join(root, `copy-${copies++}`);
  cpSync(intact, dir, { recursive: true });
  return dir;
};

const refusal = (dir: string): string => {
  const r = readModel(dir);
  if (Either.isRight(r)) throw new Error(`${dir} was read`);
  expect(r.left).toHaveLength(1);
  return r.left[0]?.message ?? '';
};

/** Recomputes the integrity record after an edit, as a forger (or a buggy writer) would. */
const reseal = (dir: string): void => {
  const files = Object.fromEntries([MODEL_FILES.weights, MODEL_FILES.config].map((f) => [f, new Uint8Array(readFileSync(join(dir, f)))]));
  editJson(dir, MODEL_FILES.manifest, (m) => {
    const plain = withoutIntegrity(m);
    for (const k of Object.keys(m)) delete m[k];
    Object.assign(m, plain, { integrity: integrityRecord(plain, files) });
  });
};

describe('the integrity record', () => {
  it('reading and writing again gives the same bytes', () => {
    const read = readModel(intact);
    if (Either.isLeft(read)) throw new Error(read.left[0]?.message);
    expect('integrity' in read.right.manifest).toBe(false);
    for (const [name, bytes] of Object.entries(modelFiles(read.right))) expect(Buffer.from(bytes).equals(readFileSync(join(intact, name))), name).toBe(true);
  });

  it('covers the manifest content, not its layout: reformatted and reordered it still reads', () => {
    const dir = copy();
    const m = JSON.parse(readFileSync(join(dir, MODEL_FILES.manifest), 'utf8')) as Record<string, unknown>;
    const reordered = Object.fromEntries(Object.entries(m).reverse());
    writeFileSync(join(dir, MODEL_FILES.manifest), JSON.stringify(reordered, null, '\t'));
    expect(Either.isRight(readModel(dir))).toBe(true);
  });

  it('a field added to the manifest is covered without naming it (the hook for later fields)', () => {
    const dir = copy();
    editJson(dir, MODEL_FILES.manifest, (m) => (m['added_later'] = 'a field no reader names'));
    expect(refusal(dir)).toMatch(/manifest\.json was edited after compilation/);
    reseal(dir);
    const read = readModel(dir);
    expect(Either.isRight(read) && (read.right.manifest as unknown as Record<string, unknown>)['added_later']).toBe('a field no reader names');
  });

  it('a one-character edit of config.json that keeps it consistent: its digest', () => {
    const dir = copy();
    const path = join(dir, MODEL_FILES.config);
    writeFileSync(path, readFileSync(path, 'utf8').replace('"act_fn": "relu"', '"act_fn":  "relu"'));
    expect(refusal(dir)).toMatch(/config\.json has \d+ bytes where the manifest records \d+/);
  });

  it('a model written before the record: refused, saying so', () => {
    const dir = copy();
    editJson(dir, MODEL_FILES.manifest, (m) => delete m['integrity']);
    expect(refusal(dir)).toMatch(/manifest\.json has no integrity record .* older raspc/);
  });

  it('a record pointing outside the directory is malformed', () => {
    const dir = copy();
    editJson(dir, MODEL_FILES.manifest, (m) => {
      const record = m['integrity'] as { files: Record<string, unknown> };
      record.files['../elsewhere'] = record.files[MODEL_FILES.config];
    });
    expect(refusal(dir)).toMatch(/the integrity record names "..\/elsewhere", not a file of this directory/);
  });

  it('the certificate written beside a certified model is covered too', () => {
    const dir = join(root, 'companion');
    const text = '{"verdict": "verified"}\n';
    const certified: CompiledModel = {
      ...sort,
      manifest: { ...sort.manifest, certification: { verdict: 'verified', method: 'lemmas', claim: 'a claim', certificate: sha256Hex(text) } },
    };
    writeModel(dir, certified, text);
    expect(Either.isRight(readModel(dir))).toBe(true);
    writeFileSync(join(dir, 'certificate.json'), '{"verdict": "verifier"}\n');
    expect(refusal(dir)).toMatch(/certificate\.json was changed after compilation/);
    rmSync(join(dir, 'certificate.json'));
    expect(refusal(dir)).toMatch(/certificate\.json: no such file \(the manifest's integrity record lists it\)/);
  });

  it('the manifest digest is of RFC 8785 canonical JSON', () => {
    expect(canonicalJson({ b: [1, 'x', null, true], a: { d: 0.5, c: 1e21 } })).toBe('{"a":{"c":1e+21,"d":0.5},"b":[1,"x",null,true]}');
    expect(manifestDigest({ b: 1, a: 2, integrity: 'ignored' })).toBe(manifestDigest({ a: 2, b: 1 }));
  });
});

describe('consistency checks (after an edit the digests were recomputed for)', () => {
  const forged = (edit: (dir: string) => void): string => {
    const dir = copy();
    edit(dir);
    reseal(dir);
    return refusal(dir);
  };
  const manifest = (edit: (m: Record<string, unknown>) => void) => (dir: string) => editJson(dir, MODEL_FILES.manifest, edit);
  const config = (edit: (c: Record<string, unknown>) => void) => (dir: string) => editJson(dir, MODEL_FILES.config, edit);

  it.each([
    ['causal flipped in config.json', config((c) => (c['causal'] = true)), /disagree on causality: causal: true in config\.json, bounds\.causal: false/],
    ['bounds.maxLen raised', manifest((m) => ((m['bounds'] as { maxLen: number }).maxLen = 6)), /disagree on the number of positions: n_ctx: 6 .* bounds\.maxLen: 6/],
    ['a token dropped from the vocabulary', manifest((m) => (m['bounds'] as { vocab: unknown[] }).vocab.pop()), /disagree on the vocabulary size/],
    ['a residual direction dropped', manifest((m) => (m['residual'] as unknown[]).pop()), /disagree on the residual width/],
    ['an output value dropped', manifest((m) => (m['output'] as { values: unknown[] }).values.pop()), /disagree on the output width/],
    ['the parameter count', manifest((m) => (m['parameters'] = 1)), /disagree on the parameter count/],
    ['two tokens swapped in the token table', manifest((m) => {
      const tokens = m['tokens'] as { token: unknown }[];
      [tokens[2]!.token, tokens[3]!.token] = [tokens[3]!.token, tokens[2]!.token];
    }), /manifest\.json: tokens\[2\] is .*, expected/],
    ['a node placed beyond the last layer', manifest((m) => {
      const node = (m['nodes'] as { stages: { layer: number }[] }[]).find((n) => n.stages.length > 0)!;
      node.stages[0]!.layer = 99;
    }), /beyond the model's \d+ layers/],
    ['a duplicated vocabulary token', manifest((m) => {
      const b = m['bounds'] as { vocab: unknown[] };
      b.vocab[1] = b.vocab[0];
      (m['tokens'] as { token: unknown }[])[3]!.token = b.vocab[0];
    }), /bounds\.vocab lists 1 twice/],
    ['a negative output tolerance', manifest((m) => ((m['output'] as { tolerance: number }).tolerance = -1)), /output\.tolerance is -1/],
    ['n_layers of a billion', config((c) => (c['n_layers'] = 1e9)), /holds \d+ tensors, the tensors of \d+ layers; config.json gives n_layers 1000000000/],
    ['d_model not an integer', config((c) => (c['d_model'] = 2.5)), /config\.json: field d_model is invalid \(got 2\.5\)/],
  ] as const)('%s', (_, edit, says) => {
    expect(forged(edit)).toMatch(says);
  });

  it('weights of another program', () => {
    const other = REGISTRY.find((e) => e.name === 'sort_unique');
    if (other === undefined) throw new Error('sort_unique');
    const model: CompiledModel = compiled(other.build(), bounds(other.vocab, other.maxLen)).model;
    const dir = copy();
    writeFileSync(join(dir, MODEL_FILES.weights), modelFiles(model)[MODEL_FILES.weights] as Uint8Array);
    reseal(dir);
    expect(refusal(dir)).toMatch(/holds the weights of another program|has shape|holds \d+ tensors, the tensors of \d+ layers/);
  });

  it('weights whose metadata names another program', () => {
    const dir = copy();
    const path = join(dir, MODEL_FILES.weights);
    const file = readSafetensors(new Uint8Array(readFileSync(path)));
    if (Either.isLeft(file)) throw new Error('unreadable');
    writeFileSync(path, writeSafetensors(file.right.tensors, { ...file.right.metadata, program: 'f'.repeat(64) }));
    reseal(dir);
    expect(refusal(dir)).toMatch(/model\.safetensors holds the weights of another program than .*manifest\.json names/);
  });
});
