/**
 * The hard-attention semantics of a compiled model, read from its weights: a finite program over
 * value indices that the solver encoding (equivalence.ts) and a small evaluator (runHard) share.
 *
 * Every node of the compiled program (decoded from the manifest; labels match the manifest's) gets
 * its "decoded value" at each position, an index into the node's value list:
 * - categorical s-ops: 0 is None, i ≥ 1 the space's i-th direction's value;
 * - numerical s-ops: the value set's numbers in ascending order;
 * - {@link UNDECODABLE} when a numerical residual is farther than half the smallest gap from
 *   every value (never for categorical, which decode to None when nothing reaches 0.5).
 *
 * Embeddings, MLPs and the unembedding are tables computed by applying the stored weights to the
 * exact encodings of the input values (residual `one` = 1). Heads are hard attention: the keys
 * (BOS included) whose logit equals the query's maximum, up to 1e-6 relative, share the weight
 * equally. Logits become integer ranks (equal ranks = equal logits), so the solver only compares
 * integers; what each key writes is kept as an exact rational of the float64 computation.
 */
import * as Either from 'fp-ts/lib/Either.js';
import { decodeProgram } from '../../ast/codec.js';
import { isNumberLike, toNumber, type Value } from '../../ast/value.js';
import { decodeLogits, isUndecodable } from '../../model/decode.js';
import type { CompiledModel, NodeReport } from '../../model/model.js';
import { buildGraph, type ProgramGraph } from '../../ast/graph.js';
import { inferValueSets } from '../../typecheck/inferValueSets.js';
import { atomsOf } from '../../typecheck/plan.js';
import { addAt } from '../arrays.js';
import { ModelView, stagesOf, type SpaceView } from '../../model/view.js';
import { buildTable, UNDECODABLE, type HardAttention, type HardNode, type HardProgram, type HardSpace } from './hardProgram.js';
import { add, cmp, div, mul, rat, ratOf, ZERO, type Rat } from './rational.js';

const SCORE_TOLERANCE = 1e-6;

/** Numerical decoding intervals: [m − tol, m + tol) with tol half the smallest gap (0.5 for one value). */
const numericSpace = (label: string, values: readonly Value[]): HardSpace => {
  const nums = values.map((v) => (isNumberLike(v) ? toNumber(v) : Number.NaN));
  let gap = Number.POSITIVE_INFINITY;
  for (let i = 1; i < nums.length; i++) gap = Math.min(gap, (nums[i] as number) - (nums[i - 1] as number));
  const tol = ratOf(Number.isFinite(gap) ? gap / 2 : 0.5);
  const numbers = nums.map(ratOf);
  return {
    label,
    representation: 'numerical',
    values,
    numbers,
    intervals: numbers.map((m) => [add(m, rat(-tol.p, tol.q)), add(m, tol)] as const),
  };
};

/** Decodes a space from a residual vector (float64), the way the model's decoder does. */
const decodeSpace = (space: HardSpace, view: SpaceView, x: Float64Array): number => {
  if (space.representation === 'categorical') {
    let best = -1;
    let bestX = Number.NEGATIVE_INFINITY;
    view.indices.forEach((r, j) => {
      const v = x[r] as number;
      if (v > bestX) {
        bestX = v;
        best = j;
      }
    });
    return best < 0 || bestX < 0.5 ? 0 : best + 1;
  }
  return decodeNumber(space, x[view.indices[0] as number] as number);
};

const decodeNumber = (space: HardSpace, x: number): number => {
  if (!Number.isFinite(x)) return UNDECODABLE;
  const r = ratOf(x);
  const intervals = space.intervals as readonly (readonly [Rat, Rat])[];
  const j = intervals.findIndex(([lo, hi]) => cmp(lo, r) <= 0 && cmp(r, hi) < 0);
  return j < 0 ? UNDECODABLE : j;
};

/** Residual directions a block reads (rows of a weight matrix with a non-zero entry). */
const rowsRead = (data: Float32Array, rows: readonly number[], stride: number, from: number, to: number, offset = 0): number[] =>
  rows.filter((r) => {
    for (let c = from; c < to; c++) if (data[offset + r * stride + c] !== 0) return true;
    return false;
  });

/** Extracts the hard-attention program of a compiled model. Left: why it cannot (a sentence). */
export const extractHardSemantics = (model: CompiledModel): Either.Either<string, HardProgram> => {
  try {
    return Either.right(extract(model));
  } catch (e) {
    return Either.left(e instanceof Error ? e.message : String(e));
  }
};

class ExtractionError extends Error {}

const extract = (model: CompiledModel): HardProgram => {
  const manifest = model.manifest;
  if (manifest.program.compiled === undefined) throw new ExtractionError('the manifest has no compiled program (opaque functions)');
  const decoded = decodeProgram(manifest.program.compiled);
  if (Either.isLeft(decoded)) throw new ExtractionError(`the manifest's compiled program does not decode: ${decoded.left.map((d) => d.message).join('; ')}`);
  const program = decoded.right;
  const graphE = buildGraph(program);
  if (Either.isLeft(graphE)) throw new ExtractionError('the compiled program has no graph');
  const graph: ProgramGraph = graphE.right;
  const bounds = { vocab: manifest.bounds.vocab, maxLen: manifest.bounds.maxLen, causal: manifest.bounds.causal };
  const inference = inferValueSets(graph, bounds);
  if (Either.isLeft(inference)) throw new ExtractionError(`value sets of the compiled program: ${inference.left.map((d) => d.message).join('; ')}`);
  const sets = inference.right.valueSets;
  const view = new ModelView(model);
  const { maxLen } = bounds;
  const d = view.d;
  const residual = manifest.residual;

  // --- nodes in graph order (children first); selectors are not nodes of their own
  const sopNodes = graph.nodes.filter((g) => sets.has(g.id));
  const indexOf = new Map<number, number>(sopNodes.map((g, i) => [g.id, i]));
  const byLabel = new Map<string, number>(sopNodes.map((g, i) => [g.label, i]));
  const reports = new Map<string, NodeReport>(manifest.nodes.map((n) => [n.label, n]));

  const spaceViews: SpaceView[] = [];
  const spaces: HardSpace[] = sopNodes.map((g) => {
    const sv = view.space(g.label) ?? { label: g.label, representation: 'categorical' as const, indices: [], values: [] };
    spaceViews.push(sv);
    if (sv.representation === 'categorical') return { label: g.label, representation: 'categorical', values: [null, ...sv.values] };
    const set = sets.get(g.id);
    if (set === undefined || !set.isNumeric) throw new ExtractionError(`${g.label} is carried numerically but its values are not all numbers`);
    return numericSpace(g.label, set.values);
  });

  const vectorOf = (assign: readonly (readonly [number, number])[], bosPosition = false): Float64Array =>
    view.vector(
      assign.map(([node, idx]) => [spaceViews[node] as SpaceView, (spaces[node] as HardSpace).values[idx] as Value] as const),
      bosPosition,
    );

  // --- sanity: a block must only read its declared inputs (else these tables miss a dependency)
  const labelOfRow = (r: number): string => residual[r]?.label ?? '?';
  const allRows = Array.from({ length: d }, (_, i) => i);
  const expectReads = (what: string, rows: readonly number[], allowed: readonly string[]): void => {
    const ok = new Set(['one', 'bos', 'pad', ...allowed]);
    const bad = [...new Set(rows.map(labelOfRow).filter((l) => !ok.has(l)))];
    if (bad.length > 0) throw new ExtractionError(`${what} reads ${bad.join(', ')}, outside its declared inputs ${allowed.join(', ') || '(none)'}`);
  };
  const expectWrites = (what: string, cols: readonly number[], allowed: readonly string[]): void => {
    const ok = new Set(allowed);
    const bad = [...new Set(cols.map(labelOfRow).filter((l) => !ok.has(l)))];
    if (bad.length > 0) throw new ExtractionError(`${what} writes ${bad.join(', ')}, outside its own directions ${allowed.join(', ')}`);
  };
  const dm = model.config.d_mlp;
  const dh = model.config.d_head;
  const checkMlp = (label: string, layer: number, units: readonly [number, number], reads: readonly string[], writes: readonly string[]): void => {
    const win = view.tensor(`blocks.${layer}.mlp.W_in`).data;
    const wout = view.tensor(`blocks.${layer}.mlp.W_out`).data;
    expectReads(`${label}'s MLP (layer ${layer})`, rowsRead(win, allRows, dm, units[0], units[1]), reads);
    const written = allRows.filter((c) => {
      for (let u = units[0]; u < units[1]; u++) if (wout[u * d + c] !== 0) return true;
      return false;
    });
    expectWrites(`${label}'s MLP (layer ${layer})`, written, writes);
  };
  const checkHead = (label: string, layer: number, head: number, q: readonly string[], k: readonly string[], v: readonly string[], writes: readonly string[]): void => {
    for (const [which, allowed] of [['Q', q], ['K', k], ['V', v]] as const) {
      const w = view.tensor(`blocks.${layer}.attn.W_${which}`).data;
      expectReads(`${label}'s head (layer ${layer}, head ${head}) W_${which}`, rowsRead(w, allRows, dh, 0, dh, head * d * dh), allowed);
    }
    const wo = view.tensor(`blocks.${layer}.attn.W_O`).data;
    const written = allRows.filter((c) => {
      for (let j = 0; j < dh; j++) if (wo[(head * dh + j) * d + c] !== 0) return true;
      return false;
    });
    expectWrites(`${label}'s head (layer ${layer}, head ${head})`, written, writes);
  };

  // --- hard attention of a head over the selector's query and key s-ops
  const attentionOf = (g: (typeof sopNodes)[number], report: NodeReport): HardAttention => {
    const stage = stagesOf(report, 'attn')[0];
    if (stage?.head === undefined) throw new ExtractionError(`${g.label} has no attention stage`);
    const { layer, head } = stage;
    const atoms = atomsOf(graph, g.children[0] as number);
    const uniq = (ids: number[]): number[] => [...new Set(ids)];
    const sel = (a: number): readonly number[] => graph.nodes[a]?.children ?? [];
    const queries = uniq(atoms.map((a) => sel(a)[1] as number)).map((id) => indexOf.get(id) as number);
    const keys = uniq(atoms.map((a) => sel(a)[0] as number)).map((id) => indexOf.get(id) as number);
    const qDims = queries.map((n) => (spaces[n] as HardSpace).values.length);
    const kDims = keys.map((n) => (spaces[n] as HardSpace).values.length);
    const project = (which: 'Q' | 'K', nodes: readonly number[], dims: readonly number[]): Float64Array[] =>
      buildTable(dims, (idx) => view.project(layer, head, which, vectorOf(nodes.map((n, i) => [n, idx[i] as number] as const)))).data as Float64Array[];
    const qs = project('Q', queries, qDims);
    const ks = project('K', keys, kDims);
    const kBos = view.project(layer, head, 'K', view.vector([], true));
    const scale = model.config.attn_scale;
    const dot = (a: Float64Array, b: Float64Array): number => {
      let s = 0;
      for (let j = 0; j < a.length; j++) s += (a[j] as number) * (b[j] as number);
      return s / scale;
    };
    const scores: number[] = [];
    for (const q of qs) for (const k of ks) scores.push(dot(q, k));
    const bosScores = qs.map((q) => dot(q, kBos));
    const all = [...scores, ...bosScores];
    const sorted = [...all].sort((a, b) => a - b);
    const tol = SCORE_TOLERANCE * sorted.reduce((m, x) => Math.max(m, Math.abs(x)), 1);
    // consecutive logits within the tolerance are one rank
    const rankOf = new Map<number, number>();
    let rank = 0;
    sorted.forEach((x, i) => {
      if (i > 0 && x - (sorted[i - 1] as number) > tol) rank++;
      rankOf.set(x, rank);
    });
    const toRank = (x: number): number => rankOf.get(x) as number;
    checkHead(
      g.label,
      layer,
      head,
      queries.map((n) => (spaces[n] as HardSpace).label),
      keys.map((n) => (spaces[n] as HardSpace).label),
      g.node.kind === 'aggregate' ? [(spaces[indexOf.get(g.children[1] as number) as number] as HardSpace).label] : [],
      g.node.kind === 'aggregate' ? [g.label] : [`${g.label}.attn`],
    );
    return {
      layer,
      head,
      queries,
      keys,
      rank: { dims: [...qDims, ...kDims], data: scores.map(toRank) },
      bosRank: { dims: qDims, data: bosScores.map(toRank) },
    };
  };

  const embedRow = (p: number, t: number): Float64Array => {
    const we = view.tensor('embed.W_E').data;
    const wp = view.tensor('pos_embed.W_pos').data;
    const x = new Float64Array(d);
    for (let i = 0; i < d; i++) x[i] = (we[(2 + t) * d + i] as number) + (wp[p * d + i] as number);
    return x;
  };

  const nodes: HardNode[] = sopNodes.map((g, ni) => {
    const report = reports.get(g.label);
    if (report === undefined) throw new ExtractionError(`the manifest has no node ${g.label}`);
    const space = spaces[ni] as HardSpace;
    const sv = spaceViews[ni] as SpaceView;
    const c = report.construction;
    if (c.startsWith('embed-')) {
      return {
        kind: 'embed',
        label: g.label,
        space,
        table: buildTable([maxLen, bounds.vocab.length], ([p, t]) => decodeSpace(space, sv, embedRow((p as number) + 1, t as number))),
      };
    }
    if (c.endsWith('-mlp')) {
      const inputs = report.reads.map((l) => {
        const i = byLabel.get(l);
        if (i === undefined) throw new ExtractionError(`${g.label} reads ${l}, which is not in the compiled program`);
        return i;
      });
      const stages = stagesOf(report, 'mlp');
      for (const st of stages) checkMlp(g.label, st.layer, st.units as [number, number], report.reads, [g.label]);
      const table = buildTable(
        inputs.map((i) => (spaces[i] as HardSpace).values.length),
        (idx) => {
          const x = vectorOf(inputs.map((n, k) => [n, idx[k] as number] as const));
          const y = Float64Array.from(x);
          for (const st of stages) {
            const { out } = view.mlp(st.layer, st.units as [number, number], x);
            for (let i = 0; i < d; i++) addAt(y, i, out[i] ?? Number.NaN);
          }
          return decodeSpace(space, sv, y);
        },
      );
      return { kind: 'mlp', label: g.label, space, inputs, table };
    }
    if (c === 'categorical-attention' || c === 'numerical-attention') {
      const attention = attentionOf(g, report);
      const value = indexOf.get(g.children[1] as number) as number;
      const vSpace = spaces[value] as HardSpace;
      const comps = sv.indices;
      const outs = vSpace.values.map((_, v) => view.headOutput(attention.layer, attention.head, vectorOf([[value, v]])));
      const bosOut = view.headOutput(attention.layer, attention.head, view.vector([], true));
      return {
        kind: 'aggregate',
        label: g.label,
        space,
        attention,
        value,
        written: comps.map((r) => outs.map((o) => ratOf(o[r] as number))),
        writtenBos: comps.map((r) => ratOf(bosOut[r] as number)),
      };
    }
    if (c === 'selector-width') {
      const attention = attentionOf(g, report);
      const aux = view.space(`${g.label}.attn`);
      if (aux === undefined) throw new ExtractionError(`${g.label} has no ${g.label}.attn direction`);
      const a = aux.indices[0] as number;
      const wBos = ratOf(view.headOutput(attention.layer, attention.head, view.vector([], true))[a] as number);
      const wKey = ratOf(view.headOutput(attention.layer, attention.head, view.vector([]))[a] as number);
      const stages = stagesOf(report, 'mlp');
      for (const st of stages) checkMlp(g.label, st.layer, st.units as [number, number], [`${g.label}.attn`], [g.label]);
      const table = buildTable([2, maxLen + 2], ([bosIn, count]) => {
        const b = bosIn as number;
        const n = count as number;
        const weight = n === 0 ? ZERO : div(add(mul(rat(BigInt(b)), wBos), mul(rat(BigInt(n - b)), wKey)), rat(BigInt(n)));
        const x = view.vector([]);
        x[a] = Number(weight.p) / Number(weight.q);
        const y = Float64Array.from(x);
        for (const st of stages) {
          const { out } = view.mlp(st.layer, st.units as [number, number], x);
          for (let i = 0; i < d; i++) addAt(y, i, out[i] ?? Number.NaN);
        }
        return decodeSpace(space, sv, y);
      });
      return { kind: 'width', label: g.label, space, attention, table };
    }
    throw new ExtractionError(`${g.label}: unknown construction ${c}`);
  });

  // --- unembedding: what each value of the output node decodes to
  const output = indexOf.get(graph.output) as number;
  const outSpace = spaces[output] as HardSpace;
  const wu = view.tensor('unembed.W_U').data;
  const bu = view.tensor('unembed.b_U').data;
  const width = model.config.d_vocab_out;
  const unembed = outSpace.values.map((_, v) => {
    const x = vectorOf([[output, v]]);
    const logits = new Float64Array(2 * width);
    for (let c = 0; c < width; c++) {
      let s = bu[c] as number;
      for (let i = 0; i < d; i++) s += (x[i] as number) * (wu[i * width + c] as number);
      logits[width + c] = s;
    }
    const got = decodeLogits(logits, 1, manifest.output)[0];
    return got === undefined || isUndecodable(got) ? undefined : got;
  });
  return { nodes, output, unembed, vocab: bounds.vocab, maxLen, causal: bounds.causal, program };
};
