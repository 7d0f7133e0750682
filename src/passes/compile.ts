/**
 * The compiler's search: program + bounds → weights, by the passes of src/passes/pipeline.ts.
 * Two variants of the program are checked (selectors as written, and normalised into cheaper
 * equivalents); each is optimised and the smaller model is built (a tie keeps the program as
 * written). The checker accepts what either variant accepts, so it accepts exactly what the
 * compiler can compile.
 */
import * as Either from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { programHash } from '../ast/programHash.js';
import type { SOp } from '../ast/program.js';
import type { Diagnostic } from '../diagnostics.js';
import type { Bounds } from '../typecheck/bounds.js';
import { checkSize } from '../typecheck/sizeEstimate.js';
import type { TypedProgram } from '../typecheck/typecheck.js';
import { certifyCompilation, type CertifiedCompilation, type CertifyOptions } from './certify.js';
import { smaller, type Sized } from './chooseRepresentations.js';
import type { FixedPrecision } from './lower.js';
import { build, checkProgram, optimise, type Compilation } from './pipeline.js';

export type { Compilation };

export interface CompileOptions {
  /** Fuse map chains and choose representations (default true). */
  readonly optimise?: boolean;
  /** Tracr-style fixed constants instead of derived precision (for demonstrations; see lower.ts). */
  readonly fixedPrecision?: FixedPrecision;
  /** Refuse (size/too-large) when the estimated model exceeds this many parameters (default DEFAULT_MAX_PARAMS). */
  readonly maxParams?: number;
}

export interface TypecheckOptions {
  /**
   * Check one variant only: selectors rewritten into cheaper equivalents first, or as written.
   * Left out, the checker tries as written and then normalised (as the compiler does).
   */
  readonly normaliseSelectors?: boolean;
}

/** The checker (library and CLI `check`): the front end of the pipeline, for the variants the compiler tries. */
export const typecheck = (program: SOp, bounds: Bounds, options: TypecheckOptions = {}): Either.Either<readonly Diagnostic[], TypedProgram> => {
  if (options.normaliseSelectors !== undefined) return checkProgram(program, bounds, { normaliseSelectors: options.normaliseSelectors });
  const plain = checkProgram(program, bounds, { normaliseSelectors: false });
  if (Either.isRight(plain)) return plain;
  const normalised = checkProgram(program, bounds, { normaliseSelectors: true });
  return Either.isRight(normalised) ? normalised : plain;
};

const VARIANTS = [
  { normaliseSelectors: false, notes: [] },
  { normaliseSelectors: true, notes: ['selectors rewritten into cheaper equivalents (lexicographic keys, widths of disjoint unions)'] },
] as const;

/** The smallest optimised model over the variants that check, if any optimises. */
const smallestVariant = (program: SOp, bounds: Bounds): Sized | undefined => {
  let best: Sized | undefined;
  for (const v of VARIANTS) {
    const checked = checkProgram(program, bounds, v);
    if (Either.isLeft(checked)) continue;
    const c = optimise({ typed: checked.right, notes: v.notes });
    if (Either.isRight(c) && (best === undefined || smaller(c.right, best))) best = c.right;
  }
  return best;
};

export const compile = (program: SOp, bounds: Bounds, options: CompileOptions = {}): Either.Either<readonly Diagnostic[], Compilation> => {
  // the size guard first: nothing is built for a model beyond the budget (sizeEstimate.ts)
  const guarded = pipe(typecheck(program, bounds), Either.chain((t) => checkSize(t, options.maxParams)));
  if (Either.isLeft(guarded)) return Either.left(guarded.left);
  const sourceHash = programHash(program);
  const asChecked = (notes: readonly string[]) =>
    pipe(
      typecheck(program, bounds),
      Either.chain((typed) => build({ typed, notes }, sourceHash, options.fixedPrecision)),
    );
  if (options.fixedPrecision !== undefined) {
    const fixed = options.fixedPrecision;
    return asChecked([`FIXED precision (softmax coldness ${fixed.softmaxColdness}, MLP large number ${fixed.mlpLargeNumber}), as Tracr: not derived from the bounds`]);
  }
  if (options.optimise === false) return asChecked([]);
  const best = smallestVariant(program, bounds);
  return best !== undefined ? build(best, sourceHash) : asChecked([]);
};

/** Compiles and certifies: the library's `compile` (src/index.ts). */
export const compileCertified = async (
  program: SOp,
  bounds: Bounds,
  options: CompileOptions & CertifyOptions = {},
): Promise<Either.Either<readonly Diagnostic[], CertifiedCompilation>> => {
  const compiled = compile(program, bounds, options);
  return Either.isLeft(compiled) ? compiled : certifyCompilation(program, compiled.right, options);
};
