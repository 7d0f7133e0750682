/**
 * The configuration of a GPT-2 model in the HuggingFace layout: the `config.json` of a
 * `GPT2LMHeadModel`, validated, with HF's defaults filled in. Only the fields that change the
 * forward pass are kept; the rest (dropout rates, token ids, generation settings) are ignored.
 * Settings that would change the numerics in a way this project does not implement (no attention
 * scaling, scaling by the inverse layer index, another model type) are refused, not ignored.
 */
import * as Either from 'fp-ts/lib/Either.js';
import * as t from 'io-ts/lib/index.js';
import { diagnostic, type Diagnostic } from '../diagnostics.js';

export const GPT2_ACTIVATIONS = ['gelu_new', 'gelu', 'relu'] as const;
export type Gpt2Activation = (typeof GPT2_ACTIVATIONS)[number];

/** Field names are HF's; every default is resolved. */
export interface Gpt2Config {
  readonly n_layer: number;
  readonly n_head: number;
  /** The residual width d. */
  readonly n_embd: number;
  /** The number of learned positions (HF `n_positions`, or the older `n_ctx`). */
  readonly n_positions: number;
  readonly vocab_size: number;
  /** The MLP width (HF: null means 4 · n_embd). */
  readonly n_inner: number;
  readonly layer_norm_epsilon: number;
  readonly activation_function: Gpt2Activation;
  /** When true the unembedding is the token embedding `wte`; otherwise `lm_head.weight`. */
  readonly tie_word_embeddings: boolean;
}

/** HF's defaults (transformers' GPT2Config). */
export const GPT2_DEFAULTS = {
  layer_norm_epsilon: 1e-5,
  activation_function: 'gelu_new',
  tie_word_embeddings: true,
} as const;

const numberType = (name: string, accept: (n: number) => boolean): t.Type<number, number, unknown> => {
  const is = (u: unknown): u is number => typeof u === 'number' && accept(u);
  return new t.Type<number, number, unknown>(name, is, (u, c) => (is(u) ? t.success(u) : t.failure(u, c)), t.identity);
};

const PositiveInteger = numberType('a positive integer', (n) => Number.isSafeInteger(n) && n > 0);
const NonNegativeInteger = numberType('a non-negative integer', (n) => Number.isSafeInteger(n) && n >= 0);
const PositiveNumber = numberType('a positive finite number', (n) => Number.isFinite(n) && n > 0);

const ActivationCodec = t.keyof(
  Object.fromEntries(GPT2_ACTIVATIONS.map((a) => [a, null])) as Record<Gpt2Activation, null>,
  `one of ${GPT2_ACTIVATIONS.map((a) => JSON.stringify(a)).join(', ')}`,
);

/** The fields of config.json that are read, as HF writes them. */
const HfConfigCodec = t.intersection([
  t.type({
    n_layer: NonNegativeInteger,
    n_head: PositiveInteger,
    n_embd: PositiveInteger,
    vocab_size: PositiveInteger,
  }),
  t.partial({
    n_positions: PositiveInteger,
    n_ctx: PositiveInteger,
    n_inner: t.union([t.null, PositiveInteger], 'null or a positive integer'),
    layer_norm_epsilon: PositiveNumber,
    activation_function: ActivationCodec,
    tie_word_embeddings: t.boolean,
    model_type: t.string,
    scale_attn_weights: t.boolean,
    scale_attn_by_inverse_layer_idx: t.boolean,
  }),
]);

const FIELD_MEANINGS: Readonly<Record<string, string>> = {
  n_layer: 'the number of blocks',
  n_head: 'the number of attention heads',
  n_embd: 'the residual width',
  vocab_size: 'the number of tokens',
};

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

const shown = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
};

/** One diagnostic per bad field (a union reports one error per member: they are merged). */
const fieldProblems = (errors: t.Errors, source: string): Diagnostic[] => {
  const byField = new Map<string, Diagnostic>();
  for (const error of errors) {
    const entry = error.context.find((c) => c.key !== '' && !/^\d+$/.test(c.key));
    const field = entry?.key ?? '(root)';
    if (byField.has(field)) continue;
    const expected = entry?.type.name ?? 'an object';
    const meaning = FIELD_MEANINGS[field];
    const message =
      error.value === undefined
        ? `${source} has no field ${field}${meaning === undefined ? '' : ` (${meaning})`}`
        : `${source}: field ${field} is ${shown(error.value)}, expected ${expected}`;
    const fix =
      field === 'activation_function'
        ? `raspc runs the GPT-2 activations ${GPT2_ACTIVATIONS.join(', ')}`
        : error.value === undefined
          ? `add "${field}": ${expected} to ${source}`
          : `give ${field} as ${expected}`;
    byField.set(field, diagnostic('gpt2/bad-config', message, { where: field, fix }));
  }
  return [...byField.values()];
};

/**
 * The configuration in `json` (the parsed config.json; `source` names the file in messages).
 * Left with one diagnostic per problem: a missing or ill-typed field, an activation other than
 * gelu_new / gelu / relu, neither n_positions nor n_ctx, n_embd not a multiple of n_head, or an
 * attention variant that is not GPT-2's.
 */
export const parseGpt2Config = (json: unknown, source = 'config.json'): Either.Either<Diagnostic[], Gpt2Config> => {
  if (!isRecord(json)) {
    return Either.left([
      diagnostic('gpt2/bad-config', `${source} holds ${shown(json)}, not a JSON object`, { fix: 'config.json must be the object HF save_pretrained writes' }),
    ]);
  }
  const decoded = HfConfigCodec.decode(json);
  if (Either.isLeft(decoded)) return Either.left(fieldProblems(decoded.left, source));
  const hf = decoded.right;
  const problems: Diagnostic[] = [];
  if (hf.model_type !== undefined && hf.model_type !== 'gpt2') {
    problems.push(
      diagnostic('gpt2/unsupported', `${source} describes a ${shown(hf.model_type)} model; raspc reads GPT-2 models (model_type "gpt2")`, {
        where: 'model_type',
      }),
    );
  }
  const positions = hf.n_positions ?? hf.n_ctx;
  if (positions === undefined) {
    problems.push(
      diagnostic('gpt2/bad-config', `${source} has neither n_positions nor n_ctx (the number of learned positions)`, {
        where: 'n_positions',
        fix: `add "n_positions": the first dimension of wpe.weight`,
      }),
    );
  }
  if (hf.n_embd % hf.n_head !== 0) {
    problems.push(
      diagnostic('gpt2/bad-config', `${source}: n_embd ${hf.n_embd} is not a multiple of n_head ${hf.n_head}`, {
        where: 'n_embd',
        fix: 'each head has n_embd / n_head dimensions',
      }),
    );
  }
  if (hf.scale_attn_weights === false) {
    problems.push(
      diagnostic('gpt2/unsupported', `${source} sets scale_attn_weights: false; raspc always scales attention scores by 1/√d_head`, {
        where: 'scale_attn_weights',
      }),
    );
  }
  if (hf.scale_attn_by_inverse_layer_idx === true) {
    problems.push(
      diagnostic('gpt2/unsupported', `${source} sets scale_attn_by_inverse_layer_idx: true, which raspc does not implement`, {
        where: 'scale_attn_by_inverse_layer_idx',
      }),
    );
  }
  if (problems.length > 0 || positions === undefined) return Either.left(problems);
  return Either.right({
    n_layer: hf.n_layer,
    n_head: hf.n_head,
    n_embd: hf.n_embd,
    n_positions: positions,
    vocab_size: hf.vocab_size,
    n_inner: hf.n_inner ?? 4 * hf.n_embd,
    layer_norm_epsilon: hf.layer_norm_epsilon ?? GPT2_DEFAULTS.layer_norm_epsilon,
    activation_function: hf.activation_function ?? GPT2_DEFAULTS.activation_function,
    tie_word_embeddings: hf.tie_word_embeddings ?? GPT2_DEFAULTS.tie_word_embeddings,
  });
};

/** The config.json object HF's GPT2LMHeadModel.from_pretrained reads back to `config`. */
export const gpt2ConfigJson = (config: Gpt2Config): Record<string, unknown> => ({
  architectures: ['GPT2LMHeadModel'],
  model_type: 'gpt2',
  activation_function: config.activation_function,
  n_layer: config.n_layer,
  n_head: config.n_head,
  n_embd: config.n_embd,
  n_inner: config.n_inner,
  n_positions: config.n_positions,
  n_ctx: config.n_positions,
  vocab_size: config.vocab_size,
  layer_norm_epsilon: config.layer_norm_epsilon,
  tie_word_embeddings: config.tie_word_embeddings,
  scale_attn_weights: true,
});
