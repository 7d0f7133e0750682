/**
 * What the three files of a compiled model must agree on, checked when a model is read (after
 * each file was found well-formed on its own): the weights are finite and belong to the program
 * the manifest names, and every dimension of config.json matches what the manifest says the
 * model computes. Each problem is one diagnostic naming the file and the field.
 */
import { isNumberLike, toNumber, type Value } from '../ast/value.js';
import { diagnostic, type Diagnostic } from '../diagnostics.js';
import { canonicalJson } from './integrity.js';
import { BOS_ID, MODEL_FORMAT, PAD_ID, parameterCount, type Manifest, type ModelConfig, type Tensor32 } from './model.js';

export interface ModelPaths {
  readonly config: string;
  readonly manifest: string;
  readonly weights: string;
}

const RECOMPILE = 'the model files do not belong together or were edited; recompile with `raspc compile`';

/** The first non-finite weight, as a diagnostic naming the tensor and the element. */
export const nonFiniteWeight = (tensors: ReadonlyMap<string, Tensor32>, weightsPath: string): Diagnostic | undefined => {
  for (const [name, tensor] of tensors) {
    const data = tensor.data;
    for (let i = 0; i < data.length; i++) {
      const x = data[i] as number;
      if (!Number.isFinite(x)) {
        return diagnostic('model/non-finite', `${weightsPath}: tensor ${name} holds ${x} at element ${i} (shape [${tensor.shape.join(', ')}]): the file is damaged`, {
          fix: 'recompile the model with `raspc compile`',
        });
      }
    }
  }
  return undefined;
};

/** The safetensors metadata the writer records: the model format and the program's hash. */
export const weightsMetadataProblem = (metadata: Readonly<Record<string, string>>, manifest: Manifest, paths: ModelPaths): Diagnostic | undefined => {
  if (metadata['format'] !== MODEL_FORMAT) {
    return diagnostic('model/foreign-weights', `${paths.weights} was not written by raspc compile (its metadata format is ${JSON.stringify(metadata['format'] ?? null)})`, {
      fix: RECOMPILE,
    });
  }
  if (metadata['program'] !== manifest.program.hash) {
    return diagnostic('model/foreign-weights', `${paths.weights} holds the weights of another program than ${paths.manifest} names (program hash ${String(metadata['program']).slice(0, 12)}…)`, {
      fix: RECOMPILE,
    });
  }
  return undefined;
};

/** A key under which equal vocabulary values (as the runtime compares them) coincide. */
const valueKey = (v: Value): string => (isNumberLike(v) ? `n:${toNumber(v)}` : canonicalJson(v));

const sameValue = (a: unknown, b: Value): boolean => a !== '<bos>' && a !== '<pad>' && valueKey(a as Value) === valueKey(b);

/** Every way config.json and manifest.json disagree (empty when they agree). */
export const configManifestProblems = (config: ModelConfig, manifest: Manifest, paths: ModelPaths): Diagnostic[] => {
  const problems: Diagnostic[] = [];
  const disagree = (what: string, inConfig: string, inManifest: string): void => {
    problems.push(diagnostic('model/inconsistent', `${paths.config} and ${paths.manifest} disagree on ${what}: ${inConfig} in config.json, ${inManifest} in the manifest`, { fix: RECOMPILE }));
  };
  const { bounds, tokens, output } = manifest;
  if (config.causal !== bounds.causal) disagree('causality', `causal: ${config.causal}`, `bounds.causal: ${bounds.causal}`);
  if (config.n_ctx !== bounds.maxLen + 1) disagree('the number of positions', `n_ctx: ${config.n_ctx}`, `bounds.maxLen: ${bounds.maxLen} (n_ctx must be maxLen + 1)`);
  if (config.d_vocab !== bounds.vocab.length + 2) disagree('the vocabulary size', `d_vocab: ${config.d_vocab}`, `${bounds.vocab.length} tokens in bounds.vocab (d_vocab must be that + 2, for BOS and PAD)`);
  if (config.d_vocab !== tokens.length) disagree('the token table', `d_vocab: ${config.d_vocab}`, `${tokens.length} entries in tokens`);
  if (config.d_model !== manifest.residual.length) disagree('the residual width', `d_model: ${config.d_model}`, `${manifest.residual.length} residual directions`);
  const width = output.encoding === 'categorical' ? output.values.length : 1;
  if (config.d_vocab_out !== width) {
    disagree('the output width', `d_vocab_out: ${config.d_vocab_out}`, output.encoding === 'categorical' ? `${width} categorical output values` : 'a numerical output (one logit)');
  }
  if (manifest.parameters !== parameterCount(config)) disagree('the parameter count', `${parameterCount(config)} parameters by its dimensions`, `parameters: ${manifest.parameters}`);
  if (manifest.allocation.layers !== config.n_layers) disagree('the number of layers', `n_layers: ${config.n_layers}`, `allocation.layers: ${manifest.allocation.layers}`);
  if (problems.length > 0) return problems;

  const bad = (message: string): void => {
    problems.push(diagnostic('model/bad-manifest', `${paths.manifest}: ${message}`, { fix: RECOMPILE }));
  };
  const keys = bounds.vocab.map(valueKey);
  const duplicate = keys.findIndex((k, i) => keys.indexOf(k) !== i);
  if (duplicate >= 0) bad(`bounds.vocab lists ${JSON.stringify(bounds.vocab[duplicate])} twice`);
  const wantToken = (i: number): unknown => (i === BOS_ID ? '<bos>' : i === PAD_ID ? '<pad>' : bounds.vocab[i - 2]);
  const wrong = tokens.findIndex((entry, i) => entry.id !== i || (i < 2 ? entry.token !== wantToken(i) : !sameValue(entry.token, wantToken(i) as Value)));
  if (wrong >= 0) bad(`tokens[${wrong}] is ${JSON.stringify(tokens[wrong])}, expected {"id": ${wrong}, "token": ${JSON.stringify(wantToken(wrong))}}`);
  if (output.encoding === 'numerical' && !output.values.every(isNumberLike)) bad('output.values of a numerical output must be numbers');
  if (!(output.tolerance > 0 && Number.isFinite(output.tolerance))) bad(`output.tolerance is ${output.tolerance}; it must be a positive number`);
  for (const node of manifest.nodes) {
    for (const stage of node.stages) {
      const where = `node ${node.label}: its ${stage.sublayer} stage in layer ${stage.layer}`;
      if (stage.layer >= config.n_layers) bad(`${where} is beyond the model's ${config.n_layers} layers`);
      else if (stage.head !== undefined && stage.head >= config.n_heads) bad(`${where} uses head ${stage.head} of ${config.n_heads}`);
      else if (stage.units !== undefined && (stage.units[0] > stage.units[1] || stage.units[1] > config.d_mlp)) {
        bad(`${where} uses MLP units ${stage.units[0]}..${stage.units[1]} of ${config.d_mlp}`);
      }
    }
  }
  return problems;
};
