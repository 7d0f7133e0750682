import * as Either from 'fp-ts/lib/Either.js';
import { showValue, valueToJson, type Value } from '../../ast/value.js';
import { diagnostic } from '../../diagnostics.js';
import { isUndecodable } from '../../model/decode.js';
import { runModel } from '../../model/run.js';
import { EXIT } from '../exitCodes.js';
import { loadCompiledModel } from '../loadModel.js';
import { parseInput } from '../inputs.js';
import { failWith, makeOutput } from '../report.js';

export interface EvalOptions {
  readonly input: string;
  readonly json?: boolean;
}

/** `raspc eval DIR --input "a b c"`: run the compiled model and decode its output. */
export const evalCommand = (dir: string, options: EvalOptions): number => {
  const out = makeOutput(options.json ?? false);
  const model = loadCompiledModel(out, dir);
  if (Either.isLeft(model)) return failWith(out, model.left);
  const input = parseInput(options.input);
  if (Either.isLeft(input)) return failWith(out, input.left);
  const decoded = runModel(model.right, input.right);
  if (Either.isLeft(decoded)) return failWith(out, decoded.left);
  const bad = decoded.right.findIndex(isUndecodable);
  if (bad >= 0) {
    return failWith(out, [
      diagnostic('model/undecodable', `the model's output at position ${bad} matches no output value`, {
        fix: 'the model files may be damaged; recompile and run `raspc verify`',
      }),
    ]);
  }
  const values = decoded.right as Value[];
  out.result({ output: values.map(valueToJson) });
  out.info(values.map(showValue).join(' '));
  return EXIT.ok;
};
