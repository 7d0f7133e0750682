/**
 * The lemma method: per-block lemmas composed along the model. Nodes are taken in the order the
 * model computes them; each lemma is evaluated on the stored weights with the error bounds of the
 * node's inputs (from earlier lemmas), and yields the error bound of the node's output. The
 * output node's bound, against the decoding tolerance, closes the argument: on every input within
 * the bounds on which the program has an output, the model decodes to it.
 */
import * as Either from 'fp-ts/lib/Either.js';
import type { SOp } from '../../ast/program.js';
import { isNumberLike, toNumber, type Value } from '../../ast/value.js';
import type { Diagnostic } from '../../diagnostics.js';
import type { CompiledModel, NodeReport, StagePlacement } from '../../model/model.js';
import type { ValueSet } from '../../typecheck/valueSet.js';
import { stagesOf, type SpaceView } from '../../model/view.js';
import { cleanupIsOff, headBound, headLemma } from './attention.js';
import { lemmaContext, type Lemma, type LemmaContext } from './context.js';
import { bosGate, mlpBound, mlpLemma, nodeFunction, padGate, type MlpInput } from './mlp.js';
import { embeddingLemma, structureLemmas } from './structure.js';

/** An MLP stage as the lemma checked it, for the solver to re-examine (not serialized). */
export interface MlpObligation {
  readonly label: string;
  readonly stage: StagePlacement;
  readonly inputs: readonly MlpInput[];
  readonly output: SpaceView;
  readonly outputValues: ValueSet;
  readonly f: (args: Value[]) => Value | undefined;
}

export interface LemmaReport {
  readonly verdict: 'verified' | 'failed';
  readonly lemmas: readonly Lemma[];
  /** Error bound of every s-op (by label) as the lemmas composed them. */
  readonly errors: ReadonlyMap<string, number>;
  readonly obligations: readonly MlpObligation[];
  readonly context: LemmaContext;
  /** Error bound of the decoded output's encoding, and what decoding tolerates. */
  readonly outputError: number;
  readonly outputTolerance: number;
  readonly seconds: number;
}

const fmt = (x: number): string => (Number.isFinite(x) ? x.toExponential(2) : String(x));

/** Lemmas for one node; updates the error and BOS-pollution maps. */
const nodeLemmas = (
  c: LemmaContext,
  report: NodeReport,
  errors: Map<string, number>,
  pollution: Map<string, number>,
  obligations: MlpObligation[],
): Lemma[] => {
  const label = report.label;
  const g = c.byLabel.get(label);
  if (g === undefined) return [];
  const node = g.node as SOp;
  const construction = report.construction;
  if (construction.startsWith('embed')) {
    errors.set(label, 0);
    pollution.set(label, 0);
    return [];
  }
  const inputOf = (l: string): MlpInput => ({ space: c.space(l), values: c.values(l), error: errors.get(l) ?? 0 });
  // what an input holds at BOS when an MLP in `layer` reads it: an aggregate whose head is in the
  // same layer still has its default there (its clean-up runs alongside); otherwise ~0
  const atBos = (labels: readonly string[], layer: number): [SpaceView, Value, number][] =>
    labels.map((l) => {
      const n = c.byLabel.get(l)?.node;
      const head = n?.kind === 'aggregate' ? stagesOf(c.report(l), 'attn')[0] : undefined;
      const raw = head !== undefined && head.layer === layer && n?.kind === 'aggregate' ? n.default : null;
      const value: Value = raw !== null && c.valueSet(l).has(raw) ? raw : null;
      return [c.space(l), value, Math.max(pollution.get(l) ?? 0, value === null ? 0 : (errors.get(l) ?? 0))];
    });

  if (construction.endsWith('-mlp')) {
    const stage = stagesOf(report, 'mlp')[0];
    if (stage === undefined) return [{ node: label, kind: 'mlp', holds: false, statement: 'no MLP stage in the manifest', numbers: {} }];
    // one s-op read twice (f(x, x)) is one input: both reads see the same value
    const childLabels = g.children.map((k) => c.graph.nodes[k]?.label ?? '');
    const distinct = [...new Set(childLabels)];
    const inputs = distinct.map(inputOf);
    const fn = nodeFunction(node);
    const f = (args: Value[]): Value | undefined => fn(childLabels.map((l) => args[distinct.indexOf(l)] as Value));
    obligations.push({ label, stage, inputs, output: c.space(label), outputValues: c.valueSet(label), f });
    const bound = mlpBound(c, stage, inputs, c.space(label), c.valueSet(label), f);
    const entries = atBos(distinct, stage.layer);
    // off at BOS and at every PAD position: the residual there stays BOS-like
    const gate = Math.max(bosGate(c, stage, entries), padGate(c, stage, entries));
    errors.set(label, bound.error);
    pollution.set(label, gate <= 0 ? 0 : Number.POSITIVE_INFINITY);
    const holds = gate <= 0 && Number.isFinite(bound.error);
    return [
      mlpLemma(
        label,
        bound,
        `for all ${bound.combinations} input combinations with input errors up to ${fmt(Math.max(0, ...inputs.map((x) => x.error)))}, the output is within ${fmt(bound.error)} of f(inputs); every unit is off at BOS${c.padded ? ' and PAD' : ''} (largest pre-activation ${fmt(gate)})`,
        holds,
        { bosGate: gate },
      ),
    ];
  }

  const headStage = stagesOf(report, 'attn')[0];
  if (headStage === undefined) return [{ node: label, kind: 'attention', holds: false, statement: 'no attention stage in the manifest', numbers: {} }];
  const cleanup = stagesOf(report, 'mlp', 'bos-cleanup')[0];
  const head = headBound(c, label, headStage, { errors, pollution }, cleanup);
  const lemmas: Lemma[] = [];
  if (construction === 'selector-width') {
    const decoderStage = stagesOf(report, 'mlp', 'selector-width-mlp')[0];
    const headOk = head.gap - 2 * head.scoreError > 0 && head.bosQueryGap > 0;
    const padded = c.padded ? ` (PAD keys included: they lose by at least ${fmt(head.padGap)})` : '';
    lemmas.push(headLemma(label, head, headOk, `BOS and the selected keys beat every other key${padded} by ${fmt(head.gap)} (score error ≤ ${fmt(head.scoreError)}, spread ${fmt(head.spread)}): the BOS weight is 1/(w+1) within ${fmt(head.outputError)}`));
    if (decoderStage === undefined) return [...lemmas, { node: label, kind: 'mlp', holds: false, statement: 'no selector-width decoder in the manifest', numbers: {} }];
    const widths = c.values(label).filter(isNumberLike).map(toNumber);
    const aux = c.view.space(`${label}.attn`) as SpaceView;
    const weights = widths.map((w) => 1 / (w + 1));
    const decode = ([a]: Value[]): Value | undefined => {
      const i = weights.findIndex((x) => Math.abs(x - toNumber(a as number)) < 1e-12);
      return i < 0 ? undefined : (widths[i] as number);
    };
    const decoderInputs = [{ space: aux, values: weights, error: head.outputError }];
    obligations.push({ label, stage: decoderStage, inputs: decoderInputs, output: c.space(label), outputValues: c.valueSet(label), f: decode });
    const bound = mlpBound(c, decoderStage, decoderInputs, c.space(label), c.valueSet(label), decode);
    const gate = Math.max(bosGate(c, decoderStage, [[aux, 1, head.bosPollution]]), padGate(c, decoderStage, [[aux, 1, head.bosPollution]]));
    errors.set(label, bound.error);
    pollution.set(label, gate <= 0 ? 0 : Number.POSITIVE_INFINITY);
    lemmas.push(
      mlpLemma(
        label,
        bound,
        `the width decoder maps every 1/(w+1) within ${fmt(head.outputError)} to w within ${fmt(bound.error)}; off at BOS (largest pre-activation ${fmt(gate)})`,
        gate <= 0 && Number.isFinite(bound.error),
        { bosGate: gate },
      ),
    );
    return lemmas;
  }
  const cleanupOk = cleanup === undefined || cleanupIsOff(c, cleanup);
  const ok = head.gap - 2 * head.scoreError > 0 && head.bosQueryGap > 0 && cleanupOk;
  const padded = c.padded ? `; PAD keys lose by at least ${fmt(head.padGap)}, PAD queries attend to BOS` : '';
  errors.set(label, head.outputError);
  pollution.set(label, head.bosPollution);
  lemmas.push(
    headLemma(
      label,
      head,
      ok,
      `winners beat losers by ${fmt(head.gap)} (score error ≤ ${fmt(head.scoreError)}): at most ${fmt(head.leakage)} of the weight leaks at length ${c.maxLen}, output error ≤ ${fmt(head.outputError)}; the BOS query attends to BOS (gap ${fmt(head.bosQueryGap)})${cleanup ? ', and the clean-up leaves ' + fmt(head.bosPollution) + ' at BOS' : ''}${padded}`,
    ),
  );
  return lemmas;
};

/** The output lemma: the unembedding reads the output directions as logits, and the error is decodable. */
const outputLemma = (c: LemmaContext, error: number): Lemma => {
  const { view } = c;
  const out = view.model.manifest.output;
  const space = c.space(out.label);
  const WU = view.tensor('unembed.W_U').data;
  const width = view.model.config.d_vocab_out;
  let exact = true;
  for (let i = 0; i < view.d; i++) {
    for (let j = 0; j < width; j++) {
      const expected = space.indices[j] === i ? 1 : 0;
      if (Math.abs((WU[i * width + j] as number) - expected) > 1e-7) exact = false;
    }
  }
  const tolerance = out.encoding === 'categorical' ? 0.5 : out.tolerance;
  return {
    node: out.label,
    kind: 'output',
    holds: exact && error < tolerance,
    statement: `the unembedding reads ${out.label}'s directions${exact ? '' : ' (NOT exactly)'}; its error ${fmt(error)} ${error < tolerance ? 'is below' : 'EXCEEDS'} the decoding tolerance ${fmt(tolerance)}`,
    numbers: { outputError: error, tolerance },
  };
};

export const checkLemmas = (compiledProgram: SOp, model: CompiledModel): Either.Either<readonly Diagnostic[], LemmaReport> => {
  const started = performance.now();
  const ctx = lemmaContext(compiledProgram, model);
  if (Either.isLeft(ctx)) return ctx;
  const c = ctx.right;
  const lemmas: Lemma[] = [...structureLemmas(c), embeddingLemma(c)];
  const errors = new Map<string, number>();
  const pollution = new Map<string, number>();
  const obligations: MlpObligation[] = [];
  for (const report of model.manifest.nodes) lemmas.push(...nodeLemmas(c, report, errors, pollution, obligations));
  const outputError = errors.get(model.manifest.output.label) ?? Number.POSITIVE_INFINITY;
  const out = outputLemma(c, outputError);
  lemmas.push(out);
  return Either.right({
    verdict: lemmas.every((l) => l.holds) ? 'verified' : 'failed',
    lemmas,
    errors,
    obligations,
    context: c,
    outputError,
    outputTolerance: out.numbers['tolerance'] as number,
    seconds: (performance.now() - started) / 1000,
  });
};
