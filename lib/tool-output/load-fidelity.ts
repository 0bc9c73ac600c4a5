// The load-fidelity verdict of a rate: did the load generator deliver what it claims? A rate is
// valid when it delivered at least 95% of the requested rate, its schedule delay p99 (where the
// tool reports one) is at most 10 ms, and the load generator's cgroup was CPU-throttled for at
// most 1% of the rate. An invalid rate is marked on every curve, left out of SLO capacity, and
// "not comparable" in compare.
import type { LoadFidelity, Stat } from "../../proto/benchmark-types";

/** Below this share of the requested rate, the load was not delivered. */
export const DELIVERED_SHARE = 0.95;

/** The rate actually delivered: the tool's own figure when it has one, else prompts attempted ÷ duration. */
export function achievedRate(stat: Stat): number | undefined {
  if (stat.achieved_rate !== undefined) return stat.achieved_rate;
  if (stat.num_prompts_attempted !== undefined && stat.benchmark_time_seconds)
    return stat.num_prompts_attempted / stat.benchmark_time_seconds;
  return undefined;
}

const MAX_SCHEDULE_DELAY_P99_MS = 10;
const MAX_THROTTLED_SHARE = 0.01;

/** What the wrapper and the tool said about a rate besides its figures. */
export interface LoadEvidence {
  /** inference-perf's load_summary.schedule_delay, milliseconds. */
  scheduleDelayMs?: { p50?: number; p99?: number };
  /** The wrapper's two cpu.stat readings around the rate. */
  cpu?: { seconds: number; throttledUsec: number };
  /** False when request_rate holds a concurrency level (inference-perf's concurrent load). */
  rateIsLoad?: boolean;
}

function percent(value: number): string {
  return `${(100 * value).toFixed(1)}%`;
}

export function loadFidelity(stat: Stat, evidence: LoadEvidence): LoadFidelity | undefined {
  const reasons: string[] = [];
  const load: LoadFidelity = {};
  const requested = stat.request_rate;
  const achieved = achievedRate(stat);
  if (evidence.rateIsLoad !== false && requested && Number.isFinite(requested)) {
    load.requested_rate = requested;
    if (achieved !== undefined) {
      load.achieved_rate = achieved;
      load.delivered_ratio = achieved / requested;
      if (load.delivered_ratio < DELIVERED_SHARE) {
        reasons.push(
          `delivered ${percent(load.delivered_ratio)} of the ${requested} requests/s requested ` +
            `(${achieved.toFixed(2)} achieved), below ${percent(DELIVERED_SHARE)}`,
        );
      }
    }
  }
  const delay = evidence.scheduleDelayMs;
  if (delay?.p50 !== undefined) load.schedule_delay_p50_ms = delay.p50;
  if (delay?.p99 !== undefined) {
    load.schedule_delay_p99_ms = delay.p99;
    if (delay.p99 > MAX_SCHEDULE_DELAY_P99_MS) {
      reasons.push(`schedule delay p99 ${delay.p99.toFixed(1)} ms, above ${MAX_SCHEDULE_DELAY_P99_MS} ms`);
    }
  }
  const cpu = evidence.cpu;
  if (cpu && cpu.seconds > 0) {
    load.cpu_throttled_seconds = cpu.throttledUsec / 1e6;
    load.cpu_throttled_fraction = load.cpu_throttled_seconds / cpu.seconds;
    if (load.cpu_throttled_fraction > MAX_THROTTLED_SHARE) {
      reasons.push(
        `load generator CPU-throttled ${percent(load.cpu_throttled_fraction)} of the rate ` +
          `(${load.cpu_throttled_seconds.toFixed(2)} s of ${cpu.seconds.toFixed(1)} s), above ${percent(MAX_THROTTLED_SHARE)}`,
      );
    }
  }
  if (Object.keys(load).length === 0) return undefined;
  load.valid = reasons.length === 0;
  if (reasons.length) load.reasons = reasons;
  return load;
}

/** False only for a rate with a verdict that says invalid. */
export function isValidRate(stat: Pick<Stat, "load">): boolean {
  return stat.load?.valid !== false;
}
