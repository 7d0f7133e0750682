/** lower: the MLP construction of each map and sequence map (src/craft/chambers/mlps.ts). */
import { applyFn } from '../ast/apply.js';
import { ExprFailure } from '../ast/exprEval.js';
import type { Encoding, Node, SOp } from '../ast/program.js';
import { isNumberLike, numbersClose, toNumber, type Value } from '../ast/value.js';
import type { Weights } from '../craft/blocks.js';
import {
  discretisingMlp,
  gatedDiscretisingMlp,
  linearMlp,
  pairTableMlp,
  tableMlp,
  type MlpConstruction,
} from '../craft/chambers/mlps.js';
import type { SopSpace } from '../craft/sopSpace.js';
import { fitAffine1, splitSeparable } from '../typecheck/fnShape.js';
import { pairFunction, type NodePlan } from '../typecheck/plan.js';
import type { TypedProgram } from '../typecheck/typecheck.js';
import type { ValueSet } from '../typecheck/valueSet.js';

/** What lowering knows of every s-op: its plan, space, value set and label. */
export interface Context {
  readonly t: TypedProgram;
  readonly spaces: Map<number, SopSpace>;
  readonly plan: (id: number) => NodePlan;
  readonly valueSet: (id: number) => ValueSet;
  readonly label: (id: number) => string;
}

const asValue = (r: Value | ExprFailure): Value => (r instanceof ExprFailure ? null : r);

/** Error gains per input s-op: one s-op read twice adds its two gains. */
const gainsOf = (la: string, ga: number, lb: string, gb: number): Record<string, number> =>
  la === lb ? { [la]: ga + gb } : { [la]: ga, [lb]: gb };

/** The MLP of a map or sequence map (undefined for other nodes). */
export const mlpFor = (c: Context, id: number, exact: (id: number) => boolean, fixedWidth?: number): MlpConstruction | undefined => {
  const g = c.t.graph.nodes[id] as { node: Node; children: readonly number[] };
  const node = g.node as SOp;
  const plan = c.plan(id);
  const out = c.spaces.get(id) as SopSpace;
  const space = (k: number): SopSpace => c.spaces.get(g.children[k] as number) as SopSpace;
  const rep = (k: number): Encoding => space(k).representation;
  const nonNegative = (): boolean => out.values.every((v) => isNumberLike(v) && toNumber(v) >= 0);
  const terms = (s: SopSpace, f: (v: Value) => number): { terms: Weights; bias: number; gain: number } => {
    if (s.representation === 'categorical') {
      const ts = s.values.map((v, i) => [(s.directions[i] as { key: string }).key, f(v)] as const).filter(([, w]) => w !== 0);
      return { terms: ts, bias: 0, gain: Math.max(0, ...ts.map(([, w]) => Math.abs(w))) };
    }
    const fit = fitAffine1(s.values.filter(isNumberLike).map((x) => [toNumber(x), f(x)] as const));
    if (fit === undefined) throw new Error(`bug: ${s.label} planned as affine but is not`);
    return { terms: fit.a === 0 ? [] : [[(s.directions[0] as { key: string }).key, fit.a]], bias: fit.b, gain: Math.abs(fit.a) };
  };
  switch (node.kind) {
    case 'map': {
      const f = (v: Value): Value => asValue(applyFn(node.fn, [v]));
      if (plan.construction === 'table-mlp') return tableMlp(space(0), exact(g.children[0] as number), f, out);
      if (plan.construction === 'discretising-mlp') return discretisingMlp(space(0), (x) => f(x), out, 'discretising-mlp', 0, fixedWidth);
      const t = terms(space(0), (v) => toNumber(f(v) as number));
      return linearMlp(t.terms, t.bias, out, nonNegative() && exact(g.children[0] as number), { [space(0).label]: t.gain }, [space(0)]);
    }
    case 'linearSequenceMap':
    case 'sequenceMap': {
      const fn = pairFunction(node);
      const f = (x: Value, y: Value): Value => asValue(fn(x, y));
      const [ia, ib] = g.children as [number, number];
      if (plan.construction === 'pair-table-mlp') return pairTableMlp(space(0), space(1), exact(ia) && exact(ib), f, out);
      if (plan.construction === 'gated-discretising-mlp') {
        const gateFirst = rep(0) === 'categorical';
        const gate = gateFirst ? space(0) : space(1);
        const num = gateFirst ? space(1) : space(0);
        return gatedDiscretisingMlp(gate, exact(gateFirst ? ia : ib), num, (u, x) => (gateFirst ? f(u, x) : f(x, u)), out, fixedWidth);
      }
      if (node.kind === 'linearSequenceMap') {
        const a = terms(space(0), (v) => node.fstCoeff * toNumber(v as number));
        const b = terms(space(1), (v) => node.sndCoeff * toNumber(v as number));
        return linearMlp([...a.terms, ...b.terms], a.bias + b.bias, out, nonNegative() && exact(ia) && exact(ib), gainsOf(space(0).label, a.gain, space(1).label, b.gain), [space(0), space(1)]);
      }
      const xs = (c.valueSet(ia) as ValueSet).withoutNone().values;
      const ys = (c.valueSet(ib) as ValueSet).withoutNone().values;
      const split = splitSeparable(xs, ys, f);
      if (split === undefined) throw new Error(`bug: ${c.label(id)} planned as linear but is not separable`);
      const at = (vals: readonly Value[], table: readonly number[]) => (v: Value): number => {
        const i = vals.findIndex((u) => isNumberLike(u) && isNumberLike(v) ? numbersClose(toNumber(u), toNumber(v)) : u === v);
        return table[i] as number;
      };
      const a = terms(space(0), at(xs, split.g));
      const b = terms(space(1), at(ys, split.h));
      return linearMlp([...a.terms, ...b.terms], a.bias + b.bias, out, nonNegative() && exact(ia) && exact(ib), gainsOf(space(0).label, a.gain, space(1).label, b.gain), [space(0), space(1)]);
    }
    default:
      return undefined;
  }
};

