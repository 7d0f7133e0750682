import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import * as Either from 'fp-ts/lib/Either.js';
import { printProgram } from '../../ast/printer.js';
import { showValue } from '../../ast/value.js';
import { diagnostic } from '../../diagnostics.js';
import type { Method } from '../../proofs/certificate.js';
import { verify } from '../../passes/verifyProgram.js';
import { dagSpec } from '../../pictures/specs.js';
import { renderSvg } from '../../pictures/render.js';
import { reportHtml } from '../../report/html.js';
import { EXIT } from '../exitCodes.js';
import { loadProgramText, parseBounds, parseMaxParams, STDIN } from '../inputs.js';
import { progressBar } from '../progress.js';
import { failWith, makeOutput } from '../report.js';

export interface ReportOptions {
  readonly vocab?: string;
  readonly maxLen?: string;
  readonly causal?: boolean;
  readonly method?: string;
  readonly output: string;
  readonly maxParams?: string;
  readonly json?: boolean;
}

const METHODS: readonly Method[] = ['auto', 'exhaustive', 'lemmas'];

/** `raspc report PROG --vocab ... --max-len N -o report.html`: compile, verify, one HTML file. */
export const reportCommand = async (path: string, options: ReportOptions): Promise<number> => {
  const out = makeOutput(options.json ?? false);
  const method = (options.method ?? 'auto') as Method;
  if (!METHODS.includes(method)) return failWith(out, [diagnostic('cli/method', `unknown method '${options.method}' for a report`, { fix: `use one of ${METHODS.join(', ')}` })]);
  // -o - writes the page to standard output (and the summary line to standard error)
  const toStdout = options.output === STDIN;
  if (toStdout && out.json) {
    return failWith(out, [diagnostic('cli/output', '-o - and --json would both write to standard output', { fix: 'drop --json, or write the page to a file' })]);
  }
  const maxParams = parseMaxParams(options.maxParams);
  if (Either.isLeft(maxParams)) return failWith(out, maxParams.left);
  const loaded = loadProgramText(path);
  if (Either.isLeft(loaded)) return failWith(out, loaded.left);
  const program = loaded.right.program;
  const bounds = parseBounds(options.vocab, options.maxLen, options.causal ?? false);
  if (Either.isLeft(bounds)) return failWith(out, bounds.left);
  const bar = progressBar('verifying', !out.json);
  const result = await verify(program, bounds.right, { method, onProgress: bar.update, compileOptions: { maxParams: maxParams.right } });
  bar.stop();
  if (Either.isLeft(result)) return failWith(out, result.left);
  const { model, certificate } = result.right;
  const printed = (): string => {
    const text = printProgram(program);
    return Either.isRight(text) ? text.right : '(this program has opaque functions and cannot be printed)';
  };
  const programText = path.endsWith('.rasp') || path === STDIN ? loaded.right.text : printed();
  const vocab = bounds.right.vocab;
  const exampleInput = Array.from({ length: Math.min(bounds.right.maxLen, 4) }, (_, i) => showValue(vocab[(i * 3 + 1) % vocab.length] as never)).join(' ');
  const html = reportHtml({ title: path === STDIN ? 'stdin' : basename(path), programText, model, certificate, dagSvg: await renderSvg(dagSpec(model)), exampleInput });
  try {
    if (toStdout) process.stdout.write(html);
    else writeFileSync(options.output, html);
  } catch (e) {
    return failWith(out, [diagnostic('io/write', `cannot write ${options.output}: ${(e as Error).message}`, { fix: 'check the output path' })]);
  }
  out.result({ file: options.output, verdict: certificate.verdict, bytes: html.length });
  const summary = `wrote ${toStdout ? 'the page to standard output' : options.output} (${(html.length / 1024).toFixed(0)} KiB; certificate: ${certificate.verdict})`;
  if (toStdout) process.stderr.write(`${summary}\n`);
  else out.info(summary);
  return EXIT.ok;
};
