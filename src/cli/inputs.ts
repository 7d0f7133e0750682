import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import * as Either from 'fp-ts/lib/Either.js';
import { decodeProgram } from '../ast/codec.js';
import { parseProgram } from '../ast/parser/index.js';
import type { SOp } from '../ast/program.js';
import { parseToken, type Value } from '../ast/value.js';
import { diagnostic, type Diagnostic } from '../diagnostics.js';
import { makeBounds, type Bounds } from '../typecheck/bounds.js';

/** Reads a program from a `.rasp` file, or a `.json` file in the program JSON form. */
export const loadProgram = (path: string): Either.Either<readonly Diagnostic[], SOp> => {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    return Either.left([diagnostic('io/read', `cannot read program file ${path}: ${reason}`, { fix: 'check the path' })]);
  }
  if (extname(path).toLowerCase() === '.json') {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      return Either.left([diagnostic('json/syntax', `${path} is not valid JSON: ${(e as Error).message}`, { where: path })]);
    }
    return Either.mapLeft((ds: readonly Diagnostic[]) => ds.map((d) => ({ ...d, where: `${path}:${d.where ?? ''}` })))(
      decodeProgram(json),
    );
  }
  return parseProgram(text, path);
};

/** Splits an input on whitespace; tokens that read as numbers are numbers. */
export const parseInput = (text: string): Either.Either<readonly Diagnostic[], Value[]> => {
  const tokens = text.split(/\s+/).filter((t) => t.length > 0);
  if (tokens.length === 0) {
    return Either.left([diagnostic('input/empty', 'the input is empty', { fix: 'give tokens separated by spaces, e.g. --input "a b c"' })]);
  }
  return Either.right(tokens.map(parseToken));
};

/** Parses `--vocab a,b,c` and `--max-len N` into bounds. */
export const parseBounds = (
  vocab: string | undefined,
  maxLen: string | undefined,
  causal: boolean,
): Either.Either<readonly Diagnostic[], Bounds> => {
  if (vocab === undefined) return Either.left([diagnostic('bounds/vocab', 'missing --vocab', { fix: 'pass --vocab a,b,c' })]);
  if (maxLen === undefined) return Either.left([diagnostic('bounds/max-len', 'missing --max-len', { fix: 'pass --max-len 5' })]);
  const items = vocab
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(parseToken);
  const n = /^\d+$/.test(maxLen.trim()) ? Number(maxLen) : Number.NaN;
  return makeBounds(items, n, causal);
};
