/**
 * Vega-Lite heatmaps of the matrices a pruned program keeps unnamed: every select(q, k) matrix and
 * key-only weight vector, every aggregate's output matrix and every projection.
 */
import { basisSize, dimensionName, type Basis } from '../drasp/basis.js';
import type { Matrix } from '../drasp/matrix.js';
import type { DraspProgram, VariableStatement } from '../drasp/program.js';
import type { Spec } from '../../pictures/specs.js';

export interface NamedSpec {
  /** A file-name-safe name. */
  readonly name: string;
  readonly spec: Spec;
}

/** Bases wider than this are shown on their first this-many dimensions. */
const MAX_SIDE = 160;

const heatmap = (title: string, rows: Basis, cols: Basis, m: Matrix): Spec => {
  const r = Math.min(m.rows, MAX_SIDE);
  const c = Math.min(m.cols, MAX_SIDE);
  const values: { row: string; col: string; value: number }[] = [];
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) values.push({ row: dimensionName(rows, i), col: dimensionName(cols, j), value: Math.round(m.data[i * m.cols + j] * 1e4) / 1e4 });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: m.rows > r || m.cols > c ? `${title} (first ${r}×${c})` : title,
    data: { values },
    width: Math.max(120, 8 * c),
    height: Math.max(60, 8 * r),
    mark: 'rect',
    encoding: {
      x: { field: 'col', type: 'ordinal', sort: null, title: null },
      y: { field: 'row', type: 'ordinal', sort: null, title: null },
      color: { field: 'value', type: 'quantitative', scale: { scheme: 'redblue', domainMid: 0, reverse: true } },
    },
  };
};

export const programHeatmaps = (program: DraspProgram): NamedSpec[] => {
  const bases = new Map<string, Basis>();
  for (const s of program.statements) if (s.kind === 'variable') bases.set(s.name, s.basis);
  const basisOf = (name: string): Basis => bases.get(name) as Basis;
  const out: NamedSpec[] = [];
  for (const s of program.statements) {
    if (s.kind === 'selector') {
      s.terms.forEach((t, i) => {
        if (t.kind === 'select') out.push({ name: `${s.name}_${i}_${t.query}_${t.key}`, spec: heatmap(`${s.name}: select(q=${t.query}, k=${t.key})`, basisOf(t.query), basisOf(t.key), t.op) });
        else {
          const key = basisOf(t.key);
          out.push({ name: `${s.name}_${i}_${t.key}`, spec: heatmap(`${s.name}: select(k=${t.key})`, { kind: 'derived', name: 'w', dims: ['w'] }, key, { rows: 1, cols: t.op.length, data: t.op }) });
        }
      });
    } else if (s.definition.kind === 'aggregate' && s.definition.output !== undefined) {
      const v = s as VariableStatement;
      out.push({ name: `${s.name}_out`, spec: heatmap(`${s.name}: output`, basisOf(s.definition.value), v.basis, s.definition.output) });
    }
  }
  program.output.projects.forEach((p) => {
    if (basisSize(basisOf(p.input)) > 0) out.push({ name: `project_${p.input}`, spec: heatmap(`project(inp=${p.input})`, basisOf(p.input), program.output.basis, p.op) });
  });
  return out;
};
