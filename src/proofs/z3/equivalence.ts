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
 * (encode.ts, over bit-vectors so that Z3 bit-blasts to SAT) and asserts that some position's
 * outputs differ — or that the program fails (ambiguous aggregate, function error), or that a model
 * value is undecodable. `unsat` proves the two agree on every input of that length. A `sat` input
 * is replayed with the real interpreter and the real forward pass (runModel) before it is reported;
 * one on which they agree after all (the hard semantics is an abstraction of the softmax model) is
 * excluded and the query re-run, and listed in `spurious`. `unknown` (a timeout) is never read as
 * agreement.
 */
import * as Either from 'fp-ts/lib/Either.js';
import type { SOp } from '../../ast/program.js';
import { showValue, valuesClose, type Value } from '../../ast/value.js';
import { evaluate, formatEvalError } from '../../interpreter/evaluate.js';
import { isUndecodable, type Decoded } from '../../model/decode.js';
import type { CompiledModel } from '../../model/model.js';
import { runModel } from '../../model/run.js';
import { buildQuery, type Query } from './encode.js';
import { termsFor } from './scaling.js';
import type { HardProgram } from './hardProgram.js';
import { extractHardSemantics } from './hardSemantics.js';
import { runHard } from './runHard.js';
import { withSolver, type CheckOutcome, type CheckResult, type SolverSession, type Z3BitVec, type Z3Bool, type Z3Model } from './solver.js';
import { sourceSemantics, type SourceProgram } from './sourceSemantics.js';
import type { BoolT } from './terms.js';

export interface EquivalenceOptions {
  /** Check lengths 1..maxLen (default: the model's maximum length). */
  readonly maxLen?: number;
  /** Inputs over these tokens only (a subset of the model's vocabulary; default all of it). */
  readonly vocab?: readonly Value[];
  /** Per query (one length), in milliseconds (default 60 s). */
  readonly timeoutMs?: number;
  /**
   * When a length's query does not finish in half its time, prove node-by-node correspondence
   * lemmas and retry (default true).
   */
  readonly lemmas?: boolean;
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

/** Spurious inputs excluded per length before giving up with `unknown`. */
const MAX_SPURIOUS = 16;

interface Goal extends Query {
  readonly tokens: Z3BitVec[];
}

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

const modelInt = (model: Z3Model, x: Z3BitVec): number => Number((model.eval(x, true) as unknown as { value(): bigint }).value());

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
  useLemmas: boolean,
  allowed: readonly number[] | undefined,
): Promise<LengthOutcome> => {
  const started = performance.now();
  const seconds = (): number => (performance.now() - started) / 1000;
  const T = termsFor(session.ctx, src, hp, n);
  const tokens = Array.from({ length: n }, (_, i) => T.intVar(`t${i}`, allowed ?? hp.vocab.map((_, v) => v)));
  const goal: Goal = { tokens, ...buildQuery(T, src, hp, tokens) };
  // Every check gets a fresh solver with all facts re-asserted: Z3 preprocesses a solver's first
  // check (solve-eqs, ITE elimination, ...) but runs later checks of the same solver incrementally
  // without it, which is far slower here.
  const tokenFact = (t: Z3BitVec): BoolT => (allowed === undefined ? T.below(t, hp.vocab.length) : T.or(allowed.map((v) => T.eqInt(t, v))));
  const facts: Z3Bool[] = [...goal.tokens.map((t) => T.bool(tokenFact(t))), ...T.definitions];
  const check = (extra: readonly BoolT[], ms: number): Promise<CheckOutcome> => {
    const solver = session.solver(Math.max(1, Math.round(ms)));
    for (const f of facts) solver.add(f);
    for (const e of extra) solver.add(T.bool(e));
    return session.check(solver);
  };
  const remaining = (): number => timeoutMs - (performance.now() - started);
  const target = T.or(goal.disjuncts.map((d) => d.cond));
  const fails = T.or(goal.disjuncts.filter((d) => d.kind === 'fails').map((d) => d.cond));
  /**
   * Fallback when the plain query does not finish: prove the correspondence lemmas between
   * same-label nodes one by one (each with a small budget) and assert the proven ones — they hold
   * on every input, and tell the solver which parts of the two encodings agree.
   */
  const sweep = async (): Promise<number> => {
    const budget = Math.max(500, timeoutMs / 20);
    let proven = 0;
    for (const lemma of goal.lemmas) {
      if (lemma.differs === false) continue;
      if (remaining() < 2 * budget) break;
      const r = await check([T.not(fails), lemma.differs], budget);
      if (r.result === 'unsat') {
        facts.push(T.bool(T.or([fails, T.not(lemma.differs)])));
        proven++;
      }
    }
    return proven;
  };
  let swept = !useLemmas;
  const spurious: SpuriousInput[] = [];
  const excluded: BoolT[] = [];
  for (;;) {
    if (remaining() <= 0) return { result: { n, result: 'unknown', seconds: seconds() }, spurious, reason: `length ${n}: timeout` };
    // the plain query first gets half the time when lemmas can still help
    const outcome = await check([target, ...excluded], swept ? remaining() : remaining() / 2);
    if (outcome.result === 'unknown' && !swept && remaining() > 0) {
      swept = true;
      await sweep();
      continue;
    }
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
    excluded.push(T.or(goal.tokens.map((t, i) => T.not(T.eqInt(t, toks[i] as number)))));
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
  const allowed = options.vocab?.map((v) => hard.right.vocab.findIndex((w) => w === v));
  if (allowed !== undefined && allowed.some((i) => i < 0)) throw new Error('bug: a token outside the model vocabulary');
  return withSolver(async (session) => {
    const perLength: LengthResult[] = [];
    const spurious: SpuriousInput[] = [];
    for (let n = 1; n <= maxLen; n++) {
      const r = await checkLength(session, program, compiled, src.right, hard.right, n, timeoutMs, options.lemmas ?? true, allowed);
      perLength.push(r.result);
      spurious.push(...r.spurious);
      const extra = spurious.length > 0 ? { spurious } : {};
      if (r.counterexample !== undefined) return { verdict: 'counterexample', perLength, counterexample: r.counterexample, ...extra, seconds: seconds() };
      if (r.result.result !== 'unsat') return { verdict: 'unknown', perLength, reason: r.reason ?? `length ${n}: ${r.result.result}`, ...extra, seconds: seconds() };
    }
    return { verdict: 'verified', perLength, ...(spurious.length > 0 ? { spurious } : {}), seconds: seconds() };
  });
};

