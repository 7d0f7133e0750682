/** Runs the built CLI (npm test builds first) as a user would: plain node, no tsx. */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { expect } from 'vitest';

const CLI = resolve('dist/src/cli/main.js');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `raspc ARGS`, optionally with standard input and a working directory. */
export const raspcWith = (options: { readonly stdin?: string; readonly cwd?: string }, ...args: string[]): CliResult => {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    ...(options.stdin !== undefined ? { input: options.stdin } : {}),
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
};

export const raspc = (...args: string[]): CliResult => raspcWith({}, ...args);

/** A user error: exit 3, exactly one line on stderr, no stack trace. */
export const expectOneLineError = (r: { code: number; stderr: string }, pattern: RegExp): void => {
  expect(r.stderr).not.toMatch(/internal error/);
  expect(r.code).toBe(3);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
};
