/**
 * Formal-language tasks, all regular: a DFA over the task's symbols; positive strings of a length
 * drawn uniformly, loss at `<bos>` and every symbol against the set of symbols that keep the prefix
 * alive (task.ts).
 */
import * as Either from 'fp-ts/lib/Either.js';
import type { Diagnostic } from '../diagnostics.js';
import { noLength, specials, type Example, type Task } from './task.js';
import { at } from '../util/at.js';

/** A DFA: state 0 starts; `delta[state][symbol]` is the next state or −1 (reject). */
export interface Dfa {
  readonly symbols: readonly string[];
  readonly delta: readonly (readonly number[])[];
  readonly accepting: readonly boolean[];
}

/** The state reached from the start by `word` (symbol ids), −1 when rejected on the way. */
export const runDfa = (dfa: Dfa, word: readonly number[]): number => {
  let state = 0;
  for (const s of word) {
    if (state < 0) return -1;
    state = at(at(dfa.delta, state), s);
  }
  return state;
};

/** States from which some accepting state is reachable. */
const liveStates = (dfa: Dfa): boolean[] => {
  const live = [...dfa.accepting];
  let changed = true;
  while (changed) {
    changed = false;
    dfa.delta.forEach((row, q) => {
      if (!live[q] && row.some((r) => r >= 0 && live[r])) {
        live[q] = true;
        changed = true;
      }
    });
  }
  return live;
};

export const languageTask = (name: string, dfa: Dfa): Task => {
  const sp = specials(dfa.symbols);
  const k = dfa.symbols.length;
  const states = dfa.delta.length;
  const live = liveStates(dfa);
  // completions[m][q]: the number of words of length m leading from q to acceptance (as doubles:
  // exact enough for sampling weights up to the lengths trained here).
  const completions: number[][] = [dfa.accepting.map((a) => (a ? 1 : 0))];
  const completionsUpTo = (m: number): void => {
    while (completions.length <= m) {
      const prev = at(completions, completions.length - 1);
      completions.push(
        Array.from({ length: states }, (_, q) =>
          at(dfa.delta, q).reduce((sum, r) => sum + (r >= 0 ? at(prev, r) : 0), 0),
        ),
      );
    }
  };
  const hasLength = (n: number): boolean => {
    if (!Number.isInteger(n) || n < 0) return false;
    completionsUpTo(n);
    return at(at(completions, n), 0) > 0;
  };
  const nextSet = (state: number): number[] => {
    const set = new Array<number>(sp.vocab.length).fill(0);
    for (let s = 0; s < k; s++) {
      const r = at(at(dfa.delta, state), s);
      if (r >= 0 && at(live, r)) set[s] = 1;
    }
    if (at(dfa.accepting, state)) set[sp.eos] = 1;
    return set;
  };
  const generate = (random: () => number, n: number): Either.Either<Diagnostic, Example> => {
    if (!hasLength(n)) return Either.left(noLength(name, n));
    const word: number[] = [];
    const nextSets: number[][] = [nextSet(0)];
    let state = 0;
    for (let left = n; left > 0; left--) {
      const reachable = at(completions, left - 1);
      const weights = at(dfa.delta, state).map((r) => (r >= 0 ? at(reachable, r) : 0));
      const total = weights.reduce((a, b) => a + b, 0);
      let u = random() * total;
      let pick = weights.findIndex((w) => w > 0);
      for (const [s, w] of weights.entries()) {
        if (w <= 0) continue;
        pick = s;
        if (u < w) break;
        u -= w;
      }
      word.push(pick);
      state = at(at(dfa.delta, state), pick);
      nextSets.push(nextSet(state));
    }
    const tokens = [sp.bos, ...word, sp.eos];
    const lossPositions = Array.from({ length: n + 1 }, (_, i) => i);
    return Either.right({ tokens, lossPositions, targets: [], nextSets });
  };
  return { name, kind: 'language', symbols: dfa.symbols, ...sp, hasLength, generate };
};

/** Builds a DFA from a transition function over states 0 … states−1 (−1 rejects). */
export const dfaOf = (
  symbols: readonly string[],
  states: number,
  step: (state: number, symbol: number) => number,
  accepting: (state: number) => boolean,
): Dfa => ({
  symbols,
  delta: Array.from({ length: states }, (_, q) => symbols.map((_, s) => step(q, s))),
  accepting: Array.from({ length: states }, (_, q) => accepting(q)),
});
