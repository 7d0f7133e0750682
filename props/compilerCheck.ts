/** The compiler properties, shared by props/compiler.test.ts and scripts/fuzz.ts (docs/fuzzing.md). */
import * as Either from 'fp-ts/lib/Either.js';
import { showValue, valuesClose, type Value } from '../src/ast/value.js';
import type { Diagnostic } from '../src/diagnostics.js';
import { evaluate } from '../src/interpreter/evaluate.js';
import { isUndecodable, type Decoded } from '../src/model/decode.js';
import { modelFiles } from '../src/model/files.js';
import { PreparedModel } from '../src/model/forward.js';
import { runModel } from '../src/model/run.js';
import { compile } from '../src/passes/compile.js';
import { makeBounds } from '../src/typecheck/bounds.js';
import { checkSize } from '../src/typecheck/sizeEstimate.js';
import { typecheck } from '../src/passes/compile.js';
import type { TypedProgram } from '../src/typecheck/typecheck.js';
import type { RandomProgram } from './arbitraries.js';

// ---- the compiler properties, shared by props/compiler.test.ts and scripts/fuzz.ts ----

/** Why a random program is a counterexample. */
export interface CompilerFailure {
  /**
   * acceptance: the checker and the compiler disagree on whether the program compiles;
   * agreement: the model's decoded output differs from the interpreter's (or is undecodable);
   * determinism: two compilations give different files; crash: something threw.
   */
  readonly property: 'acceptance' | 'agreement' | 'determinism' | 'crash';
  readonly message: string;
  readonly input?: readonly Value[];
}

export interface CompilerCheck {
  readonly typechecked: boolean;
  /** The checker's diagnostic codes when it rejects the program. */
  readonly rejectedBy: readonly string[];
  readonly compiled: boolean;
  /** Inputs on which the model's output was compared with the interpreter's. */
  readonly compared: number;
  readonly failure?: CompilerFailure;
}

export interface CompilerCheckOptions {
  /** typecheck fails exactly when compile fails (default true). */
  readonly acceptance?: boolean;
  /** The compiled model agrees with the interpreter on the inputs (default true). */
  readonly agreement?: boolean;
  /** Compiling twice gives byte-identical model files (default false). */
  readonly determinism?: boolean;
  /** Passed to `compile` (default true): false skips the variants, fusion, absorption and the representation search. */
  readonly optimise?: boolean;
}

const messages = (ds: readonly Diagnostic[]): string => ds.map((d) => `${d.code}${d.node ? ` (${d.node})` : ''}: ${d.message}`).join('; ');

const showDecoded = (xs: readonly Decoded[]): string =>
  xs.map((d) => (isUndecodable(d) ? `<undecodable ${d.logits.map((l) => l.toPrecision(4)).join(',')}>` : showValue(d))).join(' ');

const sameFiles = (a: Record<string, Uint8Array>, b: Record<string, Uint8Array>): string | undefined => {
  const names = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return names.find((n) => {
    const x = a[n];
    const y = b[n];
    return x === undefined || y === undefined || Buffer.compare(Buffer.from(x), Buffer.from(y)) !== 0;
  });
};

/**
 * Checks one random program against the compiler: acceptance (typecheck ⇔ compile), agreement
 * (compile ∘ forward ∘ decode ≡ interpret on each input the interpreter succeeds on, with no
 * undecodable position) and determinism (byte-identical files). Never throws: an exception is a
 * `crash` failure.
 */
export const checkCompiler = (p: RandomProgram, inputs: readonly (readonly Value[])[], options: CompilerCheckOptions = {}): CompilerCheck => {
  const bounds = makeBounds(p.vocab, p.maxLen, p.causal);
  if (Either.isLeft(bounds)) throw new Error(`generator produced bad bounds: ${messages(bounds.left)}`);
  let stage = 'typecheck';
  let typechecked = false;
  let rejectedBy: readonly string[] = [];
  let compiled = false;
  let compared = 0;
  const result = (failure?: CompilerFailure): CompilerCheck => ({ typechecked, rejectedBy, compiled, compared, ...(failure ? { failure } : {}) });
  let input: readonly Value[] | undefined;
  try {
    // the checker as `raspc check` runs it: the rules, then the size guard compile applies
    const typed = Either.chain((t: TypedProgram) => Either.map(() => t)(checkSize(t)))(typecheck(p.program, bounds.right));
    typechecked = Either.isRight(typed);
    if (Either.isLeft(typed)) rejectedBy = [...new Set(typed.left.map((d) => d.code))];
    stage = 'compile';
    const compileOptions = { optimise: options.optimise ?? true };
    const c = compile(p.program, bounds.right, compileOptions);
    compiled = Either.isRight(c);
    if ((options.acceptance ?? true) && typechecked !== compiled) {
      return result({
        property: 'acceptance',
        message: Either.isLeft(c)
          ? `the checker accepts the program but compile fails: ${messages(c.left)}`
          : `compile succeeds but the checker rejects the program: ${Either.isLeft(typed) ? messages(typed.left) : ''}`,
      });
    }
    if (Either.isLeft(c)) return result();
    if (options.determinism ?? false) {
      stage = 'second compile';
      const again = compile(p.program, bounds.right, compileOptions);
      if (Either.isLeft(again)) return result({ property: 'determinism', message: `the second compilation failed: ${messages(again.left)}` });
      const differs = sameFiles(modelFiles(c.right.model), modelFiles(again.right.model));
      if (differs !== undefined) return result({ property: 'determinism', message: `two compilations give different ${differs}` });
    }
    if (!(options.agreement ?? true)) return result();
    stage = 'forward pass';
    const prepared = new PreparedModel(c.right.model);
    for (const i of inputs) {
      input = i;
      stage = 'interpreter';
      const want = evaluate(p.program, i, { causal: p.causal });
      if (Either.isLeft(want)) continue;
      stage = 'forward pass';
      const got = runModel(prepared, i);
      compared++;
      if (Either.isLeft(got)) return result({ property: 'agreement', message: `the model refused the input: ${messages(got.left)}`, input: i });
      const ok = got.right.length === want.right.length && got.right.every((g, j) => !isUndecodable(g) && valuesClose(g, want.right[j] as Value));
      if (!ok) {
        return result({
          property: 'agreement',
          message: `model ${showDecoded(got.right)}, interpreter ${want.right.map(showValue).join(' ')}`,
          input: i,
        });
      }
    }
    return result();
  } catch (e) {
    const message = e instanceof Error ? (e.stack ?? e.message) : String(e);
    return result({ property: 'crash', message: `${stage} threw: ${message}`, ...(input ? { input } : {}) });
  }
};

/** A failure as text: the property, the message, the input. */
export const describeFailure = (f: CompilerFailure): string =>
  `${f.property}: ${f.message}${f.input ? `\n  input: ${f.input.map(showValue).join(' ')}` : ''}`;

