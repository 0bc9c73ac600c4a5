// The results database: every collected BenchmarkResult with its benchmark's resolved config,
// snapshot, provenance and run id, in SQLite (a file, the default) or PostgreSQL (a database a
// team shares), through one Kysely schema (schema.ts). It answers: all runs; the benchmarks of a
// run; stats per rate; the same benchmark name across runs; and a run's whole record, so that a
// machine with none of its files prints what the collecting machine prints. Importing a run
// again replaces its benchmarks' rows in one transaction (idempotent).
//
// Each stat row keeps the whole Stat (stat_json) and, as columns, the figures that queries and
// the report use, each named for what it is (ntpot_* is NTPOT; tpot_* a true TPOT, null where
// the load generator writes none, as the LPG does).

import * as path from "node:path";
import type { Kysely } from "kysely";
import type { BenchmarkResult, Metric, Stat } from "../../proto/benchmark-types";
import { parseProtoJson, stringifyProtoJson } from "../../proto/json";
import { BenchmarkType } from "../../proto/schema";
import { parseTextFormat, printTextFormat } from "../../proto/textformat";
import { migrateLegacyStat } from "../results/legacy";
import type { Provenance } from "../results/provenance";
import { type BenchmarkRecord, byName } from "../results/run-results";
import type { BenchmarkStatus } from "../results/status";
import { achievedRate } from "../tool-output/load-fidelity";
import { type DatabaseLocation, databaseLocation, exclusively, openDatabase, withDatabaseErrors } from "./database";
import { BENCHMARK_COLUMNS, type BenchmarksTable, type Schema, STAT_COLUMNS, type StatsTable } from "./schema";

export { databasePath } from "./database";

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
export function benchmarkFacts(
  config: BenchmarkRecord["config"],
): Pick<
  BenchmarkRow,
  "model_server" | "accelerator" | "replicas" | "tensor_parallelism" | "gpus" | "load_balancer" | "model"
> {
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

function loadBalancerOf(config: BenchmarkRecord["config"]): string | null {
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

/** Rows a multi-row insert may carry: both engines cap a statement's parameters (SQLite 32,766; PostgreSQL 65,535). */
function chunks<T>(rows: T[], columns: number): T[][] {
  const size = Math.max(1, Math.floor(30_000 / columns));
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/** Rows for the database of one benchmark: its benchmark row, one stat row per rate, its snapshot's files. */
function rowsOf(
  runId: string,
  b: BenchmarkRecord,
): { benchmark: BenchmarksTable; stats: StatsTable[]; files: Schema["snapshot_files"][] } {
  const provenance = b.provenance;
  const stats = b.state.result?.stats ?? [];
  const result = b.state.result;
  const benchmark: BenchmarksTable = {
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
    // The stats are rows of their own; this keeps the rest, and whether there were any.
    result_json: result ? stringifyProtoJson({ ...result, stats: result.stats ? [] : undefined }) : null,
  };
  // One row per rate; a rate the LPG ran at "inf" (rate 0) is stored as 0.
  const seen = new Set<number>();
  const statRows: StatsTable[] = [];
  stats.forEach((stat, position) => {
    const rate = Number.isFinite(stat.request_rate) ? stat.request_rate! : 0;
    if (seen.has(rate)) return;
    seen.add(rate);
    statRows.push({
      run_id: runId,
      name: b.name,
      request_rate: rate,
      ...statColumns(stat),
      stat_json: stringifyProtoJson(stat),
      position,
    });
  });
  const files = Object.entries(b.snapshot).map(([file, content]) => ({
    run_id: runId,
    name: b.name,
    path: file,
    content,
  }));
  return { benchmark, stats: statRows, files };
}

const STAT_ROW_COLUMNS = ["run_id", "name", "request_rate", ...Object.keys(STAT_COLUMNS)] as Array<
  keyof StatRow & keyof StatsTable
>;
const BENCHMARK_ROW_COLUMNS = [
  "run_id",
  "name",
  "status",
  ...Object.keys(BENCHMARK_COLUMNS).filter((c) => !c.startsWith("config_") || c === "config_sha256"),
] as Array<keyof BenchmarkRow & keyof BenchmarksTable>;

function byNameAndRate(a: { name: string; request_rate: number }, b: { name: string; request_rate: number }): number {
  return byName(a, b) || a.request_rate - b.request_rate;
}

export class ResultStore {
  private constructor(
    readonly location: DatabaseLocation,
    private readonly db: Kysely<Schema>,
  ) {}

  /**
   * Opens the database at `location` (`write`: create or migrate it as needed; readers only read
   * one that is there). Faults become one line naming the file, or the host and database.
   */
  static async open(
    location: DatabaseLocation,
    options: { write: boolean; upgrade?: boolean } = { write: true },
  ): Promise<ResultStore> {
    return withDatabaseErrors(
      location,
      async () =>
        new ResultStore(location, await openDatabase(location, { ...options, recompute: recomputeStatColumns })),
    );
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  /** Runs a query under the one-line error contract. */
  private run<T>(fn: () => Promise<T>): Promise<T> {
    return withDatabaseErrors(this.location, fn);
  }

  /**
   * Imports (or re-imports) benchmarks of a run in one transaction that no other writer runs
   * beside: `read` runs inside it, so what it reads from disk is never older than what another
   * writer stored. `only`: replace these benchmarks' rows and keep the run's others; else the
   * run's rows are replaced whole.
   */
  async importRun(
    runId: string,
    outputDir: string,
    read: () => BenchmarkRecord[],
    options: { only?: string[] } = {},
  ): Promise<void> {
    await this.run(() =>
      exclusively(this.db, this.location.engine, async (tx) => {
        const benchmarks = read().filter((b) => !options.only || options.only.includes(b.name));
        const run = { run_id: runId, output_dir: path.resolve(outputDir), imported_at: new Date().toISOString() };
        await tx
          .insertInto("runs")
          .values(run)
          .onConflict((oc) =>
            oc.column("run_id").doUpdateSet({ output_dir: run.output_dir, imported_at: run.imported_at }),
          )
          .execute();
        if (options.only) {
          for (const names of chunks(options.only, 1))
            await tx.deleteFrom("benchmarks").where("run_id", "=", runId).where("name", "in", names).execute();
        } else {
          await tx.deleteFrom("benchmarks").where("run_id", "=", runId).execute();
        }
        const rows = benchmarks.map((b) => rowsOf(runId, b));
        const insert = async <T extends keyof Schema>(table: T, values: Array<Schema[T]>) => {
          if (!values.length) return;
          for (const chunk of chunks(values, Object.keys(values[0] as object).length))
            await tx
              .insertInto(table)
              .values(chunk as never)
              .execute();
        };
        await insert(
          "benchmarks",
          rows.map((r) => r.benchmark),
        );
        await insert(
          "stats",
          rows.flatMap((r) => r.stats),
        );
        await insert(
          "snapshot_files",
          rows.flatMap((r) => r.files),
        );
      }),
    );
  }

  async runs(): Promise<RunRow[]> {
    const rows = await this.run(() =>
      this.db
        .selectFrom("runs as r")
        .leftJoin("benchmarks as b", "b.run_id", "r.run_id")
        .select(["r.run_id", "r.output_dir", "r.imported_at"])
        .select((eb) => eb.fn.count<number | string>("b.name").as("benchmarks"))
        .groupBy(["r.run_id", "r.output_dir", "r.imported_at"])
        .execute(),
    );
    return rows
      .map((r) => ({ ...r, benchmarks: Number(r.benchmarks) }))
      .sort((a, b) =>
        a.imported_at < b.imported_at
          ? -1
          : a.imported_at > b.imported_at
            ? 1
            : byName({ name: a.run_id }, { name: b.run_id }),
      );
  }

  async hasRun(runId: string): Promise<boolean> {
    return (
      (await this.run(() => this.db.selectFrom("runs").select("run_id").where("run_id", "=", runId).execute())).length >
      0
    );
  }

  async benchmarks(runId: string): Promise<BenchmarkRow[]> {
    const rows = await this.run(() =>
      this.db.selectFrom("benchmarks").select(BENCHMARK_ROW_COLUMNS).where("run_id", "=", runId).execute(),
    );
    return (rows as BenchmarkRow[]).sort(byName);
  }

  async stats(runId: string, name?: string): Promise<StatRow[]> {
    let query = this.db.selectFrom("stats").select(STAT_ROW_COLUMNS).where("run_id", "=", runId);
    if (name !== undefined) query = query.where("name", "=", name);
    return ((await this.run(() => query.execute())) as StatRow[]).sort(byNameAndRate);
  }

  /** Every rate of a run with its whole Stat, by benchmark name and rate. */
  async statDetails(runId: string): Promise<StatDetail[]> {
    const rows = await this.run(() =>
      this.db.selectFrom("stats").select(["name", "request_rate", "stat_json"]).where("run_id", "=", runId).execute(),
    );
    return rows
      .sort(byNameAndRate)
      .map((r) => ({ name: r.name, request_rate: r.request_rate, stat: parseProtoJson<Stat>(r.stat_json) }));
  }

  /** The same benchmark name across runs, oldest import first. */
  async acrossRuns(name: string): Promise<StatRow[]> {
    const rows = await this.run(() =>
      this.db
        .selectFrom("stats as s")
        .innerJoin("runs as r", "r.run_id", "s.run_id")
        .select(STAT_ROW_COLUMNS.map((c) => `s.${c}` as const))
        .select("r.imported_at")
        .where("s.name", "=", name)
        .execute(),
    );
    return rows
      .sort((a, b) =>
        a.imported_at < b.imported_at ? -1 : a.imported_at > b.imported_at ? 1 : a.request_rate - b.request_rate,
      )
      .map(({ imported_at: _, ...row }) => row as StatRow);
  }

  /** A run's benchmarks as they were read from disk when imported: what `results` and `export` print. */
  async records(runId: string): Promise<BenchmarkRecord[]> {
    const [benchmarks, stats, files] = await this.run(() =>
      Promise.all([
        this.db.selectFrom("benchmarks").selectAll().where("run_id", "=", runId).execute(),
        this.db
          .selectFrom("stats")
          .select(["name", "request_rate", "position", "stat_json"])
          .where("run_id", "=", runId)
          .execute(),
        this.db.selectFrom("snapshot_files").select(["name", "path", "content"]).where("run_id", "=", runId).execute(),
      ]),
    );
    return benchmarks.sort(byName).map((row) => {
      const snapshot = Object.fromEntries(
        files
          .filter((f) => f.name === row.name)
          .sort((a, b) => (a.path < b.path ? -1 : 1))
          .map((f) => [f.path, f.content]),
      );
      const config =
        snapshot["benchmark.pbtxt"] !== undefined
          ? parseTextFormat(BenchmarkType, snapshot["benchmark.pbtxt"], `${row.name}/benchmark.pbtxt`)
          : row.config_json
            ? JSON.parse(row.config_json)
            : undefined;
      const rates = stats
        .filter((s) => s.name === row.name)
        .sort((a, b) => (a.position ?? 0) - (b.position ?? 0) || a.request_rate - b.request_rate);
      let result: BenchmarkResult | undefined;
      if (row.result_json !== null) {
        result = parseProtoJson<BenchmarkResult>(row.result_json);
        if (result.stats) result.stats = rates.map((s) => parseProtoJson<Stat>(s.stat_json));
      }
      const missing = JSON.parse(row.missing) as string[];
      const problems = JSON.parse(row.problems) as string[];
      const status = row.status as BenchmarkStatus;
      const provenance: Provenance = {
        ...(row.start_time !== null ? { start_time: row.start_time } : {}),
        ...(row.end_time !== null ? { end_time: row.end_time } : {}),
        ...(row.dashboard_url !== null ? { dashboard_url: row.dashboard_url } : {}),
        images: JSON.parse(row.images),
        ...(row.metadata_file !== null ? { metadata_file: row.metadata_file } : {}),
        ...(row.config_sha256 !== null ? { config_sha256: row.config_sha256 } : {}),
        ...(row.snapshot_sha256 !== null ? { snapshot_sha256: row.snapshot_sha256 } : {}),
      };
      const record =
        status === "pending"
          ? undefined
          : { status, job_state: "absent" as const, missing, problems, collected_at: "" };
      return {
        name: row.name,
        config,
        state: { status, ...(record ? { record } : {}), ...(result ? { result } : {}) },
        provenance,
        snapshot,
      };
    });
  }
}

/** Version 0 stored the LPG's NTPOT as tpot: every column is recomputed from the Stat, named as it is. */
async function recomputeStatColumns(db: Kysely<Schema>): Promise<void> {
  const rows = await db.selectFrom("stats").select(["run_id", "name", "request_rate", "stat_json"]).execute();
  for (const row of rows) {
    const stat = migrateLegacyStat(parseProtoJson<Stat>(row.stat_json));
    await db
      .updateTable("stats")
      .set({ ...statColumns(stat), stat_json: stringifyProtoJson(stat) })
      .where("run_id", "=", row.run_id)
      .where("name", "=", row.name)
      .where("request_rate", "=", row.request_rate)
      .execute();
  }
}

/**
 * Opens the results database named by `db` (a file or a postgres:// URL; default: INFERENCE_BENCH_DB, else
 * <output>/results.db).
 */
export async function openStore(
  db: string | undefined,
  options: { output?: string; write?: boolean; upgrade?: boolean } = {},
): Promise<ResultStore> {
  return ResultStore.open(databaseLocation(db, options.output ?? "output"), {
    write: options.write ?? true,
    upgrade: options.upgrade,
  });
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
    latency_mean_ms,
    latency_p50_ms,
    latency_p90_ms,
    latency_p99_ms,
    ttft_mean_ms,
    ttft_p50_ms,
    ttft_p90_ms,
    ttft_p99_ms,
    ntpot_mean_ms,
    ntpot_p50_ms,
    ntpot_p90_ms,
    ntpot_p99_ms,
    tpot_mean_ms,
    tpot_p50_ms,
    tpot_p90_ms,
    tpot_p99_ms,
    itl_mean_ms,
    itl_p50_ms,
    itl_p90_ms,
    itl_p99_ms,
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
