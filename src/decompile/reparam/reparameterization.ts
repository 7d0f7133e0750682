/**
 * What re-parameterization (expandPaths.ts) takes and gives: its options, the edge mask pruning
 * passes it, the residual paths it expands and the program with its statistics.
 */
import type { Basis } from '../drasp/basis.js';
import type { Matrix } from '../drasp/matrix.js';
import type { DraspProgram } from '../drasp/program.js';

export interface ReparamOptions {
  /** Drop exactly-zero products and variables nothing reads (exact; default true). */
  readonly pruneZero?: boolean;
  /** Keep only paths through at most this many heads and MLPs (default: all; fewer is not faithful). */
  readonly maxDepth?: number;
  /** Refuse to expand past this many path variables (default 20 000). */
  readonly maxPaths?: number;
  /**
   * Refuse a layer whose query × key score matrices would hold more numbers than this, before
   * zero ones are dropped (default 20 000 000: 160 MB).
   */
  readonly maxScoreEntries?: number;
  /** Which component outputs each reader sees (causal pruning); absent: all of them. */
  readonly edges?: EdgeMask;
}

/**
 * A pruned wiring: readers are `l{L}h{H}.q`, `.k`, `.v`, `l{L}.mlp` and `logits`; writers are `tok`,
 * `pos`, `l{L}h{H}` (a head's output, without the block's b_O) and `l{L}.mlp` (with b_out). A
 * reader that does not keep a writer sees `replacement(reader, writer)` (a residual-space
 * constant: optimal ablation) in its place.
 */
export interface EdgeMask {
  readonly keeps: (reader: string, writer: string) => boolean;
  readonly replacement: (reader: string, writer: string) => Float64Array;
  /**
   * Finer pruning of single paths (a head's value, an MLP's input, an output projection): whether
   * `reader` keeps path variable `variable` (default: yes), and the residual-space constant that
   * stands for it when not.
   */
  readonly keepsPath?: (reader: string, variable: string) => boolean;
  readonly pathReplacement?: (reader: string, variable: string) => Float64Array;
  /** Whether head `head` (`l0h1`) keeps its select term of query path `query` (undefined: the key-only term) and key path `key`. */
  readonly keepsTerm?: (head: string, query: string | undefined, key: string) => boolean;
}

/** A path variable and its contribution to the residual stream. */
export interface ResidualPath {
  readonly variable: string;
  /** The component whose output the path is part of (`tok`, `pos`, `l0h1`, `l0.mlp`). */
  readonly writer: string;
  readonly basis: Basis;
  /** Heads and MLPs along the path (tok and pos: 0). */
  readonly depth: number;
  /** dim(basis) × d. */
  readonly embedding: Matrix;
}

export interface ReparamStats {
  /** Path variables in the program (tok and pos included). */
  readonly paths: number;
  /** paths by depth: [depth 0, depth 1, …]. */
  readonly pathsByDepth: readonly number[];
  /** Path variables formed, before those nothing reads were removed. */
  readonly pathsExpanded: number;
  readonly selectors: number;
  /** select(q, k) terms, and key-only select(k) terms. */
  readonly selectTerms: number;
  readonly keyOnlyTerms: number;
  readonly aggregates: number;
  readonly mlps: number;
  readonly projectLines: number;
  /** Products (score, value, MLP-input, projection matrices) dropped as exactly zero. */
  readonly zeroProductsDropped: number;
  /** Paths left out by maxDepth (0 when the program is faithful). */
  readonly droppedByDepth: number;
}

export interface Reparameterization {
  readonly program: DraspProgram;
  /** The program's path variables, in order. */
  readonly paths: readonly ResidualPath[];
  readonly stats: ReparamStats;
}
