// The results database's tables and their migrations, written once for both engines (SQLite and
// PostgreSQL) with Kysely's schema builder: `double precision`, `integer` and `text` mean the same
// on both. Version 1 is the layout SQLite files had before PostgreSQL; version 2 adds what makes
// the database alone enough (the result's shape, the snapshot's files, each rate's position).
import { type Kysely, sql } from "kysely";

type ColumnType = "double precision" | "integer" | "text";

/** A stat row's figures (see StatRow in store.ts for what each is). */
export const STAT_COLUMNS = {
  load_generator: "text",
  output_tokens_per_second: "double precision",
  input_tokens_per_second: "double precision",
  total_tokens_per_second: "double precision",
  requests_per_second: "double precision",
  successful_rps: "double precision",
  achieved_rate: "double precision",
  latency_mean_ms: "double precision",
  latency_p50_ms: "double precision",
  latency_p90_ms: "double precision",
  latency_p99_ms: "double precision",
  ttft_mean_ms: "double precision",
  ttft_p50_ms: "double precision",
  ttft_p90_ms: "double precision",
  ttft_p99_ms: "double precision",
  ntpot_mean_ms: "double precision",
  ntpot_p50_ms: "double precision",
  ntpot_p90_ms: "double precision",
  ntpot_p99_ms: "double precision",
  tpot_mean_ms: "double precision",
  tpot_p50_ms: "double precision",
  tpot_p90_ms: "double precision",
  tpot_p99_ms: "double precision",
  itl_mean_ms: "double precision",
  itl_p50_ms: "double precision",
  itl_p90_ms: "double precision",
  itl_p99_ms: "double precision",
  input_length_mean: "double precision",
  output_length_mean: "double precision",
  prompts_attempted: "integer",
  prompts_succeeded: "integer",
  errors_total: "integer",
  errors_json: "text",
  goodput_rps: "double precision",
  goodput_percentage: "double precision",
  benchmark_time_seconds: "double precision",
} as const satisfies Record<string, ColumnType>;

/** A benchmark row's columns besides run_id, name and status (see BenchmarkRow in store.ts). */
export const BENCHMARK_COLUMNS = {
  model_server: "text",
  accelerator: "text",
  replicas: "integer",
  tensor_parallelism: "integer",
  gpus: "integer",
  load_balancer: "text",
  model: "text",
  load_generator: "text",
  start_time: "text",
  end_time: "text",
  dashboard_url: "text",
  missing: "text",
  problems: "text",
  images: "text",
  metadata_file: "text",
  config_sha256: "text",
  snapshot_sha256: "text",
  config_pbtxt: "text",
  config_json: "text",
} as const satisfies Record<string, ColumnType>;

/** Lists stored as JSON text: never null (version 0 files had them with a default). */
const JSON_LISTS = new Set(["missing", "problems", "images"]);

type Sql<T extends ColumnType> = T extends "text" ? string : number;
type Columns<T extends Record<string, ColumnType>> = {
  [K in keyof T]: K extends "missing" | "problems" | "images" | "errors_json" ? string : Sql<T[K]> | null;
};

export interface RunsTable {
  run_id: string;
  output_dir: string;
  imported_at: string;
}

export type BenchmarksTable = { run_id: string; name: string; status: string } & Columns<typeof BENCHMARK_COLUMNS> & {
    /** The BenchmarkResult without its stats (they are rows of `stats`), as proto JSON; null when there is none. */
    result_json: string | null;
  };

export type StatsTable = { run_id: string; name: string; request_rate: number } & Columns<typeof STAT_COLUMNS> & {
    /** The whole Stat as proto JSON (every percentile, errors, model-server metrics). */
    stat_json: string;
    /** Its index in the BenchmarkResult's stats. */
    position: number | null;
  };

/** The snapshot's files of a benchmark, as written: benchmark.pbtxt and manifests/<part>.yaml. */
export interface SnapshotFilesTable {
  run_id: string;
  name: string;
  path: string;
  content: string;
}

export interface Schema {
  runs: RunsTable;
  benchmarks: BenchmarksTable;
  stats: StatsTable;
  snapshot_files: SnapshotFilesTable;
}

/** Adds the columns a table lacks (a version 0 SQLite file lacks several). */
async function addMissingColumns(
  db: Kysely<Schema>,
  table: string,
  columns: Record<string, ColumnType>,
): Promise<void> {
  const existing = (await db.introspection.getTables()).find((t) => t.name === table)?.columns.map((c) => c.name) ?? [];
  for (const [column, type] of Object.entries(columns)) {
    if (existing.includes(column)) continue;
    await db.schema
      .alterTable(table)
      .addColumn(column, type, (c) => (JSON_LISTS.has(column) ? c.notNull().defaultTo("[]") : c))
      .execute();
  }
}

export interface Migration {
  version: number;
  /** Runs inside the migration's transaction; `recompute` re-derives every stat row's columns from its Stat. */
  up(db: Kysely<Schema>, recompute: (db: Kysely<Schema>) => Promise<void>): Promise<void>;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    async up(db, recompute) {
      await db.schema
        .createTable("runs")
        .ifNotExists()
        .addColumn("run_id", "text", (c) => c.primaryKey())
        .addColumn("output_dir", "text", (c) => c.notNull())
        .addColumn("imported_at", "text", (c) => c.notNull())
        .execute();
      let benchmarks = db.schema
        .createTable("benchmarks")
        .ifNotExists()
        .addColumn("run_id", "text", (c) => c.notNull().references("runs.run_id").onDelete("cascade"))
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull());
      for (const [column, type] of Object.entries(BENCHMARK_COLUMNS)) {
        benchmarks = benchmarks.addColumn(column, type, (c) =>
          JSON_LISTS.has(column) ? c.notNull().defaultTo("[]") : c,
        );
      }
      await benchmarks.addPrimaryKeyConstraint("benchmarks_pk", ["run_id", "name"]).execute();
      let stats = db.schema
        .createTable("stats")
        .ifNotExists()
        .addColumn("run_id", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("request_rate", "double precision", (c) => c.notNull());
      for (const [column, type] of Object.entries(STAT_COLUMNS)) stats = stats.addColumn(column, type);
      await stats
        .addColumn("stat_json", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("stats_pk", ["run_id", "name", "request_rate"])
        .addForeignKeyConstraint("stats_benchmark", ["run_id", "name"], "benchmarks", ["run_id", "name"], (c) =>
          c.onDelete("cascade"),
        )
        .execute();
      await db.schema
        .createIndex("stats_by_name")
        .ifNotExists()
        .on("stats")
        .columns(["name", "request_rate"])
        .execute();
      // A version 0 SQLite file has the tables with fewer columns, and NTPOT in its tpot columns.
      await addMissingColumns(db, "benchmarks", BENCHMARK_COLUMNS);
      await addMissingColumns(db, "stats", STAT_COLUMNS);
      await recompute(db);
      await db
        .updateTable("benchmarks")
        .set((eb) => ({
          load_generator: eb
            .selectFrom("stats as s")
            .select((s) => s.fn.min("s.load_generator").as("g"))
            .whereRef("s.run_id", "=", "benchmarks.run_id")
            .whereRef("s.name", "=", "benchmarks.name"),
        }))
        .where("load_generator", "is", null)
        .execute();
    },
  },
  {
    version: 2,
    async up(db) {
      await db.schema.alterTable("benchmarks").addColumn("result_json", "text").execute();
      await db.schema.alterTable("stats").addColumn("position", "integer").execute();
      await db.schema
        .createTable("snapshot_files")
        .addColumn("run_id", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("path", "text", (c) => c.notNull())
        .addColumn("content", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("snapshot_files_pk", ["run_id", "name", "path"])
        .addForeignKeyConstraint(
          "snapshot_files_benchmark",
          ["run_id", "name"],
          "benchmarks",
          ["run_id", "name"],
          (c) => c.onDelete("cascade"),
        )
        .execute();
      // Rows stored before version 2 kept their stats in rate order, and every result had them.
      await db
        .updateTable("benchmarks")
        .set({ result_json: '{"stats":[]}' })
        .where((eb) =>
          eb.exists(
            eb
              .selectFrom("stats as s")
              .select(sql.lit(1).as("one"))
              .whereRef("s.run_id", "=", "benchmarks.run_id")
              .whereRef("s.name", "=", "benchmarks.name"),
          ),
        )
        .execute();
    },
  },
];

export const SCHEMA_VERSION = MIGRATIONS.at(-1)!.version;
