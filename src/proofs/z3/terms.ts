/**
 * Solver terms with constant folding: a term is a JS constant (number, bigint, boolean) until it
 * depends on a token, and only then a Z3 expression. Most of a RASP program at a fixed length is
 * constant (indices, length, position-only maps, selectors over them), so queries stay small.
 *
 * Everything is finite, so integers are bit-vectors and Z3 solves the queries by bit-blasting to
 * SAT (much faster here than linear arithmetic over ITE chains):
 * - `IntT`: value indices, ranks and counts, signed bit-vectors of width `intBits`;
 * - `WideT`: exact rationals scaled to integers by a per-node common denominator (sums of what
 *   keys write, means), signed bit-vectors of width `wideBits`.
 * Table lookups become ITE chains over the index's values, with equal results merged.
 */
import type { Table } from './hardProgram.js';
import type { Z3BitVec, Z3Bool, Z3Context } from './solver.js';

export type IntT = number | Z3BitVec;
export type WideT = bigint | Z3BitVec;
export type BoolT = boolean | Z3Bool;
type Leaf = number | bigint | boolean;
type Term = IntT | WideT | BoolT;
type Kind = 'int' | 'wide' | 'bool';

/** Bits of a signed bit-vector that holds every integer of magnitude ≤ max. */
export const bitsFor = (max: bigint | number): number => {
  let m = typeof max === 'bigint' ? (max < 0n ? -max : max) : BigInt(Math.ceil(Math.abs(max)));
  let bits = 1;
  while (m > 0n) {
    m >>= 1n;
    bits++;
  }
  return bits;
};

/** Largest set of possible values tracked for one integer term. */
const MAX_DOMAIN = 4096;

const union = (a: readonly number[], b: readonly number[]): number[] => [...new Set([...a, ...b])].sort((x, y) => x - y);

export class Terms {
  private readonly ids = new Map<object, number>();
  /**
   * The values a symbolic integer term can take (when known): lookups only branch on those, a
   * term with one possible value is that constant, and comparisons of disjoint ranges fold.
   */
  private readonly domains = new Map<object, readonly number[]>();
  private readonly lookups = new Map<string, Term>();
  /** Definitions asserted alongside the goal (var = term). */
  readonly definitions: Z3Bool[] = [];
  private fresh = 0;

  constructor(
    readonly ctx: Z3Context,
    readonly intBits: number,
    readonly wideBits: number,
  ) {}

  private idOf(x: object): number {
    let id = this.ids.get(x);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(x, id);
    }
    return id;
  }

  /** A fresh integer variable (e.g. a token) ranging over `domain`. */
  intVar(name: string, domain?: readonly number[]): Z3BitVec {
    const v = this.ctx.BitVec.const(name, this.intBits);
    if (domain !== undefined) this.domains.set(v, [...domain].sort((x, y) => x - y));
    return v;
  }

  /** The possible values of an integer term, if known. */
  domainOf(x: IntT): readonly number[] | undefined {
    return typeof x === 'number' ? [x] : this.domains.get(x);
  }

  private withDomain(x: IntT, domain: readonly number[] | undefined): IntT {
    if (typeof x === 'number' || domain === undefined) return x;
    if (domain.length === 1) return domain[0] as number;
    if (domain.length <= MAX_DOMAIN) this.domains.set(x, domain);
    return x;
  }

  int(x: IntT): Z3BitVec {
    return typeof x === 'number' ? this.ctx.BitVec.val(x, this.intBits) : x;
  }

  wide(x: WideT): Z3BitVec {
    return typeof x === 'bigint' ? this.ctx.BitVec.val(x, this.wideBits) : x;
  }

  bool(x: BoolT): Z3Bool {
    return typeof x === 'boolean' ? this.ctx.Bool.val(x) : x;
  }

  /** A named integer variable equal to the term (constants stay constants). */
  defineInt(name: string, x: IntT): IntT {
    if (typeof x === 'number') return x;
    const domain = this.domainOf(x);
    if (domain !== undefined && domain.length === 1) return domain[0] as number;
    const v = this.ctx.BitVec.const(`${name}#${this.fresh++}`, this.intBits);
    this.definitions.push(v.eq(x));
    return this.withDomain(v, domain);
  }

  eqInt(a: IntT, b: IntT): BoolT {
    if (typeof a === 'number' && typeof b === 'number') return a === b;
    const da = this.domainOf(a);
    const db = this.domainOf(b);
    if (da !== undefined && db !== undefined && !da.some((x) => db.includes(x))) return false;
    return this.int(a).eq(this.int(b));
  }

  /** a ≥ b (signed). */
  geInt(a: IntT, b: IntT): BoolT {
    if (typeof a === 'number' && typeof b === 'number') return a >= b;
    const da = this.domainOf(a);
    const db = this.domainOf(b);
    if (da !== undefined && db !== undefined && da.length > 0 && db.length > 0) {
      if ((da[0] as number) >= (db[db.length - 1] as number)) return true;
      if ((da[da.length - 1] as number) < (db[0] as number)) return false;
    }
    return this.int(a).sge(this.int(b));
  }

  /** 0 ≤ a < bound, for a variable read as unsigned. */
  below(a: IntT, bound: number): BoolT {
    if (typeof a === 'number') return a >= 0 && a < bound;
    return a.ult(this.ctx.BitVec.val(bound, this.intBits));
  }

  not(a: BoolT): BoolT {
    return typeof a === 'boolean' ? !a : this.ctx.Not(a);
  }

  iff(a: BoolT, b: BoolT): BoolT {
    if (typeof a === 'boolean' && typeof b === 'boolean') return a === b;
    if (typeof a === 'boolean') return a ? b : this.not(b);
    if (typeof b === 'boolean') return b ? a : this.not(a);
    return this.ctx.Iff(a, b);
  }

  and(xs: readonly BoolT[]): BoolT {
    if (xs.some((x) => x === false)) return false;
    const rest = xs.filter((x): x is Z3Bool => x !== true);
    return rest.length === 0 ? true : rest.length === 1 ? (rest[0] as Z3Bool) : this.ctx.And(...rest);
  }

  or(xs: readonly BoolT[]): BoolT {
    if (xs.some((x) => x === true)) return true;
    const rest = xs.filter((x): x is Z3Bool => x !== false);
    return rest.length === 0 ? false : rest.length === 1 ? (rest[0] as Z3Bool) : this.ctx.Or(...rest);
  }

  iteInt(c: BoolT, a: IntT, b: IntT): IntT {
    if (typeof c === 'boolean') return c ? a : b;
    if (typeof a === 'number' && typeof b === 'number' && a === b) return a;
    const da = this.domainOf(a);
    const db = this.domainOf(b);
    return this.withDomain(this.ctx.If(c, this.int(a), this.int(b)) as Z3BitVec, da && db ? union(da, db) : undefined);
  }

  iteWide(c: BoolT, a: WideT, b: WideT): WideT {
    if (typeof c === 'boolean') return c ? a : b;
    if (typeof a === 'bigint' && typeof b === 'bigint' && a === b) return a;
    return this.ctx.If(c, this.wide(a), this.wide(b)) as Z3BitVec;
  }

  iteBool(c: BoolT, a: BoolT, b: BoolT): BoolT {
    if (typeof c === 'boolean') return c ? a : b;
    if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? a : a ? c : this.not(c);
    return this.ctx.If(c, this.bool(a), this.bool(b));
  }

  sumInt(xs: readonly IntT[]): IntT {
    let k = 0;
    const rest: Z3BitVec[] = [];
    let sums: number[] | undefined = [0];
    for (const x of xs) {
      if (typeof x === 'number') k += x;
      else {
        rest.push(x);
        const d = this.domainOf(x);
        sums = sums === undefined || d === undefined ? undefined : [...new Set(sums.flatMap((s) => d.map((v) => s + v)))];
        if (sums !== undefined && sums.length > MAX_DOMAIN) sums = undefined;
      }
    }
    if (rest.length === 0) return k;
    if (k !== 0) rest.push(this.int(k));
    const domain = sums?.map((s) => s + k).sort((x, y) => x - y);
    return this.withDomain(
      rest.reduce((a, b) => a.add(b)),
      domain,
    );
  }

  sumWide(xs: readonly WideT[]): WideT {
    let k = 0n;
    const rest: Z3BitVec[] = [];
    for (const x of xs) {
      if (typeof x === 'bigint') k += x;
      else rest.push(x);
    }
    if (rest.length === 0) return k;
    if (k !== 0n) rest.push(this.wide(k));
    return rest.reduce((a, b) => a.add(b));
  }

  /** a ≤ b, a < b or a = b (signed). */
  cmpWide(a: WideT, op: '<=' | '<' | '=', b: WideT): BoolT {
    if (typeof a === 'bigint' && typeof b === 'bigint') return op === '<=' ? a <= b : op === '<' ? a < b : a === b;
    const x = this.wide(a);
    const y = this.wide(b);
    return op === '<=' ? x.sle(y) : op === '<' ? x.slt(y) : x.eq(y);
  }

  lookupInt(table: Table<number>, idx: readonly IntT[]): IntT {
    return this.lookup(table, idx, 'int') as IntT;
  }

  lookupBool(table: Table<boolean>, idx: readonly IntT[]): BoolT {
    return this.lookup(table, idx, 'bool') as BoolT;
  }

  lookupWide(table: Table<bigint>, idx: readonly IntT[]): WideT {
    return this.lookup(table, idx, 'wide') as WideT;
  }

  /**
   * table[idx…]: constant indices select directly (an index outside the table — a sentinel — picks
   * entry 0: the caller flags sentinels itself); a symbolic index becomes an ITE chain over the
   * groups of its values with equal results, the largest group last (as the else branch).
   */
  private lookup(table: Table<Leaf>, idx: readonly IntT[], kind: Kind): Term {
    const key = `${this.idOf(table)}|${idx.map((x) => (typeof x === 'number' ? `${x}` : `z${this.idOf(x)}`)).join(',')}`;
    const done = this.lookups.get(key);
    if (done !== undefined) return done;
    const r = this.lookupFrom(table, idx, kind, 0, 0);
    this.lookups.set(key, r);
    return r;
  }

  private lookupFrom(table: Table<Leaf>, idx: readonly IntT[], kind: Kind, dim: number, offset: number): Term {
    if (dim === table.dims.length) return table.data[offset] as Leaf;
    const size = table.dims[dim] as number;
    const at = idx[dim] as IntT;
    const sub = (v: number): Term => this.lookupFrom(table, idx, kind, dim + 1, offset * size + v);
    if (typeof at === 'number') return sub(at >= 0 && at < size ? at : 0);
    // sub-tables are shared between lookups that agree on the remaining indices
    const key = `${this.idOf(table)}@${dim}:${offset}|${idx
      .slice(dim)
      .map((x) => (typeof x === 'number' ? `${x}` : `z${this.idOf(x)}`))
      .join(',')}`;
    const done = this.lookups.get(key);
    if (done !== undefined) return done;
    // branch only on the values the index can take (out-of-range sentinels are flagged elsewhere)
    const known = this.domainOf(at);
    const candidates = known === undefined ? Array.from({ length: size }, (_, v) => v) : known.filter((v) => v >= 0 && v < size);
    if (candidates.length === 0) candidates.push(0);
    const groups = new Map<string, { term: Term; members: number[] }>();
    for (const v of candidates) {
      const term = sub(v);
      const k = this.termKey(term);
      const g = groups.get(k);
      if (g === undefined) groups.set(k, { term, members: [v] });
      else g.members.push(v);
    }
    const list = [...groups.values()].sort((a, b) => a.members.length - b.members.length);
    let acc = (list[list.length - 1] as { term: Term }).term;
    for (let i = list.length - 2; i >= 0; i--) {
      const g = list[i] as { term: Term; members: number[] };
      const cond = this.or(g.members.map((v) => this.eqInt(at, v)));
      acc = kind === 'bool' ? this.iteBool(cond, g.term as BoolT, acc as BoolT) : kind === 'wide' ? this.iteWide(cond, g.term as WideT, acc as WideT) : this.iteInt(cond, g.term as IntT, acc as IntT);
    }
    this.lookups.set(key, acc);
    return acc;
  }

  private termKey(t: Term): string {
    if (typeof t === 'number') return `n${t}`;
    if (typeof t === 'bigint') return `w${t}`;
    if (typeof t === 'boolean') return `b${t}`;
    return `z${this.idOf(t)}`;
  }

}
