/**
 * The program library as data: every program with the vocabulary and maximum length it is meant
 * to be compiled with (Tracr's test settings where Tracr has the program) and its documented
 * input → output examples.
 *
 * Examples may lie outside the compile bounds (a docstring's "Hello", the RASP paper's 50-token
 * Dyck strings): they are interpreter examples; {@link exampleInBounds} tells which ones a compiled
 * model can be checked on. Sources: Tracr `lib.py` docstrings and `test_cases.py`, and the
 * [S] / (d) rows of EXAMPLES.md (with the paper's BOS position dropped; see frequency.ts).
 */
import * as D from '../ast/dsl.js';
import * as E from '../ast/expr.js';
import type { SOp } from '../ast/program.js';
import { valueEquals, type Value } from '../ast/value.js';
import { makeShuffleDyck2, makeShuffleDyck3, makePairBalance } from './balance.js';
import { makeCount, makeCountLessFreq } from './count.js';
import { makeDyck1Ptf, makeDyck2Ptf, makeDyck3Ptf } from './dyckPtf.js';
import { makeFracPrevs } from './fracPrevs.js';
import { makeDoubleHist, makeMostFreq, MOST_FREQ_FILL } from './frequency.js';
import { makeHist } from './hist.js';
import { makeLength } from './length.js';
import { makeNarySequenceMap } from './nary.js';
import { makeReverse } from './reverse.js';
import { detectPattern, shiftBy } from './shift.js';
import { makeSort, makeSortFreq, makeSortStable, makeSortUnique } from './sort.js';

export interface LibraryExample {
  readonly input: readonly Value[];
  readonly output: readonly Value[];
  /** Where the pair is documented. */
  readonly source: string;
}

export interface LibraryEntry {
  /** A valid identifier; also the name of `examples/<name>.rasp`. */
  readonly name: string;
  readonly description: string;
  /** Builds a fresh program (a DAG of new nodes). */
  readonly build: () => SOp;
  /** The vocabulary to compile with. */
  readonly vocab: readonly Value[];
  /** The maximum input length to compile with. */
  readonly maxLen: number;
  /** Evaluate and compile with causal masking; the examples are the causal outputs. */
  readonly causal?: boolean;
  /** The program gives the same output with and without causal masking on every input. */
  readonly causalCompatible?: boolean;
  readonly examples: readonly LibraryExample[];
}

const chars = (s: string): string[] => [...s];

const ex = (input: readonly Value[] | string, output: readonly Value[] | string, source: string): LibraryExample => ({
  input: typeof input === 'string' ? chars(input) : input,
  output: typeof output === 'string' ? chars(output) : output,
  source,
});

const TRACR_TESTS = 'tracr compiler/test_cases.py';
const TRACR_DOC = 'tracr compiler/lib.py docstring';
const PAPER = 'RASP paper_examples.rasp, tests/tgt/paper_examples.txt';

const F = MOST_FREQ_FILL;
const T = true;
const N = false;

const x = E.v('x');
const y = E.v('y');
const z = E.v('z');

export const REGISTRY: readonly LibraryEntry[] = [
  {
    name: 'length',
    description: 'Tracr make_length: the input length at every position (selector width of select-all).',
    build: makeLength,
    vocab: chars('abcd'),
    maxLen: 3,
    examples: [
      ex('abc', [3, 3, 3], `${TRACR_TESTS} length_categorical_1`),
      ex('ad', [2, 2], `${TRACR_TESTS} length_categorical_2`),
      ex('c', [1], `${TRACR_TESTS} length_categorical_3`),
      ex('abcdefg', [7, 7, 7, 7, 7, 7, 7], `${TRACR_DOC} make_length`),
    ],
  },
  {
    name: 'length_causal',
    description: 'make_length evaluated with causal masking: the prefix length (Tracr CAUSAL_TEST_CASES selector_width).',
    build: makeLength,
    vocab: chars('abcd'),
    maxLen: 5,
    causal: true,
    examples: [ex('abcd', [1, 2, 3, 4], `${TRACR_TESTS} CAUSAL_TEST_CASES selector_width; EXAMPLES.md A25`)],
  },
  {
    name: 'reverse',
    description: 'Tracr make_reverse(tokens): aggregate(select(indices, length - indices - 1, ==), tokens).',
    build: () => makeReverse(D.tokens),
    vocab: chars('abcd'),
    maxLen: 5,
    examples: [
      ex('abcd', 'dcba', `${TRACR_TESTS} reverse_1`),
      ex('abc', 'cba', `${TRACR_TESTS} reverse_2`),
      ex('ad', 'da', `${TRACR_TESTS} reverse_3`),
      ex('c', 'c', `${TRACR_TESTS} reverse_4`),
      ex('Hello', 'olleH', `${TRACR_DOC} make_reverse`),
      ex('hey', 'yeh', 'EXAMPLES.md A2 [S] (RASPy test_rasp.py)'),
      ex([1, 2, 3], [3, 2, 1], 'EXAMPLES.md A2 [S] [BOS,1,2,3] → [BOS,3,2,1], BOS dropped'),
    ],
  },
  {
    name: 'hist',
    description: 'Tracr make_hist: how often each position’s token occurs (selector_width(select(tokens, tokens, ==))).',
    build: makeHist,
    vocab: chars('abcd'),
    maxLen: 5,
    examples: [
      ex('abac', [2, 1, 2, 1], `${TRACR_TESTS} hist; ${TRACR_DOC} make_hist`),
      ex('hello', [1, 1, 2, 2, 1], 'EXAMPLES.md A6 [S] (tech-srl README)'),
      ex('hello there', [2, 3, 2, 2, 1, 1, 1, 2, 3, 1, 3], 'EXAMPLES.md A6 [S] (tech-srl simple_sequences_no_errors)'),
      ex(
        'hiya howdy doodly doo',
        [2, 1, 3, 1, 3, 2, 5, 1, 4, 3, 3, 4, 5, 5, 4, 1, 3, 3, 4, 5, 5],
        `EXAMPLES.md A6 [S] (${PAPER}, hist_nobos)`,
      ),
    ],
  },
  {
    name: 'sort_unique',
    description: 'Tracr make_sort_unique(tokens, tokens): sorts unique keys.',
    build: () => makeSortUnique(D.tokens, D.tokens),
    vocab: [1, 2, 3, 4],
    maxLen: 5,
    examples: [
      ex([2, 4, 3, 1], [1, 2, 3, 4], `${TRACR_TESTS} sort_unique_1; ${TRACR_DOC} make_sort_unique`),
      ex([3, 5, 4, 2], [2, 3, 4, 5], 'EXAMPLES.md A9 [S] ALTA [BOS,3,5,4,2] → [BOS,2,3,4,5], BOS dropped'),
    ],
  },
  {
    name: 'sort_unique_by_neg_index',
    description: 'Tracr make_sort_unique(vals=tokens, keys=1 - indices): reverses through a sort.',
    build: () => makeSortUnique(D.tokens, D.sub(1, D.indices)),
    vocab: chars('abcd'),
    maxLen: 5,
    examples: [ex('abcd', 'dcba', `${TRACR_TESTS} sort_unique_2`)],
  },
  {
    name: 'sort',
    description: 'Tracr make_sort(tokens, tokens, max_seq_len=5, min_key=1): sorts numerical keys with duplicates.',
    build: () => makeSort(D.tokens, D.tokens, { maxSeqLen: 5, minKey: 1 }),
    vocab: [1, 2, 3, 4],
    maxLen: 5,
    examples: [
      ex([2, 4, 3, 1], [1, 2, 3, 4], `${TRACR_TESTS} sort_1; ${TRACR_DOC} make_sort`),
      ex([2, 4, 1, 2], [1, 2, 2, 4], `${TRACR_TESTS} sort_3; ${TRACR_DOC} make_sort`),
      ex(
        [3, 1, 4, 2, 4, 0],
        [0, 1, 2, 3, 4, 4],
        'EXAMPLES.md A10 [S] TransformerPrograms [<s>,3,1,4,2,4,0,</s>], <s> and </s> dropped',
      ),
    ],
  },
  {
    name: 'sort_by_neg_index',
    description: 'Tracr make_sort(vals=tokens, keys=1 - indices, max_seq_len=5, min_key=1).',
    build: () => makeSort(D.tokens, D.sub(1, D.indices), { maxSeqLen: 5, minKey: 1 }),
    vocab: chars('abcd'),
    maxLen: 5,
    examples: [ex('abcd', 'dcba', `${TRACR_TESTS} sort_2`)],
  },
  {
    name: 'sort_freq',
    description: 'Tracr make_sort_freq(max_seq_len=5): tokens by descending frequency, stable.',
    build: () => makeSortFreq(5),
    vocab: [1, 2, 3, 4],
    maxLen: 5,
    examples: [ex([2, 4, 2, 1], [2, 2, 4, 1], `${TRACR_TESTS} sort_freq; ${TRACR_DOC} make_sort_freq`)],
  },
  {
    name: 'sort_stable',
    description: 'The RASP paper’s stable sort(tokens, tokens) with the composite selector key< | (key== & index<).',
    build: () => makeSortStable(D.tokens, D.tokens),
    vocab: chars('abcd'),
    maxLen: 8,
    examples: [
      ex('dbca', 'abcd', '(d) from the definition'),
      ex('badcab', 'aabbcd', '(d) from the definition'),
      ex(
        'dfgfhfghDVSHRDFHdfsfsfegDGDFHDFG',
        'DDDDDFFFGGHHHRSVddeffffffggghhss',
        `EXAMPLES.md A10 [S] (${PAPER}, sort_bos), BOS dropped`,
      ),
    ],
  },
  {
    name: 'frac_prevs',
    description: 'Tracr make_frac_prevs(tokens == "l"): running fraction of "l" (numerical mean, default 0).',
    build: () => makeFracPrevs(D.eq(D.tokens, 'l')),
    vocab: chars('helo'),
    maxLen: 5,
    causalCompatible: true,
    examples: [ex('hello', [0, 0, 1 / 3, 1 / 2, 2 / 5], `${TRACR_TESTS} frac_prevs_1; ${TRACR_DOC} make_frac_prevs`)],
  },
  {
    name: 'frac_prevs_lparen',
    description: 'Tracr make_frac_prevs(tokens == "("): running fraction of open brackets.',
    build: () => makeFracPrevs(D.eq(D.tokens, '(')),
    vocab: chars('abc()'),
    maxLen: 10,
    causalCompatible: true,
    examples: [ex('a()b(c))', [0, 1 / 2, 1 / 3, 1 / 4, 2 / 5, 2 / 6, 2 / 7, 2 / 8], `${TRACR_TESTS} frac_prevs_2`)],
  },
  {
    name: 'frac_prevs_rparen',
    description: 'Tracr make_frac_prevs(tokens == ")"): running fraction of close brackets.',
    build: () => makeFracPrevs(D.eq(D.tokens, ')')),
    vocab: chars('abc()'),
    maxLen: 10,
    causalCompatible: true,
    examples: [ex('a()b(c))', [0, 0, 1 / 3, 1 / 4, 1 / 5, 1 / 6, 2 / 7, 3 / 8], `${TRACR_TESTS} frac_prevs_3`)],
  },
  {
    name: 'pair_balance',
    description: 'Tracr make_pair_balance(tokens, "(", ")"): frac_prevs of "(" minus frac_prevs of ")".',
    build: () => makePairBalance(D.tokens, '(', ')'),
    vocab: chars('abc()'),
    maxLen: 10,
    causalCompatible: true,
    examples: [
      ex('a()b(c))', [0, 1 / 2, 0, 0, 1 / 5, 1 / 6, 0, -1 / 8], `${TRACR_TESTS} pair_balance_1; ${TRACR_DOC} make_pair_balance`),
    ],
  },
  {
    name: 'shuffle_dyck2',
    description: 'Tracr make_shuffle_dyck(["()", "{}"]): 1 where both bracket kinds are balanced (interleaving allowed).',
    build: makeShuffleDyck2,
    vocab: chars('(){}'),
    maxLen: 5,
    examples: [
      ex('({)}', [1, 1, 1, 1], `${TRACR_TESTS} shuffle_dyck2_1; ${TRACR_DOC} make_shuffle_dyck`),
      ex('(){)}', [0, 0, 0, 0, 0], `${TRACR_TESTS} shuffle_dyck2_2; ${TRACR_DOC} make_shuffle_dyck`),
      ex('{}(', [0, 0, 0], `${TRACR_TESTS} shuffle_dyck2_3`),
      ex('(({{a))b}}', new Array<Value>(10).fill(T), 'EXAMPLES.md A15 [S] RASPy test_rasp.py (read at the last position)'),
      ex('(({{{a))b}}', new Array<Value>(11).fill(N), 'EXAMPLES.md A15 [S] RASPy test_rasp.py (read at the last position)'),
    ],
  },
  {
    name: 'shuffle_dyck3',
    description: 'Tracr make_shuffle_dyck(["()", "{}", "[]"]).',
    build: makeShuffleDyck3,
    vocab: chars('(){}[]'),
    maxLen: 6,
    examples: [
      ex('({)[}]', [1, 1, 1, 1, 1, 1], `${TRACR_TESTS} shuffle_dyck3_1`),
      ex('(){)}', [0, 0, 0, 0, 0], `${TRACR_TESTS} shuffle_dyck3_2`),
      ex('{}[(]', [0, 0, 0, 0, 0], `${TRACR_TESTS} shuffle_dyck3_3`),
    ],
  },
  {
    name: 'shift_by_1',
    description: 'Tracr shift_by(1, tokens): tokens shifted right by one, None-padded.',
    build: () => shiftBy(1, D.tokens),
    vocab: chars('abcd'),
    maxLen: 5,
    causalCompatible: true,
    examples: [ex('abcd', [null, 'a', 'b', 'c'], `${TRACR_TESTS} shift_by_one`)],
  },
  {
    name: 'shift_by_2',
    description: 'Tracr shift_by(2, tokens).',
    build: () => shiftBy(2, D.tokens),
    vocab: chars('abcd'),
    maxLen: 5,
    causalCompatible: true,
    examples: [ex('abcd', [null, null, 'a', 'b'], `${TRACR_TESTS} shift_by_two`)],
  },
  {
    name: 'detect_pattern_a',
    description: 'Tracr detect_pattern(tokens, "a").',
    build: () => detectPattern(D.tokens, 'a'),
    vocab: chars('abcd'),
    maxLen: 5,
    causalCompatible: true,
    examples: [ex('bacd', [N, T, N, N], `${TRACR_TESTS} detect_pattern_a`)],
  },
  {
    name: 'detect_pattern_ab',
    description: 'Tracr detect_pattern(tokens, "ab").',
    build: () => detectPattern(D.tokens, 'ab'),
    vocab: chars('ab'),
    maxLen: 5,
    causalCompatible: true,
    examples: [
      ex('aaba', [null, N, T, N], `${TRACR_TESTS} detect_pattern_ab`),
      ex('abaa', [null, T, N, N], `${TRACR_TESTS} detect_pattern_ab_2`),
      ex('aaaa', [null, N, N, N], `${TRACR_TESTS} detect_pattern_ab_3`),
    ],
  },
  {
    name: 'detect_pattern_abc',
    description: 'Tracr detect_pattern(tokens, "abc").',
    build: () => detectPattern(D.tokens, 'abc'),
    vocab: chars('abc'),
    maxLen: 6,
    causalCompatible: true,
    examples: [
      ex('abcabc', [null, null, T, N, N, T], `${TRACR_TESTS} detect_pattern_abc; ${TRACR_DOC} detect_pattern`),
    ],
  },
  {
    name: 'count_a',
    description: 'Tracr make_count(tokens, "a"): the number of "a" at every position.',
    build: () => makeCount(D.tokens, 'a'),
    vocab: chars('abc'),
    maxLen: 8,
    examples: [
      ex('aaabbc', [3, 3, 3, 3, 3, 3], `${TRACR_TESTS} make_count_1; ${TRACR_DOC} make_count`),
      ex('cabc', [1, 1, 1, 1], `${TRACR_TESTS} make_count_2; ${TRACR_DOC} make_count`),
      ex('bbc', [0, 0, 0], `${TRACR_TESTS} make_count_3`),
    ],
  },
  {
    name: 'count_less_freq_2',
    description: 'Tracr make_count_less_freq(2): the number of positions whose token occurs at most twice.',
    build: () => makeCountLessFreq(2),
    vocab: chars('abcd'),
    maxLen: 6,
    examples: [
      ex('aaabbc', [3, 3, 3, 3, 3, 3], `${TRACR_TESTS} make_count_less_freq_categorical_1; ${TRACR_DOC}`),
      ex('aacbbc', [6, 6, 6, 6, 6, 6], `${TRACR_TESTS} make_count_less_freq_categorical_2; ${TRACR_DOC}`),
    ],
  },
  {
    name: 'nary_sequencemap_add',
    description: 'Tracr make_nary_sequencemap(lambda x, y, z: x + y - z, tokens, tokens, indices).',
    build: () =>
      makeNarySequenceMap(D.lambda(['x', 'y', 'z'], E.binary('-', E.binary('+', x, y), z)), D.tokens, D.tokens, D.indices),
    vocab: [1, 2, 3],
    maxLen: 5,
    causalCompatible: true,
    examples: [ex([1, 2, 3], [2, 3, 4], `${TRACR_TESTS} make_nary_sequencemap_1`)],
  },
  {
    name: 'nary_sequencemap_mul',
    description: 'Tracr make_nary_sequencemap(lambda x, y, z: x * y / z, indices, indices, tokens).',
    build: () =>
      makeNarySequenceMap(D.lambda(['x', 'y', 'z'], E.binary('/', E.binary('*', x, y), z)), D.indices, D.indices, D.tokens),
    vocab: [1, 2, 3],
    maxLen: 3,
    causalCompatible: true,
    examples: [ex([1, 2, 3], [0, 1 / 2, 4 / 3], `${TRACR_TESTS} make_nary_sequencemap_2`)],
  },
  {
    name: 'dyck1_ptf',
    description: 'RASP paper dyck1_ptf: per prefix T (balanced), P (pending), F (broken for good).',
    build: () => makeDyck1Ptf(),
    vocab: chars('()'),
    maxLen: 8,
    causalCompatible: true,
    examples: [
      ex('()(()', 'PTPPP', 'EXAMPLES.md A17 (d)'),
      ex('(())', 'PPPT', '(d) from the definition'),
      ex('())(', 'PTFF', '(d) from the definition'),
      ex(
        '()(()())(((())(()(()))))((())((()()))(()))))(())((',
        'PTPPPPPTPPPPPPPPPPPPPPPTPPPPPPPPPPPPPPPPPTFFFFFFFF',
        `EXAMPLES.md A17 [S] (${PAPER})`,
      ),
    ],
  },
  {
    name: 'dyck2_ptf',
    description: 'RASP paper dyckk_ptf(["()", "{}"]): typed-bracket T/P/F per prefix.',
    build: makeDyck2Ptf,
    vocab: chars('(){}'),
    maxLen: 8,
    causalCompatible: true,
    examples: [
      ex('({})(}', 'PPPTPF', 'EXAMPLES.md A18 (d)'),
      ex('({)}', 'PPFF', '(d) from the definition (balanced as shuffle-Dyck, not as Dyck-2)'),
      ex(
        '{{({(){}()})}({}){}{}}{(({}(){}))}{}(){}({}(){()(){}}){)()}',
        'PPPPPPPPPPPPPPPPPPPPPTPPPPPPPPPPPTPTPTPTPPPPPPPPPPPPPTPFFFF',
        `EXAMPLES.md A18 [S] (${PAPER})`,
      ),
    ],
  },
  {
    name: 'dyck3_ptf',
    description: 'RASP paper dyckk_ptf(["()", "{}", "[]"]).',
    build: makeDyck3Ptf,
    vocab: chars('(){}[]'),
    maxLen: 8,
    causalCompatible: true,
    examples: [
      ex('([{}])', 'PPPPPT', '(d) from the definition'),
      ex('(]()', 'PFFF', '(d) from the definition'),
      ex(
        '()[](){{}(){}[]}[[]]([]){}()(])[[]]{{}}()[]',
        'PTPTPTPPPPPPPPPTPPPTPPPTPTPTPFFFFFFFFFFFFFF',
        `EXAMPLES.md A18 [S] (${PAPER})`,
      ),
    ],
  },
  {
    name: 'most_freq',
    description: `RASP paper sort_by_most_freq without BOS: distinct tokens by descending count (ties by first occurrence), then the filler "${F}".`,
    build: () => makeMostFreq({ maxLen: 8 }),
    vocab: chars('abcd'),
    maxLen: 8,
    examples: [
      ex('abbccc', ['c', 'b', 'a', F, F, F], '(d) from the definition'),
      ex('dabcab', ['a', 'b', 'd', 'c', F, F], '(d) from the definition'),
      ex('122333', ['3', '2', '1', F, F, F], 'EXAMPLES.md A12 (d), FILL = §'),
      ex(
        'dnv,dmnvs,alaadslksmvxlmvlskd',
        [...chars('dvslman,kx'), ...new Array<Value>(19).fill(F)],
        `EXAMPLES.md A12 [S] (${PAPER}), BOS dropped`,
      ),
    ],
  },
  {
    name: 'double_hist',
    description: 'RASP paper hist2 without BOS: the number of distinct tokens occurring as often as mine.',
    build: makeDoubleHist,
    vocab: chars('abcd'),
    maxLen: 8,
    examples: [
      ex('aabbc', [2, 2, 2, 2, 1], 'EXAMPLES.md A8 (d)'),
      ex(
        'dkdnvdlvnksmncksnsknvkjns',
        [2, 1, 2, 1, 2, 2, 4, 2, 1, 1, 1, 4, 1, 4, 1, 1, 1, 1, 1, 1, 2, 1, 4, 1, 1],
        `EXAMPLES.md A8 [S] (${PAPER}, hist2_bos), BOS dropped`,
      ),
    ],
  },
];

/** Whether a compiled model for the entry can be checked on the example (tokens in the vocabulary, length in bounds). */
export const exampleInBounds = (entry: LibraryEntry, example: LibraryExample): boolean =>
  example.input.length >= 1 &&
  example.input.length <= entry.maxLen &&
  example.input.every((t) => entry.vocab.some((v) => valueEquals(v, t)));

/** The entry with this name, if any. */
export const findEntry = (name: string): LibraryEntry | undefined => REGISTRY.find((e) => e.name === name);
