/** Exit codes of every command (SPEC §7). */
export const EXIT = {
  ok: 0,
  counterexample: 1,
  unknown: 2,
  error: 3,
  /** An exception escaped: a bug in raspc, not a user error. */
  internal: 70,
} as const;
