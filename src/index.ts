/**
 * The raspc library API: build or parse a program, interpret it, check and compile it for bounds,
 * run the compiled model, verify it, export it, draw it. Every step returns an fp-ts Either of
 * diagnostics or its result (README: "The library API").
 */
export * as D from './ast/dsl.js';
export type { SOp, Selector } from './ast/program.js';
export type { Value } from './ast/value.js';
export { parseProgram } from './ast/parser/index.js';
export { printProgram } from './ast/printer.js';
export { decodeProgram, encodeProgram } from './ast/codec.js';
export type { Diagnostic } from './diagnostics.js';
export { evaluate } from './interpreter/evaluate.js';
export { makeBounds, MAX_LENGTH, MAX_VOCABULARY, type Bounds } from './typecheck/bounds.js';
export { typecheck } from './passes/compile.js';
export { checkSize, DEFAULT_MAX_PARAMS, estimateCompiledSize, estimateSize, type SizeEstimate } from './typecheck/sizeEstimate.js';
export { compile as compileUnverified, type Compilation, type CompileOptions } from './passes/compile.js';
export { compileCertified as compile } from './passes/compile.js';
export { certifyCompilation, type CertifiedCompilation } from './passes/certify.js';
export type { CompiledModel } from './model/model.js';
export { runModel } from './model/run.js';
export { readModel, writeModel, modelFiles, unverifiedWarning } from './model/files.js';
export { verify, type VerifyOptions, type VerifyResult } from './passes/verifyProgram.js';
export { certificateJson, type Certificate } from './proofs/certificate.js';
export { exportFiles, EXPORT_FORMATS, type ExportFormat } from './export/index.js';
export { pictureSpec, PICTURES, type PictureKind } from './pictures/index.js';
export { renderSvg, svgToPng } from './pictures/render.js';
export { REGISTRY, findEntry } from './lib/index.js';
export { decompileModel, type Decompiled, type DecompileFormat } from './decompile/decompileModel.js';
export { readGpt2, writeGpt2 } from './nn/gpt2Files.js';
export { printDrasp } from './decompile/drasp/printer.js';
export { runDrasp } from './decompile/drasp/interpreter.js';
export { taskByName, taskNames } from './tasks/registry.js';
export { type Task } from './tasks/task.js';
export { trainGpt2, TRAIN_DEFAULTS } from './train/trainGpt2.js';
export type { TrainSettings } from './nn/trainedModel.js';
export { checkTrainSettings, checkTrainSize, TRAIN_LIMITS } from './train/trainLimits.js';
export { accuracyByBin, LENGTH_BINS } from './nn/evaluate.js';
export { decompilePruned } from './decompile/prune/decompilePruned.js';
export { pruneModel, PRUNE_DEFAULTS, type PruneSettings, type PruneResult } from './decompile/prune/prune.js';
