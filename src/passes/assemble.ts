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

/** Attention heads and MLP units of every layer, and where each node's stages sit. */
interface LayerContents {
  readonly headsAt: readonly (readonly { node: LoweredNode; head: HeadBlock }[])[];
  readonly unitsAt: readonly (readonly Unit[])[];
  readonly placements: ReadonlyMap<number, readonly StagePlacement[]>;
}

/** The residual layout: one, bos, (pad), then every s-op's directions (and auxiliaries) in graph order. */
interface ResidualLayout {
  readonly directions: readonly Direction[];
  readonly index: (key: string) => number;
}

const firstStageOf = (allocation: Allocation, n: LoweredNode): number => {
  const first = allocation.firstStage.get(n.id);
  if (first === undefined) throw new Error(`bug: ${n.label} has no allocated stage`);
  return first;
};

const spaceOf = (lowered: LoweredProgram, id: number): SopSpace => {
  const space = lowered.spaces.get(id);
  if (space === undefined) throw new Error(`bug: node ${id} has no s-op space`);
  return space;
};

/**
 * The model's configuration, built here once: assembly and the cost of a variant
 * (`modelSize`, which builds no tensor) both read it.
 */
export const modelConfig = (lowered: LoweredProgram, allocation: Allocation): ModelConfig => {
  const t = lowered.typed;
  const layers = allocation.report.layers;
  let d = baseDirections(t.bounds.causal).length + lowered.auxiliary.length;
  for (const n of lowered.nodes) d += spaceOf(lowered, n.id).directions.length;
  const heads = new Array<number>(layers).fill(0);
  const units = new Array<number>(layers).fill(0);
  let dHead = 1;
  for (const n of lowered.nodes) {
    const first = firstStageOf(allocation, n);
    n.stages.forEach((st, k) => {
      const layer = Math.floor((first + k) / 2);
      if (st.sublayer === 'attn') {
        heads[layer] = (heads[layer] ?? 0) + st.heads.length;
        for (const h of st.heads) dHead = Math.max(dHead, factorWidth(h.qk), factorWidth(h.ov));
      } else units[layer] = (units[layer] ?? 0) + st.mlps.reduce((x, m) => x + m.units.length, 0);
    });
  }
  return {
    format: MODEL_FORMAT,
    version: MODEL_FORMAT_VERSION,
    n_layers: layers,
    d_model: d,
    n_heads: Math.max(1, ...heads),
    d_head: dHead,
    d_mlp: Math.max(1, ...units),
    d_vocab: t.bounds.vocab.length + 2,
    d_vocab_out: spaceOf(lowered, lowered.output).directions.length,
    n_ctx: t.bounds.maxLen + 1,
    act_fn: 'relu',
    normalization_type: null,
    attn_scale: 1,
    causal: t.bounds.causal,
  };
};

/** The model's dimensions without building any tensor: used to compare compilation variants cheaply. */
export const modelSize = (lowered: LoweredProgram, allocation: Allocation): { config: ModelConfig; parameters: number } => {
  const config = modelConfig(lowered, allocation);
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

const residualLayout = (lowered: LoweredProgram): ResidualLayout => {
  const directions: Direction[] = baseDirections(lowered.typed.bounds.causal);
  for (const n of lowered.nodes) {
    directions.push(...spaceOf(lowered, n.id).directions);
    const aux = `${n.label}.attn`;
    if (lowered.auxiliary.includes(aux)) directions.push({ key: aux, name: aux, label: aux });
  }
  const indexOf = new Map(directions.map((d, i) => [d.key, i]));
  const index = (key: string): number => {
    const i = indexOf.get(key);
    if (i === undefined) throw new Error(`bug: direction ${key} not in the residual layout`);
    return i;
  };
  return { directions, index };
};

const layerContents = (lowered: LoweredProgram, allocation: Allocation): LayerContents => {
  const layers = allocation.report.layers;
  const headsAt: { node: LoweredNode; head: HeadBlock }[][] = Array.from({ length: layers }, () => []);
  const unitsAt: Unit[][] = Array.from({ length: layers }, () => []);
  const placements = new Map<number, StagePlacement[]>();
  const at = <T>(lists: T[][], layer: number): T[] => {
    const list = lists[layer];
    if (list === undefined) throw new Error(`bug: layer ${layer} beyond the allocation`);
    return list;
  };
  for (const n of lowered.nodes) {
    const first = firstStageOf(allocation, n);
    const mine: StagePlacement[] = [];
    n.stages.forEach((st, k) => {
      const layer = Math.floor((first + k) / 2);
      if (st.sublayer === 'attn') {
        for (const h of st.heads) {
          const list = at(headsAt, layer);
          mine.push({ sublayer: 'attn', layer, role: h.role, head: list.length });
          list.push({ node: n, head: h });
        }
      } else {
        for (const m of st.mlps) {
          const list = at(unitsAt, layer);
          mine.push({ sublayer: 'mlp', layer, role: m.role, units: [list.length, list.length + m.units.length] });
          list.push(...m.units);
        }
      }
    });
    placements.set(n.id, mine);
  }
  return { headsAt, unitsAt, placements };
};

type TensorData = (name: string) => Float32Array;

/** Adds w at index i (an index outside the tensor is a bug). */
const addAt = (a: Float32Array, i: number, w: number): void => {
  const x = a[i];
  if (x === undefined) throw new Error(`bug: index ${i} outside a tensor of ${a.length}`);
  a[i] = x + w;
};

/** W_E and W_pos: BOS, PAD and every token; the embedded s-ops (tokens, indices, constants). */
const writeEmbeddings = (T: TensorData, lowered: LoweredProgram, { index }: ResidualLayout, d: number): void => {
  const t = lowered.typed;
  const bounds = t.bounds;
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
      const node = t.graph.nodes[n.id]?.node;
      const value: Value | undefined = node?.kind === 'tokens' ? token : node?.kind === 'full' ? node.value : undefined;
      if (value === undefined) continue;
      for (const [dir, w] of encode(spaceOf(lowered, n.id), value)) WE[row + index(dir)] = w;
    }
  });
  const WP = T('pos_embed.W_pos');
  for (let p = 1; p <= bounds.maxLen; p++) {
    for (const n of embedNodes) {
      if (t.graph.nodes[n.id]?.node.kind !== 'indices') continue;
      for (const [dir, w] of encode(spaceOf(lowered, n.id), p - 1)) WP[p * d + index(dir)] = w;
    }
  }
};

/** Every layer's heads (factored query-key and value-output forms) and MLP units. */
const writeBlocks = (T: TensorData, contents: LayerContents, { index }: ResidualLayout, config: ModelConfig): void => {
  const { d_model: d, d_head: dHead, d_mlp: dMlp } = config;
  contents.headsAt.forEach((heads, l) => {
    const WQ = T(`blocks.${l}.attn.W_Q`);
    const WK = T(`blocks.${l}.attn.W_K`);
    const WV = T(`blocks.${l}.attn.W_V`);
    const WO = T(`blocks.${l}.attn.W_O`);
    heads.forEach(({ head }, h) => {
      const qk = factor(head.qk, index);
      const ov = factor(head.ov, index);
      for (const [row, col, w] of qk.left) addAt(WQ, (h * d + row) * dHead + col, w);
      for (const [row, col, w] of qk.right) addAt(WK, (h * d + row) * dHead + col, w);
      for (const [row, col, w] of ov.left) addAt(WV, (h * d + row) * dHead + col, w);
      // W_O[h][col][row]: the value side's right factor maps head dims to output directions
      for (const [row, col, w] of ov.right) addAt(WO, (h * dHead + col) * d + row, w);
    });
    const Win = T(`blocks.${l}.mlp.W_in`);
    const Wout = T(`blocks.${l}.mlp.W_out`);
    (contents.unitsAt[l] ?? []).forEach((u, j) => {
      for (const [dir, w] of u.input) addAt(Win, index(dir) * dMlp + j, w);
      for (const [dir, w] of u.output) addAt(Wout, j * d + index(dir), w);
    });
  });
};

/** What the manifest says about one node: its construction, stages, value count and margins. */
const nodeReport = (input: AssemblyInput, n: LoweredNode, stages: readonly StagePlacement[]): NodeReport => {
  const t = input.lowered.typed;
  const first = firstStageOf(input.allocation, n);
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
    stages,
    values: t.inference.valueSets.get(n.id)?.size ?? 0,
    margins,
  };
};

/** How the output is read: categorical by logit 0.5, numerical within half the smallest gap between its values. */
const outputDecoding = (outSpace: SopSpace): Manifest['output'] => {
  const outputNumbers = outSpace.values.filter(isNumberLike).map(toNumber).sort((a, b) => a - b);
  let minGap = Number.POSITIVE_INFINITY;
  outputNumbers.forEach((x, i) => {
    const previous = outputNumbers[i - 1];
    if (previous !== undefined) minGap = Math.min(minGap, x - previous);
  });
  return {
    label: outSpace.label,
    encoding: outSpace.representation,
    values: outSpace.values,
    tolerance: outSpace.representation === 'categorical' ? 0.5 : Number.isFinite(minGap) ? minGap / 2 : 0.5,
  };
};

const manifestOf = (input: AssemblyInput, layout: ResidualLayout, contents: LayerContents, config: ModelConfig): Manifest => {
  const { lowered, allocation } = input;
  const t = lowered.typed;
  const bounds = t.bounds;
  return {
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
    residual: layout.directions.map((dir) => ({ name: dir.name, label: dir.label, ...(dir.value !== undefined ? { value: valueToJson(dir.value) } : {}) })),
    output: outputDecoding(spaceOf(lowered, lowered.output)),
    nodes: lowered.nodes.map((n) => nodeReport(input, n, contents.placements.get(n.id) ?? [])),
    allocation: allocation.report,
    parameters: parameterCount(config),
    notes: input.notes,
    certification: UNVERIFIED,
  };
};

/** The tensors and manifest of a lowered, allocated program. */
export const assemble = (input: AssemblyInput): Either.Either<readonly Diagnostic[], CompiledModel> => {
  const { lowered, allocation } = input;
  const layout = residualLayout(lowered);
  const config = modelConfig(lowered, allocation);
  if (layout.directions.length !== config.d_model) throw new Error(`bug: ${layout.directions.length} residual directions, d_model ${config.d_model}`);
  const contents = layerContents(lowered, allocation);
  const tensors = new Map<string, Tensor32>(tensorNames(config.n_layers).map((name) => [name, zeros(expectedShape(config, name))]));
  const T: TensorData = (name) => {
    const tensor = tensors.get(name);
    if (tensor === undefined) throw new Error(`bug: no tensor ${name}`);
    return tensor.data;
  };
  writeEmbeddings(T, lowered, layout, config.d_model);
  writeBlocks(T, contents, layout, config);
  const WU = T('unembed.W_U');
  spaceOf(lowered, lowered.output).directions.forEach((dir, j) => {
    WU[layout.index(dir.key) * config.d_vocab_out + j] = 1;
  });
  return Either.right({ config, manifest: manifestOf(input, layout, contents, config), tensors });
};
