import { writeFileSync } from 'node:fs';
import * as Either from 'fp-ts/lib/Either.js';
import { diagnostic } from '../../diagnostics.js';
import { decompileModel, type DecompileFormat } from '../../decompile/decompileModel.js';
import { EXIT } from '../exitCodes.js';
import { STDIN } from '../inputs.js';
import { failWith, makeOutput, warn } from '../report.js';

export interface DecompileOptions {
  readonly format?: string;
  readonly output?: string;
  readonly json?: boolean;
  // the --prune options, refused here (they would be ignored)
  readonly lambda?: string;
  readonly task?: string;
  readonly pruneSteps?: string;
  readonly samples?: string;
  readonly componentsOnly?: boolean;
  readonly normFit?: boolean;
  readonly heatmaps?: string;
}

const PRUNE_ONLY: readonly [keyof DecompileOptions, string][] = [
  ['lambda', '--lambda'],
  ['task', '--task'],
  ['pruneSteps', '--prune-steps'],
  ['samples', '--samples'],
  ['componentsOnly', '--components-only'],
  ['heatmaps', '--heatmaps'],
];

/** `raspc decompile DIR [--format rasp|drasp] [-o FILE]`. */
export const decompileCommand = (dir: string, options: DecompileOptions): number => {
  const out = makeOutput(options.json ?? false);
  const pruneOnly = [...PRUNE_ONLY.filter(([key]) => options[key] !== undefined).map(([, flag]) => flag), ...(options.normFit === false ? ['--no-norm-fit'] : [])];
  if (pruneOnly.length > 0) {
    return failWith(out, [diagnostic('cli/unused-option', `${pruneOnly.join(', ')} only appl${pruneOnly.length === 1 ? 'ies' : 'y'} with --prune`, { fix: 'add --prune, or drop the option' })]);
  }
  const format = options.format ?? 'rasp';
  if (format !== 'rasp' && format !== 'drasp') {
    return failWith(out, [diagnostic('cli/bad-format', `unknown decompile format "${format}"`, { fix: 'use rasp or drasp' })]);
  }
  const r = decompileModel(dir, format as DecompileFormat);
  if (Either.isLeft(r)) return failWith(out, r.left);
  warn(out, r.right.warnings);
  // -o - is standard output, as without -o
  const file = options.output === STDIN ? undefined : options.output;
  if (file !== undefined) {
    try {
      writeFileSync(file, r.right.text.endsWith('\n') ? r.right.text : `${r.right.text}\n`);
    } catch (e) {
      return failWith(out, [diagnostic('io/write', `cannot write ${options.output}: ${(e as Error).message}`, { fix: 'check the output path' })]);
    }
  }
  out.result({ format, kind: r.right.kind, size: r.right.size, notes: r.right.notes, ...(file ? { file } : { program: r.right.text }) });
  if (file === undefined) out.info(r.right.text);
  else out.info(`wrote ${file} (${format === 'rasp' ? `${r.right.size} operations` : `${r.right.size} paths`})`);
  return EXIT.ok;
};
