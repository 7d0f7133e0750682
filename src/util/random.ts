/**
 * mulberry32: a small, well-mixed 32-bit PRNG for reproducible random inputs. (A plain LCG's low
 * bits repeat with short periods, so `x % k` draws are correlated: avoid them.)
 */
export const mulberry32 = (seed: number): (() => number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/** A uniform integer in [0, k). */
export const randomInt = (random: () => number, k: number): number => Math.floor(random() * k);
