/**
 * A reader and writer for the safetensors format (https://huggingface.co/docs/safetensors).
 *
 * Layout: an 8-byte little-endian unsigned header length N, then N bytes of UTF-8 JSON (padded
 * with trailing spaces), then the data buffer. The header maps each tensor name to
 * `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets relative to the data buffer) and may
 * hold `"__metadata__": {string: string}`. Tensors are row-major and little-endian.
 *
 * Reading never throws on bad input: every problem is a `Diagnostic`. Writing throws only on
 * programmer errors (a data length that does not match shape × dtype size, a bad shape, ...).
 */
import * as Either from 'fp-ts/lib/Either.js';
import { diagnostic, type Diagnostic } from '../diagnostics.js';

export type DType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

/** Bytes per element of each dtype. */
export const DTYPE_SIZE: Readonly<Record<DType, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

export const DTYPES: readonly DType[] = ['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL'];

/** Dtypes the safetensors format defines that raspc does not read. */
const OTHER_SPEC_DTYPES: readonly string[] = ['U64', 'U32', 'U16', 'C64', 'F8_E4M3', 'F8_E5M2', 'F8_E8M0', 'F6_E2M3', 'F6_E3M2', 'F4'];

export const isDType = (s: unknown): s is DType => typeof s === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_SIZE, s);

/** A tensor: its dtype, its shape and its raw row-major little-endian bytes. */
export interface Tensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: Uint8Array;
}

export interface Safetensors {
  readonly tensors: Map<string, Tensor>;
  readonly metadata: Record<string, string>;
}

/** Headers larger than this are refused (the reference implementation's limit too). */
export const MAX_HEADER_BYTES = 100_000_000;

const showShape = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

const isValidDim = (d: unknown): d is number => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0;

/** The number of elements of a shape, exactly (a bigint: products of large dims do not round). */
const elementCountBig = (shape: readonly number[]): bigint => shape.reduce((acc, d) => acc * BigInt(d), 1n);

/** The number of elements of a shape (the product of its dims; 1 for a scalar). */
export const elementCount = (shape: readonly number[]): number => shape.reduce((acc, d) => acc * d, 1);

const byName = <T>(a: readonly [string, T], b: readonly [string, T]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

// ---------------------------------------------------------------------------------------------
// Building tensors

const checkShape = (fn: string, shape: readonly number[], count: number): void => {
  shape.forEach((d, i) => {
    if (!isValidDim(d)) throw new Error(`${fn}: shape ${showShape(shape)} has dim ${i} = ${d}; dims must be non-negative integers`);
  });
  if (elementCountBig(shape) !== BigInt(count)) {
    throw new Error(`${fn}: shape ${showShape(shape)} has ${elementCountBig(shape)} elements but ${count} values were given`);
  }
};

/** An F32 tensor from values (written little-endian whatever the host byte order). */
export const tensorF32 = (shape: readonly number[], values: Float32Array): Tensor => {
  checkShape('tensorF32', shape, values.length);
  const data = new Uint8Array(values.length * 4);
  const view = new DataView(data.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return { dtype: 'F32', shape: [...shape], data };
};

/** An F64 tensor from values. */
export const tensorF64 = (shape: readonly number[], values: Float64Array): Tensor => {
  checkShape('tensorF64', shape, values.length);
  const data = new Uint8Array(values.length * 8);
  const view = new DataView(data.buffer);
  values.forEach((v, i) => view.setFloat64(i * 8, v, true));
  return { dtype: 'F64', shape: [...shape], data };
};

/** An I64 tensor from safe integers (throws on a non-integer or a value beyond ±2^53 − 1). */
export const tensorI64 = (shape: readonly number[], values: readonly number[]): Tensor => {
  checkShape('tensorI64', shape, values.length);
  const data = new Uint8Array(values.length * 8);
  const view = new DataView(data.buffer);
  values.forEach((v, i) => {
    if (!Number.isSafeInteger(v)) throw new Error(`tensorI64: value ${i} is ${v}, not a safe integer`);
    view.setBigInt64(i * 8, BigInt(v), true);
  });
  return { dtype: 'I64', shape: [...shape], data };
};

// ---------------------------------------------------------------------------------------------
// Decoding elements

/** IEEE 754 half precision (1 sign, 5 exponent, 10 fraction bits) to a number. */
export const f16BitsToNumber = (bits: number): number => {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // zero or subnormal: fraction/2^10 × 2^-14
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
};

/** bfloat16 (1 sign, 8 exponent, 7 fraction bits: the top half of a float32) to a number. */
export const bf16BitsToNumber = (bits: number): number => {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 7) & 0xff;
  const fraction = bits & 0x7f;
  if (exponent === 0) return sign * fraction * 2 ** -133; // zero or subnormal: fraction/2^7 × 2^-126
  if (exponent === 0xff) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 128) * 2 ** (exponent - 127);
};

const tensorLabel = (name: string | undefined): string => (name === undefined ? 'the tensor' : `tensor ${JSON.stringify(name)}`);

/**
 * The values of a numeric tensor as float64. F64/F32/F16/BF16 and every integer dtype convert
 * exactly; BOOL gives 0/1. Left when the data length does not match the shape, when an I64 value is
 * beyond ±(2^53 − 1) (a float64 cannot hold it exactly) or when a BOOL byte is neither 0 nor 1.
 * `name` only serves the messages.
 */
export const toFloat64 = (t: Tensor, name?: string): Either.Either<Diagnostic[], Float64Array> => {
  const label = tensorLabel(name);
  if (!isDType(t.dtype)) {
    return Either.left([diagnostic('safetensors/unknown-dtype', `${label} has unknown dtype ${JSON.stringify(t.dtype)}`)]);
  }
  if (!t.shape.every(isValidDim)) {
    return Either.left([diagnostic('safetensors/bad-shape', `${label} has shape ${showShape(t.shape)}; dims must be non-negative integers`)]);
  }
  const size = DTYPE_SIZE[t.dtype];
  const expected = elementCountBig(t.shape) * BigInt(size);
  if (expected !== BigInt(t.data.length)) {
    return Either.left([
      diagnostic(
        'safetensors/dtype-shape-mismatch',
        `${label} has dtype ${t.dtype} and shape ${showShape(t.shape)}, which needs ${expected} bytes, but holds ${t.data.length}`,
      ),
    ]);
  }
  const n = t.data.length / size;
  const out = new Float64Array(n);
  const view = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  switch (t.dtype) {
    case 'F64':
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
      break;
    case 'F32':
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
      break;
    case 'F16':
      for (let i = 0; i < n; i++) out[i] = f16BitsToNumber(view.getUint16(i * 2, true));
      break;
    case 'BF16':
      for (let i = 0; i < n; i++) out[i] = bf16BitsToNumber(view.getUint16(i * 2, true));
      break;
    case 'I64':
      for (let i = 0; i < n; i++) {
        const v = view.getBigInt64(i * 8, true);
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
          return Either.left([
            diagnostic('safetensors/precision-loss', `${label} (I64) holds ${v} at element ${i}, which a float64 cannot represent exactly`, {
              fix: 'keep I64 values within ±(2^53 − 1), or read the raw bytes',
            }),
          ]);
        }
        out[i] = Number(v);
      }
      break;
    case 'I32':
      for (let i = 0; i < n; i++) out[i] = view.getInt32(i * 4, true);
      break;
    case 'I16':
      for (let i = 0; i < n; i++) out[i] = view.getInt16(i * 2, true);
      break;
    case 'I8':
      for (let i = 0; i < n; i++) out[i] = view.getInt8(i);
      break;
    case 'U8':
      for (let i = 0; i < n; i++) out[i] = view.getUint8(i);
      break;
    case 'BOOL':
      for (let i = 0; i < n; i++) {
        const b = view.getUint8(i);
        if (b > 1) {
          return Either.left([diagnostic('safetensors/bad-bool', `${label} (BOOL) holds byte ${b} at element ${i}; a BOOL byte must be 0 or 1`)]);
        }
        out[i] = b;
      }
      break;
  }
  return Either.right(out);
};

/**
 * The values of a numeric tensor as float32 (rounded to nearest). Left where `toFloat64` is, and
 * when a finite value is too large for float32 (it would become infinite).
 */
export const toFloat32 = (t: Tensor, name?: string): Either.Either<Diagnostic[], Float32Array> => {
  const wide = toFloat64(t, name);
  if (Either.isLeft(wide)) return wide;
  const out = new Float32Array(wide.right.length);
  for (let i = 0; i < out.length; i++) {
    const v = wide.right[i]!;
    const f = Math.fround(v);
    if (Number.isFinite(v) && !Number.isFinite(f)) {
      return Either.left([
        diagnostic('safetensors/out-of-range', `${tensorLabel(name)} (${t.dtype}) holds ${v} at element ${i}, beyond the float32 range`, {
          fix: 'read it with toFloat64',
        }),
      ]);
    }
    out[i] = f;
  }
  return Either.right(out);
};

// ---------------------------------------------------------------------------------------------
// Writing

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

// ---------------------------------------------------------------------------------------------
// Reading

interface Entry {
  readonly name: string;
  dtype?: DType;
  shape?: number[];
  offsets?: readonly [number, number];
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

const oneLine = (s: string, max = 60): string => {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
};

const NOT_SAFETENSORS_FIX = 'is it a safetensors file? A PyTorch .bin/.pt file is not: convert it with safetensors.torch.save_file';

/** Checks one header entry; fills in what is well formed, pushes a diagnostic for each problem. */
const parseEntry = (name: string, value: unknown, source: string, problems: Diagnostic[]): Entry => {
  const entry: Entry = { name };
  const label = `tensor ${JSON.stringify(name)} in ${source}`;
  const at = (field?: string): string => `header[${JSON.stringify(name)}]${field === undefined ? '' : `.${field}`}`;
  if (!isRecord(value)) {
    problems.push(
      diagnostic('safetensors/bad-entry', `${label}: the header entry is ${oneLine(JSON.stringify(value) ?? String(value))}, not an object`, {
        where: at(),
        fix: 'each tensor entry must be {"dtype": ..., "shape": [...], "data_offsets": [begin, end]}',
      }),
    );
    return entry;
  }
  const missing = (field: string, what: string): void => {
    problems.push(
      diagnostic(
        'safetensors/bad-entry',
        field in value ? `${label}: ${field} is ${oneLine(JSON.stringify(value[field]) ?? 'undefined')}, expected ${what}` : `${label} has no ${field}`,
        { where: at(field), fix: `give ${field} as ${what}` },
      ),
    );
  };

  const dtype = value['dtype'];
  if (typeof dtype !== 'string') missing('dtype', 'a string such as "F32"');
  else if (isDType(dtype)) entry.dtype = dtype;
  else {
    const known = OTHER_SPEC_DTYPES.includes(dtype);
    const fix = isDType(dtype.toUpperCase())
      ? `dtypes are upper case: write "${dtype.toUpperCase()}"`
      : known
        ? 'convert the tensor before saving, e.g. tensor.float() in PyTorch'
        : `use one of ${DTYPES.join(', ')}`;
    problems.push(
      diagnostic(
        'safetensors/unknown-dtype',
        known
          ? `${label} has dtype ${dtype}, which safetensors allows but raspc does not read (it reads ${DTYPES.join(', ')})`
          : `${label} has unknown dtype ${JSON.stringify(dtype)}`,
        { where: at('dtype'), fix },
      ),
    );
  }

  const shape = value['shape'];
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number')) missing('shape', 'an array of integers');
  else {
    const bad = shape.findIndex((d) => !isValidDim(d));
    if (bad >= 0) {
      problems.push(
        diagnostic('safetensors/bad-shape', `${label} has shape ${showShape(shape)}: dim ${bad} is ${shape[bad]}, not a non-negative integer`, {
          where: at('shape'),
          fix: 'dims must be integers ≥ 0',
        }),
      );
    } else entry.shape = shape as number[];
  }

  const offsets = value['data_offsets'];
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((d) => typeof d === 'number')) {
    missing('data_offsets', 'two integers [begin, end]');
  } else {
    const [begin, end] = offsets as [number, number];
    if (!isValidDim(begin) || !isValidDim(end) || begin > end) {
      problems.push(
        diagnostic('safetensors/bad-offsets', `${label} has data_offsets [${begin}, ${end}]; they must be integers with 0 ≤ begin ≤ end`, {
          where: at('data_offsets'),
          fix: 'the header is corrupt: save the file again',
        }),
      );
    } else entry.offsets = [begin, end];
  }

  if (entry.dtype !== undefined && entry.shape !== undefined && entry.offsets !== undefined) {
    const needed = elementCountBig(entry.shape) * BigInt(DTYPE_SIZE[entry.dtype]);
    const [begin, end] = entry.offsets;
    if (needed !== BigInt(end - begin)) {
      problems.push(
        diagnostic(
          'safetensors/dtype-shape-mismatch',
          `${label}: dtype/shape mismatch: dtype ${entry.dtype} and shape ${showShape(entry.shape)} need ${needed} bytes, but data_offsets [${begin}, ${end}] cover ${end - begin}`,
          { where: at(), fix: 'the header is corrupt or was written by hand: save the file again with the safetensors library' },
        ),
      );
    }
  }
  return entry;
};

/**
 * Parses a safetensors file. `source` names the file in the messages. Checks the header length,
 * that the header is a UTF-8 JSON object, every entry (dtype, shape, data_offsets, that the offsets
 * cover elementCount(shape) × dtype size bytes), and the layout: offsets inside the data buffer,
 * no two tensors overlapping, every byte of the data buffer belonging to a tensor. A file whose
 * header is consistent but whose data stops early is reported once, as truncated.
 *
 * The tensors come back sorted by name; their data are copies (not views of `bytes`). Zero-size
 * tensors are allowed, anywhere in the buffer.
 */
export const readSafetensors = (bytes: Uint8Array, source = 'model.safetensors'): Either.Either<Diagnostic[], Safetensors> => {
  const fail = (code: string, message: string, extra: Omit<Diagnostic, 'code' | 'message'> = {}): Either.Either<Diagnostic[], Safetensors> =>
    Either.left([diagnostic(code, message, extra)]);

  if (bytes.length < 8) {
    return fail('safetensors/truncated', `${source} has ${bytes.length} bytes, fewer than the 8 of the header length`, {
      fix: 'the file is empty or truncated: download or save it again',
    });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = view.getBigUint64(0, true);
  if (declared > BigInt(MAX_HEADER_BYTES)) {
    return fail('safetensors/bad-header-length', `${source} declares a header of ${declared} bytes, more than the ${MAX_HEADER_BYTES} allowed`, {
      where: 'bytes 0..8',
      fix: NOT_SAFETENSORS_FIX,
    });
  }
  const headerLength = Number(declared);
  if (8 + headerLength > bytes.length) {
    return fail(
      'safetensors/bad-header-length',
      `${source} declares a header of ${headerLength} bytes but only ${bytes.length - 8} bytes follow the header length`,
      {
        where: 'bytes 0..8',
        fix: 'the file is truncated (download or save it again) or not a safetensors file (a PyTorch .bin/.pt file is not: convert it with safetensors.torch.save_file)',
      },
    );
  }

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    return fail('safetensors/bad-header', `the header of ${source} is not valid UTF-8`, { where: `bytes 8..${8 + headerLength}`, fix: NOT_SAFETENSORS_FIX });
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    return fail('safetensors/bad-header', `the header of ${source} is not valid JSON (${oneLine((e as Error).message)}): ${oneLine(JSON.stringify(text))}`, {
      where: `bytes 8..${8 + headerLength}`,
      fix: NOT_SAFETENSORS_FIX,
    });
  }
  if (!isRecord(header)) {
    return fail('safetensors/bad-header', `the header of ${source} is ${oneLine(text)}, not a JSON object`, {
      where: `bytes 8..${8 + headerLength}`,
      fix: 'the header must be an object mapping tensor names to {"dtype", "shape", "data_offsets"}',
    });
  }

  const problems: Diagnostic[] = [];
  const metadata: Record<string, string> = {};
  const meta = header['__metadata__'];
  if (meta !== undefined) {
    if (!isRecord(meta)) {
      problems.push(
        diagnostic('safetensors/bad-metadata', `the __metadata__ of ${source} is ${oneLine(JSON.stringify(meta))}, not an object of strings`, {
          where: 'header.__metadata__',
        }),
      );
    } else {
      for (const [k, v] of Object.entries(meta)) {
        // defineProperty: a key named __proto__ stays an ordinary key
        if (typeof v === 'string') Object.defineProperty(metadata, k, { value: v, enumerable: true, writable: true, configurable: true });
        else {
          problems.push(
            diagnostic('safetensors/bad-metadata', `metadata ${JSON.stringify(k)} of ${source} is ${oneLine(JSON.stringify(v))}, not a string`, {
              where: `header.__metadata__[${JSON.stringify(k)}]`,
              fix: 'metadata values must be strings',
            }),
          );
        }
      }
    }
  }

  const entries = Object.entries(header)
    .filter(([name]) => name !== '__metadata__')
    .sort(byName)
    .map(([name, value]) => parseEntry(name, value, source, problems));
  const entryProblems = problems.length;

  // Layout: walk the non-empty byte ranges in order of their start.
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const placed = entries
    .filter((e): e is Entry & { offsets: readonly [number, number] } => e.offsets !== undefined)
    .sort((a, b) => a.offsets[0] - b.offsets[0] || a.offsets[1] - b.offsets[1]);
  const overlaps: Diagnostic[] = [];
  const gaps: [number, number][] = [];
  let cursor = 0;
  let last: (typeof placed)[number] | undefined;
  for (const e of placed) {
    const [begin, end] = e.offsets;
    if (begin === end) continue; // zero-size: covers no byte, overlaps nothing
    if (last !== undefined && begin < cursor) {
      overlaps.push(
        diagnostic(
          'safetensors/overlapping-tensors',
          `tensors ${JSON.stringify(last.name)} [${last.offsets.join(', ')}] and ${JSON.stringify(e.name)} [${begin}, ${end}] in ${source} overlap`,
          { where: `header[${JSON.stringify(e.name)}].data_offsets`, fix: 'the header is corrupt: save the file again' },
        ),
      );
    } else if (begin > cursor) gaps.push([cursor, begin]);
    if (end > cursor) {
      cursor = end;
      last = e;
    }
  }
  const outOfRange = placed.filter((e) => e.offsets[1] > dataLength);

  if (outOfRange.length > 0 && cursor > dataLength && entryProblems === 0 && overlaps.length === 0 && gaps.length === 0) {
    // The header describes a contiguous, consistent layout; the data stops early.
    return fail(
      'safetensors/truncated',
      `${source} is truncated: its header describes ${cursor} bytes of tensor data but the file holds ${dataLength} (tensor ${JSON.stringify(last?.name)} ends at ${cursor})`,
      { fix: 'download or save the file again' },
    );
  }
  for (const e of outOfRange) {
    problems.push(
      diagnostic(
        'safetensors/offsets-out-of-range',
        `tensor ${JSON.stringify(e.name)} in ${source} has data_offsets [${e.offsets.join(', ')}] but the data buffer holds ${dataLength} bytes`,
        { where: `header[${JSON.stringify(e.name)}].data_offsets`, fix: 'the header does not match the data: save the file again' },
      ),
    );
  }
  problems.push(...overlaps);
  // Unindexed bytes are only meaningful when every entry's offsets could be read.
  if (placed.length === entries.length) {
    if (cursor < dataLength) gaps.push([cursor, dataLength]);
    for (const [from, to] of gaps) {
      if (from >= dataLength) continue;
      const upTo = Math.min(to, dataLength);
      problems.push(
        diagnostic(
          'safetensors/unindexed-bytes',
          `bytes ${from}..${upTo} of the data buffer of ${source} (file bytes ${dataStart + from}..${dataStart + upTo}) belong to no tensor`,
          { fix: 'the format requires every data byte to belong to a tensor: save the file again with the safetensors library' },
        ),
      );
    }
  }
  if (problems.length > 0) return Either.left(problems);

  const tensors = new Map<string, Tensor>();
  for (const e of entries) {
    // Every entry is complete here: no problem was found.
    const [begin, end] = e.offsets!;
    tensors.set(e.name, { dtype: e.dtype!, shape: e.shape!, data: new Uint8Array(bytes.subarray(dataStart + begin, dataStart + end)) });
  }
  return Either.right({ tensors, metadata });
};

// ---------------------------------------------------------------------------------------------
// Looking tensors up

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/** The tensor `name` with shape `shape`; Left naming the tensor when it is missing or shaped otherwise. */
export const expectTensor = (
  tensors: ReadonlyMap<string, Tensor>,
  name: string,
  shape: readonly number[],
  source: string,
): Either.Either<Diagnostic[], Tensor> => {
  const t = tensors.get(name);
  if (t === undefined) {
    const names = [...tensors.keys()].sort();
    const shown = names.slice(0, 8).map((n) => JSON.stringify(n));
    const more = names.length > 8 ? ` and ${names.length - 8} more` : '';
    return Either.left([
      diagnostic('safetensors/missing-tensor', `${source} has no tensor ${JSON.stringify(name)} (expected shape ${showShape(shape)})`, {
        fix: names.length === 0 ? 'the file holds no tensors' : `it holds ${shown.join(', ')}${more}`,
      }),
    ]);
  }
  if (!sameShape(t.shape, shape)) {
    const transposed = t.shape.length === 2 && shape.length === 2 && t.shape[0] === shape[1] && t.shape[1] === shape[0];
    return Either.left([
      diagnostic('safetensors/shape-mismatch', `tensor ${JSON.stringify(name)} in ${source} has shape ${showShape(t.shape)}, expected ${showShape(shape)}`, {
        fix: transposed
          ? 'it looks transposed (PyTorch nn.Linear stores weights as [out, in]): transpose it when saving or loading'
          : 'the file was saved for a different model configuration',
      }),
    ]);
  }
  return Either.right(t);
};
