// How long a benchmark takes, for timeouts and for planning a run.
import type { ResolvedBenchmark } from "../catalog/catalog";

/** Time to schedule GPU nodes, pull images and load a model before the first request. */
const STARTUP_MARGIN_SECONDS = 30 * 60;
/** The load generator's own overhead per rate (tokenizer, dataset, draining requests). */
const PER_RATE_OVERHEAD_SECONDS = 60;

/** Expected wall-clock seconds of a benchmark, deployment to results. */
export function expectedDurationSeconds(benchmark: ResolvedBenchmark): number {
  return (
    benchmark.expectedSeconds + benchmark.requestRates.length * PER_RATE_OVERHEAD_SECONDS + STARTUP_MARGIN_SECONDS / 3
  );
}

/**
 * How long to wait for the load generator before declaring it lost: every rate's benchmark
 * and warm-up time, a quarter more, per-rate overhead, and the model-loading margin. The
 * provider's 10-minute default would fail every real benchmark.
 */
export function loadGeneratorTimeoutSeconds(benchmark: ResolvedBenchmark): number {
  return Math.ceil(
    benchmark.expectedSeconds * 1.25 +
      benchmark.requestRates.length * PER_RATE_OVERHEAD_SECONDS +
      STARTUP_MARGIN_SECONDS,
  );
}

/**
 * How long deleting a benchmark's namespace may take: teardown is that one delete (components/
 * benchmark.ts), which waits for every pod to drain and every controller to drop its finalizers;
 * a GKE Gateway's controller first deletes the Google Cloud load balancer behind it. At least
 * 30 minutes (the provider's default, 10, stops a teardown half-way).
 */
export function namespaceDeleteTimeoutMinutes(benchmark: Pick<ResolvedBenchmark, "loadBalancer">): number {
  return benchmark.loadBalancer === "gateway.gke_gateway.epp" ? 45 : 30;
}
