import * as Either from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { decodeProgram, encodeProgram } from '../../../src/ast/codec.js';
import * as D from '../../../src/ast/dsl.js';
import * as E from '../../../src/ast/expr.js';
import { programsEqual } from '../../../src/ast/equality.js';
import type { SOp } from '../../../src/ast/program.js';
import { evaluate } from '../../../src/interpreter/evaluate.js';

const opp = D.named(D.sub(D.sub(D.length, D.indices), 1), 'opp');
const reverse = D.named(D.aggregate(D.select(D.indices, opp, D.EQ), D.tokens), 'reverse');

const roundTrip = (p: SOp): SOp => {
  const json = encodeProgram(p);
  if (Either.isLeft(json)) throw new Error(json.left.map((d) => d.message).join('; '));
  const back = decodeProgram(JSON.parse(JSON.stringify(json.right)));
  if (Either.isLeft(back)) throw new Error(back.left.map((d) => `${d.where}: ${d.message}`).join('; '));
  return back.right;
};

describe('JSON codec', () => {
  it('round-trips reverse, keeping sharing, names and behaviour', () => {
    const back = roundTrip(reverse);
    expect(programsEqual(back, reverse)).toBe(true);
    expect(evaluate(back, ['a', 'b', 'c'])).toEqual(Either.right(['c', 'b', 'a']));
  });

  it('round-trips composite selectors, tables, tuples, numerical aggregates and defaults', () => {
    const sel = D.selectorOr(D.select(D.tokens, D.tokens, D.LT), D.selectorNot(D.select(D.indices, D.indices, D.GEQ)));
    const table = D.map(D.lambda(['x'], E.table([['a', [1, 'z']], ['b', null]], E.v('x'))), D.tokens);
    const mean = D.aggregate(sel, D.numerical(D.eq(D.tokens, 'a')), 0.5);
    const p = D.sequenceMap(D.lambda(['x', 'y'], E.tuple([E.index(E.v('x'), E.lit(0)), E.v('y')])), table, D.categorical(mean));
    expect(programsEqual(roundTrip(p), p)).toBe(true);
  });

  it('names the JSON path of a bad field', () => {
    const json = encodeProgram(reverse);
    if (Either.isLeft(json)) throw new Error('encode failed');
    const broken = JSON.parse(JSON.stringify(json.right));
    const mapIndex = broken.nodes.findIndex((n: { kind: string }) => n.kind === 'sequenceMap');
    broken.nodes[mapIndex].fn.body.left = { kind: 'binary', op: '^', left: { kind: 'var', name: 'x' }, right: { kind: 'lit', value: 1 } };
    const r = decodeProgram(broken);
    expect(Either.isLeft(r)).toBe(true);
    if (Either.isRight(r)) return;
    expect(r.left.some((d) => d.where?.startsWith(`nodes.${mapIndex}.fn.body.left`))).toBe(true);
  });

  it('rejects unknown kinds, dangling references, wrong reference types and a bad envelope', () => {
    const base = { format: 'raspc-program', version: 1, output: 'n1' };
    const unknownKind = decodeProgram({ ...base, nodes: [{ id: 'n0', kind: 'tokenz', encoding: 'categorical' }] });
    expect(Either.isLeft(unknownKind) && unknownKind.left[0]?.where).toBe('nodes.0.kind');
    const dangling = decodeProgram({
      ...base,
      nodes: [{ id: 'n1', kind: 'map', encoding: 'categorical', fn: { kind: 'lambda', params: ['x'], body: { kind: 'var', name: 'x' } }, inner: 'n9' }],
    });
    expect(Either.isLeft(dangling) && dangling.left[0]?.where).toBe('nodes.0.inner');
    const wrongType = decodeProgram({
      ...base,
      nodes: [
        { id: 'n0', kind: 'tokens', encoding: 'categorical' },
        { id: 'n1', kind: 'selectorWidth', encoding: 'categorical', selector: 'n0' },
      ],
    });
    expect(Either.isLeft(wrongType) && wrongType.left[0]?.message).toMatch(/expected a selector/);
    const envelope = decodeProgram({ format: 'something', nodes: [] });
    expect(Either.isLeft(envelope) && envelope.left.map((d) => d.where)).toEqual(['format', 'version', 'output']);
  });

  it('refuses to encode opaque TypeScript functions, naming the node', () => {
    const p = D.map((v) => v, D.tokens);
    const r = encodeProgram(p);
    expect(Either.isLeft(r) && r.left[0]?.code).toBe('json/opaque-function');
  });
});
