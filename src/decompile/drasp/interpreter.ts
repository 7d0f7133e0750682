/**
 * The D-RASP interpreter: token ids and position ids → every variable's values and the logits.
 * It reads only the program (no model code): this is what "the program reproduces the model"
 * is checked with.
 */
import * as Either from 'fp-ts/lib/Either.js';
import { diagnostic, type Diagnostic } from '../../diagnostics.js';
import { basisSize } from './basis.js';
import type { Matrix } from './matrix.js';
import { checkProgram, type DraspProgram, type ElementwisePrimitive, type SelectorStatement, type VariableStatement } from './program.js';

export interface DraspRun {
  readonly length: number;
  /** length × dim(logits). */
  readonly logits: Float64Array;
  /** Each variable's values, length × dim(basis). */
  readonly values: ReadonlyMap<string, Float64Array>;
  /** Each selector's attention weights, length × length (row: query, column: key). */
  readonly weights: ReadonlyMap<string, Float64Array>;
}

export type Predictions =
  | { readonly kind: 'argmax'; readonly classes: Int32Array }
  /** length × dim(logits): 1 where the label's logit is positive (sigmoid > 1/2). */
  | { readonly kind: 'sigmoid'; readonly labels: Uint8Array };

const inputProblems = (program: DraspProgram, tokenIds: Int32Array, positionIds: Int32Array): Diagnostic[] => {
  const problems: Diagnostic[] = [];
  if (tokenIds.length === 0) problems.push(diagnostic('input/empty', 'the input is empty', { fix: 'give at least one token' }));
  if (positionIds.length !== tokenIds.length) {
    problems.push(diagnostic('drasp/bad-input', `${tokenIds.length} token ids but ${positionIds.length} position ids`, { fix: 'give one position id per token' }));
  }
  for (const statement of program.statements) {
    if (statement.kind !== 'variable') continue;
    const kind = statement.definition.kind;
    if (kind !== 'tokens' && kind !== 'positions') continue;
    const ids = kind === 'tokens' ? tokenIds : positionIds;
    const size = basisSize(statement.basis);
    const bad = ids.findIndex((id) => id < 0 || id >= size);
    if (bad >= 0) {
      problems.push(
        diagnostic('drasp/bad-input', `${kind === 'tokens' ? 'token' : 'position'} id ${ids[bad]} at ${bad} is outside ${statement.name}'s basis 0..${size - 1}`, {
          where: `input position ${bad}`,
        }),
      );
    }
  }
  return problems;
};

const oneHot = (ids: Int32Array, size: number): Float64Array => {
  const out = new Float64Array(ids.length * size);
  for (let t = 0; t < ids.length; t++) out[t * size + ids[t]] = 1;
  return out;
};

/** Keys allowed to each query: 1 at [query · length + key]. */
const allowedKeys = (program: DraspProgram, tokenIds: Int32Array): Uint8Array => {
  const length = tokenIds.length;
  const masked = new Set(program.maskedKeyTokens);
  const allowed = new Uint8Array(length * length);
  for (let t = 0; t < length; t++) {
    const end = program.causal ? t + 1 : length;
    for (let s = 0; s < end; s++) if (!masked.has(tokenIds[s])) allowed[t * length + s] = 1;
  }
  return allowed;
};

/** Softmax of each query's scores over its allowed keys; a query with none gets all-zero weights. */
const selectorWeights = (
  selector: SelectorStatement,
  values: ReadonlyMap<string, Float64Array>,
  sizes: ReadonlyMap<string, number>,
  length: number,
  allowed: Uint8Array,
): Float64Array => {
  const scores = new Float64Array(length * length);
  for (const term of selector.terms) {
    const keys = values.get(term.key) as Float64Array;
    const keySize = sizes.get(term.key) as number;
    if (term.kind === 'keySelect') {
      const w = term.op;
      for (let s = 0; s < length; s++) {
        let score = 0;
        for (let j = 0; j < keySize; j++) score += w[j] * keys[s * keySize + j];
        for (let t = 0; t < length; t++) scores[t * length + s] += score;
      }
      continue;
    }
    const queries = values.get(term.query) as Float64Array;
    const querySize = sizes.get(term.query) as number;
    const op = term.op.data;
    // Keys over token and position bases are one-hot: visit only their non-zero dimensions.
    const keyDims = Array.from({ length }, (_, s) => {
      const dims: number[] = [];
      for (let j = 0; j < keySize; j++) if (keys[s * keySize + j] !== 0) dims.push(j);
      return dims;
    });
    // row t: X_tᵀ M, then its dot product with each key's Y_s
    const projected = new Float64Array(keySize);
    for (let t = 0; t < length; t++) {
      projected.fill(0);
      for (let i = 0; i < querySize; i++) {
        const x = queries[t * querySize + i];
        if (x === 0) continue;
        const rowBase = i * keySize;
        for (let j = 0; j < keySize; j++) projected[j] += x * op[rowBase + j];
      }
      for (let s = 0; s < length; s++) {
        if (allowed[t * length + s] === 0) continue;
        const keyBase = s * keySize;
        let score = 0;
        for (const j of keyDims[s]) score += projected[j] * keys[keyBase + j];
        scores[t * length + s] += score;
      }
    }
  }
  const weights = new Float64Array(length * length);
  for (let t = 0; t < length; t++) {
    const rowBase = t * length;
    let max = -Infinity;
    for (let s = 0; s < length; s++) if (allowed[rowBase + s] === 1 && scores[rowBase + s] > max) max = scores[rowBase + s];
    if (max === -Infinity) continue;
    let sum = 0;
    for (let s = 0; s < length; s++) {
      if (allowed[rowBase + s] === 0) continue;
      const e = Math.exp(scores[rowBase + s] - max);
      weights[rowBase + s] = e;
      sum += e;
    }
    for (let s = 0; s < length; s++) weights[rowBase + s] /= sum;
  }
  return weights;
};

const aggregate = (weights: Float64Array, value: Float64Array, valueSize: number, length: number, output: Matrix | undefined): Float64Array => {
  const averaged = new Float64Array(length * valueSize);
  for (let t = 0; t < length; t++) {
    const outBase = t * valueSize;
    for (let s = 0; s < length; s++) {
      const w = weights[t * length + s];
      if (w === 0) continue;
      const valueBase = s * valueSize;
      for (let j = 0; j < valueSize; j++) averaged[outBase + j] += w * value[valueBase + j];
    }
  }
  if (output === undefined) return averaged;
  const m = output.cols;
  const result = new Float64Array(length * m);
  for (let t = 0; t < length; t++) {
    for (let i = 0; i < valueSize; i++) {
      const x = averaged[t * valueSize + i];
      if (x === 0) continue;
      const rowBase = i * m;
      for (let j = 0; j < m; j++) result[t * m + j] += x * output.data[rowBase + j];
    }
  }
  return result;
};

const applyPrimitive = (name: ElementwisePrimitive, inputs: readonly Float64Array[], output: Float64Array): void => {
  const n = output.length;
  switch (name) {
    case 'sum':
      for (const input of inputs) for (let i = 0; i < n; i++) output[i] += input[i];
      return;
    case 'product':
      output.fill(1);
      for (const input of inputs) for (let i = 0; i < n; i++) output[i] *= input[i];
      return;
    case 'relu':
      for (let i = 0; i < n; i++) output[i] = Math.max(inputs[0][i], 0);
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) output[i] = 1 / (1 + Math.exp(-inputs[0][i]));
      return;
    case 'step':
      for (let i = 0; i < n; i++) output[i] = inputs[0][i] > 0 ? 1 : 0;
      return;
  }
};

const elementwise = (statement: VariableStatement, values: ReadonlyMap<string, Float64Array>, sizes: ReadonlyMap<string, number>, length: number): Float64Array => {
  const definition = statement.definition;
  if (definition.kind !== 'elementwise') throw new Error('bug: not an elementwise statement');
  const size = basisSize(statement.basis);
  const result = new Float64Array(length * size);
  const inputValues = definition.inputs.map((name) => values.get(name) as Float64Array);
  const inputSizes = definition.inputs.map((name) => sizes.get(name) as number);
  for (let t = 0; t < length; t++) {
    const inputs = inputValues.map((v, i) => v.subarray(t * inputSizes[i], (t + 1) * inputSizes[i]));
    const output = result.subarray(t * size, (t + 1) * size);
    if (definition.fn.kind === 'primitive') applyPrimitive(definition.fn.name, inputs, output);
    else definition.fn.apply(inputs, output);
  }
  return result;
};

/**
 * Runs `program` on token ids at position ids (default 0..T−1). Left when the program is
 * ill-formed or an id lies outside its basis.
 */
export const runDrasp = (program: DraspProgram, tokenIds: Int32Array, positionIds?: Int32Array): Either.Either<Diagnostic[], DraspRun> => {
  const checked = checkProgram(program);
  if (Either.isLeft(checked)) return checked;
  const length = tokenIds.length;
  const positions = positionIds ?? Int32Array.from({ length }, (_, i) => i);
  const problems = inputProblems(program, tokenIds, positions);
  if (problems.length > 0) return Either.left(problems);

  const allowed = allowedKeys(program, tokenIds);
  const values = new Map<string, Float64Array>();
  const sizes = new Map<string, number>();
  const weights = new Map<string, Float64Array>();
  for (const statement of program.statements) {
    if (statement.kind === 'selector') {
      weights.set(statement.name, selectorWeights(statement, values, sizes, length, allowed));
      continue;
    }
    const size = basisSize(statement.basis);
    const definition = statement.definition;
    let result: Float64Array;
    switch (definition.kind) {
      case 'tokens':
        result = oneHot(tokenIds, size);
        break;
      case 'positions':
        result = oneHot(positions, size);
        break;
      case 'aggregate':
        result = aggregate(
          weights.get(definition.selector) as Float64Array,
          values.get(definition.value) as Float64Array,
          sizes.get(definition.value) as number,
          length,
          definition.output,
        );
        break;
      case 'elementwise':
        result = elementwise(statement, values, sizes, length);
        break;
    }
    values.set(statement.name, result);
    sizes.set(statement.name, size);
  }

  const outputs = basisSize(program.output.basis);
  const logits = new Float64Array(length * outputs);
  for (let t = 0; t < length; t++) logits.set(program.output.bias, t * outputs);
  for (const line of program.output.projects) {
    const input = values.get(line.input) as Float64Array;
    const inputSize = sizes.get(line.input) as number;
    const op = line.op.data;
    for (let t = 0; t < length; t++) {
      const outBase = t * outputs;
      for (let i = 0; i < inputSize; i++) {
        const x = input[t * inputSize + i];
        if (x === 0) continue;
        const rowBase = i * outputs;
        for (let j = 0; j < outputs; j++) logits[outBase + j] += x * op[rowBase + j];
      }
    }
  }
  return Either.right({ length, logits, values, weights });
};

/** The program's predictions from its logits (ties in argmax go to the first class). */
export const predict = (program: DraspProgram, logits: Float64Array): Predictions => {
  const outputs = basisSize(program.output.basis);
  const length = outputs === 0 ? 0 : logits.length / outputs;
  if (program.output.prediction === 'sigmoid') {
    const labels = new Uint8Array(logits.length);
    for (let i = 0; i < logits.length; i++) labels[i] = logits[i] > 0 ? 1 : 0;
    return { kind: 'sigmoid', labels };
  }
  const classes = new Int32Array(length);
  for (let t = 0; t < length; t++) {
    let best = 0;
    for (let j = 1; j < outputs; j++) if (logits[t * outputs + j] > logits[t * outputs + best]) best = j;
    classes[t] = best;
  }
  return { kind: 'argmax', classes };
};
