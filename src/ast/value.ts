/**
 * Values an s-op can hold at one position. RASP (and Tracr) are Python, so the value model follows
 * Python: booleans compare equal to 0/1, `None` is `null`, tuples are read-only arrays.
 */
export type Value = number | string | boolean | null | readonly Value[];

/** Relative tolerance under which two numbers are the same value (float noise, not a new value). */
export const NUMBER_TOLERANCE = 1e-9;

export const isNumberLike = (v: Value): v is number | boolean =>
  typeof v === 'number' || typeof v === 'boolean';

export const toNumber = (v: number | boolean): number => (typeof v === 'boolean' ? (v ? 1 : 0) : v);

/** Equal within the relative tolerance; an infinity is close only to itself (the tolerance would scale to ∞). */
export const numbersClose = (a: number, b: number): boolean =>
  a === b || (Number.isFinite(a) && Number.isFinite(b) && Math.abs(a - b) <= NUMBER_TOLERANCE * Math.max(1, Math.abs(a), Math.abs(b)));

const MAX_DENOMINATOR = 1_000_000;
const SNAP_TOLERANCE = 1e-12;

/**
 * The canonical double of a number: a result within 1e-12 (relative) of a fraction p/q with
 * q ≤ 10⁶ is that fraction, so `0.1 + 0.2` is `0.3` and `-2 + 6/5` is `-1 + 1/5`. Every numeric
 * result of the interpreter passes through this, and so does every value-set computation, so
 * values that are equal as fractions are the same double everywhere.
 */
/**
 * The fraction p/q (q ≤ 10⁶) within 1e-12 (relative) of a non-integer finite x, found by
 * continued-fraction convergents; undefined when there is none.
 */
export const nearFraction = (x: number): readonly [number, number] | undefined => {
  let h0 = 0;
  let h1 = 1;
  let k0 = 1;
  let k1 = 0;
  let b = x;
  for (let i = 0; i < 64; i++) {
    const a = Math.floor(b);
    const h2 = a * h1 + h0;
    const k2 = a * k1 + k0;
    if (k2 > MAX_DENOMINATOR) break;
    h0 = h1;
    h1 = h2;
    k0 = k1;
    k1 = k2;
    if (Math.abs(h1 / k1 - x) <= SNAP_TOLERANCE * Math.max(1, Math.abs(x))) return [h1, k1];
    const frac = b - a;
    if (frac === 0) break;
    b = 1 / frac;
  }
  return undefined;
};

export const canonicalNumber = (x: number): number => {
  if (Number.isInteger(x) || !Number.isFinite(x)) return x;
  const f = nearFraction(x);
  if (f === undefined) return x;
  const approx = f[0] / f[1];
  return approx === 0 ? 0 : approx;
};

/** {@link canonicalNumber} applied inside a value (numbers and tuples of numbers). */
export const canonicalValue = (v: Value): Value => {
  if (typeof v === 'number') return canonicalNumber(v);
  if (Array.isArray(v)) return v.map(canonicalValue);
  return v;
};

/** Python `==`: exact, with True == 1 and element-wise tuples. */
export const valueEquals = (a: Value, b: Value): boolean => {
  if (a === b) return true;
  if (a === null || b === null) return false;
  if (isNumberLike(a) && isNumberLike(b)) return toNumber(a) === toNumber(b);
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => valueEquals(x, b[i] as Value));
  }
  return false;
};

/** Like {@link valueEquals} but numbers within {@link NUMBER_TOLERANCE} are equal. */
export const valuesClose = (a: Value, b: Value): boolean => {
  if (a === b) return true;
  if (a === null || b === null) return false;
  if (isNumberLike(a) && isNumberLike(b)) return numbersClose(toNumber(a), toNumber(b));
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => valuesClose(x, b[i] as Value));
  }
  return false;
};

const typeRank = (v: Value): number => {
  if (v === null) return 0;
  if (isNumberLike(v)) return 1;
  if (typeof v === 'string') return 2;
  return 3;
};

/**
 * A total order used to lay out value sets and basis directions deterministically
 * (None < numbers and booleans < strings < tuples). Not Python's `<`, which is partial.
 */
export const compareValues = (a: Value, b: Value): number => {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  if (isNumberLike(a) && isNumberLike(b)) {
    const d = toNumber(a) - toNumber(b);
    if (d !== 0) return d < 0 ? -1 : 1;
    // equal numbers: booleans first so the order is total
    return (typeof a === 'boolean' ? 0 : 1) - (typeof b === 'boolean' ? 0 : 1);
  }
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const c = compareValues(a[i] as Value, b[i] as Value);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  return 0;
};

const formatNumber = (x: number): string => {
  if (Object.is(x, -0)) return '0';
  if (Number.isInteger(x)) return String(x);
  return String(x);
};

/** Human-readable form used in outputs, labels and messages. */
export const showValue = (v: Value): string => {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'string') return v;
  return `(${v.map(showValue).join(', ')}${v.length === 1 ? ',' : ''})`;
};

/** The `.rasp` literal for a value (strings quoted). */
export const valueLiteral = (v: Value): string => {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'nan';
    if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
    return formatNumber(v);
  }
  if (typeof v === 'string') return JSON.stringify(v);
  return `(${v.map(valueLiteral).join(', ')}${v.length === 1 ? ',' : ''})`;
};

/** Python truthiness. */
export const truthy = (v: Value): boolean => {
  if (v === null) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v.length > 0;
  return v.length > 0;
};

/** Parses a vocabulary item or input token: numbers become numbers, everything else a string. */
export const parseToken = (text: string): Value => {
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return Number(text);
  return text;
};

/** A JSON-safe form of a value (None → null; non-finite numbers as strings). */
export const valueToJson = (v: Value): unknown => {
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  if (Array.isArray(v)) return v.map(valueToJson);
  return v;
};
