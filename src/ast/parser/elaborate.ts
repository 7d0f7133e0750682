/**
 * Elaboration: the surface syntax tree → the program ADT. This is where names get their meaning.
 *
 * During elaboration a name or expression denotes one of:
 *   - an s-op or a selector (a program node),
 *   - a constant (a Value, computed now: `N = 2 * 3;`),
 *   - a function (a `def`, expanded inline at each call, like a macro),
 *   - a *lifted expression*: value arithmetic over at most two distinct s-ops, kept as an
 *     expression body plus its inputs until it must become a node. `length - indices - 1` is one
 *     node, `sequence_map((x, y) -> x - y - 1, length, indices)`, not three.
 * A lifted expression materialises when it is assigned, passed to a built-in that needs an s-op,
 * or is the output: one input → `map` (parameter `x`), two → `sequence_map` (`x`, `y` in order of
 * first use). When an operation would need three distinct s-ops its operands are materialised
 * first; a conditional over three distinct s-ops packs two of them into a tuple s-op.
 *
 * Lambda bodies are elaborated in *value mode*: names are the lambda's parameters and constants,
 * nothing is folded (the body is kept as written), and s-ops cannot be used.
 *
 * Errors are collected as diagnostics; an erroneous sub-expression becomes `poison`, which
 * silences follow-on errors. Nothing here throws for user input.
 */
import { COMPARISON_SYMBOL } from '../apply.js';
import * as Either from 'fp-ts/lib/Either.js';
import { diagnostic, type Diagnostic } from '../../diagnostics.js';
import * as D from '../dsl.js';
import * as E from '../expr.js';
import type { Expr } from '../expr.js';
import { compileLambda, isFailure, type ExprResult } from '../exprEval.js';
import type { Comparison, Fn, Selector, SOp } from '../program.js';
import { valueLiteral, type Value } from '../value.js';
import { BUILTIN_FUNCTIONS, closestName, isReservedName } from './names.js';
import { formatPos, type Param, type Pos, type Statement, type SyntaxExpr, type SyntaxProgram } from './syntax.js';

/** Deepest syntax tree elaborated (left-leaning chains such as `a + b + c + ...` count too). */
export const MAX_DEPTH = 400;

interface DefInfo {
  readonly name: string;
  readonly params: readonly Param[];
  readonly body: readonly Statement[];
  readonly pos: Pos;
  /** The scope the def was written in (lexical scoping), including the def itself. */
  readonly scope: Scope;
}

type Val =
  | { readonly kind: 'sop'; readonly node: SOp }
  | { readonly kind: 'selector'; readonly node: Selector }
  | { readonly kind: 'const'; readonly value: Value }
  /** `body` refers to input i as the variable `#i`; in value mode it may use lambda parameters. */
  | { readonly kind: 'lifted'; readonly body: Expr; readonly inputs: readonly SOp[] }
  | { readonly kind: 'def'; readonly def: DefInfo }
  | { readonly kind: 'poison' };

const POISON: Val = { kind: 'poison' };
const sopVal = (node: SOp): Val => ({ kind: 'sop', node });
const constVal = (value: Value): Val => ({ kind: 'const', value });

const inputVar = (i: number): string => `#${i}`;

class Scope {
  private readonly vars = new Map<string, Val>();
  constructor(private readonly parent?: Scope) {}

  get(name: string): Val | undefined {
    return this.vars.get(name) ?? this.parent?.get(name);
  }

  set(name: string, val: Val): void {
    this.vars.set(name, val);
  }

  names(): string[] {
    return [...this.vars.keys(), ...(this.parent?.names() ?? [])];
  }

  /** A flat copy of everything visible now (what a def captures). */
  snapshot(): Scope {
    const s = new Scope();
    for (const name of this.names().reverse()) s.set(name, this.get(name) as Val);
    return s;
  }
}

/** Where elaboration is: the scope, the mode and the def expansions in progress. */
interface Env {
  readonly scope: Scope;
  /** `sop`: program level; `value`: inside a lambda body (also defs called from one). */
  readonly mode: 'sop' | 'value';
  readonly calls: readonly { readonly def: DefInfo; readonly pos: Pos }[];
}

interface Operand {
  readonly val: Val;
  readonly pos: Pos;
}

/** A lifted expression's body over the inputs of one operand (vars `#0`, `#1`). */
interface Part {
  readonly body: Expr;
  readonly inputs: readonly SOp[];
}

const COMPARISON_OF: Readonly<Record<E.ComparisonOp, Comparison>> = {
  '==': 'EQ',
  '!=': 'NEQ',
  '<': 'LT',
  '<=': 'LEQ',
  '>': 'GT',
  '>=': 'GEQ',
};

const ARGUMENT_SHAPES: Readonly<Record<string, string>> = {
  select: '3 arguments (keys, queries, predicate)',
  aggregate: '2 or 3 arguments (selector, sop[, default])',
  selector_width: '1 argument (selector)',
  map: '2 arguments (function, sop)',
  sequence_map: '3 arguments (function, sop, sop)',
  linear_sequence_map: '4 arguments (sop, sop, coefficient, coefficient)',
  full: '1 argument (value)',
  numerical: '1 argument (sop)',
  categorical: '1 argument (sop)',
  min: '2 arguments',
  max: '2 arguments',
  abs: '1 argument',
  round: '1 argument',
};

/** Tracr's names for select predicates, for a helpful message. */
const TRACR_COMPARISONS: Readonly<Record<string, string>> = COMPARISON_SYMBOL;

const ORDINALS = ['first', 'second', 'third', 'fourth'];

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

const describe = (v: Val): string => {
  switch (v.kind) {
    case 'sop':
      return 'an s-op';
    case 'selector':
      return 'a selector';
    case 'const':
      return `a constant (${valueLiteral(v.value)})`;
    case 'lifted':
      return v.inputs.length > 0 ? 'an s-op' : 'a value expression';
    case 'def':
      return `the function '${v.def.name}'`;
    case 'poison':
      return 'an erroneous value';
  }
};

/** Evaluates an expression without variables. */
const evaluateClosed = (body: Expr): ExprResult => compileLambda([], body)([]);

class Elaborator {
  readonly diagnostics: Diagnostic[] = [];
  private depth = 0;

  constructor(private readonly file: string | undefined) {}

  // ---- diagnostics ----

  private error(env: Env | undefined, code: string, pos: Pos, message: string, fix?: string): Val {
    const call = env?.calls[env.calls.length - 1];
    const context = call === undefined ? '' : ` (in '${call.def.name}' called at ${formatPos(call.pos, this.file)})`;
    this.diagnostics.push(
      diagnostic(code, `${message}${context}`, {
        where: formatPos(pos, this.file),
        ...(fix === undefined ? {} : { fix }),
      }),
    );
    return POISON;
  }

  // ---- the program ----

  program(program: SyntaxProgram): SOp | undefined {
    const scope = new Scope();
    scope.set('tokens', sopVal(D.tokens));
    scope.set('indices', sopVal(D.indices));
    scope.set('length', sopVal(D.length));
    const env: Env = { scope, mode: 'sop', calls: [] };
    const statements = program.statements;
    const lastValueIndex = statements.reduce((last, s, i) => (s.kind === 'def' ? last : i), -1);
    let output: { val: Val; pos: Pos; name?: string } | undefined;
    statements.forEach((s, i) => {
      if (s.kind === 'expression' && i !== lastValueIndex) {
        this.error(
          env,
          'useless-statement',
          s.pos,
          'this expression statement has no effect: only the last statement may be a bare expression (the output)',
          'assign it to a name, or remove it',
        );
        return;
      }
      const val = this.statement(s, env);
      if (s.kind === 'assign') output = { val, pos: s.pos, name: s.name };
      if (s.kind === 'expression') output = { val, pos: s.pos };
    });
    if (output === undefined) {
      if (this.diagnostics.length === 0) {
        this.error(
          undefined,
          'empty-program',
          { line: 1, col: 1 },
          'the program is empty: expected at least one assignment; the last one is the output',
          'add a statement such as: out = aggregate(select(indices, indices, ==), tokens);',
        );
      }
      return undefined;
    }
    const { val, pos, name } = output;
    if (val.kind === 'selector' || val.kind === 'def') {
      this.error(
        env,
        'output',
        pos,
        `the program's output (its last assignment) must be an s-op, got ${describe(val)}`,
        val.kind === 'selector' ? 'aggregate it, or take selector_width(...) of it' : undefined,
      );
      return undefined;
    }
    if (val.kind === 'const') {
      const full = D.full(val.value);
      return name === undefined || name.startsWith('_') ? full : D.named(full, name);
    }
    const out = this.toSOp(val, pos, env, 'the output');
    return out.kind === 'sop' ? out.node : undefined;
  }

  /** Elaborates one statement, binding names in `env.scope`; returns the statement's value. */
  private statement(s: Statement, env: Env): Val {
    switch (s.kind) {
      case 'assign': {
        if (isReservedName(s.name)) {
          this.error(env, 'reserved-name', s.pos, `cannot assign to the built-in name '${s.name}'`, 'choose another name');
          env.scope.set(s.name, POISON);
          return POISON;
        }
        const val = this.bind(s.name, this.expr(s.value, env), s.value, env);
        env.scope.set(s.name, val);
        return val;
      }
      case 'def': {
        if (isReservedName(s.name)) {
          return this.error(env, 'reserved-name', s.pos, `cannot define a function named '${s.name}': it is a built-in name`, 'choose another name');
        }
        const seen = new Set<string>();
        for (const p of s.params) {
          if (seen.has(p.name)) {
            return this.error(env, 'duplicate-parameter', p.pos, `parameter '${p.name}' appears twice in '${s.name}'`);
          }
          seen.add(p.name);
        }
        // lexical scope: what is visible now, plus the def itself (so recursion is reported as such)
        const scope = env.scope.snapshot();
        const val: Val = { kind: 'def', def: { name: s.name, params: s.params, body: s.body, pos: s.pos, scope } };
        scope.set(s.name, val);
        env.scope.set(s.name, val);
        return val;
      }
      case 'expression':
      case 'return':
        return this.expr(s.value, env);
    }
  }

  /**
   * `name = value;`: at program level a lifted expression materialises, and the node is named
   * `name` (a renamed copy) unless the name starts with `_` or the right side is a plain name of a
   * node that already has a name (then the name is an alias). In value mode nothing changes.
   */
  private bind(name: string, val: Val, syntax: SyntaxExpr, env: Env): Val {
    if (env.mode === 'value') return val;
    let v = val;
    if (v.kind === 'lifted') v = this.toSOp(v, syntax.pos, env, `'${name}'`);
    if (v.kind !== 'sop' && v.kind !== 'selector') return v;
    if (name.startsWith('_')) return v;
    if (syntax.kind === 'name' && v.node.name !== undefined) return v;
    return v.kind === 'sop' ? sopVal(D.named(v.node, name)) : { kind: 'selector', node: D.named(v.node, name) };
  }

  // ---- expressions ----

  private expr(e: SyntaxExpr, env: Env): Val {
    if (++this.depth > MAX_DEPTH) {
      this.depth--;
      return this.error(env, 'too-deep', e.pos, `expression nested too deeply (more than ${MAX_DEPTH} levels)`, 'split it into assignments');
    }
    try {
      return this.exprInner(e, env);
    } finally {
      this.depth--;
    }
  }

  private exprInner(e: SyntaxExpr, env: Env): Val {
    switch (e.kind) {
      case 'number':
      case 'string':
      case 'constant':
        return constVal(e.value);
      case 'name':
        return this.name(e.name, e.pos, env);
      case 'operator':
        return this.error(
          env,
          'misplaced-operator',
          e.pos,
          `'${e.op}' alone can only be the predicate (third argument) of select`,
          'compare two values instead: a == b',
        );
      case 'lambda':
        return this.error(
          env,
          'misplaced-lambda',
          e.pos,
          'a lambda can only be the function argument of map, sequence_map or select',
        );
      case 'unary': {
        const arg = this.expr(e.arg, env);
        if (e.op === '-') return this.combine([{ val: arg, pos: e.arg.pos }], ([a]) => E.unary('neg', a as Expr), env, e.pos, "unary '-'");
        if (arg.kind === 'selector') return { kind: 'selector', node: D.selectorNot(arg.node) };
        return this.combine([{ val: arg, pos: e.arg.pos }], ([a]) => E.unary('not', a as Expr), env, e.pos, `'${e.op}'`);
      }
      case 'binary': {
        const left = this.expr(e.left, env);
        const right = this.expr(e.right, env);
        const operands = [
          { val: left, pos: e.left.pos },
          { val: right, pos: e.right.pos },
        ];
        const logical = e.op === 'and' || e.op === '&' ? 'and' : e.op === 'or' || e.op === '|' ? 'or' : undefined;
        if (logical !== undefined && (left.kind === 'selector' || right.kind === 'selector')) {
          if (left.kind === 'selector' && right.kind === 'selector') {
            const node = logical === 'and' ? D.selectorAnd(left.node, right.node) : D.selectorOr(left.node, right.node);
            return { kind: 'selector', node };
          }
          if (left.kind === 'poison' || right.kind === 'poison') return POISON;
          const other = left.kind === 'selector' ? right : left;
          return this.error(
            env,
            'type',
            e.pos,
            `'${e.op}' cannot combine a selector with ${describe(other)}`,
            'selectors combine only with selectors; turn the s-op into a selector with select(...)',
          );
        }
        const op: E.BinaryOp = logical ?? (e.op as E.BinaryOp);
        return this.combine(operands, ([a, b]) => E.binary(op, a as Expr, b as Expr), env, e.pos, `'${e.op}'`);
      }
      case 'cond': {
        const operands = [
          { val: this.expr(e.then, env), pos: e.then.pos },
          { val: this.expr(e.cond, env), pos: e.cond.pos },
          { val: this.expr(e.otherwise, env), pos: e.otherwise.pos },
        ];
        return this.combine(operands, ([t, c, o]) => E.cond(c as Expr, t as Expr, o as Expr), env, e.pos, "'if ... else'");
      }
      case 'tuple': {
        const operands = e.items.map((item) => ({ val: this.expr(item, env), pos: item.pos }));
        return this.combine(operands, (items) => E.tuple(items), env, e.pos, 'a tuple');
      }
      case 'dict':
        return this.error(env, 'misplaced-table', e.pos, 'a table {...} must be applied to a key', 'write {"a": 1, "b": 2}[x]');
      case 'index': {
        if (e.target.kind === 'dict') return this.table(e.target.entries, e.index, env, e.pos);
        const operands = [
          { val: this.expr(e.target, env), pos: e.target.pos },
          { val: this.expr(e.index, env), pos: e.index.pos },
        ];
        return this.combine(operands, ([t, i]) => E.index(t as Expr, i as Expr), env, e.pos, 'indexing');
      }
      case 'call':
        return this.call(e, env);
    }
  }

  private name(name: string, pos: Pos, env: Env): Val {
    const val = env.scope.get(name);
    if (val === undefined) {
      if (BUILTIN_FUNCTIONS.includes(name)) {
        return this.error(env, 'unknown-name', pos, `'${name}' is a built-in function: call it with arguments`, `write ${name}(...)`);
      }
      const close = closestName(name, [...env.scope.names(), 'True', 'False', 'None']);
      return this.error(
        env,
        'unknown-name',
        pos,
        `unknown name '${name}'`,
        close !== undefined ? `did you mean '${close}'?` : `assign it before using it: ${name} = ...;`,
      );
    }
    if (env.mode === 'value') {
      if (val.kind === 'sop' || val.kind === 'selector' || (val.kind === 'lifted' && val.inputs.length > 0)) {
        return this.error(
          env,
          'sop-in-lambda',
          pos,
          `a lambda body can only use its parameters and constants, but '${name}' is ${describe(val)}`,
          'pass the s-op as an argument: sequence_map((x, y) -> ..., a, b)',
        );
      }
    }
    return val;
  }

  /** `{k: v, ...}[arg]`: keys and values must be constants. */
  private table(entries: readonly (readonly [SyntaxExpr, SyntaxExpr])[], arg: SyntaxExpr, env: Env, pos: Pos): Val {
    const constEnv: Env = { ...env, mode: 'sop' };
    const values: E.TableEntry[] = [];
    let failed = false;
    for (const [k, v] of entries) {
      const key = this.toConst(this.expr(k, constEnv), k.pos, env, 'a table key');
      const value = this.toConst(this.expr(v, constEnv), v.pos, env, 'a table value');
      if (key.kind !== 'const' || value.kind !== 'const') {
        failed = true;
        continue;
      }
      values.push([key.value, value.value]);
    }
    const a = this.expr(arg, env);
    if (failed) return POISON;
    return this.combine([{ val: a, pos: arg.pos }], ([x]) => E.table(values, x as Expr), env, pos, 'a table lookup');
  }

  // ---- lifting ----

  /**
   * Applies a value operation to operands: constants fold (at program level), everything else
   * grows a lifted expression over at most two distinct s-ops.
   */
  private combine(operands: readonly Operand[], build: (args: Expr[]) => Expr, env: Env, pos: Pos, what: string): Val {
    for (const o of operands) {
      if (o.val.kind === 'poison') return POISON;
      if (o.val.kind === 'selector') {
        return this.error(
          env,
          'type',
          o.pos,
          `${what} cannot be applied to a selector`,
          'selectors combine only with &, | and !; use selector_width(...) or aggregate(...) to get an s-op',
        );
      }
      if (o.val.kind === 'def') {
        return this.error(env, 'type', o.pos, `${what} cannot be applied to the function '${o.val.def.name}'`, `call it: ${o.val.def.name}(...)`);
      }
    }
    if (env.mode === 'sop' && operands.every((o) => o.val.kind === 'const')) {
      const body = build(operands.map((o) => E.lit((o.val as { value: Value }).value)));
      const r = evaluateClosed(body);
      if (isFailure(r)) return this.error(env, 'constant-error', pos, `cannot compute ${what} of constants: ${r.message}`);
      return constVal(r);
    }
    let parts = operands.map((o) => this.part(o.val));
    let inputs = unionInputs(parts);
    if (inputs.length > 2) {
      parts = parts.map((p, i) => {
        if (p.inputs.length === 0 || isPlainInput(p)) return p;
        const node = this.toSOp({ kind: 'lifted', ...p }, (operands[i] as Operand).pos, env, what);
        return node.kind === 'sop' ? this.part(node) : p;
      });
      inputs = unionInputs(parts);
    }
    if (inputs.length > 2) {
      // three distinct s-ops (a conditional): pack the first two into one tuple-valued s-op
      const [a, b] = inputs as [SOp, SOp];
      const pair = D.sequenceMap(D.lambda(['x', 'y'], E.tuple([E.v('x'), E.v('y')])), a, b);
      parts = parts.map((p) => {
        const which = p.inputs[0] === a ? 0 : p.inputs[0] === b ? 1 : -1;
        if (which < 0) return p;
        return { body: E.substitute(p.body, new Map([[inputVar(0), E.index(E.v(inputVar(0)), E.lit(which))]])), inputs: [pair] };
      });
      inputs = unionInputs(parts);
    }
    const bodies = parts.map((p) =>
      E.substitute(p.body, new Map(p.inputs.map((s, i) => [inputVar(i), E.v(inputVar(inputs.indexOf(s)))] as const))),
    );
    return { kind: 'lifted', body: build(bodies), inputs };
  }

  private part(val: Val): Part {
    switch (val.kind) {
      case 'const':
        return { body: E.lit(val.value), inputs: [] };
      case 'sop':
        return { body: E.v(inputVar(0)), inputs: [val.node] };
      case 'lifted':
        return { body: val.body, inputs: val.inputs };
      default:
        return { body: E.lit(null), inputs: [] };
    }
  }

  /** A lifted expression → a node: map (1 input), sequence_map (2), full (0). */
  private materialise(val: Extract<Val, { kind: 'lifted' }>, pos: Pos, env: Env): Val {
    const [a, b] = val.inputs;
    if (a === undefined) {
      const r = evaluateClosed(val.body);
      if (isFailure(r)) return this.error(env, 'constant-error', pos, `cannot compute the constant: ${r.message}`);
      return sopVal(D.full(r));
    }
    if (isPlainInput(val)) return sopVal(a);
    const x = E.v('x');
    if (b === undefined) return sopVal(D.map(D.lambda(['x'], E.substitute(val.body, new Map([[inputVar(0), x]]))), a));
    const env2 = new Map([
      [inputVar(0), x],
      [inputVar(1), E.v('y')],
    ]);
    return sopVal(D.sequenceMap(D.lambda(['x', 'y'], E.substitute(val.body, env2)), a, b));
  }

  // ---- coercions ----

  /** An s-op argument: lifted expressions materialise, constants become `full(c)`. */
  private toSOp(val: Val, pos: Pos, env: Env, what: string): Val {
    switch (val.kind) {
      case 'sop':
      case 'poison':
        return val;
      case 'const':
        return sopVal(D.full(val.value));
      case 'lifted':
        return this.materialise(val, pos, env);
      default:
        return this.error(env, 'type', pos, `${what} must be an s-op, got ${describe(val)}`);
    }
  }

  private toConst(val: Val, pos: Pos, env: Env, what: string): Val {
    if (val.kind === 'const' || val.kind === 'poison') return val;
    return this.error(env, 'type', pos, `${what} must be a constant, got ${describe(val)}`);
  }

  /**
   * A function argument of map / sequence_map / select: a lambda of `arity` parameters, or the
   * name of a def with `arity` parameters (expanded into a lambda over the def's parameters).
   */
  private toFn(arg: SyntaxExpr, arity: number, fname: string, env: Env): Fn | undefined {
    const expected = `a lambda of ${plural(arity, 'parameter')}`;
    if (arg.kind === 'lambda') {
      if (arg.params.length !== arity) {
        this.error(
          env,
          'lambda-arity',
          arg.pos,
          `${fname} expects ${expected}, got ${arg.params.length}`,
          arity === 1 ? 'write x -> ...' : fname === 'select' ? 'write (k, q) -> ...' : 'write (x, y) -> ...',
        );
        return undefined;
      }
      const names = arg.params.map((p) => p.name);
      const dup = arg.params.find((p, i) => names.indexOf(p.name) !== i);
      if (dup !== undefined) {
        this.error(env, 'duplicate-parameter', dup.pos, `lambda parameter '${dup.name}' appears twice`);
        return undefined;
      }
      const scope = new Scope(env.scope);
      for (const p of names) scope.set(p, { kind: 'lifted', body: E.v(p), inputs: [] });
      const body = this.valueBody(this.expr(arg.body, { scope, mode: 'value', calls: env.calls }), arg.body.pos, env);
      return body === undefined ? undefined : D.lambda(names, body);
    }
    const val = this.expr(arg, env);
    if (val.kind === 'poison') return undefined;
    if (val.kind === 'def') {
      const def = val.def;
      if (def.params.length !== arity) {
        this.error(env, 'lambda-arity', arg.pos, `${fname} expects ${expected}, got the function '${def.name}' of ${plural(def.params.length, 'parameter')}`);
        return undefined;
      }
      const names = def.params.map((p) => p.name);
      const args = names.map((p): Val => ({ kind: 'lifted', body: E.v(p), inputs: [] }));
      const result = this.expand(def, args, arg.pos, { scope: env.scope, mode: 'value', calls: env.calls });
      const body = this.valueBody(result, arg.pos, env);
      return body === undefined ? undefined : D.lambda(names, body);
    }
    this.error(
      env,
      'type',
      arg.pos,
      `${fname} expects ${expected} as its ${fname === 'select' ? 'third' : 'first'} argument, got ${describe(val)}`,
      arity === 1 ? `write ${fname}(x -> ..., sop)` : undefined,
    );
    return undefined;
  }

  /** The result of a lambda body as an expression. */
  private valueBody(val: Val, pos: Pos, env: Env): Expr | undefined {
    switch (val.kind) {
      case 'const':
        return E.lit(val.value);
      case 'lifted':
        if (val.inputs.length === 0) return val.body;
        break;
      case 'poison':
        return undefined;
      default:
        break;
    }
    this.error(env, 'type', pos, `a lambda body must compute a value, got ${describe(val)}`);
    return undefined;
  }

  // ---- calls ----

  private call(e: Extract<SyntaxExpr, { kind: 'call' }>, env: Env): Val {
    if (BUILTIN_FUNCTIONS.includes(e.callee)) return this.builtin(e, env);
    const val = env.scope.get(e.callee);
    if (val === undefined) {
      const known = [
        ...BUILTIN_FUNCTIONS,
        ...env.scope.names().filter((n) => env.scope.get(n)?.kind === 'def'),
      ];
      const close = closestName(e.callee, known);
      return this.error(
        env,
        'unknown-function',
        e.pos,
        `unknown function '${e.callee}'`,
        close !== undefined ? `did you mean '${close}'?` : `define it first: def ${e.callee}(...) { ...; return ...; }`,
      );
    }
    if (val.kind === 'poison') return POISON;
    if (val.kind !== 'def') {
      return this.error(env, 'not-a-function', e.pos, `'${e.callee}' is ${describe(val)}, not a function`);
    }
    const def = val.def;
    if (e.args.length !== def.params.length) {
      return this.error(
        env,
        'argument-count',
        e.pos,
        `${def.name} expects ${plural(def.params.length, 'argument')}, got ${e.args.length}`,
        `${def.name} is defined at ${formatPos(def.pos, this.file)} with parameters (${def.params.map((p) => p.name).join(', ')})`,
      );
    }
    const args = e.args.map((a) => this.expr(a, env));
    return this.expand(def, args, e.pos, env);
  }

  /** Expands a def inline: its body runs in a fresh local scope over the def's lexical scope. */
  private expand(def: DefInfo, args: readonly Val[], pos: Pos, env: Env): Val {
    const cycle = env.calls.findIndex((c) => c.def === def);
    if (cycle >= 0) {
      const chain = [...env.calls.slice(cycle).map((c) => c.def.name), def.name].join(' -> ');
      return this.error(
        env,
        'recursion',
        pos,
        `recursive call to '${def.name}' (${chain}): defs are expanded inline, so recursion is not supported`,
        'unroll the recursion by hand for the lengths you need',
      );
    }
    const scope = new Scope(def.scope);
    def.params.forEach((p, i) => scope.set(p.name, args[i] as Val));
    const inner: Env = { scope, mode: env.mode, calls: [...env.calls, { def, pos }] };
    let result: Val = POISON;
    for (const s of def.body) {
      if (s.kind === 'expression') {
        this.error(inner, 'useless-statement', s.pos, 'this expression statement has no effect', "assign it to a name, or return it with 'return'");
        continue;
      }
      result = this.statement(s, inner);
    }
    return result;
  }

  private arity(e: Extract<SyntaxExpr, { kind: 'call' }>, env: Env, counts: readonly number[]): boolean {
    if (counts.includes(e.args.length)) return true;
    this.error(
      env,
      'argument-count',
      e.pos,
      `${e.callee} expects ${ARGUMENT_SHAPES[e.callee] ?? plural(counts[0] as number, 'argument')}, got ${e.args.length}`,
    );
    return false;
  }

  private builtin(e: Extract<SyntaxExpr, { kind: 'call' }>, env: Env): Val {
    const name = e.callee;
    const args = e.args;
    const valueFunctions: Readonly<Record<string, { n: number; build: (xs: Expr[]) => Expr }>> = {
      min: { n: 2, build: ([a, b]) => E.binary('min', a as Expr, b as Expr) },
      max: { n: 2, build: ([a, b]) => E.binary('max', a as Expr, b as Expr) },
      abs: { n: 1, build: ([a]) => E.unary('abs', a as Expr) },
      round: { n: 1, build: ([a]) => E.unary('round', a as Expr) },
    };
    const vf = valueFunctions[name];
    if (vf !== undefined) {
      if (!this.arity(e, env, [vf.n])) return POISON;
      const operands = args.map((a) => ({ val: this.expr(a, env), pos: a.pos }));
      return this.combine(operands, vf.build, env, e.pos, `${name}()`);
    }
    if (env.mode === 'value') {
      return this.error(
        env,
        'sop-in-lambda',
        e.pos,
        `${name} cannot be used inside a lambda body: a lambda computes one value from values`,
        'compute it outside the lambda and pass it as an argument',
      );
    }
    const sopArg = (i: number, role: string): Val => {
      const a = args[i] as SyntaxExpr;
      return this.toSOp(this.expr(a, env), a.pos, env, `the ${ORDINALS[i]} argument of ${name} (${role})`);
    };
    const selectorArg = (i: number): Val => {
      const a = args[i] as SyntaxExpr;
      const val = this.expr(a, env);
      if (val.kind === 'selector' || val.kind === 'poison') return val;
      return this.error(
        env,
        'type',
        a.pos,
        `${name} expects a selector as its ${ORDINALS[i]} argument, got ${describe(val)}`,
        'build one with select(keys, queries, predicate)',
      );
    };
    const constArg = (i: number, what: string): Val => {
      const a = args[i] as SyntaxExpr;
      return this.toConst(this.expr(a, env), a.pos, env, what);
    };
    switch (name) {
      case 'select': {
        if (!this.arity(e, env, [3])) return POISON;
        const keys = sopArg(0, 'keys');
        const queries = sopArg(1, 'queries');
        const predicate = this.predicate(args[2] as SyntaxExpr, env);
        if (keys.kind !== 'sop' || queries.kind !== 'sop' || predicate === undefined) return POISON;
        return { kind: 'selector', node: D.select(keys.node, queries.node, predicate) };
      }
      case 'aggregate': {
        if (!this.arity(e, env, [2, 3])) return POISON;
        const selector = selectorArg(0);
        const sop = sopArg(1, 'values');
        const dflt = args.length === 3 ? constArg(2, 'the default of aggregate') : undefined;
        if (selector.kind !== 'selector' || sop.kind !== 'sop' || (dflt !== undefined && dflt.kind !== 'const')) return POISON;
        return sopVal(D.aggregate(selector.node, sop.node, dflt?.kind === 'const' ? dflt.value : undefined));
      }
      case 'selector_width': {
        if (!this.arity(e, env, [1])) return POISON;
        const selector = selectorArg(0);
        return selector.kind === 'selector' ? sopVal(D.selectorWidth(selector.node)) : POISON;
      }
      case 'map': {
        if (!this.arity(e, env, [2])) return POISON;
        const fn = this.toFn(args[0] as SyntaxExpr, 1, name, env);
        const inner = sopArg(1, 'sop');
        return fn !== undefined && inner.kind === 'sop' ? sopVal(D.map(fn, inner.node)) : POISON;
      }
      case 'sequence_map': {
        if (!this.arity(e, env, [3])) return POISON;
        const fn = this.toFn(args[0] as SyntaxExpr, 2, name, env);
        const fst = sopArg(1, 'first sop');
        const snd = sopArg(2, 'second sop');
        return fn !== undefined && fst.kind === 'sop' && snd.kind === 'sop' ? sopVal(D.sequenceMap(fn, fst.node, snd.node)) : POISON;
      }
      case 'linear_sequence_map': {
        if (!this.arity(e, env, [4])) return POISON;
        const fst = sopArg(0, 'first sop');
        const snd = sopArg(1, 'second sop');
        const coefficient = (i: number): number | undefined => {
          const c = constArg(i, `the ${ORDINALS[i]} argument of linear_sequence_map (a coefficient)`);
          if (c.kind !== 'const') return undefined;
          if (typeof c.value === 'number') return c.value;
          this.error(env, 'type', (args[i] as SyntaxExpr).pos, `a coefficient of linear_sequence_map must be a number, got ${describe(c)}`);
          return undefined;
        };
        const a = coefficient(2);
        const b = coefficient(3);
        if (fst.kind !== 'sop' || snd.kind !== 'sop' || a === undefined || b === undefined) return POISON;
        return sopVal(D.linearSequenceMap(fst.node, snd.node, a, b));
      }
      case 'full': {
        if (!this.arity(e, env, [1])) return POISON;
        const c = constArg(0, 'the argument of full');
        return c.kind === 'const' ? sopVal(D.full(c.value)) : POISON;
      }
      case 'numerical':
      case 'categorical': {
        if (!this.arity(e, env, [1])) return POISON;
        const sop = sopArg(0, 'sop');
        if (sop.kind !== 'sop') return POISON;
        return sopVal(name === 'numerical' ? D.numerical(sop.node) : D.categorical(sop.node));
      }
      default:
        return this.error(env, 'unknown-function', e.pos, `unknown function '${name}'`);
    }
  }

  /** select's third argument: `== != < <= > >= true false`, a boolean constant, or a (k, q) lambda. */
  private predicate(arg: SyntaxExpr, env: Env): Comparison | Fn | undefined {
    if (arg.kind === 'operator') return COMPARISON_OF[arg.op];
    if (arg.kind === 'lambda') return this.toFn(arg, 2, 'select', env);
    if (arg.kind === 'name') {
      const val = env.scope.get(arg.name);
      if (val?.kind === 'def') return this.toFn(arg, 2, 'select', env);
      const symbol = TRACR_COMPARISONS[arg.name];
      if (val === undefined && symbol !== undefined) {
        this.error(
          env,
          'unknown-name',
          arg.pos,
          `unknown name '${arg.name}': select predicates are written == != < <= > >= true false`,
          `write select(keys, queries, ${symbol})`,
        );
        return undefined;
      }
    }
    const val = this.expr(arg, env);
    if (val.kind === 'poison') return undefined;
    if (val.kind === 'const' && typeof val.value === 'boolean') return val.value ? 'TRUE' : 'FALSE';
    this.error(
      env,
      'type',
      arg.pos,
      `select expects a comparison (== != < <= > >= true false) or a lambda (k, q) -> ... as its third argument, got ${describe(val)}`,
    );
    return undefined;
  }
}

const unionInputs = (parts: readonly Part[]): SOp[] => {
  const out: SOp[] = [];
  for (const p of parts) for (const s of p.inputs) if (!out.includes(s)) out.push(s);
  return out;
};

/** A part that is just one s-op (`#0` over one input). */
const isPlainInput = (p: Part): boolean => p.inputs.length === 1 && p.body.kind === 'var' && p.body.name === inputVar(0);

/** Surface syntax tree → program ADT. All problems are returned together. */
export const elaborate = (program: SyntaxProgram, file?: string): Either.Either<readonly Diagnostic[], SOp> => {
  const elaborator = new Elaborator(file);
  const out = elaborator.program(program);
  if (elaborator.diagnostics.length > 0 || out === undefined) return Either.left(elaborator.diagnostics);
  return Either.right(out);
};
