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
export { DTYPE_SIZE, DTYPES, elementCount, isDType, MAX_HEADER_BYTES, type DType, type Safetensors, type Tensor } from './safetensors/format.js';
export { bf16BitsToNumber, f16BitsToNumber, numberToF16Bits } from './safetensors/float16.js';
export { tensorF16, tensorF32, tensorF64, tensorI64, toFloat32, toFloat64 } from './safetensors/tensors.js';
export { writeSafetensors } from './safetensors/write.js';
export { readSafetensors } from './safetensors/read.js';
export { expectTensor } from './safetensors/lookup.js';
