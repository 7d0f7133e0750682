/* global module */
/**
 * The layering of src/ (issue 14), checked in CI by `npm run layers`.
 *
 * Folders are listed bottom-up. A module may import its own folder and folders on LOWER levels
 * only: never a higher level, never another folder on its own level. So no folder cycle can exist,
 * and train / decompile (one level) share nothing but what sits below them (nn, tasks).
 * Why this order: docs/architecture.md.
 */
const LEVELS = [
  ['util', 'diagnostics.ts'], // facts every layer uses
  ['ast'], // the program, its expressions, parser, printer, codecs and the program graph (the IR)
  ['interpreter', 'lib'], // what a program means; the library of programs
  ['typecheck'], // analysis only: value sets, selector facts, representations, bounds
  ['craft'], // bases, blocks, chambers
  ['model'], // compiled models: tensors, manifest, files, the forward pass, decoding
  ['tasks'], // the decompiler paper's tasks and task files
  ['nn'], // GPT-2: config, model, files, one forward, autodiff, AdamW, batches, evaluation on a task
  ['proofs'], // exhaustive, lemmas, Z3, certificates: given a model, never compiling one
  ['passes'], // the compile pipeline (certify is its last pass, calling proofs)
  ['export', 'pictures'],
  ['train', 'decompile', 'report'],
  ['cli'],
  ['index.ts'], // the library's entry point
];

const pattern = (name) => (name.endsWith('.ts') ? `^src/${name.replace('.', '\\.')}$` : `^src/${name}/`);
const forbidden = [];
LEVELS.forEach((level, i) => {
  for (const from of level) {
    const higher = LEVELS.slice(i + 1).flat();
    const siblings = level.filter((x) => x !== from);
    if (higher.length > 0) {
      forbidden.push({
        name: `${from}-imports-upward`,
        comment: `${from} may import only folders below it`,
        severity: 'error',
        from: { path: pattern(from) },
        to: { path: higher.map(pattern) },
      });
    }
    if (siblings.length > 0) {
      forbidden.push({
        name: `${from}-imports-sibling`,
        comment: `${from} and ${siblings.join(', ')} are on one level and never import each other`,
        severity: 'error',
        from: { path: pattern(from) },
        to: { path: siblings.map(pattern) },
      });
    }
  }
});
forbidden.push({
  name: 'unplaced-folder',
  comment: 'every folder of src/ is placed on a level in .dependency-cruiser.cjs',
  severity: 'error',
  from: { path: '^src/', pathNot: LEVELS.flat().map(pattern) },
  to: {},
});

module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
