import { writeFileSync } from 'node:fs';
import * as Either from 'fp-ts/lib/Either.js';
import { diagnostic } from '../../diagnostics.js';
import { decompileModel, type DecompileFormat } from '../../decompile/decompileModel.js';
import { EXIT } from '../exitCodes.js';
import { failWith, makeOutput, warn } from '../report.js';

export interface DecompileOptions {
  readonly format?: string;
  readonly output?: string;
  readonly json?: boolean;
}

/** `raspc decompile DIR [--format rasp|drasp] [-o FILE]`. */
export const decompileCommand = (dir: string, options: DecompileOptions): number => {
  const out = makeOutput(options.json ?? false);
  const format = options.format ?? 'rasp';
  if (format !== 'rasp' && format !== 'drasp') {
    return failWith(out, [diagnostic('cli/bad-format', `unknown decompile format "${format}"`, { fix: 'use rasp or drasp' })]);
  }
  const r = decompileModel(dir, format as DecompileFormat);
  if (Either.isLeft(r)) return failWith(out, r.left);
  warn(out, r.right.warnings);
  if (options.output !== undefined) {
    try {
      writeFileSync(options.output, r.right.text.endsWith('\n') ? r.right.text : `${r.right.text}\n`);
    } catch (e) {
      return failWith(out, [diagnostic('io/write', `cannot write ${options.output}: ${(e as Error).message}`, { fix: 'check the output path' })]);
    }
  }
  out.result({ format, kind: r.right.kind, size: r.right.size, notes: r.right.notes, ...(options.output ? { file: options.output } : { program: r.right.text }) });
  if (options.output === undefined) out.info(r.right.text);
  else out.info(`wrote ${options.output} (${format === 'rasp' ? `${r.right.size} operations` : `${r.right.size} paths`})`);
  return EXIT.ok;
};
