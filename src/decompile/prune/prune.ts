/**
 * Causal pruning (the decompiler paper's stage 1): learn which edges between components
 * (edges.ts) a model's behaviour needs. Each edge has a logit α; a step samples relaxed masks
 * m = σ((α + logistic noise) / τ), runs the masked linearized model (maskedForward.ts) and
 * minimises KL(original model ‖ masked model) at the loss positions + λ · Σ σ(α), learning the
 * ablation constants too. Edges with α > 0 are kept. A sweep over λ gives programs of several
 * sizes; the smallest whose match accuracy (whole-sequence agreement of predictions with the
 * original model on fresh inputs) reaches the threshold is the result.
 */
import * as Either from 'fp-ts/lib/Either.js';
import { diagnostic, type Diagnostic } from '../../diagnostics.js';
import { mulberry32 } from '../../util/random.js';
import { AdamW } from '../../nn/adamw.js';
import { distillationKl } from '../../nn/autodiff/losses.js';
import { expectedCount, relaxedMasks, weightedSum } from '../../nn/autodiff/masks.js';
import { Tape, type Node } from '../../nn/autodiff/tape.js';
import { makeBatch, sequenceTokens, shortestFirst, type Batch } from '../../nn/batch.js';
import { testBatches } from '../../nn/evaluate.js';
import { agreeingSequences, predictionsOf } from '../../nn/predictions.js';
import { lengthsIn, sampleExamples } from '../../tasks/sampling.js';
import type { Example, Task } from '../../tasks/task.js';
import { basisSize } from '../drasp/basis.js';
import { runDrasp, type DraspRun } from '../drasp/interpreter.js';
import type { DraspProgram } from '../drasp/program.js';
import { simplifyProgram, type Simplification } from './simplify.js';
import { reparameterize } from '../reparam/expandPaths.js';
import type { EdgeMask } from '../reparam/reparameterization.js';
import type { LinearizedTransformer } from '../reparam/linearizedTransformer.js';
import { edgeKey, edgesOf, type Edge } from './edges.js';
import { maskedForward, type MaskState } from './maskedForward.js';
import { pathEdgesOf, pathForward, stage2EdgeMask, type PathEdge, type PathMaskState } from './pathForward.js';

export interface PruneSettings {
  readonly lambdas: readonly number[];
  readonly steps: number;
  readonly batchSize: number;
  /** Mask-training input lengths are 0 … this. */
  readonly trainMaxLength: number;
  /** Match accuracy is measured on this many fresh inputs of lengths 0 … evalMaxLength. */
  readonly evalSamples: number;
  readonly evalMaxLength: number;
  readonly threshold: number;
  readonly temperature: number;
  readonly seed: number;
  /** Also learn masks on single paths and select terms (stages 2 and 3) after each stage-1 run. */
  readonly pathStages: boolean;
  /** Fit the linear-LayerNorm constants to the model before pruning (trained GPT-2 models; fitLayerNorm.ts). */
  readonly fitNorms: boolean;
}

export const PRUNE_DEFAULTS: PruneSettings = {
  lambdas: [0.01, 0.03, 0.1, 0.3],
  steps: 150,
  batchSize: 16,
  trainMaxLength: 50,
  evalSamples: 200,
  evalMaxLength: 150,
  threshold: 0.9,
  temperature: 2 / 3,
  seed: 0,
  pathStages: true,
  fitNorms: true,
};

/** The model's logits on a batch: [batch.size · batch.length, outputs]. */
export type ReferenceLogits = (batch: Batch) => Float64Array;

export interface PrunedWiring {
  readonly edges: readonly Edge[];
  readonly kept: readonly boolean[];
  /** Per edge, its ablation constant [d]. */
  readonly constants: readonly Float64Array[];
}

/** Stage-2/3 masks on top of a stage-1 wiring. */
export interface PathWiring {
  readonly stage1: PrunedWiring;
  readonly edges: readonly PathEdge[];
  readonly kept: readonly boolean[];
  readonly constants: readonly Float64Array[];
}

export interface PruneCandidate {
  readonly lambda: number;
  /** 1: component edges only; 3: then single paths and select terms too. */
  readonly stage: 1 | 3;
  readonly wiring: PrunedWiring;
  readonly pathWiring?: PathWiring;
  readonly keptEdges: number;
  readonly program: DraspProgram;
  /** Lines of the program (programLines). */
  readonly lines: number;
  readonly match: number;
}

export interface PruneResult {
  readonly candidates: readonly PruneCandidate[];
  /** The smallest candidate with match ≥ threshold (fewest lines, then most match); none when no λ got there. */
  readonly best: PruneCandidate | undefined;
  /** The best candidate simplified (simplify.ts), its match measured by running it in the D-RASP interpreter. */
  readonly simplified: (Simplification & { readonly lines: number }) | undefined;
  readonly full: PruneCandidate;
}

/** Each variable's mean value over the real positions of `batch`'s sequences. */
export const meanValues = (task: Task, program: DraspProgram, batch: Batch): Map<string, Float64Array> => {
  const sums = new Map<string, Float64Array>();
  let positions = 0;
  for (const run of runOnBatch(task, program, batch, basisSize(program.output.basis)).runs) {
    positions += run.length;
    for (const [name, values] of run.values) {
      const width = values.length / Math.max(run.length, 1);
      const sum = sums.get(name) ?? new Float64Array(width);
      for (let i = 0; i < values.length; i++) sum[i % width] += values[i];
      sums.set(name, sum);
    }
  }
  for (const sum of sums.values()) for (let i = 0; i < sum.length; i++) sum[i] /= Math.max(positions, 1);
  return sums;
};

/** Whole-sequence agreement with the reference on `batches` of the logits `logitsOf` gives. */
const agreement = (task: Task, reference: ReferenceLogits, batches: readonly Batch[], logitsOf: (batch: Batch, width: number) => Float64Array): number => {
  let agree = 0;
  let total = 0;
  for (const batch of batches) {
    const ref = reference(batch);
    const width = ref.length / (batch.size * batch.length);
    agree += agreeingSequences(predictionsOf(task, logitsOf(batch, width), batch, width), predictionsOf(task, ref, batch, width));
    total += batch.size;
  }
  return total === 0 ? 1 : agree / total;
};

/** A pruned program run on each sequence of the batch: its logits in the batch's layout (padding rows 0). */
const runOnBatch = (task: Task, program: DraspProgram, batch: Batch, width: number): { logits: Float64Array; runs: DraspRun[] } => {
  const logits = new Float64Array(batch.size * batch.length * width);
  const runs = Array.from({ length: batch.size }, (_, s) => {
    const run = runDrasp(program, sequenceTokens(batch, s, task.pad));
    if (Either.isLeft(run)) throw new Error(`bug: a pruned program does not run: ${run.left.map((d) => d.message).join('; ')}`);
    logits.set(run.right.logits, s * batch.length * width);
    return run.right;
  });
  return { logits, runs };
};

/** Whole-sequence agreement of a D-RASP program, run in the interpreter, with the reference. */
export const programMatch = (task: Task, program: DraspProgram, reference: ReferenceLogits, batches: readonly Batch[]): number =>
  agreement(task, reference, batches, (batch, width) => runOnBatch(task, program, batch, width).logits);

/** Lines of a D-RASP program: its selectors, its variables other than tok and pos, and its output projections. */
export const programLines = (program: DraspProgram): number =>
  program.statements.filter((s) => s.kind === 'selector' || (s.definition.kind !== 'tokens' && s.definition.kind !== 'positions')).length + program.output.projects.length;

export const edgeMaskOf = (wiring: PrunedWiring): EdgeMask => {
  const index = new Map(wiring.edges.map((e, i) => [edgeKey(e), i]));
  return {
    keeps: (reader, writer) => {
      const i = index.get(`${reader}<-${writer}`);
      return i === undefined || wiring.kept[i];
    },
    replacement: (reader, writer) => {
      const i = index.get(`${reader}<-${writer}`);
      if (i === undefined) throw new Error(`no edge ${reader} <- ${writer}`);
      return wiring.constants[i];
    },
  };
};

const realRowMeans = (x: Node, batch: Batch, pad: number): Float64Array => {
  const d = x.shape[1];
  const mean = new Float64Array(d);
  let n = 0;
  for (let r = 0; r < batch.ids.length; r++) {
    if (batch.ids[r] === pad) continue;
    n++;
    for (let i = 0; i < d; i++) mean[i] += x.value[r * d + i];
  }
  return mean.map((v) => v / Math.max(n, 1));
};

const lossRowsOf = (reference: Float64Array, batch: Batch, width: number): Float64Array => {
  const out = new Float64Array(batch.lossRows.length * width);
  batch.lossRows.forEach((row, i) => out.set(reference.subarray(row * width, (row + 1) * width), i * width));
  return out;
};

/** Whole-sequence agreement of the hard-masked model with the reference on `batches`. */
export const matchAccuracy = (task: Task, model: LinearizedTransformer, reference: ReferenceLogits, batches: readonly Batch[], wiring?: PrunedWiring): number =>
  agreement(task, reference, batches, (batch) => {
    const tape = new Tape();
    const state: MaskState | undefined =
      wiring === undefined
        ? undefined
        : {
            edges: wiring.edges,
            masks: tape.constant(Float64Array.from(wiring.kept, (k) => (k ? 1 : 0)), [wiring.edges.length]),
            constants: wiring.constants.map((c) => tape.constant(c, [c.length])),
          };
    return maskedForward(tape, model, batch, state).logits.value;
  });

interface MaskProblem {
  readonly count: number;
  /** The logits under relaxed masks and the replacement constants. */
  readonly forward: (tape: Tape, batch: Batch, masks: Node, constants: readonly Node[]) => Node;
  /** Each edge's starting replacement constant (the mean of what it replaces). */
  readonly initialConstants: (batch: Batch) => Float64Array[];
}

/**
 * A step's examples as two batches, the shorter half and the longer half: each is padded only to
 * its own longest sequence, which saves a third of the work at the same loss.
 */
const lengthSortedHalves = (task: Task, examples: readonly Example[]): Batch[] => {
  const sorted = shortestFirst(examples);
  const half = Math.ceil(sorted.length / 2);
  return [sorted.slice(0, half), sorted.slice(half)].filter((part) => part.length > 0).map((part) => makeBatch(task, part));
};

/** Learns masks (α > 0: kept) and replacement constants for one λ. */
const trainMasks = (task: Task, reference: ReferenceLogits, lambda: number, settings: PruneSettings, problem: MaskProblem, seedOffset: number): { kept: boolean[]; constants: Float64Array[] } => {
  const random = mulberry32(settings.seed + seedOffset);
  const lengths = lengthsIn(task, 0, settings.trainMaxLength);
  const nextExamples = (): Example[] => sampleExamples(task, random, lengths, settings.batchSize);
  const first = nextExamples();
  const constants = problem.initialConstants(makeBatch(task, first));
  const alpha = new Float64Array(problem.count).fill(3);
  const maskOptimizer = new AdamW({ learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
  const constantOptimizer = new AdamW({ learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
  const noise = new Float64Array(problem.count);
  for (let step = 0; step < settings.steps; step++) {
    const parts = lengthSortedHalves(task, step === 0 ? first : nextExamples());
    for (let i = 0; i < noise.length; i++) {
      const u = Math.min(Math.max(random(), 1e-6), 1 - 1e-6);
      noise[i] = Math.log(u) - Math.log(1 - u);
    }
    const tape = new Tape();
    const alphaNode = tape.param(alpha, [problem.count]);
    const constantNodes = constants.map((c) => tape.param(c, [c.length]));
    const masks = relaxedMasks(tape, alphaNode, noise, settings.temperature);
    const lossRows = parts.reduce((sum, batch) => sum + batch.lossRows.length, 0);
    const kls = parts.map((batch) => {
      const ref = reference(batch);
      const target = lossRowsOf(ref, batch, ref.length / (batch.size * batch.length));
      const logits = problem.forward(tape, batch, masks, constantNodes);
      return distillationKl(tape, logits, batch.lossRows, target, task.kind === 'seq2seq' ? 'argmax' : 'sigmoid');
    });
    // Each part's KL is a mean over its loss rows: weighted by them, the sum is the mean over all.
    const weights = parts.map((batch) => batch.lossRows.length / Math.max(lossRows, 1));
    const loss = weightedSum(tape, [...kls, expectedCount(tape, alphaNode)], [...weights, lambda]);
    tape.backward(loss);
    maskOptimizer.update(new Map([[alpha, alphaNode.grad ?? new Float64Array(alpha.length)]]), 0.1, () => false);
    const constantGrads = new Map<Float64Array, Float64Array>();
    constantNodes.forEach((n, i) => {
      if (n.grad !== undefined) constantGrads.set(constants[i], n.grad);
    });
    constantOptimizer.update(constantGrads, 0.01, () => false);
  }
  return { kept: Array.from(alpha, (a) => a > 0), constants };
};

/** Stage 1: masks on the edges between components. */
const trainWiring = (task: Task, model: LinearizedTransformer, reference: ReferenceLogits, lambda: number, settings: PruneSettings): PrunedWiring => {
  const edges = edgesOf(model);
  const learned = trainMasks(task, reference, lambda, settings, {
    count: edges.length,
    forward: (tape, batch, masks, constants) => maskedForward(tape, model, batch, { edges, masks, constants }).logits,
    initialConstants: (batch) => {
      const unpruned = maskedForward(new Tape(), model, batch);
      return edges.map((e) => realRowMeans(unpruned.writers.get(e.writer) as Node, batch, task.pad));
    },
  }, 17);
  return { edges, ...learned };
};

/** Stages 2 and 3, on top of a stage-1 wiring: masks on single paths and single select terms. */
const trainPaths = (task: Task, model: LinearizedTransformer, reference: ReferenceLogits, lambda: number, settings: PruneSettings, stage1: PrunedWiring): PathWiring => {
  const edges = pathEdgesOf(model, stage1);
  const learned = trainMasks(task, reference, lambda, settings, {
    count: edges.length,
    forward: (tape, batch, masks, constants) => pathForward(tape, model, batch, stage1, { edges, masks, constants, hard: false }).logits,
    initialConstants: (batch) => {
      const unpruned = pathForward(new Tape(), model, batch, stage1);
      return edges.map((e) => (e.kind === 'path' ? realRowMeans(unpruned.paths.get(e.variable) as Node, batch, task.pad) : new Float64Array(model.d)));
    },
  }, 29);
  return { stage1, edges, ...learned };
};

const hardPathState = (tape: Tape, wiring: PathWiring): PathMaskState => ({
  edges: wiring.edges,
  masks: tape.constant(Float64Array.from(wiring.kept, (k) => (k ? 1 : 0)), [wiring.edges.length]),
  constants: wiring.constants.map((c) => tape.constant(c, [c.length])),
  hard: true,
});

/** Whole-sequence agreement of the hard stage-2/3 pruned model with the reference. */
export const pathMatchAccuracy = (task: Task, model: LinearizedTransformer, reference: ReferenceLogits, batches: readonly Batch[], wiring: PathWiring): number =>
  agreement(task, reference, batches, (batch) => {
    const tape = new Tape();
    return pathForward(tape, model, batch, wiring.stage1, hardPathState(tape, wiring)).logits.value;
  });

const candidateOf = (task: Task, model: LinearizedTransformer, reference: ReferenceLogits, batches: readonly Batch[], lambda: number, wiring: PrunedWiring): Either.Either<Diagnostic[], PruneCandidate> => {
  const reparam = reparameterize(model, { edges: edgeMaskOf(wiring) });
  if (Either.isLeft(reparam)) return reparam;
  return Either.right({
    lambda,
    stage: 1,
    wiring,
    keptEdges: wiring.kept.filter(Boolean).length,
    program: reparam.right.program,
    lines: programLines(reparam.right.program),
    match: matchAccuracy(task, model, reference, batches, wiring),
  });
};

const pathCandidateOf = (task: Task, model: LinearizedTransformer, reference: ReferenceLogits, batches: readonly Batch[], lambda: number, wiring: PathWiring): Either.Either<Diagnostic[], PruneCandidate> => {
  const reparam = reparameterize(model, { edges: stage2EdgeMask(wiring.stage1, wiring.edges, wiring.kept, wiring.constants) });
  if (Either.isLeft(reparam)) return reparam;
  return Either.right({
    lambda,
    stage: 3,
    wiring: wiring.stage1,
    pathWiring: wiring,
    keptEdges: wiring.stage1.kept.filter(Boolean).length,
    program: reparam.right.program,
    lines: programLines(reparam.right.program),
    match: pathMatchAccuracy(task, model, reference, batches, wiring),
  });
};

/** Prunes `model` (the linearized form of the model whose logits `reference` gives) for each λ. */
export const pruneModel = (
  task: Task,
  model: LinearizedTransformer,
  referenceOf: ReferenceLogits,
  settings: PruneSettings,
  onCandidate?: (candidate: PruneCandidate) => void,
): Either.Either<Diagnostic[], PruneResult> => {
  if (!model.causal) return Either.left([diagnostic('prune/not-causal', 'causal pruning supports causal (decoder) models only', { fix: 'compile with --causal' })]);
  // The reference logits of the fixed evaluation batches are needed by every candidate: compute them once.
  const computed = new WeakMap<Batch, Float64Array>();
  const reference: ReferenceLogits = (batch) => {
    const found = computed.get(batch);
    if (found !== undefined) return found;
    const logits = referenceOf(batch);
    computed.set(batch, logits);
    return logits;
  };
  const unsupported = model.blocks.find((b) => b.activationName !== 'relu' && b.activationName !== 'gelu_new');
  if (unsupported !== undefined) return Either.left([diagnostic('prune/activation', `pruning supports relu and gelu_new MLPs, not ${unsupported.activationName}`)]);
  const evalBins = { low: 0, high: settings.evalMaxLength };
  // The match inputs batched by length (faster, same agreement); means and MLP-primitive samples from the first batches as drawn.
  const batches = testBatches(task, evalBins, settings.evalSamples, settings.seed + 101, 16, true);
  const drawn = testBatches(task, evalBins, settings.evalSamples, settings.seed + 101, 16);
  const edges = edgesOf(model);
  const full = candidateOf(task, model, reference, batches, 0, { edges, kept: edges.map(() => true), constants: edges.map(() => new Float64Array(model.d)) });
  if (Either.isLeft(full)) return full;
  const candidates: PruneCandidate[] = [];
  for (const lambda of settings.lambdas) {
    const wiring = trainWiring(task, model, reference, lambda, settings);
    const candidate = candidateOf(task, model, reference, batches, lambda, wiring);
    if (Either.isLeft(candidate)) return candidate;
    candidates.push(candidate.right);
    onCandidate?.(candidate.right);
    if (!settings.pathStages) continue;
    const refined = pathCandidateOf(task, model, reference, batches, lambda, trainPaths(task, model, reference, lambda, settings, wiring));
    if (Either.isLeft(refined)) return refined;
    candidates.push(refined.right);
    onCandidate?.(refined.right);
  }
  const passing = candidates.filter((c) => c.match >= settings.threshold).sort((a, b) => a.lines - b.lines || b.match - a.match);
  const best = passing[0];
  const simplified =
    best === undefined
      ? undefined
      : simplifyProgram(
          best.program,
          (p) => programMatch(task, p, reference, batches),
          meanValues(task, best.program, drawn[0]),
          settings.threshold,
          task.bos,
          (p) => drawn.slice(0, 2).flatMap((batch) => runOnBatch(task, p, batch, basisSize(p.output.basis)).runs),
        );
  return Either.right({ candidates, best, simplified: simplified === undefined ? undefined : { ...simplified, lines: programLines(simplified.program) }, full: full.right });
};
