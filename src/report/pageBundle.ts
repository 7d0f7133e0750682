/**
 * The report page's script: src/report/page/main.ts with the modules it imports (the compiled-model
 * forward pass of src/model/forward.ts, decoding), bundled by esbuild into one browser script.
 * `npm run build` writes it beside this module as page.js (scripts/bundlePage.mjs), so the package
 * ships it and needs no bundler; run from the TypeScript sources (tsx, vitest), where there is no
 * page.js, the same bundle is made on the spot with esbuild, a devDependency.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The bundle's file name, beside this module in dist/src/report/. */
export const PAGE_SCRIPT_FILE = 'page.js';

/** esbuild's options for the bundle (the build script and the sources' fallback share them). */
export const pageBuildOptions = (entry: string) =>
  ({
    entryPoints: [entry],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    charset: 'utf8',
    legalComments: 'none',
    write: false,
  }) as const;

interface Bundler {
  buildSync(options: ReturnType<typeof pageBuildOptions>): { readonly outputFiles: readonly { readonly text: string }[] };
}

const bundleFromSources = (): string => {
  const entry = fileURLToPath(new URL('./page/main.ts', import.meta.url));
  if (!existsSync(entry)) throw new Error(`bug: no ${PAGE_SCRIPT_FILE} beside the report module and no sources at ${entry} (run npm run build)`);
  const esbuild = createRequire(import.meta.url)('esbuild') as Bundler;
  const text = esbuild.buildSync(pageBuildOptions(entry)).outputFiles[0]?.text;
  if (text === undefined) throw new Error('bug: esbuild wrote no bundle for the report page');
  return text;
};

let cached: string | undefined;

/**
 * The script, safe to put inside a `<script>` element: it never contains `</script` or `<!--`
 * (esbuild escapes them in strings; a bundle that still had one would be a bug).
 */
export const pageScript = (): string => {
  if (cached !== undefined) return cached;
  const built = fileURLToPath(new URL(`./${PAGE_SCRIPT_FILE}`, import.meta.url));
  const text = existsSync(built) ? readFileSync(built, 'utf8') : bundleFromSources();
  if (/<\/script|<!--/i.test(text)) throw new Error('bug: the report page script contains </script or <!--');
  cached = text;
  return text;
};
