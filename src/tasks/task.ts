/**
 * What a task is: the task generators of the decompiler paper (Huang et al. 2026, "Discovering
 * Interpretable Algorithms by Decompiling Transformers to RASP"), algorithmic seq2seq tasks
 * (seq2seq.ts) and formal languages (languages.ts, over dfa.ts), named in registry.ts.
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

export interface Specials {
  readonly vocab: readonly string[];
  readonly bos: number;
  readonly sep: number;
  readonly eos: number;
  readonly pad: number;
}

export const specials = (symbols: readonly string[]): Specials => {
  const n = symbols.length;
  return { vocab: [...symbols, ...SPECIAL_TOKENS], bos: n, sep: n + 1, eos: n + 2, pad: n + 3 };
};

export const noLength = (name: string, length: number): Diagnostic =>
  diagnostic('train/task-length', `task ${name} has no example of length ${length}`, {
    fix: 'choose another length (see Task.hasLength)',
  });
