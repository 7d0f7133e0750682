/**
 * The JSON form of programs, for other tools. A program is a list of nodes in topological order
 * (children first), each with a string id; children are referenced by id, so sharing survives.
 *
 *   { "format": "raspc-program", "version": 1, "output": "n4",
 *     "nodes": [ { "id": "n0", "kind": "indices", "encoding": "categorical" }, ... ] }
 *
 * Expressions and values use the same shapes as the TypeScript ADT (src/ast/expr.ts).
 */
import * as Either from 'fp-ts/lib/Either.js';
import * as t from 'io-ts/lib/index.js';
import { diagnostic, type Diagnostic } from '../diagnostics.js';
import { BINARY_OPS, UNARY_OPS, type Expr } from './expr.js';
import {
  COMPARISONS,
  SELECTOR_KINDS,
  SOP_KINDS,
  topologicalOrder,
  type Fn,
  type Node,
  type Predicate,
  type Selector,
  type SOp,
} from './program.js';
import type { Value } from './value.js';

export const PROGRAM_FORMAT = 'raspc-program';
export const PROGRAM_FORMAT_VERSION = 1;

const keyof = <K extends string>(keys: readonly K[], name: string): t.KeyofC<Record<K, null>> =>
  t.keyof(Object.fromEntries(keys.map((k) => [k, null])) as Record<K, null>, name);

export const ValueCodec: t.Type<Value> = t.recursion('Value', () =>
  t.union([t.null, t.number, t.string, t.boolean, t.readonlyArray(ValueCodec)]),
);

export const ExprCodec: t.Type<Expr> = t.recursion('Expr', () =>
  t.union([
    t.type({ kind: t.literal('lit'), value: ValueCodec }),
    t.type({ kind: t.literal('var'), name: t.string }),
    t.type({ kind: t.literal('unary'), op: keyof(UNARY_OPS, 'UnaryOp'), arg: ExprCodec }),
    t.type({ kind: t.literal('binary'), op: keyof(BINARY_OPS, 'BinaryOp'), left: ExprCodec, right: ExprCodec }),
    t.type({ kind: t.literal('cond'), cond: ExprCodec, then: ExprCodec, otherwise: ExprCodec }),
    t.type({ kind: t.literal('tuple'), items: t.readonlyArray(ExprCodec) }),
    t.type({ kind: t.literal('index'), target: ExprCodec, index: ExprCodec }),
    t.type({
      kind: t.literal('table'),
      entries: t.readonlyArray(t.readonly(t.tuple([ValueCodec, ValueCodec]))),
      arg: ExprCodec,
    }),
  ]),
);

const LambdaCodec = t.type({ kind: t.literal('lambda'), params: t.readonlyArray(t.string), body: ExprCodec });
const PredicateCodec = t.union([t.type({ kind: t.literal('comparison'), op: keyof(COMPARISONS, 'Comparison') }), LambdaCodec]);
const EncodingCodec = keyof(['categorical', 'numerical'] as const, 'Encoding');

const common = { id: t.string, name: t.union([t.string, t.undefined]) };
const encoded = { ...common, encoding: EncodingCodec };

/** One codec per node kind; children are ids. */
export const NODE_CODECS = {
  tokens: t.type({ ...encoded, kind: t.literal('tokens') }),
  indices: t.type({ ...encoded, kind: t.literal('indices') }),
  map: t.type({ ...encoded, kind: t.literal('map'), fn: LambdaCodec, inner: t.string }),
  sequenceMap: t.type({ ...encoded, kind: t.literal('sequenceMap'), fn: LambdaCodec, fst: t.string, snd: t.string }),
  linearSequenceMap: t.type({
    ...encoded,
    kind: t.literal('linearSequenceMap'),
    fst: t.string,
    snd: t.string,
    fstCoeff: t.number,
    sndCoeff: t.number,
  }),
  full: t.type({ ...encoded, kind: t.literal('full'), value: ValueCodec }),
  aggregate: t.type({ ...encoded, kind: t.literal('aggregate'), selector: t.string, sop: t.string, default: ValueCodec }),
  selectorWidth: t.type({ ...encoded, kind: t.literal('selectorWidth'), selector: t.string }),
  select: t.type({ ...common, kind: t.literal('select'), keys: t.string, queries: t.string, predicate: PredicateCodec }),
  selectorAnd: t.type({ ...common, kind: t.literal('selectorAnd'), fst: t.string, snd: t.string }),
  selectorOr: t.type({ ...common, kind: t.literal('selectorOr'), fst: t.string, snd: t.string }),
  selectorNot: t.type({ ...common, kind: t.literal('selectorNot'), inner: t.string }),
} as const;

type NodeJson = t.TypeOf<(typeof NODE_CODECS)[keyof typeof NODE_CODECS]>;

const EnvelopeCodec = t.type({
  format: t.literal(PROGRAM_FORMAT),
  version: t.literal(PROGRAM_FORMAT_VERSION),
  output: t.string,
  nodes: t.readonlyArray(t.unknown),
});

export interface ProgramJson {
  readonly format: typeof PROGRAM_FORMAT;
  readonly version: typeof PROGRAM_FORMAT_VERSION;
  readonly output: string;
  readonly nodes: readonly NodeJson[];
}

const isUnion = (type: t.Decoder<unknown, unknown> | undefined): boolean =>
  type instanceof t.UnionType || (type instanceof t.RecursiveType && (type as t.RecursiveType<t.Any>).type instanceof t.UnionType);

/** io-ts errors → diagnostics whose `where` is the path to the bad field. */
const reportErrors = (prefix: string, errors: t.Errors): Diagnostic[] => {
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const e of errors) {
    // union alternatives appear as numeric keys under a non-array parent; drop them from the path
    const path = e.context
      .filter((c, i) => c.key !== '' && !(/^\d+$/.test(c.key) && isUnion(e.context[i - 1]?.type)))
      .map((c) => c.key);
    const where = [prefix, ...path].filter((p) => p !== '').join('.');
    const last = e.context[e.context.length - 1];
    const message = `expected ${last?.type.name ?? 'a valid value'}, got ${JSON.stringify(e.value) ?? 'nothing'}`;
    if (!seen.has(where)) {
      seen.add(where);
      out.push(diagnostic('json/invalid', message, { where }));
    }
  }
  return out;
};

const finite = (v: Value): boolean =>
  typeof v === 'number' ? Number.isFinite(v) : Array.isArray(v) ? v.every(finite) : true;

/** Encodes a program; fails (with the node) on opaque TypeScript functions or non-finite numbers. */
export const encodeProgram = (program: SOp): Either.Either<readonly Diagnostic[], ProgramJson> => {
  const order = topologicalOrder([program]);
  const ids = new Map<Node, string>(order.map((n, i) => [n, `n${i}`]));
  const ref = (n: Node): string => ids.get(n) as string;
  const problems: Diagnostic[] = [];
  const lambdaOf = (fn: Fn | Predicate, where: string): t.TypeOf<typeof LambdaCodec> | undefined => {
    if (fn.kind === 'lambda') return { kind: 'lambda', params: fn.params, body: fn.body };
    if (fn.kind === 'opaque') {
      problems.push(
        diagnostic('json/opaque-function', `the TypeScript function '${fn.name}' cannot be serialized`, {
          where,
          fix: 'write it as a lambda (D.lambda) or with operator helpers (D.add, D.eq, ...)',
        }),
      );
    }
    return undefined;
  };
  const nodes = order.map((n, i): NodeJson => {
    const where = `nodes.${i}`;
    const base = { id: ref(n), name: n.name };
    if (n.kind === 'full' && !finite(n.value)) problems.push(diagnostic('json/non-finite', 'non-finite constant', { where }));
    if (n.kind === 'aggregate' && !finite(n.default)) problems.push(diagnostic('json/non-finite', 'non-finite default', { where }));
    switch (n.kind) {
      case 'tokens':
      case 'indices':
        return { ...base, kind: n.kind, encoding: n.encoding };
      case 'map':
        return { ...base, kind: 'map', encoding: n.encoding, fn: lambdaOf(n.fn, `${where}.fn`) as never, inner: ref(n.inner) };
      case 'sequenceMap':
        return {
          ...base,
          kind: 'sequenceMap',
          encoding: n.encoding,
          fn: lambdaOf(n.fn, `${where}.fn`) as never,
          fst: ref(n.fst),
          snd: ref(n.snd),
        };
      case 'linearSequenceMap':
        return { ...base, kind: n.kind, encoding: n.encoding, fst: ref(n.fst), snd: ref(n.snd), fstCoeff: n.fstCoeff, sndCoeff: n.sndCoeff };
      case 'full':
        return { ...base, kind: 'full', encoding: n.encoding, value: n.value };
      case 'aggregate':
        return { ...base, kind: 'aggregate', encoding: n.encoding, selector: ref(n.selector), sop: ref(n.sop), default: n.default };
      case 'selectorWidth':
        return { ...base, kind: 'selectorWidth', encoding: n.encoding, selector: ref(n.selector) };
      case 'select':
        return {
          ...base,
          kind: 'select',
          keys: ref(n.keys),
          queries: ref(n.queries),
          predicate:
            n.predicate.kind === 'comparison'
              ? n.predicate
              : (lambdaOf(n.predicate, `${where}.predicate`) as never),
        };
      case 'selectorAnd':
      case 'selectorOr':
        return { ...base, kind: n.kind, fst: ref(n.fst), snd: ref(n.snd) };
      case 'selectorNot':
        return { ...base, kind: 'selectorNot', inner: ref(n.inner) };
    }
  });
  if (problems.length > 0) return Either.left(problems);
  // drop undefined names so the JSON is clean
  const clean = nodes.map((n) => (n.name === undefined ? (({ name: _name, ...rest }) => rest)(n) : n)) as NodeJson[];
  return Either.right({ format: PROGRAM_FORMAT, version: PROGRAM_FORMAT_VERSION, output: ref(program), nodes: clean });
};

const ALL_KINDS: readonly string[] = [...SOP_KINDS, ...SELECTOR_KINDS];

/** Decodes and links a program; every problem names the JSON path of the bad field. */
export const decodeProgram = (json: unknown): Either.Either<readonly Diagnostic[], SOp> => {
  const envelope = EnvelopeCodec.decode(json);
  if (Either.isLeft(envelope)) return Either.left(reportErrors('', envelope.left));
  const problems: Diagnostic[] = [];
  const built = new Map<string, Node>();
  const broken = new Set<string>();
  envelope.right.nodes.forEach((raw, i) => {
    const rawId = typeof raw === 'object' && raw !== null ? (raw as { id?: unknown }).id : undefined;
    const where = `nodes.${i}`;
    const kind = typeof raw === 'object' && raw !== null ? (raw as { kind?: unknown }).kind : undefined;
    if (typeof kind !== 'string' || !ALL_KINDS.includes(kind)) {
      if (typeof rawId === 'string') broken.add(rawId);
      problems.push(diagnostic('json/invalid', `unknown node kind ${JSON.stringify(kind)}; expected one of ${ALL_KINDS.join(', ')}`, { where: `${where}.kind` }));
      return;
    }
    const codec = NODE_CODECS[kind as keyof typeof NODE_CODECS] as t.Type<NodeJson, NodeJson, unknown>;
    const decoded = codec.decode(raw);
    if (Either.isLeft(decoded)) {
      problems.push(...reportErrors(where, decoded.left));
      if (typeof rawId === 'string') broken.add(rawId);
      return;
    }
    const n = decoded.right;
    if (built.has(n.id)) {
      problems.push(diagnostic('json/duplicate-id', `node id ${JSON.stringify(n.id)} is used twice`, { where: `${where}.id` }));
      return;
    }
    const lookup = (field: string, id: string, want: 'sop' | 'selector'): Node | undefined => {
      const target = built.get(id);
      const isSel = target !== undefined && (SELECTOR_KINDS as readonly string[]).includes(target.kind);
      if (target === undefined && broken.has(id)) {
        // already reported where that node is defined
      } else if (target === undefined) {
        problems.push(
          diagnostic('json/unknown-reference', `refers to ${JSON.stringify(id)}, which is not an earlier node`, {
            where: `${where}.${field}`,
            fix: 'list nodes children first and reference existing ids',
          }),
        );
      } else if (isSel !== (want === 'selector')) {
        problems.push(
          diagnostic('json/wrong-reference', `expected ${want === 'sop' ? 'an s-op' : 'a selector'}, ${JSON.stringify(id)} is ${isSel ? 'a selector' : 'an s-op'}`, {
            where: `${where}.${field}`,
          }),
        );
      }
      return target;
    };
    const named = n.name === undefined ? {} : { name: n.name };
    const sop = (field: string, id: string): SOp => lookup(field, id, 'sop') as SOp;
    const sel = (field: string, id: string): Selector => lookup(field, id, 'selector') as Selector;
    let node: Node;
    switch (n.kind) {
      case 'tokens':
      case 'indices':
        node = { ...named, kind: n.kind, encoding: n.encoding };
        break;
      case 'map':
        node = { ...named, kind: 'map', encoding: n.encoding, fn: n.fn, inner: sop('inner', n.inner) };
        break;
      case 'sequenceMap':
        node = { ...named, kind: 'sequenceMap', encoding: n.encoding, fn: n.fn, fst: sop('fst', n.fst), snd: sop('snd', n.snd) };
        break;
      case 'linearSequenceMap':
        node = { ...named, kind: n.kind, encoding: n.encoding, fst: sop('fst', n.fst), snd: sop('snd', n.snd), fstCoeff: n.fstCoeff, sndCoeff: n.sndCoeff };
        break;
      case 'full':
        node = { ...named, kind: 'full', encoding: n.encoding, value: n.value };
        break;
      case 'aggregate':
        node = { ...named, kind: 'aggregate', encoding: n.encoding, selector: sel('selector', n.selector), sop: sop('sop', n.sop), default: n.default };
        break;
      case 'selectorWidth':
        node = { ...named, kind: 'selectorWidth', encoding: n.encoding, selector: sel('selector', n.selector) };
        break;
      case 'select':
        node = { ...named, kind: 'select', keys: sop('keys', n.keys), queries: sop('queries', n.queries), predicate: n.predicate };
        break;
      case 'selectorAnd':
      case 'selectorOr':
        node = { ...named, kind: n.kind, fst: sel('fst', n.fst), snd: sel('snd', n.snd) };
        break;
      case 'selectorNot':
        node = { ...named, kind: 'selectorNot', inner: sel('inner', n.inner) };
        break;
    }
    built.set(n.id, node);
  });
  if (problems.length > 0) return Either.left(problems);
  const output = built.get(envelope.right.output);
  if (output === undefined || (SELECTOR_KINDS as readonly string[]).includes(output.kind)) {
    return Either.left([
      diagnostic('json/bad-output', `output ${JSON.stringify(envelope.right.output)} is not an s-op node of the program`, { where: 'output' }),
    ]);
  }
  return Either.right(output as SOp);
};
