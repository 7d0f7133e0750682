/**
 * Solver terms with constant folding: a term is a JS constant (number, boolean, exact rational)
 * until it depends on a token, and only then a Z3 expression. Most of a RASP program at a fixed
 * length is constant (indices, length, position-only maps, selectors over them), so the queries
 * stay small. Table lookups become ITE chains over the index's values, with equal results merged.
 */
import type { Table } from './hardSemantics.js';
import { add, cmp, mul, ratText, ZERO, type Rat } from './rational.js';
import type { Z3Arith, Z3Bool, Z3Context } from './solver.js';

export type IntT = number | Z3Arith;
export type BoolT = boolean | Z3Bool;
export type RealT = Rat | Z3Arith;
type Leaf = number | boolean | Rat;
type Term = IntT | BoolT | RealT;

export const isRat = (x: unknown): x is Rat => typeof x === 'object' && x !== null && typeof (x as Rat).p === 'bigint';

export class Terms {
  private readonly ids = new Map<object, number>();
  private readonly lookups = new Map<string, Term>();
  /** Definitions asserted alongside the goal (var = term). */
  readonly definitions: Z3Bool[] = [];
  private fresh = 0;

  constructor(readonly ctx: Z3Context) {}

  private idOf(x: object): number {
    let id = this.ids.get(x);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(x, id);
    }
    return id;
  }

  int(x: IntT): Z3Arith {
    return typeof x === 'number' ? this.ctx.Int.val(x) : x;
  }

  bool(x: BoolT): Z3Bool {
    return typeof x === 'boolean' ? this.ctx.Bool.val(x) : x;
  }

  real(x: RealT): Z3Arith {
    return isRat(x) ? this.ctx.Real.val(ratText(x)) : x;
  }

  /** A named integer variable equal to the term (constants stay constants). */
  defineInt(name: string, x: IntT): IntT {
    if (typeof x === 'number') return x;
    const v = this.ctx.Int.const(`${name}#${this.fresh++}`);
    this.definitions.push(v.eq(x));
    return v;
  }

  eqInt(a: IntT, b: IntT): BoolT {
    if (typeof a === 'number' && typeof b === 'number') return a === b;
    return this.int(a).eq(this.int(b));
  }

  not(a: BoolT): BoolT {
    return typeof a === 'boolean' ? !a : this.ctx.Not(a);
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
    return this.ctx.If(c, this.int(a), this.int(b)) as Z3Arith;
  }

  iteReal(c: BoolT, a: RealT, b: RealT): RealT {
    if (typeof c === 'boolean') return c ? a : b;
    if (isRat(a) && isRat(b) && cmp(a, b) === 0) return a;
    return this.ctx.If(c, this.real(a), this.real(b)) as Z3Arith;
  }

  sumInt(xs: readonly IntT[]): IntT {
    let k = 0;
    const rest: Z3Arith[] = [];
    for (const x of xs) {
      if (typeof x === 'number') k += x;
      else rest.push(x);
    }
    if (rest.length === 0) return k;
    const [first, ...more] = rest as [Z3Arith, ...Z3Arith[]];
    return k === 0 ? (more.length === 0 ? first : this.ctx.Sum(first, ...more)) : this.ctx.Sum(first, ...more, this.ctx.Int.val(k));
  }

  sumReal(xs: readonly RealT[]): RealT {
    let k: Rat = ZERO;
    const rest: Z3Arith[] = [];
    for (const x of xs) {
      if (isRat(x)) k = add(k, x);
      else rest.push(x);
    }
    if (rest.length === 0) return k;
    const [first, ...more] = rest as [Z3Arith, ...Z3Arith[]];
    return k.p === 0n ? (more.length === 0 ? first : this.ctx.Sum(first, ...more)) : this.ctx.Sum(first, ...more, this.real(k));
  }

  scaleReal(x: RealT, k: Rat): RealT {
    if (isRat(x)) return mul(x, k);
    if (k.p === 0n) return ZERO;
    return k.p === k.q ? x : x.mul(this.real(k));
  }

  /** a ≤ b, a < b or a = b over reals. */
  cmpReal(a: RealT, op: '<=' | '<' | '=', b: RealT): BoolT {
    if (isRat(a) && isRat(b)) {
      const c = cmp(a, b);
      return op === '<=' ? c <= 0 : op === '<' ? c < 0 : c === 0;
    }
    const x = this.real(a);
    const y = this.real(b);
    return op === '<=' ? x.le(y) : op === '<' ? x.lt(y) : x.eq(y);
  }

  /** max of integer terms: a constant, or a fresh variable constrained to be the maximum. */
  maxInt(name: string, xs: readonly IntT[]): IntT {
    if (xs.every((x): x is number => typeof x === 'number')) return Math.max(...xs);
    const m = this.ctx.Int.const(`${name}#${this.fresh++}`);
    for (const x of xs) this.definitions.push(m.ge(this.int(x)));
    this.definitions.push(this.ctx.Or(...xs.map((x) => m.eq(this.int(x)))));
    return m;
  }

  lookupInt(table: Table<number>, idx: readonly IntT[]): IntT {
    return this.lookup(table, idx) as IntT;
  }

  lookupBool(table: Table<boolean>, idx: readonly IntT[]): BoolT {
    return this.lookup(table, idx) as BoolT;
  }

  lookupReal(table: Table<Rat>, idx: readonly IntT[]): RealT {
    return this.lookup(table, idx) as RealT;
  }

  /**
   * table[idx…]: constant indices select directly (an index outside the table — a sentinel — picks
   * entry 0: the caller flags sentinels itself); a symbolic index becomes an ITE chain over the
   * groups of its values with equal results, the largest group last (as the else branch).
   */
  private lookup(table: Table<Leaf>, idx: readonly IntT[]): Term {
    const key = `${this.idOf(table)}|${idx.map((x) => (typeof x === 'number' ? `${x}` : `z${this.idOf(x)}`)).join(',')}`;
    const done = this.lookups.get(key);
    if (done !== undefined) return done;
    const r = this.lookupFrom(table, idx, 0, 0);
    this.lookups.set(key, r);
    return r;
  }

  private lookupFrom(table: Table<Leaf>, idx: readonly IntT[], dim: number, offset: number): Term {
    if (dim === table.dims.length) return table.data[offset] as Leaf;
    const size = table.dims[dim] as number;
    const at = idx[dim] as IntT;
    const sub = (v: number): Term => this.lookupFrom(table, idx, dim + 1, offset * size + v);
    if (typeof at === 'number') return sub(at >= 0 && at < size ? at : 0);
    const groups = new Map<string, { term: Term; members: number[] }>();
    for (let v = 0; v < size; v++) {
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
      acc = this.ite(cond, g.term, acc);
    }
    return acc;
  }

  private termKey(t: Term): string {
    if (typeof t === 'number') return `n${t}`;
    if (typeof t === 'boolean') return `b${t}`;
    if (isRat(t)) return `r${ratText(t)}`;
    return `z${this.idOf(t)}`;
  }

  private ite(c: BoolT, a: Term, b: Term): Term {
    if (typeof a === 'boolean' || typeof b === 'boolean' || this.ctx.isBool(a)) {
      if (typeof c === 'boolean') return c ? a : b;
      return this.ctx.If(c, this.bool(a as BoolT), this.bool(b as BoolT)) as Z3Bool;
    }
    if (isRat(a) || isRat(b) || (typeof a !== 'number' && this.ctx.isReal(a))) return this.iteReal(c, a as RealT, b as RealT);
    return this.iteInt(c, a as IntT, b as IntT);
  }
}
