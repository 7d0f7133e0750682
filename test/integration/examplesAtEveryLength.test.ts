/**
 * The sorting examples must mean the same task at every maximum length, not only at the one in
 * their header (Tracr's `min_key * i / max_seq_len` tie-break is wrong past max_seq_len). Each is
 * run by the interpreter at max length 5, 8 and 12 and compared with a direct reference of the task.
 */
import { readFileSync } from 'node:fs';
import * as Either from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { readHeader } from '../../src/ast/header.js';
import { parseProgram } from '../../src/ast/parser/index.js';
import type { SOp } from '../../src/ast/program.js';
import { showValue, valuesClose, type Value } from '../../src/ast/value.js';
import { evaluate } from '../../src/interpreter/evaluate.js';

const FILLER = '§';
/** Every input while their number stays within this; above it, seeded random inputs. */
const EXHAUSTIVE_LIMIT = 100_000;
const RANDOM_INPUTS = 2_000;

const load = (name: string): { program: SOp; vocab: readonly Value[] } => {
  const text = readFileSync(`examples/${name}.rasp`, 'utf8');
  const parsed = parseProgram(text, `examples/${name}.rasp`);
  if (Either.isLeft(parsed)) throw new Error(parsed.left.map((d) => `${d.where}: ${d.message}`).join('\n'));
  const vocab = readHeader(text).vocab;
  if (vocab === undefined) throw new Error(`examples/${name}.rasp has no vocab header`);
  return { program: parsed.right, vocab };
};

const counts = (xs: readonly Value[]): Map<Value, number> => {
  const m = new Map<Value, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
};

/** Stable sort by a key: equal keys keep their input order. */
const stableSortBy = (xs: readonly Value[], key: (x: Value) => number): Value[] =>
  xs.map((x, i) => ({ x, i, k: key(x) })).sort((a, b) => a.k - b.k || a.i - b.i).map((e) => e.x);

const REFERENCES: Record<string, (xs: readonly Value[]) => Value[]> = {
  sort: (xs) => stableSortBy(xs, (x) => x as number),
  sort_freq: (xs) => {
    const c = counts(xs);
    return stableSortBy(xs, (x) => -(c.get(x) ?? 0));
  },
  most_freq: (xs) => {
    const c = counts(xs);
    const distinct = stableSortBy([...new Set(xs)], (x) => -(c.get(x) ?? 0));
    return [...distinct, ...Array.from({ length: xs.length - distinct.length }, () => FILLER)];
  },
};

function* inputs(vocab: readonly Value[], maxLen: number): Generator<Value[]> {
  const total = Array.from({ length: maxLen }, (_, n) => vocab.length ** (n + 1)).reduce((s, x) => s + x, 0);
  if (total <= EXHAUSTIVE_LIMIT) {
    let layer: Value[][] = [[]];
    for (let n = 1; n <= maxLen; n++) {
      layer = layer.flatMap((p) => vocab.map((v) => [...p, v]));
      yield* layer;
    }
    return;
  }
  let seed = 2026;
  const random = (k: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return Math.floor((seed / 2147483648) * k);
  };
  for (let i = 0; i < RANDOM_INPUTS; i++) {
    const n = 1 + random(maxLen);
    // every other input mostly repeats one token, so counts near the length occur too
    const favourite = vocab[random(vocab.length)] as Value;
    yield Array.from({ length: n }, () => (i % 2 === 1 && random(4) > 0 ? favourite : (vocab[random(vocab.length)] as Value)));
  }
}

describe('sorting examples hold at every length', () => {
  for (const [name, reference] of Object.entries(REFERENCES)) {
    for (const maxLen of [5, 8, 12]) {
      it(`${name} at max length ${maxLen}: the interpreter gives the task's answer on every tested input`, () => {
        const { program, vocab } = load(name);
        let checked = 0;
        for (const input of inputs(vocab, maxLen)) {
          const got = evaluate(program, input);
          const want = reference(input);
          if (Either.isLeft(got) || !valuesClose(got.right, want)) {
            throw new Error(`${name} on ${input.map(showValue).join(' ')}: ${Either.isLeft(got) ? got.left.message : got.right.map(showValue).join(' ')}, want ${want.map(showValue).join(' ')}`);
          }
          checked++;
        }
        expect(checked).toBeGreaterThanOrEqual(maxLen <= 8 ? 1_000 : RANDOM_INPUTS);
      });
    }
  }
});
