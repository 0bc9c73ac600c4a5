// inference-perf's real outputs (../shared/reference/inference-perf/runs: the unmodified v0.6.1
// tool against a fake OpenAI server, plus the real-vLLM example its repository ships) turned into
// Stats, checked figure by figure against the files (inference-perf writes seconds, Stat holds
// ms), then carried through the real wrapper, the fake Kubernetes API and the real collector into
// results/, the `results` command, the database, the report and compare.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { ResolvedBenchmark } from "../lib/catalog/catalog";
import { collectBenchmark } from "../lib/collect/collect";
import { WRAPPER_FILES } from "../lib/manifests/load-generator";
import { prepareRun } from "../lib/plan/prepare";
import type { CollectionRecord, ResultMetadata } from "../lib/results/record";
import { readBenchmarkState } from "../lib/results/status";
import { benchmarkPaths } from "../lib/snapshot/layout";
import { writeSnapshots } from "../lib/snapshot/snapshot";
import { openStore } from "../lib/store/store";
import { parseInferencePerfReports, serverMetrics } from "../lib/tool-output/inference-perf";
import { checkStats } from "../lib/tool-output/tool-results";
import type { Metric, Stat } from "../proto/benchmark-types";
import { FakeKube, jobIn, pod } from "./fake-kube";
import { runCli, sharedDir, tempDir } from "./helpers";

type Json = Record<string, any>;
const RUN = "ipruns01";
const TOKEN = "hf_InferencePerfToken42";

function runsDir(context: Mocha.Context): string {
  return path.join(sharedDir(context), "reference", "inference-perf", "runs");
}

/**
 * The folder of a run that holds its stage files as the tool wrote them locally (not the GCS copy, whose
 * names carry a prefix).
 */
function reportFolder(runDir: string): string {
  const candidates = [
    runDir,
    ...fs
      .readdirSync(runDir)
      .map((entry) => path.join(runDir, entry))
      .filter((p) => fs.statSync(p).isDirectory() && !p.endsWith("fake-gcs")),
  ];
  const found = candidates.find((dir) =>
    fs.readdirSync(dir).some((f) => /^stage_\d+_lifecycle_metrics\.json$/.test(f)),
  );
  assert.ok(found, `${runDir}: no stage files`);
  return found;
}

function readFolder(dir: string): Array<{ name: string; text: string }> {
  return fs
    .readdirSync(dir)
    .filter((f) => fs.statSync(path.join(dir, f)).isFile())
    .sort()
    .map((name) => ({ name, text: fs.readFileSync(path.join(dir, name), "utf8") }));
}

const close = (actual: number | undefined, expected: number, what: string) => {
  assert.ok(
    actual !== undefined && Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)),
    `${what}: ${actual} ≠ ${expected}`,
  );
};

/** A Stat's Metric against inference-perf's DIST in seconds (×1000) or in tokens (×1). */
function checkDist(
  metric: Metric | undefined,
  dist: Json | null | undefined,
  factor: number,
  unit: string,
  what: string,
): void {
  if (!dist) {
    assert.equal(metric, undefined, `${what}: absent in the file, absent in the Stat`);
    return;
  }
  assert.ok(metric, `${what}: missing`);
  assert.equal(metric.unit, unit, `${what}: unit`);
  for (const [field, key] of [
    ["mean", "mean"],
    ["median", "median"],
    ["min", "min"],
    ["max", "max"],
    ["p90", "p90"],
    ["p95", "p95"],
    ["p99", "p99"],
  ] as const) {
    if (dist[key] !== undefined) close(metric[field], dist[key] * factor, `${what}.${field}`);
  }
}

/** Every figure of a stage Stat against the stage file it came from. */
function checkStage(stat: Stat, stage: Json, file: string): void {
  const load = stage.load_summary;
  const s = stage.successes;
  assert.equal(stat.load_generator, "inference-perf");
  assert.equal(stat.source_file, file);
  close(stat.request_rate, load.requested_rate, `${file} request_rate`);
  close(stat.achieved_rate, load.achieved_rate, `${file} achieved_rate`);
  assert.equal(stat.num_prompts_attempted, load.count);
  assert.equal(stat.num_prompts_succeeded, s.count);
  const failures = stage.failures?.count ?? 0;
  assert.equal(
    (stat.errors ?? []).reduce((sum, e) => sum + e.count!, 0),
    failures,
    `${file}: errors add up to failures.count`,
  );
  checkDist(stat.request_latency, s.latency.request_latency, 1000, "ms", `${file} request_latency`);
  checkDist(stat.ttft, s.latency.time_to_first_token, 1000, "ms", `${file} ttft`);
  checkDist(stat.tpot, s.latency.time_per_output_token, 1000, "ms", `${file} tpot (true TPOT)`);
  checkDist(stat.itl, s.latency.inter_token_latency, 1000, "ms", `${file} itl`);
  checkDist(stat.ntpot, s.latency.normalized_time_per_output_token, 1000, "ms", `${file} ntpot`);
  checkDist(stat.input_length, s.prompt_len, 1, "tokens", `${file} input_length`);
  checkDist(stat.output_length, s.output_len, 1, "tokens", `${file} output_length`);
  if (s.throughput) {
    close(stat.throughput!.mean, s.throughput.output_tokens_per_sec, `${file} output tokens/s`);
    assert.equal(stat.throughput!.unit, "tokens/s");
    close(stat.input_tokens_per_second, s.throughput.input_tokens_per_sec, `${file} input tokens/s`);
    close(stat.total_tokens_per_second, s.throughput.total_tokens_per_sec, `${file} total tokens/s`);
    close(stat.successful_rps, s.throughput.requests_per_sec, `${file} successful requests/s`);
  }
  if (stage.benchmark_time_seconds !== undefined) {
    close(stat.benchmark_time_seconds, stage.benchmark_time_seconds, `${file} duration`);
    close(stat.throughput_rps, load.count / stage.benchmark_time_seconds, `${file} attempted requests/s`);
  }
  const goodput = s.goodput_metrics;
  if (goodput) {
    close(stat.goodput!.percentage, goodput.goodput_percentage, `${file} goodput %`);
    close(stat.goodput!.requests_per_second, goodput.request_goodput, `${file} goodput requests/s`);
    close(stat.goodput!.tokens_per_second, goodput.token_goodput, `${file} goodput tokens/s`);
    assert.deepEqual(
      [stat.goodput!.good_requests, stat.goodput!.total_requests],
      [goodput.good_requests, goodput.total_requests],
    );
  } else {
    assert.equal(stat.goodput, undefined);
  }
}

describe("results: inference-perf's real outputs", () => {
  it(
    "parses every real run, each stage's figures matching its file (seconds → ms, true TPOT in " +
      "tpot, NTPOT in ntpot)",
    function () {
      const dir = runsDir(this);
      const runs = fs
        .readdirSync(dir)
        .filter((entry) => !entry.startsWith("_") && fs.statSync(path.join(dir, entry)).isDirectory())
        .sort();
      assert.deepEqual(runs, [
        "a-constant-2stage-random-completion-stream",
        "b-poisson-shared-prefix-chat",
        "c-failures-20pct",
        "d-prometheus-synthetic-gcs",
        "h-server-down",
        "repo-example-kubecon-na-2025-vllm",
      ]);
      for (const run of runs) {
        const folder = reportFolder(path.join(dir, run));
        const files = readFolder(folder);
        const parsed = parseInferencePerfReports(files);
        const stageFiles = files
          .filter((f) => /^stage_\d+_lifecycle_metrics\.json$/.test(f.name))
          .map((f) => f.name)
          .sort((a, b) => Number(/\d+/.exec(a)) - Number(/\d+/.exec(b)));
        assert.equal(parsed.stats.length, stageFiles.length, run);
        assert.deepEqual(parsed.problems, [], run);
        assert.deepEqual(parsed.missing, [], run);
        for (const [i, name] of stageFiles.entries())
          checkStage(parsed.stats[i], JSON.parse(files.find((f) => f.name === name)!.text), name);
      }
    },
  );

  it(
    "pins the units with numbers a human can check: run a's stage 0 has a TTFT of about 24 ms and a " +
      "TPOT of about 4.4 ms",
    function () {
      const files = readFolder(reportFolder(path.join(runsDir(this), "a-constant-2stage-random-completion-stream")));
      const [stage0] = parseInferencePerfReports(files).stats;
      assert.ok(stage0.ttft!.mean! > 20 && stage0.ttft!.mean! < 30, String(stage0.ttft!.mean));
      assert.ok(stage0.tpot!.mean! > 4 && stage0.tpot!.mean! < 5, String(stage0.tpot!.mean));
      assert.ok(stage0.ntpot!.mean! > stage0.tpot!.mean!, "NTPOT includes TTFT, so it is above TPOT");
      assert.ok(stage0.request_latency!.p90! > 100 && stage0.request_latency!.p90! < 300);
    },
  );

  it(
    "keeps a non-streaming run's TTFT, TPOT and ITL absent (the tool writes null), and names " + "failures by label",
    function () {
      const files = readFolder(reportFolder(path.join(runsDir(this), "c-failures-20pct")));
      const [stat] = parseInferencePerfReports(files).stats;
      assert.equal(stat.ttft, undefined);
      assert.equal(stat.tpot, undefined);
      assert.equal(stat.itl, undefined);
      assert.ok(stat.ntpot);
      assert.deepEqual(stat.errors, [{ type: "500 - Internal Server Error", count: 20 }]);
    },
  );

  it(
    "reads the model server's per-stage Prometheus figures with units (seconds → ms, a 0–1 KV-cache " +
      "fraction, tokens/s)",
    function () {
      const folder = reportFolder(path.join(runsDir(this), "d-prometheus-synthetic-gcs"));
      const stats = parseInferencePerfReports(readFolder(folder)).stats;
      const file = JSON.parse(fs.readFileSync(path.join(folder, "stage_1_prometheus_metrics.json"), "utf8")).successes;
      const byName = Object.fromEntries(stats[1].model_server_metrics!.map((m) => [m.name, m]));
      checkDist(byName.time_to_first_token, file.time_to_first_token, 1000, "ms", "server ttft");
      checkDist(byName.request_queue_time, file.request_queue_time, 1000, "ms", "server queue time");
      checkDist(byName.kv_cache_usage_percentage, file.kv_cache_usage_percentage, 1, "fraction", "kv cache");
      checkDist(byName.request_prompt_tokens, file.request_prompt_tokens, 1, "tokens", "prompt tokens");
      assert.equal(byName.prompt_len.unit, "tokens/s");
      close(byName.prompt_len.rate, file.prompt_len.rate, "prompt tokens/s");
      assert.deepEqual(byName.request_success, { name: "request_success", rate: file.rate, unit: "requests/s" });
      assert.deepEqual(byName.request_success_count, {
        name: "request_success_count",
        increase: file.request_success_count,
        unit: "requests",
      });
      assert.deepEqual(byName.num_preemptions_total, {
        name: "num_preemptions_total",
        increase: file.num_preemptions_total.mean,
        unit: "preemptions",
      });
      assert.equal(byName.count, undefined, "count is the same series as request_success_count");
      assert.equal(
        stats[0].model_server_metrics!.length,
        serverMetrics("x", fs.readFileSync(path.join(folder, "stage_0_prometheus_metrics.json"), "utf8")).length,
      );
    },
  );

  it("treats our warm-up stage as warm-up, not as a rate, and names a planned stage without a file", function () {
    const files = readFolder(reportFolder(path.join(runsDir(this), "b-poisson-shared-prefix-chat")));
    const parsed = parseInferencePerfReports(files, { requestRates: [16, 32], warmupStages: 1, concurrent: false });
    assert.deepEqual(
      parsed.stats.map((s) => s.request_rate),
      [16],
    );
    assert.equal(parsed.stats[0].source_file, "stage_1_lifecycle_metrics.json");
    assert.deepEqual(parsed.warmup, {
      rate: 8,
      seconds: JSON.parse(files.find((f) => f.name === "stage_0_lifecycle_metrics.json")!.text).benchmark_time_seconds,
      requests: 80,
      succeeded: 80,
    });
    assert.deepEqual(parsed.missing, ["rate 32.0: no result file (stage_2_lifecycle_metrics.json)"]);
  });

  it(
    "flags the repository's real-vLLM sweep where the load was not delivered (106 of 123–183 " +
      "requested requests/s)",
    function () {
      const stats = parseInferencePerfReports(
        readFolder(reportFolder(path.join(runsDir(this), "repo-example-kubecon-na-2025-vllm"))),
      ).stats;
      const lines = checkStats(stats);
      assert.deepEqual(
        lines.map((l) => l.slice(0, l.indexOf(":"))),
        ["rate 122.6", "rate 153.0", "rate 183.4"],
      );
      assert.match(
        lines[0],
        /^rate 122\.6: load not delivered: 106\.49 requests\/s achieved, 87% of the 122\.59 requested$/,
      );
    },
  );
});

/**
 * Replays a real run through the real wrapper: a stand-in `inference-perf` prints the run's log and writes
 * its report files.
 */
function podLogOf(runDir: string, folder: string, exitCode: number): string {
  const dir = tempDir("ip-replay-");
  for (const [name, text] of Object.entries(WRAPPER_FILES)) fs.writeFileSync(path.join(dir, name), text);
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin);
  fs.writeFileSync(
    path.join(bin, "inference-perf"),
    `#!/bin/sh
cat '${path.join(runDir, "stdout.log")}' '${path.join(runDir, "stderr.log")}'
echo "tokenizer login with $HF_TOKEN"
mkdir -p "$REPORT_DIR" && cp '${folder}'/* "$REPORT_DIR"/
exit ${exitCode}
`,
    { mode: 0o755 },
  );
  const result = spawnSync("sh", [path.join(dir, "run-benchmark.sh")], {
    cwd: dir,
    encoding: "utf8",
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024,
    env: {
      PATH: `${bin}:${process.env.PATH}`,
      LOAD_GENERATOR: "inference-perf",
      CONFIG_FILE: "/inference-bench/config.yml",
      REPORT_DIR: path.join(dir, "reports"),
      PORT: "8081",
      TARGET_HOST: "model-server-service",
      HF_TOKEN: TOKEN,
    },
  });
  assert.equal(result.status, exitCode, result.stderr);
  return result.stdout;
}

describe("results: inference-perf through the wrapper, the fake Kubernetes API and the collector", function () {
  this.timeout(120_000);
  const CASES: Array<[string, string, string]> = [
    [
      "ip-a",
      "a-constant-2stage-random-completion-stream",
      'request_rates: "5,10" stage_duration_seconds: 10 random { input { min: 50 max: 200 mean: ' +
        "100 std_dev: 30 } output { min: 10 max: 60 mean: 30 std_dev: 10 } } goodput { ttft_ms: 30 " +
        "tpot_ms: 6 request_latency_ms: 250 }",
    ],
    [
      "ip-b",
      "b-poisson-shared-prefix-chat",
      'load_type: "poisson" request_rates: "16" warmup_seconds: 10 stage_duration_seconds: 10 ' +
        'api: "chat" shared_prefix { num_groups: 4 num_prompts_per_group: 5 system_prompt_len: 200 ' +
        "question_len: 40 output_len: 30 }",
    ],
    ["ip-c", "c-failures-20pct", 'request_rates: "10" stage_duration_seconds: 10 streaming: false'],
    [
      "ip-d",
      "d-prometheus-synthetic-gcs",
      'request_rates: "5,10" stage_duration_seconds: 8 synthetic {} prometheus_url: ' +
        '"http://127.0.0.1:9090" scrape_interval_seconds: 2',
    ],
    ["ip-h", "h-server-down", 'request_rates: "2" stage_duration_seconds: 3 streaming: false'],
  ];
  const catalog = CASES.map(
    ([name, , fields]) =>
      `benchmarks { name: "${name}" config { model_server { sim { model: "fake/tiny-model" } ` +
      `replicas: 1 } load_balancer { k8s_service {} } benchmark_tool { inference_perf { ${fields} ` +
      `} } } }`,
  ).join("\n");
  let output: string;
  let records: Record<string, CollectionRecord>;
  let benchmarks: ResolvedBenchmark[];

  before(async function () {
    const dir = runsDir(this);
    output = tempDir("ip-collect-");
    const catalogFile = path.join(output, "ip.pbtxt");
    fs.writeFileSync(catalogFile, catalog);
    const prepared = prepareRun({ catalogs: [catalogFile], runId: RUN, outputDir: output });
    writeSnapshots(
      prepared.flatMap((p) => p.files),
      false,
    );
    benchmarks = prepared.map((p) => p.resolved);
    const kube = new FakeKube();
    const config = await kube.start();
    records = {};
    try {
      for (const [i, [name, run]] of CASES.entries()) {
        const namespace = `${name}-${RUN}`;
        const runDir = path.join(dir, run);
        kube.setJob(namespace, jobIn("succeeded"));
        const podName = `benchmark-tool-${i}`;
        kube.pods.set(namespace, [
          pod(podName, { "job-name": "benchmark-tool", "app.kubernetes.io/component": "load-generator" }, [
            [
              "benchmark-tool",
              "quay.io/inference-perf/inference-perf:v0.6.1",
              "quay.io/inference-perf/inference-perf@sha256:ccc",
            ],
          ]),
        ]);
        // The tool exits 0 even when every request failed (run h).
        kube.logs.set(podName, podLogOf(runDir, reportFolder(runDir), 0));
        records[name] = await collectBenchmark({
          kubeConfig: config,
          benchmark: benchmarks[i],
          runId: RUN,
          namespace,
          paths: benchmarkPaths(output, RUN, name),
          timeoutSeconds: 30,
        });
      }
    } finally {
      await kube.stop();
    }
  });

  it("collects a clean run, and keeps inference-perf's files byte for byte under results/inference-perf/", function () {
    assert.deepEqual(
      [records["ip-a"].status, records["ip-a"].missing, records["ip-a"].problems],
      ["collected", [], []],
    );
    const paths = benchmarkPaths(output, RUN, "ip-a");
    const original = reportFolder(path.join(runsDir(this), CASES[0][1]));
    assert.deepEqual(fs.readdirSync(paths.resultsInferencePerfDir).sort(), fs.readdirSync(original).sort());
    for (const name of fs.readdirSync(original))
      assert.ok(
        fs
          .readFileSync(path.join(paths.resultsInferencePerfDir, name))
          .equals(fs.readFileSync(path.join(original, name))),
        name,
      );
    const result = readBenchmarkState(paths).result!;
    assert.deepEqual(
      result.stats!.map((s) => [s.request_rate, s.load_generator]),
      [
        [5, "inference-perf"],
        [10, "inference-perf"],
      ],
    );
    const metadata = JSON.parse(fs.readFileSync(paths.metadata, "utf8")) as ResultMetadata;
    assert.deepEqual(metadata.load_generator, { tool: "inference-perf", streaming: true, notes: [] });
  });

  it("records our warm-up stage apart from the measured rates", () => {
    assert.equal(records["ip-b"].status, "collected", JSON.stringify(records["ip-b"]));
    const paths = benchmarkPaths(output, RUN, "ip-b");
    assert.deepEqual(
      readBenchmarkState(paths).result!.stats!.map((s) => s.request_rate),
      [16],
    );
    const metadata = JSON.parse(fs.readFileSync(paths.metadata, "utf8")) as ResultMetadata;
    assert.deepEqual(metadata.load_generator!.warmup, { rate: 8, seconds: 10, requests: 80, succeeded: 80 });
  });

  it(
    "marks 20% failed requests partial, naming the count and the label, and a run where every " +
      "request failed (exit 0) failed",
    () => {
      assert.equal(records["ip-c"].status, "partial");
      assert.deepEqual(records["ip-c"].problems, [
        "rate 10.0: 20 of 100 requests failed (500 - Internal Server Error: 20)",
      ]);
      assert.equal(records["ip-h"].status, "failed");
      assert.deepEqual(records["ip-h"].problems, ["rate 2.0: all 6 requests failed (Connection Error: 6)"]);
      assert.equal(records["ip-d"].status, "collected");
    },
  );

  it("never writes the token, which the tool printed, anywhere under results/", () => {
    const files = fs
      .readdirSync(path.join(output, RUN), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => path.join(e.parentPath, e.name));
    assert.ok(files.length > 30);
    for (const file of files) assert.ok(!fs.readFileSync(file, "utf8").includes(TOKEN), file);
    assert.match(
      fs.readFileSync(benchmarkPaths(output, RUN, "ip-a").toolLog, "utf8"),
      /tokenizer login with \[REDACTED\]/,
    );
  });

  it("goes through the results command, the database, the report and compare unchanged", async function () {
    const results = runCli("results", ["--run-id", RUN, "--output", output]);
    assert.equal(results.status, 0, results.stderr);
    assert.match(results.stdout, /^ip-c {2}partial {2}\(1 rates\)$/m);
    assert.match(results.stdout, /! rate 10\.0: 20 of 100 requests failed \(500 - Internal Server Error: 20\)/);
    assert.match(results.stdout, /^ip-h {2}failed/m);
    assert.match(results.stdout, /^5 benchmarks: 3 collected, 1 partial, 1 failed$|^5 benchmarks: .*3 collected/m);
    const json = JSON.parse(runCli("results", ["--run-id", RUN, "--output", output, "--json"]).stdout);
    const a = json.benchmarks.find((b: Json) => b.name === "ip-a");
    const aFile = JSON.parse(
      fs.readFileSync(
        path.join(reportFolder(path.join(runsDir(this), CASES[0][1])), "stage_0_lifecycle_metrics.json"),
        "utf8",
      ),
    );
    close(
      a.result.stats[0].ttft.p90,
      aFile.successes.latency.time_to_first_token.p90 * 1000,
      "results --json ttft p90",
    );

    const db = path.join(output, "results.db");
    const imported = runCli("import", ["--output", output, "--db", db, "--run-id", RUN]);
    assert.equal(imported.status, 0, imported.stderr);
    const store = await openStore(db);
    try {
      const rows = await store.stats(RUN, "ip-a");
      assert.deepEqual(
        rows.map((r) => r.request_rate),
        [5, 10],
      );
      close(
        rows[0].ttft_p90_ms ?? undefined,
        aFile.successes.latency.time_to_first_token.p90 * 1000,
        "database ttft p90",
      );
      close(
        rows[0].latency_p90_ms ?? undefined,
        aFile.successes.latency.request_latency.p90 * 1000,
        "database latency p90",
      );
      close(
        rows[0].tpot_mean_ms ?? undefined,
        aFile.successes.latency.time_per_output_token.mean * 1000,
        "database TPOT (true TPOT for inference-perf)",
      );
      const byName = Object.fromEntries((await store.benchmarks(RUN)).map((b) => [b.name, b]));
      assert.deepEqual(
        [byName["ip-c"].status, JSON.parse(byName["ip-c"].problems)],
        ["partial", ["rate 10.0: 20 of 100 requests failed (500 - Internal Server Error: 20)"]],
      );
      const stat = (await store.statDetails(RUN)).find((d) => d.name === "ip-a" && d.request_rate === 5)!.stat;
      assert.equal(stat.load_generator, "inference-perf");
    } finally {
      await store.close();
    }
    assert.ok(!fs.readFileSync(db).includes(TOKEN), "the token is not in the database");

    const report = runCli("report", ["--run-id", RUN, "--output", output]);
    assert.equal(report.status, 0, report.stderr);
    const html = fs.readFileSync(path.join(output, RUN, "report.html"), "utf8");
    assert.match(html, /ip-a/);
    assert.match(html, /rate 10\.0: 20 of 100 requests failed/);
    // The same results as a second run: compare (which refuses a run against itself) finds no change.
    const again = `${RUN.slice(0, -1)}2`;
    for (const folder of fs.readdirSync(path.join(output, RUN)).filter((f) => f.endsWith(`-${RUN}`))) {
      fs.cpSync(path.join(output, RUN, folder), path.join(output, again, `${folder.slice(0, -RUN.length)}${again}`), {
        recursive: true,
      });
    }
    const compare = runCli("compare", [
      "--run-id",
      RUN,
      "--run-id",
      again,
      "--output",
      output,
      "--fail-on-regression",
      "1",
      "--allow-missing",
    ]);
    assert.equal(compare.status, 0, compare.stderr + compare.stdout);
    assert.match(compare.stdout, /ip-a/);
  });
});
