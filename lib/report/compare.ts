// Per benchmark and rate, how run B differs from run A; a regression is throughput down or
// p90 latency up by more than the threshold.
import type { StatRow } from "../store/store";
import { sameRate } from "../results/lpg";
import { percentChange, successRatio } from "./analysis";

export interface RateDelta {
  name: string;
  rate: number;
  throughput: number | null;
  latencyP90: number | null;
  ttftP90: number | null;
  successPoints: number | null;
  regressions: string[];
}

export interface Comparison {
  deltas: RateDelta[];
  /** Benchmarks or rates only one run has. */
  unmatched: string[];
}

export function compareRuns(a: StatRow[], b: StatRow[], thresholdPercent?: number): Comparison {
  const deltas: RateDelta[] = [];
  const unmatched: string[] = [];
  const names = [...new Set([...a, ...b].map((r) => r.name))].sort();
  for (const name of names) {
    const before = a.filter((r) => r.name === name);
    const after = b.filter((r) => r.name === name);
    if (!before.length || !after.length) {
      unmatched.push(`${name}: only in run ${before.length ? "A" : "B"}`);
      continue;
    }
    for (const old of before) {
      const now = after.find((r) => sameRate(old.request_rate, r.request_rate));
      if (!now) {
        unmatched.push(`${name} @ ${old.request_rate}: only in run A`);
        continue;
      }
      const throughput = percentChange(old.output_tokens_per_second, now.output_tokens_per_second);
      const latencyP90 = percentChange(old.latency_p90_ms, now.latency_p90_ms);
      const ttftP90 = percentChange(old.ttft_p90_ms, now.ttft_p90_ms);
      const [sa, sb] = [successRatio(old), successRatio(now)];
      const successPoints = sa === null || sb === null ? null : (sb - sa) * 100;
      const regressions: string[] = [];
      if (thresholdPercent !== undefined) {
        if (throughput !== null && throughput < -thresholdPercent) regressions.push(`throughput ${throughput.toFixed(1)}%`);
        if (latencyP90 !== null && latencyP90 > thresholdPercent) regressions.push(`p90 latency +${latencyP90.toFixed(1)}%`);
        if (successPoints !== null && successPoints < -thresholdPercent) regressions.push(`success ${successPoints.toFixed(1)} points`);
      }
      deltas.push({ name, rate: old.request_rate, throughput, latencyP90, ttftP90, successPoints, regressions });
    }
    for (const extra of after.filter((r) => !before.some((o) => sameRate(o.request_rate, r.request_rate)))) unmatched.push(`${name} @ ${extra.request_rate}: only in run B`);
  }
  return { deltas, unmatched };
}
