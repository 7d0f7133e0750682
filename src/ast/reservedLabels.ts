/**
 * Labels the compiler reserves for its own residual directions (the constant one, the BOS and
 * PAD markers). Program nodes never take them (src/ast/graph.ts); the craft basis names its
 * directions with them (src/craft/basis.ts).
 */
export const ONE = 'one';
export const BOS = 'bos';
export const PAD = 'pad';
