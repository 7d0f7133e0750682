/** The safetensors format's vocabulary: dtypes, tensors, shapes (the layout: ../safetensors.ts). */
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
export const OTHER_SPEC_DTYPES: readonly string[] = ['U64', 'U32', 'U16', 'C64', 'F8_E4M3', 'F8_E5M2', 'F8_E8M0', 'F6_E2M3', 'F6_E3M2', 'F4'];

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

export const showShape = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

export const isValidDim = (d: unknown): d is number => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0;

/** The number of elements of a shape, exactly (a bigint: products of large dims do not round). */
export const elementCountBig = (shape: readonly number[]): bigint => shape.reduce((acc, d) => acc * BigInt(d), 1n);

/** The number of elements of a shape (the product of its dims; 1 for a scalar). */
export const elementCount = (shape: readonly number[]): number => shape.reduce((acc, d) => acc * d, 1);

export const byName = <T>(a: readonly [string, T], b: readonly [string, T]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
