/**
 * Random well-typed RASP programs for property tests and the fuzzer (docs/fuzzing.md).
 *
 * A program is generated as a list of instructions, each building one node from earlier nodes of
 * the right kind (so shared sub-programs occur naturally and every program is well formed by
 * construction; some break a compilability rule on purpose, so the checker has something to
 * refuse); lambda bodies are random expression trees built with `fc.letrec`. Shrinking
 * drops instructions and simplifies constants, giving small counterexamples.
 *
 * What the instructions cover: categorical maps by expression or by random table (tokens → ints,
 * tokens → tokens, small ints → ints/bools/tokens), sequence maps (int × int, token × int,
 * token × token, numerical × categorical, numerical × numerical), constants (`full`), selects
 * with every comparison and lambda predicates,
 * composite selectors (&, |, !), categorical aggregates (some with selectors that pick one key,
 * some whose selected keys agree by construction, defaults None or not), numerical means (of
 * categorical s-ops made numerical, of numerical maps, of means), selector widths, numerical
 * chains (numerical maps of numerical s-ops, linear_sequence_map, categorical maps of numerical
 * s-ops), numerical queries (`select(indices, numerical(length - indices - 1), ==)`), and things
 * the checker refuses (numerical keys, means of strings, None numerical defaults, encodings that
 * do not match), over random vocabularies (2..4 strings or small integers) and bounds (max length
 * 1..6, causal or not).
 */
import fc from 'fast-check';
import * as Either from 'fp-ts/lib/Either.js';
import { printProgram } from '../src/ast/printer.js';
import { isSOp, SOP_KINDS, topologicalOrder, type SOp } from '../src/ast/program.js';
import { showValue, type Value } from '../src/ast/value.js';
import { buildProgram } from './buildProgram.js';
import { instruction } from './instructions.js';

export interface RandomProgram {
  readonly program: SOp;
  readonly vocab: readonly Value[];
  readonly maxLen: number;
  readonly causal: boolean;
}

/** Random vocabularies: 2..4 distinct strings or small integers (in random order). */
const vocabulary: fc.Arbitrary<readonly Value[]> = fc.oneof(
  fc.uniqueArray(fc.constantFrom<Value>('a', 'b', 'c', 'd', 'x', 'y', 'z'), { minLength: 2, maxLength: 4 }),
  fc.uniqueArray(fc.integer({ min: -1, max: 7 }), { minLength: 2, maxLength: 4 }),
);

/** `.rasp` text and bounds of a random program (how fast-check and the fuzzer show counterexamples). */
export const describeProgram = (p: RandomProgram): string => {
  const text = printProgram(p.program);
  const body = Either.isRight(text) ? text.right : `<unprintable: ${text.left.map((d) => d.message).join('; ')}>`;
  return `# vocab {${p.vocab.map(showValue).join(', ')}}, max length ${p.maxLen}${p.causal ? ', causal' : ''}\n${body}`;
};

const withToString = (p: RandomProgram): RandomProgram =>
  Object.defineProperty(p, fc.toStringMethod, { value: () => `\n${describeProgram(p)}\n`, enumerable: false });

export interface RandomProgramOptions {
  readonly maxInstructions?: number;
  /** Max lengths are drawn from 1..maxLen (default 6). */
  readonly maxLen?: number;
  readonly prefixClosed?: boolean;
}

/** A random program over a random vocabulary and bounds. */
export const randomProgram = (options: RandomProgramOptions = {}): fc.Arbitrary<RandomProgram> =>
  fc
    .record({
      vocab: vocabulary,
      instructions: fc.array(instruction, { minLength: 1, maxLength: options.maxInstructions ?? 10, size: 'medium' }),
      maxLen: fc.integer({ min: 1, max: options.maxLen ?? 6 }),
      causal: fc.boolean(),
    })
    .map(({ vocab, instructions, maxLen, causal }) =>
      withToString({
        program: buildProgram(vocab, instructions, options.prefixClosed ?? false),
        vocab,
        maxLen,
        causal,
      }),
    );

/** A random input within the bounds of a random program. */
export const inputFor = (p: RandomProgram): fc.Arbitrary<Value[]> =>
  fc.array(fc.constantFrom(...p.vocab), { minLength: 1, maxLength: p.maxLen });

/**
 * Random inputs independent of the program (so they shrink on their own): token choices, each
 * resolved against a program's bounds by {@link resolveInput}.
 */
export const rawInputs = (maxInputs: number, maxLen = 6): fc.Arbitrary<number[][]> =>
  fc.array(fc.array(fc.nat({ max: 3 }), { minLength: 1, maxLength: maxLen }), { maxLength: maxInputs });

/** A raw input as an input within the bounds: cut to the max length, token i mod the vocabulary. */
export const resolveInput = (p: RandomProgram, raw: readonly number[]): Value[] =>
  raw.slice(0, p.maxLen).map((i) => p.vocab[i % p.vocab.length] as Value);

/**
 * The inputs a program is checked on: every input of length 1..L for the largest L whose count
 * fits `exhaustiveBudget` (short inputs are where Nones, empty selections and defaults live),
 * then the random ones.
 */
export const programInputs = (p: RandomProgram, raw: readonly (readonly number[])[], exhaustiveBudget: number): Value[][] => {
  const out: Value[][] = [];
  let layer: Value[][] = [[]];
  for (let n = 1; n <= p.maxLen; n++) {
    const next = layer.flatMap((prefix) => p.vocab.map((t) => [...prefix, t]));
    if (out.length + next.length > exhaustiveBudget) break;
    out.push(...next);
    layer = next;
  }
  return [...out, ...raw.map((r) => resolveInput(p, r))];
};


/** Every s-op kind with each encoding, e.g. `linearSequenceMap:categorical`: what the generator must cover. */
export const ENCODED_KINDS: readonly string[] = SOP_KINDS.flatMap((kind) => [`${kind}:categorical`, `${kind}:numerical`]);

/** The (kind, encoding) pairs of a program's s-ops, each once. */
export const encodedKindsOf = (program: SOp): string[] => [
  ...new Set(topologicalOrder([program]).filter(isSOp).map((n) => `${n.kind}:${(n as SOp).encoding}`)),
];
