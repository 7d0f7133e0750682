import { fc, test } from '@fast-check/vitest';
import * as Either from 'fp-ts/lib/Either.js';
import { describe, expect } from 'vitest';
import { decodeProgram, encodeProgram } from '../src/ast/codec.js';
import { programsEqual } from '../src/ast/equality.js';
import { parseProgram } from '../src/ast/parser/index.js';
import { printProgram } from '../src/ast/printer.js';
import { isSelector, type SOp } from '../src/ast/program.js';
import { valuesClose, type Value } from '../src/ast/value.js';
import { Evaluation, evaluate } from '../src/interpreter/evaluate.js';
import { buildGraph } from '../src/ast/graph.js';
import { makeBounds } from '../src/typecheck/bounds.js';
import { inferValueSets } from '../src/typecheck/inferValueSets.js';
import { inputFor, randomProgram, type RandomProgram } from './arbitraries.js';

const withInputs = (options: Parameters<typeof randomProgram>[0] = {}) =>
  randomProgram(options).chain((p) => fc.tuple(fc.constant(p), fc.array(inputFor(p), { minLength: 1, maxLength: 8 })));

describe('language properties', () => {
  test.prop([randomProgram()], { numRuns: 300 })('print/parse round trip: parse(print(p)) is structurally p', (p) => {
    const text = printProgram(p.program);
    if (Either.isLeft(text)) throw new Error(text.left.map((d) => d.message).join('; '));
    const back = parseProgram(text.right);
    if (Either.isLeft(back)) throw new Error(`${back.left.map((d) => `${d.where}: ${d.message}`).join('; ')}\n${text.right}`);
    expect(programsEqual(back.right, p.program)).toBe(true);
  });

  test.prop([randomProgram()], { numRuns: 300 })('JSON round trip: decode(encode(p)) is structurally p', (p) => {
    const encoded = encodeProgram(p.program);
    expect(Either.isRight(encoded)).toBe(true);
    if (Either.isLeft(encoded)) return;
    const decoded = decodeProgram(JSON.parse(JSON.stringify(encoded.right)));
    expect(Either.isRight(decoded) && programsEqual(decoded.right, p.program)).toBe(true);
  });

  test.prop([withInputs({ maxLen: 6 })], { numRuns: 300 })(
    'value-set soundness: every value the interpreter produces is in the inferred set',
    ([p, inputs]: [RandomProgram, Value[][]]) => {
      const bounds = makeBounds(p.vocab, p.maxLen, p.causal);
      if (Either.isLeft(bounds)) throw new Error('generator produced bad bounds');
      const graph = buildGraph(p.program);
      if (Either.isLeft(graph)) throw new Error('graph failed');
      const inference = inferValueSets(graph.right, bounds.right);
      fc.pre(Either.isRight(inference));
      if (Either.isLeft(inference)) return;
      for (const input of inputs) {
        const evaluation = new Evaluation(input, { causal: p.causal });
        for (const g of graph.right.nodes) {
          if (isSelector(g.node)) continue;
          const values = evaluation.sop(g.node);
          if (Either.isLeft(values)) continue;
          const set = inference.right.valueSets.get(g.id);
          for (const v of values.right) {
            if (!set?.has(v)) throw new Error(`${g.label} produced ${JSON.stringify(v)} not in ${set?.describe()}`);
          }
        }
      }
    },
  );

  test.prop([withInputs({ prefixClosed: true, maxLen: 6 })], { numRuns: 300 })(
    'causal evaluation of a prefix-closed program equals non-causal evaluation, and each position only sees its prefix',
    ([p, inputs]: [RandomProgram, Value[][]]) => {
      for (const input of inputs) {
        const causal = evaluate(p.program, input, { causal: true });
        const full = evaluate(p.program, input);
        expect(Either.isRight(causal)).toBe(Either.isRight(full));
        if (Either.isLeft(causal) || Either.isLeft(full)) continue;
        causal.right.forEach((v, i) => {
          expect(valuesClose(v, full.right[i] as Value)).toBe(true);
          const prefix = evaluate(p.program as SOp, input.slice(0, i + 1));
          expect(Either.isRight(prefix) && valuesClose(prefix.right[i] as Value, v)).toBe(true);
        });
      }
    },
  );

  test.prop([withInputs({ maxLen: 6 })], { numRuns: 300 })(
    'causal evaluation at a position depends only on the prefix up to it (any program)',
    ([p, inputs]: [RandomProgram, Value[][]]) => {
      for (const input of inputs) {
        const causal = evaluate(p.program, input, { causal: true });
        if (Either.isLeft(causal)) continue;
        causal.right.forEach((v, i) => {
          const prefix = evaluate(p.program, input.slice(0, i + 1), { causal: true });
          expect(Either.isRight(prefix) && valuesClose(prefix.right[i] as Value, v)).toBe(true);
        });
      }
    },
  );
});
