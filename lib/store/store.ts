// The results database: every collected BenchmarkResult with its benchmark's resolved config
// and run id, in SQLite. It answers: all runs; the benchmarks of a run; stats per rate; the
// same benchmark name across runs. Importing a run again replaces what it had (idempotent).
import Database from "better-sqlite3";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Stat } from "../../proto/benchmark-types";
import { stringifyProtoJson } from "../../proto/json";
import { BenchmarkType } from "../../proto/schema";
import { printTextFormat } from "../../proto/textformat";
import type { ResultMetadata } from "../results/collect";
import type { RunBenchmark } from "../results/run-results";

/** The results database of an output folder. */
export function databasePath(outputDir: string): string {
  return path.join(outputDir, "results.db");
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT PRIMARY KEY,
  output_dir TEXT NOT NULL,
  imported_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS benchmarks (
  run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  model_server TEXT,
  accelerator TEXT,
  replicas INTEGER,
  load_balancer TEXT,
  model TEXT,
  start_time TEXT,
  end_time TEXT,
  dashboard_url TEXT,
  problems TEXT NOT NULL DEFAULT '[]',
  config_pbtxt TEXT,
  config_json TEXT,
  PRIMARY KEY (run_id, name)
);
CREATE TABLE IF NOT EXISTS stats (
  run_id TEXT NOT NULL,
  name TEXT NOT NULL,
  request_rate REAL NOT NULL,
  output_tokens_per_second REAL,
  requests_per_second REAL,
  latency_mean_ms REAL, latency_p50_ms REAL, latency_p90_ms REAL, latency_p99_ms REAL,
  tpot_mean_ms REAL, tpot_p90_ms REAL,
  ttft_p50_ms REAL, ttft_p90_ms REAL,
  input_length_mean REAL, output_length_mean REAL,
  prompts_attempted INTEGER, prompts_succeeded INTEGER,
  benchmark_time_seconds REAL,
  stat_json TEXT NOT NULL,
  PRIMARY KEY (run_id, name, request_rate),
  FOREIGN KEY (run_id, name) REFERENCES benchmarks(run_id, name) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS stats_by_name ON stats(name, request_rate);
`;

/** A stat row as the report and compare commands read it. */
export interface StatRow {
  run_id: string;
  name: string;
  request_rate: number;
  output_tokens_per_second: number | null;
  requests_per_second: number | null;
  latency_mean_ms: number | null;
  latency_p50_ms: number | null;
  latency_p90_ms: number | null;
  latency_p99_ms: number | null;
  tpot_mean_ms: number | null;
  tpot_p90_ms: number | null;
  ttft_p50_ms: number | null;
  ttft_p90_ms: number | null;
  input_length_mean: number | null;
  output_length_mean: number | null;
  prompts_attempted: number | null;
  prompts_succeeded: number | null;
  benchmark_time_seconds: number | null;
}

export interface BenchmarkRow {
  run_id: string;
  name: string;
  status: string;
  model_server: string | null;
  accelerator: string | null;
  replicas: number | null;
  load_balancer: string | null;
  model: string | null;
  start_time: string | null;
  end_time: string | null;
  dashboard_url: string | null;
  problems: string;
}

export interface RunRow {
  run_id: string;
  output_dir: string;
  imported_at: string;
  benchmarks: number;
}

function loadBalancerOf(config: RunBenchmark["config"]): string | null {
  const lb = config?.config?.load_balancer;
  if (!lb) return null;
  if (lb.k8s_service) return "k8s_service";
  const gateway = lb.gateway;
  if (gateway?.envoy?.epp) return `gateway.envoy.epp${gateway.inference_api === "V1ALPHA2" ? " (v1alpha2)" : ""}`;
  if (gateway?.envoy?.lb_policy !== undefined) return `gateway.envoy.lb_policy ${gateway.envoy.lb_policy}`;
  if (gateway?.gke_gateway) return "gateway.gke_gateway.epp";
  return null;
}

/** Finite numbers only: SQLite has no Infinity or NaN to compare. */
function finite(value: number | undefined): number | null {
  return value === undefined || !Number.isFinite(value) ? null : value;
}

export class ResultStore {
  readonly db: Database.Database;

  constructor(file: string) {
    if (file !== ":memory:") fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("foreign_keys = ON");
    this.db.exec(SCHEMA);
  }

  close(): void {
    this.db.close();
  }

  /** Imports (or re-imports) the benchmarks of a run as they are on disk; one transaction. */
  importRun(runId: string, outputDir: string, benchmarks: RunBenchmark[]): void {
    const insertRun = this.db.prepare("INSERT INTO runs (run_id, output_dir, imported_at) VALUES (?, ?, ?) ON CONFLICT(run_id) DO UPDATE SET output_dir = excluded.output_dir, imported_at = excluded.imported_at");
    const deleteBenchmarks = this.db.prepare("DELETE FROM benchmarks WHERE run_id = ?");
    const insertBenchmark = this.db.prepare(`INSERT INTO benchmarks (run_id, name, status, model_server, accelerator, replicas, load_balancer, model, start_time, end_time, dashboard_url, problems, config_pbtxt, config_json)
      VALUES (@run_id, @name, @status, @model_server, @accelerator, @replicas, @load_balancer, @model, @start_time, @end_time, @dashboard_url, @problems, @config_pbtxt, @config_json)`);
    const insertStat = this.db.prepare(`INSERT INTO stats (run_id, name, request_rate, output_tokens_per_second, requests_per_second, latency_mean_ms, latency_p50_ms, latency_p90_ms, latency_p99_ms,
      tpot_mean_ms, tpot_p90_ms, ttft_p50_ms, ttft_p90_ms, input_length_mean, output_length_mean, prompts_attempted, prompts_succeeded, benchmark_time_seconds, stat_json)
      VALUES (@run_id, @name, @request_rate, @output_tokens_per_second, @requests_per_second, @latency_mean_ms, @latency_p50_ms, @latency_p90_ms, @latency_p99_ms,
      @tpot_mean_ms, @tpot_p90_ms, @ttft_p50_ms, @ttft_p90_ms, @input_length_mean, @output_length_mean, @prompts_attempted, @prompts_succeeded, @benchmark_time_seconds, @stat_json)`);
    this.db.transaction(() => {
      insertRun.run(runId, path.resolve(outputDir), new Date().toISOString());
      deleteBenchmarks.run(runId);
      for (const b of benchmarks) {
        const metadata = fs.existsSync(b.paths.metadata) ? (JSON.parse(fs.readFileSync(b.paths.metadata, "utf8")) as ResultMetadata) : undefined;
        const server = b.config?.config?.model_server;
        insertBenchmark.run({
          run_id: runId,
          name: b.name,
          status: b.state.status,
          model_server: server?.vllm ? "vllm" : server?.sim ? "sim" : null,
          accelerator: server?.accelerator ?? null,
          replicas: server?.replicas ?? null,
          load_balancer: loadBalancerOf(b.config),
          model: server?.vllm?.model ?? server?.sim?.model ?? null,
          start_time: metadata?.start_time ?? null,
          end_time: metadata?.end_time ?? null,
          dashboard_url: metadata?.dashboard_url ?? null,
          problems: JSON.stringify([...(b.state.record?.missing ?? []), ...(b.state.record?.problems ?? [])]),
          config_pbtxt: b.config ? printTextFormat(BenchmarkType, b.config) : null,
          config_json: b.config ? JSON.stringify(b.config) : null,
        });
        // One row per rate; a rate the LPG ran at "inf" (rate 0) is stored as 0.
        const seen = new Set<number>();
        for (const stat of b.state.result?.stats ?? []) {
          const rate = Number.isFinite(stat.request_rate) ? stat.request_rate! : 0;
          if (seen.has(rate)) continue;
          seen.add(rate);
          insertStat.run({ run_id: runId, name: b.name, request_rate: rate, ...statColumns(stat), stat_json: stringifyProtoJson(stat) });
        }
      }
    })();
  }

  runs(): RunRow[] {
    return this.db.prepare("SELECT r.run_id, r.output_dir, r.imported_at, COUNT(b.name) AS benchmarks FROM runs r LEFT JOIN benchmarks b USING (run_id) GROUP BY r.run_id ORDER BY r.imported_at").all() as RunRow[];
  }

  benchmarks(runId: string): BenchmarkRow[] {
    return this.db.prepare("SELECT run_id, name, status, model_server, accelerator, replicas, load_balancer, model, start_time, end_time, dashboard_url, problems FROM benchmarks WHERE run_id = ? ORDER BY name").all(runId) as BenchmarkRow[];
  }

  stats(runId: string, name?: string): StatRow[] {
    const columns = "run_id, name, request_rate, output_tokens_per_second, requests_per_second, latency_mean_ms, latency_p50_ms, latency_p90_ms, latency_p99_ms, tpot_mean_ms, tpot_p90_ms, ttft_p50_ms, ttft_p90_ms, input_length_mean, output_length_mean, prompts_attempted, prompts_succeeded, benchmark_time_seconds";
    return (name === undefined
      ? this.db.prepare(`SELECT ${columns} FROM stats WHERE run_id = ? ORDER BY name, request_rate`).all(runId)
      : this.db.prepare(`SELECT ${columns} FROM stats WHERE run_id = ? AND name = ? ORDER BY request_rate`).all(runId, name)) as StatRow[];
  }

  /** The same benchmark name across runs, oldest import first. */
  acrossRuns(name: string): StatRow[] {
    return this.db.prepare("SELECT s.* FROM stats s JOIN runs r USING (run_id) WHERE s.name = ? ORDER BY r.imported_at, s.request_rate").all(name) as StatRow[];
  }
}

export function statColumns(stat: Stat): Omit<StatRow, "run_id" | "name" | "request_rate"> {
  return {
    output_tokens_per_second: finite(stat.throughput?.mean),
    requests_per_second: finite(stat.throughput_rps),
    latency_mean_ms: finite(stat.request_latency?.mean),
    latency_p50_ms: finite(stat.request_latency?.median),
    latency_p90_ms: finite(stat.request_latency?.p90),
    latency_p99_ms: finite(stat.request_latency?.p99),
    tpot_mean_ms: finite(stat.tpot?.mean),
    tpot_p90_ms: finite(stat.tpot?.p90),
    ttft_p50_ms: finite(stat.ttft?.median),
    ttft_p90_ms: finite(stat.ttft?.p90),
    input_length_mean: finite(stat.input_length?.mean),
    output_length_mean: finite(stat.output_length?.mean),
    prompts_attempted: finite(stat.num_prompts_attempted),
    prompts_succeeded: finite(stat.num_prompts_succeeded),
    benchmark_time_seconds: finite(stat.benchmark_time_seconds),
  };
}
