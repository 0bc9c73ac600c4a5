// The Latency Profile Generator's per-rate JSON files → Stat messages.
//
// Every figure below was checked against files the real tool wrote (tests/lpg-real.test.ts runs
// both commits kept in ../shared/reference/lpg). Source: AI-Hypercomputer/inference-benchmark,
// benchmark_serving.py, print_and_save_result() and save_json_results():
//
// | Stat field               | 07628c9 (the seed's image)           | c29b163 (HEAD)                          |
// |--------------------------|--------------------------------------|-----------------------------------------|
// | request_latency (ms)     | {avg,median,…}_latency (ms)          | {avg,…}_latency_ms                      |
// | ntpot (ms)               | {…}_per_output_token_latency (ms)    | {…}_normalized_time_per_output_token_ms |
// | ttft, itl (ms)           | {…}_TTFT, {…}_ITL (SECONDS), streaming only | {…}_TTFT_ms, {…}_ITL_ms (streaming crashes HEAD) |
// | tpot                     | never written (tpot_stats is computed, not saved) | same                       |
// | throughput (tokens/s)    | throughput = output tokens of successful requests ÷ benchmark_time | same         |
// | throughput_rps           | num_prompts ÷ benchmark_time (every attempt, every model) | same                  |
// | achieved_rate            | not written (achievedRate(): attempted ÷ benchmark_time) | queries_per_second: requests started ÷ the time spent starting them |
// | input/total tokens/s     | input_tokens_per_min ÷ 60, tokens_per_min ÷ 60 | input_tokens_per_sec, tokens_per_sec |
// | errors                   | the six counters of init_errors_map() | same                                   |
//
// With no successful request, every latency statistic is written as 0 (get_stats_for_set of an
// empty list): those zeros are not measurements and are dropped. In a per-model file,
// num_prompts_attempted is that model's successes (print_and_save_result is passed
// len(latencies)), so only the `weighted` file has the true attempts.
import * as path from "node:path";
import type { ErrorCount, Metric, Stat } from "../../proto/benchmark-types";
import { CollectionError } from "../errors";

type Json = Record<string, unknown>;
type Statistic = "mean" | "median" | "sd" | "min" | "max" | "p90" | "p99";

/** The LPG's statistic prefixes (get_stats_for_set) and the Metric field each fills. */
const STATISTICS: Array<[Statistic, string]> = [
  ["mean", "avg"],
  ["median", "median"],
  ["sd", "sd"],
  ["min", "min"],
  ["max", "max"],
  ["p90", "p90"],
  ["p99", "p99"],
];

/** The six error counters of init_errors_map(), written at the top level of `metrics`. */
const LPG_ERROR_TYPES = [
  "ClientConnectorError",
  "TimeoutError",
  "ContentTypeError",
  "ClientOSError",
  "ServerDisconnectedError",
  "unknown_error",
] as const;

type Generation = "07628c9" | "c29b163";

/** Per generation: the LPG's base name of each per-request figure and the factor to milliseconds. */
const FIGURES: Record<Generation, Record<"request_latency" | "ntpot" | "ttft" | "itl", [string, number]>> = {
  "07628c9": {
    request_latency: ["latency", 1],
    ntpot: ["per_output_token_latency", 1],
    ttft: ["TTFT", 1000],
    itl: ["ITL", 1000],
  },
  c29b163: {
    request_latency: ["latency_ms", 1],
    ntpot: ["normalized_time_per_output_token_ms", 1],
    ttft: ["TTFT_ms", 1],
    itl: ["ITL_ms", 1],
  },
};

/** Stat's name and unit of each figure. */
export const FIGURE_NAMES: Record<
  "request_latency" | "ntpot" | "ttft" | "itl" | "input_length" | "output_length",
  { name: string; unit: string }
> = {
  request_latency: { name: "request_latency_ms", unit: "ms" },
  ntpot: { name: "normalized_time_per_output_token_ms", unit: "ms" },
  ttft: { name: "time_to_first_token_ms", unit: "ms" },
  itl: { name: "inter_token_latency_ms", unit: "ms" },
  input_length: { name: "input_tokens", unit: "tokens" },
  output_length: { name: "output_tokens", unit: "tokens" },
};

/** Python's json.dump writes NaN and Infinity, which JSON.parse rejects. */
export function parsePythonJson(text: string): unknown {
  const fixed = text.replace(
    /([:,[]\s*)(-?)(NaN|Infinity)(?=\s*[,}\]])/g,
    (_, before: string, sign: string, word: string) => `${before}${word === "NaN" ? "null" : `${sign}1e999`}`,
  );
  return JSON.parse(fixed);
}

function asNumber(value: unknown): number | undefined {
  return typeof value === "number" && !Number.isNaN(value) ? value : undefined;
}

function figure(
  metrics: Json,
  [base, factor]: [string, number],
  named: { name: string; unit: string },
): Metric | undefined {
  const metric: Metric = { ...named };
  let found = false;
  for (const [field, prefix] of STATISTICS) {
    const value = asNumber(metrics[`${prefix}_${base}`]);
    if (value !== undefined) {
      metric[field] = value * factor;
      found = true;
    }
  }
  return found ? metric : undefined;
}

/**
 * The unit of a model-server metric, from vLLM's naming: `_seconds` histograms, `_perc` and
 * `_hit_rate` gauges in [0, 1], token and request counts. Counters' figures (all but sum and
 * increase) are rates of the counter, so their unit is per second.
 */
function serverMetricUnit(name: string, counter: boolean): string {
  const base = /_seconds$|time_in_queue/.test(name)
    ? "s"
    : /_perc$|_hit_rate$/.test(name)
      ? "fraction"
      : /percentage$/.test(name)
        ? "percent"
        : /toks_per_s$/.test(name)
          ? "tokens/s"
          : /tokens/.test(name)
            ? "tokens"
            : /requests|request_success/.test(name)
              ? "requests"
              : "count";
  return counter && base !== "tokens/s" ? `${base}/s` : base;
}

/**
 * Model-server metrics (metrics.server_metrics: {name: {Mean, Median, …}}), as the LPG queried
 * them from Cloud Monitoring (print_metrics). Gauges have Sd, counters Sum/Rate/Increase. In
 * 07628c9 the counter "P95" query is quantile_over_time(0.5, …): it is a median, and stored so.
 */
function serverMetrics(metrics: Json, generation: Generation): Metric[] {
  const map = metrics.server_metrics;
  if (!map || typeof map !== "object") return [];
  return Object.entries(map as Json).flatMap(([name, raw]) => {
    const values = (raw ?? {}) as Json;
    const counter = ["Sum", "Rate", "Increase"].some((key) => key in values);
    const keys: Array<[keyof Metric, string]> = [
      ["mean", "Mean"],
      ["median", "Median"],
      ["sd", "Sd"],
      ["min", "Min"],
      ["max", "Max"],
      ["p90", "P90"],
      ["p99", "P99"],
      ["sum", "Sum"],
      ["rate", "Rate"],
      ["increase", "Increase"],
      [counter && generation === "07628c9" ? "median" : "p95", "P95"],
    ];
    const metric: Metric = { name, unit: serverMetricUnit(name, counter) };
    for (const [field, key] of keys) {
      const value = asNumber(values[key]);
      if (value !== undefined) (metric as Record<string, unknown>)[field] = value;
    }
    return Object.keys(metric).length > 2 ? [metric] : [];
  });
}

/** The rate a file was run at: its metrics, else its file name (`…-{rate}qps-…`). */
function rateOf(metrics: Json, file: string): number | undefined {
  const fromName = /-(inf|[0-9]+(?:\.[0-9]+)?)qps-/.exec(path.basename(file))?.[1];
  return (
    asNumber(metrics.request_rate) ??
    (fromName === "inf" ? Infinity : fromName === undefined ? undefined : Number(fromName))
  );
}

export interface ParsedResultFile {
  file: string;
  /** The model the file is about, or "weighted" for all the models of the run together. */
  model: string;
  /** How many models the LPG was serving (config.num_models). */
  numModels: number;
  stat: Stat;
}

/** Parses one LPG result file; a malformed file is a CollectionError naming it. */
export function parseLpgResult(file: string, text: string): ParsedResultFile {
  let json: unknown;
  try {
    json = parsePythonJson(text);
  } catch (error) {
    throw new CollectionError(`${file}: not valid JSON (${(error as Error).message})`);
  }
  if (!json || typeof json !== "object" || Array.isArray(json))
    throw new CollectionError(`${file}: expected a JSON object with "metrics"`);
  const root = json as Json;
  const metrics = root.metrics;
  if (!metrics || typeof metrics !== "object")
    throw new CollectionError(`${file}: no "metrics" object; is this a Latency Profile Generator result file?`);
  const m = metrics as Json;
  const rate = rateOf(m, file);
  if (rate === undefined) throw new CollectionError(`${file}: no request rate in "metrics" or the file name`);
  const generation: Generation = "avg_latency_ms" in m ? "c29b163" : "07628c9";

  const stat: Stat = { request_rate: rate, source_file: path.basename(file), load_generator: "lpg" };
  const attempted = asNumber(m.num_prompts_attempted);
  const succeeded = asNumber(m.num_prompts_succeeded);
  if (attempted !== undefined) stat.num_prompts_attempted = Math.round(attempted);
  if (succeeded !== undefined) stat.num_prompts_succeeded = Math.round(succeeded);
  const time = asNumber(m.benchmark_time);
  if (time !== undefined) stat.benchmark_time_seconds = time;

  if (succeeded !== 0) {
    const figures = FIGURES[generation];
    const latency = figure(m, figures.request_latency, FIGURE_NAMES.request_latency);
    if (!latency) throw new CollectionError(`${file}: no request latency figures (avg_latency or avg_latency_ms)`);
    stat.request_latency = latency;
    for (const field of ["ntpot", "ttft", "itl"] as const) {
      const metric = figure(m, figures[field], FIGURE_NAMES[field]);
      if (metric) stat[field] = metric;
    }
    for (const [field, base] of [
      ["input_length", "input_len"],
      ["output_length", "output_len"],
    ] as const) {
      const metric = figure(m, [base, 1], FIGURE_NAMES[field]);
      if (metric) stat[field] = metric;
    }
  }
  const throughput = asNumber(m.throughput);
  if (throughput !== undefined)
    stat.throughput = { name: "output_tokens_per_second", unit: "tokens/s", mean: throughput };
  const perSecond = (perSec: unknown, perMin: unknown) =>
    asNumber(perSec) ?? (asNumber(perMin) === undefined ? undefined : asNumber(perMin)! / 60);
  const inputTokens = perSecond(m.input_tokens_per_sec, m.input_tokens_per_min);
  const totalTokens = perSecond(m.tokens_per_sec, m.tokens_per_min);
  if (inputTokens !== undefined) stat.input_tokens_per_second = inputTokens;
  if (totalTokens !== undefined) stat.total_tokens_per_second = totalTokens;
  const rps = asNumber(m.throughput_rps);
  if (rps !== undefined) stat.throughput_rps = rps;

  const errors: ErrorCount[] = LPG_ERROR_TYPES.map((type) => ({
    type,
    count: Math.round(asNumber(m[type]) ?? 0),
  })).filter((e) => e.count > 0);
  if (errors.length) stat.errors = errors;
  const server = serverMetrics(m, generation);
  if (server.length) stat.model_server_metrics = server;

  const config = root.config as Json | undefined;
  const dimensions = root.dimensions as Json | undefined;
  const model = String(dimensions?.model_id ?? config?.model ?? "unknown");
  if (model !== "weighted" && attempted !== undefined && succeeded !== undefined) {
    // A per-model file counts only successes as attempts; its own error counters hold the rest.
    stat.num_prompts_attempted = Math.max(
      Math.round(attempted),
      Math.round(succeeded) + errors.reduce((sum, e) => sum + e.count!, 0),
    );
  }
  if (time) {
    if (succeeded !== undefined) stat.successful_rps = succeeded / time;
    const queries = asNumber(m.queries_per_second);
    // Only the tool's own figure: without it, achievedRate() derives attempts ÷ duration, drain included.
    if (queries !== undefined && Number.isFinite(queries)) stat.achieved_rate = queries;
  }
  const numModels = asNumber(config?.num_models) ?? 1;
  return { file, model, numModels, stat };
}

/**
 * One Stat per rate, sorted by rate, and the expected rates that have none. A rate's Stat is its
 * `weighted` file (the LPG writes one per rate: all models together). Without it, a single-model
 * run's per-model file stands in; in a multi-model run the rate is missing, since one model's
 * figures are not the run's.
 */
export function statsPerRate(
  files: ParsedResultFile[],
  expectedRates: number[] = [],
): { stats: Stat[]; missing: string[] } {
  const byRate = new Map<number, ParsedResultFile[]>();
  for (const file of files) byRate.set(file.stat.request_rate!, [...(byRate.get(file.stat.request_rate!) ?? []), file]);
  const stats: Stat[] = [];
  const missing: string[] = [];
  for (const [rate, group] of [...byRate.entries()].sort(([a], [b]) => a - b)) {
    const sorted = [...group].sort((a, b) => a.file.localeCompare(b.file));
    const weighted = sorted.find((f) => f.model === "weighted");
    if (weighted) stats.push(weighted.stat);
    else if (sorted.every((f) => f.numModels <= 1)) stats.push(sorted[0].stat);
    else
      missing.push(
        `${rateLabel(rate)}: no weighted file (only per-model files of a ${Math.max(...sorted.map((f) => f.numModels))}-model ` +
          `run)`,
      );
  }
  for (const rate of expectedRates) {
    if (!files.some((p) => sameRate(rate, p.stat.request_rate!))) missing.push(`${rateLabel(rate)}: no result file`);
  }
  return { stats, missing };
}

/** "rate 5.0"; rate 0 (all prompts at once) is written as such, though the LPG records it as inf. */
export function rateLabel(rate: number): string {
  return `rate ${(Number.isFinite(rate) ? rate : 0).toFixed(1)}`;
}

/** True when `actual` is the rate `expected` was written as (the LPG prints 80.0 as 80.0 or 80). */
export function sameRate(expected: number, actual: number): boolean {
  if (expected === 0) return actual === 0 || actual === Infinity;
  return Math.abs(expected - actual) < 1e-6 * Math.max(1, expected);
}
