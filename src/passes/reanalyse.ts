import * as Either from 'fp-ts/lib/Either.js';
import type { SOp } from '../ast/program.js';
import type { Diagnostic } from '../diagnostics.js';
import { analyse, type Analysed } from '../typecheck/typecheck.js';

/** After a rewrite: the analysis unchanged when the rewrite returned the same program object, else analysed afresh. */
export const reanalysedAfter = (a: Analysed, rewritten: SOp): Either.Either<readonly Diagnostic[], Analysed> =>
  rewritten === a.program ? Either.right(a) : analyse(rewritten, a.bounds);
