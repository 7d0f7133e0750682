import { describe, expect, it } from 'vitest';
import * as Either from 'fp-ts/lib/Either.js';
import { derivedBasis, tokenBasis } from '../../../src/decompile/drasp/basis.js';
import { runDrasp, type DraspRun } from '../../../src/decompile/drasp/interpreter.js';
import { matrix } from '../../../src/decompile/drasp/matrix.js';
import type { DraspProgram } from '../../../src/decompile/drasp/program.js';
import { printDrasp } from '../../../src/decompile/drasp/printer.js';
import { ridgeLeastSquares } from '../../../src/decompile/prune/leastSquares.js';
import { isDistribution, mlpReplacements } from '../../../src/decompile/prune/mlpPrimitives.js';
import { simplifyProgram } from '../../../src/decompile/prune/simplify.js';
import { mulberry32 } from '../../../src/util/random.js';

const right = <A>(e: Either.Either<unknown, A>): A => {
  if (Either.isLeft(e)) throw new Error(JSON.stringify(e.left));
  return e.right;
};

// tokens: a, b, c, <bos>
const TOKENS = ['a', 'b', 'c', '<bos>'];
const BOS = 3;
const UNITS = 3;

/** tok → uniform average → an "MLP" given as a plain function of the average and the token → logits. */
const programWith = (hidden: (average: Float64Array, token: number, out: Float64Array) => void): DraspProgram => {
  const project = matrix(UNITS, 2, Float64Array.from([1, -1, -1, 1, 0.5, 0.25]));
  return {
    causal: true,
    maskedKeyTokens: [],
    statements: [
      { kind: 'variable', name: 'tok', basis: tokenBasis(TOKENS), definition: { kind: 'tokens' } },
      { kind: 'selector', name: 's', terms: [] },
      { kind: 'variable', name: 'avg', basis: tokenBasis(TOKENS), definition: { kind: 'aggregate', selector: 's', value: 'tok' } },
      {
        kind: 'variable',
        name: 'mlp',
        basis: derivedBasis('mlp', ['u0', 'u1', 'u2']),
        definition: {
          kind: 'elementwise',
          inputs: ['tok', 'avg'],
          fn: {
            kind: 'opaque',
            name: 'MLP',
            description: 'test MLP',
            apply: ([tok, avg], out) => hidden(avg, tok.indexOf(1), out),
          },
        },
      },
    ],
    output: { basis: derivedBasis('logits', ['yes', 'no']), projects: [{ input: 'mlp', op: project }], bias: new Float64Array(2), prediction: 'argmax' },
  };
};

const inputs = (count: number, seed: number): Int32Array[] => {
  const random = mulberry32(seed);
  return Array.from({ length: count }, () => {
    const length = 1 + Math.floor(random() * 12);
    // Symbols drawn with per-sequence weights so that some sequences lack a symbol.
    const weights = [random(), random(), random() < 0.5 ? 0 : random()];
    const total = weights.reduce((s, w) => s + w, 0);
    return Int32Array.from([BOS, ...Array.from({ length }, () => {
      let u = random() * total;
      for (let i = 0; i < 3; i++) {
        u -= weights[i];
        if (u <= 0) return i;
      }
      return 0;
    })]);
  });
};

const runsOf = (program: DraspProgram, sequences: readonly Int32Array[]): DraspRun[] => sequences.map((ids) => right(runDrasp(program, ids)));

const mlpStatement = (program: DraspProgram) => {
  const found = program.statements.find((s) => s.name === 'mlp');
  if (found === undefined || found.kind !== 'variable') throw new Error('no mlp');
  return found;
};

/** Whole-sequence argmax agreement of two programs. */
const agreement = (a: DraspProgram, b: DraspProgram, sequences: readonly Int32Array[]): number => {
  let agree = 0;
  for (const ids of sequences) {
    const x = right(runDrasp(a, ids)).logits;
    const y = right(runDrasp(b, ids)).logits;
    let same = true;
    for (let t = 0; t < ids.length; t++) if (x[2 * t] > x[2 * t + 1] !== y[2 * t] > y[2 * t + 1]) same = false;
    if (same) agree++;
  }
  return agree / sequences.length;
};

describe('ridge least squares', () => {
  it('recovers the coefficients of exact data', () => {
    const random = mulberry32(3);
    const rows = 40;
    const p = 5;
    const m = 3;
    const a = Float64Array.from({ length: p * m }, () => random() * 2 - 1);
    const f = Float64Array.from({ length: rows * p }, () => random() * 2 - 1);
    const h = new Float64Array(rows * m);
    for (let r = 0; r < rows; r++) for (let k = 0; k < p; k++) for (let c = 0; c < m; c++) h[r * m + c] += f[r * p + k] * a[k * m + c];
    const fitted = ridgeLeastSquares(f, h, rows, p, m, 1e-12);
    fitted.forEach((v, i) => expect(v).toBeCloseTo(a[i], 6));
  });
});

describe('MLP primitives', () => {
  const sequences = inputs(60, 11);

  it('a distribution is non-negative and sums to 1', () => {
    expect(isDistribution(Float64Array.from([0.5, 0.5, 0, 1, 0, 0]), 3)).toBe(true);
    expect(isDistribution(Float64Array.from([0.5, 0.6, 0]), 3)).toBe(false);
    expect(isDistribution(Float64Array.from([1.5, -0.5, 0]), 3)).toBe(false);
  });

  it('an MLP comparing two symbols\' frequencies is fitted exactly by balance', () => {
    const program = programWith((avg, token, out) => {
      out[0] = avg[0] > avg[1] ? 2 : 0;
      out[1] = avg[0] < avg[1] ? 1 + token : 0;
      out[2] = 0.5;
    });
    const found = mlpReplacements(program, mlpStatement(program), runsOf(program, sequences));
    expect(found.length).toBeGreaterThan(0);
    expect(found[0].primitive.name).toBe('balance');
    expect(found[0].primitive.detail).toContain('avg_a > avg_b');
    expect(found[0].error).toBeLessThan(1e-9);
  });

  it('an MLP testing whether a symbol occurs is fitted exactly by exists, and not by balance', () => {
    const program = programWith((avg, _token, out) => {
      out[0] = avg[2] > 0 ? 1 : 0;
      out[1] = avg[0] > 0 ? 1 : 0;
      out[2] = 0;
    });
    const found = mlpReplacements(program, mlpStatement(program), runsOf(program, sequences), 10, 1);
    const exists = found.find((r) => r.primitive.name === 'exists');
    expect(exists?.error ?? 1).toBeLessThan(1e-9);
    for (const r of found.filter((x) => x.primitive.name === 'balance')) expect(r.error).toBeGreaterThan(1e-3);
  });

  it('an MLP of the most frequent symbol is fitted exactly by harden', () => {
    const program = programWith((avg, _token, out) => {
      let best = 0;
      for (let i = 1; i < 3; i++) if (avg[i] > avg[best]) best = i;
      out.fill(0);
      out[best] = 1;
    });
    const found = mlpReplacements(program, mlpStatement(program), runsOf(program, sequences), 10, 1);
    expect(found.find((r) => r.primitive.name === 'harden')?.error ?? 1).toBeLessThan(1e-9);
  });

  it('an MLP that does not read a distribution gets no primitive', () => {
    const program = programWith((avg, _token, out) => out.fill(avg[0] > avg[1] ? 1 : 0));
    // the same MLP reading 2 × the average (entries sum to 2): not a distribution
    const doubled = matrix(4, 4, Float64Array.from({ length: 16 }, (_, i) => (i % 5 === 0 ? 2 : 0)));
    const statements = program.statements.map((s) =>
      s.name === 'avg' && s.kind === 'variable' && s.definition.kind === 'aggregate' ? { ...s, definition: { ...s.definition, output: doubled } } : s,
    );
    const scaled: DraspProgram = { ...program, statements };
    expect(mlpReplacements(scaled, mlpStatement(scaled), runsOf(scaled, sequences))).toEqual([]);
    expect(mlpReplacements(program, mlpStatement(program), runsOf(program, sequences)).length).toBeGreaterThan(0);
  });

  it('simplification names the MLP, and the named program runs standalone with the reported match', () => {
    const program = programWith((avg, token, out) => {
      // a smooth MLP whose decision is which of a and b is more frequent
      const d = 20 * (avg[0] - avg[1]);
      out[0] = Math.tanh(d) + 1;
      out[1] = 1 - Math.tanh(d) + 0.01 * token;
      out[2] = 0.3;
    });
    const evaluate = (p: DraspProgram): number => agreement(p, program, sequences);
    const means = new Map<string, Float64Array>();
    let positions = 0;
    for (const run of runsOf(program, sequences)) {
      positions += run.length;
      for (const [name, values] of run.values) {
        const width = values.length / run.length;
        const sum = means.get(name) ?? new Float64Array(width);
        values.forEach((v, i) => (sum[i % width] += v));
        means.set(name, sum);
      }
    }
    for (const sum of means.values()) sum.forEach((v, i) => (sum[i] = v / positions));
    const simplified = simplifyProgram(program, evaluate, means, 0.9, BOS, (p) => runsOf(p, sequences.slice(0, 30)));
    expect(simplified.changes.some((c) => c.startsWith('mlp: balance'))).toBe(true);
    expect(printDrasp(simplified.program)).toContain('mlp = balance(avg)');
    expect(simplified.match).toBeGreaterThanOrEqual(0.9);
    expect(agreement(simplified.program, program, sequences)).toBe(simplified.match);
  });

  it('an MLP that reads nothing that varies is folded into the constant logits, exactly', () => {
    const base = programWith(() => undefined);
    const program: DraspProgram = {
      ...base,
      statements: base.statements.map((st) =>
        st.name === 'mlp' && st.kind === 'variable' && st.definition.kind === 'elementwise'
          ? { ...st, definition: { ...st.definition, inputs: [], fn: { kind: 'opaque', name: 'MLP', description: 'constant', apply: (_, out) => out.set([0.5, -1, 2]) } } }
          : st,
      ),
    };
    // an evaluation that refuses every program with fewer projections: only an exact change gets through
    const simplified = simplifyProgram(program, (p) => (p.output.projects.length === 1 ? 1 : 0), new Map([['mlp', Float64Array.of(0, 0, 0)]]), 0.9, BOS);
    expect(simplified.changes.some((c) => c.includes('folded into the constant logits'))).toBe(true);
    expect(simplified.program.output.projects).toEqual([]);
    expect(simplified.program.statements.some((st) => st.name === 'mlp')).toBe(false);
    for (const ids of sequences.slice(0, 10)) {
      const before = right(runDrasp(program, ids)).logits;
      const after = right(runDrasp(simplified.program, ids)).logits;
      after.forEach((v, i) => expect(v).toBeCloseTo(before[i], 12));
    }
  });
});
