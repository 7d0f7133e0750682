/**
 * Task generators of the decompiler paper (Huang et al. 2026, "Discovering Interpretable Algorithms
 * by Decompiling Transformers to RASP"): algorithmic seq2seq tasks and formal languages.
 *
 * Vocabulary: the task's symbols (ids 0 … n−1), then `<bos> <sep> <eos> <pad>` (ids n … n+3).
 *
 * Formats (chosen here; the paper's repository ships models, not the generator source):
 * - seq2seq: `<bos> x1 … xL <sep> y1 … yM <eos>`. Loss positions: the `<sep>` position and every
 *   answer position, i.e. the positions whose next token is y1 … yM, `<eos>`; `targets[i]` is the
 *   token id that follows `lossPositions[i]`.
 * - language: `<bos> w1 … wL <eos>` with w a positive string of the language. Loss positions: 0 … L
 *   (the `<bos>` and every symbol); `nextSets[i]` is a 0/1 vector over the vocabulary marking the
 *   symbols (and `<eos>`, when the prefix is itself in the language) that keep the prefix
 *   w1 … wi a prefix of a string in the language. Positive strings of a given length are drawn
 *   uniformly among all strings of the language with that length.
 * - `length` is the input length L for seq2seq tasks (for `count`: the answer length), the string
 *   length for languages. When no example of that length exists, `generate` answers Left.
 */
import * as Either from 'fp-ts/lib/Either.js';
import { diagnostic, type Diagnostic } from '../diagnostics.js';
import { randomInt } from '../util/random.js';

export type TaskKind = 'seq2seq' | 'language';

export interface Example {
  /** Token ids, `<bos>` first. */
  readonly tokens: readonly number[];
  /** Positions whose output carries loss. */
  readonly lossPositions: readonly number[];
  /** seq2seq: the token id to predict at each loss position. Empty for languages. */
  readonly targets: readonly number[];
  /** language: per loss position, a 0/1 vector over the vocabulary (the next-token set). Empty for seq2seq. */
  readonly nextSets: readonly (readonly number[])[];
}

export interface Task {
  readonly name: string;
  readonly kind: TaskKind;
  /** The task's own symbols; the vocabulary is these then `<bos> <sep> <eos> <pad>`. */
  readonly symbols: readonly string[];
  /** The full vocabulary. */
  readonly vocab: readonly string[];
  readonly bos: number;
  readonly sep: number;
  readonly eos: number;
  readonly pad: number;
  /** Whether an example of this length exists. */
  readonly hasLength: (length: number) => boolean;
  readonly generate: (random: () => number, length: number) => Either.Either<Diagnostic, Example>;
}

export const SPECIAL_TOKENS = ['<bos>', '<sep>', '<eos>', '<pad>'] as const;

const MAX_TRIES = 10000;

interface Specials {
  readonly vocab: readonly string[];
  readonly bos: number;
  readonly sep: number;
  readonly eos: number;
  readonly pad: number;
}

const specials = (symbols: readonly string[]): Specials => {
  const n = symbols.length;
  return { vocab: [...symbols, ...SPECIAL_TOKENS], bos: n, sep: n + 1, eos: n + 2, pad: n + 3 };
};

const noLength = (name: string, length: number): Diagnostic =>
  diagnostic('train/task-length', `task ${name} has no example of length ${length}`, {
    fix: 'choose another length (see Task.hasLength)',
  });

const numberSymbols = (count: number): string[] => Array.from({ length: count }, (_, i) => String(i));

// ---------------------------------------------------------------------------------------------
// seq2seq tasks

/**
 * A seq2seq task from a sampler of (input, answer) pairs over symbol ids; the sampler answers
 * undefined to reject a draw (a tie), and the draw is repeated.
 */
const seq2seq = (
  name: string,
  symbols: readonly string[],
  hasLength: (length: number) => boolean,
  sample: (random: () => number, length: number) => { input: number[]; answer: number[] } | undefined,
): Task => {
  const sp = specials(symbols);
  const generate = (random: () => number, length: number): Either.Either<Diagnostic, Example> => {
    if (!hasLength(length)) return Either.left(noLength(name, length));
    for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
      const drawn = sample(random, length);
      if (drawn === undefined) continue;
      const tokens = [sp.bos, ...drawn.input, sp.sep, ...drawn.answer, sp.eos];
      const sepAt = drawn.input.length + 1;
      const lossPositions: number[] = [];
      const targets: number[] = [];
      for (let p = sepAt; p < tokens.length - 1; p++) {
        lossPositions.push(p);
        targets.push(tokens[p + 1]);
      }
      return Either.right({ tokens, lossPositions, targets, nextSets: [] });
    }
    return Either.left(
      diagnostic('train/task-rejection', `task ${name}: no example of length ${length} after ${MAX_TRIES} draws`),
    );
  };
  return { name, kind: 'seq2seq', symbols, ...sp, hasLength, generate };
};

const draw = (random: () => number, alphabet: number, length: number): number[] =>
  Array.from({ length }, () => randomInt(random, alphabet));

/** `length` distinct symbols out of `alphabet`, in random order (partial Fisher–Yates). */
const drawDistinct = (random: () => number, alphabet: number, length: number): number[] => {
  const pool = Array.from({ length: alphabet }, (_, i) => i);
  for (let i = 0; i < length; i++) {
    const j = i + randomInt(random, alphabet - i);
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, length);
};

/** The unique most frequent symbol, or undefined on a tie. */
export const uniqueMode = (xs: readonly number[]): number | undefined => {
  const counts = new Map<number, number>();
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
  let best: number | undefined;
  let bestCount = 0;
  let tie = false;
  for (const [x, c] of counts) {
    if (c > bestCount) {
      best = x;
      bestCount = c;
      tie = false;
    } else if (c === bestCount) tie = true;
  }
  return tie ? undefined : best;
};

/** Binary majority: input bits, answer the majority bit; ties are rejected (even lengths redraw). */
export const majorityTask = (): Task =>
  seq2seq('majority', ['0', '1'], (n) => n >= 1, (random, n) => {
    const input = draw(random, 2, n);
    const mode = uniqueMode(input);
    return mode === undefined ? undefined : { input, answer: [mode] };
  });

/**
 * Most frequent symbol over an alphabet of `alphabet` symbols; ties are rejected. Four symbols by
 * default: a 16-wide model cannot hold a 16-symbol histogram (trained on 16 symbols: 18 / 14 / 10 %
 * per length bin; on 4: 100 / 98 / 96 %).
 */
export const mostFrequentTask = (alphabet = 4): Task =>
  seq2seq('most_freq', numberSymbols(alphabet), (n) => n >= 1, (random, n) => {
    const input = draw(random, alphabet, n);
    const mode = uniqueMode(input);
    return mode === undefined ? undefined : { input, answer: [mode] };
  });

/**
 * Count: input two numbers `a b` with a ≤ b, answer a, a+1, …, b. `length` is the answer length
 * b − a + 1 (1 … maxValue + 1); a is uniform among the admissible starts.
 */
export const countTask = (maxValue = 155): Task =>
  seq2seq('count', numberSymbols(maxValue + 1), (n) => n >= 1 && n <= maxValue + 1, (random, n) => {
    const a = randomInt(random, maxValue + 2 - n);
    const answer = Array.from({ length: n }, (_, i) => a + i);
    return { input: [a, a + n - 1], answer };
  });

/** Sort: `length` symbols drawn with replacement, answer them in ascending order. */
export const sortTask = (alphabet = 155): Task =>
  seq2seq('sort', numberSymbols(alphabet), (n) => n >= 0, (random, n) => {
    const input = draw(random, alphabet, n);
    return { input, answer: [...input].sort((x, y) => x - y) };
  });

/** Unique copy: `length` distinct symbols, answer them unchanged. */
export const uniqueCopyTask = (alphabet = 155): Task =>
  seq2seq('unique_copy', numberSymbols(alphabet), (n) => n >= 0 && n <= alphabet, (random, n) => {
    const input = drawDistinct(random, alphabet, n);
    return { input, answer: [...input] };
  });

/** Unique reverse: `length` distinct symbols, answer them reversed. */
export const uniqueReverseTask = (alphabet = 155): Task =>
  seq2seq('unique_reverse', numberSymbols(alphabet), (n) => n >= 0 && n <= alphabet, (random, n) => {
    const input = drawDistinct(random, alphabet, n);
    return { input, answer: [...input].reverse() };
  });

/** Parity: input bits, answer 1 when the number of 1s is odd, else 0. */
export const parityTask = (): Task =>
  seq2seq('parity', ['0', '1'], (n) => n >= 0, (random, n) => {
    const input = draw(random, 2, n);
    return { input, answer: [input.reduce((s, x) => s ^ x, 0)] };
  });

/**
 * Repeat copy: `length` symbols over a two-letter alphabet (so symbols repeat), answer them
 * unchanged. Unlike unique copy, a position cannot be found by its symbol alone.
 */
export const repeatCopyTask = (): Task =>
  seq2seq('repeat_copy', ['a', 'b'], (n) => n >= 0, (random, n) => {
    const input = draw(random, 2, n);
    return { input, answer: [...input] };
  });

/**
 * Binary addition: `x + y` with x and y of `length` bits each (most significant first, leading
 * zeros allowed), answer the length + 1 bits of x + y, most significant first.
 */
export const binaryAdditionTask = (): Task =>
  seq2seq('addition', ['0', '1', '+'], (n) => n >= 1, (random, n) => {
    const x = draw(random, 2, n);
    const y = draw(random, 2, n);
    const sum: number[] = new Array<number>(n + 1).fill(0);
    let carry = 0;
    for (let i = n - 1; i >= 0; i--) {
      const total = x[i] + y[i] + carry;
      sum[i + 1] = total % 2;
      carry = total >> 1;
    }
    sum[0] = carry;
    return { input: [...x, 2, ...y], answer: sum };
  });

// ---------------------------------------------------------------------------------------------
// formal languages, all regular: a DFA over the task's symbols

/** A DFA: state 0 starts; `delta[state][symbol]` is the next state or −1 (reject). */
export interface Dfa {
  readonly symbols: readonly string[];
  readonly delta: readonly (readonly number[])[];
  readonly accepting: readonly boolean[];
}

/** The state reached from the start by `word` (symbol ids), −1 when rejected on the way. */
export const runDfa = (dfa: Dfa, word: readonly number[]): number => {
  let state = 0;
  for (const s of word) {
    if (state < 0) return -1;
    state = dfa.delta[state][s];
  }
  return state;
};

/** States from which some accepting state is reachable. */
const liveStates = (dfa: Dfa): boolean[] => {
  const live = [...dfa.accepting];
  let changed = true;
  while (changed) {
    changed = false;
    dfa.delta.forEach((row, q) => {
      if (!live[q] && row.some((r) => r >= 0 && live[r])) {
        live[q] = true;
        changed = true;
      }
    });
  }
  return live;
};

const languageTask = (name: string, dfa: Dfa): Task => {
  const sp = specials(dfa.symbols);
  const k = dfa.symbols.length;
  const states = dfa.delta.length;
  const live = liveStates(dfa);
  // completions[m][q]: the number of words of length m leading from q to acceptance (as doubles:
  // exact enough for sampling weights up to the lengths trained here).
  const completions: number[][] = [dfa.accepting.map((a) => (a ? 1 : 0))];
  const completionsUpTo = (m: number): void => {
    while (completions.length <= m) {
      const prev = completions[completions.length - 1];
      completions.push(
        Array.from({ length: states }, (_, q) =>
          dfa.delta[q].reduce((sum, r) => sum + (r >= 0 ? prev[r] : 0), 0),
        ),
      );
    }
  };
  const hasLength = (n: number): boolean => {
    if (!Number.isInteger(n) || n < 0) return false;
    completionsUpTo(n);
    return completions[n][0] > 0;
  };
  const nextSet = (state: number): number[] => {
    const set = new Array<number>(sp.vocab.length).fill(0);
    for (let s = 0; s < k; s++) {
      const r = dfa.delta[state][s];
      if (r >= 0 && live[r]) set[s] = 1;
    }
    if (dfa.accepting[state]) set[sp.eos] = 1;
    return set;
  };
  const generate = (random: () => number, n: number): Either.Either<Diagnostic, Example> => {
    if (!hasLength(n)) return Either.left(noLength(name, n));
    const word: number[] = [];
    const nextSets: number[][] = [nextSet(0)];
    let state = 0;
    for (let left = n; left > 0; left--) {
      const weights = dfa.delta[state].map((r) => (r >= 0 ? completions[left - 1][r] : 0));
      const total = weights.reduce((a, b) => a + b, 0);
      let u = random() * total;
      let pick = weights.findIndex((w) => w > 0);
      for (let s = 0; s < k; s++) {
        if (weights[s] <= 0) continue;
        pick = s;
        if (u < weights[s]) break;
        u -= weights[s];
      }
      word.push(pick);
      state = dfa.delta[state][pick];
      nextSets.push(nextSet(state));
    }
    const tokens = [sp.bos, ...word, sp.eos];
    const lossPositions = Array.from({ length: n + 1 }, (_, i) => i);
    return Either.right({ tokens, lossPositions, targets: [], nextSets });
  };
  return { name, kind: 'language', symbols: dfa.symbols, ...sp, hasLength, generate };
};

/** Builds a DFA from a transition function over states 0 … states−1 (−1 rejects). */
const dfaOf = (
  symbols: readonly string[],
  states: number,
  step: (state: number, symbol: number) => number,
  accepting: (state: number) => boolean,
): Dfa => ({
  symbols,
  delta: Array.from({ length: states }, (_, q) => symbols.map((_, s) => step(q, s))),
  accepting: Array.from({ length: states }, (_, q) => accepting(q)),
});

const BIN = ['0', '1'];

/** Tomita 1: 1*. */
export const tomita1 = (): Task => languageTask('tomita1', dfaOf(BIN, 1, (_q, s) => (s === 1 ? 0 : -1), () => true));

/** Tomita 2: (10)*. States: 0 = even (accepting), 1 = after a 1. */
export const tomita2 = (): Task =>
  languageTask('tomita2', dfaOf(BIN, 2, (q, s) => (q === 0 ? (s === 1 ? 1 : -1) : s === 0 ? 0 : -1), (q) => q === 0));

/**
 * Tomita 3: no odd-length block of 1s directly followed (after its block) by an odd-length block of
 * 0s. States: 0 = safe, 1 = inside an odd run of 1s, 2 = inside an even run of 1s (safe),
 * 3 = an odd run of 0s after an odd run of 1s, 4 = an even run of 0s after an odd run of 1s.
 */
export const tomita3 = (): Task =>
  languageTask(
    'tomita3',
    dfaOf(
      BIN,
      5,
      (q, s) => {
        const table = [
          [0, 1],
          [3, 2],
          [0, 1],
          [4, -1],
          [3, 1],
        ];
        return table[q][s];
      },
      (q) => q !== 3,
    ),
  );

/** Tomita 4: no 000 substring. State = the length of the trailing run of 0s (0 … 2). */
export const tomita4 = (): Task =>
  languageTask('tomita4', dfaOf(BIN, 3, (q, s) => (s === 1 ? 0 : q === 2 ? -1 : q + 1), () => true));

/** Tomita 5: an even number of 0s and an even number of 1s. State = 2·(#0 mod 2) + (#1 mod 2). */
export const tomita5 = (): Task =>
  languageTask('tomita5', dfaOf(BIN, 4, (q, s) => q ^ (s === 0 ? 2 : 1), (q) => q === 0));

/** Tomita 6: #0 − #1 ≡ 0 (mod 3). */
export const tomita6 = (): Task =>
  languageTask('tomita6', dfaOf(BIN, 3, (q, s) => (s === 0 ? (q + 1) % 3 : (q + 2) % 3), (q) => q === 0));

/** Tomita 7: 0*1*0*1*. State = the number of blocks begun (0s, 1s, 0s, 1s). */
export const tomita7 = (): Task =>
  languageTask(
    'tomita7',
    dfaOf(
      BIN,
      4,
      (q, s) => {
        // the blocks alternate 0,1,0,1: a symbol stays in the current block or opens the next one
        const blockSymbol = q % 2; // block q holds symbol q % 2
        if (s === blockSymbol) return q;
        return q + 1 <= 3 ? q + 1 : -1;
      },
      () => true,
    ),
  );

/** Dyck-1 with depth ≤ `maxDepth`: balanced `( )` whose nesting never exceeds the bound. */
export const dyck1 = (maxDepth = 2): Task =>
  languageTask(
    `dyck1_d${maxDepth}`,
    dfaOf(
      ['(', ')'],
      maxDepth + 1,
      (q, s) => (s === 0 ? (q < maxDepth ? q + 1 : -1) : q > 0 ? q - 1 : -1),
      (q) => q === 0,
    ),
  );

/** (a^period)*: strings of a's whose length is a multiple of `period` ((aa)*, (aaaa)*). */
export const aPeriodStar = (period: number): Task =>
  languageTask(
    period === 2 ? 'aastar' : period === 4 ? 'aaaastar' : `a${period}star`,
    dfaOf(['a'], period, (q) => (q + 1) % period, (q) => q === 0),
  );

/** (abab)*. */
export const ababStar = (): Task =>
  languageTask('ababstar', dfaOf(['a', 'b'], 4, (q, s) => (s === q % 2 ? (q + 1) % 4 : -1), (q) => q === 0));

/** a⁺b⁺c⁺d⁺e⁺. State q ≥ 1: inside the block of symbol q − 1. */
export const abcde = (): Task =>
  languageTask(
    'abcde',
    dfaOf(['a', 'b', 'c', 'd', 'e'], 6, (q, s) => (s === q - 1 && q >= 1 ? q : s === q ? q + 1 : -1), (q) => q === 5),
  );

/** {a,b}*d{b,c}*. State 0: before the d; state 1: after it. */
export const abDbc = (): Task =>
  languageTask(
    'ab_d_bc',
    dfaOf(
      ['a', 'b', 'c', 'd'],
      2,
      (q, s) => {
        if (q === 0) return s === 0 || s === 1 ? 0 : s === 3 ? 1 : -1;
        return s === 1 || s === 2 ? 1 : -1;
      },
      (q) => q === 1,
    ),
  );

// ---------------------------------------------------------------------------------------------
// registry

const registry: Readonly<Record<string, () => Task>> = {
  majority: majorityTask,
  most_freq: () => mostFrequentTask(),
  count: () => countTask(),
  sort: () => sortTask(),
  unique_copy: () => uniqueCopyTask(),
  unique_reverse: () => uniqueReverseTask(),
  repeat_copy: repeatCopyTask,
  parity: parityTask,
  addition: binaryAdditionTask,
  tomita1,
  tomita2,
  tomita3,
  tomita4,
  tomita5,
  tomita6,
  tomita7,
  dyck1_d2: () => dyck1(2),
  dyck1_d3: () => dyck1(3),
  dyck1_d4: () => dyck1(4),
  aastar: () => aPeriodStar(2),
  aaaastar: () => aPeriodStar(4),
  ababstar: ababStar,
  abcde,
  ab_d_bc: abDbc,
};

export const taskNames: readonly string[] = Object.keys(registry);

/** The task of this name, or a Left diagnostic listing the known names. */
export const taskByName = (name: string): Either.Either<Diagnostic, Task> => {
  const make = Object.prototype.hasOwnProperty.call(registry, name) ? registry[name] : undefined;
  return make === undefined
    ? Either.left(
        diagnostic('train/unknown-task', `unknown task '${name}'`, { fix: `use one of: ${taskNames.join(', ')}` }),
      )
    : Either.right(make());
};
