/**
 * The one-file HTML report: the program, its DAG on the layer allocation, the compiled model's
 * size and layer diagram, the certificate, and an input box that runs the model in the page over
 * the embedded weights (page/main.ts, bundled with the forward pass: pageBundle.ts) and shows the decoded output, the residual stream and the
 * attention patterns. Self-contained: no network, no external files.
 */
import type { Certificate } from '../proofs/certificate.js';
import type { CompiledModel } from '../model/model.js';
import { pageScript } from './pageBundle.js';

export interface ReportInput {
  readonly title: string;
  readonly programText: string;
  readonly model: CompiledModel;
  readonly certificate: Certificate;
  /** The DAG picture (SVG markup). */
  readonly dagSvg: string;
  /** An input filled into the box to start with. */
  readonly exampleInput: string;
}

/** Text (file names, program source, labels, tokens, notes) as HTML text or a quoted attribute value. */
const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** JSON safe inside a <script> element: no `<` at all, so no `</script>` or `<!--` can end or change it. */
const scriptJson = (x: unknown): string => JSON.stringify(x).replace(/</g, '\\u003c');

const base64 = (data: Float32Array): string => Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');

const layerDiagram = (model: CompiledModel): string => {
  const rows = Array.from({ length: model.config.n_layers }, (_, l) => {
    const at = (sublayer: 'attn' | 'mlp'): string =>
      model.manifest.nodes
        .flatMap((n) => n.stages.filter((s) => s.layer === l && s.sublayer === sublayer).map((s) => `${escape(n.label)} <small>(${escape(s.role)}${s.head !== undefined ? `, head ${s.head}` : ''}${s.units ? `, units ${s.units[0]}–${s.units[1] - 1}` : ''})</small>`))
        .join('<br>') || '<small>—</small>';
    return `<tr><th>layer ${l}</th><td>${at('attn')}</td><td>${at('mlp')}</td></tr>`;
  });
  return `<table class="layers"><tr><th></th><th>attention</th><th>MLP</th></tr>${rows.join('')}</table>`;
};

export const reportHtml = (r: ReportInput): string => {
  const { config, manifest } = r.model;
  const heads: Record<string, string> = {};
  for (const n of manifest.nodes) for (const s of n.stages) if (s.sublayer === 'attn' && s.head !== undefined) heads[`${s.layer}:${s.head}`] = n.label;
  const embedded = {
    config,
    vocab: manifest.bounds.vocab,
    maxLen: manifest.bounds.maxLen,
    residual: manifest.residual.map((x) => x.name),
    output: manifest.output,
    heads,
    tensors: Object.fromEntries([...r.model.tensors].map(([name, t]) => [name, { shape: t.shape, base64: base64(t.data) }])),
  };
  const verdictClass = r.certificate.verdict === 'verified' ? 'ok' : 'bad';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escape(r.title)} — raspc report</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #ddd; padding: 2px 6px; font-size: 12px; text-align: left; vertical-align: top; }
table.grid td { width: 2.2em; text-align: center; font-size: 10px; }
.ok { color: #1a7f37; font-weight: bold; } .bad { color: #c62828; font-weight: bold; }
#raspc-output { font-size: 1.4em; font-family: monospace; }
#raspc-error { color: #c62828; }
.scroll { overflow-x: auto; }
</style>
</head>
<body>
<h1>${escape(r.title)}</h1>

<h2>Run the model</h2>
<p>Tokens separated by spaces, from {${manifest.bounds.vocab.map((v) => escape(String(v))).join(', ')}}, at most ${manifest.bounds.maxLen}. The page runs the compiled weights below (no server).</p>
<p><input id="raspc-input" size="40" value="${escape(r.exampleInput)}"> <button id="raspc-run">Run</button></p>
<p>output: <span id="raspc-output"></span> <span id="raspc-error"></span></p>
<details><summary>Residual stream after each sublayer</summary><div id="raspc-residual" class="scroll"></div></details>
<details><summary>Attention patterns</summary><div id="raspc-attention" class="scroll"></div></details>

<h2>Program</h2>
<pre id="raspc-program">${escape(r.programText)}</pre>

<h2>Program DAG on its layers</h2>
<div class="scroll">${r.dagSvg}</div>

<h2>Compiled model</h2>
<table>
<tr><th>layers</th><td>${config.n_layers} (lower bound ${manifest.allocation.layerLowerBound})</td></tr>
<tr><th>heads per layer</th><td>${config.n_heads}</td></tr>
<tr><th>d_model / d_head / MLP width</th><td>${config.d_model} / ${config.d_head} / ${config.d_mlp}</td></tr>
<tr><th>parameters</th><td id="raspc-parameters">${manifest.parameters.toLocaleString('en-US')}</td></tr>
<tr><th>bounds</th><td>vocabulary {${manifest.bounds.vocab.map((v) => escape(String(v))).join(', ')}}, max length ${manifest.bounds.maxLen}${manifest.bounds.causal ? ', causal' : ''}</td></tr>
</table>
${layerDiagram(r.model)}
${manifest.notes.length > 0 ? `<ul>${manifest.notes.map((n) => `<li>${escape(n)}</li>`).join('')}</ul>` : ''}

<h2>Certificate</h2>
<p>verdict: <span id="raspc-verdict" class="${verdictClass}">${escape(r.certificate.verdict)}</span> (method ${escape(r.certificate.method)}): ${escape(r.certificate.claim ?? '')}</p>
<details><summary>certificate JSON</summary><pre>${escape(JSON.stringify(r.certificate, null, 2))}</pre></details>

<script id="raspc-model" type="application/json">${scriptJson(embedded)}</script>
<script>${pageScript()}</script>
</body>
</html>
`;
};
