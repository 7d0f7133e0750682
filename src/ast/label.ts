import type { Expr } from './expr.js';
import { children, type Fn, type Node, type Predicate } from './program.js';
import { valueLiteral } from './value.js';

/** cyrb53: a fast, well-mixed 53-bit string hash, as 14 hex digits. */
export const hashString = (text: string): string => {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16).padStart(14, '0');
};

/** A canonical text of an expression (structure only; used for hashing and equality). */
export const exprKey = (e: Expr): string => {
  switch (e.kind) {
    case 'lit':
      return `L${valueLiteral(e.value)}`;
    case 'var':
      return `V${e.name}`;
    case 'unary':
      return `U${e.op}(${exprKey(e.arg)})`;
    case 'binary':
      return `B${e.op}(${exprKey(e.left)},${exprKey(e.right)})`;
    case 'cond':
      return `C(${exprKey(e.cond)},${exprKey(e.then)},${exprKey(e.otherwise)})`;
    case 'tuple':
      return `T(${e.items.map(exprKey).join(',')})`;
    case 'index':
      return `I(${exprKey(e.target)},${exprKey(e.index)})`;
    case 'table':
      return `D{${e.entries.map(([k, v]) => `${valueLiteral(k)}:${valueLiteral(v)}`).join(',')}}(${exprKey(e.arg)})`;
  }
};

export const fnKey = (f: Fn): string =>
  f.kind === 'lambda' ? `λ${f.params.join(',')}.${exprKey(f.body)}` : `opaque:${f.name}:${f.impl.toString()}`;

export const predicateKey = (p: Predicate): string => (p.kind === 'comparison' ? p.op : fnKey(p));

const ownKey = (n: Node): string => {
  const head = `${n.kind}|${n.name ?? ''}|${'encoding' in n ? n.encoding : ''}`;
  switch (n.kind) {
    case 'map':
    case 'sequenceMap':
      return `${head}|${fnKey(n.fn)}`;
    case 'linearSequenceMap':
      return `${head}|${n.fstCoeff}|${n.sndCoeff}`;
    case 'full':
      return `${head}|${valueLiteral(n.value)}`;
    case 'aggregate':
      return `${head}|${valueLiteral(n.default)}`;
    case 'select':
      return `${head}|${predicateKey(n.predicate)}`;
    default:
      return head;
  }
};

const hashes = new WeakMap<Node, string>();

/** A structural hash of the whole sub-program (names, encodings, functions and children). */
export const structuralHash = (root: Node): string => {
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const n = stack[stack.length - 1] as Node;
    if (hashes.has(n)) {
      stack.pop();
      continue;
    }
    const pending = children(n).filter((c) => !hashes.has(c));
    if (pending.length > 0) {
      stack.push(...pending);
      continue;
    }
    stack.pop();
    hashes.set(n, hashString(`${ownKey(n)}(${children(n).map((c) => hashes.get(c)).join(',')})`));
  }
  return hashes.get(root) as string;
};

const DEFAULT_PREFIX: Readonly<Record<Node['kind'], string>> = {
  tokens: 'tokens',
  indices: 'indices',
  map: 'map',
  sequenceMap: 'sequence_map',
  linearSequenceMap: 'linear_sequence_map',
  full: 'full',
  aggregate: 'aggregate',
  selectorWidth: 'selector_width',
  select: 'select',
  selectorAnd: 'select_and',
  selectorOr: 'select_or',
  selectorNot: 'select_not',
};

/**
 * A node's label: its name, or a kind prefix plus a short structural hash. Deterministic; unique
 * labels within one program are assigned by the graph pass.
 */
export const labelOf = (n: Node): string => {
  if (n.name !== undefined) return n.name;
  if (n.kind === 'tokens' || n.kind === 'indices') return n.encoding === 'categorical' ? n.kind : `${n.kind}_num`;
  return `${DEFAULT_PREFIX[n.kind]}_${structuralHash(n).slice(-6)}`;
};
