/**
 * Simplification of a pruned D-RASP program (the decompiler paper's last step), each change kept
 * only when the program's match accuracy stays at or above the threshold:
 *
 * 1. an output projection is dropped (its mean contribution joins the constant logits), and an
 *    MLP input is dropped (fixed at its mean value), when not needed;
 * 2. a selector becomes `select_all()` (uniform attention) when its terms are not needed, else
 *    each of its terms is dropped when not needed;
 * 3. select matrices become named primitives — over positions `k==q`, `k==q-1`, and key-only
 *    `k==0` (the first position), over tokens key-only `k==<bos>` — scaled to the strongest entry
 *    of the matrix they replace; then an output projection of an MLP left reading nothing that
 *    varies is folded into the constant logits (exact);
 * 4. the select matrices and output projections left unnamed are rounded to integer multiples of
 *    a scale (the coarsest of max|x|, max|x|/2, max|x|/4, max|x|/8 that keeps the match), which
 *    makes small entries exactly zero;
 * 5. an MLP that reads one distribution-valued variable (and possibly the token) becomes a named
 *    primitive — exists, is_pure, balance, sharpen, harden — with a fitted linear read-out
 *    (mlpPrimitives.ts);
 * 6. an MLP that reads only the tokens, or only the positions, is a lookup table, and is named so.
 *
 * Variables nothing reads any more are removed. The result is a plain DraspProgram: it runs in the
 * D-RASP interpreter on its own.
 */
import { basisSize } from '../drasp/basis.js';
import { maxAbs, type Matrix } from '../drasp/matrix.js';
import type { DraspProgram, ElementwiseFunction, ProjectLine, SelectTerm, SelectorStatement, Statement, VariableStatement } from '../drasp/program.js';
import type { DraspRun } from '../drasp/interpreter.js';
import { withoutDeadStatements } from '../reparam/expandPaths.js';
import { mlpReplacements } from './mlpPrimitives.js';

export interface Simplification {
  readonly program: DraspProgram;
  readonly match: number;
  /** What was changed, in order. */
  readonly changes: readonly string[];
}

/** A variable computed by an opaque elementwise function: an MLP (or a table) of its inputs. */
type OpaqueMlp = VariableStatement & {
  readonly definition: { readonly kind: 'elementwise'; readonly inputs: readonly string[]; readonly fn: Extract<ElementwiseFunction, { kind: 'opaque' }> };
};

const isOpaqueMlp = (s: Statement): s is OpaqueMlp => s.kind === 'variable' && s.definition.kind === 'elementwise' && s.definition.fn.kind === 'opaque';

const withStatements = (program: DraspProgram, statements: readonly Statement[]): DraspProgram => ({
  ...program,
  statements: withoutDeadStatements(statements, program.output.projects),
});

const replaceSelector = (program: DraspProgram, name: string, terms: readonly SelectTerm[]): DraspProgram =>
  withStatements(
    program,
    program.statements.map((s) => (s.kind === 'selector' && s.name === name ? { ...s, terms } : s)),
  );

const basisKind = (program: DraspProgram, variable: string): string | undefined => {
  const found = program.statements.find((s): s is VariableStatement => s.kind === 'variable' && s.name === variable);
  return found?.definition.kind === 'tokens' ? 'tokens' : found?.definition.kind === 'positions' ? 'positions' : undefined;
};

const positionPattern = (size: number, offset: number, strength: number): Matrix => {
  const data = new Float64Array(size * size);
  for (let q = 0; q < size; q++) {
    const k = q - offset;
    if (k >= 0 && k < size) data[q * size + k] = strength;
  }
  return { rows: size, cols: size, data };
};

const oneHot = (size: number, at: number, strength: number): Float64Array => {
  const v = new Float64Array(size);
  if (at >= 0 && at < size) v[at] = strength;
  return v;
};

/** Named primitives that could stand for `term`, strongest-first. */
const primitivesFor = (program: DraspProgram, term: SelectTerm, bos: number): SelectTerm[] => {
  const strength = maxAbs(term.kind === 'select' ? term.op.data : term.op);
  if (strength === 0) return [];
  if (term.kind === 'select') {
    if (basisKind(program, term.query) !== 'positions' || basisKind(program, term.key) !== 'positions') return [];
    const size = term.op.rows;
    return [
      { ...term, op: positionPattern(size, 0, strength), primitive: `${formatStrength(strength)}·[k==q]` },
      { ...term, op: positionPattern(size, 1, strength), primitive: `${formatStrength(strength)}·[k==q-1]` },
    ];
  }
  const kind = basisKind(program, term.key);
  if (kind === 'positions') return [{ ...term, op: oneHot(term.op.length, 0, strength), primitive: `${formatStrength(strength)}·[k==0]` }];
  if (kind === 'tokens') {
    const sign = term.op[bos] < 0 ? -1 : 1;
    return [{ ...term, op: oneHot(term.op.length, bos, sign * strength), primitive: `${formatStrength(sign * strength)}·[k==<bos>]` }];
  }
  return [];
};

const formatStrength = (x: number): string => String(Number(x.toPrecision(3)));

const LEVELS = [1, 2, 4, 8];

/** x rounded to multiples of max|x| / levels. */
const rounded = (data: Float64Array, levels: number): Float64Array => {
  const step = maxAbs(data) / levels;
  return step === 0 ? data : data.map((v) => Math.round(v / step) * step);
};

const roundSelectors = (program: DraspProgram, attempt: (candidate: DraspProgram, change: string) => boolean): DraspProgram => {
  let current = program;
  for (const selector of selectors(program)) {
    selector.terms.forEach((term, i) => {
      if (term.primitive !== undefined) return;
      for (const levels of LEVELS) {
        const live = selectors(current).find((s) => s.name === selector.name);
        if (live === undefined) return;
        const replaced: SelectTerm =
          term.kind === 'select' ? { ...term, op: { ...term.op, data: rounded(term.op.data, levels) } } : { ...term, op: rounded(term.op, levels) };
        const terms = live.terms.map((t, j) => (j === i ? replaced : t));
        const candidate = replaceSelector(current, selector.name, terms);
        if (attempt(candidate, `${selector.name}: term ${i + 1} rounded to ${levels} level${levels === 1 ? '' : 's'}`)) {
          current = candidate;
          return;
        }
      }
    });
  }
  program.output.projects.forEach((line, i) => {
    for (const levels of LEVELS) {
      const projects = current.output.projects.map((p, j) => (j === i ? { ...p, op: { ...p.op, data: rounded(line.op.data, levels) } } : p));
      const candidate = { ...current, output: { ...current.output, projects } };
      if (attempt(candidate, `project(inp=${line.input}) rounded to ${levels} level${levels === 1 ? '' : 's'}`)) {
        current = candidate;
        return;
      }
    }
  });
  return current;
};

const selectors = (program: DraspProgram): SelectorStatement[] => program.statements.filter((s): s is SelectorStatement => s.kind === 'selector');

/** The project lines `valueOf` gives a constant input for, folded into the constant logits. */
const foldProjects = (program: DraspProgram, valueOf: (line: ProjectLine, index: number) => Float64Array | undefined): DraspProgram => {
  const bias = Float64Array.from(program.output.bias);
  const projects = program.output.projects.filter((line, index) => {
    const value = valueOf(line, index);
    if (value === undefined) return true;
    for (let i = 0; i < line.op.rows; i++) for (let j = 0; j < line.op.cols; j++) bias[j] += value[i] * line.op.data[i * line.op.cols + j];
    return false;
  });
  const output = { ...program.output, bias, projects };
  return { ...program, output, statements: withoutDeadStatements(program.statements, output.projects) };
};

const withoutProject = (program: DraspProgram, index: number, means: ReadonlyMap<string, Float64Array>): DraspProgram =>
  foldProjects(program, (line, i) => (i === index ? (means.get(line.input) as Float64Array) : undefined));

const withoutMlpInput = (program: DraspProgram, variable: string, input: string, means: ReadonlyMap<string, Float64Array>): DraspProgram =>
  withStatements(
    program,
    program.statements.map((s): Statement => {
      if (!isOpaqueMlp(s) || s.name !== variable) return s;
      const fn = s.definition.fn;
      const at = s.definition.inputs.indexOf(input);
      const fixed = means.get(input) as Float64Array;
      return {
        ...s,
        definition: {
          ...s.definition,
          inputs: s.definition.inputs.filter((_, i) => i !== at),
          fn: { ...fn, description: `${fn.description}; ${input} fixed at its mean`, apply: (inputs, output) => fn.apply([...inputs.slice(0, at), fixed, ...inputs.slice(at)], output) },
        },
      };
    }),
  );

/**
 * Project lines reading an MLP whose inputs are all fixed (a constant vector) folded into the
 * constant logits: exact, so no match test is needed.
 */
const foldConstantMlps = (program: DraspProgram, changes: string[]): DraspProgram => {
  const constants = new Map<string, Float64Array>();
  for (const s of program.statements) {
    if (!isOpaqueMlp(s) || s.definition.inputs.length > 0) continue;
    const value = new Float64Array(basisSize(s.basis));
    s.definition.fn.apply([], value);
    constants.set(s.name, value);
  }
  return foldProjects(program, (line) => {
    const value = constants.get(line.input);
    if (value !== undefined) changes.push(`logits: project(inp=${line.input}) folded into the constant logits (${line.input} reads nothing that varies)`);
    return value;
  });
};

const replaceStatement = (program: DraspProgram, statement: VariableStatement): DraspProgram =>
  withStatements(
    program,
    program.statements.map((s) => (s.name === statement.name ? statement : s)),
  );

/**
 * Greedy simplification; `evaluate` gives a program's match accuracy, `means` each variable's mean
 * value over positions of typical inputs, `bos` the `<bos>` token id, `runsOf` a program's runs on
 * typical inputs (the samples MLP primitives are fitted on; without it MLPs stay as they are).
 */
export const simplifyProgram = (
  program: DraspProgram,
  evaluate: (p: DraspProgram) => number,
  means: ReadonlyMap<string, Float64Array>,
  threshold: number,
  bos: number,
  runsOf?: (p: DraspProgram) => readonly DraspRun[],
): Simplification => {
  let current = program;
  let match = evaluate(current);
  const changes: string[] = [];
  const attempt = (candidate: DraspProgram, change: string): boolean => {
    const m = evaluate(candidate);
    if (m < threshold) return false;
    current = candidate;
    match = m;
    changes.push(change);
    return true;
  };

  for (let i = current.output.projects.length - 1; i >= 0; i--) {
    const input = current.output.projects[i].input;
    attempt(withoutProject(current, i, means), `logits: dropped project(inp=${input})`);
  }
  for (const statement of current.statements.filter(isOpaqueMlp)) {
    for (const input of [...statement.definition.inputs].reverse()) {
      if (!current.statements.some((s) => s.name === statement.name)) break;
      attempt(withoutMlpInput(current, statement.name, input, means), `${statement.name}: ${input} fixed at its mean`);
    }
  }

  for (const selector of selectors(current)) {
    if (!current.statements.includes(selector)) continue;
    if (selector.terms.length === 0) continue;
    if (attempt(replaceSelector(current, selector.name, []), `${selector.name}: select_all()`)) continue;
    let terms = [...selector.terms];
    for (let i = terms.length - 1; i >= 0 && terms.length > 1; i--) {
      const fewer = terms.filter((_, j) => j !== i);
      if (attempt(replaceSelector(current, selector.name, fewer), `${selector.name}: dropped a term`)) terms = fewer;
    }
    for (let i = 0; i < terms.length; i++) {
      for (const named of primitivesFor(current, terms[i], bos)) {
        const replaced = terms.map((t, j) => (j === i ? named : t));
        if (attempt(replaceSelector(current, selector.name, replaced), `${selector.name}: ${named.primitive}`)) {
          terms = replaced;
          break;
        }
      }
    }
  }

  current = foldConstantMlps(current, changes);
  current = roundSelectors(current, attempt);

  if (runsOf !== undefined) {
    for (const name of current.statements.filter(isOpaqueMlp).map((s) => s.name)) {
      const live = current.statements.find((s) => s.name === name);
      if (live === undefined || !isOpaqueMlp(live)) continue;
      for (const replacement of mlpReplacements(current, live, runsOf(current))) {
        const change = `${name}: ${replacement.primitive.name} (${replacement.primitive.detail}; fit error ${(100 * replacement.error).toFixed(1)}%)`;
        if (attempt(replaceStatement(current, replacement.statement), change)) break;
      }
    }
  }

  const tabled = current.statements.map((s): Statement => {
    if (!isOpaqueMlp(s)) return s;
    const inputs = s.definition.inputs;
    const kinds = new Set(inputs.map((i) => basisKind(current, i)));
    const kind = kinds.size === 1 ? [...kinds][0] : undefined;
    if (inputs.length === 0 || kind === undefined) return s;
    const fn = s.definition.fn;
    const over = kind === 'tokens' ? 'token' : 'position';
    return {
      ...s,
      definition: { ...s.definition, fn: { ...fn, name: 'table', description: `a lookup table: ${over} → ${basisSize(s.basis)} values (${fn.description})` } },
    };
  });
  current = { ...current, statements: tabled };
  return { program: current, match, changes };
};
