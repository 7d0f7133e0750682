/**
 * The certify pass. Preserves the model's weights; adds the verdict to its manifest when the
 * proofs (src/proofs/) verify it. Checked by test/integration/certifyOnCompile.test.ts.
 *
 * Certification at compile time: a compiled model is certified at its compile bounds before it
 * is written, or it is not written. The lemma method runs always (cheap: nothing is enumerated);
 * the exhaustive method too when the inputs are few ({@link COMPILE_EXHAUSTIVE_LIMIT}), which also
 * proves the program defined on every input. When the lemmas do not hold, every input is checked
 * if there are at most {@link FALLBACK_EXHAUSTIVE_LIMIT}; otherwise the verdict stays `unknown`
 * and the model is refused. docs/verification.md, "Certified on compile", says what is covered.
 */
import * as Either from 'fp-ts/lib/Either.js';
import type { SOp } from '../ast/program.js';
import type { Diagnostic } from '../diagnostics.js';
import { sha256Hex } from '../model/integrity.js';
import type { CompiledModel } from '../model/model.js';
import { certificateJson, type Certificate } from '../proofs/certificate.js';
import { inputCount } from '../proofs/enumerate.js';
import { verify } from '../proofs/verify.js';
import type { Compilation } from './pipeline.js';

/** Inputs checked one by one on every compile: below this the check takes well under a second. */
export const COMPILE_EXHAUSTIVE_LIMIT = 20_000;
/** When the lemmas do not hold, inputs checked one by one before the model is refused. */
export const FALLBACK_EXHAUSTIVE_LIMIT = 2_000_000;

export interface CertifiedCompilation {
  /** The model; its manifest carries the verdict when it is `verified`. */
  readonly model: CompiledModel;
  readonly certificate: Certificate;
  /** `certificate.json` as written beside the model (byte-identical run to run). */
  readonly certificateText: string;
  readonly compilation: Compilation;
}

export interface CertifyOptions {
  /** Worker threads for the exhaustive fallback. */
  readonly workers?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

/** Certifies a compilation of `program` at the model's bounds; the manifest records a `verified` verdict. */
export const certifyCompilation = async (
  program: SOp,
  compilation: Compilation,
  options: CertifyOptions = {},
): Promise<Either.Either<readonly Diagnostic[], CertifiedCompilation>> => {
  const model = compilation.model;
  const { vocab, maxLen } = model.manifest.bounds;
  const given = { kind: 'given', model } as const;
  const first = await verify(program, compilation.typed.bounds, given, { method: 'auto', exhaustiveLimit: COMPILE_EXHAUSTIVE_LIMIT, workers: 1 });
  if (Either.isLeft(first)) return first;
  let certificate = first.right.certificate;
  const total = inputCount(vocab.length, maxLen);
  if (certificate.verdict === 'unknown' && certificate.exhaustive === undefined && total <= FALLBACK_EXHAUSTIVE_LIMIT) {
    const fallback = await verify(program, compilation.typed.bounds, given, {
      method: 'exhaustive',
      ...(options.workers !== undefined ? { workers: options.workers } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    if (Either.isLeft(fallback)) return fallback;
    certificate = {
      ...fallback.right.certificate,
      notes: [...fallback.right.certificate.notes, `the lemmas did not certify the model (${lemmaFailure(certificate)}); every input was checked instead`],
    };
  }
  const certificateText = certificateJson(certificate);
  const certified: CompiledModel =
    certificate.verdict === 'verified'
      ? {
          ...model,
          manifest: {
            ...model.manifest,
            certification: { verdict: 'verified', method: certifiedBy(certificate), claim: certificate.claim, certificate: sha256Hex(certificateText) },
          },
        }
      : model;
  return Either.right({ model: certified, certificate, certificateText, compilation });
};

/** Which methods the verified verdict rests on, e.g. `lemmas + exhaustive`. */
const certifiedBy = (c: Certificate): string =>
  [c.lemmas?.verdict === 'verified' ? 'lemmas' : undefined, c.exhaustive?.verdict === 'verified' ? 'exhaustive' : undefined]
    .filter((m) => m !== undefined)
    .join(' + ');

const lemmaFailure = (c: Certificate): string => {
  const failed = c.lemmas?.list.filter((l) => !l.holds) ?? [];
  if (failed.length === 0) return c.notes.join('; ') || 'no lemma report';
  return failed
    .slice(0, 3)
    .map((l) => `${l.node} (${l.kind})`)
    .join(', ');
};
