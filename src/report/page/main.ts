/**
 * The script of the HTML report, bundled into the page at build time (src/report/pageBundle.ts):
 * it reads the weights embedded in `<script id="raspc-model" type="application/json">`, runs the
 * input typed into the box through the compiled-model forward pass (src/model/forward.ts, the
 * one the CLI and the verifier run), decodes it, and draws the residual and attention tables.
 */
import { decodeLogits, isUndecodable, type Decoded } from '../../model/decode.js';
import { PreparedModel, type Trace } from '../../model/forward.js';
import type { ModelConfig, OutputDecoding, Tensor32 } from '../../model/model.js';
import type { Value } from '../../ast/value.js';
import { table } from './table.js';

/** What html.ts embeds (reportHtml's `embedded`). */
interface Embedded {
  readonly config: ModelConfig;
  readonly vocab: readonly Value[];
  readonly maxLen: number;
  readonly residual: readonly string[];
  readonly output: OutputDecoding;
  /** `layer:head` → the label of the node that head computes. */
  readonly heads: Readonly<Record<string, string>>;
  readonly tensors: Readonly<Record<string, { readonly shape: readonly number[]; readonly base64: string }>>;
}

const byId = <E extends HTMLElement>(id: string): E => {
  const e = document.getElementById(id);
  if (e === null) throw new Error(`bug: the report page has no #${id}`);
  return e as E;
};

const float32 = (base64: string): Float32Array => {
  const bin = atob(base64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Float32Array(bytes.buffer);
};

const embedded = JSON.parse(byId('raspc-model').textContent ?? '') as Embedded;
const tensors = new Map<string, Tensor32>(Object.entries(embedded.tensors).map(([name, t]) => [name, { shape: t.shape, data: float32(t.base64) }]));
const prepared = new PreparedModel({ config: embedded.config, tensors });
const d = embedded.config.d_model;

/** The id of a typed token (BOS 0, PAD 1, then the vocabulary), or -1. */
const tokenId = (text: string): number => {
  const i = embedded.vocab.findIndex((v) => String(v) === text);
  return i < 0 ? -1 : i + 2;
};

const show = (v: Decoded): string => (isUndecodable(v) ? '?' : v === null ? 'None' : String(v));

const run = (): void => {
  const text = byId<HTMLInputElement>('raspc-input').value.trim();
  const error = byId('raspc-error');
  const output = byId('raspc-output');
  error.textContent = '';
  output.textContent = '';
  const tokens = text === '' ? [] : text.split(/\s+/);
  if (tokens.length === 0 || tokens.length > embedded.maxLen) {
    error.textContent = `give 1 to ${embedded.maxLen} tokens`;
    return;
  }
  const ids = [0];
  for (const t of tokens) {
    const id = tokenId(t);
    if (id < 0) {
      error.textContent = `token ${t} is not in the vocabulary {${embedded.vocab.join(', ')}}`;
      return;
    }
    ids.push(id);
  }
  const trace: Trace = { residuals: [], attention: [] };
  const residualOut = prepared.run(Int32Array.from(ids), trace);
  output.textContent = decodeLogits(prepared.logits(residualOut), tokens.length, embedded.output).map(show).join(' ');
  const positions = ['<bos>', ...tokens].map((t, i) => `${i} ${t}`);
  const stages = ['embed'];
  for (let l = 0; l < embedded.config.n_layers; l++) stages.push(`layer ${l} attn`, `layer ${l} mlp`);
  byId('raspc-residual').replaceChildren(
    ...trace.residuals.map((x, s) => table(`residual after ${stages[s] ?? ''}`, positions, embedded.residual, (a, b) => x[a * d + b] ?? 0, 1)),
  );
  const attention = byId('raspc-attention');
  attention.replaceChildren();
  trace.attention.forEach((patterns, l) => {
    const live = prepared.liveHeads(l);
    patterns.forEach((p, i) => {
      const h = live[i];
      const node = embedded.heads[`${l}:${h}`];
      if (node === undefined) return;
      attention.appendChild(table(`layer ${l} head ${h} (${node}): query × key`, positions, positions, (a, b) => p[a * ids.length + b] ?? 0, 1));
    });
  });
};

byId('raspc-run').addEventListener('click', run);
byId('raspc-input').addEventListener('keydown', (e) => {
  if (e.key === 'Enter') run();
});
