// npm run bench:store — the results database on both engines, side by side, in one run: SQLite
// (a file) and PostgreSQL (a server started here from Debian's postgresql package, as the tests
// start it: tests/postgres.ts).
// Targets: importing a run of 1,000 benchmarks × 10 rates (snapshots and LPG result files on
// disk, read, checked and written) into PostgreSQL ≤ 10 s; a report of a 100-benchmark run read
// from PostgreSQL (rows, stats, whole Stats, rendered to HTML) ≤ 3 s.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { prepareRun } from "../lib/plan/prepare";
import { renderReport } from "../lib/report/html";
import { readRunRecords } from "../lib/results/run-results";
import { benchmarkPaths } from "../lib/snapshot/layout";
import { writeSnapshots } from "../lib/snapshot/snapshot";
import { importRuns } from "../lib/store/import";
import { openStore, type ResultStore } from "../lib/store/store";
import { generation1, resultFileName } from "../tests/lpg-fixtures";
import { startPostgres, stopPostgres } from "../tests/postgres";

const RATES = [1, 2, 4, 6, 8, 10, 12, 16, 20, 24];
const IMPORT_TARGET_S = 10;
const REPORT_TARGET_S = 3;

/**
 * A run of `count` benchmarks on disk: its snapshot as `manifests` writes it, and 10 LPG files each
 * (SYNTHETIC figures).
 */
function writeRun(output: string, runId: string, count: number): void {
  const catalog = path.join(output, "..", `${runId}.pbtxt`);
  const flavours = [
    "k8s_service {}",
    'gateway { envoy { epp { image: "registry.k8s.io/gateway-api-inference-extension/epp:v1.5.0" } } }',
  ];
  fs.writeFileSync(
    catalog,
    Array.from(
      { length: count },
      (_, i) => `benchmarks { name: "b${i}" config {
  model_server { image: "vllm/vllm-openai:v0.10.2" accelerator: "nvidia-h100-80gb" replicas: ${1 + (i % 4)} vllm { model: "meta-llama/Llama-3.1-8B-Instruct" } }
  load_balancer { ${flavours[i % 2]} }
  benchmark_tool { lpg { request_rates: "${RATES.join(",")}" benchmark_time_seconds: "60" } } } }`,
    ).join("\n"),
  );
  writeSnapshots(
    prepareRun({ catalogs: [catalog], runId, outputDir: output }).flatMap((p) => p.files),
    false,
  );
  for (let i = 0; i < count; i++) {
    const paths = benchmarkPaths(output, runId, `b${i}`);
    fs.mkdirSync(paths.resultsJsonDir, { recursive: true });
    for (const rate of RATES)
      fs.writeFileSync(path.join(paths.resultsJsonDir, resultFileName(rate, "m")), generation1(rate, "m"));
  }
}

async function seconds<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const start = process.hrtime.bigint();
  const value = await fn();
  return [Number(process.hrtime.bigint() - start) / 1e9, value];
}

async function report(store: ResultStore, runId: string): Promise<number> {
  const run = {
    runId,
    benchmarks: await store.benchmarks(runId),
    stats: await store.stats(runId),
    details: await store.statDetails(runId),
  };
  return renderReport(run, []).length;
}

async function main(): Promise<void> {
  const pg = startPostgres();
  if (!pg) throw new Error("PostgreSQL is not installed (apt-get install postgresql, or set PG_BIN)");
  const server = await pg;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "bench-store-"));
  const output = path.join(root, "output");
  try {
    process.stdout.write("writing a 1,000-benchmark run (10 rates each) and a 100-benchmark run to disk…\n");
    writeRun(output, "big00001", 1000);
    writeRun(output, "rep00001", 100);
    const [readSeconds, records] = await seconds(async () => readRunRecords(output, "big00001"));
    const rows: string[] = [];
    let failed = false;
    for (const engine of ["sqlite", "postgres"] as const) {
      const db =
        engine === "sqlite" ? path.join(root, "results.db") : await server.createDatabase(`bench_${Date.now()}`);
      const store = await openStore(db);
      try {
        const [importSeconds] = await seconds(() => importRuns(store, output, ["big00001"]));
        const stats = (await store.stats("big00001")).length;
        await importRuns(store, output, ["rep00001"]);
        await report(store, "rep00001"); // warm-up: the first render loads ECharts
        const [reportSeconds, bytes] = await seconds(async () => {
          const reader = await openStore(db, { write: false });
          try {
            return await report(reader, "rep00001");
          } finally {
            await reader.close();
          }
        });
        const checked = engine === "postgres";
        const importOk = !checked || importSeconds <= IMPORT_TARGET_S;
        const reportOk = !checked || reportSeconds <= REPORT_TARGET_S;
        failed ||= !importOk || !reportOk || stats !== 1000 * RATES.length;
        rows.push(
          `${engine.padEnd(10)} ${importSeconds.toFixed(2).padStart(8)} ` +
            `s${checked ? ` (target ≤ ${IMPORT_TARGET_S} s${importOk ? "" : ", MISSED"})` : ""}   ${reportSeconds.toFixed(2).padStart(6)} ` +
            `s${checked ? ` (target ≤ ${REPORT_TARGET_S} s${reportOk ? "" : ", MISSED"})` : ""}   ${stats} ` +
            `stat rows, report ${(bytes / 1e6).toFixed(1)} MB`,
        );
      } finally {
        await store.close();
      }
    }
    process.stdout.write(
      `reading the 1,000 benchmarks from disk (parse and checks): ${readSeconds.toFixed(2)} s ` +
        `(${records.length} benchmarks), included in each import below\n`,
    );
    process.stdout.write(`engine      import 1,000 × 10               report of 100 benchmarks\n${rows.join("\n")}\n`);
    if (failed) process.exitCode = 1;
  } finally {
    await stopPostgres();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

void main();
