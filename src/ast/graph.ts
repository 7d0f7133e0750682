import * as Either from 'fp-ts/lib/Either.js';
import type { Diagnostic } from '../diagnostics.js';
import { exprKey, labelOf } from './label.js';
import { children, topologicalOrder, type Fn, type Node, type SOp } from './program.js';
import { valueLiteral } from './value.js';
import { BOS, ONE, PAD } from './reservedLabels.js';

export interface GraphNode {
  readonly id: number;
  /** Unique within the program; used for residual basis names (`label:value`). */
  readonly label: string;
  readonly node: Node;
  readonly children: readonly number[];
  readonly consumers: readonly number[];
}

/**
 * A program as a DAG: every distinct computation once (structurally identical sub-programs are
 * merged), in topological order, children first. Linear in the number of distinct nodes.
 */
export interface ProgramGraph {
  readonly nodes: readonly GraphNode[];
  readonly output: number;
  /** The graph id of any node object of the original program. */
  readonly idOf: ReadonlyMap<Node, number>;
}

const fnIdentity = (fn: Fn, opaqueIds: Map<Fn, number>): string => {
  if (fn.kind === 'lambda') return `λ${fn.params.join(',')}.${exprKey(fn.body)}`;
  let id = opaqueIds.get(fn);
  if (id === undefined) {
    id = opaqueIds.size;
    opaqueIds.set(fn, id);
  }
  return `opaque#${id}`;
};

/** Own fields of a node as text; opaque functions by identity so different closures never merge. */
const ownFields = (n: Node, opaqueIds: Map<Fn, number>): string => {
  const head = `${n.kind}|${n.name ?? ''}|${'encoding' in n ? n.encoding : ''}`;
  switch (n.kind) {
    case 'map':
    case 'sequenceMap':
      return `${head}|${fnIdentity(n.fn, opaqueIds)}`;
    case 'linearSequenceMap':
      return `${head}|${n.fstCoeff}|${n.sndCoeff}`;
    case 'full':
      return `${head}|${typeof n.value}|${valueLiteral(n.value)}`;
    case 'aggregate':
      return `${head}|${typeof n.default}|${valueLiteral(n.default)}`;
    case 'select':
      return `${head}|${n.predicate.kind === 'comparison' ? n.predicate.op : fnIdentity(n.predicate, opaqueIds)}`;
    default:
      return head;
  }
};

export const buildGraph = (program: SOp): Either.Either<readonly Diagnostic[], ProgramGraph> => {
  const opaqueIds = new Map<Fn, number>();
  const order = topologicalOrder([program]);
  const idOf = new Map<Node, number>();
  const byKey = new Map<string, number>();
  const canonical: Node[] = [];
  const kids: number[][] = [];
  for (const node of order) {
    const childIds = children(node).map((c) => idOf.get(c) as number);
    const key = `${ownFields(node, opaqueIds)}(${childIds.join(',')})`;
    const existing = byKey.get(key);
    if (existing !== undefined) {
      idOf.set(node, existing);
      continue;
    }
    const id = canonical.length;
    byKey.set(key, id);
    idOf.set(node, id);
    canonical.push(node);
    kids.push(childIds);
  }
  const consumers: number[][] = canonical.map(() => []);
  kids.forEach((cs, id) => {
    for (const c of new Set(cs)) (consumers[c] as number[]).push(id);
  });
  // the residual's own directions: an s-op named like one of them is renamed (`bos_2`)
  const used = new Map<string, number>([ONE, BOS, PAD].map((l) => [l, 1]));
  const nodes: GraphNode[] = canonical.map((node, id) => {
    const base = labelOf(node);
    const seen = used.get(base) ?? 0;
    used.set(base, seen + 1);
    let label = seen === 0 ? base : `${base}_${seen + 1}`;
    while (seen > 0 && used.has(label)) label = `${label}_`;
    if (seen > 0) used.set(label, 1);
    return { id, label, node, children: kids[id] as number[], consumers: consumers[id] as number[] };
  });
  return Either.right({ nodes, output: idOf.get(program) as number, idOf });
};
