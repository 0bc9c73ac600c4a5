// Every default the tool applies to a benchmark, in one place. Defaults are applied after
// inheritance, only where the resolved benchmark leaves a field unset.

export const DEFAULT_IMAGES = {
  vllm: "vllm/vllm-openai:latest",
  /**
   * The release GIE v1.5.0 pins (config/manifests/vllm/sim-deployment.yaml). v0.7.0+ exports
   * vllm:kv_cache_usage_perc, the KV-cache metric the v1.5 picker reads (v0.6.1 and older only
   * vllm:gpu_cache_usage_perc, which the picker dropped at v1.3.0).
   */
  sim: "ghcr.io/llm-d/llm-d-inference-sim:v0.8.2",
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
  /** VLLM_USE_V1 for vLLM releases that still have the V0 engine; newer ones run V1 only. */
  vllmV1: "0",
  /**
   * Full-duplex streaming between Envoy and the picker, where the catalog does not say: the only
   * protocol v0.4.0+ pickers implement (GIE removed the buffered server at v0.4.0), so the default
   * of the v1 flavour; the seed era's default (v1alpha2) is buffered, as it was.
   */
  fullDuplexStreaming: { v1: true, v1alpha2: false },
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
    /**
     * A concurrent warm-up is stopped after warmup_seconds; it is given enough requests to last
     * that long: this many per second per request in flight (a fast simulator answers ~20/s).
     */
    warmupRequestsPerSlotSecond: 50,
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
    sharedPrefix: {
      num_groups: 10,
      num_prompts_per_group: 10,
      system_prompt_len: 100,
      question_len: 50,
      output_len: 50,
    },
  },
  gatewayClass: { envoy: "inference-bench-envoy", gke: "gke-l7-rilb" },
} as const;

/**
 * The first vLLM release with no V0 engine: VLLM_USE_V1=0 has no effect from here on
 * (vllm-project/vllm#25033 "[V0 Deprecation] Remove LLMEngine"; "the V0 engine has been completely
 * removed from vLLM starting with version 0.11.0", huggingface/optimum-neuron#1027).
 */
export const VLLM_V0_REMOVED: readonly [number, number] = [0, 11];

/** The release of a vLLM image: "newest" for :latest or no tag, undefined when the tag says nothing. */
export function vllmRelease(image: string): [number, number] | "newest" | undefined {
  if (image.includes("@sha256:")) return undefined;
  const lastSegment = image.slice(image.lastIndexOf("/") + 1);
  const tag = lastSegment.includes(":") ? lastSegment.slice(lastSegment.indexOf(":") + 1) : "";
  if (tag === "" || tag === "latest") return "newest";
  const release = /^v?(\d+)\.(\d+)/.exec(tag);
  return release ? [Number(release[1]), Number(release[2])] : undefined;
}

/**
 * The first endpoint picker release that implements only full-duplex streaming (v0.3.0 cmd/epp/main.go is the
 * last to read USE_STREAMING).
 */
export const EPP_STREAMING_ONLY: readonly [number, number] = [0, 4];

/**
 * The staging picker tag the seed's catalog uses: built from GIE main, which stopped shipping the picker
 * after v1.5.0.
 */
export const EPP_STAGING_MAIN = /\/k8s-staging-images\/gateway-api-inference-extension\/epp:main$/;

/** The value the original tool's catalogs put in lpg.ip; the tool fills the real address in. */
export const IP_PLACEHOLDER = "to-be-populated-automatically";

/** Envoy Gateway's load balancer types (BackendTrafficPolicy spec.loadBalancer.type). */
export const ENVOY_LB_POLICIES = ["ConsistentHash", "LeastRequest", "Random", "RoundRobin"] as const;
