/** Tracr `lib.make_nary_sequencemap`. */
import * as D from '../ast/dsl.js';
import * as E from '../ast/expr.js';
import type { Fn, SOp } from '../ast/program.js';
import type { Value } from '../ast/value.js';

const freshName = (taken: readonly string[], base: string): string => {
  let name = base;
  for (let i = 1; taken.includes(name); i++) name = `${base}${i}`;
  return name;
};

/**
 * An n-ary sequence map built from binary ones, as Tracr does: the s-ops are zipped into tuples by
 * a chain of sequence maps (`(x, y)`, then `(x[0], x[1], y)`, ...; Tracr's single lambda tests
 * `isinstance(x, tuple)`, here the arity of each step is known when building) and `f` is applied
 * to the tuple by a final map. The tuple-valued intermediates are categorical and can have large
 * value sets.
 *
 *   makeNarySequenceMap(lambda(['x', 'y', 'z'], x + y - z), tokens, tokens, indices)
 *     on [1, 2, 3] → [2, 3, 4]
 *
 * A lambda `f` stays serializable: its parameters are replaced by `args[0]`, `args[1]`, ....
 */
export const makeNarySequenceMap = (f: Fn, ...sops: readonly SOp[]): SOp => {
  const [first, ...rest] = sops;
  if (first === undefined) throw new RangeError('makeNarySequenceMap needs at least one s-op');
  const arity = f.kind === 'lambda' ? f.params.length : f.arity;
  // an opaque function of arity 0 is variadic (`(...xs) => ...`)
  if (arity !== sops.length && !(f.kind === 'opaque' && arity === 0)) {
    throw new RangeError(`makeNarySequenceMap: the function takes ${arity} arguments, ${sops.length} s-ops given`);
  }
  if (rest.length === 0) return D.map(f, first);

  let values = first;
  rest.forEach((sop, step) => {
    const x = E.v('x');
    const head = step === 0 ? [x] : Array.from({ length: step + 1 }, (_, i) => E.index(x, E.lit(i)));
    values = D.sequenceMap(D.lambda(['x', 'y'], E.tuple([...head, E.v('y')])), values, sop);
  });

  if (f.kind === 'lambda') {
    const args = freshName(f.params, 'args');
    const env = new Map(f.params.map((p, i) => [p, E.index(E.v(args), E.lit(i))] as const));
    return D.map(D.lambda([args], E.substitute(f.body, env)), values);
  }
  const impl = f.impl;
  return D.map(
    D.opaque(`nary_${f.name}`, (args: Value) => impl(...(args as readonly Value[]))),
    values,
  );
};
