/** The reserved words and built-in names of the `.rasp` language, shared by parser and printer. */

/** Words that are never names. */
export const KEYWORDS: readonly string[] = [
  'def',
  'return',
  'if',
  'else',
  'and',
  'or',
  'not',
  'True',
  'False',
  'None',
  'true',
  'false',
  'none',
];

/** Words that the lexer reads as numbers. */
export const NUMBER_WORDS: Readonly<Record<string, number>> = { inf: Infinity, nan: NaN };

/** Built-in s-ops: `tokens`, `indices`, `length`. */
export const BUILTIN_SOPS: readonly string[] = ['tokens', 'indices', 'length'];

export const BUILTIN_FUNCTIONS: readonly string[] = [
  'select',
  'aggregate',
  'selector_width',
  'map',
  'sequence_map',
  'linear_sequence_map',
  'full',
  'numerical',
  'categorical',
  'min',
  'max',
  'abs',
  'round',
];

export const isIdentifier = (s: string): boolean => /^[A-Za-z_][A-Za-z0-9_]*$/.test(s);

/** A word the lexer does not read as a name (keyword or number word). */
export const isKeyword = (s: string): boolean => KEYWORDS.includes(s) || Object.hasOwn(NUMBER_WORDS, s);

/** The inputs: these two built-in s-ops cannot be rebound (`length` can, as in Tracr programs). */
export const INPUT_SOPS: readonly string[] = ['tokens', 'indices'];

/**
 * A name that cannot be assigned or defined: keywords, number words, `tokens`, `indices` and the
 * built-in functions. `length` is predefined but may be rebound (`length = ...;` shadows it).
 */
export const isReservedName = (s: string): boolean =>
  isKeyword(s) || INPUT_SOPS.includes(s) || BUILTIN_FUNCTIONS.includes(s);

/** Levenshtein distance (small strings only: names). */
export const editDistance = (a: string, b: string): number => {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur.push(Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost));
    }
    prev = cur;
  }
  return prev[b.length] as number;
};

/** The candidate closest to `name` (at most 2 edits, and fewer edits than `name` has letters), if any. */
export const closestName = (name: string, candidates: Iterable<string>): string | undefined => {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of [...new Set(candidates)].sort()) {
    if (c === name) continue;
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    const limit = Math.min(2, Math.max(1, Math.floor(name.length / 2)));
    if (d <= limit && d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
};
