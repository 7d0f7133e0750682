/**
 * The certificate: what was verified, how, and with which numbers. JSON; the same program,
 * bounds and method give byte-identical certificates (wall times are left out unless asked for,
 * see docs/verification.md).
 */
import { createHash } from 'node:crypto';
import { valueToJson, type Value } from '../ast/value.js';
import { weightsFile } from '../model/files.js';
import type { CompiledModel } from '../model/model.js';
import type { Lemma } from './lemmas/context.js';

export const CERTIFICATE_FORMAT = 'raspc-certificate';
export const CERTIFICATE_VERSION = 1;

export type Method = 'auto' | 'exhaustive' | 'lemmas' | 'z3';
export type Verdict = 'verified' | 'counterexample' | 'unknown';

export interface CertificateCounterexample {
  readonly method: string;
  readonly kind: 'mismatch' | 'program-error' | 'mlp-fact';
  readonly input?: readonly unknown[];
  readonly expected?: unknown;
  readonly actual?: unknown;
  readonly message: string;
}

export interface CertificateBounds {
  readonly vocab: readonly unknown[];
  readonly maxLen: number;
  readonly causal: boolean;
}

export interface Certificate {
  readonly format: typeof CERTIFICATE_FORMAT;
  readonly version: typeof CERTIFICATE_VERSION;
  readonly program: { readonly hash: string; readonly output: string };
  readonly model: { readonly hash: string; readonly parameters: number; readonly layers: number; readonly dModel: number };
  /** The bounds verified: the verdict covers every input within them. */
  readonly bounds: CertificateBounds;
  /**
   * The bounds the model was compiled for, when they differ from `bounds` (a model covers smaller
   * bounds: docs/verification.md): the lemmas were proven there, which implies them for `bounds`.
   */
  readonly modelBounds?: CertificateBounds;
  readonly method: Method;
  readonly verdict: Verdict;
  /** What a `verified` verdict covers, in words. */
  readonly claim: string;
  readonly exhaustive?: { readonly inputs: number; readonly checked: number; readonly verdict: string };
  readonly lemmas?: {
    readonly verdict: string;
    readonly outputError: number | string;
    readonly outputTolerance: number | string;
    readonly programDefined: string;
    readonly list: readonly Lemma[];
  };
  readonly z3?: {
    readonly equivalence: { readonly verdict: string; readonly lengths: readonly { readonly n: number; readonly result: string }[]; readonly reason?: string };
    readonly mlpFacts: readonly { readonly node: string; readonly verdict: string; readonly combinations: number; readonly byBounds: number; readonly solverQueries: number; readonly tolerance: number }[];
  };
  readonly counterexample?: CertificateCounterexample;
  readonly notes: readonly string[];
  /** Only with --timing: wall-clock seconds per method. */
  readonly time?: Readonly<Record<string, number>>;
}

export const modelHash = (model: CompiledModel): string =>
  createHash('sha256')
    .update(weightsFile(model))
    .digest('hex');

/** JSON-safe numbers: non-finite ones as strings. */
export const jsonNumber = (x: number): number | string => (Number.isFinite(x) ? x : String(x));

const clean = (x: unknown): unknown => {
  if (typeof x === 'number') return jsonNumber(x);
  if (Array.isArray(x)) return x.map(clean);
  if (x !== null && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, clean(v)]));
  return x;
};

export const certificateJson = (c: Certificate): string => `${JSON.stringify(clean(c), null, 2)}\n`;

export const valuesJson = (vs: readonly Value[] | readonly (Value | string)[]): unknown[] => vs.map((v) => valueToJson(v as Value));
