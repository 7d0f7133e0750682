/**
 * Vega-Lite specifications of the pictures `raspc show` draws: the residual stream after each
 * sublayer for one input (labelled basis directions), the attention pattern of every head, the
 * program DAG placed on its layer allocation, and the lookup tables the MLPs compute. Pure: data
 * in, specification out (render.ts turns them into SVG / PNG).
 */
import { showValue, type Value } from '../ast/value.js';
import type { Trace } from '../model/forward.js';
import type { CompiledModel, NodeReport } from '../model/model.js';

export type Spec = Record<string, unknown>;

const stageNames = (layers: number): string[] => ['embed', ...Array.from({ length: layers }, (_, l) => [`layer ${l} attn`, `layer ${l} mlp`]).flat()];

const positionLabel = (input: readonly Value[], p: number): string => (p === 0 ? '0 <bos>' : `${p} ${showValue(input[p - 1] as Value)}`);

/** The residual stream: one heatmap per stage, positions × labelled directions. */
export const residualSpec = (model: CompiledModel, input: readonly Value[], trace: Trace): Spec => {
  const d = model.config.d_model;
  const T = input.length + 1;
  const names = model.manifest.residual.map((r) => r.name);
  const stages = stageNames(model.config.n_layers);
  const values = trace.residuals.flatMap((x, s) =>
    Array.from({ length: T * d }, (_, i) => ({
      stage: stages[s] ?? `stage ${s}`,
      order: s,
      position: positionLabel(input, Math.floor(i / d)),
      direction: names[i % d] ?? `d${i % d}`,
      value: Math.round((x[i] as number) * 1e4) / 1e4,
    })),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `Residual stream after each sublayer, input: ${input.map(showValue).join(' ')}`,
    data: { values },
    facet: { row: { field: 'stage', type: 'ordinal', sort: stages, title: null } },
    spec: {
      width: Math.max(200, 14 * d),
      height: 14 * T,
      mark: 'rect',
      encoding: {
        x: { field: 'direction', type: 'ordinal', sort: names, title: 'residual direction', axis: { labelAngle: -60 } },
        y: { field: 'position', type: 'ordinal', sort: Array.from({ length: T }, (_, p) => positionLabel(input, p)), title: 'position' },
        color: { field: 'value', type: 'quantitative', scale: { scheme: 'redblue', domainMid: 0, reverse: true } },
        tooltip: [{ field: 'direction' }, { field: 'position' }, { field: 'value' }],
      },
    },
  };
};

/** Attention weights of every head: query position × key position. */
export const attentionSpec = (model: CompiledModel, input: readonly Value[], trace: Trace): Spec => {
  const T = input.length + 1;
  const labels = Array.from({ length: T }, (_, p) => positionLabel(input, p));
  const heads = new Map<string, string>();
  for (const n of model.manifest.nodes) for (const s of n.stages) if (s.sublayer === 'attn' && s.head !== undefined) heads.set(`${s.layer}:${s.head}`, n.label);
  const values = trace.attention.flatMap((layer, l) =>
    layer.flatMap((pattern, h) => {
      const node = heads.get(`${l}:${h}`);
      if (node === undefined) return [];
      return Array.from({ length: T * T }, (_, i) => ({
        head: `layer ${l} head ${h}: ${node}`,
        query: labels[Math.floor(i / T)] as string,
        key: labels[i % T] as string,
        weight: Math.round((pattern[i] as number) * 1e4) / 1e4,
      }));
    }),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `Attention patterns, input: ${input.map(showValue).join(' ')}`,
    data: { values },
    facet: { field: 'head', type: 'ordinal', title: null },
    columns: 3,
    spec: {
      width: 16 * T,
      height: 16 * T,
      mark: 'rect',
      encoding: {
        x: { field: 'key', type: 'ordinal', sort: labels, title: 'key' },
        y: { field: 'query', type: 'ordinal', sort: labels, title: 'query' },
        color: { field: 'weight', type: 'quantitative', scale: { scheme: 'greys', domain: [0, 1] } },
        tooltip: [{ field: 'query' }, { field: 'key' }, { field: 'weight' }],
      },
    },
  };
};

/** Column of a node in the layer diagram: embeddings, then each layer's attention and MLP. */
const column = (n: NodeReport): number => (n.sublayer === 'embed' ? 0 : 1 + 2 * n.layer + (n.sublayer === 'mlp' ? 1 : 0));

/** The program DAG on its layer allocation: one column per sublayer, edges for reads. */
export const dagSpec = (model: CompiledModel): Spec => {
  const nodes = model.manifest.nodes;
  const rows = new Map<number, number>();
  const placed = new Map<string, { x: number; y: number }>();
  const nodeRows = nodes.map((n) => {
    const x = column(n);
    const y = rows.get(x) ?? 0;
    rows.set(x, y + 1);
    placed.set(n.label, { x, y });
    const output = n.label === model.manifest.output.label;
    return { label: n.label, construction: n.construction, x, y, output: output ? 'output' : 'node', values: n.values };
  });
  const edges = nodes.flatMap((n) =>
    n.reads.flatMap((r) => {
      const from = placed.get(r);
      const to = placed.get(n.label);
      return from && to ? [{ x: from.x, y: from.y, x2: to.x, y2: to.y, from: r, to: n.label }] : [];
    }),
  );
  const columns = ['embed', ...Array.from({ length: model.config.n_layers }, (_, l) => [`L${l} attn`, `L${l} mlp`]).flat()];
  const x = { field: 'x', type: 'quantitative', scale: { domain: [-0.5, columns.length - 0.5] }, axis: { values: columns.map((_, i) => i), labelExpr: `[${columns.map((c) => `'${c}'`).join(',')}][datum.value]`, title: 'layer allocation', grid: false } };
  const y = { field: 'y', type: 'quantitative', scale: { reverse: true, domain: [-0.5, Math.max(...rows.values()) - 0.5] }, axis: null };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `Program DAG on ${model.config.n_layers} layers (output: ${model.manifest.output.label})`,
    width: Math.max(300, 150 * columns.length),
    height: Math.max(120, 60 * Math.max(...rows.values())),
    layer: [
      { data: { values: edges }, mark: { type: 'rule', color: '#999' }, encoding: { x, y, x2: { field: 'x2' }, y2: { field: 'y2' } } },
      {
        data: { values: nodeRows },
        mark: { type: 'circle', size: 300 },
        encoding: { x, y, color: { field: 'output', type: 'nominal', scale: { domain: ['node', 'output'], range: ['#4c78a8', '#e45756'] }, legend: null }, tooltip: [{ field: 'label' }, { field: 'construction' }, { field: 'values' }] },
      },
      { data: { values: nodeRows }, mark: { type: 'text', dy: -16, fontSize: 11 }, encoding: { x, y, text: { field: 'label' } } },
      { data: { values: nodeRows }, mark: { type: 'text', dy: 18, fontSize: 9, color: '#666' }, encoding: { x, y, text: { field: 'construction' } } },
    ],
  };
};

/** One lookup table: the input value (or pair) each row is, the output value the weights give. */
export interface LookupTable {
  readonly node: string;
  readonly rows: readonly { readonly input: string; readonly output: string }[];
}

/** The MLP lookup tables as text heatmaps (a mark where input row meets its output column). */
export const mlpSpec = (tables: readonly LookupTable[]): Spec => ({
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  title: 'MLP lookup tables (read from the weights)',
  vconcat: tables.map((t) => ({
    title: t.node,
    data: { values: t.rows },
    width: { step: 28 },
    height: { step: 16 },
    layer: [
      { mark: 'rect', encoding: { x: { field: 'output', type: 'ordinal', title: 'output' }, y: { field: 'input', type: 'ordinal', title: 'input', sort: t.rows.map((r) => r.input) }, color: { value: '#4c78a8' } } },
      { mark: { type: 'text', color: 'white', fontSize: 9 }, encoding: { x: { field: 'output', type: 'ordinal' }, y: { field: 'input', type: 'ordinal', sort: t.rows.map((r) => r.input) }, text: { field: 'output' } } },
    ],
  })),
  resolve: { scale: { x: 'independent', y: 'independent' } },
});
