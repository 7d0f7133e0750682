/**
 * The main job: every example program through the pipeline (parse → check → interpret its
 * documented examples), with a table on stdout and in out/examples.md. Later stages (compile,
 * verify) join here as they land.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as Either from 'fp-ts/lib/Either.js';
import { readHeader } from '../src/ast/header.js';
import { parseProgram } from '../src/ast/parser/index.js';
import { showValue, valuesClose } from '../src/ast/value.js';
import { formatDiagnostic } from '../src/diagnostics.js';
import { evaluate } from '../src/interpreter/evaluate.js';
import { REGISTRY } from '../src/lib/index.js';
import { makeBounds } from '../src/typecheck/bounds.js';
import { typecheck } from '../src/typecheck/typecheck.js';

interface Row {
  readonly name: string;
  readonly bounds: string;
  readonly nodes: string;
  readonly check: string;
  readonly examples: string;
  readonly ok: boolean;
}

const rowFor = (name: string): Row => {
  const path = `examples/${name}.rasp`;
  const text = readFileSync(path, 'utf8');
  const header = readHeader(text);
  const fail = (check: string): Row => ({ name, bounds: '', nodes: '', check, examples: '', ok: false });
  const program = parseProgram(text, path);
  if (Either.isLeft(program)) return fail(`parse error: ${program.left.map(formatDiagnostic).join('; ')}`);
  if (header.vocab === undefined || header.maxLen === undefined) return fail('no # vocab / # max-len header');
  const bounds = makeBounds(header.vocab, header.maxLen, header.causal ?? false);
  if (Either.isLeft(bounds)) return fail(bounds.left.map(formatDiagnostic).join('; '));
  const typed = typecheck(program.right, bounds.right);
  const boundsText = `{${header.vocab.map(showValue).join(',')}} ≤${header.maxLen}${header.causal ? ' causal' : ''}`;
  if (Either.isLeft(typed)) return { ...fail(`rejected: ${typed.left.map(formatDiagnostic).join('; ')}`), bounds: boundsText };
  const passed = header.examples.filter((ex) => {
    const r = evaluate(program.right, ex.input, { causal: header.causal ?? false });
    return Either.isRight(r) && valuesClose(r.right, ex.output);
  }).length;
  const constructions = new Set([...typed.right.plan.nodes.values()].map((p) => p.construction));
  return {
    name,
    bounds: boundsText,
    nodes: `${typed.right.graph.nodes.length}`,
    check: `compilable (${[...constructions].filter((c) => !c.startsWith('embed')).join(', ')})`,
    examples: `${passed}/${header.examples.length}`,
    ok: passed === header.examples.length,
  };
};

const rows = REGISTRY.map((e) => rowFor(e.name));
const table = [
  '| program | bounds | nodes | check | examples |',
  '|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.name} | ${r.bounds} | ${r.nodes} | ${r.check} | ${r.examples} |`),
].join('\n');
process.stdout.write(`${table}\n\n${rows.filter((r) => r.ok).length}/${rows.length} programs checked and reproduce their documented examples\n`);
mkdirSync('out', { recursive: true });
writeFileSync('out/examples.md', `# Example programs\n\n${table}\n`);
process.exitCode = rows.every((r) => r.ok) ? 0 : 1;
