import * as Either from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/diagnostics.js';
import {
  bf16BitsToNumber,
  expectTensor,
  f16BitsToNumber,
  readSafetensors,
  tensorF32,
  tensorF64,
  tensorI64,
  toFloat32,
  toFloat64,
  writeSafetensors,
  type Safetensors,
  type Tensor,
} from '../../src/model/safetensors.js';

const right = <A>(e: Either.Either<Diagnostic[], A>): A => {
  if (Either.isLeft(e)) throw new Error(e.left.map((d) => `${d.code}: ${d.message}`).join('\n'));
  return e.right;
};

const left = <A>(e: Either.Either<Diagnostic[], A>): Diagnostic[] => {
  if (Either.isRight(e)) throw new Error('expected Left, got Right');
  return e.left;
};

const codes = (e: Either.Either<Diagnostic[], unknown>): string[] => left(e).map((d) => d.code);

/** A file built by hand: the 8-byte length, the header text as given (no padding added), the data. */
const rawFile = (header: string, data: Uint8Array | readonly number[] = []): Uint8Array => {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
};

const raw = (dtype: Tensor['dtype'], shape: number[], bytes: number[]): Tensor => ({ dtype, shape, data: Uint8Array.from(bytes) });

/** 16-bit patterns as little-endian bytes. */
const u16le = (bits: readonly number[]): number[] => bits.flatMap((b) => [b & 0xff, b >> 8]);

const sample = (): Record<string, Tensor> => ({
  'layer.0.weight': tensorF32([2, 3], Float32Array.from([1, -2.5, 3, 0.1, -0, Infinity])),
  'layer.0.bias': tensorF64([3], Float64Array.from([Math.PI, -1e300, NaN])),
  ids: tensorI64([2, 2], [0, -1, 2 ** 53 - 1, -(2 ** 53 - 1)]),
  mask: raw('U8', [4], [0, 1, 254, 255]),
  half: raw('F16', [2], u16le([0x3c00, 0xc000])),
  brain: raw('BF16', [1, 2], u16le([0x3f80, 0xff80])),
  empty: tensorF32([0, 5], new Float32Array(0)),
  flag: raw('BOOL', [], [1]),
});

const readBack = (bytes: Uint8Array): Safetensors => right(readSafetensors(bytes));

describe('safetensors round trip', () => {
  it('round-trips every dtype, a zero-size tensor, a scalar and metadata', () => {
    const tensors = sample();
    const metadata = { format: 'pt', note: 'é ✓ "quoted"' };
    const back = readBack(writeSafetensors(tensors, metadata));
    expect(back.metadata).toEqual(metadata);
    expect([...back.tensors.keys()]).toEqual(Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) {
      const b = back.tensors.get(name)!;
      expect(b.dtype, name).toBe(t.dtype);
      expect(b.shape, name).toEqual(t.shape);
      expect([...b.data], name).toEqual([...t.data]);
    }
    expect([...right(toFloat64(back.tensors.get('layer.0.bias')!))]).toEqual([Math.PI, -1e300, NaN]);
    expect([...right(toFloat64(back.tensors.get('layer.0.weight')!))]).toEqual([1, -2.5, 3, Math.fround(0.1), -0, Infinity]);
    expect([...right(toFloat64(back.tensors.get('ids')!))]).toEqual([0, -1, 2 ** 53 - 1, -(2 ** 53 - 1)]);
    expect([...right(toFloat64(back.tensors.get('mask')!))]).toEqual([0, 1, 254, 255]);
    expect([...right(toFloat64(back.tensors.get('half')!))]).toEqual([1, -2]);
    expect([...right(toFloat64(back.tensors.get('brain')!))]).toEqual([1, -Infinity]);
    expect(right(toFloat64(back.tensors.get('empty')!)).length).toBe(0);
    expect([...right(toFloat64(back.tensors.get('flag')!))]).toEqual([1]);
    expect([...right(toFloat32(back.tensors.get('layer.0.weight')!))]).toEqual([1, -2.5, 3, Math.fround(0.1), -0, Infinity]);
  });

  it('round-trips an empty file and writes no __metadata__ for empty metadata', () => {
    const bytes = writeSafetensors(new Map());
    expect(bytes.length).toBe(16);
    expect(new TextDecoder().decode(bytes.subarray(8))).toBe('{}      ');
    expect(writeSafetensors({}, {})).toEqual(bytes);
    const back = readBack(bytes);
    expect(back.tensors.size).toBe(0);
    expect(back.metadata).toEqual({});
  });

  it('is deterministic: insertion order does not change a byte', () => {
    const tensors = sample();
    const names = Object.keys(tensors);
    const forward = new Map(names.map((n) => [n, tensors[n]!] as const));
    const backward = new Map([...names].reverse().map((n) => [n, tensors[n]!] as const));
    const a = writeSafetensors(forward, { b: '2', a: '1' });
    const b = writeSafetensors(backward, { a: '1', b: '2' });
    expect(b).toEqual(a);
    expect(writeSafetensors(tensors, { a: '1', b: '2' })).toEqual(a);
    // metadata first, then the tensors sorted by name, laid out in that order
    const headerLength = Number(new DataView(a.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(a.subarray(8, 8 + headerLength))) as Record<string, { data_offsets: number[] }>;
    const keys = Object.keys(header);
    expect(keys[0]).toBe('__metadata__');
    expect(Object.keys(header['__metadata__']!)).toEqual(['a', 'b']);
    expect(keys.slice(1)).toEqual([...names].sort());
    const begins = keys.slice(1).map((k) => header[k]!.data_offsets[0]!);
    expect(begins).toEqual([...begins].sort((x, y) => x - y));
  });

  it('pads the header with spaces to a multiple of 8 bytes', () => {
    for (let k = 0; k < 12; k++) {
      const bytes = writeSafetensors({ ['t'.repeat(k)]: tensorF32([1], Float32Array.from([k])) });
      const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      expect(headerLength % 8).toBe(0);
      const text = new TextDecoder().decode(bytes.subarray(8, 8 + headerLength));
      expect(text.trimEnd().endsWith('}')).toBe(true);
      expect(text.length - text.trimEnd().length).toBeLessThan(8);
      expect(text.slice(text.trimEnd().length)).toMatch(/^ *$/);
    }
  });

  it('reads from a view with a byte offset and from a Node Buffer, copying the data', () => {
    const bytes = writeSafetensors(sample());
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 3);
    const view = padded.subarray(3);
    const fromView = readBack(view);
    expect([...right(toFloat64(fromView.tensors.get('layer.0.bias')!))]).toEqual([Math.PI, -1e300, NaN]);
    const w = fromView.tensors.get('layer.0.weight')!;
    view.fill(0);
    expect(right(toFloat64(w))[0]).toBe(1);
    const fromBuffer = readBack(Buffer.from(bytes));
    expect([...right(toFloat64(fromBuffer.tensors.get('ids')!))]).toEqual([0, -1, 2 ** 53 - 1, -(2 ** 53 - 1)]);
  });
});

describe('interop with the Python safetensors library', () => {
  // save_file({"a": torch.tensor([1.0, 2.0])}, "a.safetensors"): compact JSON (54 bytes) padded
  // with 2 spaces to 56, then 1.0f and 2.0f little-endian.
  // With metadata={"format": "pt"} the header is 85 bytes, padded with 3 spaces to 88.
  const pythonFile = (withMetadata = false): Uint8Array => {
    const header = withMetadata
      ? '{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}   '
      : '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}  ';
    const out = new Uint8Array(8 + header.length + 8);
    const view = new DataView(out.buffer);
    view.setUint32(0, header.length, true);
    view.setUint32(4, 0, true);
    for (let i = 0; i < header.length; i++) view.setUint8(8 + i, header.charCodeAt(i));
    view.setFloat32(8 + header.length, 1, true);
    view.setFloat32(8 + header.length + 4, 2, true);
    return out;
  };

  it('reads the file', () => {
    const bytes = pythonFile();
    expect(bytes.length).toBe(72);
    expect([...bytes.subarray(0, 8)]).toEqual([56, 0, 0, 0, 0, 0, 0, 0]);
    const back = readBack(bytes);
    const a = right(expectTensor(back.tensors, 'a', [2], 'a.safetensors'));
    expect(a.dtype).toBe('F32');
    expect([...right(toFloat32(a))]).toEqual([1, 2]);
    expect(back.metadata).toEqual({});
  });

  it('writes the same bytes', () => {
    expect(writeSafetensors({ a: tensorF32([2], Float32Array.from([1, 2])) })).toEqual(pythonFile());
  });

  it('reads and writes the file with metadata', () => {
    const bytes = pythonFile(true);
    expect(bytes.length).toBe(8 + 88 + 8);
    const back = readBack(bytes);
    expect(back.metadata).toEqual({ format: 'pt' });
    expect([...right(toFloat64(back.tensors.get('a')!))]).toEqual([1, 2]);
    expect(writeSafetensors(back.tensors, back.metadata)).toEqual(bytes);
  });
});

describe('F16 and BF16 decoding', () => {
  it('decodes known half-precision bit patterns', () => {
    expect(f16BitsToNumber(0x3c00)).toBe(1);
    expect(f16BitsToNumber(0xc000)).toBe(-2);
    expect(f16BitsToNumber(0x3555)).toBe(0.333251953125);
    expect(f16BitsToNumber(0x7bff)).toBe(65504);
    expect(f16BitsToNumber(0x7c00)).toBe(Infinity);
    expect(f16BitsToNumber(0xfc00)).toBe(-Infinity);
    expect(f16BitsToNumber(0x7e00)).toBeNaN();
    expect(f16BitsToNumber(0x0001)).toBe(2 ** -24); // smallest subnormal
    expect(f16BitsToNumber(0x03ff)).toBe(1023 * 2 ** -24); // largest subnormal
    expect(f16BitsToNumber(0x0400)).toBe(2 ** -14); // smallest normal
    expect(Object.is(f16BitsToNumber(0x8000), -0)).toBe(true);
    expect(f16BitsToNumber(0x0000)).toBe(0);
  });

  it('decodes known bfloat16 bit patterns, agreeing with float32 bits << 16', () => {
    expect(bf16BitsToNumber(0x3f80)).toBe(1);
    expect(bf16BitsToNumber(0xc000)).toBe(-2);
    expect(bf16BitsToNumber(0x4049)).toBe(3.140625);
    expect(bf16BitsToNumber(0x7f80)).toBe(Infinity);
    expect(bf16BitsToNumber(0xff80)).toBe(-Infinity);
    expect(bf16BitsToNumber(0x7fc0)).toBeNaN();
    expect(bf16BitsToNumber(0x0001)).toBe(2 ** -133); // smallest subnormal
    expect(Object.is(bf16BitsToNumber(0x8000), -0)).toBe(true);
    const view = new DataView(new ArrayBuffer(4));
    for (let bits = 0; bits < 0x10000; bits += 7) {
      view.setUint32(0, bits << 16 >>> 0);
      const want = view.getFloat32(0);
      if (Number.isNaN(want)) expect(bf16BitsToNumber(bits)).toBeNaN();
      else expect(bf16BitsToNumber(bits)).toBe(want);
    }
  });

  it('decodes F16 and BF16 tensors through toFloat64 (little-endian)', () => {
    const half = raw('F16', [5], u16le([0x3c00, 0xc000, 0x7c00, 0xfc00, 0x0001]));
    expect([...right(toFloat64(half))]).toEqual([1, -2, Infinity, -Infinity, 2 ** -24]);
    const brain = raw('BF16', [4], u16le([0x3f80, 0xc000, 0x7f80, 0x0001]));
    expect([...right(toFloat64(brain))]).toEqual([1, -2, Infinity, 2 ** -133]);
  });
});

describe('toFloat64 and toFloat32 problems', () => {
  it('refuses I64 values a float64 cannot hold exactly', () => {
    const t: Tensor = { dtype: 'I64', shape: [1], data: new Uint8Array(8) };
    new DataView(t.data.buffer).setBigInt64(0, 2n ** 53n + 1n, true);
    const ds = left(toFloat64(t, 'big'));
    expect(ds[0]!.code).toBe('safetensors/precision-loss');
    expect(ds[0]!.message).toContain('"big"');
  });

  it('refuses data whose length does not match the shape, bad BOOL bytes, and F64 beyond float32', () => {
    expect(codes(toFloat64(raw('F32', [2], [0, 0, 0, 0])))).toEqual(['safetensors/dtype-shape-mismatch']);
    expect(codes(toFloat64(raw('BOOL', [1], [2])))).toEqual(['safetensors/bad-bool']);
    expect(codes(toFloat32(tensorF64([1], Float64Array.from([1e300]))))).toEqual(['safetensors/out-of-range']);
    expect([...right(toFloat32(tensorF64([1], Float64Array.from([Infinity]))))]).toEqual([Infinity]);
  });

  it('decodes signed integers', () => {
    expect([...right(toFloat64(raw('I8', [2], [0xff, 0x7f])))]).toEqual([-1, 127]);
    expect([...right(toFloat64(raw('I16', [1], [0x00, 0x80])))]).toEqual([-32768]);
    expect([...right(toFloat64(raw('I32', [1], [0xfe, 0xff, 0xff, 0xff])))]).toEqual([-2]);
  });
});

describe('writeSafetensors programmer errors', () => {
  it('throws on a data length that does not match shape × dtype size, bad dims and the reserved name', () => {
    expect(() => writeSafetensors({ a: raw('F32', [2], [0, 0, 0, 0]) })).toThrow(/need 8 bytes but data has 4/);
    expect(() => writeSafetensors({ a: raw('U8', [-1], []) })).toThrow(/not a non-negative integer/);
    expect(() => writeSafetensors({ __metadata__: raw('U8', [0], []) })).toThrow(/reserved/);
    expect(() => tensorF32([3], Float32Array.from([1, 2]))).toThrow(/3 elements but 2 values/);
    expect(() => tensorI64([1], [0.5])).toThrow(/not a safe integer/);
  });
});

describe('malformed files', () => {
  const good = (): Uint8Array => writeSafetensors({ a: tensorF32([2], Float32Array.from([1, 2])), b: tensorF32([1], Float32Array.from([3])) });
  const f32 = (...xs: number[]): Uint8Array => new Uint8Array(Float32Array.from(xs).buffer);

  it('a file shorter than 8 bytes is truncated', () => {
    const ds = left(readSafetensors(new Uint8Array(5), 'w.safetensors'));
    expect(ds.map((d) => d.code)).toEqual(['safetensors/truncated']);
    expect(ds[0]!.message).toContain('w.safetensors');
  });

  it('a file missing its last byte is truncated, once', () => {
    const bytes = good();
    const ds = left(readSafetensors(bytes.subarray(0, bytes.length - 1), 'w.safetensors'));
    expect(ds.map((d) => d.code)).toEqual(['safetensors/truncated']);
    expect(ds[0]!.message).toContain('w.safetensors');
    expect(ds[0]!.message).toContain('"b"');
  });

  it('a header length larger than the file', () => {
    const bytes = good();
    new DataView(bytes.buffer).setBigUint64(0, BigInt(bytes.length), true);
    expect(codes(readSafetensors(bytes))).toEqual(['safetensors/bad-header-length']);
    new DataView(bytes.buffer).setBigUint64(0, 2n ** 63n, true);
    const ds = left(readSafetensors(bytes));
    expect(ds.map((d) => d.code)).toEqual(['safetensors/bad-header-length']);
    expect(ds[0]!.message).toContain('more than the 100000000 allowed');
  });

  it('a header that is not JSON, not UTF-8 or not an object', () => {
    expect(codes(readSafetensors(rawFile('{"a": {"dtype": "F32",')))).toEqual(['safetensors/bad-header']);
    expect(codes(readSafetensors(rawFile('')))).toEqual(['safetensors/bad-header']);
    const notUtf8 = rawFile('{"\u00e9":1}');
    notUtf8[10] = 0xff;
    expect(codes(readSafetensors(notUtf8))).toEqual(['safetensors/bad-header']);
    expect(codes(readSafetensors(rawFile('[1, 2]')))).toEqual(['safetensors/bad-header']);
    expect(codes(readSafetensors(rawFile('null    ')))).toEqual(['safetensors/bad-header']);
  });

  it('a dtype/shape mismatch: shape says 3 floats, offsets cover 2', () => {
    const ds = left(readSafetensors(rawFile('{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', f32(1, 2)), 'w.safetensors'));
    expect(ds.map((d) => d.code)).toEqual(['safetensors/dtype-shape-mismatch']);
    expect(ds[0]!.message).toContain('"w"');
    expect(ds[0]!.message).toContain('w.safetensors');
    expect(ds[0]!.message).toContain('dtype/shape mismatch');
  });

  it('an unknown dtype, with a hint for lower case and for dtypes raspc does not read', () => {
    const ds = left(readSafetensors(rawFile('{"w":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}}', f32(1, 2))));
    expect(ds.map((d) => d.code)).toEqual(['safetensors/unknown-dtype']);
    expect(ds[0]!.message).toContain('"w"');
    expect(left(readSafetensors(rawFile('{"w":{"dtype":"f32","shape":[2],"data_offsets":[0,8]}}', f32(1, 2))))[0]!.fix).toContain('"F32"');
    expect(left(readSafetensors(rawFile('{"w":{"dtype":"U32","shape":[2],"data_offsets":[0,8]}}', f32(1, 2))))[0]!.message).toContain(
      'does not read',
    );
  });

  it('entries with missing or mistyped fields, and bad shapes', () => {
    expect(codes(readSafetensors(rawFile('{"w":{"shape":[2],"data_offsets":[0,8]}}', f32(1, 2))))).toEqual(['safetensors/bad-entry']);
    expect(codes(readSafetensors(rawFile('{"w":{"dtype":"F32","shape":"2","data_offsets":[0,8]}}', f32(1, 2))))).toEqual(['safetensors/bad-entry']);
    expect(codes(readSafetensors(rawFile('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}}', f32(1, 2))))).toEqual(['safetensors/bad-entry']);
    expect(codes(readSafetensors(rawFile('{"w":[1,2]}', f32(1, 2))))).toEqual(['safetensors/bad-entry']);
    expect(codes(readSafetensors(rawFile('{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}', f32(1, 2))))).toEqual(['safetensors/bad-shape']);
    expect(codes(readSafetensors(rawFile('{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,8]}}', f32(1, 2))))).toEqual(['safetensors/bad-shape']);
    expect(codes(readSafetensors(rawFile('{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}', f32(1, 2))))).toEqual(['safetensors/bad-offsets']);
    expect(codes(readSafetensors(rawFile('{"__metadata__":{"n":1}}')))).toEqual(['safetensors/bad-metadata']);
    expect(readBack(rawFile('{"__metadata__":{"__proto__":"x"}}')).metadata['__proto__']).toBe('x');
  });

  it('offsets out of range', () => {
    const header = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[100,108]}}';
    const ds = left(readSafetensors(rawFile(header, f32(1, 2)), 'w.safetensors'));
    expect(ds.map((d) => d.code)).toEqual(['safetensors/offsets-out-of-range']);
    expect(ds[0]!.message).toContain('"b"');
    expect(ds[0]!.message).toContain('w.safetensors');
    // a zero-size tensor past the end is out of range too
    const empty = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"z":{"dtype":"F32","shape":[0],"data_offsets":[9,9]}}';
    expect(codes(readSafetensors(rawFile(empty, f32(1, 2))))).toEqual(['safetensors/offsets-out-of-range']);
  });

  it('overlapping tensors', () => {
    const header = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}';
    const ds = left(readSafetensors(rawFile(header, f32(1, 2, 3)), 'w.safetensors'));
    expect(ds.map((d) => d.code)).toEqual(['safetensors/overlapping-tensors']);
    expect(ds[0]!.message).toContain('"a"');
    expect(ds[0]!.message).toContain('"b"');
  });

  it('unindexed bytes: trailing data and a gap', () => {
    const header = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    const ds = left(readSafetensors(rawFile(header, f32(1, 2, 3)), 'w.safetensors'));
    expect(ds.map((d) => d.code)).toEqual(['safetensors/unindexed-bytes']);
    expect(ds[0]!.message).toContain('bytes 8..12');
    const gap = '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}';
    expect(left(readSafetensors(rawFile(gap, f32(1, 2, 3))))[0]!.message).toContain('bytes 4..8');
  });

  it('accepts a hand-written header with spaces, out-of-order offsets and a zero-size tensor inside the buffer', () => {
    const header = '{ "b": {"dtype":"F32","shape":[1],"data_offsets":[0,4]}, "z": {"dtype":"I64","shape":[3,0],"data_offsets":[4,4]}, "a": {"dtype":"F32","shape":[1],"data_offsets":[4,8]} }   ';
    const back = readBack(rawFile(header, f32(1, 2)));
    expect([...back.tensors.keys()]).toEqual(['a', 'b', 'z']);
    expect([...right(toFloat64(back.tensors.get('a')!))]).toEqual([2]);
    expect(back.tensors.get('z')!.shape).toEqual([3, 0]);
  });

  it('expectTensor: a missing tensor and a wrong shape name the tensor and both shapes', () => {
    const { tensors } = readBack(good());
    const missing = left(expectTensor(tensors, 'c', [2], 'w.safetensors'));
    expect(missing.map((d) => d.code)).toEqual(['safetensors/missing-tensor']);
    expect(missing[0]!.message).toContain('"c"');
    expect(missing[0]!.fix).toContain('"a", "b"');
    const wrong = left(expectTensor(tensors, 'a', [1, 2], 'w.safetensors'));
    expect(wrong.map((d) => d.code)).toEqual(['safetensors/shape-mismatch']);
    expect(wrong[0]!.message).toContain('"a"');
    expect(wrong[0]!.message).toContain('[2]');
    expect(wrong[0]!.message).toContain('[1, 2]');
    expect(right(expectTensor(tensors, 'b', [1], 'w.safetensors')).dtype).toBe('F32');
  });
});
