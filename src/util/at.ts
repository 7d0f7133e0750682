/**
 * `array[i]` for an index the code knows is in range; a bug error (never a user error) when it is
 * not. For `noUncheckedIndexedAccess` outside hot loops, where a cast would hide the assumption.
 */
export const at = <T>(array: ArrayLike<T>, i: number): T => {
  const v = array[i];
  if (v === undefined) throw new Error(`bug: index ${i} outside 0..${array.length - 1}`);
  return v;
};
