/** Small checked programs for the unit tests of the passes. */
import * as Either from 'fp-ts/lib/Either.js';
import * as D from '../../../src/ast/dsl.js';
import * as E from '../../../src/ast/expr.js';
import type { SOp } from '../../../src/ast/program.js';
import type { Value } from '../../../src/ast/value.js';
import { allocate, type Allocation } from '../../../src/passes/allocate.js';
import { lower, type LoweredProgram } from '../../../src/passes/lower.js';
import { checkProgram } from '../../../src/passes/pipeline.js';
import { printProgram } from '../../../src/ast/printer.js';
import type { Recheck } from '../../../src/passes/pass.js';
import type { TypedProgram } from '../../../src/typecheck/typecheck.js';
import { bounds } from '../../support/check.js';

export const right = <A>(e: Either.Either<readonly { message: string }[], A>): A => {
  if (Either.isLeft(e)) throw new Error(e.left.map((d) => d.message).join('; '));
  return e.right;
};

export const checked = (p: SOp, vocab: readonly Value[] = [1, 2], maxLen = 2, normaliseSelectors = false): TypedProgram =>
  right(checkProgram(p, bounds(vocab, maxLen), { normaliseSelectors }));

export const lowered = (p: SOp, vocab: readonly Value[] = [1, 2], maxLen = 2): LoweredProgram => right(lower(checked(p, vocab, maxLen)));

export const allocated = (l: LoweredProgram): Allocation => right(allocate(l));

/** `inc = map(x -> x + 1, tokens)` */
export const inc = D.named(D.map(D.lambda(['x'], E.binary('+', E.v('x'), E.lit(1))), D.tokens), 'inc');
/** `copy = aggregate(select(indices, indices, ==), tokens)` */
export const copy = D.named(D.aggregate(D.select(D.indices, D.indices, D.EQ), D.tokens), 'copy');

/** The program as raspc source text. */
export const source = (p: SOp): string => right(printProgram(p));

/** What fuse and absorb re-run on their result in the pipeline. */
export const recheck: Recheck = (p, b) => checkProgram(p, b, { normaliseSelectors: false });
