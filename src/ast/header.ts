import { parseToken, type Value } from './value.js';

/** What the `# key: value` comment lines at the top of a `.rasp` file declare. */
export interface ProgramHeader {
  readonly vocab?: readonly Value[];
  readonly maxLen?: number;
  readonly causal?: boolean;
  readonly examples: readonly { readonly input: readonly Value[]; readonly output: readonly Value[] }[];
}

const tokensOf = (text: string): Value[] =>
  text
    .trim()
    .split(/\s+/)
    .filter((t) => t.length > 0)
    .map((t) => (t === 'None' ? null : t === 'True' ? true : t === 'False' ? false : parseToken(t)));

/**
 * Reads the leading comment block: `# vocab: a,b,c`, `# max-len: 5`, `# causal: true` and any
 * number of `# example: a b c -> c b a` lines. Other comments are ignored.
 */
export const readHeader = (text: string): ProgramHeader => {
  let vocab: Value[] | undefined;
  let maxLen: number | undefined;
  let causal: boolean | undefined;
  const examples: { input: Value[]; output: Value[] }[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (!line.startsWith('#')) break;
    const m = /^#\s*([a-z-]+)\s*:\s*(.*)$/.exec(line);
    if (m === null) continue;
    const [, key, value] = m as unknown as [string, string, string];
    if (key === 'vocab') vocab = value.split(',').map((s) => parseToken(s.trim()));
    else if (key === 'max-len' && /^\d+$/.test(value.trim())) maxLen = Number(value.trim());
    else if (key === 'causal') causal = value.trim() === 'true';
    else if (key === 'example' && value.includes('->')) {
      const [input, output] = value.split('->') as [string, string];
      examples.push({ input: tokensOf(input), output: tokensOf(output) });
    }
  }
  return {
    ...(vocab !== undefined ? { vocab } : {}),
    ...(maxLen !== undefined ? { maxLen } : {}),
    ...(causal !== undefined ? { causal } : {}),
    examples,
  };
};
