/** The hard-attention program run on one input: the evaluator that checks the solver's counterexamples. */
import type { Value } from '../../ast/value.js';
import { tableAt, UNDECODABLE, type HardAttention, type HardProgram, type HardSpace } from './hardProgram.js';
import { add, cmp, div, mul, rat, ZERO, type Rat } from './rational.js';

/** Hard attention at one query: the winning keys (0-based positions, BOS = -1). */
const winners = (att: HardAttention, at: (node: number, pos: number) => number, q: number, n: number, causal: boolean): number[] | undefined => {
  const qIdx = att.queries.map((node) => at(node, q));
  const visible = causal ? q + 1 : n;
  const ranks: number[] = [];
  for (let k = 0; k < visible; k++) {
    const kIdx = att.keys.map((node) => at(node, k));
    if ([...qIdx, ...kIdx].some((x) => x < 0)) return undefined;
    ranks.push(tableAt(att.rank, [...qIdx, ...kIdx]));
  }
  const bos = tableAt(att.bosRank, qIdx);
  const best = Math.max(bos, ...ranks);
  return [...(bos === best ? [-1] : []), ...ranks.flatMap((r, k) => (r === best ? [k] : []))];
};

/** Decodes an aggregate's averaged output (sums / count) like the model's decoder. */
export const decodeAverage = (space: HardSpace, sums: readonly Rat[], count: number): number => {
  const c = rat(BigInt(count));
  if (space.representation === 'numerical') {
    const avg = div(sums[0] ?? ZERO, c);
    const j = (space.intervals ?? []).findIndex(([lo, hi]) => cmp(lo, avg) <= 0 && cmp(avg, hi) < 0);
    return j < 0 ? UNDECODABLE : j;
  }
  let best = -1;
  sums.forEach((s, j) => {
    if (best < 0 || cmp(s, sums[best] as Rat) > 0) best = j;
  });
  return best < 0 || cmp(mul(sums[best] as Rat, rat(2n)), c) < 0 ? 0 : best + 1;
};

/**
 * Runs the hard-attention program on an input (token indices into the vocabulary): the decoded
 * output per position (undefined: undecodable), and every node's value indices.
 */
export const runHard = (hp: HardProgram, tokens: readonly number[]): { output: (Value | undefined)[]; values: number[][] } => {
  const n = tokens.length;
  const values: number[][] = [];
  const at = (node: number, pos: number): number => (values[node] as number[])[pos] as number;
  hp.nodes.forEach((node) => {
    const row: number[] = [];
    for (let i = 0; i < n; i++) {
      switch (node.kind) {
        case 'embed':
          row.push(tableAt(node.table, [i, tokens[i] as number]));
          break;
        case 'mlp': {
          const idx = node.inputs.map((x) => at(x, i));
          row.push(idx.some((x) => x < 0) ? UNDECODABLE : tableAt(node.table, idx));
          break;
        }
        case 'aggregate': {
          const win = winners(node.attention, at, i, n, hp.causal);
          if (win === undefined) {
            row.push(UNDECODABLE);
            break;
          }
          const sums = node.written.map((comp, j) =>
            win.reduce((s, k) => {
              if (k < 0) return add(s, node.writtenBos[j] as Rat);
              const v = at(node.value, k);
              return v < 0 ? s : add(s, comp[v] as Rat);
            }, ZERO),
          );
          const bad = win.some((k) => k >= 0 && at(node.value, k) < 0);
          row.push(bad ? UNDECODABLE : decodeAverage(node.space, sums, win.length));
          break;
        }
        case 'width': {
          const win = winners(node.attention, at, i, n, hp.causal);
          if (win === undefined) {
            row.push(UNDECODABLE);
            break;
          }
          row.push(tableAt(node.table, [win.includes(-1) ? 1 : 0, win.length]));
          break;
        }
      }
    }
    values.push(row);
  });
  const out = (values[hp.output] as number[]).map((v) => (v < 0 ? undefined : hp.unembed[v]));
  return { output: out, values };
};

/** Value index of a value in a node's value list (-1 when absent). */
