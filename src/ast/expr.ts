import type { Value } from './value.js';

/**
 * The serializable expression language used inside `map`, `sequence_map` and select lambdas.
 * Python semantics (see exprEval.ts); every construct has a `.rasp` spelling (see printer.ts).
 */
export type Expr =
  | { readonly kind: 'lit'; readonly value: Value }
  | { readonly kind: 'var'; readonly name: string }
  | { readonly kind: 'unary'; readonly op: UnaryOp; readonly arg: Expr }
  | { readonly kind: 'binary'; readonly op: BinaryOp; readonly left: Expr; readonly right: Expr }
  | { readonly kind: 'cond'; readonly cond: Expr; readonly then: Expr; readonly otherwise: Expr }
  | { readonly kind: 'tuple'; readonly items: readonly Expr[] }
  | { readonly kind: 'index'; readonly target: Expr; readonly index: Expr }
  | { readonly kind: 'table'; readonly entries: readonly TableEntry[]; readonly arg: Expr };

export type TableEntry = readonly [Value, Value];

export const UNARY_OPS = ['neg', 'not', 'abs', 'round'] as const;
export type UnaryOp = (typeof UNARY_OPS)[number];

export const ARITHMETIC_OPS = ['+', '-', '*', '/', '%'] as const;
export const COMPARISON_OPS = ['==', '!=', '<', '<=', '>', '>='] as const;
export const LOGICAL_OPS = ['and', 'or'] as const;
export const CALL_OPS = ['min', 'max'] as const;
export const BINARY_OPS = [...ARITHMETIC_OPS, ...COMPARISON_OPS, ...LOGICAL_OPS, ...CALL_OPS] as const;
export type BinaryOp = (typeof BINARY_OPS)[number];
export type ComparisonOp = (typeof COMPARISON_OPS)[number];

export const lit = (value: Value): Expr => ({ kind: 'lit', value });
export const v = (name: string): Expr => ({ kind: 'var', name });
export const unary = (op: UnaryOp, arg: Expr): Expr => ({ kind: 'unary', op, arg });
export const binary = (op: BinaryOp, left: Expr, right: Expr): Expr => ({ kind: 'binary', op, left, right });
export const cond = (c: Expr, then: Expr, otherwise: Expr): Expr => ({ kind: 'cond', cond: c, then, otherwise });
export const tuple = (items: readonly Expr[]): Expr => ({ kind: 'tuple', items });
export const index = (target: Expr, i: Expr): Expr => ({ kind: 'index', target, index: i });
export const table = (entries: readonly TableEntry[], arg: Expr): Expr => ({ kind: 'table', entries, arg });

/** Free variables of an expression, in first-occurrence order. */
export const freeVars = (e: Expr): string[] => {
  const seen = new Set<string>();
  const walk = (x: Expr): void => {
    switch (x.kind) {
      case 'lit':
        return;
      case 'var':
        seen.add(x.name);
        return;
      case 'unary':
        return walk(x.arg);
      case 'binary':
        walk(x.left);
        return walk(x.right);
      case 'cond':
        walk(x.cond);
        walk(x.then);
        return walk(x.otherwise);
      case 'tuple':
        return x.items.forEach(walk);
      case 'index':
        walk(x.target);
        return walk(x.index);
      case 'table':
        return walk(x.arg);
    }
  };
  walk(e);
  return [...seen];
};

/** Replaces variables by expressions (used when the parser fuses lifted expressions). */
export const substitute = (e: Expr, env: ReadonlyMap<string, Expr>): Expr => {
  switch (e.kind) {
    case 'lit':
      return e;
    case 'var':
      return env.get(e.name) ?? e;
    case 'unary':
      return unary(e.op, substitute(e.arg, env));
    case 'binary':
      return binary(e.op, substitute(e.left, env), substitute(e.right, env));
    case 'cond':
      return cond(substitute(e.cond, env), substitute(e.then, env), substitute(e.otherwise, env));
    case 'tuple':
      return tuple(e.items.map((x) => substitute(x, env)));
    case 'index':
      return index(substitute(e.target, env), substitute(e.index, env));
    case 'table':
      return table(e.entries, substitute(e.arg, env));
  }
};
