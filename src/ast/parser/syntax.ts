/**
 * The surface syntax tree of a `.rasp` file: what the text says, with positions, before any
 * meaning is given to names (that is elaborate.ts). Every node is immutable.
 */
import type { ComparisonOp } from '../expr.js';

/** A 1-based line and column (columns count UTF-16 code units; a tab is one column). */
export interface Pos {
  readonly line: number;
  readonly col: number;
}

/** `file:line:col`, or `line:col` without a file: the `where` of a diagnostic. */
export const formatPos = (pos: Pos, file?: string): string =>
  file === undefined || file === '' ? `${pos.line}:${pos.col}` : `${file}:${pos.line}:${pos.col}`;

export type ArithmeticSymbol = '+' | '-' | '*' | '/' | '%';
/** Binary operators as written; `&` / `|` are `and` / `or` on values and combinators on selectors. */
export type BinarySymbol = ArithmeticSymbol | ComparisonOp | 'and' | 'or' | '&' | '|';
/** Unary operators as written; `!` is `not` on values and the complement on selectors. */
export type UnarySymbol = '-' | 'not' | '!';

export interface Param {
  readonly name: string;
  readonly pos: Pos;
}

export type SyntaxExpr =
  | { readonly kind: 'number'; readonly value: number; readonly pos: Pos }
  | { readonly kind: 'string'; readonly value: string; readonly pos: Pos }
  /** `True False None` (and lowercase `true false none`). */
  | { readonly kind: 'constant'; readonly value: boolean | null; readonly spelling: string; readonly pos: Pos }
  | { readonly kind: 'name'; readonly name: string; readonly pos: Pos }
  | { readonly kind: 'unary'; readonly op: UnarySymbol; readonly arg: SyntaxExpr; readonly pos: Pos }
  | {
      readonly kind: 'binary';
      readonly op: BinarySymbol;
      readonly left: SyntaxExpr;
      readonly right: SyntaxExpr;
      /** The operator's position. */
      readonly pos: Pos;
    }
  | {
      readonly kind: 'cond';
      readonly then: SyntaxExpr;
      readonly cond: SyntaxExpr;
      readonly otherwise: SyntaxExpr;
      /** The `if` keyword's position. */
      readonly pos: Pos;
    }
  | { readonly kind: 'call'; readonly callee: string; readonly args: readonly SyntaxExpr[]; readonly pos: Pos }
  | { readonly kind: 'lambda'; readonly params: readonly Param[]; readonly body: SyntaxExpr; readonly pos: Pos }
  | { readonly kind: 'tuple'; readonly items: readonly SyntaxExpr[]; readonly pos: Pos }
  | { readonly kind: 'dict'; readonly entries: readonly (readonly [SyntaxExpr, SyntaxExpr])[]; readonly pos: Pos }
  | { readonly kind: 'index'; readonly target: SyntaxExpr; readonly index: SyntaxExpr; readonly pos: Pos }
  /** A bare comparison operator as a call argument: the predicate of `select(k, q, <=)`. */
  | { readonly kind: 'operator'; readonly op: ComparisonOp; readonly pos: Pos };

export type Statement =
  | {
      readonly kind: 'assign';
      readonly name: string;
      readonly value: SyntaxExpr;
      /** The assigned name's position. */
      readonly pos: Pos;
    }
  | { readonly kind: 'expression'; readonly value: SyntaxExpr; readonly pos: Pos }
  | {
      readonly kind: 'def';
      readonly name: string;
      readonly params: readonly Param[];
      /** The body's statements; the last one is the `return`. */
      readonly body: readonly Statement[];
      readonly pos: Pos;
    }
  | { readonly kind: 'return'; readonly value: SyntaxExpr; readonly pos: Pos };

export interface SyntaxProgram {
  readonly statements: readonly Statement[];
}
