/** `raspc export`: a compiled model in another format, as files (name → bytes). */
import type { CompiledModel } from '../model/model.js';
import { onnxModel } from './onnx.js';
import { programJsonFiles } from './programJson.js';
import { transformerLensFiles } from './transformerLens.js';

export const EXPORT_FORMATS = ['tl', 'onnx', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const isExportFormat = (s: string): s is ExportFormat => (EXPORT_FORMATS as readonly string[]).includes(s);

export const ONNX_FILE = 'model.onnx';

export const exportFiles = (model: CompiledModel, format: ExportFormat): Record<string, Uint8Array> => {
  switch (format) {
    case 'tl':
      return transformerLensFiles(model);
    case 'onnx':
      return { [ONNX_FILE]: onnxModel(model) };
    case 'json':
      return programJsonFiles(model);
  }
};
