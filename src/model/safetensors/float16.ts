/**
 * IEEE 754 half precision and bfloat16: every conversion between their bits and numbers raspc
 * does (reading F16/BF16 safetensors, writing F16 GPT-2 weights).
 */
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
