/** The formal languages of the decompiler paper: Tomita 1–7, bounded Dyck-1 and small regular languages. */
import { dfaOf, languageTask } from './dfa.js';
import type { Task } from './task.js';
import { at } from '../util/at.js';

const BIN = ['0', '1'];

/** Tomita 1: 1*. */
export const tomita1 = (): Task => languageTask('tomita1', dfaOf(BIN, 1, (_q, s) => (s === 1 ? 0 : -1), () => true));

/** Tomita 2: (10)*. States: 0 = even (accepting), 1 = after a 1. */
export const tomita2 = (): Task =>
  languageTask('tomita2', dfaOf(BIN, 2, (q, s) => (q === 0 ? (s === 1 ? 1 : -1) : s === 0 ? 0 : -1), (q) => q === 0));

/**
 * Tomita 3: no odd-length block of 1s directly followed (after its block) by an odd-length block of
 * 0s. States: 0 = safe, 1 = inside an odd run of 1s, 2 = inside an even run of 1s (safe),
 * 3 = an odd run of 0s after an odd run of 1s, 4 = an even run of 0s after an odd run of 1s.
 */
export const tomita3 = (): Task =>
  languageTask(
    'tomita3',
    dfaOf(
      BIN,
      5,
      (q, s) => {
        const table = [
          [0, 1],
          [3, 2],
          [0, 1],
          [4, -1],
          [3, 1],
        ];
        return at(at(table, q), s);
      },
      (q) => q !== 3,
    ),
  );

/** Tomita 4: no 000 substring. State = the length of the trailing run of 0s (0 … 2). */
export const tomita4 = (): Task =>
  languageTask('tomita4', dfaOf(BIN, 3, (q, s) => (s === 1 ? 0 : q === 2 ? -1 : q + 1), () => true));

/** Tomita 5: an even number of 0s and an even number of 1s. State = 2·(#0 mod 2) + (#1 mod 2). */
export const tomita5 = (): Task =>
  languageTask('tomita5', dfaOf(BIN, 4, (q, s) => q ^ (s === 0 ? 2 : 1), (q) => q === 0));

/** Tomita 6: #0 − #1 ≡ 0 (mod 3). */
export const tomita6 = (): Task =>
  languageTask('tomita6', dfaOf(BIN, 3, (q, s) => (s === 0 ? (q + 1) % 3 : (q + 2) % 3), (q) => q === 0));

/** Tomita 7: 0*1*0*1*. State = the number of blocks begun (0s, 1s, 0s, 1s). */
export const tomita7 = (): Task =>
  languageTask(
    'tomita7',
    dfaOf(
      BIN,
      4,
      (q, s) => {
        // the blocks alternate 0,1,0,1: a symbol stays in the current block or opens the next one
        const blockSymbol = q % 2; // block q holds symbol q % 2
        if (s === blockSymbol) return q;
        return q + 1 <= 3 ? q + 1 : -1;
      },
      () => true,
    ),
  );

/** Dyck-1 with depth ≤ `maxDepth`: balanced `( )` whose nesting never exceeds the bound. */
export const dyck1 = (maxDepth = 2): Task =>
  languageTask(
    `dyck1_d${maxDepth}`,
    dfaOf(
      ['(', ')'],
      maxDepth + 1,
      (q, s) => (s === 0 ? (q < maxDepth ? q + 1 : -1) : q > 0 ? q - 1 : -1),
      (q) => q === 0,
    ),
  );

/** (a^period)*: strings of a's whose length is a multiple of `period` ((aa)*, (aaaa)*). */
export const aPeriodStar = (period: number): Task =>
  languageTask(
    period === 2 ? 'aastar' : period === 4 ? 'aaaastar' : `a${period}star`,
    dfaOf(['a'], period, (q) => (q + 1) % period, (q) => q === 0),
  );

/** (abab)*. */
export const ababStar = (): Task =>
  languageTask('ababstar', dfaOf(['a', 'b'], 4, (q, s) => (s === q % 2 ? (q + 1) % 4 : -1), (q) => q === 0));

/** a⁺b⁺c⁺d⁺e⁺. State q ≥ 1: inside the block of symbol q − 1. */
export const abcde = (): Task =>
  languageTask(
    'abcde',
    dfaOf(['a', 'b', 'c', 'd', 'e'], 6, (q, s) => (s === q - 1 && q >= 1 ? q : s === q ? q + 1 : -1), (q) => q === 5),
  );

/** {a,b}*d{b,c}*. State 0: before the d; state 1: after it. */
export const abDbc = (): Task =>
  languageTask(
    'ab_d_bc',
    dfaOf(
      ['a', 'b', 'c', 'd'],
      2,
      (q, s) => {
        if (q === 0) return s === 0 || s === 1 ? 0 : s === 3 ? 1 : -1;
        return s === 1 || s === 2 ? 1 : -1;
      },
      (q) => q === 1,
    ),
  );
