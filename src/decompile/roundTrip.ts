/**
 * Decompiling this project's compiled models back into RASP: the compiler's blocks are recognised
 * from the weights. What is used: the tensors, the labelled residual basis (each direction's s-op
 * label and, for one-hot directions, its value: the basis a compiled model is read in) and the
 * bounds. Not used: the manifest's node list, stage placements or stored program.
 *
 * - embeddings: `tokens` / `indices`, or a map of them (a table read from W_E / W_pos rows);
 * - a head whose OV circuit copies one-hot directions → a categorical `aggregate`; one numerical
 *   direction → a numerical `aggregate`; only BOS into a direction without a value → the first
 *   step of a `selector_width`. Its QK circuit, evaluated on every (query value, key value) pair
 *   and on the BOS key, gives the selection table (selected: above BOS's logit for aggregates,
 *   tied with it for widths), printed as a named comparison when one matches, else as a table;
 * - MLP units grouped by the label they write: a group reading a width head's output is the
 *   width's second step; any other group is evaluated on every value of its inputs and becomes a
 *   `map` / `sequence_map` with a lookup table (values of numerical inputs come from value-set
 *   inference over the program recovered so far). Units active only at BOS (clean-up) are skipped.
 */
import * as Either from 'fp-ts/lib/Either.js';
import * as D from '../ast/dsl.js';
import * as E from '../ast/expr.js';
import { applyPredicate } from '../ast/apply.js';
import { COMPARISONS, topologicalOrder, type Comparison, type Selector, type SOp } from '../ast/program.js';
import { canonicalNumber, canonicalValue, valueEquals, type Value } from '../ast/value.js';
import { diagnostic, type Diagnostic } from '../diagnostics.js';
import type { CompiledModel } from '../model/model.js';
import { buildGraph } from '../ast/graph.js';
import { decodeSpace, ModelView, type SpaceView } from '../model/view.js';
import { combinations } from '../util/combinations.js';
import { makeBounds, type Bounds } from '../typecheck/bounds.js';
import { inferValueSets } from '../typecheck/inferValueSets.js';

/** Largest selection or lookup table recovered (rows). */
export const MAX_TABLE = 200_000;

export interface RecoveredProgram {
  readonly program: SOp;
  readonly bounds: Bounds;
  /** Operations (s-ops and selectors other than tokens and indices). */
  readonly size: number;
  /** Heads and MLP groups recognised, and what they became. */
  readonly blocks: readonly string[];
}

const EPS = 1e-6;

/** Number of operations of a program: s-ops and selectors other than tokens and indices. */
export const programSize = (program: SOp): number => topologicalOrder([program]).filter((n) => n.kind !== 'tokens' && n.kind !== 'indices').length;

const fail = (message: string, fix?: string): Either.Either<readonly Diagnostic[], never> =>
  Either.left([diagnostic('decompile/unrecognised', message, fix ? { fix } : {})]);

/** The lookup table as an expression over `arg` (entries keyed by value or by tuple). */
const tableFn = (params: readonly string[], entries: readonly (readonly [Value, Value])[]): E.Expr => {
  const arg = params.length === 1 ? E.v(params[0] as string) : E.tuple(params.map((p) => E.v(p)));
  return E.table(entries, arg);
};

class Recovery {
  readonly view: ModelView;
  readonly sops = new Map<string, SOp>();
  readonly blocks: string[] = [];
  /** Width heads' outputs: aux label → the selector counted. */
  readonly widths = new Map<string, Selector>();

  constructor(
    readonly model: CompiledModel,
    readonly bounds: Bounds,
  ) {
    this.view = new ModelView(model);
  }

  space(label: string): SpaceView {
    const s = this.view.space(label);
    if (s === undefined) throw new Error(`bug: no space ${label}`);
    return s;
  }

  /** Labels of the residual indices where `f` is non-zero (excluding one, bos and pad). */
  labelsWhere(f: (i: number) => boolean): string[] {
    const out = new Set<string>();
    this.model.manifest.residual.forEach((r, i) => {
      if (r.label !== 'one' && r.label !== 'bos' && r.label !== 'pad' && f(i)) out.add(r.label);
    });
    return [...out];
  }

  /** Every value an input space can hold: its directions' values and None (one-hot), or the inferred set. */
  domain(label: string): Either.Either<readonly Diagnostic[], Value[]> {
    const s = this.space(label);
    // None needs no row: a map of None is None (docs/semantics.md)
    if (s.representation === 'categorical') return Either.right(s.values.map((v) => canonicalValue(v as Value)));
    const sop = this.sops.get(label);
    if (sop === undefined) return fail(`${label} is read before anything writes it`);
    const graph = buildGraph(sop);
    if (Either.isLeft(graph)) return graph;
    const sets = inferValueSets(graph.right, this.bounds);
    if (Either.isLeft(sets)) {
      return sets;
    }
    const set = sets.right.valueSets.get(graph.right.output);
    if (set === undefined) return fail(`no value set for ${label}`);
    return Either.right([...set.values]);
  }

  embeddings(): Either.Either<readonly Diagnostic[], void> {
    const c = this.model.config;
    const d = c.d_model;
    const we = this.view.tensor('embed.W_E').data;
    const wpos = this.view.tensor('pos_embed.W_pos').data;
    const vocab = this.bounds.vocab;
    const tokenLabels = this.labelsWhere((i) => vocab.some((_, t) => we[(t + 2) * d + i] !== 0));
    const positionLabels = this.labelsWhere((i) => Array.from({ length: this.bounds.maxLen }, (_, p) => wpos[(p + 1) * d + i]).some((x) => x !== 0));
    for (const label of tokenLabels) {
      if (positionLabels.includes(label)) return fail(`${label} is written by both embeddings`);
      if (label === 'tokens') {
        this.sops.set(label, D.tokens);
        continue;
      }
      const space = this.space(label);
      const entries = vocab.map((tok, t) => [canonicalValue(tok), decodeSpace(Float64Array.from(we.subarray((t + 2) * d, (t + 3) * d)), space)] as const);
      this.sops.set(label, D.named(D.map(D.lambda(['x'], tableFn(['x'], entries)), D.tokens, space.representation), label));
      this.blocks.push(`embed: ${label} = map(table, tokens)`);
    }
    for (const label of positionLabels) {
      if (label === 'indices') {
        this.sops.set(label, D.indices);
        continue;
      }
      const space = this.space(label);
      const entries = Array.from({ length: this.bounds.maxLen }, (_, p) => [p, decodeSpace(Float64Array.from(wpos.subarray((p + 1) * d, (p + 2) * d)), space)] as const);
      this.sops.set(label, D.named(D.map(D.lambda(['x'], tableFn(['x'], entries)), D.indices, space.representation), label));
      this.blocks.push(`embed: ${label} = map(table, indices)`);
    }
    return Either.right(undefined);
  }

  /** A side of a selector as one s-op (a tuple of several s-ops when it reads several). */
  side(labels: readonly string[]): Either.Either<readonly Diagnostic[], { sop: SOp; values: Value[]; parts: Value[][] }> {
    const sops: SOp[] = [];
    const domains: Value[][] = [];
    for (const l of labels) {
      const s = this.sops.get(l);
      if (s === undefined) return fail(`a head reads ${l} before anything writes it`);
      const dom = this.domain(l);
      if (Either.isLeft(dom)) return dom;
      sops.push(s);
      domains.push(dom.right);
    }
    if (labels.length === 0) return Either.right({ sop: D.tokens, values: [null], parts: [[]] });
    if (labels.length === 1) return Either.right({ sop: sops[0] as SOp, values: domains[0] as Value[], parts: (domains[0] as Value[]).map((v) => [v]) });
    // several s-ops: one tuple s-op, built pairwise ((a, b), then (a, b, c), ...)
    let tuple = D.sequenceMap(D.lambda(['x', 'y'], E.tuple([E.v('x'), E.v('y')])), sops[0] as SOp, sops[1] as SOp);
    for (let n = 2; n < sops.length; n++) {
      const items = [...Array.from({ length: n }, (_, i) => E.index(E.v('x'), E.lit(i))), E.v('y')];
      tuple = D.sequenceMap(D.lambda(['x', 'y'], E.tuple(items)), tuple, sops[n] as SOp);
    }
    const parts = combinations(domains);
    return Either.right({ sop: tuple, values: parts.map((p) => p as Value), parts });
  }

  /** The selector a head computes, from its logits on every (query, key) pair and on BOS. */
  selector(layer: number, head: number, width: boolean): Either.Either<readonly Diagnostic[], Selector> {
    const d = this.view.d;
    const dh = this.model.config.d_head;
    const wq = this.view.tensor(`blocks.${layer}.attn.W_Q`).data;
    const wk = this.view.tensor(`blocks.${layer}.attn.W_K`).data;
    const rowUsed = (w: Float32Array, i: number): boolean => Array.from({ length: dh }, (_, j) => w[(head * d + i) * dh + j]).some((x) => x !== 0);
    const queryLabels = this.labelsWhere((i) => rowUsed(wq, i));
    const keyLabels = this.labelsWhere((i) => rowUsed(wk, i));
    const q = this.side(queryLabels);
    if (Either.isLeft(q)) return q;
    const k = this.side(keyLabels);
    if (Either.isLeft(k)) return k;
    if (q.right.parts.length * k.right.parts.length > MAX_TABLE) return fail(`the selection table of layer ${layer} head ${head} has over ${MAX_TABLE} cells`);
    const write = (labels: readonly string[], part: readonly Value[], bosPosition = false): Float64Array =>
      this.view.vector(
        labels.flatMap((l, i) => (part[i] === null ? [] : [[this.space(l), part[i] as Value] as const])),
        bosPosition,
      );
    const bosKey = this.view.vector([], true);
    const cells: (readonly [Value, Value, boolean])[] = [];
    q.right.parts.forEach((qp, qi) => {
      const qx = write(queryLabels, qp);
      const bos = this.view.score(layer, head, qx, bosKey);
      const scores = k.right.parts.map((kp) => this.view.score(layer, head, qx, write(keyLabels, kp)));
      // aggregates: the selected keys share the top score, above BOS's (BOS wins when nothing is
      // selected); widths: BOS ties with the selected keys, the rest score at most half as much
      const top = Math.max(...scores);
      const selected = (s: number): boolean => (width ? s > bos / 2 : top > bos && s >= top - 0.01 * (top - bos));
      scores.forEach((s, ki) => cells.push([k.right.values[ki] as Value, q.right.values[qi] as Value, selected(s)]));
    });
    // None (the zero vector) is never selected in RASP: drop those cells
    const live = cells.filter(([kv, qv]) => kv !== null && qv !== null);
    const named = COMPARISONS.find((op: Comparison) =>
      live.every(([kv, qv, sel]) => {
        const r = applyPredicate({ kind: 'comparison', op }, kv, qv);
        return typeof r === 'boolean' && r === sel;
      }),
    );
    if (named !== undefined) return Either.right(D.select(k.right.sop, q.right.sop, named));
    if (queryLabels.length + keyLabels.length > 2) {
      const parts: (readonly [number, number, boolean])[] = [];
      q.right.parts.forEach((_q, qi) => k.right.parts.forEach((_k, ki) => parts.push([qi, ki, cells[qi * k.right.parts.length + ki]?.[2] ?? false])));
      const conjunction = this.conjunction(queryLabels, keyLabels, q.right.parts, k.right.parts, parts);
      if (conjunction !== undefined) return Either.right(conjunction);
    }
    const entries = live.map(([kv, qv, sel]) => [[kv, qv] as Value, sel] as const);
    return Either.right(D.select(k.right.sop, q.right.sop, D.lambda(['k', 'q'], tableFn(['k', 'q'], entries))));
  }

  /**
   * A selection over several s-ops as a conjunction of selects between one query s-op and one key
   * s-op each (how the compiler builds `a & b` selectors), when one explains it: each pair's
   * relation is the projection of the selected cells onto that pair; the conjunction of the
   * non-trivial relations must give back exactly the selected cells. Each relation is printed as
   * a named comparison when one matches, else as a small table.
   */
  conjunction(
    queryLabels: readonly string[],
    keyLabels: readonly string[],
    queryParts: readonly (readonly Value[])[],
    keyParts: readonly (readonly Value[])[],
    cells: readonly (readonly [number, number, boolean])[],
  ): Selector | undefined {
    const keyText = (v: Value): string => JSON.stringify(v);
    const factors: { qi: number; ki: number; pairs: Set<string>; qDomain: Value[]; kDomain: Value[] }[] = [];
    for (let qi = 0; qi < queryLabels.length; qi++) {
      for (let ki = 0; ki < keyLabels.length; ki++) {
        const pairs = new Set<string>();
        for (const [a, b, sel] of cells) if (sel) pairs.add(keyText([keyParts[b]?.[ki] as Value, queryParts[a]?.[qi] as Value]));
        const qDomain = [...new Map(queryParts.map((p) => [keyText(p[qi] as Value), p[qi] as Value])).values()];
        const kDomain = [...new Map(keyParts.map((p) => [keyText(p[ki] as Value), p[ki] as Value])).values()];
        if (pairs.size === qDomain.length * kDomain.length) continue; // every pair: no constraint
        factors.push({ qi, ki, pairs, qDomain, kDomain });
      }
    }
    const holdsAll = (fs: typeof factors, a: number, b: number): boolean =>
      fs.every((f) => f.pairs.has(keyText([keyParts[b]?.[f.ki] as Value, queryParts[a]?.[f.qi] as Value])));
    const explains = (fs: typeof factors): boolean => cells.every(([a, b, sel]) => sel === holdsAll(fs, a, b));
    if (factors.length === 0 || !explains(factors)) return undefined;
    let kept = [...factors];
    for (const f of factors) {
      const without = kept.filter((x) => x !== f);
      if (without.length > 0 && explains(without)) kept = without;
    }
    const selects = kept.map((f) => {
      const keys = this.sops.get(keyLabels[f.ki] as string) as SOp;
      const queries = this.sops.get(queryLabels[f.qi] as string) as SOp;
      const named = COMPARISONS.find((op: Comparison) =>
        f.kDomain.every((kv) => f.qDomain.every((qv) => (applyPredicate({ kind: 'comparison', op }, kv, qv) === true) === f.pairs.has(keyText([kv, qv])))),
      );
      if (named !== undefined) return D.select(keys, queries, named);
      const entries = f.kDomain.flatMap((kv) => f.qDomain.map((qv) => [[kv, qv] as Value, f.pairs.has(keyText([kv, qv]))] as const));
      return D.select(keys, queries, D.lambda(['k', 'q'], tableFn(['k', 'q'], entries)));
    });
    return selects.slice(1).reduce<Selector>((acc, x) => D.selectorAnd(acc, x), selects[0] as Selector);
  }

  heads(layer: number): Either.Either<readonly Diagnostic[], void> {
    const d = this.view.d;
    for (let h = 0; h < this.model.config.n_heads; h++) {
      const unit = (i: number): Float64Array => {
        const x = new Float64Array(d);
        x[i] = 1;
        return this.view.headOutput(layer, h, x);
      };
      const outputs = Array.from({ length: d }, (_, i) => unit(i));
      const written = this.labelsWhere((o) => outputs.some((row) => Math.abs(row[o] as number) > EPS));
      if (written.length === 0) continue;
      if (written.length > 1) return fail(`layer ${layer} head ${h} writes several s-ops (${written.join(', ')})`);
      const label = written[0] as string;
      const out = this.space(label);
      const valueLabels = this.labelsWhere((i) => out.indices.some((o) => Math.abs(outputs[i]?.[o] as number) > EPS));
      const bosRow = outputs[this.view.bos] as Float64Array;
      if (valueLabels.length === 0) {
        // BOS only → the counting step of a selector width
        const sel = this.selector(layer, h, true);
        if (Either.isLeft(sel)) return sel;
        this.widths.set(label, sel.right);
        this.blocks.push(`layer ${layer} head ${h}: selector width (counts into ${label})`);
        continue;
      }
      if (valueLabels.length > 1) return fail(`layer ${layer} head ${h} aggregates several s-ops (${valueLabels.join(', ')})`);
      const valueLabel = valueLabels[0] as string;
      let source = this.sops.get(valueLabel);
      if (source === undefined) return fail(`layer ${layer} head ${h} reads ${valueLabel} before anything writes it`);
      const sel = this.selector(layer, h, false);
      if (Either.isLeft(sel)) return sel;
      const value = this.space(valueLabel);
      let sop: SOp;
      if (out.representation === 'numerical') {
        const o = out.indices[0] as number;
        const gain = canonicalNumber(outputs[value.indices[0] as number]?.[o] as number);
        if (value.representation !== 'numerical') return fail(`layer ${layer} head ${h} averages the one-hot ${valueLabel}`);
        if (gain !== 1) source = D.map(D.lambda(['x'], E.binary('*', E.lit(gain), E.v('x'))), source, 'numerical');
        const dflt = canonicalNumber(bosRow[o] as number);
        sop = D.numerical(D.aggregate(sel.right, D.numerical(source), dflt));
      } else {
        // the OV circuit maps each source value to an output value (the identity, as compiled)
        const x = new Float64Array(d);
        const mapping = value.values.map((v, i) => {
          x.fill(0);
          const row = outputs[value.indices[i] as number] as Float64Array;
          for (let j = 0; j < d; j++) x[j] = row[j] as number;
          return [canonicalValue(v as Value), decodeSpace(x, out)] as const;
        });
        const outside = mapping.filter(([from, to]) => to !== null && !valueEquals(from, to));
        if (outside.length > 0) source = D.map(D.lambda(['x'], tableFn(['x'], mapping)), source);
        const dflt = decodeSpace(bosRow, out);
        sop = D.aggregate(sel.right, source, dflt);
      }
      this.sops.set(label, D.named(sop, label));
      this.blocks.push(`layer ${layer} head ${h}: ${label} = aggregate(…, ${valueLabel}) [${out.representation}]`);
    }
    return Either.right(undefined);
  }

  mlps(layer: number): Either.Either<readonly Diagnostic[], void> {
    const d = this.view.d;
    const m = this.model.config.d_mlp;
    const win = this.view.tensor(`blocks.${layer}.mlp.W_in`).data;
    const wout = this.view.tensor(`blocks.${layer}.mlp.W_out`).data;
    const groups = new Map<string, { units: number[]; inputs: Set<string> }>();
    for (let u = 0; u < m; u++) {
      const writes = this.labelsWhere((j) => Math.abs(wout[u * d + j] as number) > EPS);
      if (writes.length === 0) continue;
      const readsOne = Math.abs(win[this.view.one * m + u] as number) > EPS;
      const reads = this.labelsWhere((i) => Math.abs(win[i * m + u] as number) > EPS);
      if (reads.length === 0 && !readsOne) continue; // active only at BOS: a clean-up unit
      if (writes.length > 1) return fail(`layer ${layer} MLP unit ${u} writes several s-ops (${writes.join(', ')})`);
      const label = writes[0] as string;
      const g = groups.get(label) ?? { units: [], inputs: new Set<string>() };
      g.units.push(u);
      for (const r of reads) g.inputs.add(r);
      groups.set(label, g);
    }
    for (const [label, g] of groups) {
      const inputs = [...g.inputs];
      const out = this.space(label);
      const counted = inputs.length === 1 ? this.widths.get(inputs[0] as string) : undefined;
      if (counted !== undefined) {
        this.sops.set(label, D.named(out.representation === 'numerical' ? D.numerical(D.selectorWidth(counted)) : D.selectorWidth(counted), label));
        this.blocks.push(`layer ${layer} MLP: ${label} = selector_width(…) (decodes the count)`);
        continue;
      }
      if (inputs.length === 0 || inputs.length > 2) return fail(`layer ${layer} MLP group writing ${label} reads ${inputs.length} s-ops; one or two are recovered`);
      const sources: SOp[] = [];
      const domains: Value[][] = [];
      for (const l of inputs) {
        const s = this.sops.get(l);
        if (s === undefined) return fail(`layer ${layer} MLP reads ${l} before anything writes it`);
        const dom = this.domain(l);
        if (Either.isLeft(dom)) return dom;
        sources.push(s);
        domains.push(dom.right);
      }
      const combos = combinations(domains);
      if (combos.length > MAX_TABLE) return fail(`the lookup table of ${label} has over ${MAX_TABLE} rows`);
      const bout = this.view.tensor(`blocks.${layer}.mlp.b_out`).data;
      const bin = this.view.tensor(`blocks.${layer}.mlp.b_in`).data;
      const numericalInput = inputs.some((l) => this.space(l).representation === 'numerical');
      const entries: (readonly [Value, Value])[] = [];
      for (const combo of combos) {
        // a one-hot input that is None is the zero vector; a numerical input always holds a number
        const x = this.view.vector(inputs.flatMap((l, i) => (combo[i] === null ? [] : [[this.space(l), combo[i] as Value] as const])));
        const y = new Float64Array(d);
        for (const u of g.units) {
          let z = bin[u] as number;
          for (let i = 0; i < d; i++) z += (x[i] as number) * (win[i * m + u] as number);
          if (z > 0) for (let j = 0; j < d; j++) y[j] += z * (wout[u * d + j] as number);
        }
        for (const j of out.indices) y[j] += bout[j] as number;
        const result = decodeSpace(y, out);
        // inferred value sets of numerical inputs over-approximate: a combination that never occurs
        // may decode to nothing; it gets no row (the lookup fails there, as nothing reaches it)
        if (result === null && numericalInput) continue;
        entries.push([combo.length === 1 ? (combo[0] as Value) : (combo as Value), result]);
      }
      const params = inputs.length === 1 ? ['x'] : ['x', 'y'];
      const fn = D.lambda(params, tableFn(params, entries));
      const sop = inputs.length === 1 ? D.map(fn, sources[0] as SOp, out.representation) : D.sequenceMap(fn, sources[0] as SOp, sources[1] as SOp, out.representation);
      this.sops.set(label, D.named(sop, label));
      this.blocks.push(`layer ${layer} MLP: ${label} = ${inputs.length === 1 ? 'map' : 'sequence_map'}(table, ${inputs.join(', ')}) [${combos.length} rows]`);
    }
    return Either.right(undefined);
  }
}

/** Recovers a RASP program from a model this project compiled. */
export const recoverProgram = (model: CompiledModel): Either.Either<readonly Diagnostic[], RecoveredProgram> => {
  const b = model.manifest.bounds;
  const bounds = makeBounds(b.vocab, b.maxLen, b.causal);
  if (Either.isLeft(bounds)) return bounds;
  const r = new Recovery(model, bounds.right);
  const steps: (() => Either.Either<readonly Diagnostic[], void>)[] = [
    () => r.embeddings(),
    ...Array.from({ length: model.config.n_layers }, (_, l) => [() => r.heads(l), () => r.mlps(l)]).flat(),
  ];
  for (const step of steps) {
    const done = step();
    if (Either.isLeft(done)) return done;
  }
  const output = r.sops.get(model.manifest.output.label);
  if (output === undefined) return fail(`nothing in the model writes the output ${model.manifest.output.label}`);
  return Either.right({ program: output, bounds: bounds.right, size: programSize(output), blocks: r.blocks });
};
