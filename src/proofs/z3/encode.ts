/**
 * The solver encoding of one length n: the source program (interpreter semantics) and the model's
 * hard-attention program, position by position over value indices, and the goal "they differ or
 * something fails".
 *
 * Source (evaluate.ts, exactly): maps are tables; a selector is an n×n Boolean matrix (keys after
 * the query masked in causal mode; None never selected, by the predicate tables); a categorical
 * aggregate is the first selected key's value, or the default — selecting two different values is
 * an error of the program; a numerical mean is the value m of the output's finite value set with
 * Σ_k sel_k·(v_k − m) = 0 (exact, scaled to integers), or the default when nothing is selected;
 * a selector width is Σ_k sel_k.
 *
 * Model (hardSemantics.ts): embeddings and MLPs are tables; a head's winners at a query are the
 * keys (BOS included) whose logit rank is maximal; an aggregate's decoded output compares the
 * winners' summed writes with the count (both scaled to integers); a selector width's output is a
 * table over (BOS among the winners, number of winners).
 */
import type { Value } from '../../ast/value.js';
import { valuesClose } from '../../ast/value.js';
import { UNDECODABLE, type HardAttention, type HardProgram, type Table } from './hardProgram.js';
import { rat } from './rational.js';
import { EVAL_ERROR, OUTSIDE, type SourceNode, type SourceProgram } from './sourceSemantics.js';
import { hardScale, scaled, sourceScale, timesCount } from './scaling.js';
import type { BoolT, IntT, Terms, WideT } from './terms.js';

/** One way the goal can be satisfied: a difference, a program error, an undecodable value. */
export interface Disjunct {
  readonly what: string;
  /** `fails`: an error of the program, an undecodable model value, or an encoding gap. */
  readonly kind: 'fails' | 'differs';
  readonly cond: BoolT;
}

/**
 * A candidate lemma: on inputs where nothing fails, `differs` is false. Proven lemmas can be
 * asserted before the goal (they hold on every input).
 */
export interface Lemma {
  readonly what: string;
  readonly differs: BoolT;
}

/** The query at one length. */
export interface Query {
  readonly disjuncts: Disjunct[];
  /** Correspondence candidates between same-label nodes of the two programs, in graph order. */
  readonly lemmas: Lemma[];
}

/** What an encoding exposes: its output and, per s-op label, its values and (heads) its selection. */
interface Encoded {
  readonly output: IntT[];
  readonly values: Map<string, { readonly values: readonly Value[]; readonly at: IntT[] }>;
  /** [query][key]: the key is selected / among the winners (aggregates and selector widths). */
  readonly selections: Map<string, BoolT[][]>;
}

/** The "first selected key" of a categorical aggregate when none is selected. */
const NONE_SELECTED = -4;
/** An output the unembedding cannot decode. */
const UNDECODABLE_OUT = -2;

// ---------------------------------------------------------------- the source program

const encodeSource = (T: Terms, src: SourceProgram, tokens: readonly IntT[], goal: Disjunct[]): Encoded => {
  const n = tokens.length;
  const sops: IntT[][] = [];
  const sels: BoolT[][][] = [];
  const visible = (q: number): number => (src.causal ? q + 1 : n);
  const fails = (what: string, cond: BoolT): void => {
    goal.push({ what, kind: 'fails', cond });
  };
  const flagValue = (node: SourceNode, xs: readonly IntT[], sentinel: number, what: string): void => {
    xs.forEach((x, i) => fails(`source ${node.label}@${i}: ${what}`, T.eqInt(x, sentinel)));
  };
  src.nodes.forEach((node, id) => {
    const name = `s.${node.label}`;
    switch (node.kind) {
      case 'tokens': {
        const table: Table<number> = { dims: [node.table.length], data: node.table };
        sops[id] = tokens.map((t) => T.lookupInt(table, [t]));
        flagValue(node, sops[id] as IntT[], OUTSIDE, 'token outside the value set');
        return;
      }
      case 'indices':
        sops[id] = Array.from({ length: n }, (_, i) => node.table[i] as number);
        flagValue(node, sops[id] as IntT[], OUTSIDE, 'index outside the value set');
        return;
      case 'full':
        sops[id] = new Array<IntT>(n).fill(node.index);
        flagValue(node, sops[id] as IntT[], OUTSIDE, 'constant outside the value set');
        return;
      case 'table': {
        const xs = Array.from({ length: n }, (_, i) =>
          T.defineInt(`${name}@${i}`, T.lookupInt(node.table, node.inputs.map((inp) => (sops[inp] as IntT[])[i] as IntT))),
        );
        sops[id] = xs;
        if (node.table.data.includes(EVAL_ERROR)) flagValue(node, xs, EVAL_ERROR, 'the function fails');
        if (node.table.data.includes(OUTSIDE)) flagValue(node, xs, OUTSIDE, 'result outside the value set');
        return;
      }
      case 'select': {
        const keys = sops[node.keys] as IntT[];
        const queries = sops[node.queries] as IntT[];
        const holds: Table<boolean> = { dims: node.table.dims, data: node.table.data.map((x) => x === 1) };
        const broken: Table<boolean> = { dims: node.table.dims, data: node.table.data.map((x) => x === EVAL_ERROR) };
        const canFail = broken.data.includes(true);
        sels[id] = Array.from({ length: n }, (_, q) =>
          Array.from({ length: n }, (_, k) => {
            if (k >= visible(q)) return false;
            const idx = [keys[k] as IntT, queries[q] as IntT];
            if (canFail) fails(`source ${node.label}@${q},${k}: the predicate fails`, T.lookupBool(broken, idx));
            return T.lookupBool(holds, idx);
          }),
        );
        return;
      }
      case 'and':
      case 'or': {
        const a = sels[node.fst] as BoolT[][];
        const b = sels[node.snd] as BoolT[][];
        sels[id] = a.map((row, q) =>
          row.map((x, k) => {
            const y = (b[q] as BoolT[])[k] as BoolT;
            return node.kind === 'and' ? T.and([x, y]) : T.or([x, y]);
          }),
        );
        return;
      }
      case 'not': {
        const a = sels[node.inner] as BoolT[][];
        sels[id] = a.map((row, q) => row.map((x, k) => (k < visible(q) ? T.not(x) : false)));
        return;
      }
      case 'width': {
        const m = sels[node.selector] as BoolT[][];
        const table: Table<number> = { dims: [node.table.length], data: node.table };
        const xs = m.map((row, q) => T.defineInt(`${name}@${q}`, T.lookupInt(table, [T.sumInt(row.map((s) => T.iteInt(s, 1, 0)))])));
        sops[id] = xs;
        if (node.table.includes(OUTSIDE)) flagValue(node, xs, OUTSIDE, 'width outside the value set');
        return;
      }
      case 'aggregate': {
        const m = sels[node.selector] as BoolT[][];
        const vals = sops[node.value] as IntT[];
        if (node.encoding === 'categorical') {
          const remap: Table<number> = { dims: [(node.remap ?? []).length], data: node.remap ?? [] };
          sops[id] = m.map((row, q) => {
            // the first selected key's value (an index into the aggregated s-op's values)
            let first: IntT = NONE_SELECTED;
            for (let k = n - 1; k >= 0; k--) first = T.iteInt(row[k] as BoolT, vals[k] as IntT, first);
            const chosen = T.defineInt(`${name}.first@${q}`, first);
            fails(
              `source ${node.label}@${q}: selected keys hold different values`,
              T.or(row.map((s, k) => T.and([s, T.not(T.eqInt(vals[k] as IntT, chosen))]))),
            );
            return T.defineInt(`${name}@${q}`, T.iteInt(T.or(row), T.lookupInt(remap, [chosen]), node.defaultIndex));
          });
          flagValue(node, sops[id] as IntT[], OUTSIDE, 'value outside the value set');
          return;
        }
        const { d } = sourceScale(node);
        const valueNumbers = node.valueNumbers ?? [];
        const asNumber: Table<bigint> = { dims: [valueNumbers.length], data: valueNumbers.map((r) => (r === undefined ? 0n : scaled(r, d))) };
        const nonNumber: Table<boolean> = { dims: [valueNumbers.length], data: valueNumbers.map((r) => r === undefined) };
        const means = (node.numbers ?? []).map((r) => (r === undefined ? undefined : timesCount(r, d, n + 1)));
        sops[id] = m.map((row, q) => {
          if (nonNumber.data.includes(true)) {
            fails(`source ${node.label}@${q}: mean over a non-number`, T.or(row.map((s, k) => T.and([s, T.lookupBool(nonNumber, [vals[k] as IntT])]))));
          }
          const count = T.sumInt(row.map((s) => T.iteInt(s, 1, 0)));
          const sum = T.sumWide(row.map((s, k) => T.iteWide(s, T.lookupWide(asNumber, [vals[k] as IntT]), 0n)));
          // the mean is the value m with D·Σ sel·v = D·m·Σ sel; none matching: OUTSIDE
          let acc: IntT = OUTSIDE;
          for (let j = means.length - 1; j >= 0; j--) {
            const mj = means[j];
            if (mj !== undefined) acc = T.iteInt(T.cmpWide(sum, '=', T.lookupWide(mj, [count])), j, acc);
          }
          return T.defineInt(`${name}@${q}`, T.iteInt(T.eqInt(count, 0), node.defaultIndex, acc));
        });
        flagValue(node, sops[id] as IntT[], OUTSIDE, 'mean outside the value set');
        return;
      }
    }
  });
  const values: Encoded['values'] = new Map();
  const selections: Encoded['selections'] = new Map();
  src.nodes.forEach((node, id) => {
    if ('values' in node) values.set(node.label, { values: node.values, at: sops[id] as IntT[] });
    if (node.kind === 'aggregate' || node.kind === 'width') selections.set(node.label, sels[node.selector] as BoolT[][]);
  });
  return { output: sops[src.output] as IntT[], values, selections };
};

// ---------------------------------------------------------------- the model's hard semantics

const encodeHard = (T: Terms, hp: HardProgram, tokens: readonly IntT[], goal: Disjunct[]): Encoded => {
  const n = tokens.length;
  const xs: IntT[][] = [];
  const selections: Encoded['selections'] = new Map();
  const visible = (q: number): number => (hp.causal ? q + 1 : n);
  const at = (node: number, i: number): IntT => (xs[node] as IntT[])[i] as IntT;
  /** Hard attention at query q: BOS and each visible key win when their rank is the largest. */
  const winners = (label: string, att: HardAttention, q: number): { bos: BoolT; keys: BoolT[] } => {
    const qIdx = att.queries.map((node) => at(node, q));
    const ranks = Array.from({ length: visible(q) }, (_, k) => T.lookupInt(att.rank, [...qIdx, ...att.keys.map((node) => at(node, k))]));
    const all = [T.lookupInt(att.bosRank, qIdx), ...ranks];
    const wins = all.map((r, i) => T.and(all.map((s, j) => (i === j ? true : T.geInt(r, s)))));
    const keys = wins.slice(1);
    const row = new Array<BoolT>(n).fill(false);
    keys.forEach((a, k) => (row[k] = a));
    const m = selections.get(label) ?? [];
    m[q] = row;
    selections.set(label, m);
    return { bos: wins[0] as BoolT, keys };
  };
  hp.nodes.forEach((node, id) => {
    const name = `m.${node.label}`;
    switch (node.kind) {
      case 'embed':
        xs[id] = tokens.map((t, i) => T.lookupInt(node.table, [i, t]));
        break;
      case 'mlp':
        xs[id] = Array.from({ length: n }, (_, i) => T.defineInt(`${name}@${i}`, T.lookupInt(node.table, node.inputs.map((inp) => at(inp, i)))));
        break;
      case 'width':
        xs[id] = Array.from({ length: n }, (_, q) => {
          const w = winners(node.label, node.attention, q);
          const count = T.sumInt([w.bos, ...w.keys].map((s) => T.iteInt(s, 1, 0)));
          return T.defineInt(`${name}@${q}`, T.lookupInt(node.table, [T.iteInt(w.bos, 1, 0), count]));
        });
        break;
      case 'aggregate': {
        const { d } = hardScale(node);
        const space = node.space;
        const written = node.written.map((comp): Table<bigint> => ({ dims: [comp.length], data: comp.map((r) => scaled(r, d)) }));
        const bos = node.writtenBos.map((r) => scaled(r, d));
        const intervals = (space.intervals ?? []).map(([lo, hi]) => [timesCount(lo, d, n + 2), timesCount(hi, d, n + 2)] as const);
        const half = timesCount(rat(1n, 2n), d, n + 2);
        xs[id] = Array.from({ length: n }, (_, q) => {
          const w = winners(node.label, node.attention, q);
          const count = T.sumInt([w.bos, ...w.keys].map((s) => T.iteInt(s, 1, 0)));
          const sums = written.map((table, j) =>
            T.sumWide([T.iteWide(w.bos, bos[j] as bigint, 0n), ...w.keys.map((s, k) => T.iteWide(s, T.lookupWide(table, [at(node.value, k)]), 0n))]),
          );
          let acc: IntT;
          if (space.representation === 'numerical') {
            // the value whose interval [lo, hi) holds the average: lo·count ≤ Σ < hi·count
            const sum = sums[0] ?? 0n;
            acc = UNDECODABLE;
            for (let j = intervals.length - 1; j >= 0; j--) {
              const [lo, hi] = intervals[j] as readonly [Table<bigint>, Table<bigint>];
              const inside = T.and([T.cmpWide(T.lookupWide(lo, [count]), '<=', sum), T.cmpWide(sum, '<', T.lookupWide(hi, [count]))]);
              acc = T.iteInt(inside, j, acc);
            }
          } else {
            // the argmax (the first of equal maxima) if its average reaches 1/2, else None
            acc = 0;
            const threshold = T.lookupWide(half, [count]);
            for (let j = sums.length - 1; j >= 0; j--) {
              const sj = sums[j] as WideT;
              const best = T.and([
                T.cmpWide(threshold, '<=', sj),
                ...sums.map((si, i) => (i < j ? T.cmpWide(si, '<', sj) : i > j ? T.cmpWide(si, '<=', sj) : true)),
              ]);
              acc = T.iteInt(best, j + 1, acc);
            }
          }
          return T.defineInt(`${name}@${q}`, acc);
        });
        break;
      }
    }
    const mayFail = node.kind === 'aggregate' ? node.space.representation === 'numerical' : node.table.data.includes(UNDECODABLE);
    if (mayFail) {
      (xs[id] as IntT[]).forEach((x, i) => goal.push({ what: `model ${node.label}@${i}: undecodable`, kind: 'fails', cond: T.eqInt(x, UNDECODABLE) }));
    }
  });
  const values: Encoded['values'] = new Map();
  hp.nodes.forEach((node, id) => values.set(node.label, { values: node.space.values, at: xs[id] as IntT[] }));
  return { output: xs[hp.output] as IntT[], values, selections };
};

// ---------------------------------------------------------------- the query

/** Tables taking two value lists into one list of values (valuesClose), so values compare as integers. */
const commonIndex = (a: readonly Value[], b: readonly (Value | undefined)[]): { a: Table<number>; b: Table<number> } => {
  const values: Value[] = [];
  const indexOf = (v: Value | undefined, missing: number): number => {
    if (v === undefined) return missing;
    const i = values.findIndex((u) => (u === null || v === null ? u === v : valuesClose(u, v)));
    if (i >= 0) return i;
    values.push(v);
    return values.length - 1;
  };
  return {
    a: { dims: [a.length], data: a.map((v) => indexOf(v, -1)) },
    b: { dims: [b.length], data: b.map((v) => indexOf(v, UNDECODABLE_OUT)) },
  };
};

/**
 * The query for the given tokens (one per position). With constant tokens every term folds to a
 * constant, which makes this an evaluator of the encoding itself (the tests use it).
 */
export const buildQuery = (T: Terms, src: SourceProgram, hp: HardProgram, tokens: readonly IntT[]): Query => {
  const n = tokens.length;
  const disjuncts: Disjunct[] = [];
  const source = encodeSource(T, src, tokens, disjuncts);
  const model = encodeHard(T, hp, tokens, disjuncts);
  const lemmas: Lemma[] = [];
  for (const node of hp.nodes) {
    const mine = model.values.get(node.label);
    const theirs = source.values.get(node.label);
    if (mine === undefined || theirs === undefined) continue;
    const ms = model.selections.get(node.label);
    const ss = source.selections.get(node.label);
    if (ms !== undefined && ss !== undefined) {
      const differs = T.or(ss.flatMap((row, q) => row.map((x, k) => T.not(T.iff(x, (ms[q] as BoolT[])[k] as BoolT)))));
      lemmas.push({ what: `${node.label}: the same keys selected`, differs });
    }
    const common = commonIndex(theirs.values, mine.values);
    const differs = T.or(theirs.at.map((x, i) => T.not(T.eqInt(T.lookupInt(common.a, [x]), T.lookupInt(common.b, [mine.at[i] as IntT])))));
    lemmas.push({ what: `${node.label}: the same values`, differs });
  }
  const out = commonIndex((src.nodes[src.output] as { values: readonly Value[] }).values, hp.unembed);
  for (let i = 0; i < n; i++) {
    const a = T.lookupInt(out.a, [source.output[i] as IntT]);
    const b = T.lookupInt(out.b, [model.output[i] as IntT]);
    disjuncts.push({ what: `output@${i}: the interpreter and the hard-attention model differ`, kind: 'differs', cond: T.not(T.eqInt(a, b)) });
  }
  return { disjuncts, lemmas };
};
