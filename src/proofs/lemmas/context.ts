/**
 * What every lemma needs: the model view (weights), the compiled program with its graph and value
 * sets, and per node its s-op spaces and intended semantics. Built once per verification.
 */
import * as Either from 'fp-ts/lib/Either.js';
import type { Node, SOp } from '../../ast/program.js';
import type { Value } from '../../ast/value.js';
import type { Diagnostic } from '../../diagnostics.js';
import type { CompiledModel, NodeReport } from '../../model/model.js';
import type { ProgramGraph } from '../../ast/graph.js';
import type { Bounds } from '../../typecheck/bounds.js';
import { analyse, planned } from '../../typecheck/typecheck.js';
import type { SelectorFacts } from '../../typecheck/selectorFacts.js';
import { ValueSet } from '../../typecheck/valueSet.js';
import { ModelView, type SpaceView } from '../../model/view.js';

export interface Lemma {
  readonly node: string;
  readonly kind: 'embedding' | 'isolation' | 'coverage' | 'mlp' | 'attention' | 'bos' | 'output';
  readonly holds: boolean;
  /** What was shown, in words. */
  readonly statement: string;
  /** The numbers behind it (margins, bounds, counts). */
  readonly numbers: Readonly<Record<string, number>>;
}

export interface LemmaContext {
  readonly view: ModelView;
  readonly program: SOp;
  readonly graph: ProgramGraph;
  readonly valueSets: ReadonlyMap<number, ValueSet>;
  /** Facts about selectors (e.g. `neverEmpty`), re-derived here from the program and bounds. */
  readonly facts: ReadonlyMap<number, SelectorFacts>;
  readonly maxLen: number;
  readonly causal: boolean;
  /**
   * Bidirectional models run right-padded batches with no key padding mask: PAD positions (a
   * copy of BOS plus `pad` and their index) are keys and queries like any other position.
   */
  readonly padded: boolean;
  /** The values an s-op may hold at a PAD position: its index for `indices`, else None. */
  readonly atPad: (label: string) => readonly Value[];
  /** Graph node by label. */
  readonly byLabel: ReadonlyMap<string, { readonly id: number; readonly node: Node; readonly children: readonly number[] }>;
  readonly report: (label: string) => NodeReport;
  readonly space: (label: string) => SpaceView;
  /** The values an s-op can take within the bounds (None included when possible). */
  readonly values: (label: string) => readonly Value[];
  readonly valueSet: (label: string) => ValueSet;
}

/**
 * The context for a model and the program it was compiled from *as lowered* (the manifest's
 * `program.compiled`, or the in-memory compiled program): labels of its graph are the manifest's.
 */
export const lemmaContext = (compiled: SOp, model: CompiledModel): Either.Either<readonly Diagnostic[], LemmaContext> => {
  // the bounds the model was compiled for: checked by makeBounds then, and the reader refuses an edited manifest
  const b: Bounds = model.manifest.bounds;
  // the compiled program is already rewritten: its analysis and plan, without the compile passes
  const typed = Either.chain(planned)(analyse(compiled, b));
  if (Either.isLeft(typed)) return typed;
  const t = typed.right;
  const view = new ModelView(model);
  const byLabel = new Map(t.graph.nodes.map((g) => [g.label, g]));
  const missing = model.manifest.nodes.filter((n) => !byLabel.has(n.label)).map((n) => n.label);
  if (missing.length > 0) {
    return Either.left([
      { code: 'verify/program-mismatch', message: `the model's nodes ${missing.join(', ')} are not in the program`, fix: 'verify the program the model was compiled from' },
    ]);
  }
  return Either.right({
    view,
    program: t.program,
    graph: t.graph,
    valueSets: t.inference.valueSets,
    facts: t.inference.selectorFacts,
    maxLen: b.maxLen,
    causal: b.causal,
    padded: !b.causal,
    atPad: (label) => (byLabel.get(label)?.node.kind === 'indices' ? (t.inference.valueSets.get(byLabel.get(label)?.id as number)?.values ?? []) : [null]),
    byLabel,
    report: (label) => {
      const r = view.nodes.get(label);
      if (r === undefined) throw new Error(`bug: no manifest node ${label}`);
      return r;
    },
    // an s-op that is always None has no directions: an empty categorical space
    space: (label) => view.space(label) ?? { label, representation: 'categorical', indices: [], values: [] },
    valueSet: (label) => {
      const g = byLabel.get(label);
      return (g === undefined ? undefined : t.inference.valueSets.get(g.id)) ?? ValueSet.empty;
    },
    values: (label) => {
      const g = byLabel.get(label);
      return g === undefined ? [] : (t.inference.valueSets.get(g.id)?.values ?? []);
    },
  });
};

export { combinations } from '../../util/combinations.js';
