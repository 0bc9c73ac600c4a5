// inference-perf's report files → one Stat per measured stage (kubernetes-sigs/inference-perf
// v0.6.1, reportgen/base.py summarize_requests; prometheus reports from
// client/modelserver/vllm_client.py). The tool writes seconds; Stat holds milliseconds.
// `time_per_output_token` is a true TPOT there ((last token − first token) / (output tokens − 1),
// streaming only) and goes to `tpot`; request latency ÷ output tokens is NTPOT (`ntpot`).
// Older releases lack many keys (the repository's kubecon example), so every key but the
// request latency is optional.
import type { ErrorCount, Goodput, Metric, Stat } from "../../proto/benchmark-types";
import { CollectionError } from "../errors";

type Json = Record<string, unknown>;

export const LOAD_GENERATOR = "inference-perf";
/** `stage_<i>_lifecycle_metrics.json` (i = 0-based stage index). */
const STAGE_FILE = /^stage_(\d+)_lifecycle_metrics\.json$/;

/**
 * DIST keys → Metric fields: every percentile inference-perf writes by default (p0.1 … p99.9,
 * "median" for p50; no sd), kept under llm-d's names as its converter does (llm-d-benchmark
 * native_to_br0_2_1.py _stats).
 */
const DIST_FIELDS: Array<[Exclude<keyof Metric, "name" | "unit">, string]> = [
  ["mean", "mean"],
  ["median", "median"],
  ["min", "min"],
  ["max", "max"],
  ["p0p1", "p0.1"],
  ["p1", "p1"],
  ["p5", "p5"],
  ["p10", "p10"],
  ["p25", "p25"],
  ["p75", "p75"],
  ["p90", "p90"],
  ["p95", "p95"],
  ["p99", "p99"],
  ["p99p9", "p99.9"],
  ["rate", "rate"],
];

/** Model-server (Prometheus) figures in seconds, reported in ms. */
const SERVER_SECONDS = new Set([
  "request_latency",
  "time_to_first_token",
  "time_per_output_token",
  "inter_token_latency",
  "request_queue_time",
  "request_inference_time",
  "request_prefill_time",
  "request_decode_time",
  "kv_block_idle_before_evict",
  "kv_block_lifetime",
  "kv_block_reuse_gap",
]);
const SERVER_UNITS: Record<string, string> = {
  // avg_over_time(rate(vllm:prompt_tokens[d])[d:d]): tokens per second, not tokens per request.
  prompt_len: "tokens/s",
  output_len: "tokens/s",
  queue_len: "requests",
  num_requests_running: "requests",
  // vllm:kv_cache_usage_perc is a 0–1 fraction despite its name.
  kv_cache_usage_percentage: "fraction",
  prefix_cache_hit_percent: "%",
  external_prefix_cache_hit_percent: "%",
  mm_cache_hit_percent: "%",
  request_success_count: "requests",
  num_preemptions_total: "preemptions",
  num_requests_swapped: "requests",
  prompt_tokens_cached: "tokens",
  prompt_tokens_recomputed: "tokens",
  corrupted_requests: "requests",
};

export interface StagePlan {
  /** The measured stages' rates (or concurrency levels), in order. */
  requestRates: number[];
  /** Stages before the measured ones (our warm-up). */
  warmupStages: number;
  /** Concurrent load: the stage's "rate" is its request count, so neither rate check applies. */
  concurrent: boolean;
}

export interface InferencePerfWarmup {
  rate: number;
  seconds: number;
  requests: number;
  succeeded: number;
}

export interface InferencePerfParse {
  stats: Stat[];
  missing: string[];
  problems: string[];
  warmup?: InferencePerfWarmup;
}

function object(value: unknown): Json | undefined {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Json) : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** A DIST ({mean, median, p90, …}) scaled by `factor`, or undefined when absent or null (no samples). */
function distribution(value: unknown, name: string, unit: string, factor = 1): Metric | undefined {
  const dist = object(value);
  if (!dist) return undefined;
  const metric: Metric = { name };
  let found = false;
  for (const [field, key] of DIST_FIELDS) {
    const n = num(dist[key]);
    if (n !== undefined) {
      metric[field] = n * factor;
      found = true;
    }
  }
  return found ? { ...metric, unit } : undefined;
}

function parseJson(file: string, text: string): Json {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CollectionError(`${file}: not valid JSON (${(error as Error).message})`);
  }
  const root = object(json);
  if (!root) throw new CollectionError(`${file}: expected a JSON object`);
  return root;
}

function rateText(rate: number): string {
  return `rate ${rate.toFixed(1)}`;
}

/** The model server's figures for a stage, from stage_<i>_prometheus_metrics.json. */
export function serverMetrics(file: string, text: string): Metric[] {
  const successes = object(parseJson(file, text).successes) ?? {};
  const metrics: Metric[] = [];
  for (const [key, value] of Object.entries(successes).sort(([a], [b]) => a.localeCompare(b))) {
    if (key === "count") continue; // the same series as request_success_count
    const n = num(value);
    if (key === "rate" && n !== undefined) {
      metrics.push({ name: "request_success", rate: n, unit: "requests/s" });
    } else if (n !== undefined) {
      metrics.push({ name: key, increase: n, unit: SERVER_UNITS[key] ?? "" });
    } else {
      const seconds = SERVER_SECONDS.has(key);
      const metric = distribution(value, key, seconds ? "ms" : (SERVER_UNITS[key] ?? "tokens"), seconds ? 1000 : 1);
      if (metric) {
        // These are increases over the window, reported as their "mean" by inference-perf.
        if (["num_preemptions_total", "num_requests_swapped"].includes(key) && metric.mean !== undefined) {
          metrics.push({ name: key, increase: metric.mean, unit: SERVER_UNITS[key] });
        } else {
          metrics.push(metric);
        }
      }
    }
  }
  return metrics;
}

function errorsOf(failures: Json | undefined): ErrorCount[] {
  const byLabel = object(failures?.by_label);
  if (byLabel) {
    return Object.entries(byLabel)
      .map(([type, value]) => ({ type, count: Math.round(num(object(value)?.count) ?? 0) }))
      .filter((e) => e.count > 0)
      .sort((a, b) => b.count - a.count || a.type.localeCompare(b.type));
  }
  const count = num(failures?.count) ?? 0;
  return count > 0 ? [{ type: "unlabelled", count }] : [];
}

function goodputOf(successes: Json): Goodput | undefined {
  const g = object(successes.goodput_metrics);
  if (!g) return undefined;
  const goodput: Goodput = {};
  const set = (field: keyof Goodput, value: unknown) => {
    const n = num(value);
    if (n !== undefined) goodput[field] = n;
  };
  set("percentage", g.goodput_percentage);
  set("requests_per_second", g.request_goodput);
  set("tokens_per_second", g.token_goodput);
  set("good_requests", g.good_requests);
  set("total_requests", g.total_requests);
  return goodput;
}

/** Parses one stage_<i>_lifecycle_metrics.json into a Stat (request_rate: the planned one, else the file's). */
function parseStage(file: string, text: string, plannedRate: number | undefined, concurrent: boolean): Stat {
  const root = parseJson(file, text);
  const load = object(root.load_summary);
  const successes = object(root.successes);
  const failures = object(root.failures);
  if (!load || !successes)
    throw new CollectionError(`${file}: no "load_summary" or "successes"; is this an inference-perf stage report?`);
  const rate = plannedRate ?? num(load.requested_rate);
  if (rate === undefined)
    throw new CollectionError(`${file}: no requested rate in load_summary and none planned for this stage`);
  const basename = file.slice(file.lastIndexOf("/") + 1);
  const stat: Stat = { request_rate: rate, source_file: basename, load_generator: LOAD_GENERATOR };

  const latency = object(successes.latency) ?? {};
  const request = distribution(latency.request_latency, "request_latency_ms", "ms", 1000);
  if (request) stat.request_latency = request;
  const timings: Array<[string, "ttft" | "tpot" | "itl" | "ntpot", string]> = [
    ["time_to_first_token", "ttft", "time_to_first_token_ms"],
    ["time_per_output_token", "tpot", "time_per_output_token_ms"],
    ["inter_token_latency", "itl", "inter_token_latency_ms"],
    ["normalized_time_per_output_token", "ntpot", "normalized_time_per_output_token_ms"],
  ];
  for (const [key, field, name] of timings) {
    const metric = distribution(latency[key], name, "ms", 1000);
    if (metric) stat[field] = metric;
  }
  const input = distribution(successes.prompt_len, "input_tokens", "tokens");
  if (input) stat.input_length = input;
  const output = distribution(successes.output_len, "output_tokens", "tokens");
  if (output) stat.output_length = output;

  const throughput = object(successes.throughput);
  const outputRate = num(throughput?.output_tokens_per_sec);
  if (outputRate !== undefined)
    stat.throughput = { name: "output_tokens_per_second", mean: outputRate, unit: "tokens/s" };
  const inputRate = num(throughput?.input_tokens_per_sec);
  if (inputRate !== undefined) stat.input_tokens_per_second = inputRate;
  const totalRate = num(throughput?.total_tokens_per_sec);
  if (totalRate !== undefined) stat.total_tokens_per_second = totalRate;
  const successfulRps = num(throughput?.requests_per_sec);
  if (successfulRps !== undefined) stat.successful_rps = successfulRps;

  const attempted = num(load.count);
  const succeeded = num(successes.count);
  if (attempted !== undefined) stat.num_prompts_attempted = Math.round(attempted);
  if (succeeded !== undefined) stat.num_prompts_succeeded = Math.round(succeeded);
  const time = num(root.benchmark_time_seconds);
  if (time !== undefined) stat.benchmark_time_seconds = time;
  // The LPG's throughput_rps counts every attempt over the whole run; the same here.
  if (attempted !== undefined && time) stat.throughput_rps = attempted / time;
  // Requests sent ÷ the time spent sending them (load_summary.achieved_rate = count / send_duration).
  const achieved = num(load.achieved_rate);
  if (achieved !== undefined && !concurrent) stat.achieved_rate = achieved;
  const errors = errorsOf(failures);
  if (errors.length) stat.errors = errors;
  const goodput = goodputOf(successes);
  if (goodput) stat.goodput = goodput;
  return stat;
}

/**
 * Parses an inference-perf report folder (file name → text). Without a plan, each stage's rate
 * is its file's requested_rate and no stage is a warm-up.
 */
export function parseInferencePerfReports(
  files: Array<{ name: string; file?: string; text: string }>,
  plan?: StagePlan,
): InferencePerfParse {
  const problems: string[] = [];
  const byName = new Map(files.map((f) => [f.name, f]));
  const stageIndexes = files
    .map((f) => STAGE_FILE.exec(f.name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  const warmupStages = plan?.warmupStages ?? 0;
  const stageCount = plan ? warmupStages + plan.requestRates.length : (stageIndexes.at(-1) ?? -1) + 1;
  const stats: Stat[] = [];
  const missing: string[] = [];
  let warmup: InferencePerfWarmup | undefined;
  for (let index = 0; index < stageCount; index++) {
    const name = `stage_${index}_lifecycle_metrics.json`;
    const entry = byName.get(name);
    const planned = plan && index >= warmupStages ? plan.requestRates[index - warmupStages] : undefined;
    const label = index < warmupStages ? "warm-up" : planned !== undefined ? rateText(planned) : `stage ${index}`;
    if (!entry) {
      // inference-perf writes a stage file only for a stage that sent requests.
      if (index >= warmupStages && (plan || stageIndexes.length)) missing.push(`${label}: no result file (${name})`);
      continue;
    }
    let stat: Stat;
    try {
      stat = parseStage(entry.file ?? name, entry.text, planned, plan?.concurrent ?? false);
    } catch (error) {
      if (!(error instanceof CollectionError)) throw error;
      problems.push(error.message);
      continue;
    }
    if (index < warmupStages) {
      warmup = {
        rate: stat.request_rate!,
        seconds: stat.benchmark_time_seconds ?? 0,
        requests: stat.num_prompts_attempted ?? 0,
        succeeded: stat.num_prompts_succeeded ?? 0,
      };
      continue;
    }
    const prometheus = byName.get(`stage_${index}_prometheus_metrics.json`);
    if (prometheus) {
      try {
        const server = serverMetrics(prometheus.file ?? prometheus.name, prometheus.text);
        if (server.length) stat.model_server_metrics = server;
      } catch (error) {
        if (!(error instanceof CollectionError)) throw error;
        problems.push(error.message);
      }
    }
    stats.push(stat);
  }
  if (plan) {
    const extra = stageIndexes.filter((index) => index >= stageCount);
    if (extra.length)
      problems.push(
        `stage files beyond the ${stageCount} planned stages: ${extra.map((i) => `stage_${i}`).join(", ")}`,
      );
  }
  return { stats, missing, problems, ...(warmup ? { warmup } : {}) };
}
