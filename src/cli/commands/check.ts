import * as Either from 'fp-ts/lib/Either.js';
import pc from 'picocolors';
import { isSelector } from '../../ast/program.js';
import { showValue, valueToJson } from '../../ast/value.js';
import { diagnostic } from '../../diagnostics.js';
import { evaluate, formatEvalError } from '../../interpreter/evaluate.js';
import { checkInput } from '../../typecheck/bounds.js';
import { checkSize, describeEstimate } from '../../typecheck/sizeEstimate.js';
import { typecheck } from '../../passes/compile.js';
import { EXIT } from '../exitCodes.js';
import { loadProgram, parseBounds, parseInput, parseMaxParams } from '../inputs.js';
import { failWith, makeOutput, warn } from '../report.js';

export interface CheckOptions {
  readonly vocab?: string;
  readonly maxLen?: string;
  readonly causal?: boolean;
  readonly json?: boolean;
  readonly input?: string;
  readonly maxParams?: string;
}

/** `raspc check PROG --vocab a,b --max-len N`: encodings, value sets and compilability. */
export const checkCommand = (path: string, options: CheckOptions): number => {
  const out = makeOutput(options.json ?? false);
  const program = loadProgram(path);
  if (Either.isLeft(program)) return failWith(out, program.left);
  const bounds = parseBounds(options.vocab, options.maxLen, options.causal ?? false);
  if (Either.isLeft(bounds)) return failWith(out, bounds.left);
  const maxParams = parseMaxParams(options.maxParams);
  if (Either.isLeft(maxParams)) return failWith(out, maxParams.left);
  const typed = typecheck(program.right, bounds.right);
  if (Either.isLeft(typed)) return failWith(out, typed.left.map((d) => ({ ...d, where: d.where ?? path })));
  const t = typed.right;
  // the same size guard as compile, so check and compile agree
  const estimate = checkSize(t, maxParams.right);
  if (Either.isLeft(estimate)) return failWith(out, estimate.left.map((d) => ({ ...d, where: d.where ?? path })));
  const nodes = t.graph.nodes
    .filter((g) => !isSelector(g.node))
    .map((g) => {
      const set = t.inference.valueSets.get(g.id);
      const plan = t.plan.nodes.get(g.id);
      return {
        label: g.label,
        kind: g.node.kind,
        encoding: (g.node as { encoding: string }).encoding,
        construction: plan?.construction,
        selector: plan?.selector?.kind,
        valueCount: set?.size ?? 0,
        values: (set?.values ?? []).map(valueToJson),
        summary: set?.describe() ?? '',
      };
    });
  let output: unknown;
  if (options.input !== undefined) {
    const input = parseInput(options.input);
    if (Either.isLeft(input)) return failWith(out, input.left);
    const problems = checkInput(input.right, bounds.right);
    if (problems.length > 0) return failWith(out, problems);
    const result = evaluate(program.right, input.right, { causal: bounds.right.causal });
    if (Either.isLeft(result)) {
      return failWith(out, [diagnostic('eval/' + result.left.kind, formatEvalError(result.left), { where: `input position ${result.left.position}` })]);
    }
    output = result.right;
  }
  warn(out, t.warnings);
  out.result({
    ok: true,
    bounds: { vocab: bounds.right.vocab.map(valueToJson), maxLen: bounds.right.maxLen, causal: bounds.right.causal },
    output: t.graph.nodes[t.graph.output]?.label,
    nodes: nodes.map(({ summary: _summary, ...n }) => n),
    warnings: t.warnings,
    estimate: { parameters: estimate.right.parameters, layers: estimate.right.layers, dModel: estimate.right.dModel, mlpWidth: estimate.right.mlpWidth },
    ...(output !== undefined ? { result: (output as Parameters<typeof valueToJson>[0][]).map(valueToJson) } : {}),
  });
  out.info(pc.bold(`${path}: compilable for vocab {${bounds.right.vocab.map(showValue).join(', ')}}, max length ${bounds.right.maxLen}${bounds.right.causal ? ', causal' : ''}`));
  const width = Math.max(...nodes.map((n) => n.label.length), 5);
  for (const n of nodes) {
    const how = n.selector !== undefined ? `${n.construction} (${n.selector})` : n.construction;
    out.info(`  ${n.label.padEnd(width)}  ${n.encoding.padEnd(11)}  ${String(how).padEnd(36)}  ${n.summary}`);
  }
  out.info(`output: ${t.graph.nodes[t.graph.output]?.label}`);
  out.info(`size: ${describeEstimate(estimate.right)} (estimated; limit --max-params ${maxParams.right.toLocaleString('en-US')})`);
  if (output !== undefined) out.info(`on the input: ${(output as Parameters<typeof showValue>[0][]).map(showValue).join(' ')}`);
  return EXIT.ok;
};
