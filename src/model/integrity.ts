/**
 * The integrity record of a compiled model directory: `manifest.json` ends with
 *
 *   "integrity": {
 *     "algorithm": "sha256",
 *     "manifest": SHA-256 of the manifest's canonical JSON without this field,
 *     "files": { "config.json": { "sha256", "bytes" }, "model.safetensors": { "sha256", "bytes" }, … }
 *   }
 *
 * The manifest cannot hold the digest of its own bytes, so it holds the digest of its content:
 * the canonical form (RFC 8785: keys sorted by UTF-16 code units, no whitespace, numbers as
 * ECMAScript prints them) of the parsed manifest minus `integrity`. Any field added to the
 * manifest later is covered without a change here; reformatting the file is not an edit.
 * Every other file of the directory is covered by the digest of its exact bytes.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import * as Either from 'fp-ts/lib/Either.js';
import * as t from 'io-ts/lib/index.js';
import { diagnostic, type Diagnostic } from '../diagnostics.js';

export const INTEGRITY_FIELD = 'integrity';
export const INTEGRITY_ALGORITHM = 'sha256';

const Sha256Hex = new t.Type<string, string, unknown>(
  'a SHA-256 digest (64 lowercase hex digits)',
  (u): u is string => typeof u === 'string' && /^[0-9a-f]{64}$/.test(u),
  (u, c) => (typeof u === 'string' && /^[0-9a-f]{64}$/.test(u) ? t.success(u) : t.failure(u, c)),
  t.identity,
);

const ByteCount = new t.Type<number, number, unknown>(
  'a byte count',
  (u): u is number => Number.isSafeInteger(u) && (u as number) >= 0,
  (u, c) => (Number.isSafeInteger(u) && (u as number) >= 0 ? t.success(u as number) : t.failure(u, c)),
  t.identity,
);

const FileDigestCodec = t.type({ sha256: Sha256Hex, bytes: ByteCount });

export const IntegrityCodec = t.type({
  algorithm: t.literal(INTEGRITY_ALGORITHM),
  manifest: Sha256Hex,
  files: t.record(t.string, FileDigestCodec),
});

export type Integrity = t.TypeOf<typeof IntegrityCodec>;

export const sha256Hex = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');

/** RFC 8785 canonical JSON of a parsed JSON value (objects' keys sorted by UTF-16 code units). */
export const canonicalJson = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record)
      .filter((k) => record[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
};

/** The parsed manifest without its integrity record. */
export const withoutIntegrity = (manifest: Readonly<Record<string, unknown>>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(manifest).filter(([k]) => k !== INTEGRITY_FIELD));

/** The digest of a manifest's content (its JSON data, `integrity` left out). */
export const manifestDigest = (manifest: Readonly<Record<string, unknown>>): string => sha256Hex(canonicalJson(withoutIntegrity(manifest)));

/**
 * The integrity record for a manifest (its JSON data, as it will be parsed back) and the other
 * files of the directory (name → exact bytes).
 */
export const integrityRecord = (manifest: Readonly<Record<string, unknown>>, files: Readonly<Record<string, Uint8Array>>): Integrity => ({
  algorithm: INTEGRITY_ALGORITHM,
  manifest: manifestDigest(manifest),
  files: Object.fromEntries(
    Object.keys(files)
      .sort()
      .map((name) => [name, { sha256: sha256Hex(files[name] as Uint8Array), bytes: (files[name] as Uint8Array).length }]),
  ),
});

/** A file of the model's directory (no path: a record cannot point elsewhere). */
const PLAIN_FILE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

const RECOMPILE = 'recompile the model with `raspc compile`';

/**
 * Checks a directory against the integrity record of its parsed manifest: the record is there and
 * well-formed, it lists every file in `required`, the manifest's content matches its digest, and
 * every listed file (read with `read`, which returns undefined for a missing file) has the
 * recorded size and digest. The first problem, as one diagnostic naming the file.
 */
export const checkIntegrity = (
  dir: string,
  manifestFile: string,
  manifest: Readonly<Record<string, unknown>>,
  required: readonly string[],
  read: (name: string) => Uint8Array | undefined,
): Either.Either<Diagnostic, Integrity> => {
  const manifestPath = join(dir, manifestFile);
  const raw = manifest[INTEGRITY_FIELD];
  if (raw === undefined) {
    return Either.left(
      diagnostic('model/no-integrity', `${manifestPath} has no integrity record (SHA-256 digests of the model files): the model was written by an older raspc or its manifest was edited`, {
        fix: RECOMPILE,
      }),
    );
  }
  const decoded = IntegrityCodec.decode(raw);
  if (Either.isLeft(decoded)) {
    return Either.left(diagnostic('model/bad-integrity', `${manifestPath}: the integrity record is malformed (${JSON.stringify(raw).slice(0, 80)})`, { fix: RECOMPILE }));
  }
  const record = decoded.right;
  const elsewhere = Object.keys(record.files).find((name) => !PLAIN_FILE_NAME.test(name));
  if (elsewhere !== undefined) {
    return Either.left(diagnostic('model/bad-integrity', `${manifestPath}: the integrity record names ${JSON.stringify(elsewhere)}, not a file of this directory`, { fix: RECOMPILE }));
  }
  const missing = required.find((name) => record.files[name] === undefined);
  if (missing !== undefined) {
    return Either.left(diagnostic('model/bad-integrity', `${manifestPath}: the integrity record has no digest of ${missing}`, { fix: RECOMPILE }));
  }
  if (manifestDigest(manifest) !== record.manifest) {
    return Either.left(
      diagnostic('model/edited', `${manifestPath} was edited after compilation: its content does not match the SHA-256 digest it records`, {
        fix: `${RECOMPILE} (edited models are refused: every number in the manifest decides how the weights are read)`,
      }),
    );
  }
  for (const name of Object.keys(record.files).sort()) {
    const expected = record.files[name] as t.TypeOf<typeof FileDigestCodec>;
    const path = join(dir, name);
    const bytes = read(name);
    if (bytes === undefined) {
      return Either.left(diagnostic('model/missing-file', `${path}: no such file (the manifest's integrity record lists it)`, { fix: RECOMPILE }));
    }
    if (bytes.length !== expected.bytes) {
      return Either.left(
        diagnostic('model/edited', `${path} has ${bytes.length} bytes where the manifest records ${expected.bytes}: it was truncated or changed after compilation`, {
          fix: RECOMPILE,
        }),
      );
    }
    if (sha256Hex(bytes) !== expected.sha256) {
      return Either.left(
        diagnostic('model/edited', `${path} was changed after compilation: its SHA-256 digest is not the one ${manifestFile} records`, { fix: RECOMPILE }),
      );
    }
  }
  return Either.right(record);
};
