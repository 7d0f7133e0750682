/** Reading safetensors files: every problem with the bytes is a Diagnostic, never a throw. */
import * as Either from 'fp-ts/lib/Either.js';
import { diagnostic, type Diagnostic } from '../../diagnostics.js';
import { byName, DTYPE_SIZE, DTYPES, elementCountBig, isDType, isValidDim, MAX_HEADER_BYTES, OTHER_SPEC_DTYPES, showShape, type DType, type Safetensors, type Tensor } from './format.js';

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
