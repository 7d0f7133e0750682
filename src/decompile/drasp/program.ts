/**
 * D-RASP ("Discovering Interpretable Algorithms by Decompiling Transformers to RASP", Huang et al.
 * 2026): programs whose variables are real vectors over a named basis at each position.
 *
 *   tok = tokens                                  one-hot over the token basis
 *   pos = positions                               one-hot over the position basis
 *   s   = select(q=X, k=Y, op=M) + select(k=Y, op=w) + …
 *                                                 score(i, j) = Σ X_iᵀ M Y_j + Σ wᵀ Y_j
 *   a   = aggregate(s, v=X[, op=O])               softmax over the allowed keys of the scores,
 *                                                 the weighted average of X (then · O)
 *   m   = f(X, Y, …)                              an elementwise op: at each position a function
 *                                                 of the inputs' vectors there
 *   logits = project(inp=X, op=P) + … + bias      Σ X_i P + bias at each position
 *   prediction = argmax(logits) | sigmoid(logits) > 1/2
 *
 * Keys are the positions 0..i (causal) or all positions, less those holding a masked token
 * (padding). Statements are in dependency order: each reads only names defined before it.
 */
import * as Either from 'fp-ts/lib/Either.js';
import { diagnostic, type Diagnostic } from '../../diagnostics.js';
import { basisSize, type Basis } from './basis.js';
import type { Matrix } from './matrix.js';

/** One summand of a selector's scores; `primitive` names the matrix when it is a named pattern (printed instead of the matrix). */
export type SelectTerm =
  /** score(i, j) += X_iᵀ M Y_j; `op` is dim(X) × dim(Y). */
  | { readonly kind: 'select'; readonly query: string; readonly key: string; readonly op: Matrix; readonly primitive?: string }
  /** score(i, j) += wᵀ Y_j (the same for every query); `op` has dim(Y) entries. */
  | { readonly kind: 'keySelect'; readonly key: string; readonly op: Float64Array; readonly primitive?: string };

export interface SelectorStatement {
  readonly kind: 'selector';
  readonly name: string;
  /** Summed; no terms means every allowed key scores 0 (a uniform average). */
  readonly terms: readonly SelectTerm[];
  /** Shown by the printer (e.g. the head it comes from). */
  readonly comment?: string;
}

/** Primitive elementwise functions: `sum` and `product` of same-sized inputs; the rest unary. */
export const ELEMENTWISE_PRIMITIVES = ['sum', 'product', 'relu', 'sigmoid', 'step'] as const;
export type ElementwisePrimitive = (typeof ELEMENTWISE_PRIMITIVES)[number];

export type ElementwiseFunction =
  | { readonly kind: 'primitive'; readonly name: ElementwisePrimitive }
  /**
   * Any function of the inputs' vectors at one position (an MLP, a lookup table): writes the
   * output vector (zeroed before the call) from the inputs.
   */
  | {
      readonly kind: 'opaque';
      readonly name: string;
      readonly description: string;
      readonly apply: (inputs: readonly Float64Array[], output: Float64Array) => void;
    };

export type Definition =
  | { readonly kind: 'tokens' }
  | { readonly kind: 'positions' }
  /** The selector's weighted average of `value`, times `output` (dim(value) × dim(result)) when given. */
  | { readonly kind: 'aggregate'; readonly selector: string; readonly value: string; readonly output?: Matrix }
  | { readonly kind: 'elementwise'; readonly inputs: readonly string[]; readonly fn: ElementwiseFunction };

export interface VariableStatement {
  readonly kind: 'variable';
  readonly name: string;
  readonly basis: Basis;
  readonly definition: Definition;
  readonly comment?: string;
}

export type Statement = VariableStatement | SelectorStatement;

/** logits += input · op, op dim(input) × dim(logits). */
export interface ProjectLine {
  readonly input: string;
  readonly op: Matrix;
}

export type Prediction = 'argmax' | 'sigmoid';

export interface DraspOutput {
  /** The logits' basis (one dimension per output class or label). */
  readonly basis: Basis;
  readonly projects: readonly ProjectLine[];
  /** The constant logits. */
  readonly bias: Float64Array;
  /** argmax: one class per position; sigmoid: each label on when its logit is positive. */
  readonly prediction: Prediction;
}

export interface DraspProgram {
  readonly statements: readonly Statement[];
  readonly output: DraspOutput;
  /** Keys are the positions up to the query's (true) or all positions (false). */
  readonly causal: boolean;
  /** Token ids whose positions are never keys (padding). */
  readonly maskedKeyTokens: readonly number[];
}

const problem = (message: string, where: string): Diagnostic => diagnostic('drasp/ill-formed', message, { where });

const shape = (m: Matrix): string => `${m.rows}×${m.cols}`;

/**
 * The program when it is well-formed: names unique and defined before use, selectors referenced
 * only by aggregates, and every matrix shaped by the bases it connects. Left with one diagnostic
 * per problem.
 */
export const checkProgram = (program: DraspProgram): Either.Either<Diagnostic[], DraspProgram> => {
  const problems: Diagnostic[] = [];
  const variables = new Map<string, VariableStatement>();
  const selectors = new Set<string>();
  const variable = (name: string, where: string): VariableStatement | undefined => {
    const found = variables.get(name);
    if (found === undefined) {
      problems.push(
        problem(selectors.has(name) ? `${JSON.stringify(name)} is a selector, used as a variable` : `${JSON.stringify(name)} is used before it is defined`, where),
      );
    }
    return found;
  };
  const sizeOf = (v: VariableStatement): number => basisSize(v.basis);

  for (const statement of program.statements) {
    const where = statement.name;
    if (variables.has(statement.name) || selectors.has(statement.name)) problems.push(problem(`${JSON.stringify(statement.name)} is defined twice`, where));
    if (statement.kind === 'selector') {
      for (const term of statement.terms) {
        const key = variable(term.key, where);
        if (term.kind === 'select') {
          const query = variable(term.query, where);
          if (query !== undefined && key !== undefined && (term.op.rows !== sizeOf(query) || term.op.cols !== sizeOf(key))) {
            problems.push(problem(`select(q=${term.query}, k=${term.key}) has a ${shape(term.op)} matrix; the bases need ${sizeOf(query)}×${sizeOf(key)}`, where));
          }
        } else if (key !== undefined && term.op.length !== sizeOf(key)) {
          problems.push(problem(`select(k=${term.key}) has ${term.op.length} weights; ${term.key}'s basis has ${sizeOf(key)} dims`, where));
        }
      }
      selectors.add(statement.name);
      continue;
    }
    const size = basisSize(statement.basis);
    const definition = statement.definition;
    switch (definition.kind) {
      case 'tokens':
        if (statement.basis.kind !== 'token') problems.push(problem('tokens must have a token basis', where));
        break;
      case 'positions':
        if (statement.basis.kind !== 'position') problems.push(problem('positions must have a position basis', where));
        break;
      case 'aggregate': {
        if (!selectors.has(definition.selector)) problems.push(problem(`aggregate reads ${JSON.stringify(definition.selector)}, which is not a selector defined before it`, where));
        const value = variable(definition.value, where);
        if (value === undefined) break;
        const output = definition.output;
        if (output === undefined && sizeOf(value) !== size) {
          problems.push(problem(`aggregate of ${definition.value} (${sizeOf(value)} dims) without an output matrix must have ${sizeOf(value)} dims, not ${size}`, where));
        }
        if (output !== undefined && (output.rows !== sizeOf(value) || output.cols !== size)) {
          problems.push(problem(`aggregate's output matrix is ${shape(output)}; the bases need ${sizeOf(value)}×${size}`, where));
        }
        break;
      }
      case 'elementwise': {
        const inputs = definition.inputs.map((name) => variable(name, where));
        const fn = definition.fn;
        if (fn.kind === 'opaque') break;
        const unary = fn.name !== 'sum' && fn.name !== 'product';
        if (definition.inputs.length === 0 || (unary && definition.inputs.length !== 1)) {
          problems.push(problem(`${fn.name} takes ${unary ? 'one input' : 'one or more inputs'}, not ${definition.inputs.length}`, where));
        }
        inputs.forEach((input, i) => {
          if (input !== undefined && sizeOf(input) !== size) {
            problems.push(problem(`${fn.name}'s input ${definition.inputs[i]} has ${sizeOf(input)} dims, the result ${size}`, where));
          }
        });
        break;
      }
    }
    variables.set(statement.name, statement);
  }

  const outputSize = basisSize(program.output.basis);
  for (const line of program.output.projects) {
    const input = variable(line.input, 'logits');
    if (input !== undefined && (line.op.rows !== sizeOf(input) || line.op.cols !== outputSize)) {
      problems.push(problem(`project(inp=${line.input}) has a ${shape(line.op)} matrix; the bases need ${sizeOf(input)}×${outputSize}`, 'logits'));
    }
  }
  if (program.output.bias.length !== outputSize) problems.push(problem(`the logits' bias has ${program.output.bias.length} entries, not ${outputSize}`, 'logits'));
  for (const id of program.maskedKeyTokens) {
    if (!Number.isSafeInteger(id) || id < 0) problems.push(problem(`masked key token ${id} is not a token id`, 'maskedKeyTokens'));
  }
  return problems.length > 0 ? Either.left(problems) : Either.right(program);
};

export const variableStatements = (program: DraspProgram): VariableStatement[] =>
  program.statements.filter((s): s is VariableStatement => s.kind === 'variable');

export const selectorStatements = (program: DraspProgram): SelectorStatement[] =>
  program.statements.filter((s): s is SelectorStatement => s.kind === 'selector');
