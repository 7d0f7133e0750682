/**
 * The JSON export for other tools: the compiled program (the io-ts program codec's JSON, as
 * lowered after the compiler's rewrites), the model configuration and the manifest (what every
 * residual direction means, the layer allocation, the output decoding) in one file.
 */
import type { CompiledModel } from '../model/model.js';

export const JSON_EXPORT_FILE = 'raspc.json';
export const JSON_EXPORT_FORMAT = 'raspc-json-export';

export const programJsonFiles = (model: CompiledModel): Record<string, Uint8Array> => {
  const doc = {
    format: JSON_EXPORT_FORMAT,
    version: 1,
    program: model.manifest.program.compiled ?? null,
    config: model.config,
    manifest: model.manifest,
  };
  return { [JSON_EXPORT_FILE]: new TextEncoder().encode(`${JSON.stringify(doc, null, 2)}\n`) };
};
