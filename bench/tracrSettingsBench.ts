/**
 * The library at Tracr's test settings (each example's header), compiled through the CLI on
 * examples/*.rasp, with Tracr's figures beside ours (SPEC §4; Tracr's compile CPU from issue 15,
 * its own code run to its craft model on the same machine).
 */
import { REGISTRY } from '../src/lib/index.js';
import { compileThroughCli, type CompiledPoint, type PointLimits } from './cliCompile.js';
import { exampleSettings } from './exampleSettings.js';
import { fmt, secs } from './growthTable.js';

interface TracrFigures {
  readonly layers?: number;
  readonly dModel?: number;
  readonly params?: number;
  /** Tracr's compile CPU in milliseconds. */
  readonly cpuMs?: number;
}

const TRACR: Record<string, TracrFigures> = {
  'frac_prevs@4x5': { layers: 2, dModel: 14, params: 1108, cpuMs: 1.7 },
  'reverse@4x5': { layers: 4, dModel: 43, params: 19700, cpuMs: 7.0 },
  'hist@4x5': { layers: 1, dModel: 19, params: 1208, cpuMs: 2.6 },
  'sort_unique@4x5': { layers: 2, dModel: 23, params: 2826, cpuMs: 3.4 },
  'sort@4x5': { layers: 3, dModel: 43, params: 17544, cpuMs: 6.5 },
  'sort_freq@4x5': { layers: 5, dModel: 66, params: 64122, cpuMs: 11 },
  'shuffle_dyck2@4x5': { layers: 8, dModel: 55, params: 246884, cpuMs: 21 },
  'shuffle_dyck3@6x6': { layers: 9, dModel: 73, params: 725253, cpuMs: 37 },
  'pair_balance@5x10': { layers: 2, dModel: 23, params: 5442, cpuMs: 3.1 },
  'count_less_freq_2@4x6': { layers: 2, dModel: 29, params: 4287, cpuMs: 4.5 },
};

export interface TracrSettingsRow {
  readonly name: string;
  readonly vocab: number;
  readonly maxLen: number;
  /** The median run's figures, or why it did not finish. */
  readonly result: (CompiledPoint & { readonly compileCpuRuns: readonly number[] }) | { readonly kind: 'failed'; readonly reason: string };
  readonly tracr?: TracrFigures;
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

export const tracrSettingsBench = (options: { readonly repeats: number; readonly limits: PointLimits; readonly only?: readonly string[]; readonly log?: (line: string) => void }): TracrSettingsRow[] =>
  REGISTRY.filter((e) => options.only === undefined || options.only.includes(e.name)).map((entry) => {
    const settings = exampleSettings(entry.name);
    const tracr = TRACR[`${entry.name}@${settings.vocabSize}x${settings.maxLen}`];
    const runs: CompiledPoint[] = [];
    for (let i = 0; i < options.repeats; i++) {
      const outcome = compileThroughCli(settings, options.limits);
      if (outcome.kind === 'failed') {
        options.log?.(`  ${entry.name}: ${outcome.reason}`);
        return { name: entry.name, vocab: settings.vocabSize, maxLen: settings.maxLen, result: outcome, ...(tracr ? { tracr } : {}) };
      }
      runs.push(outcome);
    }
    const times = runs.map((r) => r.compileCpu);
    const mid = runs.find((r) => r.compileCpu === median(times)) ?? runs[0];
    if (mid === undefined) throw new Error('bug: no runs');
    options.log?.(`  ${entry.name}: ${mid.parameters.toLocaleString('en-US')} parameters, compile ${secs(mid.compileCpu)} CPU`);
    return { name: entry.name, vocab: settings.vocabSize, maxLen: settings.maxLen, result: { ...mid, compileCpuRuns: times }, ...(tracr ? { tracr } : {}) };
  });

const vs = (ours: number, theirs: number | undefined): string => (theirs === undefined ? fmt(ours) : `${fmt(ours)} (Tracr ${fmt(theirs)})`);

export const tracrSettingsTable = (rows: readonly TracrSettingsRow[]): string =>
  [
    '| program | vocab | max len | compile CPU | certificate (method, CPU) | layers (lower bound) | heads | d_model | d_head | MLP width | parameters |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((row) => {
      const r = row.result;
      const head = `| ${row.name} | ${row.vocab} | ${row.maxLen} |`;
      if (r.kind !== 'done') return `${head} ${r.reason} | | | | | | | |`;
      const t = row.tracr;
      const cpu = `${secs(r.compileCpu)}${t?.cpuMs !== undefined ? ` (Tracr ${secs(t.cpuMs / 1000)})` : ''}`;
      return `${head} ${cpu} | ${r.certificateMethod}, ${secs(r.certificateCpu)} | ${vs(r.layers, t?.layers)} (${r.layerLowerBound}) | ${r.heads} | ${vs(r.dModel, t?.dModel)} | ${r.dHead} | ${fmt(r.mlpWidth)} | ${vs(r.parameters, t?.params)} |`;
    }),
  ].join('\n');

/** The compiler's choices (the manifest's notes) per program, for the text under the table. */
export const tracrSettingsNotes = (rows: readonly TracrSettingsRow[]): string[] =>
  rows.flatMap((row) => (row.result.kind === 'done' && row.result.notes.length > 0 ? [`- ${row.name} (${row.vocab}×${row.maxLen}): ${row.result.notes.join('; ')}`] : []));
