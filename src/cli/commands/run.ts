import * as Either from 'fp-ts/lib/Either.js';
import { showValue, valueToJson } from '../../ast/value.js';
import { diagnostic } from '../../diagnostics.js';
import { evaluate, formatEvalError } from '../../interpreter/evaluate.js';
import { checkInput } from '../../typecheck/bounds.js';
import { EXIT } from '../exitCodes.js';
import { loadProgram, parseBounds, parseInput, parseMaxLen } from '../inputs.js';
import { failWith, makeOutput } from '../report.js';

export interface RunOptions {
  readonly input: string;
  readonly json?: boolean;
  readonly causal?: boolean;
  readonly vocab?: string;
  readonly maxLen?: string;
}

/** `raspc run PROG --input "a b c"`: interpret the program on one input. */
export const runCommand = (path: string, options: RunOptions): number => {
  const out = makeOutput(options.json ?? false);
  const program = loadProgram(path);
  if (Either.isLeft(program)) return failWith(out, program.left);
  const input = parseInput(options.input);
  if (Either.isLeft(input)) return failWith(out, input.left);
  if (options.vocab !== undefined) {
    const bounds = parseBounds(options.vocab, options.maxLen ?? String(input.right.length), options.causal ?? false);
    if (Either.isLeft(bounds)) return failWith(out, bounds.left);
    const problems = checkInput(input.right, bounds.right);
    if (problems.length > 0) return failWith(out, problems);
  } else if (options.maxLen !== undefined) {
    // --max-len alone checks the length
    const maxLen = parseMaxLen(options.maxLen);
    if (Either.isLeft(maxLen)) return failWith(out, [maxLen.left]);
    if (input.right.length > maxLen.right) {
      return failWith(out, [
        diagnostic('input/too-long', `the input has ${input.right.length} tokens, more than the max length ${maxLen.right}`, {
          fix: `shorten the input or raise --max-len to ${input.right.length}`,
        }),
      ]);
    }
  }
  const result = evaluate(program.right, input.right, { causal: options.causal ?? false });
  if (Either.isLeft(result)) {
    return failWith(out, [
      diagnostic('eval/' + result.left.kind, formatEvalError(result.left), {
        where: `${path}: input position ${result.left.position}`,
      }),
    ]);
  }
  out.result({ output: result.right.map(valueToJson) });
  out.info(result.right.map(showValue).join(' '));
  return EXIT.ok;
};
