// The results database: every collected BenchmarkResult with its benchmark's resolved config
// and run id, in SQLite. It answers: all runs; the benchmarks of a run; stats per rate; the
// same benchmark name across runs. Importing a run again replaces what it had (idempotent).
//
// Each stat row keeps the whole Stat (stat_json) and, as columns, the figures that queries and
// the report use, each named for what it is (ntpot_* is NTPOT; tpot_* a true TPOT, null where
// the load generator writes none, as the LPG does). The schema has a version (PRAGMA
// user_version); opening an older database migrates it in place.
import Database from "better-sqlite3";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Metric, Stat } from "../../proto/benchmark-types";
import { parseProtoJson, stringifyProtoJson } from "../../proto/json";
import { BenchmarkType } from "../../proto/schema";
import { printTextFormat } from "../../proto/textformat";
import { SnapshotError } from "../errors";
import { migrateLegacyStat } from "../results/legacy";
import { readProvenance } from "../results/provenance";
import { achievedRate } from "../results/tool-results";
import type { RunBenchmark } from "../results/run-results";

/** The results database of an output folder. */
export function databasePath(outputDir: string): string {
  return path.join(outputDir, "results.db");
}

/** Version 1: honest figure columns (NTPOT, true TPOT, successful and achieved rates, errors), provenance. */
const SCHEMA_VERSION = 1;

type ColumnType = "REAL" | "INTEGER" | "TEXT";

/** A stat row as the report and compare commands read it. Latencies in ms, rates per second. */
export interface StatRow {
  run_id: string;
  name: string;
  request_rate: number;
  load_generator: string | null;
  output_tokens_per_second: number | null;
  input_tokens_per_second: number | null;
  total_tokens_per_second: number | null;
  /** Requests attempted per second (the LPG's throughput_rps: failed ones included). */
  requests_per_second: number | null;
  successful_rps: number | null;
  achieved_rate: number | null;
  latency_mean_ms: number | null;
  latency_p50_ms: number | null;
  latency_p90_ms: number | null;
  latency_p99_ms: number | null;
  ttft_mean_ms: number | null;
  ttft_p50_ms: number | null;
  ttft_p90_ms: number | null;
  ttft_p99_ms: number | null;
  ntpot_mean_ms: number | null;
  ntpot_p50_ms: number | null;
  ntpot_p90_ms: number | null;
  ntpot_p99_ms: number | null;
  tpot_mean_ms: number | null;
  tpot_p50_ms: number | null;
  tpot_p90_ms: number | null;
  tpot_p99_ms: number | null;
  itl_mean_ms: number | null;
  itl_p50_ms: number | null;
  itl_p90_ms: number | null;
  itl_p99_ms: number | null;
  input_length_mean: number | null;
  output_length_mean: number | null;
  prompts_attempted: number | null;
  prompts_succeeded: number | null;
  /** Failed requests, all types. */
  errors_total: number | null;
  /** JSON object: error type → count. */
  errors_json: string;
  goodput_rps: number | null;
  goodput_percentage: number | null;
  benchmark_time_seconds: number | null;
}

type StatColumn = Exclude<keyof StatRow, "run_id" | "name" | "request_rate">;

const STAT_COLUMNS: Record<StatColumn, ColumnType> = {
  load_generator: "TEXT",
  output_tokens_per_second: "REAL", input_tokens_per_second: "REAL", total_tokens_per_second: "REAL",
  requests_per_second: "REAL", successful_rps: "REAL", achieved_rate: "REAL",
  latency_mean_ms: "REAL", latency_p50_ms: "REAL", latency_p90_ms: "REAL", latency_p99_ms: "REAL",
  ttft_mean_ms: "REAL", ttft_p50_ms: "REAL", ttft_p90_ms: "REAL", ttft_p99_ms: "REAL",
  ntpot_mean_ms: "REAL", ntpot_p50_ms: "REAL", ntpot_p90_ms: "REAL", ntpot_p99_ms: "REAL",
  tpot_mean_ms: "REAL", tpot_p50_ms: "REAL", tpot_p90_ms: "REAL", tpot_p99_ms: "REAL",
  itl_mean_ms: "REAL", itl_p50_ms: "REAL", itl_p90_ms: "REAL", itl_p99_ms: "REAL",
  input_length_mean: "REAL", output_length_mean: "REAL",
  prompts_attempted: "INTEGER", prompts_succeeded: "INTEGER", errors_total: "INTEGER", errors_json: "TEXT",
  goodput_rps: "REAL", goodput_percentage: "REAL",
  benchmark_time_seconds: "REAL",
};

export interface BenchmarkRow {
  run_id: string;
  name: string;
  status: string;
  model_server: string | null;
  accelerator: string | null;
  replicas: number | null;
  tensor_parallelism: number | null;
  /** replicas × tensor parallelism; 0 for the GPU-free simulator. */
  gpus: number | null;
  load_balancer: string | null;
  model: string | null;
  load_generator: string | null;
  start_time: string | null;
  end_time: string | null;
  dashboard_url: string | null;
  /** JSON list: what should be there and is not (rates without results). */
  missing: string;
  /** JSON list: everything else that went wrong. */
  problems: string;
  /** JSON list of {pod, component, container, image, image_id}: the images that ran, by digest. */
  images: string;
  metadata_file: string | null;
  config_sha256: string | null;
  snapshot_sha256: string | null;
}

type BenchmarkColumn = Exclude<keyof BenchmarkRow, "run_id" | "name" | "status"> | "config_pbtxt" | "config_json";

const BENCHMARK_COLUMNS: Record<BenchmarkColumn, string> = {
  model_server: "TEXT", accelerator: "TEXT", replicas: "INTEGER", tensor_parallelism: "INTEGER", gpus: "INTEGER",
  load_balancer: "TEXT", model: "TEXT", load_generator: "TEXT", start_time: "TEXT", end_time: "TEXT", dashboard_url: "TEXT",
  missing: "TEXT NOT NULL DEFAULT '[]'", problems: "TEXT NOT NULL DEFAULT '[]'", images: "TEXT NOT NULL DEFAULT '[]'",
  metadata_file: "TEXT", config_sha256: "TEXT", snapshot_sha256: "TEXT", config_pbtxt: "TEXT", config_json: "TEXT",
};

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
  ${Object.entries(BENCHMARK_COLUMNS).map(([column, type]) => `${column} ${type},`).join("\n  ")}
  PRIMARY KEY (run_id, name)
);
CREATE TABLE IF NOT EXISTS stats (
  run_id TEXT NOT NULL,
  name TEXT NOT NULL,
  request_rate REAL NOT NULL,
  ${Object.entries(STAT_COLUMNS).map(([column, type]) => `${column} ${type},`).join("\n  ")}
  stat_json TEXT NOT NULL,
  PRIMARY KEY (run_id, name, request_rate),
  FOREIGN KEY (run_id, name) REFERENCES benchmarks(run_id, name) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS stats_by_name ON stats(name, request_rate);
`;

export interface RunRow {
  run_id: string;
  output_dir: string;
  imported_at: string;
  benchmarks: number;
}

/** One rate of a benchmark with its whole Stat (every percentile, errors, model-server metrics). */
export interface StatDetail {
  name: string;
  request_rate: number;
  stat: Stat;
}

/** What a benchmark ran on, from its resolved config: GPUs = replicas × tensor parallelism (0 for the simulator). */
export function benchmarkFacts(config: RunBenchmark["config"]): Pick<BenchmarkRow, "model_server" | "accelerator" | "replicas" | "tensor_parallelism" | "gpus" | "load_balancer" | "model"> {
  const server = config?.config?.model_server;
  const replicas = server?.replicas ?? null;
  const tensorParallelism = server?.vllm ? Number(server.vllm.tensor_parallelism || "1") : server?.sim ? 0 : null;
  return {
    model_server: server?.vllm ? "vllm" : server?.sim ? "sim" : null,
    accelerator: server?.accelerator || null,
    replicas,
    tensor_parallelism: tensorParallelism,
    gpus: replicas === null || tensorParallelism === null ? null : replicas * tensorParallelism,
    load_balancer: loadBalancerOf(config),
    model: server?.vllm?.model ?? server?.sim?.model ?? null,
  };
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
    try {
      this.db.pragma("journal_mode = WAL");
      this.db.pragma("foreign_keys = ON");
      this.migrate(file);
    } catch (error) {
      this.db.close();
      throw error;
    }
  }

  /** Creates the schema, or brings a database written by an earlier version up to it. */
  private migrate(file: string): void {
    const version = this.db.pragma("user_version", { simple: true }) as number;
    if (version > SCHEMA_VERSION) throw new SnapshotError(`${file}: results database schema ${version} was written by a newer inference-bench (this one reads up to ${SCHEMA_VERSION})`);
    if (version === SCHEMA_VERSION) return;
    this.db.transaction(() => {
      this.db.exec(SCHEMA);
      for (const [table, columns] of [["benchmarks", BENCHMARK_COLUMNS], ["stats", STAT_COLUMNS]] as const) {
        const existing = new Set((this.db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).map((c) => c.name));
        for (const [column, type] of Object.entries(columns)) if (!existing.has(column)) this.db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
      }
      // Version 0 stored the LPG's NTPOT as tpot: recompute every column from the Stat, named as it is.
      const rows = this.db.prepare("SELECT run_id, name, request_rate, stat_json FROM stats").all() as Array<{ run_id: string; name: string; request_rate: number; stat_json: string }>;
      const update = this.db.prepare(`UPDATE stats SET ${Object.keys(STAT_COLUMNS).map((c) => `${c} = @${c}`).join(", ")}, stat_json = @stat_json WHERE run_id = @run_id AND name = @name AND request_rate = @request_rate`);
      for (const row of rows) {
        const stat = migrateLegacyStat(parseProtoJson<Stat>(row.stat_json));
        update.run({ ...row, ...statColumns(stat), stat_json: stringifyProtoJson(stat) });
      }
      const loadGenerators = this.db.prepare("UPDATE benchmarks SET load_generator = (SELECT MIN(load_generator) FROM stats s WHERE s.run_id = benchmarks.run_id AND s.name = benchmarks.name) WHERE load_generator IS NULL");
      loadGenerators.run();
      this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
    })();
  }

  close(): void {
    this.db.close();
  }

  /** Imports (or re-imports) the benchmarks of a run as they are on disk; one transaction. */
  importRun(runId: string, outputDir: string, benchmarks: RunBenchmark[]): void {
    const insertRun = this.db.prepare("INSERT INTO runs (run_id, output_dir, imported_at) VALUES (?, ?, ?) ON CONFLICT(run_id) DO UPDATE SET output_dir = excluded.output_dir, imported_at = excluded.imported_at");
    const deleteBenchmarks = this.db.prepare("DELETE FROM benchmarks WHERE run_id = ?");
    const benchmarkColumns = ["run_id", "name", "status", ...Object.keys(BENCHMARK_COLUMNS)];
    const insertBenchmark = this.db.prepare(`INSERT INTO benchmarks (${benchmarkColumns.join(", ")}) VALUES (${benchmarkColumns.map((c) => `@${c}`).join(", ")})`);
    const statColumnNames = ["run_id", "name", "request_rate", ...Object.keys(STAT_COLUMNS), "stat_json"];
    const insertStat = this.db.prepare(`INSERT INTO stats (${statColumnNames.join(", ")}) VALUES (${statColumnNames.map((c) => `@${c}`).join(", ")})`);
    this.db.transaction(() => {
      insertRun.run(runId, path.resolve(outputDir), new Date().toISOString());
      deleteBenchmarks.run(runId);
      for (const b of benchmarks) {
        const provenance = readProvenance(b.paths);
        const stats = b.state.result?.stats ?? [];
        const row: Record<BenchmarkColumn | "run_id" | "name" | "status", unknown> = {
          run_id: runId,
          name: b.name,
          status: b.state.status,
          ...benchmarkFacts(b.config),
          load_generator: stats.find((s) => s.load_generator)?.load_generator ?? null,
          start_time: provenance.start_time ?? null,
          end_time: provenance.end_time ?? null,
          dashboard_url: provenance.dashboard_url ?? null,
          missing: JSON.stringify(b.state.record?.missing ?? []),
          problems: JSON.stringify(b.state.record?.problems ?? []),
          images: JSON.stringify(provenance.images),
          metadata_file: provenance.metadata_file ?? null,
          config_sha256: provenance.config_sha256 ?? null,
          snapshot_sha256: provenance.snapshot_sha256 ?? null,
          config_pbtxt: b.config ? printTextFormat(BenchmarkType, b.config) : null,
          config_json: b.config ? JSON.stringify(b.config) : null,
        };
        insertBenchmark.run(row);
        // One row per rate; a rate the LPG ran at "inf" (rate 0) is stored as 0.
        const seen = new Set<number>();
        for (const stat of stats) {
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
    const columns = ["run_id", "name", "status", ...Object.keys(BENCHMARK_COLUMNS).filter((c) => !c.startsWith("config_") || c === "config_sha256")];
    return this.db.prepare(`SELECT ${columns.join(", ")} FROM benchmarks WHERE run_id = ? ORDER BY name`).all(runId) as BenchmarkRow[];
  }

  stats(runId: string, name?: string): StatRow[] {
    const columns = ["run_id", "name", "request_rate", ...Object.keys(STAT_COLUMNS)].join(", ");
    return (name === undefined
      ? this.db.prepare(`SELECT ${columns} FROM stats WHERE run_id = ? ORDER BY name, request_rate`).all(runId)
      : this.db.prepare(`SELECT ${columns} FROM stats WHERE run_id = ? AND name = ? ORDER BY request_rate`).all(runId, name)) as StatRow[];
  }

  /** Every rate of a run with its whole Stat, by benchmark name and rate. */
  statDetails(runId: string): StatDetail[] {
    const rows = this.db.prepare("SELECT name, request_rate, stat_json FROM stats WHERE run_id = ? ORDER BY name, request_rate").all(runId) as Array<{ name: string; request_rate: number; stat_json: string }>;
    return rows.map((r) => ({ name: r.name, request_rate: r.request_rate, stat: parseProtoJson<Stat>(r.stat_json) }));
  }

  /** The same benchmark name across runs, oldest import first. */
  acrossRuns(name: string): StatRow[] {
    return this.db.prepare("SELECT s.* FROM stats s JOIN runs r USING (run_id) WHERE s.name = ? ORDER BY r.imported_at, s.request_rate").all(name) as StatRow[];
  }
}

function percentiles(metric: Metric | undefined): [number | null, number | null, number | null, number | null] {
  return [finite(metric?.mean), finite(metric?.median), finite(metric?.p90), finite(metric?.p99)];
}

export function statColumns(stat: Stat): Omit<StatRow, "run_id" | "name" | "request_rate"> {
  const [latency_mean_ms, latency_p50_ms, latency_p90_ms, latency_p99_ms] = percentiles(stat.request_latency);
  const [ttft_mean_ms, ttft_p50_ms, ttft_p90_ms, ttft_p99_ms] = percentiles(stat.ttft);
  const [ntpot_mean_ms, ntpot_p50_ms, ntpot_p90_ms, ntpot_p99_ms] = percentiles(stat.ntpot);
  const [tpot_mean_ms, tpot_p50_ms, tpot_p90_ms, tpot_p99_ms] = percentiles(stat.tpot);
  const [itl_mean_ms, itl_p50_ms, itl_p90_ms, itl_p99_ms] = percentiles(stat.itl);
  const errors = Object.fromEntries((stat.errors ?? []).map((e) => [e.type ?? "unknown", e.count ?? 0]));
  const errorCount = Object.values(errors).reduce((sum, n) => sum + n, 0);
  return {
    load_generator: stat.load_generator || null,
    output_tokens_per_second: finite(stat.throughput?.mean),
    input_tokens_per_second: finite(stat.input_tokens_per_second),
    total_tokens_per_second: finite(stat.total_tokens_per_second),
    requests_per_second: finite(stat.throughput_rps),
    successful_rps: finite(stat.successful_rps),
    achieved_rate: finite(achievedRate(stat)),
    latency_mean_ms, latency_p50_ms, latency_p90_ms, latency_p99_ms,
    ttft_mean_ms, ttft_p50_ms, ttft_p90_ms, ttft_p99_ms,
    ntpot_mean_ms, ntpot_p50_ms, ntpot_p90_ms, ntpot_p99_ms,
    tpot_mean_ms, tpot_p50_ms, tpot_p90_ms, tpot_p99_ms,
    itl_mean_ms, itl_p50_ms, itl_p90_ms, itl_p99_ms,
    input_length_mean: finite(stat.input_length?.mean),
    output_length_mean: finite(stat.output_length?.mean),
    prompts_attempted: finite(stat.num_prompts_attempted),
    prompts_succeeded: finite(stat.num_prompts_succeeded),
    errors_total: stat.errors || stat.num_prompts_attempted !== undefined ? errorCount : null,
    errors_json: JSON.stringify(errors),
    goodput_rps: finite(stat.goodput?.requests_per_second),
    goodput_percentage: finite(stat.goodput?.percentage),
    benchmark_time_seconds: finite(stat.benchmark_time_seconds),
  };
}
