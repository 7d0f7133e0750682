/**
 * The script of the HTML report: a small dense forward pass over the weights embedded in the page
 * (the conventions of src/model/model.ts), decoding, and the residual / attention tables for the
 * input typed into the box. Plain browser JavaScript, kept as text here; it reads
 * `<script id="raspc-model" type="application/json">`.
 */
export const PAGE_SCRIPT = String.raw`
(function () {
  const model = JSON.parse(document.getElementById('raspc-model').textContent);
  const c = model.config;
  const tensors = {};
  for (const [name, t] of Object.entries(model.tensors)) {
    const bin = atob(t.base64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    tensors[name] = new Float32Array(bytes.buffer);
  }
  const d = c.d_model, H = c.n_heads, dh = c.d_head, m = c.d_mlp;

  function tokenId(text) {
    for (let i = 0; i < model.vocab.length; i++) {
      const v = model.vocab[i];
      if (String(v) === text) return i + 2;
    }
    return -1;
  }

  function forward(ids) {
    const T = ids.length;
    const WE = tensors['embed.W_E'], WP = tensors['pos_embed.W_pos'];
    let x = new Float64Array(T * d);
    for (let t = 0; t < T; t++) for (let j = 0; j < d; j++) x[t * d + j] = WE[ids[t] * d + j] + WP[t * d + j];
    const residuals = [x.slice()];
    const attention = [];
    for (let l = 0; l < c.n_layers; l++) {
      const p = 'blocks.' + l;
      const WQ = tensors[p + '.attn.W_Q'], WK = tensors[p + '.attn.W_K'], WV = tensors[p + '.attn.W_V'], WO = tensors[p + '.attn.W_O'];
      const bQ = tensors[p + '.attn.b_Q'], bK = tensors[p + '.attn.b_K'], bV = tensors[p + '.attn.b_V'], bO = tensors[p + '.attn.b_O'];
      const delta = new Float64Array(T * d);
      const patterns = [];
      for (let h = 0; h < H; h++) {
        const proj = (W, b) => {
          const out = new Float64Array(T * dh);
          for (let t = 0; t < T; t++) for (let k = 0; k < dh; k++) {
            let s = b[h * dh + k];
            for (let i = 0; i < d; i++) s += x[t * d + i] * W[(h * d + i) * dh + k];
            out[t * dh + k] = s;
          }
          return out;
        };
        const q = proj(WQ, bQ), kk = proj(WK, bK), v = proj(WV, bV);
        const pattern = new Float64Array(T * T);
        for (let a = 0; a < T; a++) {
          let max = -Infinity;
          const last = c.causal ? a : T - 1;
          for (let b = 0; b <= last; b++) {
            let s = 0;
            for (let k = 0; k < dh; k++) s += q[a * dh + k] * kk[b * dh + k];
            s /= c.attn_scale;
            pattern[a * T + b] = s;
            if (s > max) max = s;
          }
          let sum = 0;
          for (let b = 0; b <= last; b++) { pattern[a * T + b] = Math.exp(pattern[a * T + b] - max); sum += pattern[a * T + b]; }
          for (let b = 0; b < T; b++) pattern[a * T + b] = b <= last ? pattern[a * T + b] / sum : 0;
          for (let k = 0; k < dh; k++) {
            let z = 0;
            for (let b = 0; b <= last; b++) z += pattern[a * T + b] * v[b * dh + k];
            if (z !== 0) for (let i = 0; i < d; i++) delta[a * d + i] += z * WO[(h * dh + k) * d + i];
          }
        }
        patterns.push(pattern);
      }
      for (let t = 0; t < T; t++) for (let i = 0; i < d; i++) x[t * d + i] += delta[t * d + i] + bO[i];
      attention.push(patterns);
      residuals.push(x.slice());
      const Win = tensors[p + '.mlp.W_in'], bin = tensors[p + '.mlp.b_in'], Wout = tensors[p + '.mlp.W_out'], bout = tensors[p + '.mlp.b_out'];
      const next = x.slice();
      for (let t = 0; t < T; t++) {
        for (let u = 0; u < m; u++) {
          let z = bin[u];
          for (let i = 0; i < d; i++) z += x[t * d + i] * Win[i * m + u];
          if (z > 0) for (let i = 0; i < d; i++) next[t * d + i] += z * Wout[u * d + i];
        }
        for (let i = 0; i < d; i++) next[t * d + i] += bout[i];
      }
      x = next;
      residuals.push(x.slice());
    }
    const WU = tensors['unembed.W_U'], bU = tensors['unembed.b_U'];
    const w = c.d_vocab_out;
    const logits = new Float64Array(T * w);
    for (let t = 0; t < T; t++) for (let j = 0; j < w; j++) {
      let s = bU[j];
      for (let i = 0; i < d; i++) s += x[t * d + i] * WU[i * w + j];
      logits[t * w + j] = s;
    }
    return { logits, residuals, attention };
  }

  function decode(logits, T) {
    const out = model.output, w = c.d_vocab_out, result = [];
    for (let t = 1; t < T; t++) {
      if (out.encoding === 'categorical') {
        let best = 0;
        for (let j = 1; j < w; j++) if (logits[t * w + j] > logits[t * w + best]) best = j;
        result.push(logits[t * w + best] >= out.tolerance ? out.values[best] : null);
      } else {
        const v = logits[t * w];
        let best = 0;
        for (let j = 1; j < out.values.length; j++) if (Math.abs(out.values[j] - v) < Math.abs(out.values[best] - v)) best = j;
        result.push(Math.abs(out.values[best] - v) <= out.tolerance ? out.values[best] : '?');
      }
    }
    return result;
  }

  const show = (v) => (v === null ? 'None' : String(v));

  // Every label (tokens, values, direction names) is put in as text, never parsed as markup.
  function element(tag, text) {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function table(title, rows, cols, value, scale) {
    const block = document.createDocumentFragment();
    block.appendChild(element('h4', title));
    const grid = element('table');
    grid.className = 'grid';
    const header = element('tr');
    header.appendChild(element('th'));
    for (const col of cols) header.appendChild(element('th', col));
    grid.appendChild(header);
    rows.forEach((r, a) => {
      const row = element('tr');
      row.appendChild(element('th', r));
      cols.forEach((_, b) => {
        const v = value(a, b);
        const alpha = Math.min(1, Math.abs(v) / scale);
        const cell = element('td', Math.abs(v) >= 0.005 ? v.toFixed(2) : '');
        cell.style.background = v >= 0 ? 'rgba(200,30,30,' + alpha + ')' : 'rgba(30,60,200,' + alpha + ')';
        cell.title = v.toFixed(4);
        row.appendChild(cell);
      });
      grid.appendChild(row);
    });
    block.appendChild(grid);
    return block;
  }

  function run() {
    const text = document.getElementById('raspc-input').value.trim();
    const error = document.getElementById('raspc-error');
    const output = document.getElementById('raspc-output');
    error.textContent = '';
    output.textContent = '';
    const tokens = text === '' ? [] : text.split(/\s+/);
    if (tokens.length === 0 || tokens.length > model.maxLen) { error.textContent = 'give 1 to ' + model.maxLen + ' tokens'; return; }
    const ids = [0];
    for (const t of tokens) {
      const id = tokenId(t);
      if (id < 0) { error.textContent = 'token ' + t + ' is not in the vocabulary {' + model.vocab.join(', ') + '}'; return; }
      ids.push(id);
    }
    const r = forward(ids);
    output.textContent = decode(r.logits, ids.length).map(show).join(' ');
    const positions = ['<bos>'].concat(tokens).map((t, i) => i + ' ' + t);
    const stages = ['embed'];
    for (let l = 0; l < c.n_layers; l++) stages.push('layer ' + l + ' attn', 'layer ' + l + ' mlp');
    const residual = document.getElementById('raspc-residual');
    residual.replaceChildren(...r.residuals.map((x, s) => table('residual after ' + stages[s], positions, model.residual, (a, b) => x[a * d + b], 1)));
    const attention = document.getElementById('raspc-attention');
    attention.replaceChildren();
    r.attention.forEach((patterns, l) => patterns.forEach((p, h) => {
      const node = model.heads[l + ':' + h];
      if (node === undefined) return;
      attention.appendChild(table('layer ' + l + ' head ' + h + ' (' + node + '): query × key', positions, positions, (a, b) => p[a * ids.length + b], 1));
    }));
  }

  document.getElementById('raspc-run').addEventListener('click', run);
  document.getElementById('raspc-input').addEventListener('keydown', (e) => { if (e.key === 'Enter') run(); });
  window.raspcForward = forward;
})();
`;
