import * as Either from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import * as D from '../../../src/ast/dsl.js';
import * as E from '../../../src/ast/expr.js';
import type { SOp } from '../../../src/ast/program.js';
import type { Value } from '../../../src/ast/value.js';
import { makeSort, makeSortStable } from '../../../src/lib/index.js';
import { typecheck } from '../../../src/passes/compile.js';
import { allInputs, bounds, compiled, disagreement } from '../../support/check.js';

const checked = (p: SOp, normalise: boolean, vocab: readonly Value[] = [1, 2, 3], maxLen = 4) => {
  const r = typecheck(p, bounds(vocab, maxLen), { normaliseSelectors: normalise });
  if (Either.isLeft(r)) throw new Error(r.left.map((d) => d.message).join('; '));
  return r.right;
};
const kinds = (t: ReturnType<typeof checked>): string[] => t.graph.nodes.map((g) => g.node.kind);

describe('selector rewrites', () => {
  it("Tracr's sort keys x + i/N are recognised as lexicographic and the width is split into two small heads", () => {
    const sort = makeSort(D.tokens, D.tokens, { maxSeqLen: 4, minKey: 1 });
    const plain = checked(sort, false);
    const rewritten = checked(sort, true);
    expect(kinds(plain).filter((k) => k === 'selectorWidth')).toHaveLength(1);
    expect(kinds(rewritten).filter((k) => k === 'selectorWidth')).toHaveLength(2);
    // the tie-broken keys (one value per token × index) are gone
    expect(rewritten.graph.nodes.some((g) => g.label === plain.graph.nodes.find((p) => p.node.kind === 'sequenceMap')?.label)).toBe(false);
  });

  it('keys that are not lexicographic (x - i) are left alone', () => {
    const keys = D.sequenceMap(D.lambda(['x', 'i'], E.binary('-', E.v('x'), E.v('i'))), D.tokens, D.indices);
    const p = D.selectorWidth(D.select(keys, keys, D.LT));
    expect(kinds(checked(p, true)).filter((k) => k === 'selectorWidth')).toHaveLength(1);
  });

  it('a width over overlapping parts (< or <=) is not split', () => {
    const p = D.selectorWidth(D.selectorOr(D.select(D.tokens, D.tokens, D.LT), D.select(D.indices, D.indices, D.LEQ)));
    expect(kinds(checked(p, true)).filter((k) => k === 'selectorWidth')).toHaveLength(1);
  });

  it('the stable sort (k < q or (k == q and i < j)) splits into two widths and stays exact', () => {
    const p = makeSortStable(D.tokens, D.tokens);
    expect(kinds(checked(p, true, ['a', 'b', 'c'], 5)).filter((k) => k === 'selectorWidth')).toHaveLength(2);
    const c = compiled(p, bounds(['a', 'b', 'c'], 5));
    expect(disagreement(p, c, allInputs(['a', 'b', 'c'], 5)).mismatch).toBeUndefined();
  });

  it('the compiler keeps whichever variant is smaller: sort 20×20 uses the rewrite, sort 4×5 does not', () => {
    const big = compiled(makeSort(D.tokens, D.tokens, { maxSeqLen: 20, minKey: 1 }), bounds(Array.from({ length: 20 }, (_, i) => i + 1), 20)).model;
    expect(big.manifest.notes.join(' ')).toMatch(/selectors rewritten/);
    expect(big.manifest.parameters).toBeLessThan(3_500_000);
    const small = compiled(makeSort(D.tokens, D.tokens, { maxSeqLen: 5, minKey: 1 }), bounds([1, 2, 3, 4], 5)).model;
    expect(small.manifest.notes.join(' ')).not.toMatch(/selectors rewritten/);
  });
});
