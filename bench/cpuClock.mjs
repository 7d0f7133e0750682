// Preloaded into the CLI by the benchmark (node --import): the CLI's own timers (performance.now
// around compile and certification) then read this process's CPU time (all threads, user + system)
// instead of the wall clock, so the figures it reports do not depend on what else the machine runs.
import process from 'node:process';

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
Object.defineProperty(globalThis.performance, 'now', { value: cpuMs, configurable: true, writable: true });
