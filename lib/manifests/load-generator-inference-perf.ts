// inference-perf's config.yml for a benchmark (kubernetes-sigs/inference-perf v0.6.1). The tool
// ignores keys it does not know (pydantic extra="ignore"), so the tests validate this against a
// strict schema (../shared/reference/inference-perf/config.schema.json). Everything the tool
// would otherwise choose itself (worker count = the pod's CPUs, seed = the clock) is set here.
import YAML from "yaml";
import type { InferencePerf, InferencePerfDistribution, InferencePerfLengths } from "../../proto/benchmark-types";
import { DEFAULTS } from "../catalog/defaults";
import { type BuildContext, NAMES, serviceAddress } from "./common";

export const INFERENCE_PERF_CONFIG_KEY = "config.yml";
/** Concurrent load's warm-up, run on its own before config.yml (see inferencePerfWarmup). */
export const INFERENCE_PERF_WARMUP_KEY = "warmup.yml";
/** An emptyDir; the wrapper prints every file inference-perf writes there into the log. */
export const INFERENCE_PERF_REPORT_DIR = "/reports";
/** The warm-up's report: a folder inside the report folder, whose files alone the wrapper archives. */
const INFERENCE_PERF_WARMUP_DIR = `${INFERENCE_PERF_REPORT_DIR}/warmup`;
/** config.yml's server.base_url through a gateway: the wrapper passes the real one (--server.base_url). */
const GATEWAY_PLACEHOLDER_HOST = "gateway-address-resolved-at-start";

type Json = Record<string, unknown>;

function distribution(d: InferencePerfDistribution): Json {
  return { min: d.min, max: d.max, mean: d.mean, std_dev: d.std_dev, type: d.type };
}

function lengths(l: InferencePerfLengths): Json {
  return { input_distribution: distribution(l.input!), output_distribution: distribution(l.output!) };
}

function data(ip: InferencePerf): Json {
  if (ip.shared_prefix) {
    const sp = ip.shared_prefix;
    return {
      type: "shared_prefix",
      shared_prefix: {
        num_groups: sp.num_groups,
        num_prompts_per_group: sp.num_prompts_per_group,
        system_prompt_len: sp.system_prompt_len,
        question_len: sp.question_len,
        output_len: sp.output_len,
        seed: ip.base_seed,
        enable_multi_turn_chat: sp.multi_turn ?? false,
      },
    };
  }
  if (ip.share_gpt) return { type: "shareGPT", ...(ip.share_gpt.path ? { path: ip.share_gpt.path } : {}) };
  if (ip.synthetic) return { type: "synthetic", ...lengths(ip.synthetic) };
  return { type: "random", ...lengths(ip.random!) };
}

/**
 * The stages: one per rate or concurrency level, after a warm-up stage of warmup_seconds at the
 * first rate (the results parser skips it). Concurrent load has no warm-up stage: a concurrent
 * stage sends a number of requests and has no duration (inference-perf v0.6.1 main.py), so its
 * warm-up runs on its own for warmup_seconds (inferencePerfWarmup).
 */
function inferencePerfStages(ip: InferencePerf, rates: number[]): Json[] {
  if (ip.load_type === "concurrent") {
    const perLevel = (level: number) =>
      ip.requests_per_stage ?? DEFAULTS.inferencePerf.requestsPerConcurrencyLevel * level;
    return rates.map((level) => ({ num_requests: perLevel(level), concurrency_level: level }));
  }
  const measured = rates.map((rate) => ({ rate, duration: ip.stage_duration_seconds }));
  return inferencePerfWarmupStages(ip) ? [{ rate: rates[0], duration: ip.warmup_seconds }, ...measured] : measured;
}

/** Number of warm-up stages before the measured ones (0 or 1; concurrent load warms up on its own). */
export function inferencePerfWarmupStages(ip: InferencePerf): number {
  return ip.load_type !== "concurrent" && (ip.warmup_seconds ?? 0) > 0 ? 1 : 0;
}

/**
 * Concurrent load's warm-up: the first concurrency level with more requests than it can answer
 * in warmup_seconds, which the wrapper stops when they have passed (WARMUP_SECONDS). Its report
 * goes to a folder the wrapper does not archive. Undefined when there is none.
 */
export function inferencePerfWarmup(
  ip: InferencePerf,
  rates: number[],
): { level: number; requests: number } | undefined {
  const seconds = ip.warmup_seconds ?? 0;
  if (ip.load_type !== "concurrent" || seconds <= 0) return undefined;
  return { level: rates[0], requests: rates[0] * seconds * DEFAULTS.inferencePerf.warmupRequestsPerSlotSecond };
}

function inferencePerfConfig(ctx: BuildContext): Json {
  const ip = ctx.benchmark.benchmark.config!.benchmark_tool!.inference_perf!;
  const host = ctx.benchmark.loadBalancer === "k8s_service" ? serviceAddress(ctx.namespace) : GATEWAY_PLACEHOLDER_HOST;
  // Model-server metrics: Google Managed Prometheus with a GCP project (the Job's ServiceAccount
  // has Workload Identity as the metrics reader), else the in-cluster Prometheus named in the catalog.
  const prometheus = ctx.gcp
    ? { google_managed: true, scrape_interval: ip.scrape_interval_seconds, filters: [`namespace='${ctx.namespace}'`] }
    : ip.prometheus_url
      ? {
          url: ip.prometheus_url,
          scrape_interval: ip.scrape_interval_seconds,
          filters: [`namespace='${ctx.namespace}'`],
        }
      : undefined;
  const goodput = ip.goodput;
  const constraints: Json = {};
  if (goodput) {
    // inference-perf's goodput thresholds are seconds (reportgen/base.py); the catalog's are ms.
    for (const [ours, theirs] of [
      ["ttft_ms", "ttft"],
      ["tpot_ms", "tpot"],
      ["itl_ms", "itl"],
      ["ntpot_ms", "ntpot"],
      ["request_latency_ms", "request_latency"],
    ] as const) {
      if (goodput[ours] !== undefined) constraints[theirs] = goodput[ours]! / 1000;
    }
  }
  return {
    load: {
      type: ip.load_type,
      stages: inferencePerfStages(ip, ctx.benchmark.requestRates),
      num_workers: ip.num_workers,
      worker_max_concurrency: ip.worker_max_concurrency,
      base_seed: ip.base_seed,
      ...(ip.request_timeout_seconds !== undefined ? { request_timeout: ip.request_timeout_seconds } : {}),
    },
    api: { type: ip.api, streaming: ip.streaming },
    server: { type: "vllm", model_name: ip.model, base_url: `http://${host}:${ip.port}`, ignore_eos: true },
    tokenizer: { pretrained_model_name_or_path: ip.tokenizer },
    data: data(ip),
    ...(prometheus ? { metrics: { type: "prometheus", prometheus } } : {}),
    report: {
      request_lifecycle: { summary: true, per_stage: true, per_request: false },
      prometheus: prometheus ? { summary: true, per_stage: true } : null,
      ...(Object.keys(constraints).length ? { goodput: { constraints } } : {}),
    },
    storage: { local_storage: { path: INFERENCE_PERF_REPORT_DIR } },
  };
}

export function inferencePerfConfigYaml(ctx: BuildContext): string {
  return (
    `# inference-perf ${NAMES.loadGenerator} config for ${ctx.namespace} (written by ` +
    `inference-bench)\n${YAML.stringify(inferencePerfConfig(ctx))}`
  );
}

/** warmup.yml: config.yml with the warm-up's one stage, no model-server metrics, its report kept apart. */
export function inferencePerfWarmupYaml(ctx: BuildContext): string | undefined {
  const ip = ctx.benchmark.benchmark.config!.benchmark_tool!.inference_perf!;
  const warmup = inferencePerfWarmup(ip, ctx.benchmark.requestRates);
  if (!warmup) return undefined;
  const { metrics: _, ...config } = inferencePerfConfig(ctx);
  const load = {
    ...(config.load as Json),
    stages: [{ num_requests: warmup.requests, concurrency_level: warmup.level }],
  };
  const report = { request_lifecycle: { summary: true, per_stage: false, per_request: false } };
  const storage = { local_storage: { path: INFERENCE_PERF_WARMUP_DIR } };
  return (
    `# inference-perf warm-up for ${ctx.namespace}: stopped after ${ip.warmup_seconds} s (written ` +
    `by inference-bench)\n${YAML.stringify({ ...config, load, report, storage })}`
  );
}
