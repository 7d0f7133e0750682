/** Random programs from instruction lists (props/instructions.ts): deterministic, well formed by construction. */
import * as D from '../src/ast/dsl.js';
import * as E from '../src/ast/expr.js';
import type { Expr } from '../src/ast/expr.js';
import type { Encoding, Selector, SOp } from '../src/ast/program.js';
import type { Value } from '../src/ast/value.js';
import { k, q, x, y, type AtomSpec, type CatKind, type DefaultSpec, type AnnotatedInstruction, type Kind, type LambdaSpec, type SelSpec } from './instructions.js';

interface Typed {
  readonly node: SOp;
  readonly kind: Kind;
}

/** Builds the program an instruction list describes. Deterministic. */
export const buildProgram = (
  vocab: readonly Value[],
  instructions: readonly AnnotatedInstruction[],
  prefixClosed = false,
): SOp => {
  // a prefix-closed program looks only backwards: every selector is masked to keys <= query
  // (and `length`, which looks at the whole input, is left out)
  const numericVocab = vocab.every((v) => typeof v === 'number');
  const pool: Typed[] = [
    { node: D.tokens, kind: 'tok' },
    { node: D.indices, kind: 'int' },
    ...(prefixClosed ? [] : [{ node: D.length, kind: 'int' as const }]),
  ];
  const backwards = D.select(D.indices, D.indices, 'LEQ');
  // one numerical (and one categorical) version per node, so re-annotating a node gives back the
  // shared original (a second copy of `length` would print and parse as the first)
  const numericalVersions = new Map<SOp, SOp>();
  const categoricalVersions = new Map<SOp, SOp>();
  const recoded = (versions: Map<SOp, SOp>, back: Map<SOp, SOp>, recode: (n: SOp) => SOp) => (n: SOp): SOp => {
    let m = versions.get(n);
    if (m === undefined) {
      m = recode(n);
      versions.set(n, m);
      if (m !== n && !back.has(m)) back.set(m, n);
    }
    return m;
  };
  const numerical = recoded(numericalVersions, categoricalVersions, D.numerical);
  const categorical = recoded(categoricalVersions, numericalVersions, D.categorical);
  const of = (kind: Kind, i: number): SOp => {
    // most recent first, so later instructions tend to build on earlier ones (deeper programs);
    // numeric tokens also serve as ints
    const candidates = [...pool.filter((t) => t.kind === kind).reverse(), ...(kind === 'int' && numericVocab ? [{ node: D.tokens, kind }] : [])];
    if (candidates.length === 0) return kind === 'tok' ? D.tokens : D.indices;
    return (candidates[i % candidates.length] as Typed).node;
  };
  const has = (kind: Kind): boolean => pool.some((t) => t.kind === kind);
  const token = (i: number): Value => vocab[i % vocab.length] as Value;
  const valueOf = (kind: Kind, i: number): Value => {
    switch (kind) {
      case 'tok':
        return token(i);
      case 'bool':
        return i % 2 === 0;
      default:
        return (i % 5) - 1;
    }
  };
  const lambdaOf = (spec: LambdaSpec, kind: AtomSpec['kind']): Expr => {
    if (kind === 'tok' || kind === 'bool' || spec.form === 'literal') {
      // no arithmetic on tokens or booleans: compare each side with a literal
      const lit = (i: number): Value => (kind === 'tok' ? token(i) : kind === 'bool' ? i % 2 === 0 : i);
      const [kt, qt] = spec.form === 'literal' ? [spec.keyToken, spec.queryToken] : [0, 1];
      return E.binary(spec.form === 'literal' ? spec.op : 'or', E.binary('==', k, E.lit(lit(kt))), E.binary('!=', q, E.lit(lit(qt))));
    }
    if (spec.form === 'shift') return E.binary('==', q, E.binary('+', k, E.lit(spec.offset)));
    return E.binary(spec.op, spec.left, spec.right);
  };
  const atomOf = (a: AtomSpec): Selector => {
    if (a.kind === 'numq' && has('frac')) {
      // mostly ==, which numerical queries compile for; other comparisons are mostly refused
      const pred = typeof a.pred === 'string' && !['NEQ', 'LT', 'LEQ'].includes(a.pred) ? a.pred : 'EQ';
      return D.select(of('int', a.k), of('frac', a.q), pred);
    }
    // numerical keys are refused (rule numerical-key) unless the predicate is constant
    if (a.kind === 'numk' && has('frac')) return D.select(of('frac', a.k), of('int', a.q), typeof a.pred === 'string' ? a.pred : 'LT');
    const kind = a.kind !== 'numq' && a.kind !== 'numk' && has(a.kind) ? a.kind : 'int';
    if (typeof a.pred === 'string') return D.select(of(kind, a.k), of(kind, a.q), a.pred);
    if (a.pred.form === 'shift') return D.select(D.indices, D.indices, D.lambda(['k', 'q'], lambdaOf(a.pred, 'int')));
    return D.select(of(kind, a.k), of(kind, a.q), D.lambda(['k', 'q'], lambdaOf(a.pred, kind)));
  };
  const mask = (sel: Selector): Selector => (prefixClosed ? D.selectorAnd(sel, backwards) : sel);
  const buildSelector = (spec: SelSpec): Selector => mask(buildFormula(spec));
  const buildFormula = (spec: SelSpec): Selector => {
    const atoms = spec.atoms.map((a) => atomOf(a));
    const [a, b = atoms[0] as Selector, c = b] = atoms as [Selector, Selector?, Selector?];
    switch (spec.shape) {
      case 'one':
        return a;
      case 'and':
        return D.selectorAnd(a, b);
      case 'or':
        return D.selectorOr(a, b);
      case 'not':
        return D.selectorNot(a);
      case 'andNot':
        return D.selectorAnd(a, D.selectorNot(b));
      case 'orAnd':
        return D.selectorOr(a, D.selectorAnd(b, c));
    }
  };
  const defaultOf = (kind: Kind, spec: DefaultSpec | undefined): Value => (spec === undefined || spec.none ? null : valueOf(kind, spec.pick));
  const catSource = (srcKind: CatKind, src: number): { node: SOp; kind: CatKind } => {
    const kind = has(srcKind) ? srcKind : 'tok';
    return { node: of(kind, src), kind };
  };
  /**
   * Wraps the newest node in an explicit encoding: numerical numbers become `frac`, a categorical
   * `frac` becomes `int` (numbers, categorical). Strings are never made numerical here (the
   * checker's refusal of that is generated by aggNum).
   */
  const annotate = (encoding: Encoding): void => {
    const last = pool[pool.length - 1] as Typed;
    if (encoding === 'numerical' && last.kind === 'tok' && !numericVocab) return;
    const node = encoding === 'numerical' ? numerical(last.node) : categorical(last.node);
    pool[pool.length - 1] = { node, kind: encoding === 'numerical' ? 'frac' : last.kind === 'frac' ? 'int' : last.kind };
  };
  for (const ins of instructions) {
    const before = pool.length;
    switch (ins.op) {
      case 'mapInt':
        pool.push({ node: D.map(D.lambda(['x'], ins.body), of('int', ins.src)), kind: 'int' });
        break;
      case 'intToBool':
        pool.push({ node: D.map(D.lambda(['x'], ins.body), of('int', ins.src)), kind: 'bool' });
        break;
      case 'boolToInt':
        if (has('bool')) {
          pool.push({ node: D.map(D.lambda(['x'], E.cond(x, E.lit(ins.t), E.lit(ins.o))), of('bool', ins.src)), kind: 'int' });
        }
        break;
      case 'tokToBool':
        pool.push({ node: D.eq(of('tok', ins.src), token(ins.token)), kind: 'bool' });
        break;
      case 'tokToInt':
        pool.push({
          node: D.map(D.lambda(['x'], E.table(vocab.map((t, i) => [t, ins.table[i % ins.table.length] as number] as const), x)), of('tok', ins.src)),
          kind: 'int',
        });
        break;
      case 'tokToTok':
        pool.push({
          node: D.map(D.lambda(['x'], E.table(vocab.map((t, i) => [t, token(ins.table[i % ins.table.length] as number)] as const), x)), of('tok', ins.src)),
          kind: 'tok',
        });
        break;
      case 'tokExpr':
        pool.push({
          node: D.map(D.lambda(['x'], E.cond(E.binary('==', x, E.lit(token(ins.when))), E.lit(token(ins.then)), x)), of('tok', ins.src)),
          kind: 'tok',
        });
        break;
      case 'intTable': {
        // keys lo..lo+7 cover every small int the generator makes from indices and widths; other
        // keys make the table fail (a warning; those inputs have no output)
        const entries = ins.table.map((v, i) => [ins.lo + i, valueOf(ins.out, v + 1)] as const);
        pool.push({ node: D.map(D.lambda(['x'], E.table(entries, x)), of('int', ins.src)), kind: ins.out });
        break;
      }
      case 'position':
        if (ins.form === 'opp' && !prefixClosed) {
          pool.push({ node: D.sequenceMap(D.lambda(['x', 'y'], E.binary('-', E.binary('-', y, x), E.lit(ins.c + 1))), D.indices, D.length), kind: 'int' });
        } else if (ins.form === 'mod') {
          pool.push({ node: D.map(D.lambda(['x'], E.binary('%', x, E.lit(ins.c + 3))), D.indices), kind: 'int' });
        } else {
          pool.push({ node: D.map(D.lambda(['x'], E.binary('+', x, E.lit(ins.c))), D.indices), kind: 'int' });
        }
        break;
      case 'full':
        // a constant s-op, e.g. the query of select(indices, full(0), ==) (the first token)
        pool.push({ node: D.full(ins.kind === 'tok' ? token(ins.value) : ins.value), kind: ins.kind });
        break;
      case 'seqInt': {
        const a = of('int', ins.a);
        const b = of('int', ins.b);
        if (a !== b) pool.push({ node: D.sequenceMap(D.lambda(['x', 'y'], ins.body), a, b), kind: 'int' });
        break;
      }
      case 'seqTokInt':
        pool.push({
          node: D.sequenceMap(D.lambda(['x', 'y'], E.cond(E.binary('==', x, E.lit(token(ins.token))), ins.then, ins.otherwise)), of('tok', ins.a), of('int', ins.b)),
          kind: 'int',
        });
        break;
      case 'seqTokTok': {
        const a = of('tok', ins.a);
        const b = of('tok', ins.b + 1);
        if (a !== b) pool.push({ node: D.sequenceMap(D.lambda(['x', 'y'], E.binary(ins.cmp, x, y)), a, b), kind: 'bool' });
        break;
      }
      case 'width':
        pool.push({ node: D.selectorWidth(buildSelector(ins.sel)), kind: 'int' });
        break;
      case 'aggCat': {
        const { node, kind } = catSource(ins.srcKind, ins.src);
        pool.push({ node: D.aggregate(buildSelector(ins.sel), node, defaultOf(kind, ins.dflt)), kind });
        break;
      }
      case 'aggOne': {
        // keys are indices: each query selects at most one key, so the aggregate rarely fails; the
        // query may be numerical (`select(indices, numerical(length - indices - 1), ==)`)
        let sel: Selector = D.select(D.indices, ins.numq && has('frac') ? of('frac', ins.q) : of('int', ins.q), 'EQ');
        if (ins.extra !== undefined) sel = D.selectorAnd(sel, atomOf(ins.extra));
        const { node, kind } = catSource(ins.srcKind, ins.src);
        pool.push({ node: D.aggregate(mask(sel), node, defaultOf(kind, ins.dflt)), kind });
        break;
      }
      case 'aggAgree': {
        // select(s, t, ==) [& more] aggregating s: every selected key holds the query's t
        const { node, kind } = catSource(ins.srcKind, ins.src);
        let sel: Selector = D.select(node, of(kind, ins.q), 'EQ');
        if (ins.extra !== undefined) sel = D.selectorAnd(sel, atomOf(ins.extra));
        pool.push({ node: D.aggregate(mask(sel), node, defaultOf(kind, ins.dflt)), kind });
        break;
      }
      case 'aggNum': {
        const kind = has(ins.srcKind) ? ins.srcKind : 'int';
        const src = of(kind, ins.src);
        // numerical(tokens) over a string vocabulary is refused (rule numerical-values)
        pool.push({ node: D.aggregate(buildSelector(ins.sel), kind === 'frac' ? src : numerical(src), ins.dflt === undefined ? 0 : ins.dflt), kind: 'frac' });
        break;
      }
      case 'toNum': {
        // a categorical s-op carried numerically, or a numerical map of a categorical s-op
        const kind = has(ins.srcKind) ? ins.srcKind : 'int';
        const src = of(kind, ins.src);
        const body = kind === 'bool' ? E.cond(x, E.lit(1), E.lit(0)) : ins.body;
        pool.push({ node: body === undefined ? numerical(src) : D.map(D.lambda(['x'], body), src, 'numerical'), kind: 'frac' });
        break;
      }
      case 'numMap':
        if (has('frac')) pool.push({ node: D.map(D.lambda(['x'], ins.body), of('frac', ins.src), 'numerical'), kind: 'frac' });
        break;
      case 'fracToBool':
        if (has('frac')) {
          pool.push({ node: D.map(D.lambda(['x'], E.binary('>', x, E.lit(ins.threshold))), of('frac', ins.src)), kind: 'bool' });
        }
        break;
      case 'fracToInt':
        if (has('frac')) pool.push({ node: D.map(D.lambda(['x'], ins.body), of('frac', ins.src)), kind: 'int' });
        break;
      case 'seqNumCat':
        // one numerical and one categorical input (gated-discretising-mlp), numerical output
        if (has('frac')) {
          pool.push({ node: D.sequenceMap(D.lambda(['x', 'y'], ins.body), of('frac', ins.a), of('int', ins.b), 'numerical'), kind: 'frac' });
        }
        break;
      case 'seqNumNum':
        // two numerical inputs: affine (linear-mlp), or the checker discretises one input first
        if (has('frac')) {
          pool.push({
            node: D.sequenceMap(D.lambda(['x', 'y'], ins.body), of('frac', ins.a), of('frac', ins.b + 1), ins.numericalOut ? 'numerical' : 'categorical'),
            kind: ins.numericalOut ? 'frac' : 'int',
          });
        }
        break;
      case 'linear': {
        // numerical inputs, or categorical ints (a linear MLP reads their one-hots)
        const a = of(ins.aKind === 'frac' && has('frac') ? 'frac' : 'int', ins.a);
        const b = of(ins.bKind === 'frac' && has('frac') ? 'frac' : 'int', ins.b);
        pool.push({ node: D.linearSequenceMap(a, b, ins.ca, ins.cb), kind: 'frac' });
        break;
      }
      case 'leaf':
        // tokens and indices, there to carry an explicit encoding
        pool.push(ins.which === 'tokens' ? { node: D.tokens, kind: 'tok' } : { node: D.indices, kind: 'int' });
        break;
    }
    if (ins.encoding !== undefined && pool.length > before) annotate(ins.encoding);
  }
  return (pool[pool.length - 1] as Typed).node;
};

