/**
 * The compiled model's forward pass as an ONNX graph (opset 17), for onnxruntime and other ONNX
 * consumers. It computes what src/model/forward.ts computes (the conventions in model.ts):
 *
 *   input  `tokens`  int64 [batch, T]: BOS (0) first, PAD (1) after the end of shorter inputs
 *          (the only input: there is no mask input)
 *   output `logits`  float [batch, T, d_vocab_out]
 *   output `blocks.{l}.hook_resid_post` float [batch, T, d_model] (TransformerLens hook names),
 *          and `hook_embed_sum` (token + position embedding)
 *
 * Attention: scores = (x W_Q + b_Q)(x W_K + b_K)ᵀ (no 1/√d_head); in causal models keys after
 * the query are masked. PAD keys are not masked here: the weights do it. Serialisation is
 * deterministic.
 */
import onnxPackage from 'onnx-proto';
import type { CompiledModel, Tensor32 } from '../model/model.js';

const { onnx } = onnxPackage;
type NodeProto = InstanceType<typeof onnx.NodeProto>;
type TensorProto = InstanceType<typeof onnx.TensorProto>;

export const ONNX_OPSET = 17;

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;
const BOOL = onnx.TensorProto.DataType.BOOL;

/** Accumulates nodes and initializers with unique, readable names. */
class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private count = 0;

  private fresh(hint: string): string {
    return `${hint}_${this.count++}`;
  }

  floats(name: string, dims: readonly number[], data: Float32Array): string {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
    this.initializers.push(onnx.TensorProto.create({ name, dims: [...dims], dataType: FLOAT, rawData: bytes }));
    return name;
  }

  ints(hint: string, values: readonly number[]): string {
    const name = this.fresh(hint);
    const data = new BigInt64Array(values.map((v) => BigInt(v)));
    this.initializers.push(onnx.TensorProto.create({ name, dims: [values.length], dataType: INT64, rawData: new Uint8Array(data.buffer) }));
    return name;
  }

  scalarFloat(hint: string, value: number): string {
    const name = this.fresh(hint);
    this.initializers.push(onnx.TensorProto.create({ name, dims: [], dataType: FLOAT, rawData: new Uint8Array(Float32Array.of(value).buffer) }));
    return name;
  }

  scalarInt(hint: string, value: number): string {
    const name = this.fresh(hint);
    this.initializers.push(onnx.TensorProto.create({ name, dims: [], dataType: INT64, rawData: new Uint8Array(BigInt64Array.of(BigInt(value)).buffer) }));
    return name;
  }

  /** Adds one node; returns its (first) output name. */
  op(opType: string, inputs: readonly string[], attributes: Record<string, number | readonly number[]> = {}, output?: string): string {
    const out = output ?? this.fresh(opType.toLowerCase());
    const attribute = Object.entries(attributes).map(([name, v]) =>
      typeof v === 'number'
        ? onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i: v })
        : onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: [...v] }),
    );
    this.nodes.push(onnx.NodeProto.create({ opType, input: [...inputs], output: [out], name: out, attribute }));
    return out;
  }
}

const tensor = (model: CompiledModel, name: string): Tensor32 => {
  const t = model.tensors.get(name);
  if (t === undefined) throw new Error(`bug: tensor ${name} missing from a compiled model`);
  return t;
};

/** [H, d, dh] → [d, H·dh] (heads side by side), so one MatMul computes every head. */
const headsSideBySide = (t: Tensor32): Float32Array => {
  const [H, d, dh] = t.shape as [number, number, number];
  const out = new Float32Array(d * H * dh);
  for (let h = 0; h < H; h++) for (let i = 0; i < d; i++) for (let j = 0; j < dh; j++) out[i * H * dh + h * dh + j] = t.data[(h * d + i) * dh + j] as number;
  return out;
};

/** The model as ONNX bytes. */
export const onnxModel = (model: CompiledModel): Uint8Array => {
  const c = model.config;
  const g = new GraphBuilder();
  const d = c.d_model;
  const H = c.n_heads;
  const dh = c.d_head;

  // shapes: batch and T from the input
  const shape = g.op('Shape', ['tokens']);
  const batchT = g.op('Slice', [shape, g.ints('zero', [0]), g.ints('two', [2])]);
  const T = g.op('Gather', [shape, g.scalarInt('one_index', 1)]);
  const positions = g.op('Range', [g.scalarInt('range_start', 0), T, g.scalarInt('range_step', 1)]);

  // embeddings
  const wE = g.floats('embed.W_E', [c.d_vocab, d], tensor(model, 'embed.W_E').data);
  const wPos = g.floats('pos_embed.W_pos', [c.n_ctx, d], tensor(model, 'pos_embed.W_pos').data);
  let x = g.op('Add', [g.op('Gather', [wE, 'tokens']), g.op('Gather', [wPos, positions])], {}, 'hook_embed_sum');

  // causal models: the key is not after the query ([T, T], broadcast over batch and heads)
  let mask: string | undefined;
  if (c.causal) {
    const square = g.op('Concat', [g.op('Unsqueeze', [T, g.ints('axis_0', [0])]), g.op('Unsqueeze', [T, g.ints('axis_0', [0])])], { axis: 0 });
    const ones = g.op('Expand', [g.scalarInt('one', 1), square]);
    mask = g.op('Cast', [g.op('Trilu', [ones], { upper: 0 })], { to: BOOL });
  }
  const minusInf = mask === undefined ? undefined : g.scalarFloat('minus_inf', Number.NEGATIVE_INFINITY);
  const splitHeads = g.op('Concat', [batchT, g.ints('heads', [H, dh])], { axis: 0 });
  const joinHeads = g.op('Concat', [batchT, g.ints('width', [H * dh])], { axis: 0 });

  for (let l = 0; l < c.n_layers; l++) {
    const p = `blocks.${l}`;
    if (H > 0 && dh > 0) {
      const proj = (w: 'Q' | 'K' | 'V'): string => {
        const weights = g.floats(`${p}.attn.W_${w}`, [d, H * dh], headsSideBySide(tensor(model, `${p}.attn.W_${w}`)));
        const bias = g.floats(`${p}.attn.b_${w}`, [H * dh], tensor(model, `${p}.attn.b_${w}`).data);
        // [batch, T, H·dh] → [batch, T, H, dh] → [batch, H, T, dh]
        return g.op('Transpose', [g.op('Reshape', [g.op('Add', [g.op('MatMul', [x, weights]), bias]), splitHeads])], { perm: [0, 2, 1, 3] });
      };
      const q = proj('Q');
      const k = proj('K');
      const v = proj('V');
      const scores = g.op('MatMul', [q, g.op('Transpose', [k], { perm: [0, 1, 3, 2] })]);
      const masked = mask === undefined || minusInf === undefined ? scores : g.op('Where', [mask, scores, minusInf]);
      const pattern = g.op('Softmax', [masked], { axis: -1 }, `${p}.attn.hook_pattern`);
      const z = g.op('Reshape', [g.op('Transpose', [g.op('MatMul', [pattern, v])], { perm: [0, 2, 1, 3] }), joinHeads]);
      const wO = g.floats(`${p}.attn.W_O`, [H * dh, d], tensor(model, `${p}.attn.W_O`).data);
      const bO = g.floats(`${p}.attn.b_O`, [d], tensor(model, `${p}.attn.b_O`).data);
      x = g.op('Add', [x, g.op('Add', [g.op('MatMul', [z, wO]), bO])], {}, `${p}.hook_resid_mid`);
    }
    if (c.d_mlp > 0) {
      const wIn = g.floats(`${p}.mlp.W_in`, [d, c.d_mlp], tensor(model, `${p}.mlp.W_in`).data);
      const bIn = g.floats(`${p}.mlp.b_in`, [c.d_mlp], tensor(model, `${p}.mlp.b_in`).data);
      const wOut = g.floats(`${p}.mlp.W_out`, [c.d_mlp, d], tensor(model, `${p}.mlp.W_out`).data);
      const bOut = g.floats(`${p}.mlp.b_out`, [d], tensor(model, `${p}.mlp.b_out`).data);
      const hidden = g.op('Relu', [g.op('Add', [g.op('MatMul', [x, wIn]), bIn])]);
      x = g.op('Add', [x, g.op('Add', [g.op('MatMul', [hidden, wOut]), bOut])]);
    }
    x = g.op('Identity', [x], {}, `${p}.hook_resid_post`);
  }
  const wU = g.floats('unembed.W_U', [d, c.d_vocab_out], tensor(model, 'unembed.W_U').data);
  const bU = g.floats('unembed.b_U', [c.d_vocab_out], tensor(model, 'unembed.b_U').data);
  g.op('Add', [g.op('MatMul', [x, wU]), bU], {}, 'logits');

  const valueInfo = (name: string, elemType: number, dims: readonly (number | string)[]) =>
    onnx.ValueInfoProto.create({
      name,
      type: onnx.TypeProto.create({
        tensorType: onnx.TypeProto.Tensor.create({
          elemType,
          shape: onnx.TensorShapeProto.create({
            dim: dims.map((x) => (typeof x === 'number' ? onnx.TensorShapeProto.Dimension.create({ dimValue: x }) : onnx.TensorShapeProto.Dimension.create({ dimParam: x }))),
          }),
        }),
      }),
    });
  const graph = onnx.GraphProto.create({
    name: 'raspc',
    node: g.nodes,
    initializer: g.initializers,
    input: [valueInfo('tokens', INT64, ['batch', 'position'])],
    output: [
      valueInfo('logits', FLOAT, ['batch', 'position', c.d_vocab_out]),
      valueInfo('hook_embed_sum', FLOAT, ['batch', 'position', d]),
      ...Array.from({ length: c.n_layers }, (_, l) => valueInfo(`blocks.${l}.hook_resid_post`, FLOAT, ['batch', 'position', d])),
    ],
  });
  const proto = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'raspc',
    producerVersion: '1',
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: ONNX_OPSET })],
    graph,
    metadataProps: [onnx.StringStringEntryProto.create({ key: 'program', value: model.manifest.program.hash })],
  });
  return onnx.ModelProto.encode(proto).finish();
};
