import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as Either from 'fp-ts/lib/Either.js';
import { diagnostic } from '../../diagnostics.js';
import { EXPORT_FORMATS, exportFiles, isExportFormat } from '../../export/index.js';
import { EXIT } from '../exitCodes.js';
import { refuseStdout } from '../inputs.js';
import { loadCompiledModel } from '../loadModel.js';
import { failWith, makeOutput } from '../report.js';

export interface ExportOptions {
  readonly format: string;
  readonly output: string;
  readonly json?: boolean;
}

/** `raspc export DIR --format tl|onnx|json -o OUT`: a compiled model in another format. */
export const exportCommand = (dir: string, options: ExportOptions): number => {
  const out = makeOutput(options.json ?? false);
  const format = options.format;
  const target = refuseStdout('-o', options.output, 'an export directory', 'give a directory, e.g. -o out/model-tl');
  if (target.length > 0) return failWith(out, target);
  if (!isExportFormat(format)) {
    return failWith(out, [diagnostic('cli/bad-format', `unknown export format "${format}"`, { fix: `use one of ${EXPORT_FORMATS.join(', ')}` })]);
  }
  const model = loadCompiledModel(out, dir);
  if (Either.isLeft(model)) return failWith(out, model.left);
  const files = exportFiles(model.right, format);
  const written: string[] = [];
  try {
    mkdirSync(options.output, { recursive: true });
    for (const [name, bytes] of Object.entries(files)) {
      const path = join(options.output, name);
      writeFileSync(path, bytes);
      written.push(path);
    }
  } catch (e) {
    return failWith(out, [diagnostic('io/write', `cannot write to ${options.output}: ${(e as Error).message}`, { fix: 'check the output directory' })]);
  }
  out.result({ format, files: written });
  out.info(`wrote ${written.join(', ')}`);
  return EXIT.ok;
};
