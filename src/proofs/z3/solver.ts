/**
 * The one place that talks to Z3 (z3-solver, WASM). One context per process, created on first use;
 * sessions run one at a time (Z3 serialises checks anyway, and a session's solver state must not
 * interleave with another's); every check has a timeout, and `unknown` is never read as a proof.
 *
 * Z3 types stay inside src/proofs/z3: the rest of the code base sees plain results.
 */
import { init, type Arith, type BitVec, type Bool, type Context, type Model, type Solver } from 'z3-solver';

export type Z3Context = Context<'raspc'>;
export type Z3Solver = Solver<'raspc'>;
export type Z3Model = Model<'raspc'>;
export type Z3Bool = Bool<'raspc'>;
export type Z3Arith = Arith<'raspc'>;
export type Z3BitVec = BitVec<number, 'raspc'>;

export type CheckResult = 'unsat' | 'sat' | 'unknown';

export interface CheckOutcome {
  readonly result: CheckResult;
  /** The satisfying assignment (only on `sat`). */
  readonly model?: Z3Model;
  /** Why Z3 answered `unknown` (e.g. `timeout`, `canceled`). */
  readonly reason?: string;
  readonly seconds: number;
}

/** What a session gets: the context, fresh solvers with a timeout, and a guarded check. */
export interface SolverSession {
  readonly ctx: Z3Context;
  /**
   * A new solver whose checks stop after `timeoutMs` milliseconds: for a logic (e.g. `QF_FD`), or
   * running a sequence of tactics, or Z3's default.
   */
  solver(timeoutMs: number, how?: { readonly logic?: string; readonly tactics?: readonly string[] }): Z3Solver;
  /** Checks a solver built by {@link SolverSession.solver}; `unknown` carries Z3's reason. */
  check(solver: Z3Solver): Promise<CheckOutcome>;
}

type Api = Awaited<ReturnType<typeof init>>;

let api: Promise<Api> | undefined;
/** Native releases requested while a check runs, replayed when it is over (see guardReleases). */
let checksInFlight = 0;
const deferred: (() => void)[] = [];
let context: Z3Context | undefined;
/** Tail of the queue of sessions: each waits for the previous one to settle. */
let queue: Promise<unknown> = Promise.resolve();

const timeouts = new WeakMap<Z3Solver, number>();

/**
 * z3-solver releases native objects from a FinalizationRegistry, i.e. whenever the garbage
 * collector runs — also while a check is running on Z3's worker thread, which races with the
 * solver and corrupts the WASM heap (crashes, `ASSERTION VIOLATION`, hangs). The high-level API
 * calls the releases through the low-level `Z3` object that init() also returns, so wrapping its
 * `*_dec_ref` / `*_del` functions lets us hold them back until no check is running.
 */
const guardReleases = (a: Api): Api => {
  const z3 = a.Z3 as unknown as Record<string, unknown>;
  for (const key of Object.keys(z3)) {
    const f = z3[key];
    if (typeof f !== 'function' || !(key.endsWith('dec_ref') || key === 'rcf_del' || key === 'del_context')) continue;
    const original = f as (...args: unknown[]) => unknown;
    z3[key] = (...args: unknown[]): unknown => {
      if (checksInFlight === 0) return original(...args);
      deferred.push(() => original(...args));
      return undefined;
    };
  }
  return a;
};

const flushReleases = (): void => {
  if (checksInFlight > 0) return;
  const pending = deferred.splice(0, deferred.length);
  for (const release of pending) release();
};

const ensureContext = async (): Promise<Z3Context> => {
  if (api === undefined) api = init().then(guardReleases);
  const a = await api;
  if (context === undefined) context = new a.Context('raspc');
  return context;
};

const makeSession = (ctx: Z3Context): SolverSession => ({
  ctx,
  solver(timeoutMs: number, how = {}): Z3Solver {
    const ms = Math.max(1, Math.round(timeoutMs));
    const tactics = how.tactics ?? [];
    const s =
      tactics.length >= 2
        ? ctx.AndThen(tactics[0] as string, tactics[1] as string, ...tactics.slice(2)).solver()
        : tactics.length === 1
          ? new ctx.Tactic(tactics[0] as string).solver()
          : new ctx.Solver(how.logic);
    s.set('timeout', ms);
    timeouts.set(s, ms);
    return s;
  },
  async check(solver: Z3Solver): Promise<CheckOutcome> {
    const started = performance.now();
    const ms = timeouts.get(solver);
    if (ms === undefined) throw new Error('bug: check() needs a solver made by session.solver(timeoutMs)');
    // Z3 enforces the timeout itself; the interrupt is a backstop should its timer not fire
    const backstop = setTimeout(() => ctx.interrupt(), ms + 2000);
    checksInFlight++;
    let result: Awaited<ReturnType<Z3Solver['check']>>;
    try {
      result = await solver.check();
    } finally {
      checksInFlight--;
      clearTimeout(backstop);
      flushReleases();
    }
    const seconds = (performance.now() - started) / 1000;
    if (result === 'sat') return { result, model: solver.model(), seconds };
    if (result === 'unsat') return { result, seconds };
    return { result: 'unknown', reason: solver.reasonUnknown(), seconds };
  },
});

/**
 * Runs `fn` with the process's Z3 context once every earlier session has finished. Sessions never
 * overlap, so a session may keep solvers across awaits.
 */
export const withSolver = <T>(fn: (session: SolverSession) => Promise<T>): Promise<T> => {
  const run = queue.then(async () => fn(makeSession(await ensureContext())));
  queue = run.catch(() => undefined);
  return run;
};

/**
 * Ends Z3's worker threads so the process can exit. A later {@link withSolver} starts Z3 again
 * (about 0.2 s).
 */
export const shutdownZ3 = async (): Promise<void> => {
  await queue;
  if (api === undefined) return;
  const a = await api;
  a.em.PThread.terminateAllThreads();
  api = undefined;
  context = undefined;
};
