/**
 * Writing IEEE 754 half precision (the reading side is `f16BitsToNumber` in model/safetensors.ts).
 */
import type { Tensor } from '../model/safetensors.js';

/** Rounds half to even; exact here because `f` is a float64 with few fraction bits. */
const roundHalfEven = (f: number): number => {
  const below = Math.floor(f);
  const rest = f - below;
  return rest > 0.5 || (rest === 0.5 && below % 2 === 1) ? below + 1 : below;
};

/**
 * The half-precision bits nearest to `x` (ties to even, as IEEE 754 and PyTorch's `.half()` round),
 * straight from the float64 so there is no double rounding. Beyond the largest half (65504) values
 * round to ±Infinity from 65520 on; NaN gives the quiet NaN 0x7e00.
 */
export const numberToF16Bits = (x: number): number => {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= 65520) return sign | 0x7c00;
  if (a < 2 ** -14) {
    // Subnormal: a multiple of 2^-24. A count of 1024 is the bit pattern of the smallest normal.
    return sign | roundHalfEven(a * 2 ** 24);
  }
  let exponent = Math.floor(Math.log2(a));
  if (2 ** exponent > a) exponent--;
  else if (2 ** (exponent + 1) <= a) exponent++;
  let fraction = roundHalfEven((a / 2 ** exponent - 1) * 1024);
  if (fraction === 1024) {
    fraction = 0;
    exponent++;
  }
  return sign | ((exponent + 15) << 10) | fraction;
};

/** An F16 tensor from values (each rounded to the nearest half, little-endian). */
export const tensorF16 = (shape: readonly number[], values: Float64Array): Tensor => {
  const count = shape.reduce((acc, d) => acc * d, 1);
  if (count !== values.length) throw new Error(`tensorF16: shape [${shape.join(', ')}] has ${count} elements but ${values.length} values were given`);
  const data = new Uint8Array(values.length * 2);
  const view = new DataView(data.buffer);
  values.forEach((v, i) => view.setUint16(i * 2, numberToF16Bits(v), true));
  return { dtype: 'F16', shape: [...shape], data };
};
