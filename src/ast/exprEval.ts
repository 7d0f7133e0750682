import type { BinaryOp, Expr, UnaryOp } from './expr.js';
import { isNumberLike, showValue, toNumber, truthy, valueEquals, type Value } from './value.js';

/** A run-time error of an expression (Python would raise). Returned, never thrown. */
export class ExprFailure {
  constructor(readonly message: string) {}
}

export type ExprResult = Value | ExprFailure;
export const isFailure = (r: ExprResult): r is ExprFailure => r instanceof ExprFailure;

type Compiled = (env: readonly Value[]) => ExprResult;

const pyType = (v: Value): string => {
  if (v === null) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'string') return 'str';
  return 'tuple';
};

const typeError = (op: string, a: Value, b?: Value): ExprFailure =>
  new ExprFailure(
    b === undefined
      ? `bad operand type for ${op}: '${pyType(a)}' (${showValue(a)})`
      : `unsupported operand types for ${op}: '${pyType(a)}' and '${pyType(b)}' (${showValue(a)}, ${showValue(b)})`,
  );

/** Python's `<` on values; a failure where Python raises TypeError. */
export const pyLess = (a: Value, b: Value): boolean | ExprFailure => {
  if (isNumberLike(a) && isNumberLike(b)) return toNumber(a) < toNumber(b);
  if (typeof a === 'string' && typeof b === 'string') return a < b;
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const x = a[i] as Value;
      const y = b[i] as Value;
      if (!valueEquals(x, y)) return pyLess(x, y);
    }
    return a.length < b.length;
  }
  return typeError('<', a, b);
};

/** Python's round(): half to even. */
export const pyRound = (x: number): number => {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

/** Python's `%`: the result has the sign of the divisor. */
export const pyMod = (a: number, b: number): number => {
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
};

const arithmetic = (op: '+' | '-' | '*' | '/' | '%', a: Value, b: Value): ExprResult => {
  if (isNumberLike(a) && isNumberLike(b)) {
    const x = toNumber(a);
    const y = toNumber(b);
    switch (op) {
      case '+':
        return x + y;
      case '-':
        return x - y;
      case '*':
        return x * y;
      case '/':
        return y === 0 ? new ExprFailure(`division by zero (${showValue(a)} / ${showValue(b)})`) : x / y;
      case '%':
        return y === 0 ? new ExprFailure(`modulo by zero (${showValue(a)} % ${showValue(b)})`) : pyMod(x, y);
    }
  }
  if (op === '+' && typeof a === 'string' && typeof b === 'string') return a + b;
  if (op === '+' && Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
  return typeError(op, a, b);
};

const compare = (op: '<' | '<=' | '>' | '>=', a: Value, b: Value): ExprResult => {
  switch (op) {
    case '<':
      return pyLess(a, b);
    case '>':
      return pyLess(b, a);
    case '<=': {
      const lt = pyLess(a, b);
      return lt instanceof ExprFailure ? lt : lt || valueEquals(a, b);
    }
    case '>=': {
      const gt = pyLess(b, a);
      return gt instanceof ExprFailure ? gt : gt || valueEquals(a, b);
    }
  }
};

/** Applies a binary operator to two evaluated operands (`and`/`or` are handled lazily elsewhere). */
export const applyBinary = (op: BinaryOp, a: Value, b: Value): ExprResult => {
  switch (op) {
    case '+':
    case '-':
    case '*':
    case '/':
    case '%':
      return arithmetic(op, a, b);
    case '==':
      return valueEquals(a, b);
    case '!=':
      return !valueEquals(a, b);
    case '<':
    case '<=':
    case '>':
    case '>=':
      return compare(op, a, b);
    case 'and':
      return truthy(a) ? b : a;
    case 'or':
      return truthy(a) ? a : b;
    case 'min': {
      const lt = pyLess(b, a);
      return lt instanceof ExprFailure ? lt : lt ? b : a;
    }
    case 'max': {
      const lt = pyLess(a, b);
      return lt instanceof ExprFailure ? lt : lt ? b : a;
    }
  }
};

export const applyUnary = (op: UnaryOp, a: Value): ExprResult => {
  switch (op) {
    case 'not':
      return !truthy(a);
    case 'neg':
      return isNumberLike(a) ? -toNumber(a) : typeError('unary -', a);
    case 'abs':
      return isNumberLike(a) ? Math.abs(toNumber(a)) : typeError('abs()', a);
    case 'round':
      return isNumberLike(a) ? pyRound(toNumber(a)) : typeError('round()', a);
  }
};

const indexInto = (target: Value, i: Value): ExprResult => {
  if (!isNumberLike(i) || !Number.isInteger(toNumber(i))) {
    return new ExprFailure(`indices must be integers, not ${pyType(i)} (${showValue(i)})`);
  }
  if (typeof target !== 'string' && !Array.isArray(target)) {
    return new ExprFailure(`'${pyType(target)}' object is not subscriptable (${showValue(target)})`);
  }
  const n = target.length;
  const k = toNumber(i);
  const j = k < 0 ? k + n : k;
  if (j < 0 || j >= n) return new ExprFailure(`index ${k} out of range for ${showValue(target)}`);
  return typeof target === 'string' ? (target[j] as string) : (target[j] as Value);
};

const compileExpr = (e: Expr, params: readonly string[]): Compiled => {
  switch (e.kind) {
    case 'lit': {
      const value = e.value;
      return () => value;
    }
    case 'var': {
      const slot = params.indexOf(e.name);
      if (slot < 0) {
        const failure = new ExprFailure(`unknown variable '${e.name}'`);
        return () => failure;
      }
      return (env) => env[slot] as Value;
    }
    case 'unary': {
      const arg = compileExpr(e.arg, params);
      const op = e.op;
      return (env) => {
        const a = arg(env);
        return a instanceof ExprFailure ? a : applyUnary(op, a);
      };
    }
    case 'binary': {
      const left = compileExpr(e.left, params);
      const right = compileExpr(e.right, params);
      const op = e.op;
      if (op === 'and' || op === 'or') {
        return (env) => {
          const a = left(env);
          if (a instanceof ExprFailure) return a;
          return truthy(a) === (op === 'and') ? right(env) : a;
        };
      }
      return (env) => {
        const a = left(env);
        if (a instanceof ExprFailure) return a;
        const b = right(env);
        if (b instanceof ExprFailure) return b;
        return applyBinary(op, a, b);
      };
    }
    case 'cond': {
      const c = compileExpr(e.cond, params);
      const t = compileExpr(e.then, params);
      const o = compileExpr(e.otherwise, params);
      return (env) => {
        const x = c(env);
        if (x instanceof ExprFailure) return x;
        return truthy(x) ? t(env) : o(env);
      };
    }
    case 'tuple': {
      const items = e.items.map((x) => compileExpr(x, params));
      return (env) => {
        const out: Value[] = [];
        for (const item of items) {
          const r = item(env);
          if (r instanceof ExprFailure) return r;
          out.push(r);
        }
        return out;
      };
    }
    case 'index': {
      const target = compileExpr(e.target, params);
      const idx = compileExpr(e.index, params);
      return (env) => {
        const t = target(env);
        if (t instanceof ExprFailure) return t;
        const i = idx(env);
        if (i instanceof ExprFailure) return i;
        return indexInto(t, i);
      };
    }
    case 'table': {
      const arg = compileExpr(e.arg, params);
      const entries = e.entries;
      return (env) => {
        const a = arg(env);
        if (a instanceof ExprFailure) return a;
        for (const [k, val] of entries) if (valueEquals(k, a)) return val;
        return new ExprFailure(`key ${showValue(a)} is not in the table`);
      };
    }
  }
};

const cache = new WeakMap<Expr, Map<string, Compiled>>();

/** Compiles an expression over the given parameters into a fast evaluator (memoised). */
export const compileLambda = (params: readonly string[], body: Expr): Compiled => {
  const key = params.join('\u0000');
  let byParams = cache.get(body);
  if (byParams === undefined) {
    byParams = new Map();
    cache.set(body, byParams);
  }
  let fn = byParams.get(key);
  if (fn === undefined) {
    fn = compileExpr(body, params);
    byParams.set(key, fn);
  }
  return fn;
};
