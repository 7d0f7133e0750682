/**
 * Faithful re-parameterization: a linearized transformer as a D-RASP program that computes the
 * same logits.
 *
 * The residual stream at every layer is a sum of path contributions plus a constant:
 *
 *   x = Σ_paths value_p · E_p + c
 *
 * where value_p is a D-RASP variable (a vector over its basis at each position) and E_p its
 * embedding into the residual (dim(basis) × d). The paths start as the token embedding
 * (tok, E = W_E) and the position embedding (pos, E = W_pos). Layer by layer:
 *
 * - a head's scores are Σ over query path p and key path p' of select(q=p, k=p', op=M) with
 *   M = scale · (Ẽ_p W_Q)(Ẽ_p' W_K)ᵀ (Ẽ: the embedding after the layer's affine normalisation),
 *   plus key-only terms select(k=p', op=w) from the query's constant part, w = scale · Ẽ_p' W_K q̄ᵀ.
 *   Terms constant over keys (query-only, constant × constant) do not change a softmax: dropped.
 * - each value path p' gives a new path: aggregate(s, v=p') with embedding Ẽ_p' W_V W_O; the
 *   value's constant part (c̃ W_V + b_V) W_O joins the constant (the weights sum to 1).
 * - an MLP is an opaque elementwise op over all current paths (its input is their sum): one new
 *   path over its hidden units with embedding W_out; b_out joins the constant.
 * - the logits are Σ project(inp=p, op=Ẽ_p W_U) + c̃ W_U + b_U.
 *
 * The number of paths multiplies by (1 + heads) per layer; paths are expanded layer by layer
 * from the live ones only, and with `pruneZero` every product that is exactly zero (most of them
 * in compiled models, whose blocks write disjoint subspaces) is dropped as soon as it is formed,
 * then variables nothing reads are removed. Both are exact. `maxDepth` drops paths through more
 * heads and MLPs than that (then the program is no longer faithful; the count is reported).
 */
import * as Either from 'fp-ts/lib/Either.js';
import { diagnostic, type Diagnostic } from '../../diagnostics.js';
import { derivedBasis, positionBasis, tokenBasis} from '../drasp/basis.js';
import {
  addInto,
  addVectors,
  isZeroMatrix,
  isZeroVector,
  matrixTimesVector,
  multiply,
  multiplyTransposed,
  nonZeroRows,
  scaled,
  scaledVector,
  selectColumns,
  selectEntries,
  selectRows,
  vectorTimesMatrix,
  type Matrix,
} from '../drasp/matrix.js';
import type { DraspProgram, ElementwiseFunction, ProjectLine, SelectTerm, Statement } from '../drasp/program.js';
import type { AffineNorm, LinearizedBlock, LinearizedTransformer } from './linearizedTransformer.js';
import type { EdgeMask, ReparamOptions, Reparameterization, ResidualPath } from './reparameterization.js';

const DEFAULT_MAX_PATHS = 20_000;
const DEFAULT_MAX_SCORE_ENTRIES = 20_000_000;

/** Ẽ = the rows of E through the normalisation's linear part: (row − mean(row)) ⊙ scale. */
const normalizedEmbedding = (embedding: Matrix, norm: AffineNorm | undefined): Matrix => {
  if (norm === undefined) return embedding;
  const { rows, cols } = embedding;
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let mean = 0;
    for (let i = 0; i < cols; i++) mean += embedding.data[base + i];
    mean /= cols;
    for (let i = 0; i < cols; i++) out[base + i] = (embedding.data[base + i] - mean) * norm.scale[i];
  }
  return { rows, cols, data: out };
};

/** c̃ = the constant through the whole affine normalisation. */
const normalizedConstant = (constant: Float64Array, norm: AffineNorm | undefined): Float64Array => {
  if (norm === undefined) return constant;
  let mean = 0;
  for (let i = 0; i < constant.length; i++) mean += constant[i];
  mean /= constant.length;
  const out = new Float64Array(constant.length);
  for (let i = 0; i < constant.length; i++) out[i] = (constant[i] - mean) * norm.scale[i] + norm.shift[i];
  return out;
};

/** activation(Σ_i x_i R_i + bias) at one position, the inputs in `reads` order. */
const mlpFunction = (name: string, reads: readonly Matrix[], bias: Float64Array, activation: (x: number) => number, activationName: string): ElementwiseFunction => ({
  kind: 'opaque',
  name,
  description: `${activationName}(Σ inputs · W_in + b_in) over ${bias.length} hidden unit${bias.length === 1 ? '' : 's'}`,
  apply: (inputs, output) => {
    const units = bias.length;
    output.set(bias);
    for (let i = 0; i < reads.length; i++) {
      const x = inputs[i];
      const read = reads[i].data;
      for (let k = 0; k < x.length; k++) {
        const xk = x[k];
        if (xk === 0) continue;
        const base = k * units;
        for (let u = 0; u < units; u++) output[u] += xk * read[base + u];
      }
    }
    for (let u = 0; u < units; u++) output[u] = activation(output[u]);
  },
});

/** Statements nothing downstream reads, removed (one backward pass: statements read only earlier ones). */
export const withoutDeadStatements = (statements: readonly Statement[], projects: readonly ProjectLine[]): Statement[] => {
  const live = new Set(projects.map((line) => line.input));
  const kept: Statement[] = [];
  for (let i = statements.length - 1; i >= 0; i--) {
    const statement = statements[i];
    if (!live.has(statement.name)) continue;
    kept.push(statement);
    if (statement.kind === 'selector') {
      for (const term of statement.terms) {
        live.add(term.key);
        if (term.kind === 'select') live.add(term.query);
      }
      continue;
    }
    const definition = statement.definition;
    if (definition.kind === 'aggregate') {
      live.add(definition.selector);
      live.add(definition.value);
    } else if (definition.kind === 'elementwise') {
      for (const input of definition.inputs) live.add(input);
    }
  }
  return kept.reverse();
};

interface Expansion {
  readonly statements: Statement[];
  readonly paths: ResidualPath[];
  constant: Float64Array;
  zeroProductsDropped: number;
  droppedByDepth: number;
  readonly pruneZero: boolean;
  readonly maxDepth: number;
  readonly edges: EdgeMask | undefined;
  /** Each writer's constant part, already in `constant` (what a pruned edge must take back out). */
  readonly writerConstants: Map<string, Float64Array>;
}

const keepsWriter = (expansion: Expansion, reader: string, path: ResidualPath): boolean => expansion.edges?.keeps(reader, path.writer) ?? true;

const keeps = (expansion: Expansion, reader: string, path: ResidualPath): boolean =>
  keepsWriter(expansion, reader, path) && (expansion.edges?.keepsPath?.(reader, path.variable) ?? true);

const keepsTerm = (expansion: Expansion, head: string, query: ResidualPath | undefined, key: ResidualPath): boolean =>
  expansion.edges?.keepsTerm?.(head, query?.variable, key.variable) ?? true;

/**
 * The residual constant as `reader` sees it: pruned writers' constants swapped for their
 * replacements, and the replacements of the single paths (of `available`) it does not keep.
 */
const constantFor = (expansion: Expansion, reader: string, available: readonly ResidualPath[]): Float64Array => {
  const edges = expansion.edges;
  if (edges === undefined) return expansion.constant;
  const out = Float64Array.from(expansion.constant);
  if (edges.keepsPath !== undefined && edges.pathReplacement !== undefined) {
    for (const path of available) {
      if (keepsWriter(expansion, reader, path) && !edges.keepsPath(reader, path.variable)) addInto(out, edges.pathReplacement(reader, path.variable));
    }
  }
  const writers = new Set(['tok', 'pos', ...expansion.writerConstants.keys()]);
  for (const writer of writers) {
    if (edges.keeps(reader, writer)) continue;
    addInto(out, edges.replacement(reader, writer));
    const own = expansion.writerConstants.get(writer);
    if (own !== undefined) for (let i = 0; i < out.length; i++) out[i] -= own[i];
  }
  return out;
};

const dropped = (expansion: Expansion, product: Matrix | Float64Array): boolean => {
  if (!expansion.pruneZero) return false;
  const zero = product instanceof Float64Array ? isZeroVector(product) : isZeroMatrix(product);
  if (zero) expansion.zeroProductsDropped++;
  return zero;
};

const expandAttention = (model: LinearizedTransformer, block: LinearizedBlock, layer: number, expansion: Expansion): void => {
  const current = expansion.paths.slice();
  const inputs = current.map((p) => normalizedEmbedding(p.embedding, block.attentionNorm));
  const constantDelta = Float64Array.from(block.attentionBias);
  const headConstants: [string, Float64Array][] = [];
  block.heads.forEach((head, h) => {
    const writer = `l${layer}h${h}`;
    if (expansion.pruneZero && isZeroMatrix(head.wo)) {
      headConstants.push([writer, new Float64Array(model.d)]);
      return;
    }
    const label = `L${layer}H${h}`;
    const selector = `s_l${layer}h${h}`;
    const queries = inputs.map((e) => multiply(e, head.wq));
    const keys = inputs.map((e) => multiply(e, head.wk));
    const queryConstant = addVectors(vectorTimesMatrix(normalizedConstant(constantFor(expansion, `${writer}.q`, current), block.attentionNorm), head.wq), head.bq);
    const terms: SelectTerm[] = [];
    current.forEach((queryPath, i) => {
      if (!keeps(expansion, `${writer}.q`, queryPath)) return;
      current.forEach((keyPath, j) => {
        if (!keeps(expansion, `${writer}.k`, keyPath) || !keepsTerm(expansion, writer, queryPath, keyPath)) return;
        const op = scaled(multiplyTransposed(queries[i], keys[j]), model.scoreScale);
        if (!dropped(expansion, op)) terms.push({ kind: 'select', query: queryPath.variable, key: keyPath.variable, op });
      });
    });
    current.forEach((keyPath, j) => {
      if (!keeps(expansion, `${writer}.k`, keyPath) || !keepsTerm(expansion, writer, undefined, keyPath)) return;
      const op = scaledVector(matrixTimesVector(keys[j], queryConstant), model.scoreScale);
      if (!dropped(expansion, op)) terms.push({ kind: 'keySelect', key: keyPath.variable, op });
    });
    expansion.statements.push({ kind: 'selector', name: selector, terms, comment: `head ${label}` });

    const valueOutput = multiply(head.wv, head.wo);
    current.forEach((valuePath, j) => {
      if (!keeps(expansion, `${writer}.v`, valuePath)) return;
      if (valuePath.depth + 1 > expansion.maxDepth) {
        expansion.droppedByDepth++;
        return;
      }
      const embedding = multiply(inputs[j], valueOutput);
      if (dropped(expansion, embedding)) return;
      const variable = `l${layer}h${h}_${valuePath.variable}`;
      expansion.statements.push({
        kind: 'variable',
        name: variable,
        basis: valuePath.basis,
        definition: { kind: 'aggregate', selector, value: valuePath.variable },
        comment: label,
      });
      expansion.paths.push({ variable, writer, basis: valuePath.basis, depth: valuePath.depth + 1, embedding });
    });
    const valueConstantIn = normalizedConstant(constantFor(expansion, `${writer}.v`, current), block.attentionNorm);
    const headConstant = vectorTimesMatrix(addVectors(vectorTimesMatrix(valueConstantIn, head.wv), head.bv), head.wo);
    addInto(constantDelta, headConstant);
    headConstants.push([writer, headConstant]);
  });
  addInto(expansion.constant, constantDelta);
  for (const [writer, c] of headConstants) expansion.writerConstants.set(writer, c);
};

const expandMlp = (block: LinearizedBlock, layer: number, expansion: Expansion): void => {
  const current = expansion.paths.slice();
  const units = expansion.pruneZero ? nonZeroRows(block.mlpOut) : Int32Array.from({ length: block.mlpOut.rows }, (_, u) => u);
  const mlpIn = selectColumns(block.mlpIn, units);
  const mlpOut = selectRows(block.mlpOut, units);
  const reader = `l${layer}.mlp`;
  const constantIn = normalizedConstant(constantFor(expansion, reader, current), block.mlpNorm);
  const bias = addVectors(vectorTimesMatrix(constantIn, mlpIn), selectEntries(block.mlpInBias, units));
  const inputs: string[] = [];
  const reads: Matrix[] = [];
  let depth = 0;
  for (const path of current) {
    if (units.length === 0) break;
    if (!keeps(expansion, reader, path)) continue;
    if (path.depth + 1 > expansion.maxDepth) {
      expansion.droppedByDepth++;
      continue;
    }
    const read = multiply(normalizedEmbedding(path.embedding, block.mlpNorm), mlpIn);
    if (dropped(expansion, read)) continue;
    inputs.push(path.variable);
    reads.push(read);
    depth = Math.max(depth, path.depth);
  }
  addInto(expansion.constant, block.mlpOutBias);
  const writerConstant = Float64Array.from(block.mlpOutBias);
  expansion.writerConstants.set(reader, writerConstant);
  if (units.length === 0) return;
  if (inputs.length === 0 && expansion.pruneZero) {
    // reads nothing that varies: a constant
    const hidden = bias.map(block.activation);
    const out = vectorTimesMatrix(hidden, mlpOut);
    addInto(expansion.constant, out);
    addInto(writerConstant, out);
    return;
  }
  const variable = `mlp${layer}`;
  const basis = derivedBasis(variable, Array.from(units, (u) => `u${u}`));
  expansion.statements.push({
    kind: 'variable',
    name: variable,
    basis,
    definition: { kind: 'elementwise', inputs, fn: mlpFunction(`MLP${layer}`, reads, bias, block.activation, block.activationName) },
    comment: `layer ${layer} MLP`,
  });
  expansion.paths.push({ variable, writer: reader, basis, depth: depth + 1, embedding: mlpOut });
};

const tooManyPaths = (count: number, limit: number, layer: number): Diagnostic =>
  diagnostic('reparam/too-many-paths', `the expansion reached ${count} path variables at layer ${layer}, more than the limit ${limit}`, {
    fix: 'pass a smaller maxDepth (not faithful) or a larger maxPaths',
  });

const tooManyScoreEntries = (paths: number, entries: number, limit: number, layer: number): Diagnostic =>
  diagnostic('reparam/too-many-paths', `the score matrices of layer ${layer}'s heads between ${paths} paths would hold ${entries} numbers, more than the limit ${limit}`, {
    fix: 'pass a smaller maxDepth (not faithful) or a larger maxScoreEntries',
  });

/** The D-RASP program of `model`, its paths and their counts. */
export const reparameterize = (model: LinearizedTransformer, options: ReparamOptions = {}): Either.Either<Diagnostic[], Reparameterization> => {
  const maxPaths = options.maxPaths ?? DEFAULT_MAX_PATHS;
  const tok = tokenBasis(model.tokenNames);
  const pos = positionBasis(model.positionEmbedding.rows);
  const expansion: Expansion = {
    statements: [
      { kind: 'variable', name: 'tok', basis: tok, definition: { kind: 'tokens' } },
      { kind: 'variable', name: 'pos', basis: pos, definition: { kind: 'positions' } },
    ],
    paths: [
      { variable: 'tok', writer: 'tok', basis: tok, depth: 0, embedding: model.tokenEmbedding },
      { variable: 'pos', writer: 'pos', basis: pos, depth: 0, embedding: model.positionEmbedding },
    ],
    constant: new Float64Array(model.d),
    zeroProductsDropped: 0,
    droppedByDepth: 0,
    pruneZero: options.pruneZero ?? true,
    maxDepth: options.maxDepth ?? Infinity,
    edges: options.edges,
    writerConstants: new Map(),
  };
  const maxScoreEntries = options.maxScoreEntries ?? DEFAULT_MAX_SCORE_ENTRIES;
  for (let layer = 0; layer < model.blocks.length; layer++) {
    const block = model.blocks[layer];
    const dims = expansion.paths.reduce((sum, p) => sum + p.embedding.rows, 0);
    const entries = dims * dims * block.heads.length;
    if (entries > maxScoreEntries) return Either.left([tooManyScoreEntries(expansion.paths.length, entries, maxScoreEntries, layer)]);
    expandAttention(model, block, layer, expansion);
    if (expansion.paths.length > maxPaths) return Either.left([tooManyPaths(expansion.paths.length, maxPaths, layer)]);
    expandMlp(block, layer, expansion);
  }

  const constantIn = normalizedConstant(constantFor(expansion, 'logits', expansion.paths), model.finalNorm);
  const projects: ProjectLine[] = [];
  for (const path of expansion.paths) {
    if (!keeps(expansion, 'logits', path)) continue;
    const op = multiply(normalizedEmbedding(path.embedding, model.finalNorm), model.unembedding);
    if (!dropped(expansion, op)) projects.push({ input: path.variable, op });
  }
  const bias = addVectors(vectorTimesMatrix(constantIn, model.unembedding), model.unembeddingBias);
  const statements = expansion.pruneZero ? withoutDeadStatements(expansion.statements, projects) : expansion.statements;
  const program: DraspProgram = {
    statements,
    output: { basis: derivedBasis('logits', model.outputNames), projects, bias, prediction: model.prediction },
    causal: model.causal,
    maskedKeyTokens: model.maskedKeyTokens,
  };

  const names = new Set(statements.map((s) => s.name));
  const paths = expansion.paths.filter((p) => names.has(p.variable));
  const pathsByDepth: number[] = [];
  for (const p of paths) pathsByDepth[p.depth] = (pathsByDepth[p.depth] ?? 0) + 1;
  const selectors = statements.filter((s) => s.kind === 'selector');
  const terms = selectors.flatMap((s) => (s.kind === 'selector' ? s.terms : []));
  const variables = statements.filter((s) => s.kind === 'variable');
  return Either.right({
    program,
    paths,
    stats: {
      paths: paths.length,
      pathsByDepth: Array.from(pathsByDepth, (n) => n ?? 0),
      pathsExpanded: expansion.paths.length,
      selectors: selectors.length,
      selectTerms: terms.filter((t) => t.kind === 'select').length,
      keyOnlyTerms: terms.filter((t) => t.kind === 'keySelect').length,
      aggregates: variables.filter((v) => v.kind === 'variable' && v.definition.kind === 'aggregate').length,
      mlps: variables.filter((v) => v.kind === 'variable' && v.definition.kind === 'elementwise').length,
      projectLines: projects.length,
      zeroProductsDropped: expansion.zeroProductsDropped,
      droppedByDepth: expansion.droppedByDepth,
    },
  });
};
