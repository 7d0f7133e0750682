/** The settings an example declares in its header: `# vocab:`, `# max-len:`, `# causal:`. */
import { readFileSync } from 'node:fs';
import { readHeader } from '../src/ast/header.js';
import type { CompileSettings } from './cliCompile.js';

export const exampleSettings = (name: string, maxLen?: number): CompileSettings & { readonly vocabSize: number } => {
  const file = `examples/${name}.rasp`;
  const text = readFileSync(file, 'utf8');
  const header = readHeader(text);
  // the vocabulary exactly as written, so the CLI parses it as a user's --vocab
  const vocab = /^#\s*vocab:\s*(.+)$/m.exec(text)?.[1]?.trim();
  const len = maxLen ?? header.maxLen;
  if (vocab === undefined || len === undefined) throw new Error(`${file}: no vocab or max-len header`);
  return { file, vocab, maxLen: len, causal: header.causal ?? false, vocabSize: vocab.split(',').length };
};
