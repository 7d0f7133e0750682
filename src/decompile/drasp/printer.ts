/**
 * The readable form of a D-RASP program, as the paper writes it:
 *
 *   tok = tokens
 *   s1 = select(q=tok, k=pos, op=M1) + select(k=tok, op=w1)
 *   a1 = aggregate(s1, v=tok)
 *   logits = project(inp=a1, op=P1) + b
 *   prediction = argmax(logits)
 *
 * followed by the named matrices (M1, w1, O1, P1, b), each as a table with its rows and columns
 * labelled by basis dimensions when it is small enough, else as its shape and a summary.
 */
import { basisSize, describeBasis, dimensionName, type Basis } from './basis.js';
import { maxAbs, nonZeroCount, type Matrix } from './matrix.js';
import type { DraspProgram, SelectTerm, VariableStatement } from './program.js';

export interface PrintOptions {
  /** Matrices with more rows or columns than this are summarised, not tabulated (default 16). */
  readonly maxTableSize?: number;
  /** Significant digits of table entries (default 3). */
  readonly digits?: number;
}

interface NamedMatrix {
  readonly name: string;
  /** What the rows and columns are, e.g. `q=tok × k=pos`. */
  readonly caption: string;
  readonly rows: Basis;
  readonly cols: Basis;
  readonly matrix: Matrix;
}

const COMMENT_COLUMN = 56;

const withComment = (code: string, comment: string | undefined): string =>
  comment === undefined || comment === '' ? code : `${code.padEnd(COMMENT_COLUMN - 1)} # ${comment}`;

const formatEntry = (x: number, digits: number): string => {
  if (x === 0) return '·';
  if (Number.isInteger(x) && Math.abs(x) < 1e6) return String(x);
  const text = x.toPrecision(digits);
  return text.includes('e') ? text : String(Number(text));
};

const table = (named: NamedMatrix, options: Required<PrintOptions>): string[] => {
  const { matrix: m } = named;
  const heading = `${named.name}: ${named.caption} (${m.rows}×${m.cols})`;
  if (m.rows > options.maxTableSize || m.cols > options.maxTableSize) {
    return [`${heading}: ${nonZeroCount(m.data)} non-zero entries, largest |x| ${formatEntry(maxAbs(m.data), options.digits)}`];
  }
  const rowLabels = Array.from({ length: m.rows }, (_, i) => (m.rows === 1 && named.rows.kind === 'derived' && named.rows.dims.length === 1 ? '' : dimensionName(named.rows, i)));
  const colLabels = Array.from({ length: m.cols }, (_, j) => dimensionName(named.cols, j));
  const cells = Array.from({ length: m.rows }, (_, i) => Array.from({ length: m.cols }, (_, j) => formatEntry(m.data[i * m.cols + j], options.digits)));
  const labelWidth = Math.max(0, ...rowLabels.map((l) => l.length));
  const widths = colLabels.map((label, j) => Math.max(label.length, ...cells.map((row) => row[j].length)));
  const line = (label: string, entries: readonly string[]): string =>
    `  ${label.padEnd(labelWidth)}  ${entries.map((e, j) => e.padStart(widths[j])).join('  ')}`.trimEnd();
  return [heading, line('', colLabels), ...cells.map((row, i) => line(rowLabels[i], row))];
};

const counted = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

const oneRow = (v: Float64Array): Matrix => ({ rows: 1, cols: v.length, data: v });

const constantBasis: Basis = { kind: 'derived', name: 'constant', dims: ['1'] };

/** The program as text: statements, the logits and prediction lines, then the named matrices. */
export const printDrasp = (program: DraspProgram, options: PrintOptions = {}): string => {
  const settings: Required<PrintOptions> = { maxTableSize: options.maxTableSize ?? 16, digits: options.digits ?? 3 };
  const variables = new Map<string, VariableStatement>();
  const matrices: NamedMatrix[] = [];
  const counters = new Map<string, number>();
  const name = (prefix: string, caption: string, rows: Basis, cols: Basis, m: Matrix): string => {
    const n = (counters.get(prefix) ?? 0) + 1;
    counters.set(prefix, n);
    const named = `${prefix}${n}`;
    matrices.push({ name: named, caption, rows, cols, matrix: m });
    return named;
  };
  const basisOf = (variable: string): Basis => {
    const found = variables.get(variable);
    if (found === undefined) throw new Error(`bug: printing a reference to undefined ${variable}`);
    return found.basis;
  };
  const term = (t: SelectTerm): string => {
    if (t.primitive !== undefined) return t.kind === 'select' ? `select(q=${t.query}, k=${t.key}, op=${t.primitive})` : `select(k=${t.key}, op=${t.primitive})`;
    if (t.kind === 'select') {
      const op = name('M', `q=${t.query} × k=${t.key}`, basisOf(t.query), basisOf(t.key), t.op);
      return `select(q=${t.query}, k=${t.key}, op=${op})`;
    }
    const op = name('w', `k=${t.key}`, constantBasis, basisOf(t.key), oneRow(t.op));
    return `select(k=${t.key}, op=${op})`;
  };

  const variableCount = program.statements.filter((s) => s.kind === 'variable').length;
  const selectorCount = program.statements.length - variableCount;
  const masked = program.maskedKeyTokens.map((id) => {
    const tokens = program.statements.find((s): s is VariableStatement => s.kind === 'variable' && s.definition.kind === 'tokens');
    return tokens === undefined ? `#${id}` : dimensionName(tokens.basis, id);
  });
  const lines: string[] = [
    `# D-RASP program: ${counted(variableCount, 'variable')}, ${counted(selectorCount, 'selector')}, ${counted(program.output.projects.length, 'project line')}`,
    `# keys: ${program.causal ? 'positions up to the query (causal)' : 'all positions'}${masked.length > 0 ? `, except those holding ${masked.join(', ')}` : ''}`,
  ];
  for (const statement of program.statements) {
    if (statement.kind === 'selector') {
      const terms = statement.terms.length === 0 ? 'select_all()' : statement.terms.map(term).join(' + ');
      lines.push(withComment(`${statement.name} = ${terms}`, statement.comment));
      continue;
    }
    variables.set(statement.name, statement);
    const definition = statement.definition;
    const basis = describeBasis(statement.basis);
    const comment = statement.comment === undefined ? basis : `${statement.comment}; ${basis}`;
    switch (definition.kind) {
      case 'tokens':
        lines.push(withComment(`${statement.name} = tokens`, comment));
        break;
      case 'positions':
        lines.push(withComment(`${statement.name} = positions`, comment));
        break;
      case 'aggregate': {
        const output =
          definition.output === undefined
            ? ''
            : `, op=${name('O', `v=${definition.value} → ${statement.name}`, basisOf(definition.value), statement.basis, definition.output)}`;
        lines.push(withComment(`${statement.name} = aggregate(${definition.selector}, v=${definition.value}${output})`, comment));
        break;
      }
      case 'elementwise': {
        const fn = definition.fn;
        const described = fn.kind === 'opaque' ? `${fn.description}; ${comment}` : comment;
        lines.push(withComment(`${statement.name} = ${fn.name}(${definition.inputs.join(', ')})`, described));
        break;
      }
    }
  }
  const output = program.output;
  const projects = output.projects.map((line) => `project(inp=${line.input}, op=${name('P', `${line.input} → logits`, basisOf(line.input), output.basis, line.op)})`);
  matrices.push({ name: 'b', caption: 'constant logits', rows: constantBasis, cols: output.basis, matrix: oneRow(output.bias) });
  lines.push(withComment(`logits = ${[...projects, 'b'].join(' + ')}`, `${basisSize(output.basis)} logits`));
  lines.push(output.prediction === 'argmax' ? 'prediction = argmax(logits)' : 'prediction = sigmoid(logits) > 0.5');
  lines.push('', 'where (· = 0)');
  for (const m of matrices) lines.push(...table(m, settings));
  return `${lines.join('\n')}\n`;
};
