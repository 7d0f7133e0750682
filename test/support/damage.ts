/**
 * Damage done to a model directory after it was written, as bit rot or a hand edit would: a weight
 * set to NaN or Inf, a tensor negated, a config flag flipped, a manifest field edited, a file cut
 * short. Each works on the bytes on disk (the integrity record is left as written).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface Entry {
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly data_offsets: readonly [number, number];
}

/** The byte range [begin, end) of tensor `name` in a safetensors file. */
const tensorBytes = (bytes: Uint8Array, name: string): [number, number] => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, Entry>;
  const entry = header[name];
  if (entry === undefined || entry.dtype !== 'F32') throw new Error(`test: no F32 tensor ${name}`);
  return [8 + headerLength + entry.data_offsets[0], 8 + headerLength + entry.data_offsets[1]];
};

const editWeights = (dir: string, edit: (view: DataView, begin: number, end: number) => void, name: string): void => {
  const path = join(dir, 'model.safetensors');
  const bytes = new Uint8Array(readFileSync(path));
  const [begin, end] = tensorBytes(bytes, name);
  edit(new DataView(bytes.buffer), begin, end);
  writeFileSync(path, bytes);
};

/** Sets one weight of `name` (the first non-zero one) to `value`. */
export const setWeight = (dir: string, value: number, name = 'unembed.W_U'): void =>
  editWeights(
    dir,
    (view, begin, end) => {
      let at = begin;
      for (let o = begin; o < end; o += 4) {
        if (view.getFloat32(o, true) !== 0) {
          at = o;
          break;
        }
      }
      view.setFloat32(at, value, true);
    },
    name,
  );

/** Negates every weight of `name`. */
export const negateTensor = (dir: string, name = 'unembed.W_U'): void =>
  editWeights(
    dir,
    (view, begin, end) => {
      for (let o = begin; o < end; o += 4) view.setFloat32(o, -view.getFloat32(o, true), true);
    },
    name,
  );

/** Rewrites a JSON file of the directory (keeping the writer's layout: two-space indent). */
export const editJson = (dir: string, file: string, edit: (json: Record<string, unknown>) => void): void => {
  const path = join(dir, file);
  const json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  edit(json);
  writeFileSync(path, `${JSON.stringify(json, null, 2)}\n`);
};

/** Cuts a file to `fraction` of its length. */
export const truncateFile = (dir: string, file: string, fraction = 0.5): void => {
  const path = join(dir, file);
  const bytes = readFileSync(path);
  writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length * fraction)));
};
