// How long a benchmark takes, for timeouts and for planning a run.
import type { ResolvedBenchmark } from "../catalog/catalog";

/** Time to schedule GPU nodes, pull images and load a model before the first request. */
export const STARTUP_MARGIN_SECONDS = 30 * 60;
/** The load generator's own overhead per rate (tokenizer, dataset, draining requests). */
export const PER_RATE_OVERHEAD_SECONDS = 60;

/** Expected wall-clock seconds of a benchmark, deployment to results. */
export function expectedDurationSeconds(benchmark: ResolvedBenchmark): number {
  return benchmark.expectedSeconds + benchmark.requestRates.length * PER_RATE_OVERHEAD_SECONDS + STARTUP_MARGIN_SECONDS / 3;
}

/**
 * How long to wait for the load generator before declaring it lost: every rate's benchmark
 * and warm-up time, a quarter more, per-rate overhead, and the model-loading margin. The
 * provider's 10-minute default would fail every real benchmark.
 */
export function loadGeneratorTimeoutSeconds(benchmark: ResolvedBenchmark): number {
  return Math.ceil(benchmark.expectedSeconds * 1.25 + benchmark.requestRates.length * PER_RATE_OVERHEAD_SECONDS + STARTUP_MARGIN_SECONDS);
}
