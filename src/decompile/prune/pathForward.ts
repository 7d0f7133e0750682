/**
 * Stages 2 and 3 of causal pruning: after the component edges (stage 1) are fixed, masks on single
 * paths — a head's value paths, an MLP's input paths, the output projections (stage 2) — and on
 * single select terms, query path × key path or key-only (stage 3).
 *
 * The forward pass here follows the re-parameterization (expandPaths.ts) path by path, in residual
 * space: path p contributes X_p (its varying part) at every position, the rest of the residual is
 * a constant row C. With masks in {0, 1} (`hard`) it computes exactly what the program that
 * expandPaths writes under the combined EdgeMask (stage2EdgeMask) computes: a path that has become
 * constant (its value edge pruned, or an MLP with no varying input) does not exist in that program,
 * its value is part of C, so here it stays visible to every later reader.
 */
import { mixWithConstant } from '../../nn/autodiff/masks.js';
import { addAll, addRow, affineNorm, centerScale, gather, gelu, linear, linearCombination, reluOp } from '../../nn/autodiff/ops.js';
import { attend, causalSoftmax, maskedScoreSum, type ScoreTerm } from '../../nn/autodiff/scores.js';
import type { Node, Tape } from '../../nn/autodiff/tape.js';
import type { Batch } from '../../nn/batch.js';
import { multiply, type Matrix } from '../drasp/matrix.js';
import type { EdgeMask } from '../reparam/reparameterization.js';
import type { AffineNorm, LinearizedTransformer } from '../reparam/linearizedTransformer.js';
import type { Edge } from './edges.js';

/** A stage-2 edge (a reader reading one path) or a stage-3 edge (one select term of a head). */
export type PathEdge =
  | { readonly kind: 'path'; readonly reader: string; readonly variable: string }
  | { readonly kind: 'term'; readonly head: string; readonly query: string | undefined; readonly key: string };

export const pathEdgeKey = (e: PathEdge): string => (e.kind === 'path' ? `${e.reader}<-${e.variable}` : `${e.head}:${e.query ?? '·'}×${e.key}`);

/** Stage 1's result: which writers each reader keeps, and the constants of the others. */
export interface Stage1 {
  readonly edges: readonly Edge[];
  readonly kept: readonly boolean[];
  readonly constants: readonly Float64Array[];
}

interface PathInfo {
  readonly variable: string;
  readonly writer: string;
}

const stage1Lookup = (stage1: Stage1): ((reader: string, writer: string) => number | undefined) => {
  const index = new Map(stage1.edges.map((e, i) => [`${e.reader}<-${e.writer}`, i]));
  return (reader, writer) => index.get(`${reader}<-${writer}`);
};

/** The stage-2 and stage-3 edges of `model` under the stage-1 wiring, in a fixed order. */
export const pathEdgesOf = (model: LinearizedTransformer, stage1: Stage1): PathEdge[] => {
  const at = stage1Lookup(stage1);
  const keeps = (reader: string, writer: string): boolean => {
    const i = at(reader, writer);
    return i === undefined || stage1.kept[i];
  };
  const edges: PathEdge[] = [];
  const paths: PathInfo[] = [
    { variable: 'tok', writer: 'tok' },
    { variable: 'pos', writer: 'pos' },
  ];
  model.blocks.forEach((block, layer) => {
    const current = paths.slice();
    block.heads.forEach((_, h) => {
      const head = `l${layer}h${h}`;
      const queries = current.filter((p) => keeps(`${head}.q`, p.writer));
      const keys = current.filter((p) => keeps(`${head}.k`, p.writer));
      for (const q of queries) for (const k of keys) edges.push({ kind: 'term', head, query: q.variable, key: k.variable });
      for (const k of keys) edges.push({ kind: 'term', head, query: undefined, key: k.variable });
      for (const v of current.filter((p) => keeps(`${head}.v`, p.writer))) {
        edges.push({ kind: 'path', reader: `${head}.v`, variable: v.variable });
        paths.push({ variable: `${head}_${v.variable}`, writer: head });
      }
    });
    const reader = `l${layer}.mlp`;
    for (const p of paths.filter((p) => keeps(reader, p.writer))) edges.push({ kind: 'path', reader, variable: p.variable });
    paths.push({ variable: `mlp${layer}`, writer: reader });
  });
  for (const p of paths.filter((p) => keeps('logits', p.writer))) edges.push({ kind: 'path', reader: 'logits', variable: p.variable });
  return edges;
};

export interface PathMaskState {
  readonly edges: readonly PathEdge[];
  /** [edges] mask values. */
  readonly masks: Node;
  /** Per edge: the replacement constant [d] of a path edge (unused for term edges). */
  readonly constants: readonly Node[];
  /** Masks are 0 or 1: apply the rule for paths that have become constant. */
  readonly hard: boolean;
}

interface LivePath extends PathInfo {
  readonly x: Node;
  /** Constant over positions in the hard program (absent from it). */
  readonly constant: boolean;
}

const constantMatrix = (tape: Tape, m: Matrix): Node => tape.constant(m.data, [m.rows, m.cols]);
const constantVector = (tape: Tape, v: Float64Array): Node => tape.constant(v, [v.length]);
const row = (tape: Tape, v: Float64Array): Node => tape.constant(v, [1, v.length]);

export interface PathRun {
  readonly logits: Node;
  /** Each path's varying part [rows, d], by variable. */
  readonly paths: ReadonlyMap<string, Node>;
}

/** The forward pass under the stage-1 wiring and (optionally) stage-2/3 masks. */
export const pathForward = (tape: Tape, model: LinearizedTransformer, batch: Batch, stage1: Stage1, state?: PathMaskState): PathRun => {
  const rows = batch.size * batch.length;
  const d = model.d;
  const shape = { batch: batch.size, length: batch.length };
  const at1 = stage1Lookup(stage1);
  const keeps1 = (reader: string, writer: string): boolean => {
    const i = at1(reader, writer);
    return i === undefined || stage1.kept[i];
  };
  const index2 = new Map(state?.edges.map((e, i) => [pathEdgeKey(e), i]));
  const maskValue = (key: string): number => {
    const i = index2.get(key);
    return state === undefined || i === undefined ? 1 : state.masks.value[i];
  };

  const one = tape.constant(Float64Array.of(1), [1]);
  const paths: LivePath[] = [
    { variable: 'tok', writer: 'tok', x: gather(tape, constantMatrix(tape, model.tokenEmbedding), batch.ids), constant: false },
    { variable: 'pos', writer: 'pos', x: gather(tape, constantMatrix(tape, model.positionEmbedding), batch.positions), constant: false },
  ];
  let constant: Node = row(tape, new Float64Array(d));
  /** Each writer's own constant, part of `constant` (expandPaths' writerConstants). */
  const writerConstants = new Map<string, Node>();

  /** The constant row as `reader` sees it under stage 1 (pruned writers' constants swapped for the replacements). */
  const constantFor = (reader: string): Node => {
    const parts: Node[] = [constant];
    const factors: number[] = [1];
    for (const writer of ['tok', 'pos', ...writerConstants.keys()]) {
      const i = at1(reader, writer);
      if (i === undefined || stage1.kept[i]) continue;
      parts.push(row(tape, stage1.constants[i]));
      factors.push(1);
      const own = writerConstants.get(writer);
      if (own !== undefined) {
        parts.push(own);
        factors.push(-1);
      }
    }
    return linearCombination(tape, parts, factors);
  };

  /** A path as `reader` reads it: mixed with its replacement by the stage-2 mask. */
  const read = (reader: string, path: LivePath): Node => {
    if (state === undefined || (state.hard && path.constant)) return path.x;
    const i = index2.get(`${reader}<-${path.variable}`);
    return i === undefined ? path.x : mixWithConstant(tape, path.x, state.masks, i, state.constants[i]);
  };
  const pathKept = (reader: string, path: LivePath): boolean => !(state?.hard ?? false) || path.constant || maskValue(`${reader}<-${path.variable}`) === 1;

  const readerInput = (reader: string, available: readonly LivePath[], norm: AffineNorm | undefined): { paths: LivePath[]; input: Node } => {
    const read1 = available.filter((p) => keeps1(reader, p.writer));
    const parts = read1.map((p) => read(reader, p));
    const sum = addRow(tape, parts.length === 0 ? tape.constant(new Float64Array(rows * d), [rows, d]) : addAll(tape, parts), constantFor(reader));
    return { paths: read1, input: norm === undefined ? sum : affineNorm(tape, sum, norm.scale, norm.shift) };
  };

  model.blocks.forEach((block, layer) => {
    const current = paths.slice();
    const norm = block.attentionNorm;
    const scale = norm?.scale ?? new Float64Array(d).fill(1);
    const centered = (x: Node): Node => (norm === undefined ? x : centerScale(tape, x, scale));
    const normalizedRow = (x: Node): Node => (norm === undefined ? x : affineNorm(tape, x, norm.scale, norm.shift));
    const headConstants: [string, Node][] = [];
    block.heads.forEach((head, h) => {
      const name = `l${layer}h${h}`;
      const wq = constantMatrix(tape, head.wq);
      const wk = constantMatrix(tape, head.wk);
      const queries = current.filter((p) => keeps1(`${name}.q`, p.writer));
      const keys = current.filter((p) => keeps1(`${name}.k`, p.writer));
      const queryRow = linear(tape, normalizedRow(constantFor(`${name}.q`)), wq, constantVector(tape, head.bq));
      const keyVectors = keys.map((k) => linear(tape, centered(k.x), wk));
      const terms: ScoreTerm[] = [];
      const termMask = (key: string): { masks: Node; index: number } => {
        const i = index2.get(key);
        return state === undefined || i === undefined ? { masks: one, index: 0 } : { masks: state.masks, index: i };
      };
      queries.forEach((q) => {
        const qv = linear(tape, centered(q.x), wq);
        keys.forEach((k, j) => {
          // A query path that is constant in the hard program is part of its query constant: its
          // terms stand or fall with the key-only term.
          terms.push({ q: qv, k: keyVectors[j], ...termMask(`${name}:${state?.hard === true && q.constant ? '·' : q.variable}×${k.variable}`) });
        });
      });
      keys.forEach((k, j) => terms.push({ q: queryRow, k: keyVectors[j], ...termMask(`${name}:·×${k.variable}`) }));
      const weights = causalSoftmax(tape, maskedScoreSum(tape, terms, model.scoreScale, shape), shape);
      const valueOutput = constantMatrix(tape, multiply(head.wv, head.wo));
      for (const v of current.filter((p) => keeps1(`${name}.v`, p.writer))) {
        const x = attend(tape, weights, linear(tape, centered(read(`${name}.v`, v)), valueOutput), shape);
        paths.push({ variable: `${name}_${v.variable}`, writer: name, x, constant: v.constant || !pathKept(`${name}.v`, v) });
      }
      const valueRow = normalizedRow(constantFor(`${name}.v`));
      const own = linear(tape, linear(tape, valueRow, constantMatrix(tape, head.wv), constantVector(tape, head.bv)), constantMatrix(tape, head.wo));
      headConstants.push([name, own]);
    });
    constant = addAll(tape, [constant, row(tape, block.attentionBias), ...headConstants.map(([, c]) => c)]);
    for (const [name, c] of headConstants) writerConstants.set(name, c);

    const reader = `l${layer}.mlp`;
    const { paths: inputs, input } = readerInput(reader, paths.slice(), block.mlpNorm);
    const pre = linear(tape, input, constantMatrix(tape, block.mlpIn), constantVector(tape, block.mlpInBias));
    const hidden = block.activationName === 'relu' ? reluOp(tape, pre) : gelu(tape, pre);
    const x = linear(tape, hidden, constantMatrix(tape, block.mlpOut));
    const varying = inputs.some((p) => !p.constant && pathKept(reader, p));
    paths.push({ variable: `mlp${layer}`, writer: reader, x, constant: !varying });
    const bias = row(tape, block.mlpOutBias);
    constant = addAll(tape, [constant, bias]);
    writerConstants.set(reader, bias);
  });
  const { input } = readerInput('logits', paths.slice(), model.finalNorm);
  const logits = linear(tape, input, constantMatrix(tape, model.unembedding), constantVector(tape, model.unembeddingBias));
  return { logits, paths: new Map(paths.map((p) => [p.variable, p.x])) };
};

/** The EdgeMask of stage 1 and hard stage-2/3 masks together, for expandPaths. */
export const stage2EdgeMask = (stage1: Stage1, edges: readonly PathEdge[], kept: readonly boolean[], constants: readonly Float64Array[]): EdgeMask => {
  const index1 = new Map(stage1.edges.map((e, i) => [`${e.reader}<-${e.writer}`, i]));
  const index2 = new Map(edges.map((e, i) => [pathEdgeKey(e), i]));
  const kept2 = (key: string): boolean => {
    const i = index2.get(key);
    return i === undefined || kept[i];
  };
  return {
    keeps: (reader, writer) => {
      const i = index1.get(`${reader}<-${writer}`);
      return i === undefined || stage1.kept[i];
    },
    replacement: (reader, writer) => stage1.constants[index1.get(`${reader}<-${writer}`) as number],
    keepsPath: (reader, variable) => kept2(`${reader}<-${variable}`),
    pathReplacement: (reader, variable) => constants[index2.get(`${reader}<-${variable}`) as number],
    keepsTerm: (head, query, key) => kept2(`${head}:${query ?? '·'}×${key}`),
  };
};
