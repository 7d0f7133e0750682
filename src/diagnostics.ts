/** A user-facing problem: what went wrong, where, and how to fix it. */
export interface Diagnostic {
  /** Stable machine-readable code, e.g. `syntax`, `unknown-name`, `compile/numerical-key`. */
  readonly code: string;
  readonly message: string;
  /** `line:column` in a source file, or a JSON path, or an input position. */
  readonly where?: string;
  /** The label of the program node concerned. */
  readonly node?: string;
  readonly fix?: string;
  readonly severity?: 'error' | 'warning';
}

export const diagnostic = (code: string, message: string, extra: Omit<Diagnostic, 'code' | 'message'> = {}): Diagnostic => ({
  code,
  message,
  ...extra,
});

/** One line: `where: message (node X) — fix`. */
export const formatDiagnostic = (d: Diagnostic): string => {
  const where = d.where !== undefined ? `${d.where}: ` : '';
  const node = d.node !== undefined ? ` [node ${d.node}]` : '';
  const fix = d.fix !== undefined ? ` — fix: ${d.fix}` : '';
  const sev = d.severity === 'warning' ? 'warning: ' : '';
  return `${where}${sev}${d.message}${node}${fix}`;
};

export const isError = (d: Diagnostic): boolean => d.severity !== 'warning';

/** One diagnostic for a list of problems (a command reports one line): the first, saying how many more there are. */
export const firstOf = (problems: readonly Diagnostic[]): Diagnostic => {
  const head = problems[0];
  if (head === undefined) throw new Error('bug: firstOf of no problems');
  const more = problems.length - 1;
  return more === 0 ? head : { ...head, message: `${head.message} (and ${more} more problem${more === 1 ? '' : 's'})` };
};
