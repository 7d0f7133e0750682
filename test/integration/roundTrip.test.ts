/**
 * Round trip (src/decompile/roundTrip.ts): compile every library program, recover a RASP program
 * from the weights, and compare it with the original on every input within the compile bounds.
 */
import * as Either from 'fp-ts/lib/Either.js';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseProgram } from '../../src/ast/parser/index.js';
import { printProgram } from '../../src/ast/printer.js';
import { valuesClose, type Value } from '../../src/ast/value.js';
import { programSize, recoverProgram } from '../../src/decompile/roundTrip.js';
import { evaluate } from '../../src/interpreter/evaluate.js';
import { REGISTRY } from '../../src/lib/index.js';
import { writeModel } from '../../src/model/files.js';
import { tensorF32, writeSafetensors, type Tensor } from '../../src/model/safetensors.js';
import { allInputs, bounds, compiled, inputCount } from '../support/check.js';
import { randomGpt2Tensors } from '../support/randomGpt2.js';

/** The library bounds, or max length 5 where they have more than this many inputs. */
const INPUT_BUDGET = 20_000;

describe('compile → decompile → the recovered program agrees with the original on every input', () => {
  for (const e of REGISTRY) {
    const maxLen = inputCount(e.vocab.length, e.maxLen) <= INPUT_BUDGET ? e.maxLen : Math.min(e.maxLen, 5);
    it(`${e.name} (vocab ${e.vocab.length}, max length ${maxLen})`, () => {
      const b = bounds(e.vocab, maxLen, e.causal ?? false);
      const original = e.build();
      const r = recoverProgram(compiled(original, b).model);
      if (Either.isLeft(r)) throw new Error(r.left.map((d) => d.message).join('; '));
      // printed and parsed back: the .rasp text is the program
      const text = printProgram(r.right.program);
      if (Either.isLeft(text)) throw new Error(text.left[0]?.message);
      const reparsed = parseProgram(text.right);
      if (Either.isLeft(reparsed)) throw new Error(`the recovered program does not parse: ${reparsed.left[0]?.message}`);
      let compared = 0;
      for (const input of allInputs(b.vocab, b.maxLen)) {
        const want = evaluate(original, input, { causal: b.causal });
        if (Either.isLeft(want)) continue;
        const got = evaluate(reparsed.right, input, { causal: b.causal });
        const same = Either.isRight(got) && got.right.every((g, i) => valuesClose(g, want.right[i] as Value));
        if (!same) expect.fail(`${input.join(' ')}: recovered ${JSON.stringify(got)}, original ${JSON.stringify(want.right)}`);
        compared++;
      }
      expect(compared).toBeGreaterThan(0);
      expect(r.right.size).toBeLessThanOrEqual(2 * programSize(original));
    });
  }
});

describe('raspc decompile', () => {
  const CLI = 'dist/src/cli/main.js';
  const raspc = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  const dir = mkdtempSync(join(tmpdir(), 'raspc-decompile-'));
  const e = REGISTRY.find((x) => x.name === 'sort');
  if (e === undefined) throw new Error('sort');
  const modelDir = join(dir, 'sort');
  writeModel(modelDir, compiled(e.build(), bounds([1, 2, 3, 4], 5)).model);

  it('prints the recovered program (rasp) and the D-RASP program', () => {
    const rasp = raspc('decompile', modelDir);
    expect(rasp.status).toBe(0);
    expect(rasp.stdout).toMatch(/selector_width\(select\(/);
    expect(rasp.stdout).toMatch(/aggregate\(select\(target_pos, indices, ==\), tokens\)/);
    const drasp = raspc('decompile', modelDir, '--format', 'drasp');
    expect(drasp.status).toBe(0);
    expect(drasp.stdout).toMatch(/aggregate\(/);
    expect(drasp.stdout).toMatch(/project\(/);
  });

  it('bad input: one line, exit 3', () => {
    for (const args of [[join(dir, 'nowhere')], [modelDir, '--format', 'pickle']]) {
      const r = raspc('decompile', ...args);
      expect(r.status, args.join(' ')).toBe(3);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
    const broken = join(dir, 'broken');
    writeModel(broken, compiled(e.build(), bounds([1, 2, 3, 4], 5)).model);
    writeFileSync(join(broken, 'model.safetensors'), new Uint8Array([1, 2, 3]));
    const r = raspc('decompile', broken);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/truncated|fewer than/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  /** A random one-layer GPT-2 in the HuggingFace layout, written tensor by tensor. */
  const gpt2Dir = (name: string, change: (tensors: Map<string, Tensor>) => void = () => {}): string => {
    const d = 8;
    const tensors = randomGpt2Tensors(7, 16, d);
    change(tensors);
    const out = join(dir, name);
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'config.json'), JSON.stringify({ model_type: 'gpt2', n_layer: 1, n_head: 2, n_embd: d, n_positions: 16, vocab_size: 6, activation_function: 'gelu_new' }));
    writeFileSync(join(out, 'model.safetensors'), writeSafetensors(tensors, { format: 'pt' }));
    return out;
  };

  it('a GPT-2 model decompiles to D-RASP; a missing tensor or a wrong shape is a one-line error', () => {
    const ok = raspc('decompile', gpt2Dir('gpt2'), '--format', 'drasp');
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/select\(q=/);
    expect(raspc('decompile', gpt2Dir('gpt2'), '--format', 'rasp').status).toBe(3);
    const missing = raspc('decompile', gpt2Dir('missing', (t) => t.delete('h.0.mlp.c_fc.bias')), '--format', 'drasp');
    expect(missing.status).toBe(3);
    expect(missing.stderr).toMatch(/h\.0\.mlp\.c_fc\.bias/);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    const shaped = raspc('decompile', gpt2Dir('shape', (t) => t.set('wpe.weight', tensorF32([16, 7], new Float32Array(16 * 7)))), '--format', 'drasp');
    expect(shaped.status).toBe(3);
    expect(shaped.stderr).toMatch(/wpe\.weight/);
    expect(shaped.stderr.trim().split('\n')).toHaveLength(1);
  });
});

