/**
 * Z3 method (a): facts about each MLP over a continuous domain no enumeration covers. For every
 * combination of input values and every residual within the inputs' error bounds of its exact
 * encoding, the MLP's output must stay within the tolerance its consumers need (the manifest's
 * `required`). Interval/affine bounds (the MLP lemma) settle the combinations whose activation
 * pattern is fixed over the box; Z3 decides the rest exactly, with a ReLU as If(z > 0, z, 0).
 */
import type { Value } from '../../ast/value.js';
import type { ComboBound } from '../lemmas/mlp.js';
import { mlpBound } from '../lemmas/mlp.js';
import type { LemmaReport, MlpObligation } from '../lemmas/check.js';
import { withSolver, type Z3Arith, type Z3Bool } from './solver.js';

export interface MlpFact {
  readonly node: string;
  readonly layer: number;
  readonly tolerance: number;
  readonly combinations: number;
  /** Combinations the interval/affine bound settled without the solver. */
  readonly byBounds: number;
  readonly solverQueries: number;
  readonly verdict: 'holds' | 'fails' | 'unknown';
  /** A residual point (non-zero coordinates by direction name) where the output is off. */
  readonly counterexample?: { readonly inputs: readonly Value[]; readonly residual: Readonly<Record<string, number>>; readonly error: number };
  readonly solverSeconds: number;
}

const exact = (x: number): string => {
  // a decimal Z3 parses exactly (doubles are dyadic rationals)
  if (Number.isInteger(x)) return String(x);
  return x.toPrecision(17);
};

/** The tolerance a node's output must meet: the compiler's derived requirement, or decodability. */
const toleranceOf = (report: LemmaReport, label: string): number => {
  const r = report.context.report(label).margins['required'];
  if (r !== undefined && Number.isFinite(r)) return r;
  return label === report.context.view.model.manifest.output.label ? report.outputTolerance / 2 : 0.125;
};

export const checkMlpFacts = async (report: LemmaReport, timeoutMs = 10_000): Promise<MlpFact[]> => {
  const facts: MlpFact[] = [];
  for (const ob of report.obligations) facts.push(await factFor(report, ob, timeoutMs));
  return facts;
};

const factFor = async (report: LemmaReport, ob: MlpObligation, timeoutMs: number): Promise<MlpFact> => {
  const c = report.context;
  const tolerance = toleranceOf(report, ob.label);
  const open: ComboBound[] = [];
  let total = 0;
  mlpBound(c, ob.stage, ob.inputs, ob.output, ob.outputValues, ob.f, (cb) => {
    total++;
    if (cb.error > tolerance) open.push(cb);
  });
  const base = { node: ob.label, layer: ob.stage.layer, tolerance, combinations: total, byBounds: total - open.length };
  if (open.length === 0) return { ...base, solverQueries: 0, verdict: 'holds', solverSeconds: 0 };
  return withSolver(async (session) => {
    const { ctx } = session;
    const view = c.view;
    const d = view.d;
    const dm = view.model.config.d_mlp;
    const [from, to] = ob.stage.units as readonly [number, number];
    const win = view.tensor(`blocks.${ob.stage.layer}.mlp.W_in`).data;
    const bin = view.tensor(`blocks.${ob.stage.layer}.mlp.b_in`).data;
    const wout = view.tensor(`blocks.${ob.stage.layer}.mlp.W_out`).data;
    let seconds = 0;
    let queries = 0;
    for (const cb of open) {
      const solver = session.solver(timeoutMs);
      const vars = new Map<number, Z3Arith>();
      for (let i = 0; i < d; i++) {
        const r = cb.radius[i] as number;
        if (r <= 0) continue;
        const v = ctx.Real.const(`x${i}`);
        const centre = cb.centre[i] as number;
        solver.add(v.ge(ctx.Real.val(exact(centre - r))), v.le(ctx.Real.val(exact(centre + r))));
        vars.set(i, v);
      }
      const outs = new Map<number, Z3Arith>();
      for (let u = from; u < to; u++) {
        let z: Z3Arith = ctx.Real.val(exact(bin[u] as number));
        for (let i = 0; i < d; i++) {
          const w = win[i * dm + u] as number;
          if (w === 0) continue;
          const x = vars.get(i);
          z = x === undefined ? z.add(ctx.Real.val(exact(w * (cb.centre[i] as number)))) : z.add(x.mul(ctx.Real.val(exact(w))));
        }
        const active = ctx.If(z.gt(0), z, ctx.Real.val(0)) as Z3Arith;
        for (const j of ob.output.indices) {
          const w = wout[u * d + j] as number;
          if (w === 0) continue;
          const term = active.mul(ctx.Real.val(exact(w)));
          const prev = outs.get(j);
          outs.set(j, prev === undefined ? term : prev.add(term));
        }
      }
      const deviations = ob.output.indices.map((j) => {
        const o = outs.get(j) ?? ctx.Real.val(0);
        const diff = o.sub(ctx.Real.val(exact(cb.ideal[j] as number)));
        return ctx.If(diff.ge(0), diff, diff.neg()) as Z3Arith;
      });
      const violated: Z3Bool =
        ob.output.representation === 'categorical'
          ? deviations.reduce((a, b) => a.add(b)).gt(ctx.Real.val(exact(tolerance)))
          : ctx.Or(...deviations.map((dv) => dv.gt(ctx.Real.val(exact(tolerance)))));
      solver.add(violated);
      const outcome = await session.check(solver);
      queries++;
      seconds += outcome.seconds;
      if (outcome.result === 'unknown') return { ...base, solverQueries: queries, verdict: 'unknown' as const, solverSeconds: seconds };
      if (outcome.result === 'sat') {
        const m = outcome.model;
        const residual: Record<string, number> = {};
        for (let i = 0; i < d; i++) {
          const v = vars.get(i);
          const value = v !== undefined && m !== undefined ? (m.eval(v, true) as unknown as { asNumber(): number }).asNumber() : (cb.centre[i] as number);
          if (value !== 0 && Number.isFinite(value)) residual[view.model.manifest.residual[i]?.name ?? String(i)] = value;
        }
        return {
          ...base,
          solverQueries: queries,
          verdict: 'fails' as const,
          counterexample: { inputs: cb.combo, residual, error: cb.error },
          solverSeconds: seconds,
        };
      }
    }
    return { ...base, solverQueries: queries, verdict: 'holds' as const, solverSeconds: seconds };
  });
};
