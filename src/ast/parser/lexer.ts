/**
 * The `.rasp` lexer: text → tokens with 1-based line/column positions. `#` starts a comment that
 * runs to the end of the line. Strings use JSON escapes, in double or single quotes. `inf` and
 * `nan` are number tokens.
 */
import * as Either from 'fp-ts/lib/Either.js';
import { diagnostic, type Diagnostic } from '../../diagnostics.js';
import { isKeyword, NUMBER_WORDS } from './names.js';
import { formatPos, type Pos } from './syntax.js';

export type TokenKind = 'name' | 'keyword' | 'number' | 'string' | 'symbol' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** The token as written (for strings: with the quotes). */
  readonly text: string;
  /** The value of a number or string token. */
  readonly value?: number | string;
  readonly pos: Pos;
  /** The position just after the token. */
  readonly end: Pos;
}

/** Operators and punctuation, longest first. */
const SYMBOLS = [
  '->',
  '==',
  '!=',
  '<=',
  '>=',
  '<',
  '>',
  '=',
  '+',
  '-',
  '*',
  '/',
  '%',
  '&',
  '|',
  '!',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  ',',
  ';',
  ':',
] as const;

const NUMBER = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const WORD = /[A-Za-z_][A-Za-z0-9_]*/y;
const TAIL = /[A-Za-z0-9_.]*/y;

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  "'": "'",
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

/** How a token is named in messages: `';'`, `name 'foo'`, `number 1.5`, `end of input`. */
export const describeToken = (t: Token): string => {
  switch (t.kind) {
    case 'eof':
      return 'end of input';
    case 'name':
      return `name '${t.text}'`;
    case 'keyword':
      return `'${t.text}'`;
    case 'number':
      return `number ${t.text}`;
    case 'string':
      return `string ${t.text}`;
    case 'symbol':
      return `'${t.text}'`;
  }
};

/** Splits `.rasp` text into tokens; the last token is `eof`. */
export const tokenize = (text: string, file?: string): Either.Either<Diagnostic, readonly Token[]> => {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let col = 1;
  const here = (): Pos => ({ line, col });
  const fail = (pos: Pos, message: string, fix?: string): Either.Either<Diagnostic, readonly Token[]> =>
    Either.left(diagnostic('syntax', message, { where: formatPos(pos, file), ...(fix === undefined ? {} : { fix }) }));
  /** Advances over `n` code units that contain no line break. */
  const advance = (n: number): void => {
    i += n;
    col += n;
  };

  while (i < text.length) {
    const c = text[i] as string;
    if (c === '\n') {
      i++;
      line++;
      col = 1;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
      advance(1);
      continue;
    }
    if (c === '#') {
      while (i < text.length && text[i] !== '\n') advance(1);
      continue;
    }
    const start = here();
    NUMBER.lastIndex = i;
    const number = /[0-9.]/.test(c) ? NUMBER.exec(text) : null;
    if (number !== null) {
      const written = number[0];
      const after = text[i + written.length];
      if (after !== undefined && /[A-Za-z0-9_.]/.test(after)) {
        TAIL.lastIndex = i;
        const bad = TAIL.exec(text)?.[0] ?? written;
        return fail(start, `malformed number '${bad}'`, 'numbers are written like 3, 0.5, 1e-3 or 2.5E+4');
      }
      if (/^[0-9]+$/.test(written) && !Number.isSafeInteger(Number(written))) {
        return fail(
          start,
          `the integer ${written} is beyond 2^53 − 1, where a double does not hold integers exactly (it would read as ${String(Number(written))})`,
          'use an integer of at most 9007199254740991, or write it as a float (e.g. 1e16) to accept the rounding',
        );
      }
      advance(written.length);
      tokens.push({ kind: 'number', text: written, value: Number(written), pos: start, end: here() });
      continue;
    }
    WORD.lastIndex = i;
    const word = WORD.exec(text);
    if (word !== null) {
      const w = word[0];
      advance(w.length);
      if (Object.hasOwn(NUMBER_WORDS, w)) {
        tokens.push({ kind: 'number', text: w, value: NUMBER_WORDS[w] as number, pos: start, end: here() });
      } else {
        tokens.push({ kind: isKeyword(w) ? 'keyword' : 'name', text: w, pos: start, end: here() });
      }
      continue;
    }
    if (c === '"' || c === "'") {
      let value = '';
      let j = i + 1;
      let closed = false;
      while (j < text.length) {
        const d = text[j] as string;
        if (d === c) {
          closed = true;
          break;
        }
        if (d === '\n') break;
        if (d === '\\') {
          const e = text[j + 1];
          const escapePos = { line, col: col + (j - i) };
          if (e === 'u') {
            const hex = text.slice(j + 2, j + 6);
            if (!/^[0-9A-Fa-f]{4}$/.test(hex)) {
              return fail(escapePos, `bad escape '\\u${hex}' in string: expected four hex digits`);
            }
            value += String.fromCharCode(parseInt(hex, 16));
            j += 6;
            continue;
          }
          const simple = e === undefined ? undefined : SIMPLE_ESCAPES[e];
          if (simple === undefined) {
            return fail(
              escapePos,
              `unknown escape '\\${e ?? ''}' in string`,
              'use one of \\" \\\' \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX',
            );
          }
          value += simple;
          j += 2;
          continue;
        }
        value += d;
        j++;
      }
      if (!closed) {
        return fail(start, `unterminated string: expected a closing ${c} on the same line`, `add ${c} at the end of the string`);
      }
      const written = text.slice(i, j + 1);
      advance(written.length);
      tokens.push({ kind: 'string', text: written, value, pos: start, end: here() });
      continue;
    }
    const symbol = SYMBOLS.find((s) => text.startsWith(s, i));
    if (symbol !== undefined) {
      advance(symbol.length);
      tokens.push({ kind: 'symbol', text: symbol, pos: start, end: here() });
      continue;
    }
    const shown = String.fromCodePoint(text.codePointAt(i) as number);
    return fail(start, `unexpected character '${shown}'`);
  }
  const end = here();
  tokens.push({ kind: 'eof', text: '', pos: end, end });
  return Either.right(tokens);
};
