import * as Either from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../../src/diagnostics.js';
import * as D from '../../../src/ast/dsl.js';
import * as E from '../../../src/ast/expr.js';
import { programsEqual } from '../../../src/ast/equality.js';
import { parseProgram } from '../../../src/ast/parser/index.js';
import { tokenize } from '../../../src/ast/parser/lexer.js';
import { children, topologicalOrder, type Node, type SOp } from '../../../src/ast/program.js';
import { evaluate } from '../../../src/interpreter/evaluate.js';
import type { Value } from '../../../src/ast/value.js';

const parse = (text: string): SOp => {
  const r = parseProgram(text, 'test.rasp');
  if (Either.isLeft(r)) throw new Error(`unexpected diagnostics: ${JSON.stringify(r.left, null, 2)}`);
  return r.right;
};

const errors = (text: string, file?: string): readonly Diagnostic[] => {
  const r = parseProgram(text, file);
  if (Either.isRight(r)) throw new Error('expected diagnostics, got a program');
  return r.left;
};

const firstError = (text: string): Diagnostic => errors(text)[0] as Diagnostic;

const run = (program: SOp, input: readonly Value[]): readonly Value[] => {
  const r = evaluate(program, input);
  if (Either.isLeft(r)) throw new Error(`evaluation failed: ${JSON.stringify(r.left)}`);
  return r.right;
};

const chars = (s: string): string[] => s.split('');

const nodeCount = (program: Node): number => topologicalOrder([program]).length;

describe('the reverse program of SPEC §7', () => {
  const source = `# a comment
opp = length - indices - 1;                 # arithmetic on s-ops builds map / sequence_map
flip = select(indices, opp, ==);            # select(keys, queries, op)
reverse = aggregate(flip, tokens);          # the last assignment is the program's output
`;

  it('evaluates to d c b a on a b c d', () => {
    expect(run(parse(source), ['a', 'b', 'c', 'd'])).toEqual(['d', 'c', 'b', 'a']);
  });

  it('builds one sequence_map for length - indices - 1, named opp, over the shared length', () => {
    const program = parse(source);
    expect(program.kind).toBe('aggregate');
    expect(program.name).toBe('reverse');
    if (program.kind !== 'aggregate' || program.selector.kind !== 'select') throw new Error('shape');
    expect(program.selector.name).toBe('flip');
    const opp = program.selector.queries;
    expect(opp.name).toBe('opp');
    expect(opp.kind).toBe('sequenceMap');
    if (opp.kind !== 'sequenceMap' || opp.fn.kind !== 'lambda') throw new Error('shape');
    expect(opp.fn.params).toEqual(['x', 'y']);
    expect(opp.fn.body).toEqual(E.binary('-', E.binary('-', E.v('x'), E.v('y')), E.lit(1)));
    expect(opp.fst).toBe(D.length);
    expect(opp.snd).toBe(D.indices);
    expect(program.sop).toBe(D.tokens);
  });

  it('is structurally the DSL program', () => {
    const opp = D.named(D.sequenceMap(D.lambda(['x', 'y'], E.binary('-', E.binary('-', E.v('x'), E.v('y')), E.lit(1))), D.length, D.indices), 'opp');
    const flip = D.named(D.select(D.indices, opp, D.EQ), 'flip');
    const reverse = D.named(D.aggregate(flip, D.tokens), 'reverse');
    expect(programsEqual(parse(source), reverse)).toBe(true);
  });
});

describe('library programs', () => {
  it('frac_prevs', () => {
    const p = parse(`
      bools = numerical(tokens == "l");
      prevs = select(indices, indices, <=);
      frac_prevs = aggregate(prevs, bools, 0);
    `);
    expect(p.encoding).toBe('numerical');
    const out = run(p, chars('hello'));
    [0, 0, 1 / 3, 1 / 2, 2 / 5].forEach((x, i) => expect(out[i] as number).toBeCloseTo(x, 12));
  });

  it('frac_prevs numerical aggregate gets default 0 when omitted', () => {
    const p = parse('f = aggregate(select(indices, indices, <=), numerical(tokens == ")"));');
    expect(p.kind === 'aggregate' && p.default).toBe(0);
    const out = run(p, chars('a()b(c))'));
    [0, 0, 1 / 3, 1 / 4, 1 / 5, 1 / 6, 2 / 7, 3 / 8].forEach((x, i) => expect(out[i] as number).toBeCloseTo(x, 12));
  });

  it('hist', () => {
    const p = parse('hist = selector_width(select(tokens, tokens, ==));');
    expect(run(p, chars('hello'))).toEqual([1, 1, 2, 2, 1]);
    expect(run(p, chars('abac'))).toEqual([2, 1, 2, 1]);
  });

  it('sort (stable, with duplicates) using composite selectors', () => {
    const p = parse(`
      smaller = select(tokens, tokens, <);
      before = smaller | (select(tokens, tokens, ==) & select(indices, indices, <));
      target = selector_width(before);
      sort = aggregate(select(target, indices, ==), tokens);
    `);
    expect(run(p, [2, 4, 1, 2])).toEqual([1, 2, 2, 4]);
    expect(run(p, [3, 1, 2, 4])).toEqual([1, 2, 3, 4]);
    if (p.kind !== 'aggregate' || p.selector.kind !== 'select') throw new Error('shape');
    const target = p.selector.keys;
    if (target.kind !== 'selectorWidth') throw new Error('shape');
    expect(target.selector.kind).toBe('selectorOr');
    expect(target.selector.name).toBe('before');
    if (target.selector.kind !== 'selectorOr') throw new Error('shape');
    expect(target.selector.fst.name).toBe('smaller');
    expect(target.selector.snd.kind).toBe('selectorAnd');
  });

  it('! complements a selector; not on a selector too', () => {
    const p = parse('w = selector_width(!select(indices, indices, <=));');
    if (p.kind !== 'selectorWidth') throw new Error('shape');
    expect(p.selector.kind).toBe('selectorNot');
    expect(run(p, chars('abcd'))).toEqual([3, 2, 1, 0]);
    const q = parse('w = selector_width(not select(indices, indices, <=));');
    expect(programsEqual(p, q)).toBe(true);
  });

  it('shift_by with a lambda predicate (keys first)', () => {
    const p = parse('shift = aggregate(select(indices, indices, (k, q) -> q == k + 1), tokens, None);');
    expect(run(p, chars('abcd'))).toEqual([null, 'a', 'b', 'c']);
    if (p.kind !== 'aggregate' || p.selector.kind !== 'select' || p.selector.predicate.kind !== 'lambda') throw new Error('shape');
    expect(p.selector.predicate.params).toEqual(['k', 'q']);
  });

  it('select with true / false / constant queries', () => {
    const all = parse('n = selector_width(select(tokens, tokens, true));');
    expect(run(all, chars('abc'))).toEqual([3, 3, 3]);
    const none = parse('n = selector_width(select(tokens, tokens, false));');
    expect(run(none, chars('abc'))).toEqual([0, 0, 0]);
    const first = parse('first = aggregate(select(indices, 0, ==), tokens);');
    expect(run(first, chars('xyz'))).toEqual(['x', 'x', 'x']);
    if (first.kind !== 'aggregate' || first.selector.kind !== 'select') throw new Error('shape');
    expect(first.selector.queries).toMatchObject({ kind: 'full', value: 0 });
  });

  it('length is the DSL length object', () => {
    const p = parse('l = length;');
    expect(p).toBe(D.length);
    expect(run(parse('l = length + 0;'), chars('abcd'))).toEqual([4, 4, 4, 4]);
  });
});

describe('lifting arithmetic on s-ops', () => {
  it('a + b + c over three s-ops is a sequence_map over (sequence_map(a + b), c)', () => {
    const p = parse('s = tokens + indices + length;');
    expect(p.kind).toBe('sequenceMap');
    if (p.kind !== 'sequenceMap' || p.fn.kind !== 'lambda') throw new Error('shape');
    expect(p.fn.body).toEqual(E.binary('+', E.v('x'), E.v('y')));
    expect(p.fst.kind).toBe('sequenceMap');
    expect(p.snd).toBe(D.length);
    expect(run(p, [10, 20, 30])).toEqual([13, 24, 35]);
  });

  it('a whole expression over one s-op is one map', () => {
    const p = parse('y = -(tokens * 2 + 1) % 7 if tokens > 0 else abs(tokens);');
    expect(p.kind).toBe('map');
    expect(nodeCount(p)).toBe(2);
    expect(run(p, [1, 2, -3])).toEqual([4, 2, 3]);
  });

  it('the same s-op twice is one input', () => {
    const p = parse('y = tokens * tokens;');
    expect(p.kind).toBe('map');
    expect(run(p, [3, 4])).toEqual([9, 16]);
  });

  it('constants fold, and a constant output becomes full', () => {
    const p = parse('N = 2 * 3 + 1; out = N;');
    expect(p).toEqual({ kind: 'full', value: 7, encoding: 'categorical', name: 'out' });
  });

  it('constants are usable in lambdas and expressions', () => {
    const p = parse('K = 10; y = map(x -> x + K, tokens);');
    if (p.kind !== 'map' || p.fn.kind !== 'lambda') throw new Error('shape');
    expect(p.fn.body).toEqual(E.binary('+', E.v('x'), E.lit(10)));
  });

  it('lambda bodies are kept as written (no folding)', () => {
    const p = parse('y = map(x -> x + 2 * 3, tokens);');
    if (p.kind !== 'map' || p.fn.kind !== 'lambda') throw new Error('shape');
    expect(p.fn.body).toEqual(E.binary('+', E.v('x'), E.binary('*', E.lit(2), E.lit(3))));
  });

  it('a conditional over three distinct s-ops packs two into a tuple', () => {
    const p = parse('y = tokens if indices > 1 else length;');
    expect(run(p, ['a', 'b', 'c', 'd'])).toEqual([4, 4, 'c', 'd']);
  });

  it('min, max, round, not, and, or, comparisons', () => {
    const p = parse('y = (min(tokens, 3) + max(tokens, 1)) if not (tokens == 2 or tokens == 5) and tokens != 0 else round(tokens / 4);');
    expect(run(p, [0, 1, 2, 5, 7])).toEqual([0, 2, 0, 1, 10]);
  });

  it('& and | on s-ops are and / or', () => {
    const p = parse('y = (tokens > 1) & (tokens < 4) | (tokens == 9);');
    expect(run(p, [0, 2, 3, 4, 9])).toEqual([false, true, true, false, true]);
  });

  it('negative literals and double negation', () => {
    const p = parse('y = map(x -> x - -1, tokens);');
    if (p.kind !== 'map' || p.fn.kind !== 'lambda') throw new Error('shape');
    expect(p.fn.body).toEqual(E.binary('-', E.v('x'), E.lit(-1)));
    const q = parse('y = map(x -> -(1) + - -x, tokens);');
    if (q.kind !== 'map' || q.fn.kind !== 'lambda') throw new Error('shape');
    expect(q.fn.body).toEqual(E.binary('+', E.unary('neg', E.lit(1)), E.unary('neg', E.unary('neg', E.v('x')))));
  });

  it('linear_sequence_map, full, numerical, categorical', () => {
    const p = parse(`
      a = numerical(indices);
      d = linear_sequence_map(a, numerical(full(1)), 2, -1);
      c = categorical(d);
    `);
    expect(p.encoding).toBe('categorical');
    if (p.kind !== 'linearSequenceMap') throw new Error('shape');
    expect([p.fstCoeff, p.sndCoeff]).toEqual([2, -1]);
    expect(p.fst.encoding).toBe('numerical');
    expect(run(p, chars('abc'))).toEqual([-1, 1, 3]);
  });
});

describe('tuples and tables', () => {
  it('tuples of s-ops and indexing', () => {
    const p = parse('pair = (tokens, indices); y = pair[1] * 10 + pair[0];');
    expect(run(p, [1, 2, 3])).toEqual([1, 12, 23]);
  });

  it('one-element tuples and indexing strings', () => {
    const p = parse('y = map(x -> (x,), tokens);');
    expect(run(p, ['a'])).toEqual([['a']]);
    const q = parse('y = "qwertyuioplkjhgfdsazxcvbnm"[indices * 3];');
    expect(run(q, chars('hello')).join('')).toBe('qrupj');
  });

  it('a table lookup is an Expr table with literal entries', () => {
    const p = parse('y = {"1": 1, "2": 2, "3": 3, "4": 5, "5": 4}[tokens];');
    expect(run(p, chars('12345'))).toEqual([1, 2, 3, 5, 4]);
    if (p.kind !== 'map' || p.fn.kind !== 'lambda') throw new Error('shape');
    expect(p.fn.body.kind).toBe('table');
  });

  it('table keys may be tuples; tables work inside lambdas', () => {
    const p = parse("y = sequence_map((a, b) -> {(0, 'x'): True, (1, 'y'): False}[(a, b)], indices, tokens);");
    expect(run(p, ['x', 'y'])).toEqual([true, false]);
  });

  it('single-quoted strings and JSON escapes', () => {
    const p = parse(`y = map(x -> x + 'a\\'b' + "\\u00e9\\n", tokens);`);
    expect(run(p, ['z'])).toEqual(["za'bé\n"]);
  });

  it('inf, nan, exponents and lowercase constants', () => {
    const p = parse('y = map(x -> (x < inf, -1e3, nan, true, false, none, None, 2.5E+1, .5), tokens);');
    if (p.kind !== 'map' || p.fn.kind !== 'lambda' || p.fn.body.kind !== 'tuple') throw new Error('shape');
    const [first, ...rest] = p.fn.body.items;
    expect(first).toEqual(E.binary('<', E.v('x'), E.lit(Infinity)));
    expect(rest.map((x) => (x.kind === 'lit' ? x.value : 'not a literal'))).toEqual([-1000, NaN, true, false, null, null, 25, 0.5]);
  });
});

describe('defs', () => {
  it('a def expands inline at s-op level, with locals named inside', () => {
    const p = parse(`
      def shift_by(k, s) {
        before = select(indices, indices, (a, b) -> b == a + k);
        return aggregate(before, s);
      }
      y = shift_by(2, tokens);
    `);
    expect(run(p, chars('abcd'))).toEqual([null, null, 'a', 'b']);
    if (p.kind !== 'aggregate') throw new Error('shape');
    expect(p.selector.name).toBe('before');
  });

  it('a def returning a lifted expression fuses with its caller', () => {
    const p = parse(`
      def inc(a) { return a + 1; }
      y = inc(tokens) * 2;
    `);
    expect(p.kind).toBe('map');
    expect(nodeCount(p)).toBe(2);
    expect(run(p, [1, 2])).toEqual([4, 6]);
  });

  it('a def can be called inside a lambda body and passed as a function', () => {
    const p = parse(`
      def double(v) { t = v + v; return t; }
      y = map(x -> double(x) + 1, tokens);
      z = map(double, y);
    `);
    expect(run(p, [1, 2])).toEqual([6, 10]);
  });

  it('names assigned in a def are local', () => {
    const e = firstError(`
      def f(a) { inner = a + 1; return inner; }
      y = f(tokens);
      z = inner;
    `);
    expect(e.code).toBe('unknown-name');
    expect(e.message).toBe("unknown name 'inner'");
    expect(e.where).toBe('4:11');
  });

  it('two calls give two distinct nodes', () => {
    const p = parse(`
      def g(a) { m = a + 1; return m; }
      y = g(tokens) + g(tokens);
    `);
    expect(p.kind).toBe('sequenceMap');
    if (p.kind !== 'sequenceMap') throw new Error('shape');
    expect(p.fst).not.toBe(p.snd);
    expect(p.fst.name).toBe('m');
  });
});

describe('naming', () => {
  it('_ bindings are anonymous and shared', () => {
    const p = parse('_t = tokens + 1; y = _t * _t + _t;');
    if (p.kind !== 'map') throw new Error('shape');
    expect(p.inner.name).toBeUndefined();
    expect(p.inner.kind).toBe('map');
    const q = parse('_t = tokens + 1; y = sequence_map((a, b) -> a * b, _t, _t);');
    if (q.kind !== 'sequenceMap') throw new Error('shape');
    expect(q.fst).toBe(q.snd);
  });

  it('y = x aliases a named node, and renames an unnamed one', () => {
    const p = parse('x = tokens + 1; y = x;');
    expect(p.name).toBe('x');
    const q = parse('y = tokens;');
    expect(q).toEqual({ kind: 'tokens', encoding: 'categorical', name: 'y' });
  });

  it('length may be rebound (tokens and indices may not)', () => {
    const p = parse('length = selector_width(select(indices, indices, true)); y = length * 2;');
    if (p.kind !== 'map') throw new Error('shape');
    expect(p.inner.name).toBe('length');
    expect(p.inner).not.toBe(D.length);
    expect(programsEqual(p.inner, D.length)).toBe(false);
    expect(run(p, chars('abc'))).toEqual([6, 6, 6]);
    expect(firstError('indices = tokens;').message).toBe("cannot assign to the built-in name 'indices'");
  });

  it('a final bare expression is the output, unnamed', () => {
    const p = parse('x = tokens + 1;\nx * 2;');
    expect(p.name).toBeUndefined();
    expect(run(p, [1])).toEqual([4]);
  });
});

describe('errors (line:col and message)', () => {
  it('a missing ; is reported where it belongs', () => {
    const d = errors('a = tokens\nb = indices;', 'prog.rasp');
    expect(d).toHaveLength(1);
    expect(d[0]?.code).toBe('syntax');
    expect(d[0]?.where).toBe('prog.rasp:1:11');
    expect(d[0]?.message).toBe("expected ';' after the assignment to 'a', found name 'b'");
    expect(d[0]?.fix).toContain(';');
  });

  it('a missing ) names the call and where it opened', () => {
    const e = firstError('s = select(indices, indices, ==;');
    expect(e.where).toBe('1:32');
    expect(e.message).toBe("expected ')' to close the call to 'select' opened at 1:11, found ';'");
  });

  it('an unexpected token', () => {
    const e = firstError('x = tokens + ;');
    expect(e.where).toBe('1:14');
    expect(e.message).toBe("unexpected ';': expected an expression");
  });

  it('an unexpected character and an unterminated string', () => {
    expect(firstError('x = tokens @ 1;')).toMatchObject({ where: '1:12', message: "unexpected character '@'" });
    expect(firstError('x = "abc;\n')).toMatchObject({ where: '1:5' });
    expect(firstError('x = "abc;\n').message).toContain('unterminated string');
  });

  it('comparisons do not chain', () => {
    const e = firstError('x = 1 < tokens < 3;');
    expect(e.where).toBe('1:16');
    expect(e.message).toContain('comparisons do not chain');
  });

  it('an unknown name, with a suggestion', () => {
    const e = firstError('x = 1;\ny = tokns + x;');
    expect(e.code).toBe('unknown-name');
    expect(e.where).toBe('2:5');
    expect(e.message).toBe("unknown name 'tokns'");
    expect(e.fix).toBe("did you mean 'tokens'?");
  });

  it('an unknown name without a close match', () => {
    const e = firstError('y = foo;');
    expect(e.message).toBe("unknown name 'foo'");
    expect(e.fix).not.toContain('did you mean');
  });

  it('a lambda of the wrong arity', () => {
    const e = firstError('m = map((x, y) -> x, tokens);');
    expect(e.code).toBe('lambda-arity');
    expect(e.where).toBe('1:9');
    expect(e.message).toBe('map expects a lambda of 1 parameter, got 2');
    const s = firstError('m = sequence_map(x -> x, tokens, indices);');
    expect(s.message).toBe('sequence_map expects a lambda of 2 parameters, got 1');
    expect(s.where).toBe('1:18');
  });

  it('aggregate given a non-selector', () => {
    const e = firstError('y = aggregate(tokens, tokens);');
    expect(e.where).toBe('1:15');
    expect(e.message).toBe('aggregate expects a selector as its first argument, got an s-op');
  });

  it('select given a selector', () => {
    const e = firstError('s = select(tokens, tokens, ==);\ny = select(s, tokens, ==);');
    expect(e.where).toBe('2:12');
    expect(e.message).toBe('the first argument of select (keys) must be an s-op, got a selector');
  });

  it('wrong argument counts', () => {
    expect(firstError('s = select(tokens, tokens);')).toMatchObject({
      where: '1:5',
      message: 'select expects 3 arguments (keys, queries, predicate), got 2',
      code: 'argument-count',
    });
    expect(firstError('s = aggregate(select(tokens, tokens, ==));').message).toBe(
      'aggregate expects 2 or 3 arguments (selector, sop[, default]), got 1',
    );
    expect(firstError('def f(a, b) { return a; }\ny = f(tokens);')).toMatchObject({
      where: '2:5',
      message: 'f expects 2 arguments, got 1',
    });
  });

  it('def recursion', () => {
    const e = firstError('def f(x) {\n  return f(x) + 1;\n}\ny = f(tokens);');
    expect(e.code).toBe('recursion');
    expect(e.where).toBe('2:10');
    expect(e.message).toContain("recursive call to 'f' (f -> f)");
    expect(e.message).toContain("(in 'f' called at 4:5)");
  });

  it('an unknown function, with a suggestion', () => {
    const e = firstError('y = foo(tokens);');
    expect(e.code).toBe('unknown-function');
    expect(e.where).toBe('1:5');
    expect(e.message).toBe("unknown function 'foo'");
    const f = firstError('y = selectr_width(select(tokens, tokens, ==));');
    expect(f.fix).toBe("did you mean 'selector_width'?");
  });

  it('diagnostics without a file are line:col; several errors are reported together', () => {
    const d = errors('a = foo;\nb = bar;');
    expect(d.map((x) => x.where)).toEqual(['1:5', '2:5']);
  });

  it('an empty program', () => {
    const e = firstError('# nothing here\n');
    expect(e.code).toBe('empty-program');
    expect(e.message).toContain('the program is empty');
  });

  it('a selector output, an s-op inside a lambda, a reserved name', () => {
    expect(firstError('s = select(tokens, tokens, ==);').message).toBe(
      "the program's output (its last assignment) must be an s-op, got a selector",
    );
    expect(firstError('y = map(x -> x + indices, tokens);')).toMatchObject({
      where: '1:18',
      message: "a lambda body can only use its parameters and constants, but 'indices' is an s-op",
    });
    expect(firstError('tokens = indices;').message).toBe("cannot assign to the built-in name 'tokens'");
  });

  it('selectors and s-ops do not mix', () => {
    const e = firstError('s = select(tokens, tokens, ==) & tokens;');
    expect(e.where).toBe('1:32');
    expect(e.message).toBe("'&' cannot combine a selector with an s-op");
  });

  it('constant errors, misplaced operators and lambdas', () => {
    expect(firstError('x = 1 / 0;').message).toContain('division by zero');
    expect(firstError('x = map(==, tokens);').message).toContain('predicate (third argument) of select');
    expect(firstError('x = x -> x;').message).toContain('a lambda can only be');
  });

  it('Tracr predicate names get a hint; a useless statement in a def is an error', () => {
    expect(firstError('s = selector_width(select(tokens, tokens, EQ));')).toMatchObject({
      where: '1:43',
      message: "unknown name 'EQ': select predicates are written == != < <= > >= true false",
      fix: 'write select(keys, queries, ==)',
    });
    expect(firstError('def f(a) { a + 1; return a; }\ny = f(tokens);')).toMatchObject({
      where: '1:12',
      code: 'useless-statement',
    });
  });

  it('a return outside a def, and a def without return', () => {
    expect(firstError('return tokens;')).toMatchObject({ where: '1:1', message: "'return' outside a def" });
    expect(firstError('def f(a) { b = a; }\ny = f(tokens);')).toMatchObject({
      where: '1:19',
      message: "the body of 'f' must end with 'return <expression>;'",
    });
  });

  it('never throws, even on deep nesting', () => {
    const deep = `x = ${'('.repeat(5000)}tokens${')'.repeat(5000)};`;
    expect(firstError(deep).message).toContain('nested too deeply');
    const long = `x = tokens${' + 1'.repeat(3000)};`;
    expect(firstError(long).message).toContain('nested too deeply');
    const negs = `x = ${'- '.repeat(5000)}tokens;`;
    expect(firstError(negs).message).toContain('nested too deeply');
  });
});

describe('lexer', () => {
  it('tokens carry 1-based line and column', () => {
    const r = tokenize('a = 1.5e3;\n  "s" # c\n');
    if (Either.isLeft(r)) throw new Error('lex failed');
    expect(r.right.map((t) => [t.kind, t.text, t.pos.line, t.pos.col])).toEqual([
      ['name', 'a', 1, 1],
      ['symbol', '=', 1, 3],
      ['number', '1.5e3', 1, 5],
      ['symbol', ';', 1, 10],
      ['string', '"s"', 2, 3],
      ['eof', '', 3, 1],
    ]);
    expect(r.right[2]?.value).toBe(1500);
  });

  it('a malformed number', () => {
    const r = tokenize('x = 1e;');
    expect(Either.isLeft(r) && r.left.message).toBe("malformed number '1e'");
  });
});

describe('structure checks', () => {
  it('every node child is reachable and no node is duplicated needlessly', () => {
    const p = parse('a = tokens + 1; b = a * 2; c = a + b;');
    const order = topologicalOrder([p]);
    const a = order.find((n) => n.name === 'a');
    expect(a).toBeDefined();
    const b = order.find((n) => n.name === 'b') as Node;
    expect(children(b)[0]).toBe(a);
    expect(children(p)).toEqual([a, b]);
  });
});
