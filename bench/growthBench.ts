/**
 * Growth of model size and compile/certification CPU with the maximum length, through the CLI on
 * examples/*.rasp. Each point runs in a limited child process (bench/cliCompile.ts); once a program
 * fails at one length, its longer lengths are recorded as skipped rather than run.
 */
import { compileThroughCli, type PointLimits } from './cliCompile.js';
import { exampleSettings } from './exampleSettings.js';
import type { GrowthPoint } from './growthTable.js';
import type { RowCache } from './rowCache.js';

export const GROWTH_PROGRAMS = ['reverse', 'sort', 'sort_unique', 'hist', 'sort_freq', 'most_freq', 'shuffle_dyck2', 'pair_balance'] as const;
export const GROWTH_LENGTHS = [16, 32, 64, 128, 256] as const;

export interface GrowthOptions {
  readonly programs: readonly string[];
  readonly lengths: readonly number[];
  readonly limits: PointLimits;
  readonly cache?: RowCache<GrowthPoint>;
  readonly log?: (line: string) => void;
}

export const growthBench = (options: GrowthOptions): GrowthPoint[] => {
  const points: GrowthPoint[] = [];
  for (const program of options.programs) {
    let stopped: string | undefined;
    for (const maxLen of options.lengths) {
      const settings = exampleSettings(program, maxLen);
      const key = `${program}/${maxLen}/${options.limits.cpuSeconds}/${options.limits.memoryMiB}`;
      const cached = options.cache?.get(key);
      const point: GrowthPoint =
        cached ??
        (stopped !== undefined
          ? { program, vocab: settings.vocabSize, maxLen, outcome: { kind: 'skipped', reason: `not run (${stopped})` } }
          : { program, vocab: settings.vocabSize, maxLen, outcome: compileThroughCli(settings, options.limits) });
      if (cached === undefined) options.cache?.put(key, point);
      if (point.outcome.kind === 'failed') stopped ??= `max len ${maxLen} ${point.outcome.reason.startsWith('refused') ? 'was refused' : 'did not finish'}`;
      if (point.outcome.kind === 'skipped') stopped ??= point.outcome.reason.replace(/^not run \((.*)\)$/, '$1');
      options.log?.(`  ${program} @ ${maxLen}: ${point.outcome.kind === 'done' ? `${point.outcome.parameters.toLocaleString('en-US')} parameters, compile ${point.outcome.compileCpu.toFixed(2)} s CPU, certificate ${point.outcome.certificateCpu.toFixed(2)} s` : point.outcome.reason}`);
      points.push(point);
    }
  }
  return points;
};
