/**
 * Tensors from values (the writers' side) and tensors to values (float64 / float32, for every
 * dtype raspc reads).
 */
import * as Either from 'fp-ts/lib/Either.js';
import { diagnostic, type Diagnostic } from '../../diagnostics.js';
import { bf16BitsToNumber, f16BitsToNumber, numberToF16Bits } from './float16.js';
import { DTYPE_SIZE, elementCountBig, isDType, isValidDim, showShape, type Tensor } from './format.js';

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

/** An F16 tensor from values (each rounded to the nearest half, little-endian). */
export const tensorF16 = (shape: readonly number[], values: Float64Array): Tensor => {
  checkShape('tensorF16', shape, values.length);
  const data = new Uint8Array(values.length * 2);
  const view = new DataView(data.buffer);
  values.forEach((v, i) => view.setUint16(i * 2, numberToF16Bits(v), true));
  return { dtype: 'F16', shape: [...shape], data };
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
