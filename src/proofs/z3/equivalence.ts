/**
 * Verifier method (b): bounded equivalence of a compiled model's hard-attention semantics and the
 * interpreter, by Z3, one query per input length n = 1..maxLen.
 *
 * Each query has symbolic tokens t_1..t_n (indices into the vocabulary) and encodes, position by
 * position over value indices,
 * - the SOURCE program with the interpreter's semantics (sourceSemantics.ts): maps as tables,
 *   selectors as Boolean matrices, a categorical aggregate as the value of the first selected key
 *   (an error when a selected key holds another value) or the default, a numerical mean as the value
 *   m of the output's finite value set with Σ_k sel_k·(v_k − m) = 0 (the default when nothing is
 *   selected), a selector width as Σ sel; causal mode masks keys after the query;
 * - the model's hard-attention program read from the weights (hardSemantics.ts);
 * and asserts that some position's outputs differ — or that the program fails (ambiguous aggregate,
 * function error), or that a model value is undecodable. `unsat` proves the two agree on every input
 * of that length. A `sat` input is replayed with the real interpreter and the real forward pass
 * (runModel) before it is reported; one on which they agree after all (the hard semantics is an
 * abstraction of the softmax model) is excluded and the query re-run, and listed in `spurious`.
 */
import * as Either from 'fp-ts/lib/Either.js';
import type { SOp } from '../../ast/program.js';
import { showValue, valuesClose, type Value } from '../../ast/value.js';
import { evaluate, formatEvalError } from '../../interpreter/evaluate.js';
import { isUndecodable, type Decoded } from '../../model/decode.js';
import type { CompiledModel } from '../../model/model.js';
import { runModel } from '../../model/run.js';
import { extractHardSemantics, runHard, UNDECODABLE, type HardAttention, type HardProgram, type Table } from './hardSemantics.js';
import { ONE, rat, ZERO, type Rat } from './rational.js';
import { withSolver, type CheckResult, type SolverSession, type Z3Arith, type Z3Bool, type Z3Model } from './solver.js';
import { EVAL_ERROR, OUTSIDE, sourceSemantics, type SourceNode, type SourceProgram } from './sourceSemantics.js';
import { Terms, type BoolT, type IntT, type RealT } from './terms.js';

export interface EquivalenceOptions {
  /** Check lengths 1..maxLen (default: the model's maximum length). */
  readonly maxLen?: number;
  /** Per query (one length), in milliseconds (default 60 s). */
  readonly timeoutMs?: number;
}

export interface LengthResult {
  readonly n: number;
  readonly result: CheckResult;
  /** Encoding and solving, including re-runs after excluded spurious inputs. */
  readonly seconds: number;
}

export interface Counterexample {
  readonly input: Value[];
  /** The interpreter's output, or its error message. */
  readonly expected: Value[] | string;
  /** The model's decoded output (an undecodable position as `?`), or why it has none. */
  readonly actual: Value[] | string;
}

/** An input where the hard-attention semantics disagrees with the interpreter but the real model does not. */
export interface SpuriousInput {
  readonly input: Value[];
  /** What the query found: the constraint that fired and the hard semantics' output. */
  readonly reason: string;
}

export interface EquivalenceResult {
  readonly verdict: 'verified' | 'counterexample' | 'unknown';
  readonly perLength: LengthResult[];
  readonly counterexample?: Counterexample;
  /** Why the verdict is `unknown` (a timeout, an extraction problem, too many spurious inputs). */
  readonly reason?: string;
  readonly spurious?: SpuriousInput[];
  readonly seconds: number;
}

/** The "first selected key" of a categorical aggregate when none is selected. */
const NONE_SELECTED = -4;

/** Spurious inputs excluded per length before giving up with `unknown`. */
const MAX_SPURIOUS = 16;

/** One way the query can be satisfied (a difference, a program error, an undecodable value). */
export interface Disjunct {
  readonly what: string;
  readonly cond: BoolT;
}

interface Goal {
  readonly tokens: Z3Arith[];
  readonly disjuncts: Disjunct[];
}

// ---------------------------------------------------------------- the source program

/** The interpreter's semantics at length n: value indices per s-op, selector matrices, failure conditions. */
const encodeSource = (T: Terms, src: SourceProgram, n: number, tokens: readonly IntT[], goal: Disjunct[]): IntT[] => {
  const sops: IntT[][] = [];
  const sels: BoolT[][][] = [];
  const visible = (q: number): number => (src.causal ? q + 1 : n);
  const flagValue = (node: SourceNode, xs: readonly IntT[], sentinel: number, what: string): void => {
    xs.forEach((x, i) => goal.push({ what: `source ${node.label}@${i}: ${what}`, cond: T.eqInt(x, sentinel) }));
  };
  const tokenTable = (node: Extract<SourceNode, { kind: 'tokens' }>): Table<number> => ({ dims: [node.table.length], data: node.table });
  src.nodes.forEach((node, id) => {
    const name = `s.${node.label}`;
    switch (node.kind) {
      case 'tokens': {
        const table = tokenTable(node);
        sops[id] = tokens.map((t) => T.lookupInt(table, [t]));
        flagValue(node, sops[id] as IntT[], OUTSIDE, 'token outside the value set');
        return;
      }
      case 'indices':
        sops[id] = Array.from({ length: n }, (_, i) => node.table[i] as number);
        flagValue(node, sops[id] as IntT[], OUTSIDE, 'index outside the value set');
        return;
      case 'full':
        sops[id] = new Array<IntT>(n).fill(node.index);
        flagValue(node, sops[id] as IntT[], OUTSIDE, 'constant outside the value set');
        return;
      case 'table': {
        const xs = Array.from({ length: n }, (_, i) => T.defineInt(`${name}@${i}`, T.lookupInt(node.table, node.inputs.map((inp) => (sops[inp] as IntT[])[i] as IntT))));
        sops[id] = xs;
        if (node.table.data.includes(EVAL_ERROR)) flagValue(node, xs, EVAL_ERROR, 'the function fails');
        if (node.table.data.includes(OUTSIDE)) flagValue(node, xs, OUTSIDE, 'result outside the value set');
        return;
      }
      case 'select': {
        const keys = sops[node.keys] as IntT[];
        const queries = sops[node.queries] as IntT[];
        const holds: Table<boolean> = { dims: node.table.dims, data: node.table.data.map((x) => x === 1) };
        const fails: Table<boolean> = { dims: node.table.dims, data: node.table.data.map((x) => x === EVAL_ERROR) };
        const canFail = fails.data.includes(true);
        sels[id] = Array.from({ length: n }, (_, q) =>
          Array.from({ length: n }, (_, k) => {
            if (k >= visible(q)) return false;
            const idx = [keys[k] as IntT, queries[q] as IntT];
            if (canFail) goal.push({ what: `source ${node.label}@${q},${k}: the predicate fails`, cond: T.lookupBool(fails, idx) });
            return T.lookupBool(holds, idx);
          }),
        );
        return;
      }
      case 'and':
      case 'or': {
        const a = sels[node.fst] as BoolT[][];
        const b = sels[node.snd] as BoolT[][];
        sels[id] = a.map((row, q) => row.map((x, k) => (node.kind === 'and' ? T.and([x, (b[q] as BoolT[])[k] as BoolT]) : T.or([x, (b[q] as BoolT[])[k] as BoolT]))));
        return;
      }
      case 'not': {
        const a = sels[node.inner] as BoolT[][];
        sels[id] = a.map((row, q) => row.map((x, k) => (k < visible(q) ? T.not(x) : false)));
        return;
      }
      case 'width': {
        const m = sels[node.selector] as BoolT[][];
        const table: Table<number> = { dims: [node.table.length], data: node.table };
        const xs = m.map((row, q) => T.defineInt(`${name}@${q}`, T.lookupInt(table, [T.sumInt(row.map((s) => T.iteInt(s, 1, 0)))])));
        sops[id] = xs;
        if (node.table.includes(OUTSIDE)) flagValue(node, xs, OUTSIDE, 'width outside the value set');
        return;
      }
      case 'aggregate': {
        const m = sels[node.selector] as BoolT[][];
        const vals = sops[node.value] as IntT[];
        if (node.encoding === 'categorical') {
          const remap: Table<number> = { dims: [(node.remap ?? []).length], data: node.remap ?? [] };
          const xs = m.map((row, q) => {
            // the first selected key's value (an index into the aggregated s-op's values)
            let first: IntT = NONE_SELECTED;
            for (let k = n - 1; k >= 0; k--) first = T.iteInt(row[k] as BoolT, vals[k] as IntT, first);
            const chosen = T.defineInt(`${name}.first@${q}`, first);
            goal.push({
              what: `source ${node.label}@${q}: selected keys hold different values`,
              cond: T.or(row.map((s, k) => T.and([s, T.not(T.eqInt(vals[k] as IntT, chosen))]))),
            });
            return T.defineInt(`${name}@${q}`, T.iteInt(T.or(row), T.lookupInt(remap, [chosen]), node.defaultIndex));
          });
          sops[id] = xs;
          flagValue(node, xs, OUTSIDE, 'value outside the value set');
          return;
        }
        const valueNumbers = node.valueNumbers ?? [];
        const numbers = node.numbers ?? [];
        const asNumber: Table<Rat> = { dims: [valueNumbers.length], data: valueNumbers.map((r) => r ?? ZERO) };
        const nonNumber: Table<boolean> = { dims: [valueNumbers.length], data: valueNumbers.map((r) => r === undefined) };
        const xs = m.map((row, q) => {
          if (nonNumber.data.includes(true)) {
            goal.push({
              what: `source ${node.label}@${q}: mean over a non-number`,
              cond: T.or(row.map((s, k) => T.and([s, T.lookupBool(nonNumber, [vals[k] as IntT])]))),
            });
          }
          const count = T.sumReal(row.map((s) => T.iteReal(s, ONE, ZERO)));
          const sum = T.sumReal(row.map((s, k) => T.iteReal(s, T.lookupReal(asNumber, [vals[k] as IntT]), ZERO)));
          // the mean is the value m with Σ sel·v = m · Σ sel (exact rationals); none matching: OUTSIDE
          let acc: IntT = OUTSIDE;
          for (let j = numbers.length - 1; j >= 0; j--) {
            const mj = numbers[j];
            if (mj === undefined) continue;
            acc = T.iteInt(T.cmpReal(sum, '=', T.scaleReal(count, mj)), j, acc);
          }
          return T.defineInt(`${name}@${q}`, T.iteInt(T.cmpReal(count, '=', ZERO), node.defaultIndex, acc));
        });
        sops[id] = xs;
        flagValue(node, xs, OUTSIDE, 'mean outside the value set');
        return;
      }
    }
  });
  return sops[src.output] as IntT[];
};

// ---------------------------------------------------------------- the model's hard semantics

const encodeHard = (T: Terms, hp: HardProgram, n: number, tokens: readonly IntT[], goal: Disjunct[]): IntT[] => {
  const xs: IntT[][] = [];
  const visible = (q: number): number => (hp.causal ? q + 1 : n);
  const at = (node: number, i: number): IntT => (xs[node] as IntT[])[i] as IntT;
  /** Winners of hard attention at query q: BOS and each visible key. */
  const winners = (att: HardAttention, name: string, q: number): { bos: BoolT; keys: BoolT[] } => {
    const qIdx = att.queries.map((node) => at(node, q));
    const ranks = Array.from({ length: visible(q) }, (_, k) => T.lookupInt(att.rank, [...qIdx, ...att.keys.map((node) => at(node, k))]));
    const bosRank = T.lookupInt(att.bosRank, qIdx);
    const best = T.maxInt(`${name}.max@${q}`, [bosRank, ...ranks]);
    return { bos: T.eqInt(bosRank, best), keys: ranks.map((r) => T.eqInt(r, best)) };
  };
  const flagUndecodable = (label: string, values: readonly IntT[]): void => {
    values.forEach((x, i) => goal.push({ what: `model ${label}@${i}: undecodable`, cond: T.eqInt(x, UNDECODABLE) }));
  };
  hp.nodes.forEach((node, id) => {
    const name = `m.${node.label}`;
    switch (node.kind) {
      case 'embed':
        xs[id] = tokens.map((t, i) => T.lookupInt(node.table, [i, t]));
        break;
      case 'mlp':
        xs[id] = Array.from({ length: n }, (_, i) => T.defineInt(`${name}@${i}`, T.lookupInt(node.table, node.inputs.map((inp) => at(inp, i)))));
        break;
      case 'width': {
        xs[id] = Array.from({ length: n }, (_, q) => {
          const w = winners(node.attention, name, q);
          const count = T.sumInt([w.bos, ...w.keys].map((s) => T.iteInt(s, 1, 0)));
          return T.defineInt(`${name}@${q}`, T.lookupInt(node.table, [T.iteInt(w.bos, 1, 0), count]));
        });
        break;
      }
      case 'aggregate': {
        const space = node.space;
        xs[id] = Array.from({ length: n }, (_, q) => {
          const w = winners(node.attention, name, q);
          const count = T.sumReal([w.bos, ...w.keys].map((s) => T.iteReal(s, ONE, ZERO)));
          const sums = node.written.map((comp, j) => {
            const table: Table<Rat> = { dims: [comp.length], data: comp };
            return T.sumReal([
              T.iteReal(w.bos, node.writtenBos[j] as Rat, ZERO),
              ...w.keys.map((s, k) => T.iteReal(s, T.lookupReal(table, [at(node.value, k)]), ZERO)),
            ]);
          });
          let acc: IntT;
          if (space.representation === 'numerical') {
            // the nearest value: lo·count ≤ Σ < hi·count
            const sum = sums[0] ?? ZERO;
            acc = UNDECODABLE;
            const intervals = space.intervals ?? [];
            for (let j = intervals.length - 1; j >= 0; j--) {
              const [lo, hi] = intervals[j] as readonly [Rat, Rat];
              acc = T.iteInt(T.and([T.cmpReal(T.scaleReal(count, lo), '<=', sum), T.cmpReal(sum, '<', T.scaleReal(count, hi))]), j, acc);
            }
          } else {
            // argmax (the first of equal maxima) if its average reaches 1/2, else None
            acc = 0;
            const half = rat(1n, 2n);
            for (let j = sums.length - 1; j >= 0; j--) {
              const sj = sums[j] as RealT;
              const best = T.and([
                T.cmpReal(T.scaleReal(count, half), '<=', sj),
                ...sums.map((si, i) => (i < j ? T.cmpReal(si, '<', sj) : i > j ? T.cmpReal(si, '<=', sj) : true)),
              ]);
              acc = T.iteInt(best, j + 1, acc);
            }
          }
          return T.defineInt(`${name}@${q}`, acc);
        });
        break;
      }
    }
    const table = node.kind === 'aggregate' ? undefined : node.table;
    if (node.kind === 'aggregate' ? node.space.representation === 'numerical' : (table as Table<number>).data.includes(UNDECODABLE)) {
      flagUndecodable(node.label, xs[id] as IntT[]);
    }
  });
  return xs[hp.output] as IntT[];
};

// ---------------------------------------------------------------- one length

const UNDECODABLE_OUT = -2;

/** Both outputs as indices into one list of values, so the comparison is integer equality. */
const outputTables = (src: SourceProgram, hp: HardProgram): { source: Table<number>; model: Table<number>; values: Value[] } => {
  const values: Value[] = [];
  const indexOf = (v: Value): number => {
    const i = values.findIndex((u) => (u === null || v === null ? u === v : valuesClose(u, v)));
    if (i >= 0) return i;
    values.push(v);
    return values.length - 1;
  };
  const srcValues = (src.nodes[src.output] as { values: readonly Value[] }).values;
  const source = { dims: [srcValues.length], data: srcValues.map(indexOf) };
  const model = { dims: [hp.unembed.length], data: hp.unembed.map((v) => (v === undefined ? UNDECODABLE_OUT : indexOf(v))) };
  return { source, model, values };
};

/**
 * The query's goal at length n. With constant tokens every term folds to a constant, which makes
 * this an evaluator of the encoding itself (used by the tests).
 */
export const buildGoal = (T: Terms, src: SourceProgram, hp: HardProgram, tokens: readonly IntT[]): Disjunct[] => {
  const n = tokens.length;
  const disjuncts: Disjunct[] = [];
  const srcOut = encodeSource(T, src, n, tokens, disjuncts);
  const hardOut = encodeHard(T, hp, n, tokens, disjuncts);
  const out = outputTables(src, hp);
  for (let i = 0; i < n; i++) {
    const a = T.lookupInt(out.source, [srcOut[i] as IntT]);
    const b = T.lookupInt(out.model, [hardOut[i] as IntT]);
    disjuncts.push({ what: `output@${i}: the interpreter and the hard-attention model differ`, cond: T.not(T.eqInt(a, b)) });
  }
  return disjuncts;
};

const showDecoded = (xs: readonly Decoded[]): Value[] => xs.map((x) => (isUndecodable(x) ? '?' : x));

/** Replays an input concretely: a real counterexample, or undefined when interpreter and model agree. */
const replay = (program: SOp, compiled: CompiledModel, input: Value[], causal: boolean): Counterexample | undefined => {
  const want = evaluate(program, input, { causal });
  const got = runModel(compiled, input);
  const actual: Value[] | string = Either.isLeft(got) ? got.left.map((d) => d.message).join('; ') : showDecoded(got.right);
  if (Either.isLeft(want)) return { input, expected: formatEvalError(want.left), actual };
  if (Either.isLeft(got)) return { input, expected: [...want.right], actual };
  const agree = got.right.length === want.right.length && got.right.every((g, i) => !isUndecodable(g) && valuesClose(g, want.right[i] as Value));
  return agree ? undefined : { input, expected: [...want.right], actual };
};

const modelInt = (model: Z3Model, x: Z3Arith): number => Number((model.eval(x, true) as unknown as { value(): bigint }).value());

interface LengthOutcome {
  readonly result: LengthResult;
  readonly counterexample?: Counterexample;
  readonly spurious: SpuriousInput[];
  readonly reason?: string;
}

const checkLength = async (
  session: SolverSession,
  program: SOp,
  compiled: CompiledModel,
  src: SourceProgram,
  hp: HardProgram,
  n: number,
  timeoutMs: number,
): Promise<LengthOutcome> => {
  const started = performance.now();
  const seconds = (): number => (performance.now() - started) / 1000;
  const T = new Terms(session.ctx);
  const tokens = Array.from({ length: n }, (_, i) => session.ctx.Int.const(`t${i}`));
  const goal: Goal = { tokens, disjuncts: buildGoal(T, src, hp, tokens) };
  const solver = session.solver(timeoutMs);
  for (const t of goal.tokens) solver.add(t.ge(0), t.lt(hp.vocab.length));
  for (const d of T.definitions) solver.add(d);
  solver.add(T.bool(T.or(goal.disjuncts.map((d) => d.cond))));
  const spurious: SpuriousInput[] = [];
  for (;;) {
    const remaining = timeoutMs - (performance.now() - started);
    if (remaining <= 0) return { result: { n, result: 'unknown', seconds: seconds() }, spurious, reason: `length ${n}: timeout` };
    solver.set('timeout', Math.max(1, Math.round(remaining)));
    const outcome = await session.check(solver);
    if (outcome.result !== 'sat') {
      const reason = outcome.result === 'unknown' ? `length ${n}: Z3 answered unknown (${outcome.reason ?? 'no reason'})` : undefined;
      return { result: { n, result: outcome.result, seconds: seconds() }, spurious, ...(reason ? { reason } : {}) };
    }
    const model = outcome.model as Z3Model;
    const toks = goal.tokens.map((t) => modelInt(model, t));
    const input = toks.map((t) => hp.vocab[t] as Value);
    const cex = replay(program, compiled, input, hp.causal);
    if (cex !== undefined) return { result: { n, result: 'sat', seconds: seconds() }, counterexample: cex, spurious };
    const fired = goal.disjuncts
      .filter((d) => d.cond === true || (typeof d.cond !== 'boolean' && model.eval(d.cond as Z3Bool, true).toString() === 'true'))
      .map((d) => d.what);
    const hard = runHard(hp, toks).output.map((v) => (v === undefined ? '?' : showValue(v)));
    spurious.push({ input, reason: `${fired.slice(0, 3).join('; ') || 'a constant disjunct'}; hard-attention output ${hard.join(' ')}` });
    if (spurious.length >= MAX_SPURIOUS) {
      return { result: { n, result: 'unknown', seconds: seconds() }, spurious, reason: `length ${n}: ${MAX_SPURIOUS} inputs where only the hard-attention abstraction disagrees` };
    }
    // exclude this input (checked concretely) and ask again
    solver.add(session.ctx.Or(...goal.tokens.map((t, i) => t.neq(toks[i] as number))));
  }
};

/**
 * Checks that a compiled model's hard-attention semantics equals the interpreter's output of
 * `program` on every input of length 1..maxLen. `verified` only when every length is `unsat`.
 */
export const checkBoundedEquivalence = async (
  program: SOp,
  compiled: CompiledModel,
  options: EquivalenceOptions = {},
): Promise<EquivalenceResult> => {
  const started = performance.now();
  const seconds = (): number => (performance.now() - started) / 1000;
  const { bounds } = compiled.manifest;
  const maxLen = Math.min(options.maxLen ?? bounds.maxLen, bounds.maxLen);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const hard = extractHardSemantics(compiled);
  if (Either.isLeft(hard)) return { verdict: 'unknown', perLength: [], reason: `hard semantics: ${hard.left}`, seconds: seconds() };
  const src = sourceSemantics(program, { vocab: bounds.vocab, maxLen: bounds.maxLen, causal: bounds.causal });
  if (Either.isLeft(src)) return { verdict: 'unknown', perLength: [], reason: `source program: ${src.left}`, seconds: seconds() };
  return withSolver(async (session) => {
    const perLength: LengthResult[] = [];
    const spurious: SpuriousInput[] = [];
    for (let n = 1; n <= maxLen; n++) {
      const r = await checkLength(session, program, compiled, src.right, hard.right, n, timeoutMs);
      perLength.push(r.result);
      spurious.push(...r.spurious);
      const extra = spurious.length > 0 ? { spurious } : {};
      if (r.counterexample !== undefined) return { verdict: 'counterexample', perLength, counterexample: r.counterexample, ...extra, seconds: seconds() };
      if (r.result.result !== 'unsat') return { verdict: 'unknown', perLength, reason: r.reason ?? `length ${n}: ${r.result.result}`, ...extra, seconds: seconds() };
    }
    return { verdict: 'verified', perLength, ...(spurious.length > 0 ? { spurious } : {}), seconds: seconds() };
  });
};

