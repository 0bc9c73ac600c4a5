// stats.csv: one row per benchmark and rate, every figure in its own column, the header naming
// each column with its unit ("request_latency_p90 (ms)"). RFC 4180 quoting.
import type { Stat } from "../../proto/benchmark-types";
import type { BenchmarkRecord } from "../results/run-results";
import { benchmarkFacts, statColumns } from "../store/store";

const PER_TOKEN = new Set(["ntpot", "tpot", "itl"]);

type Row = { benchmark: BenchmarkRecord; stat: Stat; columns: ReturnType<typeof statColumns> };

const COLUMNS: Array<[string, string | null, (row: Row) => unknown]> = [
  ["benchmark", null, (r) => r.benchmark.name],
  ["status", null, (r) => r.benchmark.state.status],
  ["load_generator", null, (r) => r.columns.load_generator],
  ["model", null, (r) => benchmarkFacts(r.benchmark.config).model],
  ["model_server", null, (r) => benchmarkFacts(r.benchmark.config).model_server],
  ["accelerator", null, (r) => benchmarkFacts(r.benchmark.config).accelerator],
  ["replicas", "count", (r) => benchmarkFacts(r.benchmark.config).replicas],
  ["tensor_parallelism", "count", (r) => benchmarkFacts(r.benchmark.config).tensor_parallelism],
  ["gpus", "count", (r) => benchmarkFacts(r.benchmark.config).gpus],
  ["load_balancer", null, (r) => benchmarkFacts(r.benchmark.config).load_balancer],
  [
    "request_rate",
    "QPS; inf = all at once",
    (r) => (Number.isFinite(r.stat.request_rate) ? r.stat.request_rate : "inf"),
  ],
  ["achieved_rate", "QPS", (r) => r.columns.achieved_rate],
  ["successful_requests_per_second", "requests/s", (r) => r.columns.successful_rps],
  ["attempted_requests_per_second", "requests/s", (r) => r.columns.requests_per_second],
  ["output_tokens_per_second", "tokens/s", (r) => r.columns.output_tokens_per_second],
  ["input_tokens_per_second", "tokens/s", (r) => r.columns.input_tokens_per_second],
  ["total_tokens_per_second", "tokens/s", (r) => r.columns.total_tokens_per_second],
  // Per-token figures in ms/token, as the br-v0.2.1 export writes them.
  ...(["latency", "ttft", "ntpot", "tpot", "itl"] as const).flatMap((figure) =>
    (["mean", "p50", "p90", "p99"] as const).map((p): [string, string, (row: Row) => unknown] => [
      `${figure === "latency" ? "request_latency" : figure}_${p}`,
      PER_TOKEN.has(figure) ? "ms/token" : "ms",
      (r) => r.columns[`${figure}_${p}_ms` as keyof Row["columns"]],
    ]),
  ),
  ["input_length_mean", "tokens", (r) => r.columns.input_length_mean],
  ["output_length_mean", "tokens", (r) => r.columns.output_length_mean],
  ["prompts_attempted", "requests", (r) => r.columns.prompts_attempted],
  ["prompts_succeeded", "requests", (r) => r.columns.prompts_succeeded],
  ["failed_requests", "requests", (r) => r.columns.errors_total],
  ["errors_by_type", "type=requests; …", (r) => (r.stat.errors ?? []).map((e) => `${e.type}=${e.count}`).join("; ")],
  ["goodput_requests_per_second", "requests/s", (r) => r.columns.goodput_rps],
  // inference-perf divides good requests by successful ones (reportgen/base.py), not by all requests sent.
  ["goodput_percentage", "% of successful requests", (r) => r.columns.goodput_percentage],
  ["benchmark_time", "s", (r) => r.columns.benchmark_time_seconds],
  ["source_file", null, (r) => r.stat.source_file],
];

function cell(value: unknown): string {
  if (value === null || value === undefined) return "";
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function statsCsv(benchmarks: BenchmarkRecord[]): string {
  const rows = benchmarks.flatMap((benchmark) =>
    (benchmark.state.result?.stats ?? []).map((stat) => ({ benchmark, stat, columns: statColumns(stat) })),
  );
  const header = COLUMNS.map(([name, unit]) => cell(unit ? `${name} (${unit})` : name));
  return `${[header.join(","), ...rows.map((row) => COLUMNS.map(([, , value]) => cell(value(row))).join(","))].join("\r\n")}\r\n`;
}
