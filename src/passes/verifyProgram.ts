/**
 * The library's and CLI's `verify`: a given model, or the program compiled here first, handed to
 * the proofs (src/proofs/verify.ts), which never compile.
 */
import * as Either from 'fp-ts/lib/Either.js';
import type { SOp } from '../ast/program.js';
import type { Diagnostic } from '../diagnostics.js';
import type { CompiledModel } from '../model/model.js';
import { verify as verifyModel, type VerifyOptions as ProofOptions, type VerifyResult } from '../proofs/verify.js';
import type { Bounds } from '../typecheck/bounds.js';
import { compile, type CompileOptions } from './compile.js';

export type { VerifyResult };

export interface VerifyOptions extends ProofOptions {
  /** Verify this model (e.g. read from a directory) instead of compiling the program. */
  readonly model?: CompiledModel;
  readonly compileOptions?: CompileOptions;
}

export const verify = async (program: SOp, bounds: Bounds, options: VerifyOptions = {}): Promise<Either.Either<readonly Diagnostic[], VerifyResult>> => {
  if (options.model !== undefined) return verifyModel(program, bounds, { kind: 'given', model: options.model }, options);
  const t0 = performance.now();
  const c = compile(program, bounds, options.compileOptions);
  const compileSeconds = (performance.now() - t0) / 1000;
  if (Either.isLeft(c)) return c;
  return verifyModel(program, bounds, { kind: 'compiled', model: c.right.model, compiledProgram: c.right.typed.program, compileSeconds }, options);
};
