import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as Either from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { readHeader } from '../../src/ast/header.js';
import { parseProgram } from '../../src/ast/parser/index.js';
import type { SOp } from '../../src/ast/program.js';
import { showValue, valuesClose, valueEquals, type Value } from '../../src/ast/value.js';
import { evaluate } from '../../src/interpreter/evaluate.js';
import { REGISTRY } from '../../src/lib/index.js';

const load = (name: string): { program: SOp; text: string } => {
  const text = readFileSync(`examples/${name}.rasp`, 'utf8');
  const parsed = parseProgram(text, `examples/${name}.rasp`);
  if (Either.isLeft(parsed)) throw new Error(parsed.left.map((d) => `${d.where}: ${d.message}`).join('\n'));
  return { program: parsed.right, text };
};

/** Every input up to the max length while the count stays within the budget; then random ones. */
const inputsFor = (vocab: readonly Value[], maxLen: number, budget = 1500): Value[][] => {
  const out: Value[][] = [];
  let layer: Value[][] = [[]];
  for (let n = 1; n <= maxLen && out.length + layer.length * vocab.length <= budget; n++) {
    layer = layer.flatMap((p) => vocab.map((v) => [...p, v]));
    out.push(...layer);
  }
  let seed = 12345;
  const random = (k: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % k;
  };
  for (let i = 0; i < 200; i++) {
    const n = 1 + random(maxLen);
    out.push(Array.from({ length: n }, () => vocab[random(vocab.length)] as Value));
  }
  return out;
};

const same = (a: ReturnType<typeof evaluate>, b: ReturnType<typeof evaluate>): boolean =>
  Either.isRight(a) && Either.isRight(b) ? valuesClose(a.right, b.right) : Either.isLeft(a) && Either.isLeft(b);

describe('examples/*.rasp', () => {
  it('has one file per library program and no strays', () => {
    const files = readdirSync('examples').filter((f) => f.endsWith('.rasp')).map((f) => f.replace(/\.rasp$/, ''));
    expect(new Set(files)).toEqual(new Set(REGISTRY.map((e) => e.name)));
  });

  for (const entry of REGISTRY) {
    it(`${entry.name}: header bounds match the library, header examples hold, and it computes what the DSL program computes`, () => {
      expect(existsSync(`examples/${entry.name}.rasp`)).toBe(true);
      const { program, text } = load(entry.name);
      const header = readHeader(text);
      expect(header.maxLen).toBe(entry.maxLen);
      expect(header.vocab?.length).toBe(entry.vocab.length);
      header.vocab?.forEach((v, i) => expect(valueEquals(v, entry.vocab[i] as Value)).toBe(true));
      expect(header.causal ?? false).toBe(entry.causal ?? false);
      const causal = entry.causal ?? false;
      expect(header.examples.length).toBeGreaterThan(0);
      for (const ex of header.examples) {
        const r = evaluate(program, ex.input, { causal });
        expect(Either.isRight(r) && valuesClose(r.right, ex.output), `${ex.input.map(showValue).join(' ')}`).toBe(true);
      }
      const dsl = entry.build();
      for (const input of inputsFor(entry.vocab, entry.maxLen)) {
        const a = evaluate(program, input, { causal });
        const b = evaluate(dsl, input, { causal });
        if (!same(a, b)) throw new Error(`differs on ${input.map(showValue).join(' ')}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
      }
    });
  }
});
