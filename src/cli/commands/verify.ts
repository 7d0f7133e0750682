import { writeFileSync } from 'node:fs';
import * as Either from 'fp-ts/lib/Either.js';
import pc from 'picocolors';
import { diagnostic } from '../../diagnostics.js';
import { certificateJson, type Method } from '../../proofs/certificate.js';
import { verify } from '../../proofs/verify.js';
import { shutdownZ3 } from '../../proofs/z3/solver.js';
import { EXIT } from '../exitCodes.js';
import { loadCompiledModel } from '../loadModel.js';
import { loadProgram, parseBounds } from '../inputs.js';
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
  readonly json?: boolean;
}

const METHODS: readonly Method[] = ['auto', 'exhaustive', 'lemmas', 'z3'];

/** `raspc verify PROG --vocab ... --max-len N [--method ...]`: a certificate or a counterexample. */
export const verifyCommand = async (path: string, options: VerifyCommandOptions): Promise<number> => {
  const out = makeOutput(options.json ?? false);
  const method = (options.method ?? 'auto') as Method;
  if (!METHODS.includes(method)) {
    return failWith(out, [diagnostic('cli/method', `unknown method '${options.method}'`, { fix: `use one of ${METHODS.join(', ')}` })]);
  }
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
  const workers = options.workers === undefined ? undefined : Number(options.workers);
  if (workers !== undefined && !(Number.isInteger(workers) && workers >= 1)) {
    return failWith(out, [diagnostic('cli/workers', `--workers must be a positive integer, got ${options.workers}`)]);
  }
  const z3TimeoutMs = Number(options.z3Timeout ?? '60000');
  if (!(Number.isInteger(z3TimeoutMs) && z3TimeoutMs >= 1)) {
    return failWith(out, [diagnostic('cli/z3-timeout', `--z3-timeout must be a positive number of milliseconds, got ${options.z3Timeout}`)]);
  }
  const bar = progressBar('checking inputs', !out.json);
  const result = await verify(program.right, bounds.right, {
    method,
    ...(model ? { model } : {}),
    ...(workers ? { workers } : {}),
    ...(options.tracrConstants ? { compileOptions: { fixedPrecision: { softmaxColdness: 100, mlpLargeNumber: 100 } } } : {}),
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
