/**
 * The bases D-RASP variables are vectors over: at each position a variable holds one real number
 * per dimension of its basis.
 *
 * - token: one dimension per token id (the input token is the one-hot vector of its id);
 * - position: one dimension per position id 0..size−1;
 * - derived: named dimensions (an MLP's hidden units, logits, ...).
 */

export type Basis =
  | { readonly kind: 'token'; readonly names: readonly string[] }
  | { readonly kind: 'position'; readonly size: number }
  | { readonly kind: 'derived'; readonly name: string; readonly dims: readonly string[] };

export const tokenBasis = (names: readonly string[]): Basis => ({ kind: 'token', names });

export const positionBasis = (size: number): Basis => ({ kind: 'position', size });

export const derivedBasis = (name: string, dims: readonly string[]): Basis => ({ kind: 'derived', name, dims });

export const basisSize = (basis: Basis): number => {
  switch (basis.kind) {
    case 'token':
      return basis.names.length;
    case 'position':
      return basis.size;
    case 'derived':
      return basis.dims.length;
  }
};

/** The name of dimension `i` (a token, a position id, or a derived dimension's name). */
export const dimensionName = (basis: Basis, i: number): string => {
  switch (basis.kind) {
    case 'token':
      return basis.names[i] ?? `#${i}`;
    case 'position':
      return String(i);
    case 'derived':
      return basis.dims[i] ?? `#${i}`;
  }
};

/** One line: `token basis {<bos>, <pad>, a, b}`, `position basis 0..15`, `mlp0 basis (24 dims)`. */
export const describeBasis = (basis: Basis): string => {
  switch (basis.kind) {
    case 'token':
      return basis.names.length <= 16
        ? `token basis {${basis.names.join(', ')}}`
        : `token basis (${basis.names.length} tokens: ${basis.names.slice(0, 8).join(', ')}, …)`;
    case 'position':
      return `position basis 0..${basis.size - 1}`;
    case 'derived':
      return basis.dims.length <= 8 ? `${basis.name} basis {${basis.dims.join(', ')}}` : `${basis.name} basis (${basis.dims.length} dims)`;
  }
};
