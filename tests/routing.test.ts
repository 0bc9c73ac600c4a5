// Routing attribution and the load-fidelity verdict: by hand-computed figures on samples written
// here, then end to end: the real LPG (07628c9) through our wrapper against fake model-server
// pods (tests/fake_model_pods.py: vLLM's and llm-d-inference-sim v0.8.2's real metric names and
// exposition formats, counters advancing as requests finish), the sampler finding them through
// a fake Kubernetes API, the collector reading the pod's log, and `results --json`.
import * as assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import type { Stat } from "../proto/benchmark-types";
import { resolveCatalogText } from "../lib/catalog/catalog";
import { WRAPPER_FILES } from "../lib/manifests/load-generator";
import { POD_METRIC_NAMES } from "../lib/manifests/pod-sampler";
import { collectBenchmark } from "../lib/results/collect";
import { loadFidelity } from "../lib/results/load-fidelity";
import { attributeRate, percentile, readPodMetrics } from "../lib/results/pod-metrics";
import { annotateRates } from "../lib/results/rate-evidence";
import { benchmarkPaths } from "../lib/snapshot/layout";
import { FakeKube, jobIn, pod } from "./fake-kube";
import { runCli, tempDir } from "./helpers";
import { type LpgRun, lpgKit, runRealLpg } from "./real-lpg";

const MODEL = "meta-llama/Llama-3.1-8B-Instruct";

/** A vLLM exposition line set (names and labels of vllm/v1/metrics/loggers.py, prometheus_client format). */
function vllmText(f: { success: number; hits: number; queries: number; kv: number; waiting: number }): string {
  const labels = `engine="0",model_name="${MODEL}"`;
  return [
    `vllm:num_requests_waiting{${labels}} ${f.waiting.toFixed(1)}`,
    `vllm:kv_cache_usage_perc{${labels}} ${f.kv}`,
    `vllm:prefix_cache_queries_total{${labels}} ${f.queries.toFixed(1)}`,
    `vllm:prefix_cache_hits_total{${labels}} ${f.hits.toFixed(1)}`,
    `vllm:request_success_total{engine="0",finished_reason="stop",model_name="${MODEL}"} ${(f.success - 1).toFixed(1)}`,
    `vllm:request_success_total{engine="0",finished_reason="length",model_name="${MODEL}"} 1.0`,
  ].join("\n") + "\n";
}

/** The simulator's (llm-d-inference-sim v0.8.2): no _total on its prefix counters, finish_reason, no engine label. */
function simText(f: { success: number; hits: number; queries: number; kv: number; waiting: number }): string {
  const model = `model_name="${MODEL}"`;
  return [
    `vllm:kv_cache_usage_perc{${model}} ${f.kv}`,
    `vllm:num_requests_waiting{${model}} ${f.waiting}`,
    `vllm:prefix_cache_hits{${model}} ${f.hits}`,
    `vllm:prefix_cache_queries{${model}} ${f.queries}`,
    `vllm:request_success_total{finish_reason="stop",${model}} ${f.success}`,
  ].join("\n") + "\n";
}

function line(time: number, pod: string, text: string): string {
  return JSON.stringify({ time, pod, text });
}

describe("routing attribution, by hand", () => {
  // Two pods, one rate from t=100 to t=130; scrapes at 99 (before), 105..125 (inside), 131 (after).
  const a = (t: number, success: number, hits: number, queries: number, kv: number, waiting: number) => line(t, "pod-a", vllmText({ success, hits, queries, kv, waiting }));
  const b = (t: number, success: number, hits: number, queries: number, kv: number, waiting: number) => line(t, "pod-b", simText({ success, hits, queries, kv, waiting }));
  const text = [
    a(99, 10, 400, 1000, 0, 0), b(99, 5, 100, 500, 0, 0),
    a(105, 20, 700, 2000, 0.2, 1), b(105, 8, 130, 800, 0.1, 0),
    a(115, 40, 1300, 4000, 0.4, 3), b(115, 12, 170, 1200, 0.3, 2),
    a(125, 60, 1900, 6000, 0.6, 2), b(125, 16, 210, 1600, 0.2, 0),
    a(131, 70, 2200, 7000, 0.1, 0), b(131, 20, 250, 2000, 0, 0),
  ].join("\n");
  const window = { label: "rate 5.0", start: 100, end: 130 };

  it("gives each pod's requests, share, prefix-cache hit rate and gauges as computed by hand", () => {
    const { samples, problems } = readPodMetrics(text, "pod-metrics.jsonl");
    assert.deepEqual(problems, []);
    const { pods, routing } = attributeRate(samples, window)!;
    // pod-a: 70 − 10 = 60 requests; hits 2200 − 400 = 1800 of 7000 − 1000 = 6000 queries → 0.3.
    // pod-b: 20 − 5 = 15; hits 250 − 100 = 150 of 2000 − 500 = 1500 → 0.1. Shares 60/75, 15/75.
    assert.deepEqual(pods.map((p) => [p.pod, p.requests, p.share, p.prefix_cache_hit_rate]), [["pod-a", 60, 0.8, 0.3], ["pod-b", 15, 0.2, 0.1]]);
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
    const reset = text.replace(b(125, 16, 210, 1600, 0.2, 0), b(125, 3, 20, 300, 0.2, 0)).replace(b(131, 20, 250, 2000, 0, 0), b(131, 7, 60, 700, 0, 0));
    const { pods, routing } = attributeRate(readPodMetrics(reset, "f").samples, window)!;
    // (12 − 5) before the reset + 3 after it + (7 − 3) = 14 requests; hits 70 + 20 + 40 = 130 of 700 + 300 + 400 = 1400.
    assert.equal(pods[1].requests, 14);
    assert.ok(Math.abs(pods[1].prefix_cache_hit_rate! - 130 / 1400) < 1e-12);
    assert.deepEqual(routing.notes, ["pod pod-b: counters reset at +25.0 s (restarted?); counted from zero after it"]);
  });

  it("counts a pod that died mid-rate up to its last scrape, and says so", () => {
    const died = text.split("\n").filter((l) => !(l.includes('"pod-b"') && JSON.parse(l).time > 110)).join("\n");
    const { pods, routing } = attributeRate(readPodMetrics(died, "f").samples, window)!;
    assert.equal(pods[1].requests, 3);
    assert.equal(routing.requests, 63);
    assert.deepEqual(routing.notes, ["pod pod-b: no scrape at the rate's end (last at +5.0 s of 30.0 s): it died or stopped answering; its requests are counted to then"]);
  });

  it("names a line that is not a sample, and reads the rest", () => {
    const { samples, problems } = readPodMetrics(`${text}\n{"time": 140, "pod": "pod-a"}\n{"time": 141, "po`, "results/pod-metrics.jsonl");
    assert.equal(samples.length, 10);
    assert.deepEqual(problems, [
      'results/pod-metrics.jsonl:11: needs "time" (number), "pod" and "text" (strings)',
      "results/pod-metrics.jsonl:12: not JSON (the line was cut short?)",
    ]);
  });

  it("reads vLLM's gpu_cache_usage_perc where an older server has no kv_cache_usage_perc", () => {
    const old = (t: number, usage: number) => line(t, "old", `vllm:gpu_cache_usage_perc{model_name="m"} ${usage}\nvllm:request_success_total{finished_reason="stop",model_name="m"} ${t}\n`);
    const { pods } = attributeRate(readPodMetrics([old(99, 0), old(110, 0.5), old(120, 0.7), old(131, 0)].join("\n"), "f").samples, window)!;
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
      requested_rate: 10, achieved_rate: 7.9, delivered_ratio: 0.79, valid: false,
      reasons: ["delivered 79.0% of the 10 requests/s requested (7.90 achieved), below 95.0%"],
    });
    const load = loadFidelity({ request_rate: 10, achieved_rate: 9.9 }, { scheduleDelayMs: { p50: 1, p99: 12.5 }, cpu: { seconds: 60, throttledUsec: 1_200_000 } })!;
    assert.equal(load.valid, false);
    assert.deepEqual(load.reasons, [
      "schedule delay p99 12.5 ms, above 10 ms",
      "load generator CPU-throttled 2.0% of the rate (1.20 s of 60.0 s), above 1.0%",
    ]);
    const fine = loadFidelity({ request_rate: 10, achieved_rate: 9.6 }, { scheduleDelayMs: { p50: 1, p99: 9 }, cpu: { seconds: 60, throttledUsec: 500_000 } })!;
    assert.equal(fine.valid, true);
    assert.equal(fine.reasons, undefined);
    assert.equal(fine.cpu_throttled_fraction, 0.5 / 60);
  });

  it("reads inference-perf's schedule delay from the stage file and the throttling from the wrapper's marks", () => {
    const stageFile = JSON.stringify({ load_summary: { count: 50, schedule_delay: { median: 0.0007, p99: 0.0305 }, requested_rate: 5, achieved_rate: 5.01 } });
    const stat: Stat = { request_rate: 5, achieved_rate: 5.01, source_file: "stage_1_lifecycle_metrics.json" };
    const problems = annotateRates([stat], {
      tool: "inference-perf", files: [{ name: "stage_1_lifecycle_metrics.json", text: stageFile }], rateIsLoad: true,
      rateMarks: [{ edge: "begin", stage: 1, time: 1000, throttledUsec: 5_000_000 }, { edge: "end", stage: 1, time: 1010, throttledUsec: 5_050_000 }],
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
  const child = spawn("/usr/bin/python3", [path.join(__dirname, "fake_model_pods.py"), JSON.stringify(config)], { stdio: ["pipe", "pipe", "pipe"] });
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
      for (const [name, rates, delay] of [["routed", "3,6", 0.01], ["slow", "3", 4]] as const) {
        const port = await freePort();
        const tokenFile = path.join(tempDir("pods-token-"), "token");
        fs.writeFileSync(tokenFile, "sampler-token\n");
        const pods = await startPods({
          port, service_ip: "127.0.0.10", token: "sampler-token", namespace: `${name}-${RUN}`, model: MODEL,
          pods: [
            { name: "model-server-a", ip: "127.0.0.11", weight: 2, hit_ratio: 0.5, delay },
            { name: "model-server-b", ip: "127.0.0.12", weight: 1, hit_ratio: 0.25, delay, flavour: "sim" },
            // No traffic: one dies once 15 requests went out (mid second rate), one's /metrics hangs every other scrape.
            ...(name === "routed" ? [{ name: "model-server-c", ip: "127.0.0.13", weight: 0, die_after_requests: 15 },
              { name: "model-server-d", ip: "127.0.0.14", weight: 0, hang_every: 2, hang_seconds: 2 }] : []),
          ],
        });
        try {
          const workDir = tempDir(`pods-lpg-${name}-`);
          runs.set(name, await runRealLpg(kit, "07628c9", {
            workDir,
            entry: path.join(wrapperDir, "run-benchmark.sh"),
            env: {
              LOAD_GENERATOR: "lpg", REQUEST_RATES: rates, BENCHMARK_TIME_SECONDS: "3", MODELS: MODEL, TOKENIZER: MODEL,
              IP: "127.0.0.10", PORT: String(port), PATH: `${shim}:${workDir}/.bin:/usr/bin:/bin`,
              POD_METRICS_NAMESPACE: `${name}-${RUN}`, POD_METRICS_SELECTOR: "app=model-server-deployment", POD_METRICS_PORT: String(port),
              POD_METRICS_INTERVAL: "1", POD_METRICS_TIMEOUT: "1", POD_METRICS_KEEP: Object.values(POD_METRIC_NAMES).flat().join(","),
              KUBE_API: `http://127.0.0.10:${port}`, KUBE_TOKEN_FILE: tokenFile,
            },
          }));
        } finally {
          pods.stdin!.end();
          await new Promise((resolve) => pods.on("exit", resolve));
        }
        const [benchmark] = resolveCatalogText(`benchmarks { name: "${name}" config { model_server { sim { model: "${MODEL}" } replicas: 2 }
          load_balancer { k8s_service {} } benchmark_tool { lpg { request_rates: "${rates}" benchmark_time_seconds: "3" } } } }`, "pods.pbtxt");
        const namespace = `${name}-${RUN}`;
        kube.setJob(namespace, jobIn("succeeded"));
        kube.pods.set(namespace, [pod(`benchmark-tool-${name}`, { "job-name": "benchmark-tool" }, [["benchmark-tool", "lpg:07628c9", "lpg@sha256:07628c9"]])]);
        kube.logs.set(`benchmark-tool-${name}`, runs.get(name)!.podLog);
        await collectBenchmark({ kubeConfig, benchmark, runId: RUN, namespace, paths: benchmarkPaths(output, RUN, name), timeoutSeconds: 30 });
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

  it("archives the sampler's file with the other results, as JSON lines of {time, pod, text} with only the kept families", () => {
    const file = benchmarkPaths(output, RUN, "routed").podMetrics;
    const lines = fs.readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(Object.keys(lines[0]).sort(), ["pod", "text", "time"]);
    assert.deepEqual([...new Set(lines.map((l) => l.pod))].sort(), ["model-server-a", "model-server-b", "model-server-c", "model-server-d"]);
    const kept = new Set(Object.values(POD_METRIC_NAMES).flat());
    for (const l of lines) for (const sample of l.text.split("\n").filter(Boolean)) assert.ok(kept.has(sample.split(/[{ ]/)[0]), sample);
    // The vLLM pod's text as prometheus_client wrote it (counters with _total), the simulator's as client_golang (without).
    assert.match(lines.find((l) => l.pod === "model-server-a" && l.text.includes("hits"))!.text, /^vllm:prefix_cache_hits_total\{/m);
    assert.match(lines.find((l) => l.pod === "model-server-b" && l.text.includes("hits"))!.text, /^vllm:prefix_cache_hits\{model_name=/m);
    const log = runs.get("routed")!.podLog;
    assert.match(log, /^inference-bench:rate-begin rate=3 time=\d+\.\d{3}( throttled_usec=\d+ usage_usec=\d+)?$/m);
    assert.match(log, /^inference-bench:rate-end rate=6 time=/m);
  });

  it("gives each pod's share of each rate's requests and its prefix-cache hit rate, as the pods counted them", () => {
    const routed = resultsJson().find((b) => b.name === "routed")!;
    const stats = routed.result.stats;
    assert.deepEqual(stats.map((s) => s.request_rate), [3, 6]);
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

  it("says which pod died and which scrapes timed out", () => {
    const routed = resultsJson().find((b) => b.name === "routed")!;
    const notes = routed.result.stats[1].routing!.notes ?? [];
    assert.ok(notes.some((n) => /^pod model-server-c: no scrape at the rate's end .* it died or stopped answering/.test(n)), notes.join("\n"));
    const metadata = JSON.parse(fs.readFileSync(benchmarkPaths(output, RUN, "routed").metadata, "utf8"));
    const said = metadata.load_generator.notes.join("\n");
    assert.match(said, /pod-metrics: pod model-server-d: \/metrics timed out after 1 s \(\d+ times?, first at/);
    // Once gone from the list it is no longer scraped, so no failed scrape is counted for it.
    assert.match(said, /pod-metrics: pod model-server-c left the list of running pods \(1 time, first at/);
  });

  it("gives every rate a load verdict; a rate that fell short of 95% is not valid, with the reason", () => {
    const benchmarks = resultsJson();
    for (const stat of benchmarks.find((b) => b.name === "routed")!.result.stats) {
      assert.equal(stat.load!.valid, stat.load!.delivered_ratio! >= 0.95, JSON.stringify(stat.load));
    }
    // Every response takes 4 s: 07628c9's duration runs to the last response, so 9 prompts at 3/s read as at most 9 / 12 s.
    const slow = benchmarks.find((b) => b.name === "slow")!;
    const load = slow.result.stats[0].load!;
    assert.equal(load.valid, false);
    assert.ok(load.delivered_ratio! < 0.76, String(load.delivered_ratio));
    assert.deepEqual(load.reasons, [`delivered ${(100 * load.delivered_ratio!).toFixed(1)}% of the 3 requests/s requested (${load.achieved_rate!.toFixed(2)} achieved), below 95.0%`]);
    assert.equal(slow.status, "partial");
  });
});
