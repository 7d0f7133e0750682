/**
 * The interpreter's semantics of a RASP program (src/interpreter/evaluate.ts) as a finite program
 * over value indices, for the solver encoding. Every s-op's values come from the sound value-set
 * inference for the bounds; functions and predicates become tables over those values (computed
 * with the interpreter's own applyFn / applyPredicate), with two sentinels:
 * - {@link EVAL_ERROR}: the interpreter fails there (a function or predicate error);
 * - {@link OUTSIDE}: the result is not in the inferred value set (a value-set bug; never expected).
 * Aggregates and selector widths are left to the encoding, which follows evaluate.ts exactly.
 */
import * as Either from 'fp-ts/lib/Either.js';
import { applyFn, applyPredicate } from '../../ast/apply.js';
import { ExprFailure } from '../../ast/exprEval.js';
import type { SOp } from '../../ast/program.js';
import { canonicalNumber, isNumberLike, toNumber, type Value } from '../../ast/value.js';
import { buildGraph } from '../../ast/graph.js';
import type { Bounds } from '../../typecheck/bounds.js';
import { inferValueSets } from '../../typecheck/inferValueSets.js';
import type { ValueSet } from '../../typecheck/valueSet.js';
import { buildTable, type Table } from './hardProgram.js';
import { ratOf, type Rat } from './rational.js';

export const EVAL_ERROR = -1;
export const OUTSIDE = -3;

interface SOpBase {
  readonly label: string;
  /** The value set, by index (None first when present). */
  readonly values: readonly Value[];
}

export type SourceNode =
  | (SOpBase & { readonly kind: 'tokens'; /** vocabulary index → value index */ readonly table: readonly number[] })
  | (SOpBase & { readonly kind: 'indices'; /** position → value index */ readonly table: readonly number[] })
  | (SOpBase & { readonly kind: 'full'; readonly index: number })
  | (SOpBase & {
      readonly kind: 'table';
      /** Node indices of the inputs (a sequence map of one s-op twice lists it twice). */
      readonly inputs: readonly number[];
      readonly table: Table<number>;
    })
  | (SOpBase & {
      readonly kind: 'aggregate';
      readonly encoding: 'categorical' | 'numerical';
      readonly selector: number;
      readonly value: number;
      /** Index of the default in `values` (or OUTSIDE). */
      readonly defaultIndex: number;
      /** Categorical: index in `values` of each value of the aggregated s-op (or OUTSIDE). */
      readonly remap?: readonly number[];
      /** Numerical: each value of the aggregated s-op as a rational (undefined: not a number, an error when selected). */
      readonly valueNumbers?: readonly (Rat | undefined)[];
      /** Numerical: each own value as a rational (undefined: not a number, never a mean). */
      readonly numbers?: readonly (Rat | undefined)[];
    })
  | (SOpBase & { readonly kind: 'width'; readonly selector: number; /** width 0..maxLen → value index */ readonly table: readonly number[] })
  | { readonly kind: 'select'; readonly label: string; readonly keys: number; readonly queries: number; /** [key value][query value] → 1, 0 or EVAL_ERROR */ readonly table: Table<number> }
  | { readonly kind: 'and' | 'or'; readonly label: string; readonly fst: number; readonly snd: number }
  | { readonly kind: 'not'; readonly label: string; readonly inner: number };

export interface SourceProgram {
  readonly nodes: readonly SourceNode[];
  readonly output: number;
  readonly vocab: readonly Value[];
  readonly maxLen: number;
  readonly causal: boolean;
}

const indexIn = (set: ValueSet, v: Value): number => {
  const i = set.indexOf(v);
  return i < 0 ? OUTSIDE : i;
};

/** The finite source program; Left: why not (value sets could not be inferred). */
export const sourceSemantics = (program: SOp, bounds: Bounds): Either.Either<string, SourceProgram> => {
  const graphE = buildGraph(program);
  if (Either.isLeft(graphE)) return Either.left(graphE.left.map((d) => d.message).join('; '));
  const graph = graphE.right;
  const inference = inferValueSets(graph, bounds);
  if (Either.isLeft(inference)) return Either.left(`value sets: ${inference.left.map((d) => d.message).join('; ')}`);
  const sets = inference.right.valueSets;
  const setOf = (id: number): ValueSet => {
    const s = sets.get(id);
    if (s === undefined) throw new Error(`bug: no value set for node ${graph.nodes[id]?.label}`);
    return s;
  };
  const nodes: SourceNode[] = graph.nodes.map((g): SourceNode => {
    const node = g.node;
    const label = g.label;
    const kid = (i: number): number => g.children[i] as number;
    switch (node.kind) {
      case 'tokens': {
        const set = setOf(g.id);
        return { kind: 'tokens', label, values: set.values, table: bounds.vocab.map((v) => indexIn(set, v)) };
      }
      case 'indices': {
        const set = setOf(g.id);
        return { kind: 'indices', label, values: set.values, table: Array.from({ length: bounds.maxLen }, (_, p) => indexIn(set, p)) };
      }
      case 'full': {
        const set = setOf(g.id);
        return { kind: 'full', label, values: set.values, index: indexIn(set, node.value) };
      }
      case 'map':
      case 'sequenceMap':
      case 'linearSequenceMap': {
        const set = setOf(g.id);
        const inputs = g.children;
        const inSets = inputs.map(setOf);
        const f = (args: readonly Value[]): Value | ExprFailure => {
          if (node.kind === 'map' || node.kind === 'sequenceMap') return applyFn(node.fn, args);
          const [x, y] = args as [Value, Value];
          return isNumberLike(x) && isNumberLike(y)
            ? canonicalNumber(node.fstCoeff * toNumber(x) + node.sndCoeff * toNumber(y))
            : new ExprFailure('linear combination of non-numbers');
        };
        const table = buildTable(
          inSets.map((s) => s.size),
          (idx) => {
            const args = idx.map((i, k) => (inSets[k] as ValueSet).values[i] as Value);
            // None in (either input) gives None out; the function is not called
            if (args.some((a) => a === null)) return indexIn(set, null);
            const r = f(args);
            return r instanceof ExprFailure ? EVAL_ERROR : indexIn(set, r);
          },
        );
        return { kind: 'table', label, values: set.values, inputs, table };
      }
      case 'aggregate': {
        const set = setOf(g.id);
        const valueSet = setOf(kid(1));
        const numerical = node.encoding === 'numerical';
        const asRat = (v: Value): Rat | undefined => (isNumberLike(v) && Number.isFinite(toNumber(v)) ? ratOf(toNumber(v)) : undefined);
        return {
          kind: 'aggregate',
          label,
          values: set.values,
          encoding: node.encoding,
          selector: kid(0),
          value: kid(1),
          defaultIndex: indexIn(set, node.default),
          ...(numerical
            ? { valueNumbers: valueSet.values.map(asRat), numbers: set.values.map(asRat) }
            : { remap: valueSet.values.map((v) => indexIn(set, v)) }),
        };
      }
      case 'selectorWidth': {
        const set = setOf(g.id);
        return { kind: 'width', label, values: set.values, selector: kid(0), table: Array.from({ length: bounds.maxLen + 1 }, (_, w) => indexIn(set, w)) };
      }
      case 'select': {
        const keys = setOf(kid(0));
        const queries = setOf(kid(1));
        const table = buildTable([keys.size, queries.size], ([k, q]) => {
          const r = applyPredicate(node.predicate, keys.values[k as number] as Value, queries.values[q as number] as Value);
          return r instanceof ExprFailure ? EVAL_ERROR : r ? 1 : 0;
        });
        return { kind: 'select', label, keys: kid(0), queries: kid(1), table };
      }
      case 'selectorAnd':
        return { kind: 'and', label, fst: kid(0), snd: kid(1) };
      case 'selectorOr':
        return { kind: 'or', label, fst: kid(0), snd: kid(1) };
      case 'selectorNot':
        return { kind: 'not', label, inner: kid(0) };
    }
  });
  return Either.right({ nodes, output: graph.output, vocab: bounds.vocab, maxLen: bounds.maxLen, causal: bounds.causal });
};
