// Writes dist/src/report/page.js: the report page's script bundled by esbuild (after tsc; the
// options are src/report/pageBundle.ts's, so the sources' fallback bundles the same way).
import { writeFileSync } from 'node:fs';
import { buildSync } from 'esbuild';
import { PAGE_SCRIPT_FILE, pageBuildOptions } from '../dist/src/report/pageBundle.js';

const [bundle] = buildSync(pageBuildOptions('src/report/page/main.ts')).outputFiles;
if (bundle === undefined) throw new Error('esbuild wrote no bundle for the report page');
writeFileSync(`dist/src/report/${PAGE_SCRIPT_FILE}`, bundle.text);
