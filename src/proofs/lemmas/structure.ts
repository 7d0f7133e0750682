/**
 * Structural lemmas: every non-zero weight belongs to the block of one node and touches only that
 * node's inputs and outputs (isolation), nothing else is non-zero (coverage), and the embeddings
 * encode tokens, positions and constants exactly. Together they make the residual stream a sum
 * of independent subspaces, which is what lets the per-block lemmas compose.
 */
import type { Node, SOp } from '../../ast/program.js';
import type { Value } from '../../ast/value.js';
import { BOS_ID, PAD_ID } from '../../model/model.js';
import type { SpaceView } from '../../model/view.js';
import { writeValue } from '../../model/view.js';
import type { Lemma, LemmaContext } from './context.js';

/** The query and key s-ops (labels) of a head's selector, as the weights must read them. */
export const selectorSides = (c: LemmaContext, selectorId: number): { queries: string[]; keys: string[] } => {
  const queries = new Set<string>();
  const keys = new Set<string>();
  const walk = (id: number): void => {
    const g = c.graph.nodes[id] as { node: Node; children: readonly number[] };
    if (g.node.kind === 'select') {
      const [k, q] = g.children as [number, number];
      keys.add(c.graph.nodes[k]?.label ?? '');
      queries.add(c.graph.nodes[q]?.label ?? '');
      return;
    }
    g.children.forEach(walk);
  };
  walk(selectorId);
  return { queries: [...queries], keys: [...keys] };
};

const indicesOf = (c: LemmaContext, labels: readonly string[]): Set<number> =>
  new Set([c.view.one, c.view.bos, ...labels.flatMap((l) => c.view.space(l)?.indices ?? [])]);

interface Violation {
  readonly where: string;
  readonly weight: number;
}

/** Isolation and coverage of every MLP unit and head. */
export const structureLemmas = (c: LemmaContext): Lemma[] => {
  const { view } = c;
  const cfg = view.model.config;
  const d = cfg.d_model;
  const dm = cfg.d_mlp;
  const dh = cfg.d_head;
  const lemmas: Lemma[] = [];
  const unitOwner: (string | undefined)[][] = Array.from({ length: cfg.n_layers }, () => new Array<string | undefined>(dm));
  const headOwner: (string | undefined)[][] = Array.from({ length: cfg.n_layers }, () => new Array<string | undefined>(cfg.n_heads));

  for (const report of view.model.manifest.nodes) {
    const g = c.byLabel.get(report.label);
    if (g === undefined) continue;
    const node = g.node as SOp;
    const violations: Violation[] = [];
    const own = view.space(report.label)?.indices ?? [];
    const aux = `${report.label}.attn`;
    for (const st of report.stages) {
      if (st.sublayer === 'mlp' && st.units !== undefined) {
        const reads = st.role === 'selector-width-mlp' ? [aux] : st.role === 'bos-cleanup' ? [] : report.reads;
        const allowedIn = indicesOf(c, reads);
        const allowedOut = new Set(own);
        const win = view.tensor(`blocks.${st.layer}.mlp.W_in`).data;
        const wout = view.tensor(`blocks.${st.layer}.mlp.W_out`).data;
        for (let u = st.units[0]; u < st.units[1]; u++) {
          (unitOwner[st.layer] as (string | undefined)[])[u] = report.label;
          for (let i = 0; i < d; i++) {
            const w = win[i * dm + u] as number;
            if (w !== 0 && !allowedIn.has(i)) violations.push({ where: `layer ${st.layer} unit ${u} reads ${view.model.manifest.residual[i]?.name}`, weight: w });
            const o = wout[u * d + i] as number;
            if (o !== 0 && !allowedOut.has(i)) violations.push({ where: `layer ${st.layer} unit ${u} writes ${view.model.manifest.residual[i]?.name}`, weight: o });
          }
        }
      }
      if (st.sublayer === 'attn' && st.head !== undefined) {
        (headOwner[st.layer] as (string | undefined)[])[st.head] = report.label;
        const sides = selectorSides(c, g.children[0] as number);
        const valueLabel = node.kind === 'aggregate' ? (c.graph.nodes[g.children[1] as number]?.label ?? '') : undefined;
        const allowed: Record<'Q' | 'K' | 'V', Set<number>> = {
          Q: indicesOf(c, sides.queries),
          // every head scores PAD keys down through the `pad` direction
          K: new Set([...indicesOf(c, sides.keys), ...(view.pad >= 0 ? [view.pad] : [])]),
          V: valueLabel !== undefined ? new Set([view.bos, ...(view.space(valueLabel)?.indices ?? [])]) : new Set([view.bos]),
        };
        for (const which of ['Q', 'K', 'V'] as const) {
          const w = view.tensor(`blocks.${st.layer}.attn.W_${which}`).data;
          for (let i = 0; i < d; i++) {
            for (let j = 0; j < dh; j++) {
              const x = w[(st.head * d + i) * dh + j] as number;
              if (x !== 0 && !allowed[which].has(i)) violations.push({ where: `layer ${st.layer} head ${st.head} W_${which} reads ${view.model.manifest.residual[i]?.name}`, weight: x });
            }
          }
        }
        const outAllowed = new Set(node.kind === 'selectorWidth' ? (view.space(aux)?.indices ?? []) : own);
        const wo = view.tensor(`blocks.${st.layer}.attn.W_O`).data;
        for (let j = 0; j < dh; j++) {
          for (let i = 0; i < d; i++) {
            const x = wo[(st.head * dh + j) * d + i] as number;
            if (x !== 0 && !outAllowed.has(i)) violations.push({ where: `layer ${st.layer} head ${st.head} W_O writes ${view.model.manifest.residual[i]?.name}`, weight: x });
          }
        }
      }
    }
    lemmas.push({
      node: report.label,
      kind: 'isolation',
      holds: violations.length === 0,
      statement:
        violations.length === 0
          ? 'its blocks read only its inputs (and one, bos) and write only its own directions'
          : `stray weights: ${violations.slice(0, 3).map((v) => `${v.where} (${v.weight})`).join('; ')}`,
      numbers: { strayWeights: violations.length },
    });
  }

  // coverage: units and heads owned by no node are zero; shared biases are zero
  const stray: string[] = [];
  for (let l = 0; l < cfg.n_layers; l++) {
    const win = view.tensor(`blocks.${l}.mlp.W_in`).data;
    const wout = view.tensor(`blocks.${l}.mlp.W_out`).data;
    const bin = view.tensor(`blocks.${l}.mlp.b_in`).data;
    for (let u = 0; u < dm; u++) {
      if ((unitOwner[l] as (string | undefined)[])[u] !== undefined) continue;
      let nonzero = (bin[u] as number) !== 0;
      for (let i = 0; i < d && !nonzero; i++) nonzero = (win[i * dm + u] as number) !== 0 || (wout[u * d + i] as number) !== 0;
      if (nonzero) stray.push(`layer ${l} unit ${u}`);
    }
    for (let h = 0; h < cfg.n_heads; h++) {
      if ((headOwner[l] as (string | undefined)[])[h] !== undefined) continue;
      const size = d * dh;
      const nonzero = ['W_Q', 'W_K', 'W_V'].some((n) => view.tensor(`blocks.${l}.attn.${n}`).data.subarray(h * size, (h + 1) * size).some((x) => x !== 0)) ||
        view.tensor(`blocks.${l}.attn.W_O`).data.subarray(h * dh * d, (h + 1) * dh * d).some((x) => x !== 0);
      if (nonzero) stray.push(`layer ${l} head ${h}`);
    }
    for (const b of ['attn.b_O', 'mlp.b_out']) if (view.tensor(`blocks.${l}.${b}`).data.some((x) => x !== 0)) stray.push(`blocks.${l}.${b}`);
  }
  if (view.tensor('unembed.b_U').data.some((x) => x !== 0)) stray.push('unembed.b_U');
  lemmas.push({
    node: '(model)',
    kind: 'coverage',
    holds: stray.length === 0,
    statement: stray.length === 0 ? 'every unit and head outside the nodes\' blocks is zero, and so are the shared biases' : `non-zero weights outside any block: ${stray.slice(0, 4).join(', ')}`,
    numbers: { strayBlocks: stray.length },
  });
  return lemmas;
};

const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-6;

/** The embeddings write exactly one + each token's, position's and constant's encodings. */
export const embeddingLemma = (c: LemmaContext): Lemma => {
  const { view } = c;
  const d = view.d;
  const problems: string[] = [];
  const expectRow = (what: string, actual: Float32Array, expected: Float64Array): void => {
    for (let i = 0; i < d; i++) {
      if (!close(actual[i] as number, expected[i] as number)) {
        problems.push(`${what}: ${view.model.manifest.residual[i]?.name} is ${actual[i]}, expected ${expected[i]}`);
        return;
      }
    }
  };
  const WE = view.tensor('embed.W_E').data;
  const WP = view.tensor('pos_embed.W_pos').data;
  const embedded = c.graph.nodes.filter((g) => g.node.kind === 'tokens' || g.node.kind === 'indices' || g.node.kind === 'full');
  const row = (write: (x: Float64Array) => void, bosRow = false): Float64Array => {
    const x = new Float64Array(d);
    x[view.one] = 1;
    if (bosRow) x[view.bos] = 1;
    write(x);
    return x;
  };
  expectRow('BOS token', WE.subarray(BOS_ID * d, BOS_ID * d + d), row(() => undefined, true));
  // bidirectional models: PAD is BOS plus `pad` (PAD keys are masked in the weights)
  if (c.padded) {
    if (view.pad < 0) problems.push('no pad direction: PAD keys are not masked in the weights');
    else expectRow('PAD token', WE.subarray(PAD_ID * d, PAD_ID * d + d), view.padVector([]));
  }
  view.model.manifest.bounds.vocab.forEach((token, i) => {
    const expected = row((x) => {
      for (const g of embedded) {
        const space = c.space(g.label) as SpaceView;
        const node = g.node as SOp;
        const v: Value | undefined = node.kind === 'tokens' ? token : node.kind === 'full' ? node.value : undefined;
        if (v !== undefined) writeValue(x, space, v);
      }
    });
    expectRow(`token ${String(token)}`, WE.subarray((i + 2) * d, (i + 3) * d), expected);
  });
  for (let p = 0; p <= c.maxLen; p++) {
    const expected = new Float64Array(d);
    if (p > 0) for (const g of embedded.filter((e) => e.node.kind === 'indices')) writeValue(expected, c.space(g.label), p - 1);
    expectRow(`position ${p}`, WP.subarray(p * d, (p + 1) * d), expected);
  }
  return {
    node: '(embedding)',
    kind: 'embedding',
    holds: problems.length === 0,
    statement:
      problems.length === 0
        ? `token and position embeddings encode BOS, ${c.padded ? 'PAD (BOS + pad), ' : ''}every token, every position and every constant exactly`
        : problems.slice(0, 3).join('; '),
    numbers: { tokens: view.model.manifest.bounds.vocab.length, positions: c.maxLen + 1 },
  };
};

