/** Writing safetensors files (deterministic bytes). */
import { byName, DTYPE_SIZE, elementCountBig, isDType, isValidDim, showShape, type Tensor } from './format.js';

const isMap = (x: ReadonlyMap<string, Tensor> | Record<string, Tensor>): x is ReadonlyMap<string, Tensor> => x instanceof Map;

/**
 * The safetensors file for `tensors` (and `metadata`, if it has any key). Deterministic: tensors are
 * sorted by name (UTF-16 code unit order) in the header and in the data buffer, metadata keys too,
 * `__metadata__` comes first, and the header is padded with spaces to a multiple of 8 bytes, as the
 * reference implementation does. An empty `metadata` writes no `__metadata__` entry.
 *
 * Throws (programmer error) when a tensor is named `__metadata__`, has an unknown dtype, a dim that
 * is not a non-negative integer, or data whose length is not elementCount(shape) × dtype size, or
 * when a metadata value is not a string.
 */
export const writeSafetensors = (tensors: ReadonlyMap<string, Tensor> | Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array => {
  const entries: [string, Tensor][] = (isMap(tensors) ? [...tensors.entries()] : Object.entries(tensors)).sort(byName);
  const parts: string[] = [];
  const metaEntries = metadata === undefined ? [] : Object.entries(metadata).sort(byName);
  if (metaEntries.length > 0) {
    const fields = metaEntries.map(([k, v]) => {
      if (typeof v !== 'string') throw new Error(`writeSafetensors: metadata ${JSON.stringify(k)} is a ${typeof v}; values must be strings`);
      return `${JSON.stringify(k)}:${JSON.stringify(v)}`;
    });
    parts.push(`"__metadata__":{${fields.join(',')}}`);
  }
  let offset = 0;
  for (const [name, t] of entries) {
    const where = `writeSafetensors: tensor ${JSON.stringify(name)}`;
    if (name === '__metadata__') throw new Error(`${where}: the name __metadata__ is reserved`);
    if (!isDType(t.dtype)) throw new Error(`${where}: unknown dtype ${JSON.stringify(t.dtype)}`);
    t.shape.forEach((d, i) => {
      if (!isValidDim(d)) throw new Error(`${where}: dim ${i} of shape ${showShape(t.shape)} is not a non-negative integer`);
    });
    if (!(t.data instanceof Uint8Array)) throw new Error(`${where}: data is not a Uint8Array`);
    const expected = elementCountBig(t.shape) * BigInt(DTYPE_SIZE[t.dtype]);
    if (expected !== BigInt(t.data.length)) {
      throw new Error(`${where}: dtype ${t.dtype} and shape ${showShape(t.shape)} need ${expected} bytes but data has ${t.data.length}`);
    }
    const end = offset + t.data.length;
    parts.push(`${JSON.stringify(name)}:{"dtype":"${t.dtype}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${end}]}`);
    offset = end;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLength = json.length + ((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const [, t] of entries) {
    out.set(t.data, at);
    at += t.data.length;
  }
  return out;
};
