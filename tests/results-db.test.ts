// The results database a team shares, on both engines: a real PostgreSQL server (tests/postgres.ts)
// and SQLite. A run is stored the way the Pulumi program stores it (ResultsService.storeRun with
// the stack's resultsDb), then every command runs on the collecting machine and again on one that
// has none of the run's files and only --db: the outputs must be the same, byte for byte. Then
// eight writers at once, the one-line errors (unreachable server, wrong password, older schema),
// and every source of results (this tool's collection, the original tool's layout, the LPG's and
// inference-perf's own files) read with the same checks and statuses.
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { Client } from "pg";
import { prepareRun } from "../lib/plan/prepare";
import { listRunBenchmarks } from "../lib/results/run-results";
import { ResultsService } from "../lib/run/results-service";
import { benchmarkPaths } from "../lib/snapshot/layout";
import { writeSnapshots } from "../lib/snapshot/snapshot";
import { openDatabase } from "../lib/store/database";
import { openStore } from "../lib/store/store";
import { toolResults } from "../lib/tool-output/tool-results";
import { PROJECT_ROOT, runCli, sharedDir, tempDir } from "./helpers";
import { MODEL, realLpgRuns } from "./lpg-runs";
import { PG_PASSWORD, type PgServer, postgresServer } from "./postgres";
import { lpgKit } from "./real-lpg";

const RUN = "dbrun001";
const OTHER = "dbrun002";

/** LPG and inference-perf benchmarks, each with its results in another layout. */
const CATALOG = `
benchmarks { name: "svc" config {
  model_server { image: "vllm/vllm-openai:v0.10.2" accelerator: "nvidia-h100-80gb" replicas: 2 vllm { model: "${MODEL}" tensor_parallelism: "1" } }
  load_balancer { k8s_service {} }
  benchmark_tool { lpg { request_rates: "2,4,8" benchmark_time_seconds: "2" } } } }
benchmarks { name: "raw-lpg" config {
  model_server { image: "vllm/vllm-openai:v0.10.2" accelerator: "nvidia-l4" replicas: 1 vllm { model: "${MODEL}" } }
  load_balancer { k8s_service {} }
  benchmark_tool { lpg { request_rates: "2,4,8" benchmark_time_seconds: "2" } } } }
benchmarks { name: "ip-a" config {
  model_server { sim { model: "fake/tiny-model" } replicas: 1 }
  load_balancer { k8s_service {} }
  benchmark_tool { inference_perf { request_rates: "5,10" stage_duration_seconds: 10 random { input { min: 50 max: 200 mean: 100 std_dev: 30 } output { min: 10 max: 60 mean: 30 std_dev: 10 } } } } } }
benchmarks { name: "ip-c" config {
  model_server { sim { model: "fake/tiny-model" } replicas: 1 }
  load_balancer { k8s_service {} }
  benchmark_tool { inference_perf { request_rates: "10" stage_duration_seconds: 10 streaming: false } } } }
benchmarks { name: "waiting" config {
  model_server { sim { model: "fake/tiny-model" } replicas: 1 }
  load_balancer { k8s_service {} }
  benchmark_tool { lpg { request_rates: "1" } } } }
`;

function inferencePerfRun(context: Mocha.Context, name: string): string {
  const dir = path.join(sharedDir(context), "reference", "inference-perf", "runs", name);
  const folder = [dir, ...fs.readdirSync(dir).map((e) => path.join(dir, e))].find(
    (d) => fs.statSync(d).isDirectory() && fs.readdirSync(d).includes("stage_0_lifecycle_metrics.json"),
  );
  assert.ok(folder, name);
  return folder;
}

/** Writes a run: the snapshot as `manifests` writes it, and results in every layout we read. */
async function writeRun(context: Mocha.Context, output: string, runId: string): Promise<void> {
  const catalog = path.join(output, "..", `${runId}.pbtxt`);
  fs.writeFileSync(catalog, CATALOG);
  writeSnapshots(
    prepareRun({ catalogs: [catalog], runId, outputDir: output }).flatMap((p) => p.files),
    false,
  );
  const runs = await realLpgRuns(lpgKit(context));
  // The original tool's layout: results/json only.
  const svc = benchmarkPaths(output, runId, "svc");
  fs.mkdirSync(svc.resultsJsonDir, { recursive: true });
  for (const f of runs.head.jsonFiles)
    fs.copyFileSync(path.join(runs.head.workDir, f), path.join(svc.resultsJsonDir, f));
  // The LPG's own files, flat, as it writes them in its working folder (a run with failed requests).
  const raw = benchmarkPaths(output, runId, "raw-lpg");
  fs.mkdirSync(raw.resultsDir, { recursive: true });
  for (const f of [...runs.multiModel.jsonFiles, ...runs.multiModel.txtFiles])
    fs.copyFileSync(path.join(runs.multiModel.workDir, f), path.join(raw.resultsDir, f));
  // inference-perf's report folders as the tool wrote them.
  for (const [name, source] of [
    ["ip-a", "a-constant-2stage-random-completion-stream"],
    ["ip-c", "c-failures-20pct"],
  ]) {
    fs.cpSync(inferencePerfRun(context, source), benchmarkPaths(output, runId, name).resultsInferencePerfDir, {
      recursive: true,
    });
  }
}

/** What a command printed and every file it wrote under `output`, by path. */
interface Outcome {
  status: number | null;
  stdout: string;
  stderr: string;
  files: Record<string, string>;
}

const COMMANDS: Array<[string, string[], string?]> = [
  ["results", ["--run-id", RUN]],
  ["results", ["--run-id", RUN, "--json"]],
  [
    "report",
    [
      "--run-id",
      RUN,
      "--compare",
      OTHER,
      "--slo",
      "request_latency_p90<=60000ms",
      "--gpu-hour-price",
      "nvidia-h100-80gb=10",
    ],
    `${RUN}/report.html`,
  ],
  ["compare", ["--run-id", OTHER, "--run-id", RUN, "--fail-on-regression", "5", "--json"]],
  ["compare", ["--run-id", OTHER, "--run-id", RUN]],
  ["slo", ["--run-id", RUN, "--slo", "request_latency_p90<=60000ms,ttft_p99<=5s", "--json"]],
  ["slo", ["--run-id", RUN, "--preset", "mlperf-llama3.1-8b"]],
  ["export", ["--run-id", RUN, "--format", "csv"], `${RUN}/export`],
  ["export", ["--run-id", RUN, "--format", "br-v0.2.1"], `${RUN}/export`],
];

function runAll(cwd: string, db: string): Outcome[] {
  return COMMANDS.map(([command, args, written]) => {
    const result = runCli(command, [...args, "--output", "out", "--db", db], { cwd });
    const files: Record<string, string> = {};
    const dir = written ? path.join(cwd, "out", written) : undefined;
    if (dir && fs.existsSync(dir)) {
      const entries = fs.statSync(dir).isFile()
        ? [dir]
        : fs
            .readdirSync(dir, { recursive: true, withFileTypes: true })
            .filter((e) => e.isFile())
            .map((e) => path.join(e.parentPath, e.name));
      for (const file of entries) files[path.relative(cwd, file)] = fs.readFileSync(file, "utf8");
    }
    return { ...result, files };
  });
}

/** Spawns a CLI and resolves with its outcome (for writers running at once). */
function spawnCli(command: string, args: string[], cwd: string): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      path.join(PROJECT_ROOT, "node_modules", ".bin", "tsx"),
      [path.join(PROJECT_ROOT, "cli", `${command}.ts`), ...args],
      { cwd },
    );
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("close", (status) => resolve({ status, stderr }));
  });
}

async function tableCounts(db: string): Promise<Record<string, number>> {
  const store = await openStore(db);
  try {
    const runs = await store.runs();
    const counts: Record<string, number> = {};
    for (const run of runs) counts[run.run_id] = (await store.stats(run.run_id)).length * 1000 + run.benchmarks;
    return counts;
  } finally {
    await store.close();
  }
}

describe("results database: SQLite and a real PostgreSQL server", function () {
  this.timeout(600_000);
  let pg: PgServer;
  let machineA: string;

  before(async function () {
    pg = await postgresServer(this);
    machineA = tempDir("db-machine-a-");
    await writeRun(this, path.join(machineA, "out"), RUN);
    await writeRun(this, path.join(machineA, "out"), OTHER);
  });

  for (const engine of ["sqlite", "postgres"] as const) {
    it(
      `${engine}: a run stored by the program is listed, reported, compared, capacity-checked and ` +
        `exported from a machine that has only --db, with the same output`,
      async () => {
        const a = tempDir(`db-${engine}-a-`);
        fs.cpSync(machineA, a, { recursive: true });
        const db =
          engine === "postgres"
            ? await pg.createDatabase(`same_${Date.now()}`)
            : path.join(tempDir("db-file-"), "team.db");
        // What the Pulumi program does after each collection, with the stack's resultsDb.
        const warnings: string[] = [];
        for (const runId of [RUN, OTHER]) {
          await new ResultsService(
            { runId, outputDir: path.join(a, "out"), waitForResults: false, resultsDb: db },
            { info: () => undefined, warn: (m) => warnings.push(m) },
          ).storeRun();
        }
        assert.deepEqual(warnings, []);
        assert.ok(!fs.existsSync(path.join(a, "out", "results.db")), "resultsDb, not the output folder's file");
        const onA = runAll(a, db);
        for (const [i, outcome] of onA.entries())
          assert.equal(outcome.status, 0, `${COMMANDS[i][0]}: ${outcome.stderr}`);
        assert.match(onA[0].stdout, /^raw-lpg {2}partial/m);
        assert.match(onA[0].stdout, /^waiting {2}pending$/m);
        assert.match(onA[2].files[`out/${RUN}/report.html`], /ip-c/);
        assert.ok(Object.keys(onA[8].files).length >= 8, Object.keys(onA[8].files).join());

        fs.rmSync(path.join(a, "out"), { recursive: true });
        const b = tempDir(`db-${engine}-b-`);
        const onB = runAll(b, db);
        for (const [i, [command, args]] of COMMANDS.entries()) {
          assert.deepEqual(onB[i], onA[i], `${command} ${args.join(" ")} gives the same on a machine with only --db`);
        }
        assert.ok(!fs.existsSync(path.join(b, "out", "results.db")));
      },
    );
  }

  it(
    "eight writers at once (four whole-run imports, four hooks storing one benchmark each) lose and " +
      "duplicate nothing, on both engines",
    async () => {
      const output = path.join(tempDir("db-writers-"), "out");
      fs.cpSync(path.join(machineA, "out", RUN), path.join(output, RUN), { recursive: true });
      const ids = ["w1", "w2", "w3", "w4"];
      for (const id of ids) {
        for (const folder of fs.readdirSync(path.join(output, RUN))) {
          fs.cpSync(path.join(output, RUN, folder), path.join(output, id, `${folder.slice(0, -RUN.length)}${id}`), {
            recursive: true,
          });
        }
      }
      const names = listRunBenchmarks(output, RUN).map((b) => b.name);
      const expectedStats = listRunBenchmarks(output, RUN).reduce(
        (n, b) => n + new Set((b.state.result?.stats ?? []).map((s) => s.request_rate)).size,
        0,
      );
      const writer = path.join(tempDir("db-writer-"), "store-one.ts");
      fs.writeFileSync(
        writer,
        `import { ResultsService } from ${JSON.stringify(path.join(PROJECT_ROOT, "lib", "run", "results-service"))};
const [output, runId, name, db] = process.argv.slice(2);
const warnings: string[] = [];
void new ResultsService({ runId, outputDir: output, waitForResults: false, resultsDb: db }, { info: () => undefined, warn: (m) => warnings.push(m) })
  .storeRun([name]).then(() => { if (warnings.length) { process.stderr.write(warnings.join("\\n")); process.exitCode = 1; } });
`,
      );
      for (const engine of ["sqlite", "postgres"] as const) {
        const db =
          engine === "postgres"
            ? await pg.createDatabase(`writers_${Date.now()}`)
            : path.join(tempDir("db-writers-file-"), "team.db");
        const jobs = [
          ...ids.map((id) => spawnCli("import", ["--output", output, "--db", db, "--run-id", id], output)),
          ...names.slice(0, 4).map(
            (name) =>
              new Promise<{ status: number | null; stderr: string }>((resolve) => {
                const child = spawn(path.join(PROJECT_ROOT, "node_modules", ".bin", "tsx"), [
                  writer,
                  output,
                  RUN,
                  name,
                  db,
                ]);
                let stderr = "";
                child.stderr.on("data", (chunk) => (stderr += chunk));
                child.on("close", (status) => resolve({ status, stderr }));
              }),
          ),
        ];
        const outcomes = await Promise.all(jobs);
        assert.deepEqual(
          outcomes.map((o) => o.status),
          jobs.map(() => 0),
          outcomes.map((o) => o.stderr).join("\n"),
        );
        const counts = await tableCounts(db);
        const hooked = listRunBenchmarks(output, RUN).filter((b) => names.slice(0, 4).includes(b.name));
        const hookedStats = hooked.reduce(
          (n, b) => n + new Set((b.state.result?.stats ?? []).map((s) => s.request_rate)).size,
          0,
        );
        assert.deepEqual(
          counts,
          {
            ...Object.fromEntries(ids.map((id) => [id, expectedStats * 1000 + names.length])),
            [RUN]: hookedStats * 1000 + 4,
          },
          engine,
        );
        // Re-importing replaces a run's rows: nothing is added.
        assert.equal((await spawnCli("import", ["--output", output, "--db", db, "--run-id", "w1"], output)).status, 0);
        assert.deepEqual(await tableCounts(db), counts);
      }
    },
  );

  it(
    "an unreachable server, a wrong password, a missing database or an older schema: one line " +
      "naming the host and database, never the password, exit 1, nothing written",
    async () => {
      const output = path.join(tempDir("db-errors-"), "out");
      fs.cpSync(path.join(machineA, "out", RUN), path.join(output, RUN), { recursive: true });
      const good = await pg.createDatabase(`errors_${Date.now()}`);
      const database = new URL(good).pathname.slice(1);
      const older = await pg.createDatabase(`older_${Date.now()}`);
      // A database of schema 1 (what SQLite files had before PostgreSQL), as an older inference-bench would leave it.
      const oldDb = await openDatabase(
        { engine: "postgres", url: older, label: "older" },
        { write: true, recompute: async () => undefined, upgrade: true },
      );
      await oldDb.destroy();
      const client = new Client({ connectionString: older });
      await client.connect();
      await client.query(
        "DROP TABLE snapshot_files; ALTER TABLE benchmarks DROP COLUMN result_json; ALTER TABLE " +
          "stats DROP COLUMN position; UPDATE schema_version SET version = 1",
      );
      await client.end();
      const cases: Array<[string, RegExp]> = [
        [
          `postgres://bench:${PG_PASSWORD}@127.0.0.1:1/${database}`,
          new RegExp(`^error: results database "${database}" on 127\\.0\\.0\\.1:1: connection refused`),
        ],
        [
          pg.url(database, { password: "not-the-password" }),
          new RegExp(
            `^error: results database "${database}" on 127\\.0\\.0\\.1:${pg.port}: password authentication failed`,
          ),
        ],
        [
          pg.url("no_such_db"),
          new RegExp(
            `^error: results database "no_such_db" on 127\\.0\\.0\\.1:${pg.port}: the database does not exist`,
          ),
        ],
        [
          older,
          new RegExp(
            `^error: results database "older_\\d+" on 127\\.0\\.0\\.1:${pg.port}: schema 1 is older ` +
              `than this inference-bench's 2; upgrade it once for everyone with npm run -s import -- ` +
              `--db <url> --upgrade-db`,
          ),
        ],
        // TLS by sslmode: this server has none, so require fails (disable connects, below).
        [
          `${good}?sslmode=require`,
          new RegExp(`^error: results database "${database}" on 127\\.0\\.0\\.1:${pg.port}: TLS: .*SSL`),
        ],
      ];
      const before = fs.readdirSync(output, { recursive: true }).sort();
      for (const [db, expected] of cases) {
        for (const [command, args] of [
          ["import", ["--run-id", RUN]],
          ["results", ["--run-id", OTHER]],
          ["report", ["--run-id", RUN]],
          ["compare", ["--run-id", RUN, "--run-id", OTHER]],
          ["slo", ["--run-id", RUN, "--preset", "mlperf-llama3.1-8b"]],
          ["export", ["--run-id", OTHER, "--format", "csv"]],
        ] as const) {
          const result = runCli(command, [...args, "--output", output, "--db", db]);
          const lines = result.stderr.split("\n").filter(Boolean);
          assert.equal(result.status, 1, `${command} ${db}: ${result.stderr}`);
          assert.equal(result.stdout, "");
          assert.equal(lines.length, 1, result.stderr);
          assert.match(lines[0], expected, command);
          assert.ok(
            !result.stderr.includes(PG_PASSWORD) && !result.stderr.includes("not-the-password"),
            "never the password",
          );
        }
      }
      assert.deepEqual(fs.readdirSync(output, { recursive: true }).sort(), before, "nothing written");
      const check = new Client({ connectionString: good });
      await check.connect();
      assert.equal(
        (await check.query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'")).rows[0].n,
        0,
        "nothing written to the database either",
      );
      await check.end();
      // The password from PGPASSWORD, not the URL; and the older database upgraded on purpose.
      const withEnv = runCli(
        "import",
        ["--run-id", RUN, "--output", output, "--db", pg.url(database, { password: false })],
        { env: { PGPASSWORD: PG_PASSWORD } },
      );
      assert.equal(withEnv.status, 0, withEnv.stderr);
      assert.match(withEnv.stdout, new RegExp(`imported into database "${database}" on 127\\.0\\.0\\.1:${pg.port}`));
      assert.equal(
        runCli("results", ["--run-id", RUN, "--output", "nowhere", "--db", `${good}?sslmode=disable`]).status,
        0,
        "sslmode=disable: no TLS",
      );
      // node-postgres (pg-connection-string, uselibpqcompat) never falls back to plain text: prefer asks for
      // TLS as require does.
      assert.match(
        runCli("results", ["--run-id", RUN, "--output", "nowhere", "--db", `${good}?sslmode=prefer`]).stderr,
        /TLS: .*SSL/,
      );
      const upgraded = runCli("import", ["--run-id", RUN, "--output", output, "--db", older, "--upgrade-db"]);
      assert.equal(upgraded.status, 0, upgraded.stderr);
      assert.equal(runCli("results", ["--run-id", RUN, "--output", "nowhere", "--db", older]).status, 0);
    },
  );

  it("INFERENCE_BENCH_DB is the database when --db is absent", async () => {
    const url = await pg.createDatabase(`env_${Date.now()}`);
    const output = path.join(tempDir("db-env-"), "out");
    fs.cpSync(path.join(machineA, "out", RUN), path.join(output, RUN), { recursive: true });
    const env = { INFERENCE_BENCH_DB: url };
    assert.equal(runCli("import", ["--output", output], { env }).status, 0);
    assert.ok(!fs.existsSync(path.join(output, "results.db")));
    const elsewhere = runCli("results", ["--run-id", RUN, "--output", path.join(output, "..", "none")], { env });
    assert.equal(elsewhere.status, 0, elsewhere.stderr);
    // Whether the real LPG's 2-second rate 2 delivered its load varies from run to run.
    assert.match(elsewhere.stdout, /^svc {2}(collected|partial) {2}\(3 rates\)$/m);
  });
});

describe("every source of results gets the same checks and statuses", function () {
  this.timeout(300_000);

  it(
    "inference-perf's own report folder (with a snapshot, with only its config.yaml, inside its " +
      "reports-<timestamp>/ folder) reads as its collection does",
    async function () {
      // The collection of run c gives this (tests/inference-perf-results.test.ts: 20% failed requests).
      const collected = {
        status: "partial",
        missing: [],
        problems: ["rate 10.0: 20 of 100 requests failed (500 - Internal Server Error: 20)"],
      };
      const output = path.join(tempDir("sources-ip-"), "out");
      fs.mkdirSync(output, { recursive: true });
      const catalog = path.join(output, "..", "c.pbtxt");
      fs.writeFileSync(catalog, CATALOG);
      writeSnapshots(
        prepareRun({ catalogs: [catalog], runId: RUN, outputDir: output, regex: "^ip-c$" }).flatMap((p) => p.files),
        false,
      );
      const source = inferencePerfRun(this, "c-failures-20pct");
      fs.cpSync(source, benchmarkPaths(output, RUN, "ip-c").resultsInferencePerfDir, { recursive: true });
      // No snapshot: stage ↔ rate from the report's config.yaml.
      fs.cpSync(source, benchmarkPaths(output, RUN, "bare").resultsInferencePerfDir, { recursive: true });
      // The tool's own reports-<timestamp>/ folder, kept whole.
      fs.cpSync(
        source,
        path.join(benchmarkPaths(output, RUN, "nested").resultsInferencePerfDir, "reports-20261128-204900"),
        { recursive: true },
      );
      for (const b of listRunBenchmarks(output, RUN)) {
        assert.deepEqual(
          { status: b.state.status, missing: b.state.record!.missing, problems: b.state.record!.problems },
          collected,
          b.name,
        );
        assert.deepEqual(
          b.state.result!.stats!.map((s) => [s.request_rate, s.num_prompts_attempted, s.load_generator]),
          [[10, 100, "inference-perf"]],
          b.name,
        );
      }
      // A planned rate without its stage file is missing, as in a collection.
      fs.rmSync(
        path.join(benchmarkPaths(output, RUN, "ip-c").resultsInferencePerfDir, "stage_0_lifecycle_metrics.json"),
      );
      const [withoutStage] = listRunBenchmarks(output, RUN).filter((b) => b.name === "ip-c");
      assert.deepEqual(
        [withoutStage.state.status, withoutStage.state.record!.missing],
        ["failed", ["rate 10.0: no result file (stage_0_lifecycle_metrics.json)"]],
      );
    },
  );

  it(
    "the real LPG's files with failed requests: the original tool's layout, the LPG's own flat " +
      "output and a collection give the same status and problem lines",
    async function () {
      const runs = await realLpgRuns(lpgKit(this));
      const run = runs.multiModel;
      const output = path.join(tempDir("sources-lpg-"), "out");
      fs.mkdirSync(output, { recursive: true });
      const catalog = path.join(output, "..", "lpg.pbtxt");
      fs.writeFileSync(catalog, CATALOG.replace('"2,4,8"', '"4,8"'));
      const prepared = prepareRun({ catalogs: [catalog], runId: RUN, outputDir: output, regex: "^svc$" });
      writeSnapshots(
        prepared.flatMap((p) => p.files),
        false,
      );
      const paths = benchmarkPaths(output, RUN, "svc");
      fs.mkdirSync(paths.resultsJsonDir, { recursive: true });
      for (const f of run.jsonFiles) fs.copyFileSync(path.join(run.workDir, f), path.join(paths.resultsJsonDir, f));
      const [original] = listRunBenchmarks(output, RUN);
      // What the collector computes from the same files (lib/collect/collect.ts → toolResults).
      const collection = toolResults(
        prepared[0].resolved,
        run.jsonFiles.map((f) => ({ name: f, file: f, text: fs.readFileSync(path.join(run.workDir, f), "utf8") })),
        { toolLog: "" },
      );
      fs.rmSync(paths.resultsDir, { recursive: true });
      fs.mkdirSync(paths.resultsDir);
      for (const f of [...run.jsonFiles, ...run.txtFiles])
        fs.copyFileSync(path.join(run.workDir, f), path.join(paths.resultsDir, f));
      const [flat] = listRunBenchmarks(output, RUN);
      const strip = (lines: string[]) => lines.map((line) => line.replace(/^\S+\.json: /, ""));
      assert.ok(
        collection.problems.some((p) =>
          /^rate 4\.0: \d+ of \d+ requests failed \(ServerDisconnectedError: \d+\)$/.test(p),
        ),
        collection.problems.join("\n"),
      );
      for (const state of [original.state, flat.state]) {
        assert.equal(state.status, "partial");
        assert.deepEqual(strip(state.record!.problems), strip(collection.problems));
        assert.deepEqual(state.record!.missing, collection.missing);
        assert.deepEqual(state.result, collection.result);
      }
    },
  );
});
