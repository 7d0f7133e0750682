/**
 * Layer allocation. Sublayers alternate attention (index 2L) and MLP (2L+1). A node's first
 * stage goes after everything it reads is written; later stages follow in the next sublayers.
 *
 * Placing every node as early as possible (ASAP) realises the longest dependency path, which is
 * also the lower bound on layers, so the layer count is optimal. Within each node's slack
 * (between its ASAP and as-late-as-possible slots) nodes are then placed greedily to keep the
 * heads per layer and the MLP width per layer low; both are reported against simple lower bounds.
 */
import * as Either from 'fp-ts/lib/Either.js';
import type { Diagnostic } from '../diagnostics.js';
import type { LoweredNode, LoweredProgram } from './lower.js';

export interface AllocationReport {
  readonly layers: number;
  /** Longest dependency path, in layers: no allocation can use fewer. */
  readonly layerLowerBound: number;
  readonly maxHeadsPerLayer: number;
  /** ⌈heads / layers⌉. */
  readonly headsLowerBound: number;
  readonly mlpWidth: number;
  /** max(widest single MLP, ⌈total MLP units / layers⌉). */
  readonly mlpWidthLowerBound: number;
}

export interface Allocation {
  /** Sublayer index of each node's first stage (embeddings: −1). */
  readonly firstStage: ReadonlyMap<number, number>;
  readonly report: AllocationReport;
}

const parityOf = (n: LoweredNode): 0 | 1 => (n.stages[0]?.sublayer === 'attn' ? 0 : 1);

/** Index of the stage that writes the node's output, relative to its first stage. */
export const outputOffset = (n: LoweredNode): number => (n.construction === 'selector-width' ? 1 : 0);

/** Smallest index ≥ from with the given parity. */
const atLeast = (from: number, parity: 0 | 1): number => (((from % 2) + 2) % 2 === parity ? from : from + 1);
/** Largest index ≤ to with the given parity. */
const atMost = (to: number, parity: 0 | 1): number => (((to % 2) + 2) % 2 === parity ? to : to - 1);

const heads = (n: LoweredNode): number => n.stages.reduce((s, st) => s + (st.sublayer === 'attn' ? st.heads.length : 0), 0);
const units = (n: LoweredNode, stage: number): number => {
  const st = n.stages[stage];
  return st?.sublayer === 'mlp' ? st.mlps.reduce((s, m) => s + m.units.length, 0) : 0;
};

/** Places every node's stages; reads only the nodes (their stages and what they read). */
export const allocate = (program: Pick<LoweredProgram, 'nodes'>): Either.Either<readonly Diagnostic[], Allocation> => {
  const nodes = program.nodes;
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const computed = nodes.filter((n) => n.stages.length > 0);
  const consumers = new Map<number, LoweredNode[]>();
  for (const n of computed) for (const r of n.reads) consumers.set(r, [...(consumers.get(r) ?? []), n]);

  const avail = (first: number, n: LoweredNode): number => (n.stages.length === 0 ? -1 : first + outputOffset(n));
  const asap = new Map<number, number>();
  for (const n of nodes) {
    if (n.stages.length === 0) {
      asap.set(n.id, -1);
      continue;
    }
    const ready = Math.max(-1, ...n.reads.map((r) => avail(asap.get(r) as number, byId.get(r) as LoweredNode)));
    asap.set(n.id, atLeast(ready + 1, parityOf(n)));
  }
  const lastIndex = Math.max(-1, ...computed.map((n) => (asap.get(n.id) as number) + n.stages.length - 1));
  const layers = lastIndex < 0 ? 0 : Math.floor(lastIndex / 2) + 1;

  const alap = new Map<number, number>();
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i] as LoweredNode;
    if (n.stages.length === 0) continue;
    const lastAllowed = 2 * layers - 1 - (n.stages.length - 1);
    const byConsumers = Math.min(
      lastAllowed,
      ...(consumers.get(n.id) ?? []).map((c) => (alap.get(c.id) as number) - 1 - outputOffset(n)),
    );
    alap.set(n.id, atMost(byConsumers, parityOf(n)));
  }

  const headLoad = new Map<number, number>();
  const unitLoad = new Map<number, number>();
  const first = new Map<number, number>();
  for (const n of nodes) {
    if (n.stages.length === 0) {
      first.set(n.id, -1);
      continue;
    }
    const ready = Math.max(-1, ...n.reads.map((r) => avail(first.get(r) as number, byId.get(r) as LoweredNode)));
    const lo = atLeast(ready + 1, parityOf(n));
    const hi = Math.max(lo, alap.get(n.id) as number);
    let best = lo;
    let bestCost = Number.POSITIVE_INFINITY;
    for (let i = lo; i <= hi; i += 2) {
      const cost = n.stages.reduce(
        (s, st, k) => s + (st.sublayer === 'attn' ? 1e6 * ((headLoad.get(i + k) ?? 0) + heads(n)) : (unitLoad.get(i + k) ?? 0) + units(n, k)),
        0,
      );
      if (cost < bestCost) {
        bestCost = cost;
        best = i;
      }
    }
    first.set(n.id, best);
    n.stages.forEach((st, k) => {
      if (st.sublayer === 'attn') headLoad.set(best + k, (headLoad.get(best + k) ?? 0) + st.heads.length);
      else unitLoad.set(best + k, (unitLoad.get(best + k) ?? 0) + units(n, k));
    });
  }
  const totalHeads = computed.reduce((s, n) => s + heads(n), 0);
  const totalUnits = computed.reduce((s, n) => s + n.stages.reduce((t, _st, k) => t + units(n, k), 0), 0);
  const widest = Math.max(0, ...computed.flatMap((n) => n.stages.map((_st, k) => units(n, k))));
  return Either.right({
    firstStage: first,
    report: {
      layers,
      layerLowerBound: layers,
      maxHeadsPerLayer: Math.max(0, ...headLoad.values()),
      headsLowerBound: layers === 0 ? 0 : Math.ceil(totalHeads / layers),
      mlpWidth: Math.max(0, ...unitLoad.values()),
      mlpWidthLowerBound: Math.max(widest, layers === 0 ? 0 : Math.ceil(totalUnits / layers)),
    },
  });
};
