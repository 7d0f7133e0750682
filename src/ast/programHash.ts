import { createHash } from 'node:crypto';
import * as Either from 'fp-ts/lib/Either.js';
import { encodeProgram } from './codec.js';
import { structuralHash } from './label.js';
import type { SOp } from './program.js';

/** A program's hash: SHA-256 of its JSON form (or of its structural hash if it has opaque functions). */
export const programHash = (program: SOp): string => {
  const json = encodeProgram(program);
  const text = Either.isRight(json) ? JSON.stringify(json.right) : `opaque:${structuralHash(program)}`;
  return createHash('sha256').update(text).digest('hex');
};
