/** The `.rasp` front end: text → program ADT. See docs/syntax.md for the language. */
import * as Either from 'fp-ts/lib/Either.js';
import type { Diagnostic } from '../../diagnostics.js';
import type { SOp } from '../program.js';
import { elaborate } from './elaborate.js';
import { parseSyntax } from './parse.js';

export { tokenize, type Token } from './lexer.js';
export { parseSyntax } from './parse.js';
export { elaborate } from './elaborate.js';
export type { SyntaxProgram, Statement, SyntaxExpr, Pos } from './syntax.js';

/**
 * Parses a `.rasp` program. `file` only labels diagnostics (`file:line:col`). Every problem is a
 * Left of diagnostics; this never throws for any input text.
 */
export const parseProgram = (text: string, file?: string): Either.Either<readonly Diagnostic[], SOp> =>
  Either.flatMap(
    Either.mapLeft((d: Diagnostic): readonly Diagnostic[] => [d])(parseSyntax(text, file)),
    (syntax) => elaborate(syntax, file),
  );
