import * as Either from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { abDbc, abcde, dyck1 } from '../../../src/tasks/languages.js';
import { taskByName, taskNames } from '../../../src/tasks/registry.js';
import { binaryAdditionTask, repeatCopyTask, countTask, majorityTask, mostFrequentTask, parityTask, sortTask, uniqueCopyTask, uniqueReverseTask } from '../../../src/tasks/seq2seq.js';
import { type Example, type Task } from '../../../src/tasks/task.js';
import { mulberry32 } from '../../../src/util/random.js';

const gen = (task: Task, random: () => number, length: number): Example => {
  const r = task.generate(random, length);
  if (Either.isLeft(r)) throw new Error(r.left.message);
  return r.right;
};

/** Draws examples of this length until the input (seq2seq) or string (language) spells `word`. */
const findWord = (task: Task, seed: number, word: readonly number[]): Example => {
  const random = mulberry32(seed);
  for (let i = 0; i < 5000; i++) {
    const ex = gen(task, random, word.length);
    if (ex.tokens.slice(1, word.length + 1).join(' ') === word.join(' ')) return ex;
  }
  throw new Error(`no draw spells ${word.join(' ')}`);
};

const named = (name: string): Task => {
  const r = taskByName(name);
  if (Either.isLeft(r)) throw new Error(r.left.message);
  return r.right;
};

/** Splits a seq2seq example into input and answer symbol ids, checking the frame. */
const split = (task: Task, ex: Example): { input: number[]; answer: number[] } => {
  const t = ex.tokens;
  expect(t[0]).toBe(task.bos);
  expect(t[t.length - 1]).toBe(task.eos);
  const sepAt = t.indexOf(task.sep);
  expect(sepAt).toBeGreaterThan(0);
  const input = t.slice(1, sepAt);
  const answer = t.slice(sepAt + 1, t.length - 1);
  for (const x of [...input, ...answer]) expect(x).toBeLessThan(task.symbols.length);
  // loss on <sep> and every answer position, each predicting the next token
  expect(ex.lossPositions).toEqual(Array.from({ length: answer.length + 1 }, (_, i) => sepAt + i));
  expect(ex.targets).toEqual([...answer, task.eos]);
  return { input, answer };
};

describe('vocabulary and registry', () => {
  it('puts the task symbols first, then <bos> <sep> <eos> <pad>', () => {
    const t = majorityTask();
    expect(t.vocab).toEqual(['0', '1', '<bos>', '<sep>', '<eos>', '<pad>']);
    expect([t.bos, t.sep, t.eos, t.pad]).toEqual([2, 3, 4, 5]);
    const l = abcde();
    expect(l.vocab).toEqual(['a', 'b', 'c', 'd', 'e', '<bos>', '<sep>', '<eos>', '<pad>']);
  });

  it('answers a Left diagnostic for an unknown task name', () => {
    const r = taskByName('no-such-task');
    expect(Either.isLeft(r)).toBe(true);
    if (Either.isLeft(r)) {
      expect(r.left.code).toBe('train/unknown-task');
      expect(r.left.fix).toContain('majority');
    }
    expect(Either.isLeft(taskByName('toString'))).toBe(true);
  });

  it('knows every required task', () => {
    for (const name of [
      'majority', 'most_freq', 'count', 'sort', 'unique_copy', 'unique_reverse', 'repeat_copy', 'parity', 'addition',
      'tomita1', 'tomita2', 'tomita4', 'tomita7', 'dyck1_d2', 'aastar', 'abcde', 'ab_d_bc',
    ]) {
      expect(taskNames).toContain(name);
      expect(named(name).name).toBe(name);
    }
  });

  it('answers Left for impossible lengths', () => {
    expect(Either.isLeft(majorityTask().generate(mulberry32(1), 0))).toBe(true);
    expect(Either.isLeft(named('aastar').generate(mulberry32(1), 3))).toBe(true);
    expect(Either.isLeft(abcde().generate(mulberry32(1), 4))).toBe(true);
    expect(Either.isLeft(dyck1(2).generate(mulberry32(1), 5))).toBe(true);
    expect(Either.isLeft(uniqueCopyTask(5).generate(mulberry32(1), 6))).toBe(true);
    expect(Either.isRight(abcde().generate(mulberry32(1), 5))).toBe(true);
  });
});

describe('seq2seq formats', () => {
  it('majority: exact tokens, answer is the majority bit', () => {
    const t = majorityTask();
    const random = mulberry32(7);
    for (let i = 0; i < 200; i++) {
      const ex = gen(t, random, 3);
      const { input, answer } = split(t, ex);
      expect(input).toHaveLength(3);
      const ones = input.filter((x) => x === 1).length;
      expect(answer).toEqual([ones >= 2 ? 1 : 0]);
    }
    const ex = findWord(t, 1, [1, 0, 1]);
    expect(ex.tokens).toEqual([2, 1, 0, 1, 3, 1, 4]);
    expect(ex.lossPositions).toEqual([4, 5]);
    expect(ex.targets).toEqual([1, 4]);
    expect(findWord(t, 2, [0, 0, 1]).tokens).toEqual([2, 0, 0, 1, 3, 0, 4]);
  });

  it('majority never produces ties, even at even lengths', () => {
    const t = majorityTask();
    const random = mulberry32(11);
    for (let i = 0; i < 2000; i++) {
      const n = 1 + (i % 12);
      const { input, answer } = split(t, gen(t, random, n));
      expect(input).toHaveLength(n);
      const ones = input.filter((x) => x === 1).length;
      expect(2 * ones).not.toBe(n);
      expect(answer).toEqual([2 * ones > n ? 1 : 0]);
    }
  });

  it('most-frequent never produces ties and answers the mode', () => {
    const t = mostFrequentTask(4);
    const random = mulberry32(12);
    for (let i = 0; i < 2000; i++) {
      const n = 1 + (i % 20);
      const { input, answer } = split(t, gen(t, random, n));
      expect(input).toHaveLength(n);
      const counts = [0, 0, 0, 0];
      for (const x of input) counts[x]++;
      const max = Math.max(...counts);
      expect(counts.filter((c) => c === max)).toHaveLength(1);
      expect(answer).toEqual([counts.indexOf(max)]);
    }
  });

  it('count: a b <sep> a … b', () => {
    const t = countTask(20);
    const random = mulberry32(3);
    for (let n = 1; n <= 21; n++) {
      const { input, answer } = split(t, gen(t, random, n));
      expect(answer).toHaveLength(n);
      expect(input).toEqual([answer[0], answer[n - 1]]);
      answer.forEach((x, i) => expect(x).toBe(answer[0] + i));
      expect(answer[n - 1]).toBeLessThanOrEqual(20);
    }
    expect(Either.isLeft(t.generate(random, 22))).toBe(true);
  });

  it('sort, unique copy, unique reverse, parity', () => {
    const random = mulberry32(5);
    for (let n = 0; n <= 30; n++) {
      const s = sortTask(10);
      const a = split(s, gen(s, random, n));
      expect(a.input).toHaveLength(n);
      expect(a.answer).toEqual([...a.input].sort((x, y) => x - y));
      const c = uniqueCopyTask(40);
      const b = split(c, gen(c, random, n));
      expect(new Set(b.input).size).toBe(n);
      expect(b.answer).toEqual(b.input);
      const r = uniqueReverseTask(40);
      const d = split(r, gen(r, random, n));
      expect(new Set(d.input).size).toBe(n);
      expect(d.answer).toEqual([...d.input].reverse());
      const p = parityTask();
      const e = split(p, gen(p, random, n));
      expect(e.answer).toEqual([e.input.filter((x) => x === 1).length % 2]);
    }
  });

  it('repeat copy: two symbols, answer equals input', () => {
    const random = mulberry32(8);
    const t = repeatCopyTask();
    expect(t.vocab).toEqual(['a', 'b', '<bos>', '<sep>', '<eos>', '<pad>']);
    for (let n = 0; n <= 20; n++) {
      const { input, answer } = split(t, gen(t, random, n));
      expect(input).toHaveLength(n);
      expect(answer).toEqual(input);
    }
  });

  it('binary addition: x + y, answer the n + 1 bit sum, most significant first', () => {
    const t = binaryAdditionTask();
    expect(t.vocab).toEqual(['0', '1', '+', '<bos>', '<sep>', '<eos>', '<pad>']);
    const random = mulberry32(3);
    const value = (bits: readonly number[]): number => bits.reduce((v, b) => 2 * v + b, 0);
    for (let n = 1; n <= 20; n++) {
      const { input, answer } = split(t, gen(t, random, n));
      expect(input).toHaveLength(2 * n + 1);
      expect(input[n]).toBe(2);
      expect(answer).toHaveLength(n + 1);
      expect(value(answer)).toBe(value(input.slice(0, n)) + value(input.slice(n + 1)));
    }
    // 11 + 01 = 100
    const draws = mulberry32(4);
    let ex = gen(t, draws, 2);
    while (ex.tokens.slice(1, 6).join(' ') !== '1 1 2 0 1') ex = gen(t, draws, 2);
    expect(ex.tokens).toEqual([3, 1, 1, 2, 0, 1, 4, 1, 0, 0, 5]);
    expect(Either.isLeft(t.generate(mulberry32(1), 0))).toBe(true);
  });

  it('hand-checked small examples', () => {
    // vocab 0..3, <bos>=4 <sep>=5 <eos>=6
    const ex = findWord(sortTask(4), 9, [3, 1, 2]);
    expect(ex.tokens).toEqual([4, 3, 1, 2, 5, 1, 2, 3, 6]);
    expect(ex.lossPositions).toEqual([4, 5, 6, 7]);
    expect(ex.targets).toEqual([1, 2, 3, 6]);
    expect(findWord(uniqueReverseTask(4), 9, [3, 1, 2]).tokens).toEqual([4, 3, 1, 2, 5, 2, 1, 3, 6]);
    expect(findWord(uniqueCopyTask(4), 9, [3, 1, 2]).tokens).toEqual([4, 3, 1, 2, 5, 3, 1, 2, 6]);
    expect(findWord(parityTask(), 9, [1, 1, 1]).tokens).toEqual([2, 1, 1, 1, 3, 1, 4]);
    expect(findWord(mostFrequentTask(4), 9, [2, 0, 2, 1]).tokens).toEqual([4, 2, 0, 2, 1, 5, 2, 6]);
    // count over 0..9: <bos>=10 <sep>=11 <eos>=12; the input is `a b`, the length is the answer's
    const count = countTask(9);
    const random = mulberry32(9);
    let found = false;
    for (let i = 0; i < 1000 && !found; i++) {
      const c = gen(count, random, 3);
      if (c.tokens[1] === 3) {
        expect(c.tokens).toEqual([10, 3, 5, 11, 3, 4, 5, 12]);
        expect(c.lossPositions).toEqual([3, 4, 5, 6]);
        found = true;
      }
    }
    expect(found).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// formal languages, checked against independent membership tests

const membership: Record<string, (w: string) => boolean> = {
  tomita1: (w) => /^1*$/.test(w),
  tomita2: (w) => /^(10)*$/.test(w),
  tomita3: (w) => {
    // reject when an odd block of 1s is immediately followed by an odd block of 0s
    const blocks = w.match(/0+|1+/g) ?? [];
    for (let i = 0; i + 1 < blocks.length; i++) {
      if (blocks[i][0] === '1' && blocks[i].length % 2 === 1 && blocks[i + 1].length % 2 === 1) return false;
    }
    return true;
  },
  tomita4: (w) => !w.includes('000'),
  tomita5: (w) => [...w].filter((c) => c === '0').length % 2 === 0 && [...w].filter((c) => c === '1').length % 2 === 0,
  tomita6: (w) => ([...w].filter((c) => c === '0').length - [...w].filter((c) => c === '1').length) % 3 === 0,
  tomita7: (w) => /^0*1*0*1*$/.test(w),
  aastar: (w) => /^(aa)*$/.test(w),
  aaaastar: (w) => /^(aaaa)*$/.test(w),
  ababstar: (w) => /^(abab)*$/.test(w),
  abcde: (w) => /^a+b+c+d+e+$/.test(w),
  ab_d_bc: (w) => /^[ab]*d[bc]*$/.test(w),
};

const dyckMember = (maxDepth: number) => (w: string): boolean => {
  let depth = 0;
  for (const c of w) {
    depth += c === '(' ? 1 : -1;
    if (depth < 0 || depth > maxDepth) return false;
  }
  return depth === 0;
};
membership.dyck1_d2 = dyckMember(2);
membership.dyck1_d3 = dyckMember(3);
membership.dyck1_d4 = dyckMember(4);

const languages = Object.keys(membership);

const toWord = (task: Task, ids: readonly number[]): string => ids.map((i) => task.symbols[i]).join('');

/** Every word over the task's symbols of length ≤ max. */
const allWords = (task: Task, max: number): number[][] => {
  const out: number[][] = [[]];
  let frontier: number[][] = [[]];
  for (let m = 1; m <= max; m++) {
    frontier = frontier.flatMap((w) => task.symbols.map((_, s) => [...w, s]));
    out.push(...frontier);
  }
  return out;
};

describe('formal languages', () => {
  it('covers every language task of the registry', () => {
    for (const name of taskNames) {
      if (named(name).kind === 'language') expect(languages).toContain(name);
    }
  });

  it.each(languages)('%s: generated strings are in the language, with the right frame and lengths', (name) => {
    const task = named(name);
    expect(task.kind).toBe('language');
    const random = mulberry32(21);
    let produced = 0;
    for (let n = 0; n <= 40; n++) {
      const r = task.generate(random, n);
      if (Either.isLeft(r)) {
        expect(task.hasLength(n)).toBe(false);
        continue;
      }
      for (let rep = 0; rep < 5; rep++) {
        const ex = rep === 0 ? r.right : gen(task, random, n);
        produced++;
        expect(ex.tokens).toHaveLength(n + 2);
        expect(ex.tokens[0]).toBe(task.bos);
        expect(ex.tokens[n + 1]).toBe(task.eos);
        const word = ex.tokens.slice(1, n + 1);
        expect(membership[name](toWord(task, word))).toBe(true);
        expect(ex.lossPositions).toEqual(Array.from({ length: n + 1 }, (_, i) => i));
        expect(ex.nextSets).toHaveLength(n + 1);
        expect(ex.targets).toEqual([]);
        // the actual next token is always in the next-token set; <eos> closes the string
        for (let i = 0; i <= n; i++) {
          expect(ex.nextSets[i]).toHaveLength(task.vocab.length);
          expect(ex.nextSets[i][ex.tokens[i + 1]]).toBe(1);
          expect(ex.nextSets[i][task.bos]).toBe(0);
          expect(ex.nextSets[i][task.sep]).toBe(0);
          expect(ex.nextSets[i][task.pad]).toBe(0);
        }
      }
    }
    expect(produced).toBeGreaterThan(0);
  });

  it.each(languages)('%s: hasLength agrees with brute force for short lengths', (name) => {
    const task = named(name);
    const member = membership[name];
    const max = task.symbols.length >= 4 ? 7 : 10;
    const words = allWords(task, max);
    for (let n = 0; n <= max; n++) {
      const exists = words.some((w) => w.length === n && member(toWord(task, w)));
      expect(task.hasLength(n)).toBe(exists);
    }
  });

  it.each(languages)('%s: next-token sets agree with brute force on short prefixes', (name) => {
    const task = named(name);
    const member = membership[name];
    // a prefix p can continue with s when some completion of length ≤ horizon puts p·s·c in the
    // language; the horizon is long enough for these languages' short prefixes
    const prefixMax = task.symbols.length >= 4 ? 3 : 5;
    const horizon = task.symbols.length >= 4 ? 5 : 7;
    const completions = allWords(task, horizon);
    const extendable = (w: readonly number[]): boolean =>
      completions.some((c) => member(toWord(task, [...w, ...c])));
    const random = mulberry32(33);
    let checked = 0;
    for (let n = 0; n <= 14; n++) {
      if (!task.hasLength(n)) continue;
      for (let rep = 0; rep < 4; rep++) {
        const ex = gen(task, random, n);
        const word = ex.tokens.slice(1, n + 1);
        for (let i = 0; i <= Math.min(n, prefixMax); i++) {
          const prefix = word.slice(0, i);
          const expected = new Array<number>(task.vocab.length).fill(0);
          task.symbols.forEach((_, s) => {
            if (extendable([...prefix, s])) expected[s] = 1;
          });
          if (member(toWord(task, prefix))) expected[task.eos] = 1;
          expect(ex.nextSets[i]).toEqual(expected);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('Dyck-1 respects its depth parameter', () => {
    const random = mulberry32(4);
    const d2 = dyck1(2);
    let sawDepth2 = false;
    for (let i = 0; i < 200; i++) {
      const ex = gen(d2, random, 2 * (1 + (i % 10)));
      let depth = 0;
      for (const t of ex.tokens.slice(1, -1)) {
        depth += t === 0 ? 1 : -1;
        expect(depth).toBeGreaterThanOrEqual(0);
        expect(depth).toBeLessThanOrEqual(2);
        if (depth === 2) sawDepth2 = true;
      }
      expect(depth).toBe(0);
    }
    expect(sawDepth2).toBe(true);
    // vocab ( ) <bos> <sep> <eos> <pad>; at depth 2, '(' is no longer allowed
    const ex = findWord(d2, 4, [0, 0, 1, 1]);
    expect(ex.nextSets).toEqual([
      [1, 0, 0, 0, 1, 0],
      [1, 1, 0, 0, 0, 0],
      [0, 1, 0, 0, 0, 0],
      [1, 1, 0, 0, 0, 0],
      [1, 0, 0, 0, 1, 0],
    ]);
    expect(Either.isRight(dyck1(3).generate(random, 6))).toBe(true);
    expect(dyck1(3).name).toBe('dyck1_d3');
  });

  it('{a,b}*d{b,c}*: hand-checked next-token sets', () => {
    const t = abDbc();
    // vocab a b c d <bos> <sep> <eos> <pad>
    const ex = findWord(t, 8, [0, 3, 1]);
    expect(toWord(t, ex.tokens.slice(1, 4))).toBe('adb');
    expect(ex.nextSets).toEqual([
      [1, 1, 0, 1, 0, 0, 0, 0],
      [1, 1, 0, 1, 0, 0, 0, 0],
      [0, 1, 1, 0, 0, 0, 1, 0],
      [0, 1, 1, 0, 0, 0, 1, 0],
    ]);
    // a⁺b⁺c⁺d⁺e⁺: after 'abcde' either another e or the end
    const e = findWord(abcde(), 8, [0, 1, 2, 3, 4]);
    expect(e.nextSets[5]).toEqual([0, 0, 0, 0, 1, 0, 0, 1, 0]);
    expect(e.nextSets[1]).toEqual([1, 1, 0, 0, 0, 0, 0, 0, 0]);
  });
});

describe('determinism', () => {
  it.each(taskNames)('%s: the same seed gives the same examples', (name) => {
    const task = named(name);
    const run = (seed: number): Example[] => {
      const random = mulberry32(seed);
      const out: Example[] = [];
      for (let n = 0; n <= 20; n++) {
        const r = task.generate(random, n);
        if (Either.isRight(r)) out.push(r.right);
      }
      return out;
    };
    const a = run(42);
    expect(a.length).toBeGreaterThan(0);
    expect(run(42)).toEqual(a);
  });

  it('different seeds give different examples', () => {
    const t = sortTask();
    expect(gen(t, mulberry32(1), 20).tokens).not.toEqual(gen(t, mulberry32(2), 20).tokens);
  });

  it('long lengths (up to 150) work', () => {
    const random = mulberry32(99);
    for (const name of taskNames) {
      const task = named(name);
      for (const n of [148, 149, 150]) {
        const r = task.generate(random, n);
        if (Either.isRight(r)) {
          if (task.kind === 'language') {
            expect(r.right.tokens).toHaveLength(n + 2);
            expect(membership[name](toWord(task, r.right.tokens.slice(1, n + 1)))).toBe(true);
          }
        } else expect(task.hasLength(n)).toBe(false);
      }
    }
  });
});
