// The per-pod sampler in the load generator's pod (scripts/pod_metrics.py): what it scrapes, how
// often, and the Role that lets it find the model-server pods. The collector reads what it wrote
// (lib/tool-output/pod-metrics.ts).
import type { IRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import type { IEnvVar } from "kubernetes-models/v1/EnvVar";
import {
  type BuildContext,
  type K8sObject,
  MODEL_SERVER_SELECTOR,
  metadata,
  NAMES,
  PORTS,
  roleBinding,
} from "./common";

const COMPONENT = "load-generator";

/** Seconds between scrapes (the sampler also scrapes when each rate begins and ends). */
export const SCRAPE_INTERVAL_SECONDS = 5;

/** The sampler's file as the wrapper prints it into the pod's log, and as the collector keeps it: gzipped. */
export const POD_METRICS_ARCHIVE = "pod-metrics.jsonl.gz";

/**
 * The metric names attribution reads, each with the names other servers give it, first found
 * wins. vLLM's Python client adds `_total` to counters (vllm/v1/metrics/loggers.py,
 * PrometheusStatLogger: Counter "vllm:prefix_cache_hits" → vllm:prefix_cache_hits_total);
 * llm-d-inference-sim v0.8.2's Go client does not (pkg/llm-d-inference-sim/metrics.go:
 * PrefixCacheHitsMetricName = "vllm:prefix_cache_hits"), and names its success counter with
 * `_total` itself. vLLM before 0.10 names the KV-cache gauge vllm:gpu_cache_usage_perc.
 */
export const POD_METRIC_NAMES = {
  requests: ["vllm:request_success_total"],
  prefixHits: ["vllm:prefix_cache_hits_total", "vllm:prefix_cache_hits"],
  prefixQueries: ["vllm:prefix_cache_queries_total", "vllm:prefix_cache_queries"],
  kvCacheUsage: ["vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc"],
  waiting: ["vllm:num_requests_waiting"],
} as const;

/** The sampler's settings, for the load generator's container. */
export function podSamplerEnvironment(ctx: BuildContext): IEnvVar[] {
  return [
    { name: "POD_METRICS_NAMESPACE", value: ctx.namespace },
    {
      name: "POD_METRICS_SELECTOR",
      value: Object.entries(MODEL_SERVER_SELECTOR)
        .map(([k, v]) => `${k}=${v}`)
        .join(","),
    },
    { name: "POD_METRICS_PORT", value: String(PORTS.modelServer) },
    { name: "POD_METRICS_INTERVAL", value: String(SCRAPE_INTERVAL_SECONDS) },
    { name: "POD_METRICS_KEEP", value: Object.values(POD_METRIC_NAMES).flat().join(",") },
  ];
}

/** get/list pods in the benchmark's namespace, bound to the load generator's ServiceAccount. */
export function podSamplerAccess(ctx: BuildContext): K8sObject[] {
  const role: IRole = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: metadata(ctx, NAMES.podMetricsRole, COMPONENT),
    rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list"] }],
  };
  return [role as K8sObject, roleBinding(ctx, NAMES.podMetricsRole, COMPONENT, NAMES.loadGenerator)];
}
