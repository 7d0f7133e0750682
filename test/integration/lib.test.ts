import fc from 'fast-check';
import * as Either from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import * as D from '../../src/ast/dsl.js';
import * as E from '../../src/ast/expr.js';
import { topologicalOrder, type Node, type SOp } from '../../src/ast/program.js';
import { showValue, valueEquals, valuesClose, type Value } from '../../src/ast/value.js';
import { evaluate, formatEvalError } from '../../src/interpreter/evaluate.js';
import {
  detectPattern,
  exampleInBounds,
  findEntry,
  identifierPart,
  makeCount,
  makeCountLessFreq,
  makeDyckkPtf,
  makeLength,
  makeMostFreq,
  makeNarySequenceMap,
  makePairBalance,
  makeReverse,
  makeShuffleDyck,
  makeSortUnique,
  MOST_FREQ_FILL,
  REGISTRY,
  shiftBy,
  type LibraryEntry,
} from '../../src/lib/index.js';

// ---------------------------------------------------------------- helpers

const run = (program: SOp, input: readonly Value[], causal = false): readonly Value[] => {
  const r = evaluate(program, input, { causal });
  if (Either.isLeft(r)) throw new Error(`evaluation failed on ${input.map(showValue).join(' ')}: ${formatEvalError(r.left)}`);
  return r.right;
};

const entry = (name: string): LibraryEntry => {
  const e = findEntry(name);
  if (e === undefined) throw new Error(`no registry entry ${name}`);
  return e;
};

const nodes = (program: SOp): Node[] => topologicalOrder([program]);

const byName = (program: SOp, name: string): Node => {
  const found = nodes(program).filter((n) => n.name === name);
  if (found.length !== 1) throw new Error(`expected one node named ${name}, found ${found.length}`);
  return found[0] as Node;
};

const show = (xs: readonly Value[]): string => `[${xs.map(showValue).join(', ')}]`;

const expectClose = (actual: readonly Value[], expected: readonly Value[]): void => {
  expect(valuesClose(actual, expected), `got ${show(actual)}, expected ${show(expected)}`).toBe(true);
};

/** Every input over `vocab` of length 1..maxLen, stopping before the total would exceed `budget`. */
const smallInputs = (vocab: readonly Value[], maxLen: number, budget = 6000): Value[][] => {
  const out: Value[][] = [];
  let layer: Value[][] = [[]];
  for (let len = 1; len <= maxLen; len++) {
    if (out.length + layer.length * vocab.length > budget) break;
    layer = layer.flatMap((prefix) => vocab.map((t) => [...prefix, t]));
    out.push(...layer);
  }
  return out;
};

const inputArb = (vocab: readonly Value[], maxLen: number): fc.Arbitrary<Value[]> =>
  fc.array(fc.constantFrom(...vocab), { minLength: 1, maxLength: maxLen });

const counts = (xs: readonly Value[]): Map<Value, number> => {
  const m = new Map<Value, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
};

const chars = (s: string): string[] => [...s];

// ---------------------------------------------------------------- reference implementations

/** Dyck-k prefix classification with a stack. */
const dyckPtfReference = (input: readonly Value[], pairs: readonly string[]): string[] => {
  const closerOf = new Map(pairs.map((p) => [p[0] as string, p[1] as string]));
  const closers = new Set(pairs.map((p) => p[1] as string));
  const stack: string[] = [];
  let broken = false;
  return input.map((t) => {
    const tok = t as string;
    if (!broken) {
      if (closerOf.has(tok)) stack.push(closerOf.get(tok) as string);
      else if (closers.has(tok)) {
        if (stack.pop() !== tok) broken = true;
      }
    }
    return broken ? 'F' : stack.length === 0 ? 'T' : 'P';
  });
};

const shuffleDyckReference = (input: readonly Value[], pairs: readonly string[]): boolean[] => {
  const ok = pairs.every(([open, close]) => {
    let depth = 0;
    for (const t of input) {
      if (t === open) depth++;
      if (t === close) depth--;
      if (depth < 0) return false;
    }
    return depth === 0;
  });
  return input.map(() => ok);
};

const stableSortReference = (vals: readonly Value[], keys: readonly number[]): Value[] =>
  vals
    .map((v, i) => ({ v, i, k: keys[i] as number }))
    .sort((a, b) => a.k - b.k || a.i - b.i)
    .map((x) => x.v);

// ---------------------------------------------------------------- the registry

describe('registry', () => {
  it('has unique identifier names and sane bounds', () => {
    const names = REGISTRY.map((e) => e.name);
    expect(new Set(names).size).toBe(names.length);
    for (const e of REGISTRY) {
      expect(e.name).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
      expect(e.vocab.length).toBeGreaterThan(0);
      expect(e.maxLen).toBeGreaterThanOrEqual(1);
      expect(e.examples.length).toBeGreaterThan(0);
    }
  });

  it('covers every library program', () => {
    const expected = [
      'length',
      'length_causal',
      'reverse',
      'hist',
      'sort_unique',
      'sort',
      'sort_freq',
      'sort_stable',
      'frac_prevs',
      'pair_balance',
      'shuffle_dyck2',
      'shuffle_dyck3',
      'shift_by_1',
      'detect_pattern_abc',
      'count_a',
      'count_less_freq_2',
      'nary_sequencemap_add',
      'dyck1_ptf',
      'dyck2_ptf',
      'dyck3_ptf',
      'most_freq',
      'double_hist',
    ];
    for (const name of expected) expect(findEntry(name), name).toBeDefined();
  });

  it('uses the Tracr test settings listed in SPEC §4', () => {
    const settings: [string, number, number][] = [
      ['frac_prevs', 4, 5],
      ['reverse', 4, 5],
      ['hist', 4, 5],
      ['sort_unique', 4, 5],
      ['sort', 4, 5],
      ['sort_freq', 4, 5],
      ['shuffle_dyck2', 4, 5],
      ['shuffle_dyck3', 6, 6],
      ['pair_balance', 5, 10],
      ['count_less_freq_2', 4, 6],
    ];
    for (const [name, vocabSize, maxLen] of settings) {
      expect([name, entry(name).vocab.length, entry(name).maxLen]).toEqual([name, vocabSize, maxLen]);
    }
    expect(entry('sort').vocab).toEqual([1, 2, 3, 4]);
  });

  it('gives every entry at least one example a compiled model can be checked on', () => {
    for (const e of REGISTRY) {
      expect(e.examples.some((x) => exampleInBounds(e, x)), e.name).toBe(true);
    }
    expect(exampleInBounds(entry('reverse'), { input: chars('Hello'), output: [], source: '' })).toBe(false);
    expect(exampleInBounds(entry('length'), { input: chars('abcd'), output: [], source: '' })).toBe(false);
    expect(exampleInBounds(entry('length'), { input: chars('abc'), output: [], source: '' })).toBe(true);
  });

  it('builds programs that are fully serializable: lambdas only, identifier names', () => {
    for (const e of REGISTRY) {
      for (const n of nodes(e.build())) {
        if (n.name !== undefined) expect(n.name, e.name).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
        if (n.kind === 'map' || n.kind === 'sequenceMap') expect(n.fn.kind, `${e.name}: ${n.kind}`).toBe('lambda');
        if (n.kind === 'select') expect(n.predicate.kind, `${e.name}: select`).not.toBe('opaque');
      }
    }
  });

  it('names each program root after its entry (or the Tracr name)', () => {
    const rootName: Record<string, string> = {
      length: 'length',
      reverse: 'reverse',
      hist: 'hist',
      sort_freq: 'sort_freq',
      frac_prevs: 'frac_prevs',
      pair_balance: 'pair_balance',
      shuffle_dyck2: 'shuffle_dyck2',
      shuffle_dyck3: 'shuffle_dyck3',
      shift_by_1: 'shift_by_1',
      detect_pattern_abc: 'detect_pattern_abc',
      count_a: 'count_a',
      count_less_freq_2: 'count_less_freq',
      dyck1_ptf: 'dyck1_ptf',
      dyck2_ptf: 'dyck2_ptf',
      most_freq: 'most_freq',
      double_hist: 'double_hist',
    };
    for (const [name, root] of Object.entries(rootName)) expect(entry(name).build().name).toBe(root);
  });
});

describe('documented examples', () => {
  for (const e of REGISTRY) {
    describe(e.name, () => {
      const program = e.build();
      for (const x of e.examples) {
        it(`${x.input.map(showValue).join('')} (${x.source})`, () => {
          expectClose(run(program, x.input, e.causal ?? false), x.output);
        });
      }
    });
  }

  it('count with other tokens (EthanTu2/rasp README, EXAMPLES.md A21)', () => {
    expect(run(makeCount(D.tokens, 'l'), chars('hello'))).toEqual([2, 2, 2, 2, 2]);
    expect(run(makeCount(D.tokens, 'h'), chars('hello'))).toEqual([1, 1, 1, 1, 1]);
  });

  it('numerical length and count_less_freq (tracr length_numerical_*, make_count_less_freq_numerical_*)', () => {
    const length = D.numerical(makeLength());
    expect(length.encoding).toBe('numerical');
    expect(run(length, chars('abc'))).toEqual([3, 3, 3]);
    expect(run(length, chars('ad'))).toEqual([2, 2]);
    expect(run(length, ['c'])).toEqual([1]);
    const clf = D.numerical(makeCountLessFreq(2));
    expect(run(clf, chars('aaabbc'))).toEqual([3, 3, 3, 3, 3, 3]);
    expect(run(clf, chars('aacbbc'))).toEqual([6, 6, 6, 6, 6, 6]);
  });

  it('most_freq with another filler', () => {
    expect(run(makeMostFreq({ maxLen: 6, fill: null }), chars('122333'))).toEqual(['3', '2', '1', null, null, null]);
    expect(MOST_FREQ_FILL).toBe('§');
  });
});

// ---------------------------------------------------------------- structure (the shapes Tracr compiles)

describe('structure follows Tracr', () => {
  it('frac_prevs is a numerical mean over select(indices, indices, <=) with default 0', () => {
    const p = entry('frac_prevs').build();
    expect(p.kind).toBe('aggregate');
    if (p.kind !== 'aggregate') return;
    expect(p.encoding).toBe('numerical');
    expect(p.default).toBe(0);
    expect(p.sop.encoding).toBe('numerical');
    expect(p.selector).toMatchObject({ kind: 'select', keys: D.indices, queries: D.indices, predicate: { op: 'LEQ' } });
  });

  it('pair_balance is a numerical linear sequence map (1, -1) of two numerical frac_prevs', () => {
    const p = entry('pair_balance').build();
    expect(p).toMatchObject({ kind: 'linearSequenceMap', encoding: 'numerical', fstCoeff: 1, sndCoeff: -1 });
    if (p.kind !== 'linearSequenceMap') return;
    expect(p.fst).toMatchObject({ kind: 'aggregate', name: 'opens', encoding: 'numerical', default: 0 });
    expect(p.snd).toMatchObject({ kind: 'aggregate', name: 'closes', encoding: 'numerical', default: 0 });
  });

  it('shuffle_dyck has_neg is a numerical mean over select_all with default 0', () => {
    const p = entry('shuffle_dyck2').build();
    const hasNeg = byName(p, 'has_neg');
    expect(hasNeg).toMatchObject({ kind: 'aggregate', encoding: 'numerical', default: 0 });
    if (hasNeg.kind !== 'aggregate') return;
    expect(hasNeg.selector).toMatchObject({ kind: 'select', name: 'select_all', predicate: { op: 'TRUE' } });
    expect(hasNeg.sop).toMatchObject({ kind: 'map', name: 'any_negative', encoding: 'numerical' });
    expect(byName(p, 'last_zero')).toMatchObject({ kind: 'aggregate', encoding: 'categorical', default: null });
    expect(byName(p, 'not_has_neg')).toMatchObject({ kind: 'map', encoding: 'categorical' });
    expect(nodes(p).filter((n) => n.kind === 'linearSequenceMap')).toHaveLength(2);
  });

  it('shuffle_dyck with one pair has any_negative = numerical(balance < 0) (Tracr fuses the identity map)', () => {
    const p = makeShuffleDyck(['()']);
    const anyNeg = byName(p, 'any_negative');
    expect(anyNeg).toMatchObject({ kind: 'map', encoding: 'numerical' });
    if (anyNeg.kind !== 'map') return;
    expect(anyNeg.inner).toMatchObject({ kind: 'linearSequenceMap', name: 'balance_lparen_rparen' });
    expect(run(p, chars('(())'))).toEqual([true, true, true, true]);
    expect(run(p, chars('())('))).toEqual([false, false, false, false]);
  });

  it('sort adds min_key * i / max_seq_len to the keys', () => {
    const p = entry('sort').build();
    const smaller = byName(p, 'smaller');
    if (smaller.kind !== 'select') throw new Error('smaller is not a select');
    expect(smaller.keys.kind).toBe('sequenceMap');
    expectClose(run(smaller.keys, [2, 4, 1, 2]), [2, 4 + 1 / 5, 1 + 2 / 5, 2 + 3 / 5]);
    const freqKeys = byName(entry('sort_freq').build(), 'smaller');
    if (freqKeys.kind !== 'select') throw new Error('smaller is not a select');
    expectClose(run(freqKeys.keys, [2, 4, 2, 1]), [-2, -1 + 1 / 5, -2 + 2 / 5, -1 + 3 / 5]);
  });

  it('reverse has Tracr’s nodes with identifier names', () => {
    const p = entry('reverse').build();
    expect(byName(p, 'opp_idx').kind).toBe('sequenceMap');
    expect(byName(p, 'opp_idx_minus_1').kind).toBe('map');
    expect(byName(p, 'reverse_selector')).toMatchObject({ kind: 'select', keys: D.indices, predicate: { op: 'EQ' } });
    expect(byName(p, 'length').kind).toBe('selectorWidth');
    expect(byName(p, 'all_true_selector')).toMatchObject({ kind: 'select', predicate: { op: 'TRUE' } });
  });

  it('shift_by is a categorical aggregate with default None and a lambda predicate', () => {
    const p = shiftBy(-1, D.tokens);
    expect(p).toMatchObject({ kind: 'aggregate', name: 'shift_by_minus_1', default: null });
    expect(run(p, chars('abcd'))).toEqual(['b', 'c', 'd', null]);
  });

  it('nary_sequencemap zips into tuples with binary sequence maps, then maps', () => {
    const p = entry('nary_sequencemap_add').build();
    expect(p.kind).toBe('map');
    if (p.kind !== 'map') return;
    expect(p.inner.kind).toBe('sequenceMap');
    expect(run(p.inner, [1, 2, 3])).toEqual([
      [1, 1, 0],
      [2, 2, 1],
      [3, 3, 2],
    ]);
    expect(nodes(p).filter((n) => n.kind === 'sequenceMap')).toHaveLength(2);
  });

  it('nary_sequencemap accepts opaque functions and single s-ops, and checks the arity', () => {
    const f = D.opaque('sum3', (...xs: Value[]) => xs.reduce<number>((a, b) => a + (b as number), 0));
    expect(run(makeNarySequenceMap(f, D.tokens, D.indices, D.indices), [5, 5])).toEqual([5, 7]);
    const inc = D.lambda(['x'], E.binary('+', E.v('x'), E.lit(1)));
    expect(run(makeNarySequenceMap(inc, D.indices), [0, 0, 0])).toEqual([1, 2, 3]);
    // a parameter called `args` does not clash with the tuple variable
    const g = D.lambda(['args', 'b'], E.binary('-', E.v('args'), E.v('b')));
    expect(run(makeNarySequenceMap(g, D.tokens, D.indices), [10, 10])).toEqual([10, 9]);
    expect(() => makeNarySequenceMap(inc, D.tokens, D.indices)).toThrow(RangeError);
  });

  it('builders reject malformed arguments', () => {
    expect(() => detectPattern(D.tokens, '')).toThrow(RangeError);
    expect(() => makeShuffleDyck([])).toThrow(RangeError);
    expect(() => makeShuffleDyck(['(', ')'])).toThrow(RangeError);
    expect(() => makeDyckkPtf(['(){}'])).toThrow(RangeError);
  });

  it('identifierPart makes identifier-safe names', () => {
    expect(identifierPart('()')).toBe('lparen_rparen');
    expect(identifierPart('ab')).toBe('ab');
    expect(identifierPart(-2)).toBe('minus_2');
    expect(identifierPart(0.5)).toBe('0p5');
    expect(identifierPart('a§')).toBe('a_ua7');
    expect(detectPattern(D.tokens, [1, 2]).name).toBe('detect_pattern_1_2');
    expect(makeCount(D.tokens, '(').name).toBe('count_lparen');
  });
});

// ---------------------------------------------------------------- errors

describe('ambiguous categorical aggregates', () => {
  it('report the node label and the position', () => {
    const pick = D.named(D.aggregate(D.select(D.tokens, D.tokens, D.TRUE), D.tokens), 'pick');
    const r = evaluate(pick, ['a', 'b']);
    expect(Either.isLeft(r)).toBe(true);
    if (Either.isRight(r)) return;
    expect(r.left).toMatchObject({ kind: 'ambiguous-aggregate', node: 'pick', position: 0 });
    // the same value twice is not ambiguous
    expect(run(pick, ['a', 'a'])).toEqual(['a', 'a']);
  });

  it('hit sort_unique on duplicate keys with different values', () => {
    const p = makeSortUnique(D.indices, D.tokens);
    const r = evaluate(p, [2, 2, 1]);
    expect(Either.isLeft(r)).toBe(true);
    if (Either.isRight(r)) return;
    expect(r.left).toMatchObject({ kind: 'ambiguous-aggregate', node: 'sort', position: 1 });
    // equal values at the duplicate keys: no error, but a hole where no key lands
    expect(run(makeSortUnique(D.tokens, D.tokens), [2, 2, 1])).toEqual([1, 2, null]);
  });
});

// ---------------------------------------------------------------- invariants

describe('invariants', () => {
  it('reverse twice is the identity', () => {
    const twice = makeReverse(makeReverse(D.tokens));
    fc.assert(
      fc.property(inputArb(chars('abcd'), 12), (input) => {
        expect(run(twice, input)).toEqual(input);
        expect(run(entry('reverse').build(), input)).toEqual([...input].reverse());
      }),
    );
  });

  it('length and causal length', () => {
    const p = makeLength();
    fc.assert(
      fc.property(inputArb(chars('abcd'), 10), (input) => {
        expect(run(p, input)).toEqual(input.map(() => input.length));
        expect(run(p, input, true)).toEqual(input.map((_, i) => i + 1));
      }),
    );
  });

  it('hist counts each token; 1/hist sums to the number of distinct tokens', () => {
    const p = entry('hist').build();
    fc.assert(
      fc.property(inputArb(chars('abcd'), 10), (input) => {
        const out = run(p, input) as number[];
        const c = counts(input);
        expect(out).toEqual(input.map((t) => c.get(t)));
        expect(out.reduce((a, h) => a + 1 / h, 0)).toBeCloseTo(c.size, 9);
      }),
    );
  });

  it('sort and sort_stable output the input sorted (stable), within their bounds', () => {
    const sort = entry('sort').build();
    fc.assert(
      fc.property(inputArb([1, 2, 3, 4], 5), (input) => {
        const out = run(sort, input);
        expect(out).toEqual([...input].sort((a, b) => (a as number) - (b as number)));
      }),
    );
    const stable = entry('sort_stable').build();
    fc.assert(
      fc.property(inputArb(chars('abcd'), 8), (input) => {
        expect(run(stable, input)).toEqual([...input].sort());
      }),
    );
  });

  it('sort_unique sorts inputs without repeated tokens', () => {
    const p = entry('sort_unique').build();
    fc.assert(
      fc.property(fc.uniqueArray(fc.constantFrom(1, 2, 3, 4), { minLength: 1, maxLength: 4 }), (input) => {
        expect(run(p, input)).toEqual([...input].sort());
      }),
    );
  });

  it('sort_freq is a stable sort by descending count', () => {
    const p = entry('sort_freq').build();
    for (const input of smallInputs([1, 2, 3, 4], 5)) {
      const c = counts(input);
      expect(run(p, input)).toEqual(stableSortReference(input, input.map((t) => -(c.get(t) as number))));
    }
  });

  it('most_freq lists the distinct tokens by count, then the filler', () => {
    const e = entry('most_freq');
    const p = e.build();
    fc.assert(
      fc.property(inputArb(e.vocab, e.maxLen), (input) => {
        const c = counts(input);
        const distinct = [...c.keys()]; // in order of first occurrence
        const ordered = stableSortReference(
          distinct,
          distinct.map((t) => -(c.get(t) as number)),
        );
        const expected = [...ordered, ...new Array<Value>(input.length - ordered.length).fill(MOST_FREQ_FILL)];
        expect(run(p, input)).toEqual(expected);
      }),
    );
  });

  it('double_hist counts the distinct tokens sharing my count', () => {
    const p = entry('double_hist').build();
    fc.assert(
      fc.property(inputArb(chars('abcd'), 10), (input) => {
        const c = counts(input);
        const expected = input.map((t) => [...c.values()].filter((n) => n === c.get(t)).length);
        expect(run(p, input)).toEqual(expected);
      }),
    );
  });

  it('count_less_freq counts positions whose token occurs at most n times', () => {
    for (const n of [1, 2, 3]) {
      const p = makeCountLessFreq(n);
      for (const input of smallInputs(chars('abcd'), 6, 3000)) {
        const c = counts(input);
        const k = input.filter((t) => (c.get(t) as number) <= n).length;
        expect(run(p, input)).toEqual(input.map(() => k));
      }
    }
  });

  it('frac_prevs and pair_balance are running fractions', () => {
    const frac = entry('frac_prevs_lparen').build();
    const balance = makePairBalance(D.tokens, '(', ')');
    fc.assert(
      fc.property(inputArb(chars('ab()'), 12), (input) => {
        let opens = 0;
        let closes = 0;
        const expectedFrac: number[] = [];
        const expectedBalance: number[] = [];
        input.forEach((t, i) => {
          if (t === '(') opens++;
          if (t === ')') closes++;
          expectedFrac.push(opens / (i + 1));
          expectedBalance.push((opens - closes) / (i + 1));
        });
        expectClose(run(frac, input), expectedFrac);
        expectClose(run(balance, input), expectedBalance);
      }),
    );
  });

  it('shift_by and detect_pattern match a direct scan', () => {
    const pattern = chars('aba');
    const p = detectPattern(D.tokens, 'aba');
    const shift2 = shiftBy(2, D.tokens);
    fc.assert(
      fc.property(inputArb(chars('ab'), 10), (input) => {
        expect(run(shift2, input)).toEqual(input.map((_, i) => (i >= 2 ? input[i - 2] : null)));
        const expected = input.map((_, i) =>
          i < pattern.length - 1 ? null : pattern.every((c, j) => input[i - pattern.length + 1 + j] === c),
        );
        expect(run(p, input)).toEqual(expected);
      }),
    );
  });

  it('shuffle_dyck2 / shuffle_dyck3 match a per-pair depth scan', () => {
    for (const [name, pairs] of [
      ['shuffle_dyck2', ['()', '{}']],
      ['shuffle_dyck3', ['()', '{}', '[]']],
    ] as const) {
      const e = entry(name);
      const p = e.build();
      for (const input of smallInputs(e.vocab, e.maxLen)) {
        expect(valuesClose(run(p, input), shuffleDyckReference(input, pairs)), input.join('')).toBe(true);
      }
    }
  });

  it('dyck1/2/3_ptf match a stack-based recogniser', () => {
    for (const [name, pairs] of [
      ['dyck1_ptf', ['()']],
      ['dyck2_ptf', ['()', '{}']],
      ['dyck3_ptf', ['()', '{}', '[]']],
    ] as const) {
      const e = entry(name);
      const p = e.build();
      for (const input of smallInputs(e.vocab, e.maxLen)) {
        expect(run(p, input), input.join('')).toEqual(dyckPtfReference(input, pairs));
      }
      fc.assert(
        fc.property(inputArb(e.vocab, 16), (input) => {
          expect(run(p, input)).toEqual(dyckPtfReference(input, pairs));
        }),
        { numRuns: 200 },
      );
    }
  });

  it('causal-compatible entries give the same output with causal masking', () => {
    const compatible = REGISTRY.filter((e) => e.causalCompatible === true);
    expect(compatible.map((e) => e.name)).toEqual(
      expect.arrayContaining(['frac_prevs', 'shift_by_1', 'detect_pattern_abc', 'pair_balance', 'dyck2_ptf']),
    );
    for (const e of compatible) {
      const p = e.build();
      for (const input of smallInputs(e.vocab, e.maxLen, 3000)) {
        expect(valuesClose(run(p, input, true), run(p, input)), `${e.name} on ${input.join('')}`).toBe(true);
      }
      fc.assert(
        fc.property(inputArb(e.vocab, e.maxLen), (input) => {
          expect(valuesClose(run(p, input, true), run(p, input))).toBe(true);
        }),
        { numRuns: 100 },
      );
    }
  });

  it('entries not marked causal-compatible really differ under causal masking', () => {
    for (const e of REGISTRY.filter((x) => x.causalCompatible !== true && x.causal !== true)) {
      const p = e.build();
      const differs = smallInputs(e.vocab, e.maxLen, 3000).some((input) => {
        const a = evaluate(p, input, { causal: true });
        const b = evaluate(p, input);
        return Either.isLeft(a) || Either.isLeft(b) || !valuesClose(a.right, b.right);
      });
      expect(differs, e.name).toBe(true);
    }
  });

  it('registry examples stay within the programs’ value types', () => {
    // categorical outputs of string programs are strings; numbers compare with tolerance only
    for (const e of REGISTRY) {
      for (const x of e.examples) {
        expect(x.output.length, `${e.name} ${x.source}`).toBe(x.input.length);
      }
    }
    expect(valueEquals(entry('most_freq').examples[0]?.output[3] ?? null, MOST_FREQ_FILL)).toBe(true);
  });
});
