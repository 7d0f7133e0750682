/**
 * Verification: a compiled model against the program it came from, by one or more methods, with
 * a certificate as the result. Proofs never compile: the caller hands over the model
 * (src/passes/verifyProgram.ts compiles first when the library or CLI is given only a program).
 *
 * - exhaustive: every input of length 1..N (src/proofs/exhaustive.ts).
 * - lemmas: per-block lemmas composed along the model (src/proofs/lemmas/), any N.
 * - z3: (b) bounded equivalence of the hard-attention semantics with the program for every length
 *   ≤ N (src/proofs/z3/equivalence.ts), (a) MLP facts over continuous error boxes
 *   (src/proofs/z3/mlpFacts.ts), and the attention lemmas bounding softmax against hard attention.
 * - auto: lemmas, plus exhaustive when the inputs are few enough.
 * `unknown` (a timeout, a lemma that does not hold without a counterexample) is never `verified`.
 */
import * as Either from 'fp-ts/lib/Either.js';
import { decodeProgram } from '../ast/codec.js';
import type { SOp } from '../ast/program.js';
import { showValue, valuesClose, type Value } from '../ast/value.js';
import { diagnostic, type Diagnostic } from '../diagnostics.js';
import { evaluate } from '../interpreter/evaluate.js';
import { isUndecodable } from '../model/decode.js';
import { PreparedModel } from '../model/forward.js';
import type { CompiledModel } from '../model/model.js';
import { runModel } from '../model/run.js';
import { programHash } from '../ast/programHash.js';
import type { Bounds } from '../typecheck/bounds.js';
import { CERTIFICATE_FORMAT, CERTIFICATE_VERSION, modelHash, valuesJson, type Certificate, type CertificateCounterexample, type Method, type Verdict } from './certificate.js';
import { coveredBounds, sameBounds, showSet } from './coveredBounds.js';
import { inputCount } from './enumerate.js';
import { mulberry32, randomInt } from '../util/random.js';
import { checkExhaustive, type ExhaustiveResult } from './exhaustive.js';
import { checkLemmas, type LemmaReport } from './lemmas/check.js';
import { checkBoundedEquivalence, type EquivalenceResult } from './z3/equivalence.js';
import { checkMlpFacts, type MlpFact } from './z3/mlpFacts.js';

/**
 * The model verified: one read from somewhere (its manifest is checked against the program and
 * the bounds), or one just compiled from the program (its own bounds are verified, and the
 * in-memory compiled program serves the lemmas even when it has opaque functions).
 */
export type VerifiedModel =
  | { readonly kind: 'given'; readonly model: CompiledModel }
  | { readonly kind: 'compiled'; readonly model: CompiledModel; readonly compiledProgram: SOp; readonly compileSeconds: number };

export interface VerifyOptions {
  readonly method?: Method;
  readonly workers?: number;
  readonly onProgress?: (done: number, total: number) => void;
  /** Record wall-clock seconds in the certificate (makes it differ run to run). */
  readonly timing?: boolean;
  /** Per solver query (ms). */
  readonly z3TimeoutMs?: number;
  /** With method auto: run the exhaustive check when there are at most this many inputs. */
  readonly exhaustiveLimit?: number;
}

export interface VerifyResult {
  readonly certificate: Certificate;
  readonly model: CompiledModel;
  readonly seconds: Readonly<Record<string, number>>;
  /** Seconds of each Z3 bounded-equivalence query (one per length), with the z3 method. */
  readonly z3QuerySeconds: readonly number[];
}

const DEFAULT_EXHAUSTIVE_LIMIT = 2_000_000;

/**
 * Seeded random inputs within `bounds` compared on the model and the interpreter (to turn a
 * failed lemma into a counterexample).
 */
const searchCounterexample = (program: SOp, model: CompiledModel, bounds: Bounds, tries = 3000): CertificateCounterexample | undefined => {
  const { vocab, maxLen, causal } = bounds;
  const prepared = new PreparedModel(model);
  const random = mulberry32(20251122);
  const next = (k: number): number => randomInt(random, k);
  for (let t = 0; t < tries; t++) {
    const n = 1 + next(maxLen);
    const input = Array.from({ length: n }, () => vocab[next(vocab.length)] as Value);
    const want = evaluate(program, input, { causal });
    const got = runModel(prepared, input);
    if (Either.isLeft(want) || Either.isLeft(got)) continue;
    if (!got.right.every((g, i) => !isUndecodable(g) && valuesClose(g, want.right[i] as Value))) {
      return {
        method: 'lemmas (random search after a failed lemma)',
        kind: 'mismatch',
        input: valuesJson(input),
        expected: valuesJson(want.right),
        actual: got.right.map((g) => (isUndecodable(g) ? '<undecodable>' : (g as Value))),
        message: `on ${input.map(showValue).join(' ')} the model decodes differently from the interpreter`,
      };
    }
  }
  return undefined;
};

const fromExhaustive = (r: ExhaustiveResult): CertificateCounterexample | undefined =>
  r.counterexample === undefined
    ? undefined
    : {
        method: 'exhaustive',
        kind: r.counterexample.kind,
        input: valuesJson(r.counterexample.input),
        ...(r.counterexample.expected ? { expected: valuesJson(r.counterexample.expected) } : {}),
        ...(r.counterexample.actual ? { actual: r.counterexample.actual } : {}),
        message: r.counterexample.message,
      };

const fromEquivalence = (r: EquivalenceResult): CertificateCounterexample | undefined =>
  r.counterexample === undefined
    ? undefined
    : {
        method: 'z3',
        kind: typeof r.counterexample.expected === 'string' ? 'program-error' : 'mismatch',
        input: valuesJson(r.counterexample.input),
        expected: typeof r.counterexample.expected === 'string' ? r.counterexample.expected : valuesJson(r.counterexample.expected),
        actual: typeof r.counterexample.actual === 'string' ? r.counterexample.actual : valuesJson(r.counterexample.actual),
        message: `on ${r.counterexample.input.map(showValue).join(' ')} the model's hard-attention semantics differs from the interpreter`,
      };

/** Whether lemmas also show the program itself is defined on every input (no ambiguous aggregate, no failing function). */
const programDefined = (report: LemmaReport): string => {
  const c = report.context;
  const risky = c.graph.nodes.filter(
    (g) => g.node.kind === 'aggregate' && g.node.encoding === 'categorical' && !(c.facts.get(g.children[0] as number)?.atMostOne ?? false),
  );
  return risky.length === 0
    ? 'proven: every categorical aggregate selects at most one key'
    : `not proven by lemmas: ${risky.map((g) => g.label).join(', ')} could select two different values (the exhaustive and z3 methods check this)`;
};

export const verify = async (
  program: SOp,
  bounds: Bounds,
  subject: VerifiedModel,
  options: VerifyOptions = {},
): Promise<Either.Either<readonly Diagnostic[], VerifyResult>> => {
  const method = options.method ?? 'auto';
  const seconds: Record<string, number> = subject.kind === 'compiled' ? { compile: subject.compileSeconds } : {};
  const timed = async <T>(name: string, f: () => Promise<T> | T): Promise<T> => {
    const t0 = performance.now();
    const r = await f();
    seconds[name] = (performance.now() - t0) / 1000;
    return r;
  };
  const model = subject.model;
  let compiledProgram: SOp | undefined;
  if (subject.kind === 'compiled') compiledProgram = subject.compiledProgram;
  else {
    if (model.manifest.program.hash !== programHash(program)) {
      return Either.left([
        diagnostic('verify/program-mismatch', 'the model was compiled from a different program (its manifest records another program hash)', {
          fix: 'verify the model against the program it was compiled from, or recompile',
        }),
      ]);
    }
    const covered = coveredBounds(bounds, model.manifest.bounds);
    if (Either.isLeft(covered)) return Either.left([covered.left]);
    const json = model.manifest.program.compiled;
    const decoded = json === undefined ? undefined : decodeProgram(json);
    compiledProgram = decoded !== undefined && Either.isRight(decoded) ? decoded.right : undefined;
  }
  const m = model;
  // the bounds verified: those given (the model's own when compiled here, or bounds it covers)
  const checked: Bounds = subject.kind === 'compiled' ? m.manifest.bounds : bounds;
  const own = sameBounds(checked, m.manifest.bounds);
  const total = inputCount(checked.vocab.length, checked.maxLen);
  const runExhaustive = method === 'exhaustive' || (method === 'auto' && total <= (options.exhaustiveLimit ?? DEFAULT_EXHAUSTIVE_LIMIT));
  const runLemmas = method === 'lemmas' || method === 'auto' || method === 'z3';
  const runZ3 = method === 'z3';

  let lemmaReport: LemmaReport | undefined;
  let lemmaProblem: string | undefined;
  if (runLemmas) {
    if (compiledProgram === undefined) lemmaProblem = 'the manifest has no serializable compiled program (opaque functions): lemmas need it';
    else {
      const l = await timed('lemmas', () => checkLemmas(compiledProgram as SOp, m));
      if (Either.isLeft(l)) lemmaProblem = l.left.map((d) => d.message).join('; ');
      else lemmaReport = l.right;
    }
  }
  const exhaustive = runExhaustive
    ? await timed('exhaustive', () => checkExhaustive(program, m, { workers: options.workers, onProgress: options.onProgress, ...(own ? {} : { bounds: checked }) }))
    : undefined;
  let equivalence: EquivalenceResult | undefined;
  let facts: MlpFact[] | undefined;
  if (runZ3) {
    equivalence = await timed('z3-equivalence', () =>
      checkBoundedEquivalence(program, m, { timeoutMs: options.z3TimeoutMs ?? 60_000, ...(own ? {} : { maxLen: checked.maxLen, vocab: checked.vocab }) }),
    );
    if (lemmaReport !== undefined) facts = await timed('z3-mlp-facts', () => checkMlpFacts(lemmaReport as LemmaReport, options.z3TimeoutMs ?? 10_000));
  }

  // verdict
  let counterexample = (exhaustive && fromExhaustive(exhaustive)) ?? (equivalence && fromEquivalence(equivalence));
  const failedFact = facts?.find((f) => f.verdict === 'fails');
  if (counterexample === undefined && failedFact !== undefined) {
    counterexample = {
      method: 'z3 (MLP facts)',
      kind: 'mlp-fact',
      message: `MLP of ${failedFact.node} misses its tolerance ${failedFact.tolerance} at inputs ${failedFact.counterexample?.inputs.map(showValue).join(', ')} (residual ${JSON.stringify(failedFact.counterexample?.residual)})`,
    };
  }
  if (counterexample === undefined && lemmaReport?.verdict === 'failed' && method !== 'z3') counterexample = searchCounterexample(program, m, checked);
  const lemmasOk = lemmaReport?.verdict === 'verified';
  const attentionOk = lemmaReport?.lemmas.filter((l) => l.kind === 'attention' || l.kind === 'isolation' || l.kind === 'coverage' || l.kind === 'embedding').every((l) => l.holds) ?? false;
  let verdict: Verdict;
  let claim: string;
  const inputs = own ? `every input of length 1..${checked.maxLen}` : `every input of length 1..${checked.maxLen} over ${showSet(checked.vocab)}`;
  const modelWide = own ? '' : `; lemmas proven at the model's bounds (${showSet(m.manifest.bounds.vocab)}, length 1..${m.manifest.bounds.maxLen}), which contain these`;
  if (counterexample !== undefined) {
    verdict = 'counterexample';
    claim = 'a counterexample disproves correctness';
  } else if (method === 'exhaustive') {
    verdict = exhaustive?.verdict === 'verified' ? 'verified' : 'unknown';
    claim = `${inputs} (${total} inputs): the program is defined and the model decodes to its output`;
  } else if (method === 'lemmas') {
    verdict = lemmasOk ? 'verified' : 'unknown';
    claim = `${inputs} on which the program has an output: the model decodes to it (lemmas composed along the model${modelWide})`;
  } else if (method === 'z3') {
    const eq = equivalence?.verdict === 'verified';
    const mlp = facts !== undefined && facts.every((f) => f.verdict === 'holds');
    verdict = eq && mlp && attentionOk ? 'verified' : 'unknown';
    claim = `${inputs}: the hard-attention semantics equals the program (Z3), every MLP stays within tolerance over its error box (Z3), and attention leakage is bounded (lemmas${modelWide})`;
  } else {
    verdict = exhaustive?.verdict === 'verified' || lemmasOk ? 'verified' : 'unknown';
    claim =
      exhaustive?.verdict === 'verified'
        ? `${inputs} (${total} inputs, exhaustive): the program is defined and the model decodes to its output`
        : `${inputs} on which the program has an output (lemmas${modelWide})`;
  }
  const notes = [...(lemmaProblem ? [`lemmas not run: ${lemmaProblem}`] : []), ...(equivalence?.reason ? [`z3: ${equivalence.reason}`] : [])];
  const certificate: Certificate = {
    format: CERTIFICATE_FORMAT,
    version: CERTIFICATE_VERSION,
    program: { hash: m.manifest.program.hash, output: m.manifest.program.output },
    model: { hash: modelHash(m), parameters: m.manifest.parameters, layers: m.config.n_layers, dModel: m.config.d_model },
    bounds: { vocab: valuesJson(checked.vocab), maxLen: checked.maxLen, causal: checked.causal },
    ...(own ? {} : { modelBounds: { vocab: valuesJson(m.manifest.bounds.vocab), maxLen: m.manifest.bounds.maxLen, causal: m.manifest.bounds.causal } }),
    method,
    verdict,
    claim,
    ...(exhaustive ? { exhaustive: { inputs: total, checked: exhaustive.checked, verdict: exhaustive.verdict } } : {}),
    ...(lemmaReport
      ? {
          lemmas: {
            verdict: lemmaReport.verdict,
            outputError: lemmaReport.outputError,
            outputTolerance: lemmaReport.outputTolerance,
            programDefined: programDefined(lemmaReport),
            list: lemmaReport.lemmas,
          },
        }
      : {}),
    ...(equivalence
      ? {
          z3: {
            equivalence: {
              verdict: equivalence.verdict,
              lengths: equivalence.perLength.map((p) => ({ n: p.n, result: p.result })),
              ...(equivalence.reason ? { reason: equivalence.reason } : {}),
            },
            mlpFacts: (facts ?? []).map((f) => ({ node: f.node, verdict: f.verdict, combinations: f.combinations, byBounds: f.byBounds, solverQueries: f.solverQueries, tolerance: f.tolerance })),
          },
        }
      : {}),
    ...(counterexample ? { counterexample } : {}),
    notes,
    ...(options.timing ? { time: seconds } : {}),
  };
  return Either.right({ certificate, model: m, seconds, z3QuerySeconds: equivalence?.perLength.map((p) => p.seconds) ?? [] });
};
