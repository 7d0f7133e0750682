/**
 * The TransformerLens export: `model.safetensors` (the state dict: TransformerLens names and
 * shapes, float32), `config.json` (HookedTransformerConfig fields) and `encoders.json` (token ids
 * in, output values out). docs/interop.md shows the load in Python.
 */
import { valueToJson } from '../ast/value.js';
import { weightsFile } from '../model/files.js';
import { BOS_ID, PAD_ID, type CompiledModel } from '../model/model.js';

export const TL_FILES = { weights: 'model.safetensors', config: 'config.json', encoders: 'encoders.json' } as const;

/** HookedTransformerConfig keyword arguments (`HookedTransformerConfig(**config)` accepts them). */
export const hookedTransformerConfig = (model: CompiledModel): Record<string, unknown> => {
  const c = model.config;
  return {
    n_layers: c.n_layers,
    d_model: c.d_model,
    d_head: c.d_head,
    n_heads: c.n_heads,
    d_mlp: c.d_mlp,
    d_vocab: c.d_vocab,
    d_vocab_out: c.d_vocab_out,
    n_ctx: c.n_ctx,
    act_fn: 'relu',
    normalization_type: null,
    attention_dir: c.causal ? 'causal' : 'bidirectional',
    // scores are q·k, not q·k/√d_head
    use_attn_scale: false,
    attn_scale: 1.0,
    positional_embedding_type: 'standard',
    default_prepend_bos: true,
    original_architecture: 'raspc',
    model_name: `raspc-${model.manifest.program.hash.slice(0, 12)}`,
  };
};

/** Token ids in, output values out, and how to decode. */
export const encoders = (model: CompiledModel): Record<string, unknown> => {
  const m = model.manifest;
  return {
    input: {
      bos: { id: BOS_ID, token: '<bos>' },
      pad: { id: PAD_ID, token: '<pad>' },
      tokens: m.bounds.vocab.map((v, i) => ({ id: i + 2, token: valueToJson(v) })),
      max_len: m.bounds.maxLen,
      note: m.bounds.causal
        ? 'prepend BOS; position p holds input token p-1; pad shorter inputs in a batch with PAD after their last token (right padding: the causal mask keeps PAD keys from every real position); no key padding mask is needed'
        : 'prepend BOS; position p holds input token p-1; pad shorter inputs in a batch with PAD after their last token (right padding); the weights mask PAD keys, so no key padding mask is needed: TransformerLens, numpy and ONNX runtimes need none',
    },
    output: {
      encoding: m.output.encoding,
      values: m.output.values.map(valueToJson),
      tolerance: m.output.tolerance,
      decode:
        m.output.encoding === 'categorical'
          ? 'per position p ≥ 1: the value of the largest logit if that logit ≥ tolerance, else None (null)'
          : 'per position p ≥ 1: logits[p, 0] is the number; the nearest value of `values` if within tolerance',
    },
    program: { hash: m.program.hash, output: m.program.output },
  };
};

const json = (x: unknown): Uint8Array => new TextEncoder().encode(`${JSON.stringify(x, null, 2)}\n`);

/** The export's files, as bytes (deterministic). */
export const transformerLensFiles = (model: CompiledModel): Record<string, Uint8Array> => ({
  [TL_FILES.weights]: weightsFile(model),
  [TL_FILES.config]: json(hookedTransformerConfig(model)),
  [TL_FILES.encoders]: json(encoders(model)),
});
