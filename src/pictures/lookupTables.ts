/**
 * The lookup tables the MLPs compute, read from the weights (not from the program): for each node
 * computed by an MLP from categorical inputs, every input value (or pair) is written into a
 * residual vector and the node's units are run; the output is read back from the node's own
 * directions. Nodes with numerical inputs are listed without rows (their input is a continuum).
 */
import { showValue, type Value } from '../ast/value.js';
import type { CompiledModel } from '../model/model.js';
import { decodeSpace, ModelView, type SpaceView } from '../model/view.js';
import { combinations } from '../util/combinations.js';
import type { LookupTable } from './specs.js';

/** Rows drawn per table at most. */
export const MAX_ROWS = 400;

const show = (v: unknown): string => showValue(v as Value);

export const lookupTables = (model: CompiledModel): LookupTable[] => {
  const view = new ModelView(model);
  const tables: LookupTable[] = [];
  for (const node of model.manifest.nodes) {
    const stages = node.stages.filter((s) => s.sublayer === 'mlp' && s.role !== 'bos-cleanup' && s.units !== undefined);
    if (stages.length === 0 || node.stages.some((s) => s.sublayer === 'attn')) continue;
    const inputs = node.reads.map((r) => view.space(r));
    const own = view.space(node.label);
    if (own === undefined || inputs.some((s) => s === undefined || s.representation !== 'categorical')) continue;
    const spaces = inputs as SpaceView[];
    const combos = combinations(spaces.map((s) => s.values)).slice(0, MAX_ROWS);
    const rows = combos.map((combo) => {
      const x = view.vector(spaces.map((s, i) => [s, combo[i] as Value] as const));
      const out = new Float64Array(view.d);
      for (const s of stages) {
        const r = view.mlp(s.layer, s.units as [number, number], x).out;
        for (let j = 0; j < out.length; j++) out[j] = (out[j] as number) + (r[j] as number);
      }
      const value = decodeSpace(out, own);
      const output = typeof value === 'number' && own.representation === 'numerical' ? String(Math.round(value * 1e4) / 1e4) : show(value);
      return { input: combo.map(show).join(', '), output };
    });
    tables.push({ node: `${node.label} = ${node.kind}(${node.reads.join(', ')}) [${node.construction}, layer ${stages[0]?.layer}]`, rows });
  }
  return tables;
};
