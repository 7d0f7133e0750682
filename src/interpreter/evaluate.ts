import * as Either from 'fp-ts/lib/Either.js';
import { applyFn, applyPredicate } from '../ast/apply.js';
import { ExprFailure } from '../ast/exprEval.js';
import { labelOf } from '../ast/label.js';
import { children, type Node, type Selector, type SOp } from '../ast/program.js';
import { canonicalNumber, isNumberLike, showValue, toNumber, valueEquals, type Value } from '../ast/value.js';

/** Why a program has no output on an input: the node, the position and the reason. */
export interface EvalError {
  readonly kind: 'ambiguous-aggregate' | 'function-error' | 'non-numeric-mean' | 'predicate-error';
  readonly node: string;
  readonly position: number;
  readonly message: string;
}

export interface EvalOptions {
  /** Mask every selector to keys at or before the query position. */
  readonly causal?: boolean;
}

/** A selector's value: row-major n×n 0/1 matrix, row = query position, column = key position. */
export type SelectorMatrix = Uint8Array;

type Computed = readonly Value[] | SelectorMatrix;

class Failed {
  constructor(readonly error: EvalError) {}
}

const fail = (node: Node, position: number, kind: EvalError['kind'], message: string): Failed =>
  new Failed({ kind, node: labelOf(node), position, message });

/**
 * The interpreter: the oracle for every correctness claim. Evaluates every node once (memoised
 * by node identity, so shared sub-programs are computed once) with the semantics of SPEC §2.
 */
export class Evaluation {
  private readonly memo = new Map<Node, Computed | Failed>();
  private readonly n: number;
  private readonly causal: boolean;

  constructor(
    private readonly input: readonly Value[],
    options: EvalOptions = {},
  ) {
    this.n = input.length;
    this.causal = options.causal ?? false;
  }

  sop(node: SOp): Either.Either<EvalError, readonly Value[]> {
    const r = this.compute(node);
    return r instanceof Failed ? Either.left(r.error) : Either.right(r as readonly Value[]);
  }

  selector(node: Selector): Either.Either<EvalError, SelectorMatrix> {
    const r = this.compute(node);
    return r instanceof Failed ? Either.left(r.error) : Either.right(r as SelectorMatrix);
  }

  private compute(root: Node): Computed | Failed {
    const done = this.memo.get(root);
    if (done !== undefined) return done;
    // iterative post-order so deep programs cannot overflow the stack
    const stack: Node[] = [root];
    while (stack.length > 0) {
      const node = stack[stack.length - 1] as Node;
      if (this.memo.has(node)) {
        stack.pop();
        continue;
      }
      const pending = children(node).filter((c) => !this.memo.has(c));
      if (pending.length > 0) {
        stack.push(...pending);
        continue;
      }
      stack.pop();
      const failedChild = children(node)
        .map((c) => this.memo.get(c))
        .find((c): c is Failed => c instanceof Failed);
      this.memo.set(node, failedChild ?? this.step(node));
    }
    return this.memo.get(root) as Computed | Failed;
  }

  private values(node: SOp): readonly Value[] {
    return this.memo.get(node) as readonly Value[];
  }

  private matrix(node: Selector): SelectorMatrix {
    return this.memo.get(node) as SelectorMatrix;
  }

  private step(node: Node): Computed | Failed {
    const n = this.n;
    switch (node.kind) {
      case 'tokens':
        return this.input;
      case 'indices':
        return Array.from({ length: n }, (_, i) => i);
      case 'full':
        return new Array<Value>(n).fill(node.value);
      case 'map': {
        const xs = this.values(node.inner);
        const out = new Array<Value>(n);
        for (let i = 0; i < n; i++) {
          const x = xs[i] as Value;
          if (x === null) {
            out[i] = null;
            continue;
          }
          const r = applyFn(node.fn, [x]);
          if (r instanceof ExprFailure) return fail(node, i, 'function-error', r.message);
          out[i] = r;
        }
        return out;
      }
      case 'sequenceMap':
        return this.pointwise2(node, node.fst, node.snd, (x, y) => applyFn(node.fn, [x, y]));
      case 'linearSequenceMap':
        return this.pointwise2(node, node.fst, node.snd, (x, y) =>
          isNumberLike(x) && isNumberLike(y)
            ? canonicalNumber(node.fstCoeff * toNumber(x) + node.sndCoeff * toNumber(y))
            : new ExprFailure(`linear combination of non-numbers ${showValue(x)}, ${showValue(y)}`),
        );
      case 'selectorWidth': {
        const m = this.matrix(node.selector);
        const out = new Array<Value>(n);
        for (let q = 0; q < n; q++) {
          let w = 0;
          for (let k = 0; k < n; k++) w += m[q * n + k] as number;
          out[q] = w;
        }
        return out;
      }
      case 'aggregate':
        return this.aggregate(node);
      case 'select': {
        const keys = this.values(node.keys);
        const queries = this.values(node.queries);
        const m = new Uint8Array(n * n);
        for (let q = 0; q < n; q++) {
          const kEnd = this.causal ? q + 1 : n;
          for (let k = 0; k < kEnd; k++) {
            const r = applyPredicate(node.predicate, keys[k] as Value, queries[q] as Value);
            if (r instanceof ExprFailure) {
              return fail(node, q, 'predicate-error', `${r.message} (key at position ${k})`);
            }
            m[q * n + k] = r ? 1 : 0;
          }
        }
        return m;
      }
      case 'selectorAnd':
      case 'selectorOr': {
        const a = this.matrix(node.fst);
        const b = this.matrix(node.snd);
        const m = new Uint8Array(n * n);
        for (let i = 0; i < m.length; i++) {
          m[i] = node.kind === 'selectorAnd' ? (a[i] as number) & (b[i] as number) : (a[i] as number) | (b[i] as number);
        }
        return m;
      }
      case 'selectorNot': {
        const a = this.matrix(node.inner);
        const m = new Uint8Array(n * n);
        for (let q = 0; q < n; q++) {
          const kEnd = this.causal ? q + 1 : n;
          for (let k = 0; k < kEnd; k++) m[q * n + k] = 1 - (a[q * n + k] as number);
        }
        return m;
      }
    }
  }

  /** Applies f position by position; None in either input gives None. */
  private pointwise2(node: SOp, fst: SOp, snd: SOp, f: (x: Value, y: Value) => Value | ExprFailure): Computed | Failed {
    const xs = this.values(fst);
    const ys = this.values(snd);
    const out = new Array<Value>(this.n);
    for (let i = 0; i < this.n; i++) {
      const x = xs[i] as Value;
      const y = ys[i] as Value;
      if (x === null || y === null) {
        out[i] = null;
        continue;
      }
      const r = f(x, y);
      if (r instanceof ExprFailure) return fail(node, i, 'function-error', r.message);
      out[i] = r;
    }
    return out;
  }

  private aggregate(node: Extract<SOp, { kind: 'aggregate' }>): Computed | Failed {
    const n = this.n;
    const m = this.matrix(node.selector);
    const xs = this.values(node.sop);
    const out = new Array<Value>(n);
    const numerical = node.encoding === 'numerical';
    for (let q = 0; q < n; q++) {
      let count = 0;
      let first: Value = null;
      let firstKey = -1;
      let sum = 0;
      for (let k = 0; k < n; k++) {
        if (m[q * n + k] === 0) continue;
        const x = xs[k] as Value;
        if (numerical) {
          if (!isNumberLike(x)) {
            return fail(node, q, 'non-numeric-mean', `numerical aggregate over ${showValue(x)} at key position ${k}`);
          }
          sum += toNumber(x);
        } else if (count > 0 && !valueEquals(first, x)) {
          return fail(
            node,
            q,
            'ambiguous-aggregate',
            `categorical aggregate selects different values ${showValue(first)} (key ${firstKey}) and ${showValue(x)} (key ${k})`,
          );
        }
        if (count === 0) {
          first = x;
          firstKey = k;
        }
        count++;
      }
      // a numerical aggregate holds numbers (a single selected boolean reads as 0/1)
      out[q] = count === 0 ? node.default : !numerical ? first : count === 1 ? toNumber(first as number) : canonicalNumber(sum / count);
    }
    return out;
  }
}

/** Runs a program on one input. */
export const evaluate = (
  program: SOp,
  input: readonly Value[],
  options: EvalOptions = {},
): Either.Either<EvalError, readonly Value[]> => new Evaluation(input, options).sop(program);

export const formatEvalError = (e: EvalError): string => `position ${e.position}: ${e.message} [node ${e.node}]`;
