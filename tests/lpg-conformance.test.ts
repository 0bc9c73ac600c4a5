// Conformance with the real Latency Profile Generator: both commits' own scripts
// (../shared/reference/lpg: AI-Hypercomputer/inference-benchmark 07628c9, the build behind the
// seed's image, and c29b163, upstream HEAD) run through OUR wrapper against the kit's fake
// server; the pod log goes through the fake Kubernetes API to the real collector; statuses and
// figures are checked against the files the LPG wrote. Facts pinned here (upstream sources):
// - 07628c9 benchmark_serving.py benchmark(): `prompt_len, output_len, request_latency = latency`
//   on a failed request's None → TypeError, no result file (fixed in d699be9).
// - 07628c9 print_metrics(): `all_metrics_metadata['data'][metric]` → KeyError for a vLLM V1
//   metric Cloud Monitoring does not have (fixed in 030623c).
// - c29b163 (since fd39679) AsyncRequestCounter: only the non-streaming session's trace hook
//   counts requests, so get_qps() reads an unset _end_time when streaming: the wrapper turns
//   streaming off there (lib/manifests/scripts/run-benchmark.py streaming_crashes).
// - latency_throughput_curve.sh (both): `set -o xtrace` prints `huggingface-cli login --token
//   <token>`; rate 0 takes MAX_NUM_PROMPTS; 07628c9 sleeps 30 s after every rate and forever
//   after LPG_FINISHED, c29b163 sleeps SLEEP_TIME.
// Runs are queued (the LPG binds port 9090); the 07628c9 ones take ~35 s each.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { resolveCatalogText } from "../lib/catalog/catalog";
import { collectBenchmark } from "../lib/collect/collect";
import { WRAPPER_FILES } from "../lib/manifests/load-generator";
import type { CollectionRecord, ResultMetadata } from "../lib/results/record";
import { readBenchmarkState } from "../lib/results/status";
import { benchmarkPaths } from "../lib/snapshot/layout";
import { importRuns } from "../lib/store/import";
import { openStore } from "../lib/store/store";
import { achievedRate } from "../lib/tool-output/load-fidelity";
import type { Stat } from "../proto/benchmark-types";
import { FakeKube, jobIn, pod } from "./fake-kube";
import { tempDir } from "./helpers";
import { type LpgCommit, type LpgRun, lpgKit, runRealLpg } from "./real-lpg";

/** run-lpg.sh's stand-in token (its HF_TOKEN default). */
const TOKEN = "hf_StandInToken0000";
const RUN = "lpgconf1";
const MODEL = "meta-llama/Llama-2-7b-hf";

type Json = Record<string, any>;

interface Case {
  name: string;
  commit: LpgCommit;
  rates: string;
  env: Record<string, string>;
  /** false: the LPG's own entry script without our wrapper (what the collector must still scrub). */
  wrapped?: boolean;
}

const CASES: Case[] = [
  {
    name: "old-stream-warmup",
    commit: "07628c9",
    rates: "5",
    env: { STREAM_REQUEST: "true", WARMUP_SECONDS: "2", SLEEP_TIME: "1" },
  },
  { name: "old-failing", commit: "07628c9", rates: "5", env: { FAIL_EVERY: "4", STREAM_REQUEST: "false" } },
  {
    name: "old-v1-metrics",
    commit: "07628c9",
    rates: "5",
    env: { V1_METRICS: "1", SCRAPE_SERVER_METRICS: "true", STREAM_REQUEST: "false" },
  },
  {
    name: "head-failing-rate0",
    commit: "c29b163",
    rates: "5,0",
    env: { FAIL_EVERY: "4", STREAM_REQUEST: "true", WARMUP_SECONDS: "1", MAX_NUM_PROMPTS: "8", SLEEP_TIME: "0" },
  },
  {
    name: "head-v1-metrics",
    commit: "c29b163",
    rates: "5",
    env: { V1_METRICS: "1", SCRAPE_SERVER_METRICS: "true", STREAM_REQUEST: "false", SLEEP_TIME: "0" },
  },
  { name: "head-unwrapped", commit: "c29b163", rates: "5", env: { SLEEP_TIME: "0" }, wrapped: false },
];

/** Python's json.dump writes NaN; the LPG's files are read the way lib/tool-output/lpg.ts reads them. */
function readLpgJson(file: string): Json {
  return JSON.parse(
    fs
      .readFileSync(file, "utf8")
      .replace(/\bNaN\b/g, "null")
      .replace(/-?\bInfinity\b/g, "1e999"),
  );
}

/** The weighted file of a rate (the one the collector reads, as the LPG writes one per rate). */
function weightedFile(run: LpgRun, rate: string): Json {
  const label = Number(rate) === 0 ? "inf" : Number(rate).toFixed(1);
  const name = run.jsonFiles.find((f) => f.includes(`-${label}qps-`) && f.endsWith("-weighted.json"));
  assert.ok(name, `no weighted file for rate ${rate} in ${run.jsonFiles.join(", ")}`);
  return readLpgJson(path.join(run.workDir, name));
}

describe("LPG conformance: the real LPG through our wrapper and collector", function () {
  this.timeout(400_000);
  const runs = new Map<string, LpgRun>();
  const records = new Map<string, CollectionRecord>();
  let output: string;

  before(async function () {
    const kit = lpgKit(this);
    const wrapperDir = tempDir("lpg-wrapper-");
    for (const [name, text] of Object.entries(WRAPPER_FILES)) fs.writeFileSync(path.join(wrapperDir, name), text);
    output = tempDir("lpg-conformance-");
    const kube = new FakeKube();
    const kubeConfig = await kube.start();
    try {
      for (const c of CASES) {
        const run = await runRealLpg(kit, c.commit, {
          ...(c.wrapped === false ? {} : { entry: path.join(wrapperDir, "run-benchmark.sh") }),
          env: {
            LOAD_GENERATOR: "lpg",
            REQUEST_RATES: c.rates,
            BENCHMARK_TIME_SECONDS: "3",
            MODELS: MODEL,
            TOKENIZER: MODEL,
            ...c.env,
          },
        });
        runs.set(c.name, run);
        const [benchmark] = resolveCatalogText(
          `benchmarks { name: "${c.name}" config { model_server { sim { model: "${MODEL}" } replicas: 1 } load_balancer { k8s_service {} }
          benchmark_tool { image: "lpg@sha256:${c.commit}" lpg { request_rates: "${c.rates}" benchmark_time_seconds: "3" } } } }`,
          "conformance.pbtxt",
        );
        const namespace = `${c.name}-${RUN}`;
        const podName = `benchmark-tool-${c.name}`;
        kube.setJob(namespace, jobIn(run.exitStatus === 0 ? "succeeded" : "failed"));
        kube.pods.set(namespace, [
          pod(podName, { "job-name": "benchmark-tool", "app.kubernetes.io/component": "load-generator" }, [
            ["benchmark-tool", `lpg:${c.commit}`, `lpg@sha256:${c.commit}`],
          ]),
        ]);
        kube.logs.set(podName, run.podLog);
        records.set(
          c.name,
          await collectBenchmark({
            kubeConfig,
            benchmark,
            runId: RUN,
            namespace,
            paths: benchmarkPaths(output, RUN, c.name),
            timeoutSeconds: 30,
          }),
        );
      }
    } finally {
      await kube.stop();
    }
  });

  const stats = (name: string): Stat[] => readBenchmarkState(benchmarkPaths(output, RUN, name)).result?.stats ?? [];
  const metadata = (name: string) =>
    JSON.parse(fs.readFileSync(benchmarkPaths(output, RUN, name).metadata, "utf8")) as ResultMetadata;

  /**
   * The collector's figures against the file the LPG wrote, and the load-delivered verdict against the file's
   * own attempted ÷ duration.
   */
  function checkAgainstFiles(name: string, rates: string[]): void {
    const run = runs.get(name)!;
    const record = records.get(name)!;
    const collected = stats(name);
    assert.equal(collected.length, rates.length, `${name}: ${JSON.stringify(record)}`);
    for (const [i, rate] of rates.entries()) {
      const file = weightedFile(run, rate);
      const m = file.metrics;
      const stat = collected[i];
      assert.equal(stat.num_prompts_attempted, m.num_prompts_attempted);
      assert.equal(stat.num_prompts_succeeded, m.num_prompts_succeeded);
      // With no success the LPG writes zeros in place of latencies: they are dropped, not figures
      // (lib/tool-output/lpg.ts).
      if (m.num_prompts_succeeded === 0) assert.equal(stat.request_latency, undefined);
      else assert.equal(stat.request_latency!.p90, m.p90_latency ?? m.p90_latency_ms);
      assert.equal(stat.benchmark_time_seconds, m.benchmark_time);
      assert.ok(Math.abs(stat.throughput!.mean! - m.throughput) < 1e-6 * Math.max(1, m.throughput));
      const label = `rate ${Number(rate).toFixed(1)}`;
      const failed = m.num_prompts_attempted - m.num_prompts_succeeded;
      assert.equal(
        record.problems.some((p) => p.startsWith(`${label}: `) && /requests failed/.test(p)),
        failed > 0,
        `${name} ${label}: failed requests named iff the file has some`,
      );
      const achieved = achievedRate(stat) ?? m.num_prompts_attempted / m.benchmark_time;
      const undelivered = Number(rate) > 0 && achieved < 0.95 * Number(rate);
      assert.equal(
        record.problems.some((p) => p.startsWith(`${label}: load not delivered`)),
        undelivered,
        `${name} ${label}: achieved ${achieved}`,
      );
    }
  }

  it(
    "07628c9 streams (TTFT measured), warms up first (recorded, no result file), and is stopped " +
      "after LPG_FINISHED",
    () => {
      const run = runs.get("old-stream-warmup")!;
      assert.equal(run.exitStatus, 0);
      checkAgainstFiles("old-stream-warmup", ["5"]);
      const file = weightedFile(run, "5");
      const [stat] = stats("old-stream-warmup");
      assert.ok(file.metrics.avg_TTFT > 0, "the LPG measured TTFT: streaming was on");
      assert.equal(stat.ttft!.mean, file.metrics.avg_TTFT * 1000);
      const lg = metadata("old-stream-warmup").load_generator!;
      assert.equal(lg.streaming, true);
      assert.deepEqual(lg.warmup, { rate: 5, seconds: 2, requests: 10, succeeded: 10, exit_status: 0 });
      assert.ok(
        lg.notes.some((n) => /pauses 30 s between rates whatever pause_seconds says/.test(n)),
        lg.notes.join("; "),
      );
      // The warm-up wrote no result file: only the measured rate's two files (model + weighted).
      assert.equal(run.jsonFiles.length, 2);
      assert.match(run.podLog, /inference-bench:warmup-begin rate=5\.0 seconds=2 prompts=10/);
    },
  );

  it("07628c9 with failing requests: the crash is named per rate, the benchmark failed", () => {
    const run = runs.get("old-failing")!;
    assert.deepEqual(run.jsonFiles, [], "this build writes no file when a request fails");
    const record = records.get("old-failing")!;
    assert.equal(record.status, "failed");
    assert.deepEqual(record.missing, ["rate 5.0: no result file"]);
    assert.ok(
      record.problems.some((p) =>
        p.startsWith("rate 5.0: LPG crashed: TypeError: cannot unpack non-iterable NoneType object (a request failed"),
      ),
      record.problems.join("\n"),
    );
  });

  it("07628c9 scraping a vLLM V1 server: the KeyError is named, the benchmark failed", () => {
    const record = records.get("old-v1-metrics")!;
    assert.equal(record.status, "failed");
    assert.ok(
      record.problems.some((p) =>
        /^rate 5\.0: LPG crashed: KeyError: 'vllm:cpu_cache_usage_perc' \(a vLLM metric/.test(p),
      ),
      record.problems.join("\n"),
    );
  });

  it(
    "c29b163 with failing requests and rate 0: streaming turned off (it would crash), " +
      "MAX_NUM_PROMPTS used, failures named, partial",
    () => {
      const run = runs.get("head-failing-rate0")!;
      assert.equal(run.exitStatus, 0);
      assert.ok(
        run.jsonFiles.some((f) => f.includes("-infqps-")),
        "rate 0 ran at inf",
      );
      const record = records.get("head-failing-rate0")!;
      assert.equal(record.status, "partial", JSON.stringify(record));
      // Stats are ordered by rate, and rate 0 ran at inf.
      checkAgainstFiles("head-failing-rate0", ["5", "0"]);
      assert.equal(weightedFile(run, "0").metrics.num_prompts_attempted, 8, "rate 0 sent MAX_NUM_PROMPTS");
      const lg = metadata("head-failing-rate0").load_generator!;
      assert.equal(lg.streaming, false);
      assert.ok(lg.notes.some((n) => /streaming off: this LPG build crashes when it streams/.test(n)));
      assert.equal(lg.warmup!.rate, 5);
      assert.doesNotMatch(run.podLog, /Traceback/, "no crash with streaming off");
    },
  );

  it("c29b163 scraping a vLLM V1 server writes its files with the metrics it found: collected", () => {
    const record = records.get("head-v1-metrics")!;
    checkAgainstFiles("head-v1-metrics", ["5"]);
    assert.equal(record.status, record.problems.length ? "partial" : "collected");
    assert.ok(!record.problems.some((p) => /crashed/.test(p)));
    const file = weightedFile(runs.get("head-v1-metrics")!, "5");
    assert.ok(Object.keys(file.metrics.server_metrics).length > 0, "server metrics were scraped");
  });

  it(
    "the token appears nowhere: not in the pod log our wrapper printed, not under results/, not in " +
      "the database — even when the LPG ran unwrapped",
    async () => {
      for (const c of CASES) {
        const log = runs.get(c.name)!.podLog;
        if (c.wrapped === false)
          assert.ok(
            log.includes(TOKEN),
            "without our wrapper the LPG's xtrace prints the token: the collector must scrub it",
          );
        else assert.ok(!log.includes(TOKEN), `${c.name}: the pod log as printed`);
        assert.match(log, /huggingface-cli login --token/);
      }
      assert.match(
        records.get("head-unwrapped")!.problems.join("\n"),
        /the load generator's log held \d+ secret\(s\), redacted before it was saved/,
      );
      const files = fs
        .readdirSync(output, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => path.join(e.parentPath, e.name));
      assert.ok(files.length >= 6 * 4);
      for (const file of files) assert.ok(!fs.readFileSync(file, "utf8").includes(TOKEN), file);
      assert.match(
        fs.readFileSync(benchmarkPaths(output, RUN, "head-unwrapped").toolLog, "utf8"),
        /login --token \[REDACTED\]/,
      );
      const store = await openStore(path.join(output, "results.db"));
      try {
        await importRuns(store, output, [RUN]);
        assert.equal((await store.benchmarks(RUN)).length, CASES.length);
      } finally {
        await store.close();
      }
      for (const file of fs.readdirSync(output).filter((f) => f.startsWith("results.db")))
        assert.ok(!fs.readFileSync(path.join(output, file)).includes(TOKEN), file);
    },
  );
});
