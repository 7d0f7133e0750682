/**
 * `manifest.json`: what every residual direction of a compiled model means and how to decode its
 * output. The codecs are the one source of truth: every manifest type is its codec's `TypeOf`,
 * the reader (files.ts) decodes with them, and the compiler (src/passes/assemble.ts) builds
 * values of these types.
 */
import * as t from 'io-ts/lib/index.js';
import { ValueCodec } from '../ast/codec.js';
import { MODEL_FORMAT, MODEL_FORMAT_VERSION } from './model.js';

/** A safe integer ≥ min. */
export const integer = (name: string, min: number): t.Type<number, number, unknown> => {
  const is = (u: unknown): u is number => Number.isSafeInteger(u) && (u as number) >= min;
  return new t.Type<number, number, unknown>(name, is, (u, c) => (is(u) ? t.success(u) : t.failure(u, c)), t.identity);
};
export const Count = integer('a non-negative integer', 0);
export const Positive = integer('a positive integer', 1);

const Sublayer = t.union([t.literal('attn'), t.literal('mlp')]);
const Encoding = t.union([t.literal('categorical'), t.literal('numerical')]);

const ResidualDirectionCodec = t.readonly(
  t.intersection([
    /** `label`: the s-op (or `one`, `bos`, or an auxiliary) it belongs to. */
    t.type({ name: t.string, label: t.string }),
    /** For categorical directions, the value (JSON form: None as null). */
    t.partial({ value: t.unknown }),
  ]),
);
export type ResidualDirection = t.TypeOf<typeof ResidualDirectionCodec>;

/**
 * `values`: categorical, the value of each logit; numerical, every value the output can take.
 * `tolerance`: categorical, a logit must reach this to count (else None); numerical, the largest
 * distance to a value.
 */
const OutputDecodingCodec = t.readonly(t.type({ label: t.string, encoding: Encoding, values: t.readonlyArray(ValueCodec), tolerance: t.number }));
export type OutputDecoding = t.TypeOf<typeof OutputDecodingCodec>;

/**
 * Where one stage of a node sits: a head of a layer, or a range [first, end) of a layer's MLP
 * units; `role` is the construction of the stage, e.g. `categorical-attention`, `table-mlp`.
 */
const StageCodec = t.readonly(
  t.intersection([
    t.type({ sublayer: Sublayer, layer: Count, role: t.string }),
    t.partial({ head: Count, units: t.readonly(t.tuple([Count, Count])) }),
  ]),
);
export type StagePlacement = t.TypeOf<typeof StageCodec>;

/**
 * One node of the program: its first stage (`layer`, `sublayer`; embeddings have layer -1),
 * the labels of the s-ops it reads, every stage, its number of values and its margins.
 */
const NodeCodec = t.readonly(
  t.intersection([
    t.type({
      label: t.string,
      kind: t.string,
      construction: t.string,
      layer: integer('a layer (-1 for embeddings)', -1),
      sublayer: t.union([t.literal('embed'), Sublayer]),
      reads: t.readonlyArray(t.string),
      stages: t.readonlyArray(StageCodec),
      values: Count,
      margins: t.readonly(t.record(t.string, t.number)),
    }),
    t.partial({ declaredEncoding: t.string, representation: t.string }),
  ]),
);
export type NodeReport = t.TypeOf<typeof NodeCodec>;

/**
 * Whether the model was certified when it was written: `verified` carries the certificate's
 * method, claim and the SHA-256 of `certificate.json` beside the model; `unverified` marks a model
 * written without certification (`raspc compile --no-verify`, or the library's `compileUnverified`),
 * on which every reader warns.
 */
const CertificationCodec = t.union([
  t.readonly(t.type({ verdict: t.literal('verified'), method: t.string, claim: t.string, certificate: t.string })),
  t.readonly(t.type({ verdict: t.literal('unverified') })),
]);
export type Certification = t.TypeOf<typeof CertificationCodec>;

/** The manifest; `format` and `version` are also checked against the config's (consistency.ts). */
export const ManifestCodec = t.readonly(
  t.type({
    format: t.literal(MODEL_FORMAT),
    version: t.literal(MODEL_FORMAT_VERSION),
    /** `hash`: SHA-256 of the source program's JSON; `compiled`: the program as lowered (after rewrites). */
    program: t.readonly(t.intersection([t.type({ hash: t.string, output: t.string }), t.partial({ compiled: t.unknown })])),
    bounds: t.readonly(t.type({ vocab: t.readonlyArray(ValueCodec), maxLen: Positive, causal: t.boolean })),
    /** Token ids: `<bos>`, `<pad>`, then the vocabulary. */
    tokens: t.readonlyArray(t.readonly(t.type({ id: Count, token: ValueCodec }))),
    residual: t.readonlyArray(ResidualDirectionCodec),
    output: OutputDecodingCodec,
    nodes: t.readonlyArray(NodeCodec),
    allocation: t.readonly(
      t.type({
        layers: Count,
        layerLowerBound: Count,
        maxHeadsPerLayer: Count,
        headsLowerBound: Count,
        mlpWidth: Count,
        mlpWidthLowerBound: Count,
      }),
    ),
    parameters: Count,
    /** Choices the compiler made that differ from the program text (representations, rewrites). */
    notes: t.readonlyArray(t.string),
    certification: CertificationCodec,
  }),
);
export type Manifest = t.TypeOf<typeof ManifestCodec>;

/** `manifest.json` as written: the manifest and its integrity record (checked by integrity.ts). */
export const ManifestFileCodec = t.intersection([ManifestCodec, t.partial({ integrity: t.unknown })]);
