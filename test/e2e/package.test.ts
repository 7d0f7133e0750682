/**
 * The published package as a user gets it: `npm pack`, then `npm install ./raspc-*.tgz` in an
 * empty project with no special environment (no .npmrc, no ONNXRUNTIME_NODE_INSTALL, none of the
 * npm_config_* variables `npm test` passes down), once as npm installs by default and once with
 * install scripts off. A strict NodeNext TypeScript consumer (and the README's API example) is
 * type-checked against the shipped declarations and run with node; the installed `raspc` bin runs.
 * Needs the build (`npm test` builds first) and registry access for the dependencies.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const TYPES_NODE = (JSON.parse(readFileSync(join(ROOT, 'node_modules', '@types', 'node', 'package.json'), 'utf8')) as { version: string }).version;
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** The environment of a user's shell: ours without npm's per-project settings or ours for onnxruntime. */
const plainEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_|^ONNXRUNTIME_/i.test(k) && k !== 'INIT_CWD') env[k] = v;
  // node first on PATH, as where `npm` was installed with it (the bin's shebang is `env node`)
  env['PATH'] = [dirname(process.execPath), env['PATH'] ?? ''].join(delimiter);
  return env;
};

interface Ran {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command without blocking the test runner; killed only if it is stuck for half an hour. */
const run = (command: string, args: readonly string[], cwd: string): Promise<Ran> =>
  new Promise((done, fail) => {
    const child = spawn(command, args, { cwd, env: plainEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const stuck = setTimeout(() => child.kill('SIGKILL'), 30 * 60_000);
    child.on('error', fail);
    child.on('close', (status) => {
      clearTimeout(stuck);
      done({ status, stdout, stderr });
    });
  });

const ok = (r: Ran, what: string): string => {
  expect(r.status, `${what} failed:\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
};

/** A strict NodeNext consumer of the public API: parse, compile, run, verify (in worker threads), export. */
const CONSUMER = `import * as Either from 'fp-ts/lib/Either.js';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { D, REGISTRY, compile, evaluate, exportFiles, makeBounds, parseProgram, runModel, verify, type Value } from 'raspc';

const fail = (what: string): never => {
  throw new Error(what);
};
const right = <E, A>(e: Either.Either<E, A>, what: string): A => (Either.isRight(e) ? e.right : fail(what + ': ' + JSON.stringify(e.left)));

const version: string = (createRequire(import.meta.url)('raspc/package.json') as { version: string }).version;
const file = fileURLToPath(import.meta.resolve('raspc/examples/reverse.rasp'));
const program = right(parseProgram(readFileSync(file, 'utf8'), file), 'parse');
const input: Value[] = ['a', 'b', 'c', 'd'];
const bounds = right(makeBounds(['a', 'b', 'c', 'd'], 7, false), 'bounds');
const compiled = right(await compile(program, bounds), 'compile');
if (compiled.certificate.verdict !== 'verified' || compiled.model.manifest.certification.verdict !== 'verified') fail('not certified');
const { model } = compiled;
const output = right(runModel(model, input), 'run');
const oracle = right(evaluate(program, input), 'evaluate');
// 21,844 inputs: above the threshold where the exhaustive check starts worker threads
const checked = right(await verify(program, bounds, { method: 'exhaustive', workers: 2 }), 'verify');
const onnx = exportFiles(model, 'onnx')['model.onnx'] ?? fail('no model.onnx');
const dsl = D.aggregate(D.select(D.indices, D.named(D.sub(D.sub(D.length, D.indices), 1), 'opp'), D.EQ), D.tokens);
console.log(JSON.stringify({
  version,
  output,
  oracle,
  dsl: right(evaluate(dsl, input), 'dsl'),
  verdict: checked.certificate.verdict,
  onnxBytes: onnx.length,
  library: REGISTRY.length,
}));
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    lib: ['ES2023'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    types: ['node'],
    outDir: 'build',
  },
  include: ['*.ts'],
};

/** The README's library example, type-checked as it is printed. */
const readmeExample = (): string => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = /## The library API[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(block, 'README has a ```ts block under "## The library API"').toBeDefined();
  return block ?? '';
};

interface Packed {
  readonly filename: string;
  readonly files: readonly { readonly path: string }[];
}

const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));

describe('the packed package, installed into an empty project', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'raspc-pack-'));
  const consumer = join(tmp, 'consumer');
  let tarball = '';

  /** Checks an install of the tarball: the consumer runs, the bin runs. */
  const useInstalled = async (): Promise<void> => {
    const result = JSON.parse(ok(await run(process.execPath, ['build/consumer.js'], consumer), 'the consumer')) as Record<string, unknown>;
    expect(result).toEqual({
      version: VERSION,
      output: ['d', 'c', 'b', 'a'],
      oracle: ['d', 'c', 'b', 'a'],
      dsl: ['d', 'c', 'b', 'a'],
      verdict: 'verified',
      onnxBytes: expect.any(Number),
      library: expect.any(Number),
    });
    expect(result['onnxBytes']).toBeGreaterThan(0);
    // the bin: executable, with its shebang, through npm's link in node_modules/.bin
    const bin = join(consumer, 'node_modules', '.bin', 'raspc');
    expect(ok(await run(bin, ['--version'], consumer), 'raspc --version').trim()).toBe(VERSION);
    const example = join(consumer, 'node_modules', 'raspc', 'examples', 'reverse.rasp');
    expect(ok(await run(bin, ['run', example, '--input', 'a b c', '--json'], consumer), 'raspc run').trim()).toBe('{"output":["c","b","a"]}');
    // the report page's script is the bundle the build wrote (no bundler in a user's install)
    const page = ok(await run(bin, ['report', example, '--vocab', 'a,b,c', '--max-len', '3', '-o', '-'], consumer), 'raspc report');
    expect(page).toContain('// src/model/forward.ts');
  };

  it('packs what it needs and nothing else', async () => {
    expect(existsSync(join(ROOT, 'dist', 'src', 'index.js')), 'build first (npm run build)').toBe(true);
    mkdirSync(join(tmp, 'pack'));
    // the build is there already; --ignore-scripts so packing never rebuilds under other tests
    const out = ok(await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', join(tmp, 'pack')], ROOT), 'npm pack');
    const [packed] = JSON.parse(out.slice(out.indexOf('['))) as Packed[];
    expect(packed).toBeDefined();
    tarball = join(tmp, 'pack', packed?.filename ?? '');
    const files = (packed?.files ?? []).map((f) => f.path);
    for (const needed of ['LICENSE', 'README.md', 'package.json', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/main.js', 'dist/src/proofs/exhaustiveWorker.js', 'dist/src/report/page.js', 'examples/reverse.rasp'])
      expect(files).toContain(needed);
    expect(files.filter((f) => !/^(dist\/src\/.*\.(js|d\.ts|js\.map)|examples\/[a-z0-9_]+\.rasp|LICENSE|README\.md|package\.json)$/.test(f))).toEqual([]);
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toMatch(/Apache License\s+Version 2\.0, January 2004/);
  });

  it('installs without special settings, type-checks a strict NodeNext consumer, runs it and the bin', async () => {
    expect(tarball, 'the pack step ran').not.toBe('');
    mkdirSync(consumer);
    writeFileSync(join(consumer, 'package.json'), `${JSON.stringify({ name: 'raspc-consumer', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`);
    // as npm installs by default (install scripts as this npm decides)
    ok(await run('npm', ['install', '--no-audit', '--no-fund', tarball, `@types/node@${TYPES_NODE}`], consumer), 'npm install of the tarball');
    const installed = join(consumer, 'node_modules', 'raspc');
    expect(existsSync(join(installed, 'node_modules', 'onnxruntime-node')) || existsSync(join(consumer, 'node_modules', 'onnxruntime-node'))).toBe(false);
    // fp-ts is a peer dependency: the consumer's own copy, the one raspc's types refer to
    expect(existsSync(join(consumer, 'node_modules', 'fp-ts', 'package.json'))).toBe(true);

    writeFileSync(join(consumer, 'tsconfig.json'), `${JSON.stringify(TSCONFIG, null, 2)}\n`);
    writeFileSync(join(consumer, 'consumer.ts'), CONSUMER);
    writeFileSync(join(consumer, 'readme.ts'), readmeExample());
    ok(await run(process.execPath, [TSC, '-p', 'tsconfig.json'], consumer), 'tsc (strict, NodeNext) on the consumer');
    await useInstalled();

    // only the public entry points are importable
    const deep = await run(process.execPath, ['--input-type=module', '-e', "await import('raspc/dist/src/model/run.js')"], consumer);
    expect(deep.status).not.toBe(0);
    expect(deep.stderr).toContain('ERR_PACKAGE_PATH_NOT_EXPORTED');

    // every shipped source map carries its sources (the .ts files are not shipped)
    const maps = filesUnder(join(installed, 'dist')).filter((f) => f.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    for (const map of maps) {
      const m = JSON.parse(readFileSync(map, 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
      expect(m.sourcesContent?.length, map).toBe(m.sources.length);
      expect(m.sourcesContent?.every((s) => typeof s === 'string' && s.length > 0), map).toBe(true);
    }
    expect(statSync(join(installed, 'dist', 'src', 'cli', 'main.js')).mode & 0o111).not.toBe(0);
    expect(readFileSync(join(installed, 'dist', 'src', 'cli', 'main.js'), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
  }, 30 * 60_000);

  it('works with install scripts off too (nothing in it needs one)', async () => {
    expect(existsSync(join(consumer, 'build', 'consumer.js')), 'the install test ran').toBe(true);
    rmSync(join(consumer, 'node_modules'), { recursive: true, force: true });
    ok(await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts'], consumer), 'npm install --ignore-scripts');
    await useInstalled();
  }, 30 * 60_000);

  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
});
