import pc from 'picocolors';
import { formatDiagnostic, type Diagnostic } from '../diagnostics.js';
import { EXIT } from './exitCodes.js';

/** Where a command writes: human text, or exactly one JSON object on stdout. */
export interface Output {
  readonly json: boolean;
  /** Human-readable lines (ignored in JSON mode). */
  info(line: string): void;
  /** The one JSON object of a --json run. */
  result(value: unknown): void;
}

export const makeOutput = (json: boolean): Output => ({
  json,
  info: (line) => {
    if (!json) process.stdout.write(`${line}\n`);
  },
  result: (value) => {
    if (json) process.stdout.write(`${JSON.stringify(value)}\n`);
  },
});

/** Reports user errors (one line each, never a stack trace) and returns exit code 3. */
export const failWith = (out: Output, diagnostics: readonly Diagnostic[]): number => {
  if (out.json) {
    out.result({ ok: false, errors: diagnostics });
  } else {
    for (const d of diagnostics) process.stderr.write(`${pc.red('error')}: ${formatDiagnostic(d)}\n`);
  }
  return EXIT.error;
};

export const warn = (out: Output, diagnostics: readonly Diagnostic[]): void => {
  if (out.json) return;
  for (const d of diagnostics) process.stderr.write(`${pc.yellow('warning')}: ${formatDiagnostic({ ...d, severity: undefined })}\n`);
};
