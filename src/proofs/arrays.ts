/** Typed-array updates that check the index (an index outside the array is a bug, never silently dropped). */
export const addAt = (a: Float64Array | Float32Array | number[], i: number, w: number): void => {
  const x = a[i];
  if (x === undefined) throw new Error(`bug: index ${i} outside an array of ${a.length}`);
  a[i] = x + w;
};
