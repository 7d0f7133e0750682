/**
 * The compilability rules: the one list both `raspc check` and the compiler use (the compiler
 * calls the same planner, src/typecheck/plan.ts, before it builds any weight). Where Tracr
 * refuses something we compile (composite selectors, means of any numbers, numerical queries,
 * non-None categorical defaults, negative numerical maps), there is no rule here.
 */
export interface Rule {
  readonly id: string;
  readonly summary: string;
  readonly fix: string;
}

const rule = (id: string, summary: string, fix: string): Rule => ({ id, summary, fix });

export const RULES = {
  numericalValues: rule(
    'rule/numerical-values',
    'a numerical s-op must hold only numbers (or booleans): it is encoded in one real dimension, which cannot hold strings or None',
    'make the s-op categorical, or map its values to numbers (give aggregates a numeric default)',
  ),
  aggregateEncoding: rule(
    'rule/aggregate-encoding',
    'an aggregate must have the encoding of the s-op it aggregates (categorical selects one value, numerical averages)',
    'annotate both the aggregated s-op and the aggregate numerical(...), or neither',
  ),
  numericalDefault: rule(
    'rule/numerical-default',
    'a numerical aggregate needs a numeric default (the value written when nothing is selected)',
    'pass a number as the default, e.g. aggregate(sel, x, 0)',
  ),
  twoNumericalInputs: rule(
    'rule/two-numerical-inputs',
    'a sequence map of two numerical s-ops compiles only when it is affine (a·x + b·y + c) on their value sets; one MLP cannot discretise two real inputs at once',
    'make one of the inputs categorical, or use an affine function',
  ),
  numericalKey: rule(
    'rule/numerical-key',
    'select keys must be categorical (a real-valued key can only prefer its largest or smallest value)',
    'make the keys categorical: categorical(...)',
  ),
  numericalQuery: rule(
    'rule/numerical-query',
    'a numerical query compiles only when each query value selects one group of key values and each group is selected by a contiguous range of query values (e.g. ==), in a select not combined with selects on other s-ops, and every query provably selects some key (shown for position-only selectors by evaluating every length, e.g. select(indices, length - indices - 1, ==)): a numerical score cannot also fall back to BOS; and not in a selector width, where BOS must tie with the selected keys',
    'make the query categorical: categorical(...)',
  ),
  compositeNumerical: rule(
    'rule/composite-numerical',
    'a composite selector that combines selects on different s-ops is compiled over tuples of their values, which needs categorical inputs on at least one side of each pair',
    'make the numerical s-ops in this selector categorical',
  ),
  compositeNone: rule(
    'rule/composite-none',
    'a composite selector that mixes selects on different s-ops is compiled over tuples of their values, which cannot hold None',
    'give the aggregates feeding this selector non-None defaults, or split the selector',
  ),
} as const;

export type RuleId = (typeof RULES)[keyof typeof RULES]['id'];
