import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import * as Either from 'fp-ts/lib/Either.js';
import { printProgram } from '../../ast/printer.js';
import { showValue } from '../../ast/value.js';
import { diagnostic } from '../../diagnostics.js';
import type { Method } from '../../proofs/certificate.js';
import { verify } from '../../proofs/verify.js';
import { dagSpec } from '../../pictures/specs.js';
import { renderSvg } from '../../pictures/render.js';
import { reportHtml } from '../../report/html.js';
import { EXIT } from '../exitCodes.js';
import { loadProgram, parseBounds } from '../inputs.js';
import { progressBar } from '../progress.js';
import { failWith, makeOutput } from '../report.js';

export interface ReportOptions {
  readonly vocab?: string;
  readonly maxLen?: string;
  readonly causal?: boolean;
  readonly method?: string;
  readonly output: string;
  readonly json?: boolean;
}

const METHODS: readonly Method[] = ['auto', 'exhaustive', 'lemmas'];

/** `raspc report PROG --vocab ... --max-len N -o report.html`: compile, verify, one HTML file. */
export const reportCommand = async (path: string, options: ReportOptions): Promise<number> => {
  const out = makeOutput(options.json ?? false);
  const method = (options.method ?? 'auto') as Method;
  if (!METHODS.includes(method)) return failWith(out, [diagnostic('cli/method', `unknown method '${options.method}' for a report`, { fix: `use one of ${METHODS.join(', ')}` })]);
  const program = loadProgram(path);
  if (Either.isLeft(program)) return failWith(out, program.left);
  const bounds = parseBounds(options.vocab, options.maxLen, options.causal ?? false);
  if (Either.isLeft(bounds)) return failWith(out, bounds.left);
  const bar = progressBar('verifying', !out.json);
  const result = await verify(program.right, bounds.right, { method, onProgress: bar.update });
  bar.stop();
  if (Either.isLeft(result)) return failWith(out, result.left);
  const { model, certificate } = result.right;
  const printed = (): string => {
    const text = printProgram(program.right);
    return Either.isRight(text) ? text.right : '(this program has opaque functions and cannot be printed)';
  };
  let programText: string;
  try {
    programText = path.endsWith('.rasp') ? readFileSync(path, 'utf8') : printed();
  } catch {
    programText = printed();
  }
  const vocab = bounds.right.vocab;
  const exampleInput = Array.from({ length: Math.min(bounds.right.maxLen, 4) }, (_, i) => showValue(vocab[(i * 3 + 1) % vocab.length] as never)).join(' ');
  const html = reportHtml({ title: basename(path), programText, model, certificate, dagSvg: await renderSvg(dagSpec(model)), exampleInput });
  try {
    writeFileSync(options.output, html);
  } catch (e) {
    return failWith(out, [diagnostic('io/write', `cannot write ${options.output}: ${(e as Error).message}`, { fix: 'check the output path' })]);
  }
  out.result({ file: options.output, verdict: certificate.verdict, bytes: html.length });
  out.info(`wrote ${options.output} (${(html.length / 1024).toFixed(0)} KiB; certificate: ${certificate.verdict})`);
  return EXIT.ok;
};
