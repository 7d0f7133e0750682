import type { ComparisonOp } from './expr.js';
import { applyBinary, compileLambda, ExprFailure, type ExprResult } from './exprEval.js';
import type { Comparison, Fn, Predicate } from './program.js';
import { canonicalValue, truthy, type Value } from './value.js';

const compiled = new WeakMap<Fn, (env: readonly Value[]) => ExprResult>();

/** Applies a map / sequence-map function. Opaque functions that throw become failures. */
export const applyFn = (fn: Fn, args: readonly Value[]): ExprResult => {
  if (fn.kind === 'lambda') {
    let run = compiled.get(fn);
    if (run === undefined) {
      run = compileLambda(fn.params, fn.body);
      compiled.set(fn, run);
    }
    const r = run(args);
    return r instanceof ExprFailure ? r : canonicalValue(r);
  }
  try {
    const out = fn.impl(...args);
    return out === undefined ? null : canonicalValue(out);
  } catch (e) {
    return new ExprFailure(`function ${fn.name} failed: ${e instanceof Error ? e.message : String(e)}`);
  }
};

const comparisonHolds = (op: Comparison, key: Value, query: Value): boolean | ExprFailure =>
  op === 'TRUE' ? true : op === 'FALSE' ? false : (applyBinary(COMPARISON_SYMBOL[op] as ComparisonOp, key, query) as boolean | ExprFailure);

/**
 * Whether a key is selected by a query. A key or query that is None is never selected
 * (whatever the predicate): this is what a compiled model does with an all-zero encoding.
 */
export const applyPredicate = (p: Predicate, key: Value, query: Value): boolean | ExprFailure => {
  if (key === null || query === null) return false;
  if (p.kind === 'comparison') return comparisonHolds(p.op, key, query);
  const r = applyFn(p, [key, query]);
  return r instanceof ExprFailure ? r : truthy(r);
};

export const COMPARISON_SYMBOL: Readonly<Record<Comparison, string>> = {
  EQ: '==',
  NEQ: '!=',
  LT: '<',
  LEQ: '<=',
  GT: '>',
  GEQ: '>=',
  TRUE: 'true',
  FALSE: 'false',
};
