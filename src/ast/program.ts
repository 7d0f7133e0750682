import type { Expr } from './expr.js';
import type { Value } from './value.js';

/**
 * The RASP program ADT. Nodes are immutable plain objects; a shared sub-expression is the same
 * object referenced twice, so a program is a DAG. Encodings are part of the node: `numerical(x)`
 * yields a new node.
 */

export type Encoding = 'categorical' | 'numerical';

/** A function of one or two values: a serializable lambda, or an opaque TypeScript function (DSL only). */
export type Fn =
  | { readonly kind: 'lambda'; readonly params: readonly string[]; readonly body: Expr }
  | {
      readonly kind: 'opaque';
      readonly arity: number;
      readonly name: string;
      readonly impl: (...args: Value[]) => Value;
    };

export const COMPARISONS = ['EQ', 'LT', 'LEQ', 'GT', 'GEQ', 'NEQ', 'TRUE', 'FALSE'] as const;
export type Comparison = (typeof COMPARISONS)[number];

/** A select predicate of (key, query): a named comparison or a function of two arguments. */
export type Predicate = { readonly kind: 'comparison'; readonly op: Comparison } | Fn;

interface Named {
  readonly name?: string;
}

interface Encoded extends Named {
  readonly encoding: Encoding;
}

export type SOp =
  | (Encoded & { readonly kind: 'tokens' })
  | (Encoded & { readonly kind: 'indices' })
  | (Encoded & { readonly kind: 'map'; readonly fn: Fn; readonly inner: SOp })
  | (Encoded & { readonly kind: 'sequenceMap'; readonly fn: Fn; readonly fst: SOp; readonly snd: SOp })
  | (Encoded & {
      readonly kind: 'linearSequenceMap';
      readonly fst: SOp;
      readonly snd: SOp;
      readonly fstCoeff: number;
      readonly sndCoeff: number;
    })
  | (Encoded & { readonly kind: 'full'; readonly value: Value })
  | (Encoded & {
      readonly kind: 'aggregate';
      readonly selector: Selector;
      readonly sop: SOp;
      readonly default: Value;
    })
  | (Encoded & { readonly kind: 'selectorWidth'; readonly selector: Selector });

export type Selector =
  | (Named & { readonly kind: 'select'; readonly keys: SOp; readonly queries: SOp; readonly predicate: Predicate })
  | (Named & { readonly kind: 'selectorAnd'; readonly fst: Selector; readonly snd: Selector })
  | (Named & { readonly kind: 'selectorOr'; readonly fst: Selector; readonly snd: Selector })
  | (Named & { readonly kind: 'selectorNot'; readonly inner: Selector });

export type Node = SOp | Selector;

export const SOP_KINDS = [
  'tokens',
  'indices',
  'map',
  'sequenceMap',
  'linearSequenceMap',
  'full',
  'aggregate',
  'selectorWidth',
] as const;
export const SELECTOR_KINDS = ['select', 'selectorAnd', 'selectorOr', 'selectorNot'] as const;

export const isSelector = (n: Node): n is Selector => (SELECTOR_KINDS as readonly string[]).includes(n.kind);
export const isSOp = (n: Node): n is SOp => !isSelector(n);

/** Direct children in a fixed order (the order every traversal uses). */
export const children = (n: Node): readonly Node[] => {
  switch (n.kind) {
    case 'tokens':
    case 'indices':
    case 'full':
      return [];
    case 'map':
      return [n.inner];
    case 'sequenceMap':
    case 'linearSequenceMap':
      return [n.fst, n.snd];
    case 'aggregate':
      return [n.selector, n.sop];
    case 'selectorWidth':
      return [n.selector];
    case 'select':
      return [n.keys, n.queries];
    case 'selectorAnd':
    case 'selectorOr':
      return [n.fst, n.snd];
    case 'selectorNot':
      return [n.inner];
  }
};

/**
 * Every distinct node reachable from the roots, children before parents (iterative DFS,
 * linear in the number of distinct nodes).
 */
export const topologicalOrder = (roots: readonly Node[]): Node[] => {
  const order: Node[] = [];
  const state = new Map<Node, 1 | 2>();
  const stack: { node: Node; next: number }[] = [];
  for (const root of roots) {
    if (state.has(root)) continue;
    stack.push({ node: root, next: 0 });
    state.set(root, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as { node: Node; next: number };
      const kids = children(top.node);
      if (top.next < kids.length) {
        const child = kids[top.next++] as Node;
        if (!state.has(child)) {
          state.set(child, 1);
          stack.push({ node: child, next: 0 });
        }
      } else {
        stack.pop();
        state.set(top.node, 2);
        order.push(top.node);
      }
    }
  }
  return order;
};
