import { topologicalOrder, type Node, type Selector, type SOp } from './program.js';

/** A node with its children replaced (same object when nothing changed). */
const withChildren = (n: Node, map: (c: Node) => Node): Node => {
  const s = (c: SOp): SOp => map(c) as SOp;
  const sel = (c: Selector): Selector => map(c) as Selector;
  switch (n.kind) {
    case 'tokens':
    case 'indices':
    case 'full':
      return n;
    case 'map':
      return s(n.inner) === n.inner ? n : { ...n, inner: s(n.inner) };
    case 'sequenceMap':
    case 'linearSequenceMap':
      return s(n.fst) === n.fst && s(n.snd) === n.snd ? n : { ...n, fst: s(n.fst), snd: s(n.snd) };
    case 'aggregate':
      return sel(n.selector) === n.selector && s(n.sop) === n.sop ? n : { ...n, selector: sel(n.selector), sop: s(n.sop) };
    case 'selectorWidth':
      return sel(n.selector) === n.selector ? n : { ...n, selector: sel(n.selector) };
    case 'select':
      return s(n.keys) === n.keys && s(n.queries) === n.queries ? n : { ...n, keys: s(n.keys), queries: s(n.queries) };
    case 'selectorAnd':
    case 'selectorOr':
      return sel(n.fst) === n.fst && sel(n.snd) === n.snd ? n : { ...n, fst: sel(n.fst), snd: sel(n.snd) };
    case 'selectorNot':
      return sel(n.inner) === n.inner ? n : { ...n, inner: sel(n.inner) };
  }
};

/**
 * Rebuilds a program bottom-up: each node gets its rewritten children, then `replace` may swap it
 * (given the original node, the rebuilt one, and the rebuilt version of any descendant). Sharing
 * is kept; untouched parts stay the same objects.
 */
export const rewriteProgram = (
  root: SOp,
  replace: (original: Node, rebuilt: Node, rebuiltOf: (descendant: Node) => Node) => Node,
): SOp => {
  const done = new Map<Node, Node>();
  const rebuiltOf = (d: Node): Node => {
    const r = done.get(d);
    if (r === undefined) throw new Error('bug: rebuiltOf asked for a node that is not a processed descendant');
    return r;
  };
  for (const n of topologicalOrder([root])) {
    const rebuilt = withChildren(n, (c) => done.get(c) as Node);
    done.set(n, replace(n, rebuilt, rebuiltOf));
  }
  return done.get(root) as SOp;
};
