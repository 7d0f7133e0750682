import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import * as Either from 'fp-ts/lib/Either.js';
import { decodeProgram } from '../ast/codec.js';
import { parseProgram } from '../ast/parser/index.js';
import type { SOp } from '../ast/program.js';
import { parseToken, type Value } from '../ast/value.js';
import { diagnostic, type Diagnostic } from '../diagnostics.js';
import { makeBounds, MAX_LENGTH, MAX_VOCABULARY, type Bounds } from '../typecheck/bounds.js';
import { DEFAULT_MAX_PARAMS } from '../typecheck/sizeEstimate.js';

/** The program path that means standard input. */
export const STDIN = '-';

let stdinText: string | undefined;

/** The text of a program file, or of standard input for `-` (read once). */
const readProgramText = (path: string): Either.Either<readonly Diagnostic[], string> => {
  try {
    if (path === STDIN) {
      stdinText ??= readFileSync(0, 'utf8');
      return Either.right(stdinText);
    }
    return Either.right(readFileSync(path, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message;
    const what = path === STDIN ? 'the program from standard input' : `program file ${path}`;
    return Either.left([diagnostic('io/read', `cannot read ${what}: ${reason}`, { fix: 'check the path' })]);
  }
};

/**
 * Reads a program and its text: a `.rasp` file, a `.json` file in the program JSON form, or
 * standard input for `-` (`.rasp` text, or program JSON when it starts with `{`).
 */
export const loadProgramText = (path: string): Either.Either<readonly Diagnostic[], { program: SOp; text: string }> => {
  const read = readProgramText(path);
  if (Either.isLeft(read)) return read;
  const text = read.right;
  const name = path === STDIN ? '<stdin>' : path;
  const json = path === STDIN ? text.trimStart().startsWith('{') : extname(path).toLowerCase() === '.json';
  if (json) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      return Either.left([diagnostic('json/syntax', `the program is not valid JSON: ${(e as Error).message}`, { where: name })]);
    }
    return Either.bimap(
      (ds: readonly Diagnostic[]) => ds.map((d) => ({ ...d, where: `${name}:${d.where ?? ''}` })),
      (program: SOp) => ({ program, text }),
    )(decodeProgram(value));
  }
  return Either.map((program: SOp) => ({ program, text }))(parseProgram(text, name));
};

/** Reads a program (see {@link loadProgramText}). */
export const loadProgram = (path: string): Either.Either<readonly Diagnostic[], SOp> => Either.map((p: { program: SOp }) => p.program)(loadProgramText(path));

/** Splits an input on whitespace; tokens that read as numbers are numbers. */
export const parseInput = (text: string): Either.Either<readonly Diagnostic[], Value[]> => {
  const tokens = text.split(/\s+/).filter((t) => t.length > 0);
  if (tokens.length === 0) {
    return Either.left([diagnostic('input/empty', 'the input is empty', { fix: 'give tokens separated by spaces, e.g. --input "a b c"' })]);
  }
  return Either.right(tokens.map(parseToken));
};

/**
 * An integer option in [min, max]: `--max-len 5`, also `1e3`; anything else is refused with what
 * was given ("--max-len must be a positive integer, got -1").
 */
export const integerOption = (name: string, text: string, min: number, max: number, fix?: string, whyMax?: string): Either.Either<Diagnostic, number> => {
  const t = text.trim();
  const n = /^\+?\d+(\.\d+)?(e\+?\d+)?$/i.test(t) ? Number(t) : Number.NaN;
  const kind = min === 0 ? 'a non-negative integer' : min === 1 ? 'a positive integer' : `an integer of at least ${min}`;
  const given = t === '' || /\s/.test(text.trim()) ? JSON.stringify(text) : t;
  if (!Number.isSafeInteger(n) || n < min) {
    return Either.left(diagnostic('cli/bad-number', `${name} must be ${kind}, got ${given}`, fix === undefined ? {} : { fix }));
  }
  if (n > max) {
    return Either.left(diagnostic('cli/bad-number', `${name} must be at most ${max.toLocaleString('en-US')}${whyMax === undefined ? '' : ` (${whyMax})`}, got ${t}`, { fix: `give ${name} ${max} or less` }));
  }
  return Either.right(n);
};

/** `--max-len N`: a positive integer up to MAX_LENGTH. */
export const parseMaxLen = (text: string): Either.Either<Diagnostic, number> =>
  integerOption('--max-len', text, 1, MAX_LENGTH, 'e.g. --max-len 5', 'the largest value set the checker enumerates');

/** `--max-params N` (default DEFAULT_MAX_PARAMS): the size guard's budget. */
export const parseMaxParams = (text: string | undefined): Either.Either<readonly Diagnostic[], number> =>
  text === undefined
    ? Either.right(DEFAULT_MAX_PARAMS)
    : Either.mapLeft((d: Diagnostic) => [d])(integerOption('--max-params', text, 1, Number.MAX_SAFE_INTEGER, 'e.g. --max-params 200000000'));

/** `--vocab a,b,c`: comma-separated tokens (numbers where they read as numbers), none empty. */
export const parseVocab = (text: string): Either.Either<readonly Diagnostic[], Value[]> => {
  const items = text.split(',').map((s) => s.trim());
  if (items.length > MAX_VOCABULARY) {
    return Either.left([diagnostic('bounds/vocab', `--vocab has ${items.length} items, more than ${MAX_VOCABULARY}`, { fix: 'use a smaller vocabulary' })]);
  }
  const empty = items.findIndex((s) => s.length === 0);
  if (empty >= 0) {
    return Either.left([
      diagnostic('bounds/vocab', `--vocab item ${empty + 1} is empty (in ${JSON.stringify(text)})`, { fix: 'list the tokens separated by single commas, e.g. --vocab a,b,c' }),
    ]);
  }
  return Either.right(items.map(parseToken));
};

/** Parses `--vocab a,b,c` and `--max-len N` into bounds. */
export const parseBounds = (
  vocab: string | undefined,
  maxLen: string | undefined,
  causal: boolean,
): Either.Either<readonly Diagnostic[], Bounds> => {
  if (vocab === undefined) return Either.left([diagnostic('bounds/vocab', 'missing --vocab', { fix: 'pass --vocab a,b,c' })]);
  if (maxLen === undefined) return Either.left([diagnostic('bounds/max-len', 'missing --max-len', { fix: 'pass --max-len 5' })]);
  const items = parseVocab(vocab);
  if (Either.isLeft(items)) return items;
  const n = parseMaxLen(maxLen);
  if (Either.isLeft(n)) return Either.left([n.left]);
  return makeBounds(items.right, n.right, causal);
};

/**
 * Where a command writes: `-` is standard output only where the command writes one stream of
 * text; a command that writes a directory (or a binary or named file) refuses it.
 */
export const refuseStdout = (option: string, path: string, what: string, fix: string): readonly Diagnostic[] =>
  path === STDIN ? [diagnostic('cli/output', `${option} - (standard output) cannot hold ${what}`, { fix })] : [];
