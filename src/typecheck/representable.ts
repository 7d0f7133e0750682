import { numbersClose, showValue, toNumber, valueLiteral, type Value } from '../ast/value.js';
import type { SOp } from '../ast/program.js';
import type { ValueSet } from './valueSet.js';

/**
 * Which values a model can carry. A compiled model holds each value as a one-hot direction or as
 * one real number, and the checker, the decoder and the verifier tell values apart by the value
 * tolerance (relative 1e-9, docs/semantics.md). NaN equals nothing (not even itself), ±inf breaks
 * every weight it touches, integers beyond ±(2^53 − 1) are not exact in a double, and two distinct
 * integers within the tolerance would be one value to the model but two to the interpreter.
 */
export const UNREPRESENTABLE_FIX =
  'keep the values finite and of moderate size: guard divisions, clamp with min/max, or scale the numbers down';

/** Why one value cannot be carried, or undefined. */
export const unrepresentableValue = (v: Value): string | undefined => {
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NaN, which equals no value (not even itself)';
    if (!Number.isFinite(v)) return `${valueLiteral(v)}, which no finite weight can carry`;
    if (Math.abs(v) > Number.MAX_SAFE_INTEGER) return `${showValue(v)}, beyond ±(2^53 − 1), where doubles do not hold integers exactly`;
  }
  if (Array.isArray(v)) {
    for (const x of v) {
      const r = unrepresentableValue(x);
      if (r !== undefined) return r;
    }
  }
  return undefined;
};

/** Two distinct integers the value tolerance treats as one value. */
export const mergedIntegers = (a: Value, b: Value): boolean =>
  typeof a === 'number' && typeof b === 'number' && Number.isInteger(a) && Number.isInteger(b) && a !== b && numbersClose(a, b);

const mergedMessage = ([a, b]: readonly [Value, Value]): string =>
  `${showValue(a)} and ${showValue(b)}, which are distinct but closer than the value tolerance (relative 1e-9): no model tells them apart`;

/** What is wrong with a value set (the first problem), or undefined. */
export const unrepresentableSet = (set: ValueSet): string | undefined => {
  for (const v of set.values) {
    const r = unrepresentableValue(v);
    if (r !== undefined) return `the s-op may take the value ${r}`;
  }
  return set.merged === undefined ? undefined : `the s-op may take the values ${mergedMessage(set.merged)}`;
};

/** Distinct integer tokens the tolerance would merge (sorted numerically), or undefined. */
export const mergedTokens = (tokens: readonly Value[]): string | undefined => {
  const numbers = tokens.filter((t) => typeof t === 'number' && Number.isFinite(t)).map((t) => toNumber(t as number)).sort((a, b) => a - b);
  for (let i = 1; i < numbers.length; i++) {
    const [a, b] = [numbers[i - 1] as number, numbers[i] as number];
    if (mergedIntegers(a, b)) return mergedMessage([a, b]);
    if (a !== b && numbersClose(a, b)) return `${showValue(a)} and ${showValue(b)}, which are closer than the value tolerance (relative 1e-9): no model tells them apart`;
  }
  return undefined;
};

/**
 * A constant the construction writes into the weights whether or not it ever reaches a value set:
 * an aggregate's default (written from BOS) and a linear sequence map's coefficients.
 */
export const unrepresentableConstant = (node: SOp): string | undefined => {
  if (node.kind === 'aggregate') {
    const r = unrepresentableValue(node.default);
    return r === undefined ? undefined : `the default is ${r}`;
  }
  if (node.kind === 'linearSequenceMap') {
    for (const [which, c] of [['first', node.fstCoeff], ['second', node.sndCoeff]] as const) {
      const r = unrepresentableValue(c);
      if (r !== undefined) return `the ${which} coefficient is ${r}`;
    }
  }
  return undefined;
};
