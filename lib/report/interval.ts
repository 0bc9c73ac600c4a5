// The confidence interval of a difference between two sets of repeated runs.
//
// Each run contributes one value per figure (its p90 latency at a rate, say): the runs are the
// samples, since repeats of a benchmark differ by more than the requests within one run do
// (placement, warm caches, the neighbours on the node). With a few runs per side and unequal
// spreads, the interval is Welch's t interval: the difference of the two means, ± the t quantile
// at Welch–Satterthwaite degrees of freedom × the standard error √(s²a/na + s²b/nb). Relative
// figures (throughput, latencies) are compared on a log scale, so the interval is one for the
// ratio B/A, reported as a percent change; a figure with a zero or negative value, or in
// points (the success ratio), is compared as it is.
import { jStat } from "jstat";

export interface Interval {
  /** The change from A to B: percent for relative figures, plain difference otherwise. */
  estimate: number;
  /** The 95% confidence interval of that change; equal to the estimate with one run on a side. */
  low: number;
  high: number;
  /** Whether an interval could be computed (two or more runs on each side). */
  interval: boolean;
}

function mean(values: number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

function variance(values: number[]): number {
  const m = mean(values);
  return values.reduce((sum, v) => sum + (v - m) ** 2, 0) / (values.length - 1);
}

/** Welch's 95% interval for mean(b) − mean(a); a point when either side has a single value. */
export function welchInterval(
  a: number[],
  b: number[],
  confidence = 0.95,
): { difference: number; low: number; high: number; interval: boolean } {
  const difference = mean(b) - mean(a);
  if (a.length < 2 || b.length < 2) return { difference, low: difference, high: difference, interval: false };
  const [va, vb] = [variance(a) / a.length, variance(b) / b.length];
  const se = Math.sqrt(va + vb);
  if (se === 0) return { difference, low: difference, high: difference, interval: true };
  const df = (va + vb) ** 2 / (va ** 2 / (a.length - 1) + vb ** 2 / (b.length - 1));
  const t = jStat.studentt.inv(1 - (1 - confidence) / 2, df);
  return { difference, low: difference - t * se, high: difference + t * se, interval: true };
}

/** The change from A's runs to B's runs, with its interval; null when A is 0 (no relative change). */
export function changeInterval(a: number[], b: number[], relative: boolean): Interval | null {
  if (!relative) {
    const { difference, low, high, interval } = welchInterval(a, b);
    return { estimate: difference, low, high, interval };
  }
  if ([...a, ...b].every((v) => v > 0)) {
    const { difference, low, high, interval } = welchInterval(a.map(Math.log), b.map(Math.log));
    const percent = (x: number) => (Math.exp(x) - 1) * 100;
    return { estimate: percent(difference), low: percent(low), high: percent(high), interval };
  }
  const base = Math.abs(mean(a));
  const { difference, low, high, interval } = welchInterval(a, b);
  return base === 0
    ? null
    : { estimate: (difference / base) * 100, low: (low / base) * 100, high: (high / base) * 100, interval };
}
