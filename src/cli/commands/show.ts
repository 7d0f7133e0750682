import { writeFileSync } from 'node:fs';
import * as Either from 'fp-ts/lib/Either.js';
import { diagnostic } from '../../diagnostics.js';
import { isPictureKind, pictureSpec, PICTURES } from '../../pictures/index.js';
import { renderSvg, svgToPng } from '../../pictures/render.js';
import { EXIT } from '../exitCodes.js';
import { parseInput, refuseStdout } from '../inputs.js';
import { loadCompiledModel } from '../loadModel.js';
import { failWith, makeOutput } from '../report.js';

export interface ShowOptions {
  readonly picture: string;
  readonly input?: string;
  readonly output: string;
  readonly json?: boolean;
}

/** `raspc show DIR --picture residual|attention|dag|mlp [--input ...] -o FILE.svg|.png|.json`. */
export const showCommand = async (dir: string, options: ShowOptions): Promise<number> => {
  const out = makeOutput(options.json ?? false);
  if (!isPictureKind(options.picture)) {
    return failWith(out, [diagnostic('cli/bad-picture', `unknown picture "${options.picture}"`, { fix: `use one of ${PICTURES.join(', ')}` })]);
  }
  const target = refuseStdout('-o', options.output, 'a picture', 'give a file ending in .svg, .png or .json');
  if (target.length > 0) return failWith(out, target);
  if (options.input !== undefined && (options.picture === 'dag' || options.picture === 'mlp')) {
    return failWith(out, [
      diagnostic('cli/unused-option', `--input has no effect on the ${options.picture} picture (it shows the model, not a run)`, {
        fix: 'drop --input, or use --picture residual or attention',
      }),
    ]);
  }
  const format = /\.(svg|png|json)$/i.exec(options.output)?.[1]?.toLowerCase();
  if (format === undefined) {
    return failWith(out, [diagnostic('cli/bad-output', `cannot tell the picture format from "${options.output}"`, { fix: 'end the output file name in .svg, .png or .json (the Vega-Lite spec)' })]);
  }
  const model = loadCompiledModel(out, dir);
  if (Either.isLeft(model)) return failWith(out, model.left);
  let input;
  if (options.input !== undefined) {
    const parsed = parseInput(options.input);
    if (Either.isLeft(parsed)) return failWith(out, parsed.left);
    input = parsed.right;
  }
  const spec = pictureSpec(model.right, options.picture, input);
  if (Either.isLeft(spec)) return failWith(out, spec.left);
  try {
    if (format === 'json') writeFileSync(options.output, `${JSON.stringify(spec.right, null, 2)}\n`);
    else {
      const svg = await renderSvg(spec.right);
      writeFileSync(options.output, format === 'svg' ? svg : svgToPng(svg));
    }
  } catch (e) {
    return failWith(out, [diagnostic('io/write', `cannot write ${options.output}: ${(e as Error).message}`, { fix: 'check the output path' })]);
  }
  out.result({ picture: options.picture, file: options.output });
  out.info(`wrote ${options.output}`);
  return EXIT.ok;
};
