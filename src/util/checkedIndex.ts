/**
 * Indexing where the caller's own bounds guarantee the element exists (noUncheckedIndexedAccess):
 * a miss is a bug, thrown as one, never a silent undefined.
 */
export const at = <T>(xs: ArrayLike<T>, i: number): T => {
  const x = xs[i];
  if (x === undefined) throw new Error(`bug: index ${i} outside 0..${xs.length - 1}`);
  return x;
};
