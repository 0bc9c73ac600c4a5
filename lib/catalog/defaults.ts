// Every default the tool applies to a benchmark, in one place. Defaults are applied after
// inheritance, only where the resolved benchmark leaves a field unset.

export const DEFAULT_IMAGES = {
  vllm: "vllm/vllm-openai:latest",
  sim: "ghcr.io/llm-d/llm-d-inference-sim:v0.4.0",
  /** The last Gateway API Inference Extension release that ships the endpoint picker. */
  eppV1: "registry.k8s.io/gateway-api-inference-extension/epp:v1.5.0",
  /** The seed era's endpoint picker (v1alpha2 API). */
  eppV1alpha2: "registry.k8s.io/gateway-api-inference-extension/epp:v0.3.0",
  /** The load generator the seed README pins. */
  lpg: "us-docker.pkg.dev/gke-inference-gateway-dev/benchmark/benchmark-tool@sha256:1fe4991ec1e9379b261a62631e1321b8ea15772a6d9a74357932771cea7b0500",
  /** The release the harness was built and tested against (config schema, output format). */
  inferencePerf: "quay.io/inference-perf/inference-perf:v0.6.1",
} as const;

export const DEFAULTS = {
  replicas: 3,
  tensorParallelism: "1",
  vllmV1: "0",
  refreshMetricsInterval: "50ms",
  sim: { timeToFirstTokenMs: 50, interTokenLatencyMs: 10, maxNumSeqs: 2048, maxModelLen: 4096 },
  lpg: {
    dataset: "sharegpt_v3_unfiltered_cleaned_split",
    port: "8081",
    benchmarkTimeSeconds: "60",
    outputLength: "1024",
    inputLength: "1024",
    warmupSeconds: "0",
    streaming: true,
    maxNumPrompts: "1000",
    /** What the seed's image sleeps between rates whatever it is told; newer builds follow SLEEP_TIME. */
    pauseSeconds: "30",
  },
  inferencePerf: {
    loadType: "constant",
    port: "8081",
    stageDurationSeconds: 60,
    /** Requests per concurrent stage = this × the stage's concurrency level. */
    requestsPerConcurrencyLevel: 10,
    /** A concurrent warm-up sends this × the first concurrency level requests. */
    warmupRoundsConcurrent: 2,
    api: "completion",
    streaming: true,
    warmupSeconds: 0,
    numWorkers: 8,
    workerMaxConcurrency: 100,
    baseSeed: 42,
    scrapeIntervalSeconds: 15,
    /** inference-perf's own Distribution defaults (config/common.py), written out so the config is explicit. */
    distribution: { min: 10, max: 1024, mean: 512, std_dev: 200, type: "normal" },
    /** inference-perf's own SharedPrefix defaults (config/datagen/config.py). */
    sharedPrefix: { num_groups: 10, num_prompts_per_group: 10, system_prompt_len: 100, question_len: 50, output_len: 50 },
  },
  gatewayClass: { envoy: "inference-bench-envoy", gke: "gke-l7-rilb" },
} as const;

/** The value the original tool's catalogs put in lpg.ip; the tool fills the real address in. */
export const IP_PLACEHOLDER = "to-be-populated-automatically";

/** Envoy Gateway's load balancer types (BackendTrafficPolicy spec.loadBalancer.type). */
export const ENVOY_LB_POLICIES = ["ConsistentHash", "LeastRequest", "Random", "RoundRobin"] as const;
