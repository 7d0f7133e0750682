/**
 * The printer: program ADT → `.rasp` text, such that parsing the text gives back a program equal
 * to the original (`programsEqual`: names, encodings, lambdas and sharing).
 *
 * Statements, in topological order: every named node (its name is the variable), every node
 * referenced more than once (an anonymous `_` binding, which the parser does not turn into a
 * name), and nodes nested deeper than a limit. Everything else is printed inline. The output node
 * is the last statement. Encodings and aggregate defaults are written only where they differ from
 * what the parser produces by default. See docs/syntax.md for the choices made.
 */
import * as Either from 'fp-ts/lib/Either.js';
import { diagnostic, type Diagnostic } from '../diagnostics.js';
import { COMPARISON_SYMBOL } from './apply.js';
import * as D from './dsl.js';
import { programsEqual } from './equality.js';
import { freeVars, type Expr } from './expr.js';
import { labelOf } from './label.js';
import { isIdentifier, isKeyword, isReservedName } from './parser/names.js';
import { children, isSelector, topologicalOrder, type Encoding, type Fn, type Node, type SOp } from './program.js';
import { valueEquals, type Value } from './value.js';

/** Binding strength of printed expressions, loosest first. */
const PREC = {
  cond: 1,
  or: 2,
  and: 3,
  not: 4,
  comparison: 5,
  additive: 6,
  multiplicative: 7,
  negation: 8,
  postfix: 9,
  atom: 10,
} as const;

const BINARY_PREC: Readonly<Record<string, number>> = {
  or: PREC.or,
  and: PREC.and,
  '==': PREC.comparison,
  '!=': PREC.comparison,
  '<': PREC.comparison,
  '<=': PREC.comparison,
  '>': PREC.comparison,
  '>=': PREC.comparison,
  '+': PREC.additive,
  '-': PREC.additive,
  '*': PREC.multiplicative,
  '/': PREC.multiplicative,
  '%': PREC.multiplicative,
};

/** Nodes nested deeper than this inside one statement are bound to a variable instead. */
const MAX_INLINE_DEPTH = 16;

interface Printed {
  readonly text: string;
  readonly prec: number;
}

const wrap = (p: Printed, min: number): string => (p.prec >= min ? p.text : `(${p.text})`);

/** A number as a `.rasp` literal that reads back as the same double (`-1`, `1e+21`, `inf`, `nan`). */
export const numberLiteral = (x: number): string => {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (Object.is(x, -0)) return '-0';
  return String(x);
};

/** A value as a `.rasp` constant expression: `None`, `True`, `-1.5`, `"a\"b"`, `(1, "x")`, `(1,)`. */
export const valueText = (v: Value): string => {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return numberLiteral(v);
  if (typeof v === 'string') return JSON.stringify(v);
  return `(${v.map(valueText).join(', ')}${v.length === 1 ? ',' : ''})`;
};

/**
 * An expression of a lambda body. A tuple literal (a `lit` holding a tuple) has no spelling of
 * its own inside a lambda (`(1, 2)` there is a tuple expression), so `tupleName` names a
 * top-level constant bound to it.
 */
export const printExpr = (e: Expr, tupleName: (v: readonly Value[]) => string): Printed => {
  const go = (x: Expr): Printed => printExpr(x, tupleName);
  switch (e.kind) {
    case 'lit': {
      if (Array.isArray(e.value)) return { text: tupleName(e.value), prec: PREC.atom };
      const text = valueText(e.value);
      return { text, prec: text.startsWith('-') ? PREC.negation : PREC.atom };
    }
    case 'var':
      return { text: e.name, prec: PREC.atom };
    case 'unary': {
      const arg = go(e.arg);
      switch (e.op) {
        case 'neg': {
          // `-1` would read back as the literal minus one: negating a literal is written -(1)
          if (e.arg.kind === 'lit' && typeof e.arg.value === 'number' && !arg.text.startsWith('-')) {
            return { text: `-(${arg.text})`, prec: PREC.negation };
          }
          const inner = wrap(arg, PREC.negation);
          return { text: `-${inner.startsWith('-') ? ' ' : ''}${inner}`, prec: PREC.negation };
        }
        case 'not':
          return { text: `not ${wrap(arg, PREC.not)}`, prec: PREC.not };
        case 'abs':
        case 'round':
          return { text: `${e.op}(${arg.text})`, prec: PREC.atom };
      }
      break;
    }
    case 'binary': {
      const left = go(e.left);
      const right = go(e.right);
      if (e.op === 'min' || e.op === 'max') return { text: `${e.op}(${left.text}, ${right.text})`, prec: PREC.atom };
      const prec = BINARY_PREC[e.op] as number;
      // left-associative; comparisons do not chain, so neither side may be a comparison
      const leftMin = prec === PREC.comparison ? prec + 1 : prec;
      return { text: `${wrap(left, leftMin)} ${e.op} ${wrap(right, prec + 1)}`, prec };
    }
    case 'cond':
      return {
        text: `${wrap(go(e.then), PREC.or)} if ${wrap(go(e.cond), PREC.or)} else ${wrap(go(e.otherwise), PREC.cond)}`,
        prec: PREC.cond,
      };
    case 'tuple': {
      const items = e.items.map((x) => go(x).text);
      return { text: `(${items.join(', ')}${items.length === 1 ? ',' : ''})`, prec: PREC.atom };
    }
    case 'index':
      return { text: `${wrap(go(e.target), PREC.postfix)}[${go(e.index).text}]`, prec: PREC.postfix };
    case 'table': {
      const entries = e.entries.map(([k, v]) => `${valueText(k)}: ${valueText(v)}`).join(', ');
      return { text: `{${entries}}[${go(e.arg).text}]`, prec: PREC.postfix };
    }
  }
  return { text: '', prec: PREC.atom };
};

/** A name the parser accepts as a variable that it will also use as the node's name. */
const isPlainName = (name: string): boolean => isIdentifier(name) && !name.startsWith('_') && !isReservedName(name);

const sanitise = (name: string): string => {
  const s = name.replace(/[^A-Za-z0-9_]/g, '_');
  return s === '' || /^[0-9_]/.test(s) ? `v${s}` : s;
};

/** The encoding the parser gives a node written without numerical(...) / categorical(...). */
const parsedEncoding = (n: SOp): Encoding =>
  n.kind === 'linearSequenceMap' ? 'numerical' : n.kind === 'aggregate' ? n.sop.encoding : 'categorical';

/** A node that reads back as the built-in `length` (D.length or a copy equal to it). */
const isLengthLike = (n: Node): boolean =>
  n.kind === 'selectorWidth' && n.name === 'length' && programsEqual({ ...n, encoding: 'categorical' }, D.length);

/** Which built-in name a node is printed as, if any. */
const builtinOf = (n: Node): 'tokens' | 'indices' | 'length' | undefined => {
  if ((n.kind === 'tokens' || n.kind === 'indices') && n.name === undefined && n.encoding === 'categorical') return n.kind;
  if (isLengthLike(n) && n.kind === 'selectorWidth' && n.encoding === 'categorical') return 'length';
  return undefined;
};

/** Built-ins and `numerical(length)` are printed without their children. */
const hidesChildren = (n: Node): boolean => builtinOf(n) !== undefined || isLengthLike(n);

/** A node bound to the variable `length`, shadowing the built-in. */
const shadowsLength = (n: Node): boolean => n.name === 'length' && !isLengthLike(n);

/** Why a function cannot be printed, if it cannot. */
const fnProblem = (fn: Fn, arity: number): string | undefined => {
  if (fn.kind === 'opaque') return `its function '${fn.name}' is an opaque TypeScript function`;
  if (fn.params.length !== arity) return `its lambda has ${fn.params.length} parameter(s) where ${arity} are expected`;
  const bad = fn.params.find((p) => !isIdentifier(p) || isKeyword(p));
  if (bad !== undefined) return `its lambda parameter '${bad}' is not a valid name`;
  if (new Set(fn.params).size !== fn.params.length) return 'its lambda repeats a parameter name';
  const free = freeVars(fn.body).find((x) => !fn.params.includes(x));
  if (free !== undefined) return `its lambda body uses '${free}', which is not a parameter`;
  return undefined;
};

const functionsOf = (n: Node): { fn: Fn; arity: number }[] => {
  switch (n.kind) {
    case 'map':
      return [{ fn: n.fn, arity: 1 }];
    case 'sequenceMap':
      return [{ fn: n.fn, arity: 2 }];
    case 'select':
      return n.predicate.kind === 'comparison' ? [] : [{ fn: n.predicate, arity: 2 }];
    default:
      return [];
  }
};

class ProgramPrinter {
  private readonly used = new Set<string>();
  private readonly tuples = new Map<string, string>();
  private readonly constantStatements: string[] = [];
  private readonly statements: string[] = [];
  /** How each printed node is referred to: its variable, or its inline text. */
  private readonly refs = new Map<Node, Printed & { readonly depth: number }>();
  /** How the built-in `length` is referred to: `length`, or an alias made before it is shadowed. */
  private lengthRef = 'length';

  constructor(private readonly root: SOp) {}

  print(): string {
    const root = this.root;
    // nodes inside a built-in (length's selector) are not printed through it
    const reachable = new Set<Node>();
    const stack: Node[] = [root];
    while (stack.length > 0) {
      const n = stack.pop() as Node;
      if (reachable.has(n)) continue;
      reachable.add(n);
      if (!hidesChildren(n)) stack.push(...children(n));
    }
    const order = topologicalOrder([root]).filter((n) => reachable.has(n));
    const refCount = new Map<Node, number>();
    const nameCount = new Map<string, number>();
    for (const n of order) {
      if (hidesChildren(n)) continue;
      for (const c of children(n)) refCount.set(c, (refCount.get(c) ?? 0) + 1);
      for (const { fn } of functionsOf(n)) if (fn.kind === 'lambda') fn.params.forEach((p) => this.used.add(p));
      if (n.name !== undefined && isPlainName(n.name) && !isLengthLike(n)) {
        this.used.add(n.name);
        nameCount.set(n.name, (nameCount.get(n.name) ?? 0) + 1);
      }
    }
    const preamble: string[] = [];
    if (order.some(shadowsLength) && order.some(isLengthLike)) {
      // a node named `length` rebinds the name: keep the built-in reachable through an alias
      this.lengthRef = this.fresh('_length');
      preamble.push(`${this.lengthRef} = length;`);
    }
    for (const n of order) {
      const kind = builtinOf(n);
      const builtin = kind === 'length' ? this.lengthRef : kind;
      if (builtin !== undefined) {
        this.refs.set(n, { text: builtin, prec: PREC.atom, depth: 0 });
        if (n === root) this.statements.push(`${builtin};`);
        continue;
      }
      const def = this.definition(n);
      const named = n.name !== undefined && !isLengthLike(n);
      if (n === root) {
        this.statements.push(named ? `${this.variableFor(n.name as string)} = ${def.text};` : `${def.text};`);
        continue;
      }
      if (!named && (refCount.get(n) ?? 0) < 2 && def.depth <= MAX_INLINE_DEPTH) {
        this.refs.set(n, def);
        continue;
      }
      let ref: string;
      if (named) {
        const name = n.name as string;
        const variable = this.variableFor(name);
        this.statements.push(`${variable} = ${def.text};`);
        ref = variable;
        if (variable === name && (nameCount.get(name) ?? 0) > 1) {
          // the name is bound again later: keep this node reachable through an anonymous alias
          ref = this.fresh(`_${name}`);
          this.statements.push(`${ref} = ${name};`);
        }
      } else {
        ref = this.fresh(`_${sanitise(labelOf(n))}`);
        this.statements.push(`${ref} = ${def.text};`);
      }
      this.refs.set(n, { text: ref, prec: PREC.atom, depth: 0 });
    }
    return [...preamble, ...this.constantStatements, ...this.statements].join('\n') + '\n';
  }

  /** The variable a named node is assigned to: its name, or a sanitised fresh one. */
  private variableFor(name: string): string {
    return isPlainName(name) ? name : this.fresh(sanitise(name));
  }

  private fresh(base: string): string {
    let candidate = base;
    for (let k = 2; this.used.has(candidate) || isReservedName(candidate); k++) candidate = `${base}_${k}`;
    this.used.add(candidate);
    return candidate;
  }

  private tupleName(v: readonly Value[]): string {
    const text = valueText(v);
    let name = this.tuples.get(text);
    if (name === undefined) {
      name = this.fresh('_tuple');
      this.tuples.set(text, name);
      this.constantStatements.push(`${name} = ${text};`);
    }
    return name;
  }

  private ref(n: Node, min: number): { text: string; depth: number } {
    const r = this.refs.get(n) as Printed & { depth: number };
    return { text: wrap(r, min), depth: r.depth };
  }

  private lambda(fn: Fn): string {
    if (fn.kind !== 'lambda') return '';
    const body = printExpr(fn.body, (v) => this.tupleName(v)).text;
    const params = fn.params.length === 1 ? fn.params[0] : `(${fn.params.join(', ')})`;
    return `${params} -> ${body}`;
  }

  /** The node's own constructor expression, over references to its children. */
  private definition(n: Node): Printed & { depth: number } {
    const parts: { text: string; depth: number }[] = [];
    const arg = (c: Node, min: number = PREC.cond): string => {
      const r = this.ref(c, min);
      parts.push(r);
      return r.text;
    };
    let text: string;
    let prec: number = PREC.atom;
    switch (n.kind) {
      case 'tokens':
      case 'indices':
        text = n.kind;
        break;
      case 'map':
        text = `map(${this.lambda(n.fn)}, ${arg(n.inner)})`;
        break;
      case 'sequenceMap':
        text = `sequence_map(${this.lambda(n.fn)}, ${arg(n.fst)}, ${arg(n.snd)})`;
        break;
      case 'linearSequenceMap':
        text = `linear_sequence_map(${arg(n.fst)}, ${arg(n.snd)}, ${numberLiteral(n.fstCoeff)}, ${numberLiteral(n.sndCoeff)})`;
        break;
      case 'full':
        text = `full(${valueText(n.value)})`;
        break;
      case 'aggregate': {
        const parsedDefault: Value = n.sop.encoding === 'numerical' ? 0 : null;
        const sameDefault = valueEquals(n.default, parsedDefault) && typeof n.default === typeof parsedDefault;
        const dflt = sameDefault ? '' : `, ${valueText(n.default)}`;
        text = `aggregate(${arg(n.selector)}, ${arg(n.sop)}${dflt})`;
        break;
      }
      case 'selectorWidth':
        text = isLengthLike(n) ? this.lengthRef : `selector_width(${arg(n.selector)})`;
        break;
      case 'select': {
        const p = n.predicate;
        const predicate = p.kind === 'comparison' ? COMPARISON_SYMBOL[p.op] : this.lambda(p);
        text = `select(${arg(n.keys)}, ${arg(n.queries)}, ${predicate})`;
        break;
      }
      case 'selectorAnd':
        text = `${arg(n.fst, PREC.and)} & ${arg(n.snd, PREC.and + 1)}`;
        prec = PREC.and;
        break;
      case 'selectorOr':
        text = `${arg(n.fst, PREC.or)} | ${arg(n.snd, PREC.or + 1)}`;
        prec = PREC.or;
        break;
      case 'selectorNot':
        text = `!${arg(n.inner, PREC.not)}`;
        prec = PREC.not;
        break;
    }
    if (!isSelector(n) && n.encoding !== parsedEncoding(n)) {
      text = `${n.encoding}(${text})`;
      prec = PREC.atom;
    }
    return { text, prec, depth: 1 + Math.max(0, ...parts.map((p) => p.depth)) };
  }
}

/**
 * Prints a program as `.rasp` text. Left when it cannot be printed: opaque TypeScript functions,
 * or lambdas that do not fit their place (wrong arity, invalid parameter names, free variables).
 * Names that are not plain identifiers, are reserved, or start with `_` are changed.
 */
export const printProgram = (program: SOp): Either.Either<readonly Diagnostic[], string> => {
  const problems: Diagnostic[] = [];
  for (const n of topologicalOrder([program])) {
    for (const { fn, arity } of functionsOf(n)) {
      const problem = fnProblem(fn, arity);
      if (problem === undefined) continue;
      problems.push(
        diagnostic('print/function', `cannot print node '${labelOf(n)}': ${problem}`, {
          node: labelOf(n),
          fix:
            fn.kind === 'opaque'
              ? 'build the function as a serializable lambda (lambda([...], body) with src/ast/expr.ts) or with the DSL operator helpers (add, eq, ...)'
              : `use a lambda of ${arity} parameter(s) whose body only uses its parameters`,
        }),
      );
    }
  }
  if (problems.length > 0) return Either.left(problems);
  return Either.right(new ProgramPrinter(program).print());
};
