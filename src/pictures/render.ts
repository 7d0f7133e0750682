/** Vega-Lite → SVG (headless vega view), SVG → PNG (resvg). */
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { Spec } from './specs.js';

export const renderSvg = async (spec: Spec): Promise<string> => {
  const compiled = compile(spec as unknown as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
};

export const svgToPng = (svg: string): Uint8Array => new Resvg(svg, { background: 'white', font: { loadSystemFonts: true } }).render().asPng();
