import * as Either from 'fp-ts/lib/Either.js';
import type { Diagnostic } from '../diagnostics.js';
import { readModel, unverifiedWarning } from '../model/files.js';
import type { CompiledModel } from '../model/model.js';
import { warn, type Output } from './report.js';

/** Reads a compiled model directory for a command; warns (stderr) when the model is not certified. */
export const loadCompiledModel = (out: Output, dir: string): Either.Either<readonly Diagnostic[], CompiledModel> => {
  const model = readModel(dir);
  if (Either.isRight(model)) {
    const w = unverifiedWarning(dir, model.right);
    if (w !== undefined) warn(out, [w]);
  }
  return model;
};
