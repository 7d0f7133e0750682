import { writeFileSync } from 'node:fs';
import * as Either from 'fp-ts/lib/Either.js';
import pc from 'picocolors';
import { diagnostic, type Diagnostic } from '../../diagnostics.js';
import { certificateJson, type Method } from '../../proofs/certificate.js';
import { verify } from '../../passes/verifyProgram.js';
import { shutdownZ3 } from '../../proofs/z3/solver.js';
import { EXIT } from '../exitCodes.js';
import { integerOption, loadProgram, parseBounds, parseMaxParams, STDIN } from '../inputs.js';
import { loadCompiledModel } from '../loadModel.js';
import { progressBar } from '../progress.js';
import { failWith, makeOutput } from '../report.js';

export interface VerifyCommandOptions {
  readonly vocab?: string;
  readonly maxLen?: string;
  readonly causal?: boolean;
  readonly method?: string;
  readonly certificate?: string;
  readonly model?: string;
  readonly workers?: string;
  readonly z3Timeout?: string;
  readonly timing?: boolean;
  readonly tracrConstants?: boolean;
  readonly maxParams?: string;
  readonly json?: boolean;
}

/** Options that some combinations ignore: refused there (never silently dropped). */
const unusedOptions = (options: VerifyCommandOptions, method: Method): Diagnostic[] => {
  const unused = (option: string, why: string, fix: string): Diagnostic => diagnostic('cli/unused-option', `${option} has no effect ${why}`, { fix });
  const problems: Diagnostic[] = [];
  if (options.model !== undefined && options.tracrConstants) problems.push(unused('--tracr-constants', 'with --model (nothing is compiled)', 'drop one of them'));
  if (options.model !== undefined && options.maxParams !== undefined) problems.push(unused('--max-params', 'with --model (nothing is compiled)', 'drop one of them'));
  if (options.workers !== undefined && (method === 'lemmas' || method === 'z3')) problems.push(unused('--workers', `with --method ${method} (only the exhaustive check uses workers)`, 'drop --workers, or use --method exhaustive or auto'));
  if (options.z3Timeout !== undefined && method !== 'z3') problems.push(unused('--z3-timeout', `with --method ${method}`, 'drop --z3-timeout, or use --method z3'));
  if (options.certificate === STDIN) {
    problems.push(diagnostic('cli/output', '--certificate - would mix the certificate with the report on standard output', { fix: 'use --json to print the certificate on standard output' }));
  }
  return problems;
};

const METHODS: readonly Method[] = ['auto', 'exhaustive', 'lemmas', 'z3'];

/** `raspc verify PROG --vocab ... --max-len N [--method ...]`: a certificate or a counterexample. */
export const verifyCommand = async (path: string, options: VerifyCommandOptions): Promise<number> => {
  const out = makeOutput(options.json ?? false);
  const method = (options.method ?? 'auto') as Method;
  if (!METHODS.includes(method)) {
    return failWith(out, [diagnostic('cli/method', `unknown method '${options.method}'`, { fix: `use one of ${METHODS.join(', ')}` })]);
  }
  const unused = unusedOptions(options, method);
  if (unused.length > 0) return failWith(out, unused);
  const maxParams = parseMaxParams(options.maxParams);
  if (Either.isLeft(maxParams)) return failWith(out, maxParams.left);
  const program = loadProgram(path);
  if (Either.isLeft(program)) return failWith(out, program.left);
  const bounds = parseBounds(options.vocab, options.maxLen, options.causal ?? false);
  if (Either.isLeft(bounds)) return failWith(out, bounds.left);
  let model;
  if (options.model !== undefined) {
    const m = loadCompiledModel(out, options.model);
    if (Either.isLeft(m)) return failWith(out, m.left);
    model = m.right;
  }
  const workersOption = options.workers === undefined ? undefined : integerOption('--workers', options.workers, 1, 256);
  if (workersOption !== undefined && Either.isLeft(workersOption)) return failWith(out, [workersOption.left]);
  const workers = workersOption?.right;
  // one day at most: z3 is always run with a timeout
  const z3Timeout = integerOption('--z3-timeout', options.z3Timeout ?? '60000', 1, 86_400_000, 'a number of milliseconds, e.g. --z3-timeout 60000');
  if (Either.isLeft(z3Timeout)) return failWith(out, [z3Timeout.left]);
  const z3TimeoutMs = z3Timeout.right;
  const bar = progressBar('checking inputs', !out.json);
  const result = await verify(program.right, bounds.right, {
    method,
    ...(model ? { model } : {}),
    ...(workers ? { workers } : {}),
    compileOptions: { maxParams: maxParams.right, ...(options.tracrConstants ? { fixedPrecision: { softmaxColdness: 100, mlpLargeNumber: 100 } } : {}) },
    timing: options.timing ?? false,
    z3TimeoutMs,
    onProgress: bar.update,
  });
  bar.stop();
  if (method === 'z3') await shutdownZ3();
  if (Either.isLeft(result)) return failWith(out, result.left);
  const { certificate, seconds } = result.right;
  if (options.certificate !== undefined) {
    try {
      writeFileSync(options.certificate, certificateJson(certificate));
    } catch (e) {
      return failWith(out, [diagnostic('io/write', `cannot write the certificate: ${(e as Error).message}`)]);
    }
  }
  out.result(JSON.parse(certificateJson(certificate)));
  const colour = certificate.verdict === 'verified' ? pc.green : certificate.verdict === 'counterexample' ? pc.red : pc.yellow;
  out.info(`${colour(certificate.verdict.toUpperCase())} (${method}): ${certificate.claim}`);
  if (certificate.exhaustive) out.info(`  exhaustive: ${certificate.exhaustive.checked}/${certificate.exhaustive.inputs} inputs, ${certificate.exhaustive.verdict}`);
  if (certificate.lemmas) {
    const held = certificate.lemmas.list.filter((l) => l.holds).length;
    out.info(`  lemmas: ${held}/${certificate.lemmas.list.length} hold; output error ≤ ${String(certificate.lemmas.outputError)} (decoding tolerates ${String(certificate.lemmas.outputTolerance)}); program defined: ${certificate.lemmas.programDefined}`);
    for (const l of certificate.lemmas.list.filter((x) => !x.holds).slice(0, 5)) out.info(`    ${pc.red('fails')} ${l.node} (${l.kind}): ${l.statement}`);
  }
  if (certificate.z3) {
    out.info(`  z3 equivalence: ${certificate.z3.equivalence.verdict} (${certificate.z3.equivalence.lengths.map((x) => `n=${x.n}: ${x.result}`).join(', ')})`);
    const q = certificate.z3.mlpFacts.reduce((s, f) => s + f.solverQueries, 0);
    out.info(`  z3 MLP facts: ${certificate.z3.mlpFacts.filter((f) => f.verdict === 'holds').length}/${certificate.z3.mlpFacts.length} hold (${q} solver queries; the rest settled by bounds)`);
  }
  if (certificate.counterexample) {
    const c = certificate.counterexample;
    out.info(`  ${pc.red('counterexample')} (${c.method}, ${c.kind}): ${c.message}`);
    if (c.input) out.info(`    input    ${JSON.stringify(c.input)}`);
    if (c.expected !== undefined) out.info(`    program  ${JSON.stringify(c.expected)}`);
    if (c.actual !== undefined) out.info(`    model    ${JSON.stringify(c.actual)}`);
  }
  out.info(`  time: ${Object.entries(seconds).map(([k, v]) => `${k} ${v.toFixed(2)} s`).join(', ')}`);
  if (options.certificate !== undefined) out.info(`  certificate: ${options.certificate}`);
  return certificate.verdict === 'verified' ? EXIT.ok : certificate.verdict === 'counterexample' ? EXIT.counterexample : EXIT.unknown;
};
