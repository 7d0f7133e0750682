/**
 * Assembly: craft blocks + layer allocation → concrete tensors, a deterministic residual layout
 * and the manifest. Same lowered program and allocation → byte-identical tensors.
 */
import * as Either from 'fp-ts/lib/Either.js';
import { encodeProgram } from '../ast/codec.js';
import { programHash } from '../ast/programHash.js';
import type { Encoding, SOp } from '../ast/program.js';
import { isNumberLike, toNumber, valueToJson, type Value } from '../ast/value.js';
import { BOS, bosDirection, ONE, oneDirection, PAD, padDirection, type Direction } from '../craft/basis.js';
import type { HeadBlock, Unit } from '../craft/blocks.js';
import { encode, type SopSpace } from '../craft/sopSpace.js';
import type { Diagnostic } from '../diagnostics.js';
import {
  BOS_ID,
  expectedShape,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  PAD_ID,
  parameterCount,
  tensorNames,
  type CompiledModel,
  type Manifest,
  type ModelConfig,
  type NodeReport,
  type StagePlacement,
  type Tensor32,
  UNVERIFIED,
} from '../model/model.js';
import type { Allocation } from './allocate.js';
import type { LoweredNode, LoweredProgram } from './lower.js';

const zeros = (shape: readonly number[]): Tensor32 => ({ shape, data: new Float32Array(shape.reduce((p, d) => p * d, 1)) });

interface Factored {
  /** Rows of the residual read by the query (or value) side, with per-column weights. */
  readonly left: (readonly [number, number, number])[];
  readonly right: (readonly [number, number, number])[];
  readonly width: number;
}

/**
 * Factors a sparse bilinear form W (left dir × right dir) as L Rᵀ with inner width
 * min(#left dirs, #right dirs): the smaller side is an identity selection.
 */
const factor = (entries: readonly (readonly [string, string, number])[], index: (key: string) => number): Factored => {
  const lefts = [...new Set(entries.map(([a]) => a))];
  const rights = [...new Set(entries.map(([, b]) => b))];
  if (lefts.length <= rights.length) {
    return {
      left: lefts.map((d, i) => [index(d), i, 1] as const),
      right: entries.map(([a, b, w]) => [index(b), lefts.indexOf(a), w] as const),
      width: lefts.length,
    };
  }
  return {
    left: entries.map(([a, b, w]) => [index(a), rights.indexOf(b), w] as const),
    right: rights.map((d, i) => [index(d), i, 1] as const),
    width: rights.length,
  };
};

/** Inner width of a bilinear form's factorisation: min(#left directions, #right directions). */
const factorWidth = (entries: readonly (readonly [string, string, number])[]): number =>
  Math.min(new Set(entries.map(([a]) => a)).size, new Set(entries.map(([, b]) => b)).size);

/**
 * The residual's own directions: `one`, `bos`, and in bidirectional models `pad` (PAD keys are
 * masked inside the weights; causal models never let a real query see a right-padded key).
 */
const baseDirections = (causal: boolean): Direction[] => (causal ? [oneDirection, bosDirection] : [oneDirection, bosDirection, padDirection]);

/**
 * The model's dimensions without building any tensor (what assembly would produce): used to
 * compare compilation variants cheaply.
 */
export const modelSize = (lowered: LoweredProgram, allocation: Allocation): { config: ModelConfig; parameters: number } => {
  const t = lowered.typed;
  const layers = allocation.report.layers;
  let d = baseDirections(t.bounds.causal).length + lowered.auxiliary.length;
  for (const n of lowered.nodes) d += (lowered.spaces.get(n.id) as SopSpace).directions.length;
  const heads = new Array<number>(layers).fill(0);
  const units = new Array<number>(layers).fill(0);
  let dHead = 1;
  for (const n of lowered.nodes) {
    const first = allocation.firstStage.get(n.id) as number;
    n.stages.forEach((st, k) => {
      const layer = Math.floor((first + k) / 2);
      if (st.sublayer === 'attn') {
        heads[layer] = (heads[layer] as number) + st.heads.length;
        for (const h of st.heads) dHead = Math.max(dHead, factorWidth(h.qk), factorWidth(h.ov));
      } else units[layer] = (units[layer] as number) + st.mlps.reduce((x, m) => x + m.units.length, 0);
    });
  }
  const config: ModelConfig = {
    format: MODEL_FORMAT,
    version: MODEL_FORMAT_VERSION,
    n_layers: layers,
    d_model: d,
    n_heads: Math.max(1, ...heads),
    d_head: dHead,
    d_mlp: Math.max(1, ...units),
    d_vocab: t.bounds.vocab.length + 2,
    d_vocab_out: (lowered.spaces.get(lowered.output) as SopSpace).directions.length,
    n_ctx: t.bounds.maxLen + 1,
    act_fn: 'relu',
    normalization_type: null,
    attn_scale: 1,
    causal: t.bounds.causal,
  };
  return { config, parameters: parameterCount(config) };
};

export interface AssemblyInput {
  readonly lowered: LoweredProgram;
  readonly allocation: Allocation;
  readonly declaredEncoding: (id: number) => Encoding;
  readonly notes: readonly string[];
  /** Hash of the source program (before the compiler's rewrites). */
  readonly sourceHash?: string;
}

/** The program as compiled (after rewrites), when it can be serialized. */
const compiledProgramJson = (program: SOp): { compiled?: unknown } => {
  const json = encodeProgram(program);
  return Either.isRight(json) ? { compiled: json.right } : {};
};

export const assemble = (input: AssemblyInput): Either.Either<readonly Diagnostic[], CompiledModel> => {
  const { lowered, allocation } = input;
  const t = lowered.typed;
  const bounds = t.bounds;

  // --- residual layout: one, bos, (pad), then every s-op's directions (and auxiliaries) in graph order
  const directions: Direction[] = baseDirections(bounds.causal);
  for (const n of lowered.nodes) {
    directions.push(...(lowered.spaces.get(n.id) as SopSpace).directions);
    const aux = `${n.label}.attn`;
    if (lowered.auxiliary.includes(aux)) directions.push({ key: aux, name: aux, label: aux });
  }
  const indexOf = new Map(directions.map((d, i) => [d.key, i]));
  const index = (key: string): number => {
    const i = indexOf.get(key);
    if (i === undefined) throw new Error(`bug: direction ${key} not in the residual layout`);
    return i;
  };
  const d = directions.length;

  // --- what each layer holds
  const layers = allocation.report.layers;
  const headsAt: { node: LoweredNode; head: HeadBlock }[][] = Array.from({ length: layers }, () => []);
  const unitsAt: Unit[][] = Array.from({ length: layers }, () => []);
  const placements = new Map<number, StagePlacement[]>();
  for (const n of lowered.nodes) {
    const first = allocation.firstStage.get(n.id) as number;
    const mine: StagePlacement[] = [];
    n.stages.forEach((st, k) => {
      const sub = first + k;
      const layer = Math.floor(sub / 2);
      if (st.sublayer === 'attn') {
        for (const h of st.heads) {
          const list = headsAt[layer] as { node: LoweredNode; head: HeadBlock }[];
          mine.push({ sublayer: 'attn', layer, role: h.role, head: list.length });
          list.push({ node: n, head: h });
        }
      } else {
        for (const m of st.mlps) {
          const list = unitsAt[layer] as Unit[];
          mine.push({ sublayer: 'mlp', layer, role: m.role, units: [list.length, list.length + m.units.length] });
          list.push(...m.units);
        }
      }
    });
    placements.set(n.id, mine);
  }
  const qkFactors = headsAt.map((hs) => hs.map(({ head }) => factor(head.qk, index)));
  const ovFactors = headsAt.map((hs) => hs.map(({ head }) => factor(head.ov, index)));
  const dHead = Math.max(1, ...qkFactors.flat().map((f) => f.width), ...ovFactors.flat().map((f) => f.width));
  const nHeads = Math.max(1, ...headsAt.map((hs) => hs.length));
  const dMlp = Math.max(1, ...unitsAt.map((us) => us.length));

  const outSpace = lowered.spaces.get(lowered.output) as SopSpace;
  const config: ModelConfig = {
    format: MODEL_FORMAT,
    version: MODEL_FORMAT_VERSION,
    n_layers: layers,
    d_model: d,
    n_heads: nHeads,
    d_head: dHead,
    d_mlp: dMlp,
    d_vocab: bounds.vocab.length + 2,
    d_vocab_out: outSpace.directions.length,
    n_ctx: bounds.maxLen + 1,
    act_fn: 'relu',
    normalization_type: null,
    attn_scale: 1,
    causal: bounds.causal,
  };
  const tensors = new Map<string, Tensor32>(tensorNames(layers).map((name) => [name, zeros(expectedShape(config, name))]));
  const T = (name: string): Float32Array => (tensors.get(name) as Tensor32).data;

  // --- embeddings
  const WE = T('embed.W_E');
  WE[BOS_ID * d + index(ONE)] = 1;
  WE[BOS_ID * d + index(BOS)] = 1;
  // PAD is a copy of BOS that carries `pad` (every head scores it far below BOS): MLPs are off
  // and heads attend to BOS there, exactly as at BOS. Causal models leave the row zero.
  if (!bounds.causal) for (const dir of [ONE, BOS, PAD]) WE[PAD_ID * d + index(dir)] = 1;
  const embedNodes = lowered.nodes.filter((n) => n.stages.length === 0);
  bounds.vocab.forEach((token, i) => {
    const row = (2 + i) * d;
    WE[row + index(ONE)] = 1;
    for (const n of embedNodes) {
      const node = t.graph.nodes[n.id]?.node as SOp;
      const space = lowered.spaces.get(n.id) as SopSpace;
      const value: Value | undefined = node.kind === 'tokens' ? token : node.kind === 'full' ? node.value : undefined;
      if (value === undefined) continue;
      for (const [dir, w] of encode(space, value)) WE[row + index(dir)] = w;
    }
  });
  const WP = T('pos_embed.W_pos');
  for (let p = 1; p <= bounds.maxLen; p++) {
    for (const n of embedNodes) {
      if (t.graph.nodes[n.id]?.node.kind !== 'indices') continue;
      for (const [dir, w] of encode(lowered.spaces.get(n.id) as SopSpace, p - 1)) WP[p * d + index(dir)] = w;
    }
  }

  // --- attention and MLP weights
  for (let l = 0; l < layers; l++) {
    const WQ = T(`blocks.${l}.attn.W_Q`);
    const WK = T(`blocks.${l}.attn.W_K`);
    const WV = T(`blocks.${l}.attn.W_V`);
    const WO = T(`blocks.${l}.attn.W_O`);
    (headsAt[l] as unknown[]).forEach((_, h) => {
      const qk = (qkFactors[l] as Factored[])[h] as Factored;
      const ov = (ovFactors[l] as Factored[])[h] as Factored;
      for (const [row, col, w] of qk.left) WQ[(h * d + row) * dHead + col] += w;
      for (const [row, col, w] of qk.right) WK[(h * d + row) * dHead + col] += w;
      for (const [row, col, w] of ov.left) WV[(h * d + row) * dHead + col] += w;
      // W_O[h][col][row]: the value side's right factor maps head dims to output directions
      for (const [row, col, w] of ov.right) WO[(h * dHead + col) * d + row] += w;
    });
    const Win = T(`blocks.${l}.mlp.W_in`);
    const Wout = T(`blocks.${l}.mlp.W_out`);
    (unitsAt[l] as Unit[]).forEach((u, j) => {
      for (const [dir, w] of u.input) Win[index(dir) * dMlp + j] += w;
      for (const [dir, w] of u.output) Wout[j * d + index(dir)] += w;
    });
  }
  const WU = T('unembed.W_U');
  outSpace.directions.forEach((dir, j) => {
    WU[index(dir.key) * config.d_vocab_out + j] = 1;
  });

  // --- manifest
  const nodes: NodeReport[] = lowered.nodes.map((n) => {
    const first = allocation.firstStage.get(n.id) as number;
    const plan = t.plan.nodes.get(n.id);
    const margins: Record<string, number> = { error: n.error };
    if (Number.isFinite(n.required)) margins['required'] = n.required;
    if (n.head !== undefined) Object.assign(margins, n.head);
    for (const [k, v] of Object.entries(n.tolerance ?? {})) if (Number.isFinite(v)) margins[`tolerance:${k}`] = v;
    return {
      label: n.label,
      kind: t.graph.nodes[n.id]?.node.kind ?? '',
      construction: n.construction,
      declaredEncoding: input.declaredEncoding(n.id),
      representation: plan?.representation,
      layer: first < 0 ? -1 : Math.floor(first / 2),
      sublayer: first < 0 ? 'embed' : first % 2 === 0 ? 'attn' : 'mlp',
      reads: n.reads.map((r) => t.graph.nodes[r]?.label ?? ''),
      stages: placements.get(n.id) ?? [],
      values: t.inference.valueSets.get(n.id)?.size ?? 0,
      margins,
    };
  });
  const outputNumbers = outSpace.values.filter(isNumberLike).map(toNumber).sort((a, b) => a - b);
  let minGap = Number.POSITIVE_INFINITY;
  for (let i = 1; i < outputNumbers.length; i++) minGap = Math.min(minGap, (outputNumbers[i] as number) - (outputNumbers[i - 1] as number));
  const manifest: Manifest = {
    format: MODEL_FORMAT,
    version: MODEL_FORMAT_VERSION,
    program: {
      hash: input.sourceHash ?? programHash(t.program),
      output: t.graph.nodes[t.graph.output]?.label ?? '',
      ...compiledProgramJson(t.program),
    },
    bounds: { vocab: bounds.vocab, maxLen: bounds.maxLen, causal: bounds.causal },
    tokens: [
      { id: BOS_ID, token: '<bos>' },
      { id: PAD_ID, token: '<pad>' },
      ...bounds.vocab.map((token, i) => ({ id: i + 2, token })),
    ],
    residual: directions.map((dir) => ({ name: dir.name, label: dir.label, ...(dir.value !== undefined ? { value: valueToJson(dir.value) } : {}) })),
    output: {
      label: outSpace.label,
      encoding: outSpace.representation,
      values: outSpace.values,
      tolerance: outSpace.representation === 'categorical' ? 0.5 : Number.isFinite(minGap) ? minGap / 2 : 0.5,
    },
    nodes,
    allocation: allocation.report,
    parameters: parameterCount(config),
    notes: input.notes,
    certification: UNVERIFIED,
  };
  return Either.right({ config, manifest, tensors });
};
