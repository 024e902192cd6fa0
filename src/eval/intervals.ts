/**
 * Confidence intervals for the numbers the CLI prints: Wilson's interval for a proportion
 * (accuracy), and a seeded percentile bootstrap for statistics that are not proportions (F1).
 * Pure and deterministic (the bootstrap's resampling is seeded), so a rerun prints the same.
 */
import { lcg } from "../core/seeded-random.js";

export interface Interval {
  low: number;
  high: number;
}

/**
 * Wilson score interval of k successes in n trials (95% by default).
 *
 * @example wilson(8, 10) // { low: 0.490, high: 0.943 }
 */
export function wilson(k: number, n: number, z = 1.959964): Interval {
  if (n === 0) return { low: 0, high: 1 };
  const p = k / n;
  const d = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / d;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/**
 * Percentile bootstrap of a statistic over items: `resamples` draws of n items with replacement,
 * the statistic of each, and the 2.5th and 97.5th percentiles.
 *
 * @example bootstrap([1, 0, 1, 1], (xs) => xs.reduce((a, b) => a + b, 0) / xs.length)
 */
export function bootstrap<T>(
  items: readonly T[],
  statistic: (sample: T[]) => number,
  { resamples = 1000, seed = 0 }: { resamples?: number; seed?: number } = {},
): Interval {
  if (items.length === 0) return { low: 0, high: 0 };
  const rand = lcg(seed, "bootstrap");
  const values: number[] = [];
  const sample: T[] = new Array(items.length);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < items.length; i++) sample[i] = items[Math.floor(rand() * items.length)]!;
    values.push(statistic(sample));
  }
  values.sort((a, b) => a - b);
  const at = (q: number) =>
    values[Math.min(values.length - 1, Math.max(0, Math.round(q * (values.length - 1))))]!;
  return { low: at(0.025), high: at(0.975) };
}
