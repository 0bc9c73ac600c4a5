// Routing attribution and the load-fidelity verdict: by hand-computed figures on samples written
// here, then end to end: the real LPG (07628c9) through our wrapper against fake model-server
// pods (tests/fake_model_pods.py: vLLM's and llm-d-inference-sim v0.8.2's real metric names and
// exposition formats, counters advancing as requests finish), the sampler finding them through
// a fake Kubernetes API, the collector reading the pod's log, and `results --json`.
import * as assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { resolveCatalogText } from "../lib/catalog/catalog";
import { collectBenchmark } from "../lib/collect/collect";
import { ROUTING_PREFIX } from "../lib/export/br";
import { WRAPPER_FILES } from "../lib/manifests/load-generator";
import { POD_METRIC_NAMES } from "../lib/manifests/pod-sampler";
import type { RoutingChart } from "../lib/report/browser/data";
import { chartData } from "../lib/report/html";
import { pickerServicePairs, routingCharts } from "../lib/report/routing";
import { benchmarkPaths } from "../lib/snapshot/layout";
import { openStore } from "../lib/store/store";
import { parseInferencePerfReports } from "../lib/tool-output/inference-perf";
import { loadFidelity } from "../lib/tool-output/load-fidelity";
import { parseResultLog } from "../lib/tool-output/log-archive";
import { parsePythonJson } from "../lib/tool-output/lpg";
import { attributeRate, percentile, readPodMetrics } from "../lib/tool-output/pod-metrics";
import { annotateRates } from "../lib/tool-output/rate-evidence";
import { readToolLog } from "../lib/tool-output/tool-log";
import type { Stat } from "../proto/benchmark-types";
import { FakeKube, jobIn, pod } from "./fake-kube";
import { runCli, sharedDir, tempDir } from "./helpers";
import { type LpgRun, lpgKit, runRealLpg } from "./real-lpg";
import { brValidator, openReport } from "./report-helpers";

const MODEL = "meta-llama/Llama-3.1-8B-Instruct";

/** A vLLM exposition line set (names and labels of vllm/v1/metrics/loggers.py, prometheus_client format). */
function vllmText(f: { success: number; hits: number; queries: number; kv: number; waiting: number }): string {
  const labels = `engine="0",model_name="${MODEL}"`;
  return `${[
    `vllm:num_requests_waiting{${labels}} ${f.waiting.toFixed(1)}`,
    `vllm:kv_cache_usage_perc{${labels}} ${f.kv}`,
    `vllm:prefix_cache_queries_total{${labels}} ${f.queries.toFixed(1)}`,
    `vllm:prefix_cache_hits_total{${labels}} ${f.hits.toFixed(1)}`,
    `vllm:request_success_total{engine="0",finished_reason="stop",model_name="${MODEL}"} ${(f.success - 1).toFixed(1)}`,
    `vllm:request_success_total{engine="0",finished_reason="length",model_name="${MODEL}"} 1.0`,
  ].join("\n")}\n`;
}

/** The simulator's (llm-d-inference-sim v0.8.2): no _total on its prefix counters, finish_reason, no engine label. */
function simText(f: { success: number; hits: number; queries: number; kv: number; waiting: number }): string {
  const model = `model_name="${MODEL}"`;
  return `${[
    `vllm:kv_cache_usage_perc{${model}} ${f.kv}`,
    `vllm:num_requests_waiting{${model}} ${f.waiting}`,
    `vllm:prefix_cache_hits{${model}} ${f.hits}`,
    `vllm:prefix_cache_queries{${model}} ${f.queries}`,
    `vllm:request_success_total{finish_reason="stop",${model}} ${f.success}`,
  ].join("\n")}\n`;
}

function line(time: number, pod: string, text: string): string {
  return JSON.stringify({ time, pod, text });
}

describe("routing attribution, by hand", () => {
  // Two pods, one rate from t=100 to t=130; scrapes at 99 (before), 105..125 (inside), 131 (after).
  const a = (t: number, success: number, hits: number, queries: number, kv: number, waiting: number) =>
    line(t, "pod-a", vllmText({ success, hits, queries, kv, waiting }));
  const b = (t: number, success: number, hits: number, queries: number, kv: number, waiting: number) =>
    line(t, "pod-b", simText({ success, hits, queries, kv, waiting }));
  const text = [
    a(99, 10, 400, 1000, 0, 0),
    b(99, 5, 100, 500, 0, 0),
    a(105, 20, 700, 2000, 0.2, 1),
    b(105, 8, 130, 800, 0.1, 0),
    a(115, 40, 1300, 4000, 0.4, 3),
    b(115, 12, 170, 1200, 0.3, 2),
    a(125, 60, 1900, 6000, 0.6, 2),
    b(125, 16, 210, 1600, 0.2, 0),
    a(131, 70, 2200, 7000, 0.1, 0),
    b(131, 20, 250, 2000, 0, 0),
  ].join("\n");
  const window = { label: "rate 5.0", start: 100, end: 130 };

  it("gives each pod's requests, share, prefix-cache hit rate and gauges as computed by hand", () => {
    const { samples, problems } = readPodMetrics(text, "pod-metrics.jsonl");
    assert.deepEqual(problems, []);
    const { pods, routing } = attributeRate(samples, window)!;
    // pod-a: 70 − 10 = 60 requests; hits 2200 − 400 = 1800 of 7000 − 1000 = 6000 queries → 0.3.
    // pod-b: 20 − 5 = 15; hits 250 − 100 = 150 of 2000 − 500 = 1500 → 0.1. Shares 60/75, 15/75.
    assert.deepEqual(
      pods.map((p) => [p.pod, p.requests, p.share, p.prefix_cache_hit_rate]),
      [
        ["pod-a", 60, 0.8, 0.3],
        ["pod-b", 15, 0.2, 0.1],
      ],
    );
    // Gauges over the three scrapes inside the window: a's KV 0.2, 0.4, 0.6; waiting 1, 3, 2 → p90 = 2 + 0.8 × (3 − 2).
    assert.ok(Math.abs(pods[0].kv_cache_usage_mean! - 0.4) < 1e-12);
    assert.equal(pods[0].kv_cache_usage_max, 0.6);
    assert.ok(Math.abs(pods[0].waiting_p90! - 2.8) < 1e-12);
    assert.equal(pods[1].kv_cache_usage_max, 0.3);
    assert.equal(pods[0].samples, 3);
    // Shares 0.8 and 0.2: mean 0.5, population sd 0.3 → CV 0.6.
    assert.equal(routing.pod_count, 2);
    assert.equal(routing.requests, 75);
    assert.ok(Math.abs(routing.share_cv! - 0.6) < 1e-12);
    assert.equal(routing.largest_share, 0.8);
    assert.equal(routing.notes, undefined);
  });

  it("counts a counter reset from zero, and says so", () => {
    // pod-b restarts between 115 and 125: its counters drop to 3 requests, 20 hits, 300 queries.
    const reset = text
      .replace(b(125, 16, 210, 1600, 0.2, 0), b(125, 3, 20, 300, 0.2, 0))
      .replace(b(131, 20, 250, 2000, 0, 0), b(131, 7, 60, 700, 0, 0));
    const { pods, routing } = attributeRate(readPodMetrics(reset, "f").samples, window)!;
    // (12 − 5) before the reset + 3 after it + (7 − 3) = 14 requests; hits 70 + 20 + 40 = 130 of 700 + 300 +
    // 400 = 1400.
    assert.equal(pods[1].requests, 14);
    assert.ok(Math.abs(pods[1].prefix_cache_hit_rate! - 130 / 1400) < 1e-12);
    assert.deepEqual(routing.notes, ["pod pod-b: counters reset at +25.0 s (restarted?); counted from zero after it"]);
  });

  it("counts a pod that died mid-rate up to its last scrape, and says so", () => {
    const died = text
      .split("\n")
      .filter((l) => !(l.includes('"pod-b"') && JSON.parse(l).time > 110))
      .join("\n");
    const { pods, routing } = attributeRate(readPodMetrics(died, "f").samples, window)!;
    assert.equal(pods[1].requests, 3);
    assert.equal(routing.requests, 63);
    assert.deepEqual(routing.notes, [
      "pod pod-b: no scrape at the rate's end (last at +5.0 s of 30.0 s): it died or stopped " +
        "answering; its requests are counted to then",
    ]);
  });

  it("names a line that is not a sample, and reads the rest", () => {
    const { samples, problems } = readPodMetrics(
      `${text}\n{"time": 140, "pod": "pod-a"}\n{"time": 141, "po`,
      "results/pod-metrics.jsonl",
    );
    assert.equal(samples.length, 10);
    assert.deepEqual(problems, [
      'results/pod-metrics.jsonl:11: needs "time" (number), "pod" and "text" (strings)',
      "results/pod-metrics.jsonl:12: not JSON (the line was cut short?)",
    ]);
  });

  it("reads vLLM's gpu_cache_usage_perc where an older server has no kv_cache_usage_perc", () => {
    const old = (t: number, usage: number) =>
      line(
        t,
        "old",
        `vllm:gpu_cache_usage_perc{model_name="m"} ${usage}\nvllm:request_success_total{finished_reason="stop",model_name="m"} ${t}\n`,
      );
    const { pods } = attributeRate(
      readPodMetrics([old(99, 0), old(110, 0.5), old(120, 0.7), old(131, 0)].join("\n"), "f").samples,
      window,
    )!;
    assert.equal(pods[0].kv_cache_usage_max, 0.7);
    assert.equal(pods[0].requests, 32);
    assert.equal(pods[0].prefix_cache_hit_rate, undefined, "no prefix-cache counters: no hit rate");
    assert.deepEqual(POD_METRIC_NAMES.kvCacheUsage, ["vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc"]);
  });

  it("percentile interpolates between closest ranks, as numpy does", () => {
    assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90), 9.1);
    assert.equal(percentile([4], 90), 4);
  });
});

describe("load fidelity verdict", () => {
  it("is invalid below 95% delivered, above 10 ms schedule delay p99, above 1% throttled, with each reason", () => {
    const stat: Stat = { request_rate: 10, achieved_rate: 7.9 };
    assert.deepEqual(loadFidelity(stat, {}), {
      requested_rate: 10,
      achieved_rate: 7.9,
      delivered_ratio: 0.79,
      valid: false,
      reasons: ["delivered 79.0% of the 10 requests/s requested (7.90 achieved), below 95.0%"],
    });
    const load = loadFidelity(
      { request_rate: 10, achieved_rate: 9.9 },
      { scheduleDelayMs: { p50: 1, p99: 12.5 }, cpu: { seconds: 60, throttledUsec: 1_200_000 } },
    )!;
    assert.equal(load.valid, false);
    assert.deepEqual(load.reasons, [
      "schedule delay p99 12.5 ms, above 10 ms",
      "load generator CPU-throttled 2.0% of the rate (1.20 s of 60.0 s), above 1.0%",
    ]);
    const fine = loadFidelity(
      { request_rate: 10, achieved_rate: 9.6 },
      { scheduleDelayMs: { p50: 1, p99: 9 }, cpu: { seconds: 60, throttledUsec: 500_000 } },
    )!;
    assert.equal(fine.valid, true);
    assert.equal(fine.reasons, undefined);
    assert.equal(fine.cpu_throttled_fraction, 0.5 / 60);
  });

  it("reads inference-perf's schedule delay from the stage file and the throttling from the wrapper's marks", () => {
    const stageFile = JSON.stringify({
      load_summary: {
        count: 50,
        schedule_delay: { median: 0.0007, p99: 0.0305 },
        requested_rate: 5,
        achieved_rate: 5.01,
      },
    });
    const stat: Stat = { request_rate: 5, achieved_rate: 5.01, source_file: "stage_1_lifecycle_metrics.json" };
    const problems = annotateRates([stat], {
      tool: "inference-perf",
      files: [{ name: "stage_1_lifecycle_metrics.json", text: stageFile }],
      rateIsLoad: true,
      rateMarks: [
        { edge: "begin", stage: 1, time: 1000, throttledUsec: 5_000_000 },
        { edge: "end", stage: 1, time: 1010, throttledUsec: 5_050_000 },
      ],
    });
    assert.equal(stat.load!.schedule_delay_p50_ms, 0.7);
    assert.equal(stat.load!.schedule_delay_p99_ms, 30.5);
    assert.equal(stat.load!.cpu_throttled_fraction, 0.005);
    assert.deepEqual(problems, ["rate 5.0: load not valid: schedule delay p99 30.5 ms, above 10 ms"]);
  });
});

/** A port free on the Service's address; every fake pod listens on it at its own 127.0.0.x. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.10", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function startPods(config: Record<string, unknown>): Promise<ChildProcess> {
  const child = spawn("/usr/bin/python3", [path.join(__dirname, "fake_model_pods.py"), JSON.stringify(config)], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (chunk) => String(chunk).includes("ready") && resolve());
    child.on("exit", (code) => reject(new Error(`fake_model_pods.py exited ${code}: ${stderr}`)));
  });
  return child;
}

describe("per-pod sampler: the real LPG through our wrapper, fake model-server pods, the collector", function () {
  this.timeout(300_000);
  const RUN = "pods0001";
  let output: string;
  const runs = new Map<string, LpgRun>();

  before(async function () {
    const kit = lpgKit(this);
    const wrapperDir = tempDir("pods-wrapper-");
    for (const [name, text] of Object.entries(WRAPPER_FILES)) fs.writeFileSync(path.join(wrapperDir, name), text);
    // 07628c9 sleeps 30 s between rates; the pause changes nothing here.
    const shim = tempDir("pods-sleep-");
    fs.writeFileSync(path.join(shim, "sleep"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    output = tempDir("pods-output-");
    const kube = new FakeKube();
    const kubeConfig = await kube.start();
    try {
      for (const [name, rates, delay] of [
        ["routed", "3,6", 0.01],
        ["slow", "3", 4],
      ] as const) {
        const port = await freePort();
        const tokenFile = path.join(tempDir("pods-token-"), "token");
        fs.writeFileSync(tokenFile, "sampler-token\n");
        const pods = await startPods({
          port,
          service_ip: "127.0.0.10",
          token: "sampler-token",
          namespace: `${name}-${RUN}`,
          model: MODEL,
          pods: [
            { name: "model-server-a", ip: "127.0.0.11", weight: 2, hit_ratio: 0.5, delay },
            { name: "model-server-b", ip: "127.0.0.12", weight: 1, hit_ratio: 0.25, delay, flavour: "sim" },
            // No traffic: one dies once 15 requests went out (mid second rate), one's /metrics hangs every
            // other scrape.
            ...(name === "routed"
              ? [
                  { name: "model-server-c", ip: "127.0.0.13", weight: 0, die_after_requests: 15 },
                  { name: "model-server-d", ip: "127.0.0.14", weight: 0, hang_every: 2, hang_seconds: 2 },
                ]
              : []),
          ],
        });
        try {
          const workDir = tempDir(`pods-lpg-${name}-`);
          runs.set(
            name,
            await runRealLpg(kit, "07628c9", {
              workDir,
              entry: path.join(wrapperDir, "run-benchmark.sh"),
              env: {
                LOAD_GENERATOR: "lpg",
                REQUEST_RATES: rates,
                BENCHMARK_TIME_SECONDS: "3",
                MODELS: MODEL,
                TOKENIZER: MODEL,
                IP: "127.0.0.10",
                PORT: String(port),
                PATH: `${shim}:${workDir}/.bin:/usr/bin:/bin`,
                POD_METRICS_NAMESPACE: `${name}-${RUN}`,
                POD_METRICS_SELECTOR: "app=model-server-deployment",
                POD_METRICS_PORT: String(port),
                POD_METRICS_INTERVAL: "1",
                POD_METRICS_TIMEOUT: "1",
                POD_METRICS_KEEP: Object.values(POD_METRIC_NAMES).flat().join(","),
                KUBE_API: `http://127.0.0.10:${port}`,
                KUBE_TOKEN_FILE: tokenFile,
              },
            }),
          );
        } finally {
          pods.stdin!.end();
          await new Promise((resolve) => pods.on("exit", resolve));
        }
        const [benchmark] = resolveCatalogText(
          `benchmarks { name: "${name}" config { model_server { sim { model: "${MODEL}" } replicas: 2 }
          load_balancer { k8s_service {} } benchmark_tool { lpg { request_rates: "${rates}" benchmark_time_seconds: "3" } } } }`,
          "pods.pbtxt",
        );
        const namespace = `${name}-${RUN}`;
        kube.setJob(namespace, jobIn("succeeded"));
        kube.pods.set(namespace, [
          pod(`benchmark-tool-${name}`, { "job-name": "benchmark-tool" }, [
            ["benchmark-tool", "lpg:07628c9", "lpg@sha256:07628c9"],
          ]),
        ]);
        kube.logs.set(`benchmark-tool-${name}`, runs.get(name)!.podLog);
        await collectBenchmark({
          kubeConfig,
          benchmark,
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

  function resultsJson(): Array<{ name: string; status: string; problems: string[]; result: { stats: Stat[] } }> {
    const out = runCli("results", ["--run-id", RUN, "--output", output, "--json"]);
    assert.equal(out.status, 0, out.stderr);
    return JSON.parse(out.stdout).benchmarks;
  }

  it(
    "archives the sampler's file with the other results, as JSON lines of {time, pod, text} with " +
      "only the kept families",
    () => {
      const paths = benchmarkPaths(output, RUN, "routed");
      assert.ok(!fs.existsSync(paths.podMetrics), "kept gzipped");
      const lines = zlib
        .gunzipSync(fs.readFileSync(paths.podMetricsGz))
        .toString("utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      assert.deepEqual(Object.keys(lines[0]).sort(), ["pod", "text", "time"]);
      assert.deepEqual([...new Set(lines.map((l) => l.pod))].sort(), [
        "model-server-a",
        "model-server-b",
        "model-server-c",
        "model-server-d",
      ]);
      const kept = new Set(Object.values(POD_METRIC_NAMES).flat());
      for (const l of lines)
        for (const sample of l.text.split("\n").filter(Boolean)) assert.ok(kept.has(sample.split(/[{ ]/)[0]), sample);
      // The vLLM pod's text as prometheus_client wrote it (counters with _total), the simulator's as
      // client_golang (without).
      assert.match(
        lines.find((l) => l.pod === "model-server-a" && l.text.includes("hits"))!.text,
        /^vllm:prefix_cache_hits_total\{/m,
      );
      assert.match(
        lines.find((l) => l.pod === "model-server-b" && l.text.includes("hits"))!.text,
        /^vllm:prefix_cache_hits\{model_name=/m,
      );
      const log = runs.get("routed")!.podLog;
      assert.match(log, /^inference-bench:rate-begin rate=3 time=\d+\.\d{3}( throttled_usec=\d+ usage_usec=\d+)?$/m);
      assert.match(log, /^inference-bench:rate-end rate=6 time=/m);
    },
  );

  it("gives each pod's share of each rate's requests and its prefix-cache hit rate, as the pods counted them", () => {
    const routed = resultsJson().find((b) => b.name === "routed")!;
    const stats = routed.result.stats;
    assert.deepEqual(
      stats.map((s) => s.request_rate),
      [3, 6],
    );
    for (const [i, total] of [9, 18].entries()) {
      const byPod = Object.fromEntries(stats[i].pods!.map((p) => [p.pod, p]));
      // The Service sends a, a, b in turn: 2/3 and 1/3 of a multiple of 3; every prompt succeeded.
      assert.equal(byPod["model-server-a"].requests, (2 * total) / 3);
      assert.equal(byPod["model-server-b"].requests, total / 3);
      assert.ok(Math.abs(byPod["model-server-a"].share! - 2 / 3) < 1e-12);
      assert.ok(Math.abs(byPod["model-server-b"].share! - 1 / 3) < 1e-12);
      assert.equal(byPod["model-server-a"].prefix_cache_hit_rate, 0.5);
      assert.equal(byPod["model-server-b"].prefix_cache_hit_rate, 0.25);
      assert.equal(byPod["model-server-d"].requests, 0);
      assert.equal(stats[i].routing!.requests, total);
      assert.equal(stats[i].routing!.largest_share, byPod["model-server-a"].share);
      assert.ok(byPod["model-server-a"].kv_cache_usage_max! >= 0 && byPod["model-server-a"].kv_cache_usage_max! <= 1);
    }
  });

  it(
    "reads a plain results/pod-metrics.jsonl from two pods beside LPG files in the original layout: " +
      "shares and hit rates as computed by hand",
    () => {
      const run = runs.get("routed")!;
      const legacy = tempDir("pods-legacy-");
      const paths = benchmarkPaths(legacy, "legacy01", "two");
      fs.mkdirSync(paths.resultsJsonDir, { recursive: true });
      for (const f of run.jsonFiles) fs.copyFileSync(path.join(run.workDir, f), path.join(paths.resultsJsonDir, f));
      // Each rate's window as the collector takes it: the weighted file's config.start_time plus its benchmark_time.
      const window = (label: string) => {
        const file = run.jsonFiles.find((f) => f.includes(`-${label}qps-`) && f.endsWith("-weighted.json"))!;
        const json = parsePythonJson(fs.readFileSync(path.join(run.workDir, file), "utf8")) as any;
        const start = Number(json.config.start_time.seconds) + json.config.start_time.nanos / 1e9;
        return [start, start + json.metrics.benchmark_time];
      };
      const [[s3, e3], [s6, e6]] = [window("3.0"), window("6.0")];
      const x = (t: number, success: number, hits: number, queries: number) =>
        line(t, "pod-x", vllmText({ success, hits, queries, kv: 0.5, waiting: 1 }));
      const y = (t: number, success: number, hits: number, queries: number) =>
        line(t, "pod-y", simText({ success, hits, queries, kv: 0.25, waiting: 0 }));
      fs.writeFileSync(
        paths.podMetrics,
        `${[
          x(s3 - 0.01, 1, 0, 0),
          y(s3 - 0.01, 1, 0, 0),
          x(e3 + 0.01, 31, 300, 1000),
          y(e3 + 0.01, 11, 50, 1000),
          x(s6 - 0.01, 31, 300, 1000),
          y(s6 - 0.01, 11, 50, 1000),
          x(e6 + 0.01, 51, 700, 2000),
          y(e6 + 0.01, 31, 150, 1500),
        ].join("\n")}\n`,
      );
      const out = runCli("results", ["--run-id", "legacy01", "--output", legacy, "--json"]);
      assert.equal(out.status, 0, out.stderr);
      const stats: Stat[] = JSON.parse(out.stdout).benchmarks[0].result.stats;
      const figures = stats.map((stat) => stat.pods!.map((p) => [p.pod, p.requests, p.share, p.prefix_cache_hit_rate]));
      // Rate 3: x 30 requests, y 10 → 0.75 / 0.25; hits 300 / 1000 and 50 / 1000. Rate 6: 20 and 20 → 0.5 each;
      // 400 / 1000, 100 / 500.
      assert.deepEqual(figures, [
        [
          ["pod-x", 30, 0.75, 0.3],
          ["pod-y", 10, 0.25, 0.05],
        ],
        [
          ["pod-x", 20, 0.5, 0.4],
          ["pod-y", 20, 0.5, 0.2],
        ],
      ]);
      assert.deepEqual(
        stats.map((stat) => [stat.routing!.pod_count, stat.routing!.largest_share, stat.routing!.share_cv]),
        [
          [2, 0.75, 0.5],
          [2, 0.5, 0],
        ],
      );
    },
  );

  it("says which pod died and which scrapes timed out", () => {
    const routed = resultsJson().find((b) => b.name === "routed")!;
    const notes = routed.result.stats[1].routing!.notes ?? [];
    assert.ok(
      notes.some((n) => /^pod model-server-c: no scrape at the rate's end .* it died or stopped answering/.test(n)),
      notes.join("\n"),
    );
    const metadata = JSON.parse(fs.readFileSync(benchmarkPaths(output, RUN, "routed").metadata, "utf8"));
    const said = metadata.load_generator.notes.join("\n");
    assert.match(said, /pod-metrics: pod model-server-d: \/metrics timed out after 1 s \(\d+ times?, first at/);
    // Once gone from the list it is no longer scraped, so no failed scrape is counted for it.
    assert.match(said, /pod-metrics: pod model-server-c left the list of running pods \(\d+ times?, first at/);
  });

  it("gives every rate a load verdict; a rate that fell short of 95% is not valid, with the reason", () => {
    const benchmarks = resultsJson();
    for (const stat of benchmarks.find((b) => b.name === "routed")!.result.stats) {
      assert.equal(stat.load!.valid, stat.load!.delivered_ratio! >= 0.95, JSON.stringify(stat.load));
    }
    // Every response takes 4 s: 07628c9's duration runs to the last response, so 9 prompts at 3/s read as at
    // most 9 / 12 s.
    const slow = benchmarks.find((b) => b.name === "slow")!;
    const load = slow.result.stats[0].load!;
    assert.equal(load.valid, false);
    assert.ok(load.delivered_ratio! < 0.76, String(load.delivered_ratio));
    assert.deepEqual(load.reasons, [
      `delivered ${(100 * load.delivered_ratio!).toFixed(1)}% of the 3 requests/s requested ` +
        `(${load.achieved_rate!.toFixed(2)} achieved), below 95.0%`,
    ]);
    assert.equal(slow.status, "partial");
  });

  it(
    "draws each rate's shares and a pods × rates heat map of prefix-cache hit rate, and crosses the " +
      "invalid rate on every curve",
    async function () {
      const out = runCli("report", ["--run-id", RUN, "--output", output]);
      assert.equal(out.status, 0, out.stderr);
      const store = await openStore(path.join(output, "results.db"));
      const run = {
        runId: RUN,
        benchmarks: await store.benchmarks(RUN),
        stats: await store.stats(RUN),
        details: await store.statDetails(RUN),
      };
      await store.close();
      const expected = chartData(run, []);
      const slow = expected.find((c) => c.id === "curve-latency-p90")!.series.find((x) => x.name === "slow")!;
      assert.deepEqual(
        slow.marks.filter((m) => m.name === "invalid load").map((m) => m.coord),
        [slow.points[0]],
      );
      const page = await openReport(this, path.join(output, RUN, "report.html"), expected);
      try {
        const drawn: RoutingChart[] = await page.page.evaluate("REPORT.routing");
        assert.deepEqual(drawn, routingCharts(run.benchmarks, run.details));
        const routed = drawn.find((r) => r.benchmark === "routed")!;
        assert.deepEqual(routed.pods, ["model-server-a", "model-server-b", "model-server-c", "model-server-d"]);
        for (const [i, share] of [
          [0, 2 / 3],
          [1, 1 / 3],
        ] as const)
          for (const value of routed.shares[i]) assert.ok(Math.abs(value! - share) < 1e-12);
        assert.deepEqual(routed.prefixHitRates.slice(0, 2), [
          [0.5, 0.5],
          [0.25, 0.25],
        ]);
        // Both charts drew exactly that data.
        const options = await page.page.evaluate(
          (name) =>
            ["shares", "prefix"].map((kind) => {
              const option = (window as any).echarts
                .getInstanceByDom(document.getElementById(`${kind}-${name}`))
                .getOption();
              return { rates: option.xAxis[0].data, series: option.series.map((x: any) => x.data) };
            }),
          "routed",
        );
        assert.deepEqual(options[0].series, routed.shares);
        assert.deepEqual(
          options[0].rates,
          routed.rates.map((r) => `${r.toFixed(1)}${routed.invalidRates.includes(r) ? " ✗" : ""}`),
        );
        assert.deepEqual(routed.rates, [3, 6]);
        assert.deepEqual(
          options[1].series[0].filter((c: any) => c[1] === 0).map((c: any) => c[2]),
          [0.5, 0.5],
        );
        const text = await page.text("#routing");
        assert.match(text, /slow[\s\S]*3\.0 .*not valid delivered \d+\.\d% of the 3 requests\/s requested/);
        assert.match(text, /model-server-a: 66\.7%, hit 50\.0%/);
        fs.mkdirSync(path.join(__dirname, ".artifacts"), { recursive: true });
        await page.page
          .locator("#routing")
          .screenshot({ path: path.join(__dirname, ".artifacts", "routing-section.png") });
      } finally {
        await page.close();
      }
    },
  );

  it("exports each rate's routing and verdict in the br-v0.2.1 load metadata, schema-valid", function () {
    const validate = brValidator(sharedDir(this));
    const out = runCli("export", ["--run-id", RUN, "--output", output, "--format", "br-v0.2.1"]);
    assert.equal(out.status, 0, out.stderr);
    const dir = path.join(output, RUN, "export", "br-v0.2.1");
    const { parse } = require("yaml") as typeof import("yaml");
    const report = parse(fs.readFileSync(path.join(dir, "routed-3.0qps.yaml"), "utf8")) as any;
    assert.ok(validate(report), JSON.stringify(validate.errors));
    const description: string = (report as any).scenario.load.metadata.description;
    const carried = JSON.parse(description.slice(description.indexOf(ROUTING_PREFIX) + ROUTING_PREFIX.length));
    assert.equal(carried.pods.find((p: any) => p.pod === "model-server-b").prefix_cache_hit_rate, 0.25);
    assert.equal(carried.routing.requests, 9);
    assert.equal(typeof carried.load.valid, "boolean");
  });

  it("leaves the invalid rate out of SLO capacity, and compare --pair calls it not comparable", () => {
    const slo = runCli("slo", ["--run-id", RUN, "--output", output, "--slo", "request_latency_p90<=60s", "--json"]);
    assert.equal(slo.status, 0, slo.stderr);
    const slow = JSON.parse(slo.stdout).benchmarks.find((b: any) => b.name === "slow");
    assert.equal(slow.max_rate, null, "its only rate met the latency SLO but did not deliver its load");
    const compare = runCli("compare", [
      "--run-id",
      RUN,
      "--pair",
      "routed=slow",
      "--output",
      output,
      "--fail-on-regression",
      "5",
      "--json",
    ]);
    const result = JSON.parse(compare.stdout);
    const at3 = result.deltas.find((d: any) => d.rate === 3);
    assert.equal(at3.name, "routed=slow");
    assert.match(at3.not_comparable.join(), /load not valid in run pods0001: delivered/);
    assert.deepEqual(at3.metrics, {});
    assert.deepEqual(result.lost, ["routed=slow @ 6: missing in run pods0001"], "the same gate: what B lacks is lost");
    assert.equal(compare.status, 1);
    const text = runCli("compare", ["--run-id", RUN, "--pair", "routed=slow", "--output", output]).stdout;
    assert.match(
      text,
      /^routed=slow\s+3\.0\s+NOT COMPARABLE: load not valid in run pods0001: delivered \d+\.\d% of the 3 requests\/s/m,
    );
    const bad = runCli("compare", ["--run-id", RUN, "--pair", "routed=nope", "--output", output]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /^error: --pair: run pods0001 has no benchmark "nope" \(it has routed, slow\)\n$/);
  });
});

describe("picker against Service pairing", () => {
  const row = (name: string, lb: string, replicas = 2) =>
    ({
      run_id: "r",
      name,
      status: "collected",
      model_server: "vllm",
      accelerator: "nvidia-h100-80gb",
      replicas,
      tensor_parallelism: 1,
      gpus: replicas,
      load_balancer: lb,
      model: MODEL,
      load_generator: "lpg",
    }) as any;
  const stats = (name: string, rates: number[]) => rates.map((rate) => ({ name, request_rate: rate }) as any);

  it("pairs benchmarks that differ only in their load balancer, at the same rates", () => {
    const benchmarks = [
      row("svc", "k8s_service"),
      row("epp", "gateway.envoy.epp"),
      row("epp-3", "gateway.envoy.epp", 3),
      row("lb", "gateway.envoy.lb_policy ROUND_ROBIN"),
    ];
    const all = [...stats("svc", [1, 2]), ...stats("epp", [1, 2]), ...stats("epp-3", [1, 2]), ...stats("lb", [1, 2])];
    assert.deepEqual(pickerServicePairs(benchmarks, all), [{ picker: "epp", service: "svc" }]);
    assert.deepEqual(
      pickerServicePairs(benchmarks, [...stats("svc", [1, 2]), ...stats("epp", [1, 4])]),
      [],
      "different rates: different load",
    );
  });
});

describe("the wrapper marks inference-perf's stages", () => {
  it(
    "from the real tool's own log lines, with the cgroup's CPU reading; the verdict reads the real " + "stage files",
    function () {
      const run = path.join(
        sharedDir(this),
        "reference",
        "inference-perf",
        "runs",
        "a-constant-2stage-random-completion-stream",
      );
      const reports = path.join(run, "reports-20261128-204823");
      const dir = tempDir("ip-stages-");
      for (const [name, text] of Object.entries(WRAPPER_FILES)) fs.writeFileSync(path.join(dir, name), text);
      const bin = path.join(dir, "bin");
      fs.mkdirSync(bin);
      // A stand-in that prints what v0.6.1 printed in run (a) (loadgen/load_generator.py logs
      // "Stage N - run started" / "- run completed") and leaves that run's report files.
      fs.writeFileSync(
        path.join(bin, "inference-perf"),
        `#!/bin/sh\nwhile IFS= read -r line; do echo "$line"; case "$line" in *"- run "*) sleep ` +
          `0.3;; esac; done < "${path.join(run, "stdout.log")}"\n` +
          `mkdir -p "$REPORT_DIR"\ncp "${reports}"/stage_*_lifecycle_metrics.json "$REPORT_DIR"/\n`,
        { mode: 0o755 },
      );
      const result = spawnSync("sh", [path.join(dir, "run-benchmark.sh")], {
        cwd: dir,
        encoding: "utf8",
        timeout: 120_000,
        env: {
          PATH: `${bin}:${process.env.PATH}`,
          LOAD_GENERATOR: "inference-perf",
          CONFIG_FILE: "/cfg/config.yml",
          REPORT_DIR: path.join(dir, "reports"),
          PORT: "8081",
          TARGET_HOST: "127.0.0.1",
        },
      });
      assert.equal(result.status, 0, result.stderr);
      const archive = parseResultLog(result.stdout);
      const marks = readToolLog(archive.toolLog).rateMarks;
      assert.deepEqual(
        marks.map((m) => [m.edge, m.stage]),
        [
          ["begin", 0],
          ["end", 0],
          ["begin", 1],
          ["end", 1],
        ],
      );
      assert.ok(
        marks.every((m) => m.throttledUsec !== undefined),
        "this machine's cgroup has cpu.stat",
      );
      const files = archive.files.map((f) => ({ name: f.name, text: f.data.toString() }));
      const parsed = parseInferencePerfReports(files, { requestRates: [5, 10], warmupStages: 0, concurrent: false });
      annotateRates(parsed.stats, { tool: "inference-perf", files, rateMarks: marks, rateIsLoad: true });
      const [first] = parsed.stats;
      // Run (a)'s stage 0: schedule_delay median 0.000688 s, p99 0.003056 s; 5.01 of 5 requests/s.
      assert.ok(Math.abs(first.load!.schedule_delay_p99_ms! - 3.0563796566048015) < 1e-9);
      assert.ok(Math.abs(first.load!.schedule_delay_p50_ms! - 0.6877448122395435) < 1e-9);
      assert.equal(first.load!.valid, first.load!.cpu_throttled_fraction! <= 0.01);
    },
  );
});
