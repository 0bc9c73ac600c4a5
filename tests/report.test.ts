import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import Database from "better-sqlite3";
import { saturationRate } from "../lib/report/analysis";
import { compareSides, type Side } from "../lib/report/compare";
import { chartData, PALETTE, renderReport } from "../lib/report/html";
import { changeInterval, welchInterval } from "../lib/report/interval";
import { listRunBenchmarks } from "../lib/results/run-results";
import { benchmarkPaths } from "../lib/snapshot/layout";
import { importRuns } from "../lib/store/import";
import { type BenchmarkRow, openStore, type StatRow, statColumns } from "../lib/store/store";
import type { Stat } from "../proto/benchmark-types";
import { runCli, tempDir } from "./helpers";
import { generation1, resultFileName } from "./lpg-fixtures";
import { openReport } from "./report-helpers";

const RATES = [10, 20, 40, 80, 160];

/**
 * SYNTHETIC curves: throughput grows with the rate until `knee` QPS, then stays flat while
 * p90 latency climbs — the shape of a saturating model server.
 */
function curve(rate: number, knee: number, scale: number) {
  const effective = Math.min(rate, knee);
  return {
    throughput: effective * 180 * scale,
    p90: rate <= knee ? 1500 + rate * 2 : 1500 + knee * 2 + (rate - knee) * 80,
  };
}

interface SyntheticBenchmark {
  name: string;
  knee: number;
  /** Throughput factor (run-to-run noise or a regression). */
  scale?: number;
  /** p90 latency factor. */
  latency?: number;
  rates?: number[];
}

/** Writes a run on disk in the original tool's layout (results/json only), from synthetic LPG files. */
function writeRun(outputDir: string, runId: string, benchmarks: SyntheticBenchmark[]): void {
  for (const b of benchmarks) {
    const paths = benchmarkPaths(outputDir, runId, b.name);
    fs.mkdirSync(paths.resultsJsonDir, { recursive: true });
    fs.writeFileSync(
      paths.benchmarkPbtxt,
      `name: "${b.name}"\nconfig { model_server { accelerator: "nvidia-h100-80gb" replicas: 2 ` +
        `vllm { model: "m" tensor_parallelism: "1" } } load_balancer { k8s_service {} } ` +
        `benchmark_tool { lpg { request_rates: "${RATES.join(",")}" } } }\n`,
    );
    for (const rate of b.rates ?? RATES) {
      const json = JSON.parse(generation1(rate, "m"));
      const { throughput, p90 } = curve(rate, b.knee, b.scale ?? 1);
      json.metrics.throughput = throughput;
      json.metrics.p90_latency = p90 * (b.latency ?? 1);
      fs.writeFileSync(path.join(paths.resultsJsonDir, resultFileName(rate, "m")), JSON.stringify(json));
    }
  }
}

function row(name: string, rate: number, stat: Stat): StatRow {
  return { run_id: "x", name, request_rate: rate, ...statColumns(stat) };
}

function benchmarkRow(name: string, status = "collected", missing: string[] = []): BenchmarkRow {
  return {
    run_id: "x",
    name,
    status,
    model_server: "vllm",
    accelerator: "nvidia-h100-80gb",
    replicas: 1,
    tensor_parallelism: 1,
    gpus: 1,
    load_balancer: "k8s_service",
    model: "m",
    load_generator: "lpg",
    start_time: null,
    end_time: null,
    dashboard_url: null,
    missing: JSON.stringify(missing),
    problems: "[]",
    images: "[]",
    metadata_file: null,
    config_sha256: null,
    snapshot_sha256: null,
  };
}

function side(runs: Array<{ runId: string; rows: StatRow[]; status?: Record<string, string> }>): Side {
  return {
    runs: runs.map((r) => ({
      runId: r.runId,
      stats: r.rows,
      benchmarks: [...new Set(r.rows.map((s) => s.name))].map((n) => benchmarkRow(n, r.status?.[n])),
    })),
  };
}

const stat = (tokens: number, p90: number, succeeded = 100): Stat => ({
  request_rate: 1,
  load_generator: "lpg",
  throughput: { mean: tokens },
  request_latency: { p90 },
  num_prompts_attempted: 100,
  num_prompts_succeeded: succeeded,
});

describe("report: analysis", () => {
  it("finds the saturation point where throughput stops growing while latency climbs", () => {
    const rows = RATES.map((rate) => ({
      request_rate: rate,
      output_tokens_per_second: curve(rate, 40, 1).throughput,
      latency_p90_ms: curve(rate, 40, 1).p90,
    }));
    assert.equal(saturationRate(rows), 40);
    const linear = RATES.map((rate) => ({
      request_rate: rate,
      output_tokens_per_second: rate * 100,
      latency_p90_ms: 1000,
    }));
    assert.equal(saturationRate(linear), undefined);
  });
});

describe("report: results database", () => {
  it("imports runs (including the original tool's layout) idempotently and answers the four questions", async () => {
    const output = tempDir();
    writeRun(output, "runa0001", [
      { name: "svc", knee: 40 },
      { name: "epp", knee: 80 },
    ]);
    writeRun(output, "runb0002", [{ name: "svc", knee: 40, scale: 0.9 }]);
    const store = await openStore(path.join(output, "results.db"));
    assert.deepEqual(await importRuns(store, output), ["runa0001", "runb0002"]);
    await importRuns(store, output);
    assert.deepEqual(
      (await store.runs()).map((r) => [r.run_id, r.benchmarks]),
      [
        ["runa0001", 2],
        ["runb0002", 1],
      ],
    );
    assert.deepEqual(
      (await store.benchmarks("runa0001")).map((b) => [
        b.name,
        b.status,
        b.accelerator,
        b.load_balancer,
        b.gpus,
        b.load_generator,
      ]),
      [
        ["epp", "collected", "nvidia-h100-80gb", "k8s_service", 2, "lpg"],
        ["svc", "collected", "nvidia-h100-80gb", "k8s_service", 2, "lpg"],
      ],
    );
    assert.deepEqual(
      (await store.stats("runa0001", "svc")).map((s) => s.request_rate),
      RATES,
    );
    assert.equal((await store.stats("runa0001")).length, 10, "re-importing replaced rows rather than adding them");
    assert.deepEqual(
      (await store.acrossRuns("svc")).map((s) => s.run_id),
      [...RATES.map(() => "runa0001"), ...RATES.map(() => "runb0002")],
    );
    const svc10 = (await store.stats("runa0001", "svc"))[0];
    assert.deepEqual(
      [svc10.ntpot_p90_ms, svc10.tpot_p90_ms, svc10.successful_rps],
      [30, null, 1000 / 101.5],
      "NTPOT named as NTPOT; no TPOT",
    );
    await store.close();
  });

  it(
    "migrates a database written before schema 1: NTPOT moves out of the tpot columns, new columns " + "appear",
    async () => {
      const file = path.join(tempDir(), "results.db");
      // The schema and a row as inference-bench wrote them before (commit 31cf8f1, lib/store/store.ts).
      const old = new Database(file);
      old.exec(`CREATE TABLE runs (run_id TEXT PRIMARY KEY, output_dir TEXT NOT NULL, imported_at TEXT NOT NULL);
      CREATE TABLE benchmarks (run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE, name TEXT NOT NULL, status TEXT NOT NULL, model_server TEXT, accelerator TEXT, replicas INTEGER, load_balancer TEXT, model TEXT, start_time TEXT, end_time TEXT, dashboard_url TEXT, problems TEXT NOT NULL DEFAULT '[]', config_pbtxt TEXT, config_json TEXT, PRIMARY KEY (run_id, name));
      CREATE TABLE stats (run_id TEXT NOT NULL, name TEXT NOT NULL, request_rate REAL NOT NULL, output_tokens_per_second REAL, requests_per_second REAL, latency_mean_ms REAL, latency_p50_ms REAL, latency_p90_ms REAL, latency_p99_ms REAL, tpot_mean_ms REAL, tpot_p90_ms REAL, ttft_p50_ms REAL, ttft_p90_ms REAL, input_length_mean REAL, output_length_mean REAL, prompts_attempted INTEGER, prompts_succeeded INTEGER, benchmark_time_seconds REAL, stat_json TEXT NOT NULL, PRIMARY KEY (run_id, name, request_rate), FOREIGN KEY (run_id, name) REFERENCES benchmarks(run_id, name) ON DELETE CASCADE);
      INSERT INTO runs VALUES ('old00001', '/gone', '2026-01-01T00:00:00Z');
      INSERT INTO benchmarks (run_id, name, status, problems) VALUES ('old00001', 'svc', 'collected', '[]');`);
      const legacy = {
        request_rate: 5,
        request_latency: { name: "request_latency_ms", mean: 900, p90: 1200 },
        tpot: { name: "time_per_output_token_ms", mean: 18, p90: 25 },
        throughput: { name: "output_tokens_per_second", mean: 700 },
      };
      old
        .prepare(
          "INSERT INTO stats (run_id, name, request_rate, tpot_mean_ms, tpot_p90_ms, stat_json) " +
            "VALUES ('old00001', 'svc', 5, 18, 25, ?)",
        )
        .run(JSON.stringify(legacy));
      old.close();
      const store = await openStore(file);
      const [migrated] = await store.stats("old00001");
      assert.deepEqual(
        [
          migrated.ntpot_mean_ms,
          migrated.ntpot_p90_ms,
          migrated.tpot_mean_ms,
          migrated.tpot_p90_ms,
          migrated.load_generator,
        ],
        [18, 25, null, null, "lpg"],
      );
      const [detail] = await store.statDetails("old00001");
      assert.equal(detail.stat.tpot, undefined);
      assert.equal(detail.stat.ntpot!.name, "normalized_time_per_output_token_ms");
      assert.equal((await store.benchmarks("old00001"))[0].load_generator, "lpg");
      await store.close();
      // Schema 2 (issue 19) added what makes the database alone enough: the current version is 2.
      assert.equal(new Database(file).pragma("user_version", { simple: true }), 2);
      new Database(file).pragma("user_version = 7");
      await assert.rejects(
        openStore(file),
        /schema 7 was written by a newer inference-bench \(this one reads up to 2\)/,
      );
    },
  );

  it(
    "reads results collected by earlier versions honestly (re-derived from results/json) and keeps " +
      "the original tool's metadata.txt",
    async () => {
      const output = tempDir();
      writeRun(output, "runa0001", [{ name: "svc", knee: 40, rates: [10, 20] }]);
      const paths = benchmarkPaths(output, "runa0001", "svc");
      // As an earlier inference-bench collected it: NTPOT in tpot, no load_generator, no errors.
      const stale = {
        stats: [10, 20].map((rate) => ({
          request_rate: rate,
          tpot: { name: "time_per_output_token_ms", mean: 20 },
          request_latency: { mean: 1 },
        })),
      };
      fs.writeFileSync(paths.resultJson, JSON.stringify(stale));
      fs.writeFileSync(
        paths.collection,
        JSON.stringify({ status: "collected", job_state: "succeeded", missing: [], problems: [], collected_at: "" }),
      );
      // The original tool's metadata file (gateway-api-inference-extension
      // tools/benchmark/scripts/run_one_benchmark.bash).
      fs.writeFileSync(
        path.join(paths.dir, "metadata.txt"),
        "start_time: 2025-04-01T10:00:00.000Z\nend_time: " +
          "2025-04-01T11:00:00.000Z\ncloud_monitoring_dashboard: " +
          "https://console.cloud.google.com/monitoring/dashboards/builder/x;startTime=a;endTime=b?project=p\n",
      );
      const [benchmark] = listRunBenchmarks(output, "runa0001");
      assert.equal(benchmark.state.status, "partial", "rates 40, 80, 160 of the catalog have no file");
      assert.deepEqual(
        benchmark.state.result!.stats!.map((s) => [s.load_generator, s.tpot, s.ntpot?.p90, s.request_latency?.mean]),
        [
          ["lpg", undefined, 30, 1010],
          ["lpg", undefined, 30, 1020],
        ],
      );
      fs.rmSync(paths.resultsJsonDir, { recursive: true });
      fs.mkdirSync(paths.resultsJsonDir);
      const [migrated] = listRunBenchmarks(output, "runa0001");
      assert.deepEqual(
        migrated.state.result!.stats!.map((s) => [s.tpot, s.ntpot?.mean, s.ntpot?.name]),
        [
          [undefined, 20, "normalized_time_per_output_token_ms"],
          [undefined, 20, "normalized_time_per_output_token_ms"],
        ],
        "without raw files: moved, not dropped",
      );
      const store = await openStore(path.join(output, "results.db"));
      await importRuns(store, output);
      const [row] = await store.benchmarks("runa0001");
      assert.deepEqual(
        [row.start_time, row.end_time, row.metadata_file],
        ["2025-04-01T10:00:00.000Z", "2025-04-01T11:00:00.000Z", "metadata.txt"],
      );
      assert.match(
        row.dashboard_url!,
        /^https:\/\/console\.cloud\.google\.com\/monitoring\/dashboards\/builder\/x;startTime=a;endTime=b\?project=p$/,
      );
      assert.match(row.config_sha256!, /^[0-9a-f]{64}$/);
      await store.close();
    },
  );
});

describe("report: compare", () => {
  it("Welch's interval: the textbook case, and a point when a side has one run", () => {
    // mean difference 3, s² = 1 on both sides, n = 3: se = √(2/3), Welch df = 4, t(0.975, 4) = 2.7764.
    const { difference, low, high, interval } = welchInterval([1, 2, 3], [4, 5, 6]);
    assert.equal(difference, 3);
    assert.ok(interval);
    assert.ok(Math.abs(high - difference - 2.7764 * Math.sqrt(2 / 3)) < 1e-3, String(high));
    assert.ok(Math.abs(difference - low - (high - difference)) < 1e-9);
    assert.deepEqual(welchInterval([1], [4, 5]), { difference: 3.5, low: 3.5, high: 3.5, interval: false });
    const ratio = changeInterval([100, 100], [90, 90], true)!;
    assert.ok(Math.abs(ratio.estimate + 10) < 1e-9 && ratio.low === ratio.high, "no spread: the interval is the point");
    assert.equal(changeInterval([0, 0], [1, 2], true), null);
  });

  it("single runs: per-rate deltas, regressions beyond the threshold, and what B lost", () => {
    const a = side([
      {
        runId: "A",
        rows: [
          row("a", 10, stat(1000, 100)),
          row("a", 20, stat(2000, 200)),
          row("a", 40, stat(3000, 300)),
          row("gone", 1, stat(1, 1)),
        ],
      },
    ]);
    const b = side([
      {
        runId: "B",
        rows: [row("a", 10, stat(980, 104)), row("a", 20, stat(1500, 300, 90)), row("new", 1, stat(1, 1))],
      },
    ]);
    const { deltas, lost, notes } = compareSides(a, b, 5);
    assert.deepEqual(
      deltas.map((d) => [d.rate, Math.round(d.metrics.throughput!.estimate), d.regressions]),
      [
        [10, -2, []],
        [20, -25, ["output tokens/s -25.0%", "request latency p90 +50.0%", "success ratio -10.0pt"]],
      ],
    );
    assert.deepEqual(lost, ["a @ 40: missing in run B", "gone: missing in run B"]);
    assert.deepEqual(notes, ["new: only in run B"]);
    const partial = compareSides(a, side([{ runId: "B", rows: a.runs[0].stats, status: { a: "partial" } }]), 5);
    assert.deepEqual(partial.lost, ["a: partial in run B"]);
    assert.deepEqual(
      partial.deltas.flatMap((d) => d.regressions),
      [],
    );
  });

  it(
    "three runs a side: fails a real regression with confidence, passes run-to-run noise that a " +
      "single pair would flag",
    () => {
      // SYNTHETIC: throughput of three baseline runs and of two candidates, ±4% run-to-run noise.
      const runsOf = (prefix: string, scales: number[]) =>
        side(
          scales.map((scale, i) => ({ runId: `${prefix}${i + 1}`, rows: [row("svc", 40, stat(7200 * scale, 1580))] })),
        );
      const baseline = runsOf("A", [1.0, 1.04, 0.97]);
      const noise = runsOf("N", [0.94, 1.02, 1.01]);
      const regressed = runsOf("R", [0.8, 0.83, 0.79]);
      // One pair alone (A1 against N1) looks like a 6% drop:
      assert.deepEqual(
        compareSides(
          side([{ runId: "A1", rows: baseline.runs[0].stats }]),
          side([{ runId: "N1", rows: noise.runs[0].stats }]),
          5,
        ).deltas[0].regressions,
        ["output tokens/s -6.0%"],
      );
      const passed = compareSides(baseline, noise, 5).deltas[0].metrics.throughput!;
      assert.ok(passed.interval && passed.low < -5 && passed.high > 0, `noise: ${JSON.stringify(passed)}`);
      assert.equal(passed.regression, false);
      const failed = compareSides(baseline, regressed, 5).deltas[0].metrics.throughput!;
      assert.ok(failed.estimate < -17 && failed.high < -5, `regression: ${JSON.stringify(failed)}`);
      assert.equal(failed.regression, true);
      assert.deepEqual(failed.a.length + failed.b.length, 6);
    },
  );

  it("CLI: prints deltas, exits 1 on a regression or on lost results, refuses a run compared with itself", () => {
    const output = tempDir();
    writeRun(output, "runa0001", [
      { name: "svc", knee: 40 },
      { name: "epp", knee: 80 },
    ]);
    writeRun(output, "runb0002", [
      { name: "svc", knee: 40, scale: 0.9 },
      { name: "epp", knee: 80, rates: [10, 20, 40] },
    ]);
    const ok = runCli("compare", ["--run-id", "runa0001", "--run-id", "runb0002", "--output", output]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /^benchmark +rate +output tokens\/s +request latency p90 +NTPOT p90 +success ratio$/m);
    assert.match(ok.stdout, /^svc +10\.0 +-10\.0% +\+0\.0% +\+0\.0% +\+0\.0pt$/m);
    assert.match(ok.stdout, /^LOST: epp @ 80: missing in run runb0002$/m);
    const gate = runCli("compare", [
      "--run-id",
      "runa0001",
      "--run-id",
      "runb0002",
      "--output",
      output,
      "--fail-on-regression",
      "5",
    ]);
    assert.equal(gate.status, 1);
    assert.match(gate.stdout, /REGRESSION: output tokens\/s -10\.0%/);
    assert.match(gate.stdout, /^5 regression\(s\) beyond 5%$/m);
    assert.match(gate.stdout, /^2 benchmark\(s\) or rate\(s\) lost in B$/m);
    const lenient = runCli("compare", [
      "--run-id",
      "runa0001",
      "--run-id",
      "runb0002",
      "--output",
      output,
      "--fail-on-regression",
      "15",
      "--json",
    ]);
    assert.equal(lenient.status, 1, "no regression beyond 15%, but B lost two rates");
    assert.deepEqual(JSON.parse(lenient.stdout).lost, [
      "epp @ 80: missing in run runb0002",
      "epp @ 160: missing in run runb0002",
    ]);
    const allowed = runCli("compare", [
      "--run-id",
      "runa0001",
      "--run-id",
      "runb0002",
      "--output",
      output,
      "--fail-on-regression",
      "15",
      "--allow-missing",
    ]);
    assert.equal(allowed.status, 0, allowed.stdout);
    assert.match(allowed.stdout, /lost in B \(allowed by --allow-missing\)/);
    for (const [args, pattern] of [
      [["--run-id", "runa0001"], /give exactly two runs/],
      [
        ["--run-id", "runa0001", "--run-id", "runa0001"],
        /run runa0001 is on both sides: comparing a run with itself shows nothing/,
      ],
      [
        ["--run-id", "runa0001", "--against", "runb0002", "--against", "runb0002"],
        /run runb0002 is given twice in --against/,
      ],
    ] as Array<[string[], RegExp]>) {
      const bad = runCli("compare", [...args, "--output", output]);
      assert.deepEqual([bad.status, bad.stdout], [1, ""]);
      assert.match(bad.stderr, pattern);
    }
  });

  it(
    "CLI with repeated runs (--against): a 95% interval per figure; noise passes the gate, a " + "regression fails it",
    () => {
      const output = tempDir();
      for (const [id, scale] of [
        ["a1", 1.0],
        ["a2", 1.04],
        ["a3", 0.97],
        ["n1", 0.94],
        ["n2", 1.02],
        ["n3", 1.01],
        ["r1", 0.8],
        ["r2", 0.83],
        ["r3", 0.79],
      ] as const) {
        writeRun(output, `run${id}`, [{ name: "svc", knee: 40, scale, rates: [10, 20] }]);
      }
      const baseline = ["--run-id", "runa1", "--run-id", "runa2", "--run-id", "runa3"];
      const noise = runCli("compare", [
        ...baseline,
        "--against",
        "runn1",
        "--against",
        "runn2",
        "--against",
        "runn3",
        "--output",
        output,
        "--fail-on-regression",
        "5",
      ]);
      assert.equal(noise.status, 0, noise.stdout);
      assert.match(noise.stdout, /^svc +10\.0 +-1\.4% \[-10\.1, \+8\.2\] +\+0\.0% \[\+0\.0, \+0\.0\]/m);
      assert.match(noise.stdout, /95% Welch t interval over per-run values \(A: 3 runs, B: 3 runs\)/);
      const regression = runCli("compare", [
        ...baseline,
        "--against",
        "runr1",
        "--against",
        "runr2",
        "--against",
        "runr3",
        "--output",
        output,
        "--fail-on-regression",
        "5",
      ]);
      assert.equal(regression.status, 1, regression.stdout);
      assert.match(regression.stdout, /REGRESSION: output tokens\/s -19\.6% \[-25\.2, -13\.6\]/);
    },
  );
});

describe("report: figures another load generator writes", () => {
  it("a true TPOT and goodput (inference-perf) get their own chart and columns; NTPOT stays NTPOT", () => {
    const stat: Stat = {
      request_rate: 4,
      load_generator: "inference-perf",
      throughput: { mean: 900 },
      request_latency: { median: 800, p90: 1000, p99: 1200 },
      ntpot: { p90: 9 },
      tpot: { mean: 6, median: 5.5, p90: 7, p99: 8 },
      ttft: { p90: 120 },
      num_prompts_attempted: 100,
      num_prompts_succeeded: 100,
      goodput: { requests_per_second: 3.5, percentage: 87.5 },
    };
    const run = { runId: "ip000001", benchmarks: [benchmarkRow("ip")], stats: [row("ip", 4, stat)] };
    const charts = chartData(run, []);
    assert.deepEqual(charts.find((c) => c.id === "tpot-p90")!.series[0].points, [[4, 7]]);
    assert.deepEqual(charts.find((c) => c.id === "ntpot-p90")!.series[0].points, [[4, 9]]);
    const html = renderReport(run, []);
    assert.match(html, /<th>TPOT p90 ms<\/th>.*<th>goodput req\/s<\/th><th>goodput<\/th>/s);
    assert.match(
      html,
      /goodput: the share of successful requests that met every goodput constraint \(inference-perf divides by successful requests/,
    );
    assert.match(html, /<td>3\.50<\/td><td>87\.5%<\/td>/);
  });
});

describe("report: HTML in a real browser", function () {
  this.timeout(120_000);

  it(
    "opens with no network and no console errors; every chart draws the expected series, colours, " +
      "dashes and marks; a delta table",
    async function () {
      const output = tempDir();
      writeRun(output, "runa0001", [
        { name: "svc", knee: 40 },
        { name: "epp", knee: 80, scale: 1.1 },
      ]);
      writeRun(output, "runb0002", [
        { name: "svc", knee: 40, scale: 0.9 },
        { name: "zeta", knee: 40 },
      ]);
      const result = runCli("report", ["--run-id", "runa0001", "--compare", "runb0002", "--output", output]);
      assert.equal(result.status, 0, result.stderr);
      const file = path.join(output, "runa0001", "report.html");
      assert.equal(result.stdout.trim(), file);

      const store = await openStore(path.join(output, "results.db"));
      const load = async (runId: string) => ({
        runId,
        benchmarks: await store.benchmarks(runId),
        stats: await store.stats(runId),
      });
      const expected = chartData(await load("runa0001"), [await load("runb0002")]);
      await store.close();
      const throughput = expected.find((c) => c.id === "output-throughput")!;
      assert.deepEqual(
        throughput.series.map((s) => [s.name, s.color, s.dashed, s.marks.map((m) => [m.name, m.coord[0]])]),
        [
          ["epp @ runa0001", PALETTE[0], false, [["saturation", 80]]],
          ["svc @ runa0001", PALETTE[1], false, [["saturation", 40]]],
          ["svc @ runb0002", PALETTE[1], true, [["saturation", 40]]],
        ],
        "one colour per benchmark across runs, the compared run dashed",
      );
      const curve = expected.find((c) => c.id === "curve-latency-p90")!.series[1];
      assert.deepEqual(curve.points[0], [1520, 1800], "x: p90 latency, y: output tokens/s");

      const page = await openReport(this, file, expected);
      try {
        assert.equal(await page.page.locator("#benchmark-svc .sat").count(), 1, "the table marks the saturation rate");
        const delta = await page.text("#delta-runb0002");
        assert.match(delta, /svc 10\.0 \+11\.1%/);
        assert.match(delta, /zeta: missing in run runa0001/);
        assert.match(await page.text(".legend"), /epp.*svc.*run runa0001.*run runb0002/s);
        await page.page.evaluate(() =>
          (window as any).echarts
            .getInstanceByDom(document.getElementById("chart-curve-latency-p90"))
            .dispatchAction({ type: "showTip", seriesIndex: 1, dataIndex: 0 }),
        );
        const tooltip = page.page.locator("#chart-curve-latency-p90 div").filter({ hasText: "rate:" }).last();
        assert.equal(
          (await tooltip.innerText()).trim(),
          "svc @ runa0001\nrate: 10 QPS\nrequest latency p90: 1,520 ms\noutput throughput: 1,800 tokens/s",
          "benchmark, rate and values",
        );
      } finally {
        await page.close();
      }
    },
  );
});

describe("import CLI", () => {
  it("imports every run of an output folder, and says so when there is none", () => {
    const output = tempDir();
    writeRun(output, "runa0001", [{ name: "svc", knee: 40 }]);
    const result = runCli("import", ["--output", output]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /runa0001: 1 benchmarks, 5 rates/);
    assert.equal(listRunBenchmarks(output, "runa0001")[0].state.status, "collected");
    const empty = runCli("import", ["--output", tempDir()]);
    assert.equal(empty.status, 1);
    assert.match(empty.stderr, /no runs to import/);
  });
});
