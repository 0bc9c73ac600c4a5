// The Latency Profile Generator's per-rate JSON files → Stat messages.
//
// Two generations exist. The image the seed pins writes, in `metrics`, `throughput_rps`,
// `throughput` (output tokens/s) and {avg,median,sd,min,max,p90,p99}_ × latency (ms),
// per_output_token_latency (ms), input_len, output_len, and with streaming TTFT/ITL (seconds).
// Newer images write `queries_per_second`, `_ms` suffixes, `normalized_time_per_output_token_ms`,
// `TTFT_ms` and `ITL_ms`. Both also carry `summary_stats.stats[0]`, which mirrors Stat.
import * as path from "node:path";
import type { Metric, Stat } from "../../proto/benchmark-types";
import { CollectionError } from "../errors";

type Json = Record<string, unknown>;

const STATISTICS: Array<[Exclude<keyof Metric, "name" | "unit">, string]> = [
  ["mean", "avg"], ["median", "median"], ["sd", "sd"], ["min", "min"], ["max", "max"], ["p90", "p90"], ["p99", "p99"],
];

/** [metric base name, factor to the Stat's unit] candidates, first found wins. */
const METRIC_NAMES: Record<"request_latency" | "tpot" | "input_length" | "output_length" | "ttft" | "itl", Array<[string, number]>> = {
  request_latency: [["latency", 1], ["latency_ms", 1], ["request_latency_ms", 1]],
  tpot: [["per_output_token_latency", 1], ["per_output_token_latency_ms", 1], ["normalized_time_per_output_token_ms", 1], ["TPOT_ms", 1], ["TPOT", 1000]],
  input_length: [["input_len", 1], ["input_length", 1]],
  output_length: [["output_len", 1], ["output_length", 1]],
  ttft: [["TTFT_ms", 1], ["TTFT", 1000]],
  itl: [["ITL_ms", 1], ["ITL", 1000]],
};

/** Python's json.dump writes NaN and Infinity, which JSON.parse rejects. */
function parsePythonJson(text: string): unknown {
  const fixed = text.replace(/([:,[]\s*)(-?)(NaN|Infinity)(?=\s*[,}\]])/g, (_, before: string, sign: string, word: string) =>
    `${before}${word === "NaN" ? "null" : `${sign}1e999`}`);
  return JSON.parse(fixed);
}

function asNumber(value: unknown): number | undefined {
  return typeof value === "number" && !Number.isNaN(value) ? value : undefined;
}

function metricFrom(metrics: Json, name: keyof typeof METRIC_NAMES): Metric | undefined {
  for (const [base, factor] of METRIC_NAMES[name]) {
    const metric: Metric = {};
    let found = false;
    for (const [field, prefix] of STATISTICS) {
      const value = asNumber(metrics[`${prefix}_${base}`]);
      if (value !== undefined) {
        metric[field] = value * factor;
        found = true;
      }
    }
    if (found) return metric;
  }
  return undefined;
}

function summaryMetric(value: unknown): Metric | undefined {
  if (!value || typeof value !== "object") return undefined;
  const metric: Metric = {};
  for (const [field] of STATISTICS) {
    const number = asNumber((value as Json)[field]);
    if (number !== undefined) metric[field] = number;
  }
  return Object.keys(metric).length ? metric : undefined;
}

/** Model-server metrics, from summary_stats ([{Name, Mean, ...}]) or metrics.server_metrics ({name: {Mean, ...}}). */
function serverMetrics(metrics: Json, summary: Json | undefined): Metric[] {
  const fromEntry = (name: string, values: Json): Metric => {
    const metric: Metric = { name };
    for (const [field] of STATISTICS) {
      const capitalized = field[0].toUpperCase() + field.slice(1);
      const number = asNumber(values[capitalized] ?? values[field]);
      if (number !== undefined) metric[field] = number;
    }
    return metric;
  };
  const list = summary?.model_server_metrics;
  if (Array.isArray(list) && list.length) return list.map((entry: Json) => fromEntry(String(entry.Name ?? entry.name ?? ""), entry));
  const map = metrics.server_metrics;
  if (map && typeof map === "object") return Object.entries(map as Json).map(([name, values]) => fromEntry(name, (values ?? {}) as Json));
  return [];
}

/** The rate a file was run at: its metrics, its summary, else its file name (`…-{rate}qps-…`). */
function rateOf(metrics: Json, summary: Json | undefined, file: string): number | undefined {
  const fromName = /-(inf|[0-9]+(?:\.[0-9]+)?)qps-/.exec(path.basename(file))?.[1];
  const candidates = [metrics.request_rate, summary?.request_rate, fromName === "inf" ? Infinity : fromName === undefined ? undefined : Number(fromName)];
  return candidates.map(asNumber).find((value) => value !== undefined);
}

export interface ParsedResultFile {
  file: string;
  /** The model the file is about, or "weighted" for the aggregate of several models. */
  model: string;
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
  if (!json || typeof json !== "object" || Array.isArray(json)) throw new CollectionError(`${file}: expected a JSON object with "metrics"`);
  const root = json as Json;
  const metrics = root.metrics;
  if (!metrics || typeof metrics !== "object") throw new CollectionError(`${file}: no "metrics" object; is this a Latency Profile Generator result file?`);
  const m = metrics as Json;
  const summaryList = (root.summary_stats as Json | undefined)?.stats;
  const summary = Array.isArray(summaryList) ? (summaryList[0] as Json | undefined) : undefined;
  const rate = rateOf(m, summary, file);
  if (rate === undefined) throw new CollectionError(`${file}: no request rate in "metrics", "summary_stats" or the file name`);

  const stat: Stat = { request_rate: rate, source_file: path.basename(file) };
  const latency = metricFrom(m, "request_latency") ?? summaryMetric(summary?.request_latency);
  if (!latency) throw new CollectionError(`${file}: no request latency figures (avg_latency, avg_latency_ms or summary_stats)`);
  stat.request_latency = { name: "request_latency_ms", ...latency };
  const throughput = asNumber(m.throughput) ?? asNumber(m.output_tokens_per_sec) ?? asNumber((summary?.throughput as Json | undefined)?.mean);
  if (throughput !== undefined) stat.throughput = { name: "output_tokens_per_second", mean: throughput };
  const optional: Array<[keyof typeof METRIC_NAMES, "tpot" | "input_length" | "output_length" | "ttft" | "itl", string]> = [
    ["tpot", "tpot", "time_per_output_token_ms"], ["input_length", "input_length", "input_tokens"],
    ["output_length", "output_length", "output_tokens"], ["ttft", "ttft", "time_to_first_token_ms"], ["itl", "itl", "inter_token_latency_ms"],
  ];
  for (const [source, field, name] of optional) {
    const metric = metricFrom(m, source) ?? summaryMetric(summary?.[source]);
    if (metric) stat[field] = { name, ...metric };
  }
  const rps = asNumber(m.throughput_rps) ?? asNumber(m.queries_per_second) ?? asNumber(m.requests_per_second);
  if (rps !== undefined) stat.throughput_rps = rps;
  const attempted = asNumber(m.num_prompts_attempted);
  const succeeded = asNumber(m.num_prompts_succeeded);
  if (attempted !== undefined) stat.num_prompts_attempted = Math.round(attempted);
  if (succeeded !== undefined) stat.num_prompts_succeeded = Math.round(succeeded);
  const time = asNumber(m.benchmark_time) ?? asNumber(m.benchmark_time_s) ?? asNumber(m.duration);
  if (time !== undefined) stat.benchmark_time_seconds = time;
  const server = serverMetrics(m, summary);
  if (server.length) stat.model_server_metrics = server;

  const config = root.config as Json | undefined;
  const dimensions = root.dimensions as Json | undefined;
  const model = String(dimensions?.model_id ?? config?.model ?? "unknown");
  return { file, model, stat };
}

/**
 * One Stat per rate: the `weighted` file when the LPG wrote one (several models), otherwise
 * the rate's only file, otherwise the first by name. Stats are sorted by rate.
 */
export function statsPerRate(files: ParsedResultFile[]): Stat[] {
  const byRate = new Map<number, ParsedResultFile[]>();
  for (const file of files) byRate.set(file.stat.request_rate!, [...(byRate.get(file.stat.request_rate!) ?? []), file]);
  return [...byRate.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, group]) => {
      const sorted = [...group].sort((a, b) => a.file.localeCompare(b.file));
      return (sorted.find((f) => f.model === "weighted") ?? sorted[0]).stat;
    });
}

/** True when `actual` is the rate `expected` was written as (the LPG prints 80.0 as 80.0 or 80). */
export function sameRate(expected: number, actual: number): boolean {
  if (expected === 0) return actual === 0 || actual === Infinity;
  return Math.abs(expected - actual) < 1e-6 * Math.max(1, expected);
}
