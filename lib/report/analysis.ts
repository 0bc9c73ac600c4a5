// What a performance engineer reads off a latency-throughput curve.
import type { StatRow } from "../store/store";

/**
 * The saturation point: the last rate before throughput stops growing while latency climbs —
 * the next rate adds less than a quarter of its relative load increase in throughput, and
 * p90 latency rises by more than 20%. Undefined when the curve never saturates.
 */
export function saturationRate(
  rows: Pick<StatRow, "request_rate" | "output_tokens_per_second" | "latency_p90_ms">[],
): number | undefined {
  const points = rows
    .filter((r) => r.request_rate > 0 && r.output_tokens_per_second !== null && r.latency_p90_ms !== null)
    .sort((a, b) => a.request_rate - b.request_rate);
  for (let i = 1; i < points.length; i++) {
    const [before, after] = [points[i - 1], points[i]];
    const loadGain = after.request_rate / before.request_rate - 1;
    const throughputGain = after.output_tokens_per_second! / before.output_tokens_per_second! - 1;
    const latencyGain = after.latency_p90_ms! / before.latency_p90_ms! - 1;
    if (throughputGain < loadGain / 4 && latencyGain > 0.2) return before.request_rate;
  }
  return undefined;
}

export function successRatio(row: Pick<StatRow, "prompts_attempted" | "prompts_succeeded">): number | null {
  return row.prompts_attempted ? (row.prompts_succeeded ?? 0) / row.prompts_attempted : null;
}

/** Failed requests by type, from a stat row's errors_json. */
export function errorsByType(row: Pick<StatRow, "errors_json">): Record<string, number> {
  return JSON.parse(row.errors_json) as Record<string, number>;
}
