/**
 * Recursive-descent parser: tokens → surface syntax tree (syntax.ts). Precedence, lowest first
 * (Python's): lambda, `a if c else b`, `or`/`|`, `and`/`&`, `not`/`!`, comparisons (they do not
 * chain), `+ -`, `* / %`, unary `-`, postfix `[i]`. A `-` written directly before a number is part
 * of the number literal (`-1` is the literal minus one, `-(1)` negates the literal one).
 */
import * as Either from 'fp-ts/lib/Either.js';
import type { ComparisonOp } from '../expr.js';
import { COMPARISON_OPS } from '../expr.js';
import { diagnostic, type Diagnostic } from '../../diagnostics.js';
import { describeToken, tokenize, type Token } from './lexer.js';
import {
  formatPos,
  type BinarySymbol,
  type Param,
  type Pos,
  type Statement,
  type SyntaxExpr,
  type SyntaxProgram,
} from './syntax.js';

/** Nesting limit (brackets, calls, unary chains) so that no input can exhaust the stack. */
export const MAX_NESTING = 200;

/** Internal: unwinds the parser to `parseSyntax`, which turns it into a Left. Never escapes. */
class SyntaxFailure {
  constructor(readonly diagnostic: Diagnostic) {}
}

const isComparison = (text: string): text is ComparisonOp => (COMPARISON_OPS as readonly string[]).includes(text);

class Parser {
  private i = 0;
  private nesting = 0;

  constructor(
    private readonly tokens: readonly Token[],
    private readonly file: string | undefined,
  ) {}

  // ---- token helpers ----

  private peek(offset = 0): Token {
    const t = this.tokens[Math.min(this.i + offset, this.tokens.length - 1)];
    return t as Token;
  }

  private next(): Token {
    const t = this.peek();
    if (this.i < this.tokens.length - 1) this.i++;
    return t;
  }

  private previous(): Token {
    return this.tokens[Math.max(0, this.i - 1)] as Token;
  }

  private is(text: string, offset = 0): boolean {
    const t = this.peek(offset);
    return (t.kind === 'symbol' || t.kind === 'keyword') && t.text === text;
  }

  private accept(text: string): boolean {
    if (!this.is(text)) return false;
    this.next();
    return true;
  }

  private fail(pos: Pos, message: string, fix?: string): never {
    throw new SyntaxFailure(
      diagnostic('syntax', message, { where: formatPos(pos, this.file), ...(fix === undefined ? {} : { fix }) }),
    );
  }

  /**
   * Requires `text` next. A missing token is reported just after the previous token (where it
   * belongs), with what was found instead.
   */
  private expect(text: string, after: string, fix?: string): Token {
    if (this.is(text)) return this.next();
    const at = this.i === 0 ? this.peek().pos : this.previous().end;
    return this.fail(at, `expected '${text}' ${after}, found ${describeToken(this.peek())}`, fix);
  }

  private expectName(what: string): Token {
    const t = this.peek();
    if (t.kind === 'name') return this.next();
    const found = t.kind === 'keyword' || t.kind === 'number' ? `the reserved word '${t.text}'` : describeToken(t);
    return this.fail(t.pos, `expected ${what}, found ${found}`);
  }

  private enter(pos: Pos): void {
    if (++this.nesting > MAX_NESTING) {
      this.fail(pos, `expression nested too deeply (more than ${MAX_NESTING} levels)`, 'split it into assignments');
    }
  }

  private leave(): void {
    this.nesting--;
  }

  // ---- statements ----

  program(): SyntaxProgram {
    const statements: Statement[] = [];
    while (this.peek().kind !== 'eof') statements.push(this.statement(false));
    return { statements };
  }

  private statement(inDef: boolean): Statement {
    const t = this.peek();
    if (this.is('def')) return this.def();
    if (this.is('return')) {
      if (!inDef) this.fail(t.pos, "'return' outside a def", "'return' ends the body of a def { ... }");
      this.next();
      const value = this.expression();
      this.expect(';', 'after the return value', "end the statement with ';'");
      return { kind: 'return', value, pos: t.pos };
    }
    if (t.kind === 'name' && this.is('=', 1)) {
      this.next();
      this.next();
      const value = this.expression();
      this.expect(';', `after the assignment to '${t.text}'`, "end the statement with ';'");
      return { kind: 'assign', name: t.text, value, pos: t.pos };
    }
    if ((t.kind === 'keyword' || t.kind === 'number') && this.is('=', 1)) {
      this.fail(t.pos, `cannot assign to the reserved word '${t.text}'`, 'choose another name');
    }
    const value = this.expression();
    if (this.is('=') && value.kind !== 'name') {
      this.fail(this.peek().pos, "cannot assign to an expression: expected a name before '='", 'write name = expression;');
    }
    this.expect(';', 'after the expression', "end the statement with ';'");
    return { kind: 'expression', value, pos: t.pos };
  }

  private def(): Statement {
    const start = this.next();
    const name = this.expectName("a function name after 'def'");
    this.expect('(', `after 'def ${name.text}'`);
    const params = this.params(')', `parameter of '${name.text}'`);
    this.expect(')', `to close the parameters of '${name.text}'`);
    const open = this.expect('{', `to open the body of '${name.text}'`, 'write def f(a) { ...; return expr; }');
    const body: Statement[] = [];
    for (;;) {
      const t = this.peek();
      if (t.kind === 'eof') {
        this.fail(t.pos, `expected '}' to close the body of '${name.text}' opened at ${formatPos(open.pos)}, found end of input`);
      }
      if (this.is('}')) {
        this.fail(t.pos, `the body of '${name.text}' must end with 'return <expression>;'`, 'add a return statement');
      }
      const s = this.statement(true);
      body.push(s);
      if (s.kind === 'return') break;
    }
    this.expect('}', `after the return statement of '${name.text}' (it must be the last statement)`);
    this.accept(';');
    return { kind: 'def', name: name.text, params, body, pos: start.pos };
  }

  /** Names separated by commas (trailing comma allowed) up to `close`, which is not consumed. */
  private params(close: string, what: string): Param[] {
    const params: Param[] = [];
    while (!this.is(close)) {
      const p = this.expectName(`a ${what}`);
      params.push({ name: p.text, pos: p.pos });
      if (!this.accept(',')) break;
    }
    return params;
  }

  // ---- expressions ----

  expression(): SyntaxExpr {
    const t = this.peek();
    this.enter(t.pos);
    try {
      if (t.kind === 'name' && this.is('->', 1)) {
        this.next();
        this.next();
        return { kind: 'lambda', params: [{ name: t.text, pos: t.pos }], body: this.expression(), pos: t.pos };
      }
      if (this.is('(') && this.lambdaAhead()) {
        this.next();
        const params = this.params(')', 'lambda parameter');
        this.expect(')', 'to close the lambda parameters');
        this.expect('->', 'after the lambda parameters');
        return { kind: 'lambda', params, body: this.expression(), pos: t.pos };
      }
      return this.conditional();
    } finally {
      this.leave();
    }
  }

  /** At `(`: is this `(a, b) -> ...`? */
  private lambdaAhead(): boolean {
    let k = 1;
    if (this.is(')', k)) return this.is('->', k + 1);
    for (;;) {
      if (this.peek(k).kind !== 'name') return false;
      k++;
      if (this.is(')', k)) return this.is('->', k + 1);
      if (!this.is(',', k)) return false;
      k++;
      if (this.is(')', k)) return this.is('->', k + 1);
    }
  }

  private conditional(): SyntaxExpr {
    const then = this.or();
    if (!this.is('if')) return then;
    const ifToken = this.next();
    const cond = this.or();
    this.expect('else', "after the condition of 'a if cond else b'");
    const otherwise = this.conditionalNested();
    return { kind: 'cond', then, cond, otherwise, pos: ifToken.pos };
  }

  private conditionalNested(): SyntaxExpr {
    this.enter(this.peek().pos);
    try {
      return this.conditional();
    } finally {
      this.leave();
    }
  }

  private binaryLevel(ops: readonly string[], operand: () => SyntaxExpr): SyntaxExpr {
    let left = operand();
    for (;;) {
      const t = this.peek();
      if (!((t.kind === 'symbol' || t.kind === 'keyword') && ops.includes(t.text))) return left;
      this.next();
      const right = operand();
      left = { kind: 'binary', op: t.text as BinarySymbol, left, right, pos: t.pos };
    }
  }

  private or(): SyntaxExpr {
    return this.binaryLevel(['or', '|'], () => this.and());
  }

  private and(): SyntaxExpr {
    return this.binaryLevel(['and', '&'], () => this.not());
  }

  private not(): SyntaxExpr {
    const t = this.peek();
    if (this.is('not') || this.is('!')) {
      this.next();
      this.enter(t.pos);
      try {
        return { kind: 'unary', op: t.text as 'not' | '!', arg: this.not(), pos: t.pos };
      } finally {
        this.leave();
      }
    }
    return this.comparison();
  }

  private comparison(): SyntaxExpr {
    const left = this.additive();
    const t = this.peek();
    if (!(t.kind === 'symbol' && isComparison(t.text))) return left;
    this.next();
    const right = this.additive();
    const u = this.peek();
    if (u.kind === 'symbol' && isComparison(u.text)) {
      this.fail(u.pos, `comparisons do not chain: found '${u.text}' after '${t.text}'`, 'use parentheses or and: (a < b) and (b < c)');
    }
    return { kind: 'binary', op: t.text as ComparisonOp, left, right, pos: t.pos };
  }

  private additive(): SyntaxExpr {
    return this.binaryLevel(['+', '-'], () => this.multiplicative());
  }

  private multiplicative(): SyntaxExpr {
    return this.binaryLevel(['*', '/', '%'], () => this.unary());
  }

  private unary(): SyntaxExpr {
    const t = this.peek();
    if (!this.is('-')) return this.postfix();
    this.next();
    const n = this.peek();
    if (n.kind === 'number' && !this.is('[', 1)) {
      this.next();
      return this.postfixOf({ kind: 'number', value: -(n.value as number), pos: t.pos });
    }
    this.enter(t.pos);
    try {
      return { kind: 'unary', op: '-', arg: this.unary(), pos: t.pos };
    } finally {
      this.leave();
    }
  }

  private postfix(): SyntaxExpr {
    return this.postfixOf(this.primary());
  }

  private postfixOf(target: SyntaxExpr): SyntaxExpr {
    let e = target;
    while (this.is('[')) {
      const open = this.next();
      const index = this.expression();
      this.expect(']', `to close the index opened at ${formatPos(open.pos)}`);
      e = { kind: 'index', target: e, index, pos: open.pos };
    }
    return e;
  }

  private primary(): SyntaxExpr {
    const t = this.peek();
    switch (t.kind) {
      case 'number':
        this.next();
        return { kind: 'number', value: t.value as number, pos: t.pos };
      case 'string':
        this.next();
        return { kind: 'string', value: t.value as string, pos: t.pos };
      case 'name':
        this.next();
        if (this.is('(')) return this.call(t);
        return { kind: 'name', name: t.text, pos: t.pos };
      case 'keyword': {
        const constant = KEYWORD_CONSTANTS[t.text];
        if (constant !== undefined) {
          this.next();
          return { kind: 'constant', value: constant.value, spelling: t.text, pos: t.pos };
        }
        return this.fail(t.pos, `unexpected '${t.text}': expected an expression`);
      }
      case 'symbol':
        if (t.text === '(') return this.parenthesised();
        if (t.text === '{') return this.dict();
        return this.fail(t.pos, `unexpected '${t.text}': expected an expression`);
      case 'eof':
        return this.fail(t.pos, 'unexpected end of input: expected an expression');
    }
  }

  private call(callee: Token): SyntaxExpr {
    const open = this.next();
    const args: SyntaxExpr[] = [];
    while (!this.is(')')) {
      args.push(this.argument());
      if (!this.accept(',')) break;
    }
    this.expect(')', `to close the call to '${callee.text}' opened at ${formatPos(open.pos)}`);
    return { kind: 'call', callee: callee.text, args, pos: callee.pos };
  }

  /**
   * A call argument: an expression, or a bare comparison operator (`select(k, q, <)`); no
   * expression starts with a comparison operator, so there is no ambiguity.
   */
  private argument(): SyntaxExpr {
    const t = this.peek();
    if (t.kind === 'symbol' && isComparison(t.text)) {
      this.next();
      return { kind: 'operator', op: t.text, pos: t.pos };
    }
    return this.expression();
  }

  private parenthesised(): SyntaxExpr {
    const open = this.next();
    if (this.accept(')')) return { kind: 'tuple', items: [], pos: open.pos };
    const first = this.expression();
    if (this.accept(')')) return first;
    const items = [first];
    if (!this.is(',')) this.expect(')', `to close the '(' opened at ${formatPos(open.pos)}`);
    this.next();
    while (!this.is(')')) {
      items.push(this.expression());
      if (!this.accept(',')) break;
    }
    this.expect(')', `to close the tuple opened at ${formatPos(open.pos)}`);
    return { kind: 'tuple', items, pos: open.pos };
  }

  private dict(): SyntaxExpr {
    const open = this.next();
    const entries: (readonly [SyntaxExpr, SyntaxExpr])[] = [];
    while (!this.is('}')) {
      const key = this.expression();
      this.expect(':', 'after the table key');
      const value = this.expression();
      entries.push([key, value]);
      if (!this.accept(',')) break;
    }
    this.expect('}', `to close the table opened at ${formatPos(open.pos)}`);
    return { kind: 'dict', entries, pos: open.pos };
  }
}

const KEYWORD_CONSTANTS: Readonly<Record<string, { value: boolean | null }>> = {
  True: { value: true },
  False: { value: false },
  None: { value: null },
  true: { value: true },
  false: { value: false },
  none: { value: null },
};

/** Parses tokens into the surface syntax tree; the first syntax error is a Left. */
export const parseTokens = (tokens: readonly Token[], file?: string): Either.Either<Diagnostic, SyntaxProgram> => {
  try {
    return Either.right(new Parser(tokens, file).program());
  } catch (e) {
    if (e instanceof SyntaxFailure) return Either.left(e.diagnostic);
    throw e;
  }
};

/** Text → surface syntax tree (lexing and parsing). */
export const parseSyntax = (text: string, file?: string): Either.Either<Diagnostic, SyntaxProgram> =>
  Either.flatMap(tokenize(text, file), (tokens) => parseTokens(tokens, file));
