import { exprKey } from './label.js';
import { children, type Fn, type Node, type Predicate } from './program.js';
import { valueEquals } from './value.js';

const fnEqual = (a: Fn, b: Fn): boolean =>
  a.kind === 'lambda' && b.kind === 'lambda'
    ? a.params.length === b.params.length &&
      a.params.every((p, i) => p === b.params[i]) &&
      exprKey(a.body) === exprKey(b.body)
    : a === b;

const predicateEqual = (a: Predicate, b: Predicate): boolean =>
  a.kind === 'comparison' || b.kind === 'comparison'
    ? a.kind === 'comparison' && b.kind === 'comparison' && a.op === b.op
    : fnEqual(a, b);

/** Same kind, name, encoding and own fields (children not compared). */
const sameOwnFields = (a: Node, b: Node): boolean => {
  if (a.kind !== b.kind || a.name !== b.name) return false;
  if ('encoding' in a && 'encoding' in b && a.encoding !== b.encoding) return false;
  switch (a.kind) {
    case 'map':
    case 'sequenceMap':
      return fnEqual(a.fn, (b as typeof a).fn);
    case 'linearSequenceMap':
      return a.fstCoeff === (b as typeof a).fstCoeff && a.sndCoeff === (b as typeof a).sndCoeff;
    case 'full':
      return valueEquals(a.value, (b as typeof a).value) && typeof a.value === typeof (b as typeof a).value;
    case 'aggregate':
      return valueEquals(a.default, (b as typeof a).default) && typeof a.default === typeof (b as typeof a).default;
    case 'select':
      return predicateEqual(a.predicate, (b as typeof a).predicate);
    default:
      return true;
  }
};

/**
 * Structural equality of two programs as DAGs: the same nodes field by field, and the same
 * sharing (a node of one program corresponds to exactly one node of the other). Opaque functions
 * are equal only to themselves.
 */
export const programsEqual = (a: Node, b: Node): boolean => {
  const aToB = new Map<Node, Node>();
  const bToA = new Map<Node, Node>();
  const stack: [Node, Node][] = [[a, b]];
  while (stack.length > 0) {
    const [x, y] = stack.pop() as [Node, Node];
    const mx = aToB.get(x);
    const my = bToA.get(y);
    if (mx !== undefined || my !== undefined) {
      if (mx !== y || my !== x) return false;
      continue;
    }
    if (!sameOwnFields(x, y)) return false;
    aToB.set(x, y);
    bToA.set(y, x);
    const cx = children(x);
    const cy = children(y);
    if (cx.length !== cy.length) return false;
    cx.forEach((c, i) => stack.push([c, cy[i] as Node]));
  }
  return true;
};
