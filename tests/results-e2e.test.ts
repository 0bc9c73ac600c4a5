// The whole results pipeline on files the real LPG wrote: a run snapshotted by the manifests
// command, results laid out as the collector writes them (results/json and txt as the LPG wrote
// them, metadata.json, collection.json, benchmark-result.json), then results --json, report
// (checked in Chromium), slo and export (validated against llm-d's real schema).
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { UserError } from "../lib/errors";
import { chartData } from "../lib/report/html";
import { costPerMillionOutputTokens, gpuHourPrices, resolveSlo } from "../lib/report/slo";
import { benchmarkPaths } from "../lib/snapshot/layout";
import { openStore } from "../lib/store/store";
import { resultFromFiles } from "../lib/tool-output/tool-results";
import { stringifyProtoJson } from "../proto/json";
import { runCli, sharedDir, tempDir } from "./helpers";
import { MODEL, realLpgRuns, SECOND_MODEL } from "./lpg-runs";
import { type LpgRun, lpgKit } from "./real-lpg";
import { brValidator, openReport } from "./report-helpers";

const RUN = "e2e00001";

const CATALOG = `
benchmarks { name: "svc" config {
  model_server { image: "vllm/vllm-openai:v0.10.2" accelerator: "nvidia-h100-80gb" replicas: 2 vllm { model: "${MODEL}" tensor_parallelism: "1" } }
  load_balancer { k8s_service {} }
  benchmark_tool { lpg { request_rates: "2,4,8" benchmark_time_seconds: "2" } } } }
benchmarks { name: "epp-stream" config {
  model_server { image: "vllm/vllm-openai:v0.10.2" accelerator: "nvidia-h100-80gb" replicas: 1 vllm { model: "${MODEL}" tensor_parallelism: "2" } }
  load_balancer { gateway { envoy { epp {} } } }
  benchmark_tool { lpg { request_rates: "2,4,8" benchmark_time_seconds: "2" } } } }
benchmarks { name: "multi" config {
  model_server { image: "vllm/vllm-openai:v0.10.2" accelerator: "nvidia-l4" replicas: 1 vllm { model: "${MODEL}" max_loras: "1" lora_adapters: "${SECOND_MODEL}=${SECOND_MODEL}" } }
  load_balancer { k8s_service {} }
  benchmark_tool { lpg { models: "${MODEL},${SECOND_MODEL}" request_rates: "4,8" benchmark_time_seconds: "2" } } } }
`;

/** Digests as pod status reports them (imageID); stand-ins, since nothing ran on a cluster here. */
const IMAGES = [
  {
    pod: "benchmark-tool-x7k2p",
    component: "load-generator",
    container: "benchmark-tool",
    image: "inference-benchmark",
    image_id: `us-docker.pkg.dev/cloud-tpu-images/inference/inference-benchmark@sha256:${"1c".repeat(32)}`,
  },
  {
    pod: "model-server-deployment-0",
    component: "model-server",
    container: "inference-server",
    image: "vllm/vllm-openai:v0.10.2",
    image_id: `docker.io/vllm/vllm-openai@sha256:${"ab".repeat(32)}`,
  },
  {
    pod: "epp-deployment-0",
    component: "load-balancer",
    container: "epp",
    image: "registry.k8s.io/gateway-api-inference-extension/epp:v1.5.0",
    image_id: `registry.k8s.io/gateway-api-inference-extension/epp@sha256:${"ef".repeat(32)}`,
  },
];

/** Lays out one benchmark's results as lib/collect/collect.ts writes them, from a real LPG run. */
function writeCollected(
  output: string,
  name: string,
  run: LpgRun,
  rates: number[],
  options: { dropRate?: number } = {},
): void {
  const paths = benchmarkPaths(output, RUN, name);
  const jsonFiles = run.jsonFiles.filter(
    (f) => options.dropRate === undefined || !f.includes(`-${options.dropRate.toFixed(1)}qps-`),
  );
  fs.mkdirSync(paths.resultsJsonDir, { recursive: true });
  fs.mkdirSync(paths.resultsTxtDir, { recursive: true });
  for (const f of jsonFiles) fs.copyFileSync(path.join(run.workDir, f), path.join(paths.resultsJsonDir, f));
  for (const f of run.txtFiles) fs.copyFileSync(path.join(run.workDir, f), path.join(paths.resultsTxtDir, f));
  fs.writeFileSync(paths.toolLog, run.podLog);
  const { result, missing, problems } = resultFromFiles(
    jsonFiles.map((f) => ({ file: f, text: fs.readFileSync(path.join(run.workDir, f), "utf8") })),
    rates,
  );
  fs.writeFileSync(paths.resultJson, stringifyProtoJson(result, 2));
  const status = missing.length || problems.length ? "partial" : "collected";
  fs.writeFileSync(
    paths.collection,
    JSON.stringify({ status, job_state: "succeeded", missing, problems, collected_at: "2026-11-28T10:05:00.000Z" }),
  );
  const images = IMAGES.filter((i) => i.component !== "load-balancer" || name === "epp-stream");
  fs.writeFileSync(
    paths.metadata,
    JSON.stringify({
      benchmark: name,
      run_id: RUN,
      namespace: `${name}-${RUN}`,
      start_time: "2026-11-28T10:00:00.000Z",
      end_time: "2026-11-28T10:04:30.000Z",
      job_state: "succeeded",
      images,
      dashboard_url: "https://console.cloud.google.com/monitoring/dashboards/x",
    }),
  );
}

describe("results end to end, on the real LPG's files: results, report, slo, export", function () {
  this.timeout(240_000);
  let output: string;

  before(async function () {
    const runs = await realLpgRuns(lpgKit(this));
    output = tempDir("e2e-");
    const catalog = path.join(output, "catalog.pbtxt");
    fs.writeFileSync(catalog, CATALOG);
    const snapshot = runCli("manifests", ["--catalog", catalog, "--run-id", RUN, "--output", output]);
    assert.equal(snapshot.status, 0, snapshot.stderr);
    writeCollected(output, "svc", runs.head, [2, 4, 8]);
    writeCollected(output, "epp-stream", runs.streaming, [2, 4, 8]);
    writeCollected(output, "multi", runs.multiModel, [4, 8], { dropRate: 8 });
  });

  it("results --json: honest figures per rate, and each benchmark's missing and problems", () => {
    const result = runCli("results", ["--run-id", RUN, "--output", output, "--json"]);
    assert.equal(result.status, 0, result.stderr);
    const byName = Object.fromEntries(JSON.parse(result.stdout).benchmarks.map((b: any) => [b.name, b]));
    assert.deepEqual([byName.svc.status, byName.svc.missing, byName.svc.problems], ["collected", [], []]);
    assert.deepEqual([byName.multi.status, byName.multi.missing], ["partial", ["rate 8.0: no result file"]]);
    const stream = byName["epp-stream"].result.stats[1];
    assert.equal(stream.load_generator, "lpg");
    assert.equal(stream.ntpot.name, "normalized_time_per_output_token_ms");
    assert.ok(stream.ttft.p90 > 1 && stream.ttft.p90 < 1000, "TTFT in ms, not seconds");
    assert.equal(stream.tpot, undefined);
    assert.ok(byName.multi.result.stats[0].errors[0].count > 0);
  });

  it(
    "report: curves and rate charts drawn with the right data and labels, the SLO capacity marked, " +
      "provenance from metadata.json and the snapshot",
    async function () {
      const result = runCli("report", [
        "--run-id",
        RUN,
        "--output",
        output,
        "--slo",
        "request_latency_p99<=60000ms",
        "--gpu-hour-price",
        "nvidia-h100-80gb=10",
      ]);
      assert.equal(result.status, 0, result.stderr);
      const store = await openStore(path.join(output, "results.db"));
      const primary = { runId: RUN, benchmarks: await store.benchmarks(RUN), stats: await store.stats(RUN) };
      await store.close();
      const capacities = primary.benchmarks.map((b) => ({ name: b.name, max_rate: b.name === "multi" ? null : 8 }));
      const expected = chartData(primary, [], {
        slo: { slo: { expression: "", preset: null, terms: [] }, capacities: capacities as any },
      });
      const ids = expected.map((c) => c.id);
      for (const id of [
        "curve-ttft-p90",
        "curve-ntpot-p50",
        "curve-latency-p99",
        "output-throughput",
        "throughput-per-gpu",
        "successful-rps",
        "itl-p90",
        "success",
        "failed-requests",
      ])
        assert.ok(ids.includes(id), id);
      assert.ok(!ids.includes("tpot-p90"), "no chart of a TPOT nobody measured");
      const ttft = expected.find((c) => c.id === "curve-ttft-p90")!;
      assert.deepEqual(
        ttft.series.map((s) => s.name),
        ["epp-stream"],
        "TTFT only where the LPG streamed",
      );
      assert.deepEqual(
        [ttft.title, ttft.x.label, ttft.y.label, ttft.y.unit],
        ["Output tokens/s against TTFT p90", "TTFT (time to first token) p90", "output throughput", "tokens/s"],
      );
      const perGpu = expected.find((c) => c.id === "throughput-per-gpu")!.series.find((s) => s.name === "svc")!;
      const output8 = primary.stats.find((s) => s.name === "svc" && s.request_rate === 8)!.output_tokens_per_second!;
      assert.deepEqual(perGpu.points[2], [8, output8 / 2], "2 replicas × TP 1");
      const page = await openReport(this, path.join(output, RUN, "report.html"), expected);
      try {
        // (Whether the fake server's small run also looks saturated varies from run to run: only the SLO mark is fixed.)
        assert.deepEqual(
          page.marks("curve-ntpot-p90", "svc").filter(([name]) => name === "SLO capacity"),
          [
            [
              "SLO capacity",
              expected.find((c) => c.id === "curve-ntpot-p90")!.series.find((s) => s.name === "svc")!.points[2],
            ],
          ],
        );
        const provenance = await page.text("#provenance");
        assert.match(
          provenance,
          /svc\s+2026-11-28T10:00:00.000Z → 2026-11-28T10:04:30.000Z\s+nvidia-h100-80gb\s+2 × 1 = 2\s+vllm\s+k8s_service\s+lpg/,
        );
        assert.match(provenance, /epp-stream.*1 × 2 = 2/);
        assert.match(
          provenance,
          new RegExp(`registry.k8s.io/gateway-api-inference-extension/epp@sha256:${"ef".repeat(32)}`),
        );
        assert.match(provenance, /results\/metadata\.json/);
        assert.match(await page.text("#slo"), /svc\s+ok\s+8\.0/);
        assert.match(await page.text("#benchmark-multi"), /rate 8\.0: no result file/);
        assert.match(await page.text("#benchmark-multi"), /ServerDisconnectedError \d+/);
        assert.match(await page.text("#benchmark-multi .server-metrics"), /Model-server metrics \(\d+\)/);
        const server = await page.page.locator("#benchmark-multi .server-metrics").evaluate((e) => e.textContent ?? "");
        assert.match(server, /vllm:gpu_cache_usage_percfraction/);
        assert.match(server, /vllm:generation_tokens_totaltokens\/s/);
      } finally {
        await page.close();
      }
    },
  );

  it(
    "slo: the highest rate meeting every term, its throughput, GPUs and cost; says which figure is " +
      "missing instead of passing",
    async () => {
      const store = await openStore(path.join(output, "results.db"));
      const svc8 = (await store.statDetails(RUN)).find((d) => d.name === "svc" && d.request_rate === 8)!.stat;
      const svc = (await store.statDetails(RUN))
        .filter((d) => d.name === "svc")
        .map((d) => d.stat.request_latency!.p90!);
      await store.close();
      const loose = runCli("slo", [
        "--run-id",
        RUN,
        "--output",
        output,
        "--slo",
        `request_latency_p90<=${Math.ceil(Math.max(...svc)) + 1}ms,ntpot_p90<=10s`,
        "--gpu-hour-price",
        "nvidia-h100-80gb=9.5",
        "--json",
      ]);
      assert.equal(loose.status, 0, loose.stderr);
      const json = JSON.parse(loose.stdout);
      assert.equal(json.slo.terms.length, 2);
      assert.equal(json.slo.terms[1].limit_ms, 10000);
      const byName = Object.fromEntries(json.benchmarks.map((b: any) => [b.name, b]));
      assert.deepEqual(Object.keys(byName.svc).slice(0, 6), [
        "name",
        "status",
        "max_rate",
        "output_tokens_per_second",
        "gpus",
        "cost_per_million_output_tokens",
      ]);
      assert.deepEqual(
        [byName.svc.status, byName.svc.max_rate, byName.svc.gpus, byName.svc.output_tokens_per_second],
        ["ok", 8, 2, svc8.throughput!.mean],
      );
      assert.equal(
        byName.svc.cost_per_million_output_tokens,
        costPerMillionOutputTokens(2, 9.5, svc8.throughput!.mean!),
      );
      assert.ok(
        Math.abs(byName.svc.cost_per_million_output_tokens - ((2 * 9.5) / (svc8.throughput!.mean! * 3600)) * 1e6) <
          1e-9,
      );
      assert.equal(byName.multi.status, "no_rate_meets", "every rate had failed requests");
      assert.match(byName.multi.detail, /requests failed/);
      assert.equal(byName.multi.gpu_hour_price, 0.56, "the default L4 price from data/gpu-prices.yaml");
      const tight = JSON.parse(
        runCli("slo", ["--run-id", RUN, "--output", output, "--slo", "request_latency_p90<=0.001ms", "--json"]).stdout,
      );
      assert.equal(tight.benchmarks.find((b: any) => b.name === "svc").status, "no_rate_meets");
      const mlperf = runCli("slo", ["--run-id", RUN, "--output", output, "--preset", "mlperf-llama3.1-8b", "--json"]);
      const byPreset = Object.fromEntries(JSON.parse(mlperf.stdout).benchmarks.map((b: any) => [b.name, b]));
      assert.equal(byPreset.svc.status, "missing_figure");
      assert.match(byPreset.svc.detail, /ttft_p99 needs TTFT p99, which these results lack.*tpot_p99 needs TPOT p99/);
      assert.equal(
        byPreset["epp-stream"].status,
        "missing_figure",
        "streaming has TTFT, but the LPG writes no true TPOT",
      );
      assert.match(byPreset["epp-stream"].detail, /^tpot_p99 needs TPOT p99.*NTPOT/);
      assert.equal(byPreset.svc.max_rate, null);
      const text = runCli("slo", ["--run-id", RUN, "--output", output, "--slo", "ttft_p99<=2s"]);
      assert.equal(text.status, 0, text.stderr);
      assert.match(text.stdout, /^epp-stream +ok +8\.0/m);
    },
  );

  it("slo: bad input is one line on stderr naming the term, nothing on stdout, and nothing written", () => {
    const cases: Array<[{ slo?: string; preset?: string }, string[], RegExp]> = [
      [{ slo: "ttft_p99<=2" }, [], /^--slo: term 1 "ttft_p99<=2": give the limit's unit, ms or s/],
      [{ slo: "ttft_p99<=2s, ttft_p97<=2s" }, [], /^--slo: term 2 "ttft_p97<=2s": expected METRIC_PCT<=VALUE/],
      [{ slo: "foo_p90<=2s" }, [], /unknown metric "foo" \(one of request_latency, ttft, ntpot, tpot, itl\)/],
      [{ preset: "mlperf-nope" }, [], /^--preset: unknown preset "mlperf-nope" \(one of mlperf-llama2-70b, /],
      [{ slo: "ttft_p99<=2s" }, ["nvidia-l4"], /^--gpu-hour-price "nvidia-l4": expected ACCELERATOR=USD/],
      [
        { slo: "ttft_p99<=2s" },
        ["nvidia-l4=0"],
        /^--gpu-hour-price "nvidia-l4=0": expected ACCELERATOR=USD with a positive price/,
      ],
      [{}, [], /^give an SLO: --slo EXPR/],
    ];
    for (const [options, prices, pattern] of cases) {
      assert.throws(
        () => {
          resolveSlo(options);
          gpuHourPrices(prices);
        },
        (e: Error) => e instanceof UserError && pattern.test(e.message),
        JSON.stringify(options),
      );
    }
    assert.deepEqual(
      resolveSlo({ preset: "mlperf-llama3.1-8b", slo: "itl_p50<=.5s" }).terms.map((t) => t.term),
      ["ttft_p99<=2000ms", "tpot_p99<=100ms", "itl_p50<=500ms"],
    );
    assert.equal(gpuHourPrices(["nvidia-l4=1.25"])["nvidia-l4"], 1.25);
    // The command: one line on stderr, exit 1, nothing on stdout, no database or folder created.
    const empty = tempDir("slo-bad-");
    const result = runCli("slo", ["--run-id", RUN, "--output", empty, "--slo", "ttft_p99<=2"]);
    assert.deepEqual([result.status, result.stdout], [1, ""]);
    assert.equal(
      result.stderr,
      `error: --slo: term 1 "ttft_p99<=2": give the limit's unit, ms or s (e.g. ttft_p99<=2ms)\n`,
    );
    assert.deepEqual(fs.readdirSync(empty), [], "nothing written");
  });

  it(
    "export br-v0.2.1: one report per benchmark and rate, valid against llm-d's schema with no " +
      "undeclared field; NTPOT where NTPOT goes",
    async function () {
      const validate = brValidator(sharedDir(this));
      const result = runCli("export", ["--run-id", RUN, "--format", "br-v0.2.1", "--output", output]);
      assert.equal(result.status, 0, result.stderr);
      const dir = path.join(output, RUN, "export", "br-v0.2.1");
      const files = fs.readdirSync(dir).sort();
      assert.deepEqual(files, [
        "epp-stream-2.0qps.yaml",
        "epp-stream-4.0qps.yaml",
        "epp-stream-8.0qps.yaml",
        "multi-4.0qps.yaml",
        "svc-2.0qps.yaml",
        "svc-4.0qps.yaml",
        "svc-8.0qps.yaml",
      ]);
      assert.deepEqual(
        result.stdout.trim().split("\n"),
        files.map((f) => path.join(dir, f)),
      );
      for (const file of files) {
        const report = parseYaml(fs.readFileSync(path.join(dir, file), "utf8"));
        assert.ok(validate(report), `${file}: ${JSON.stringify(validate.errors)}`);
      }
      const store = await openStore(path.join(output, "results.db"));
      const stat = (await store.statDetails(RUN)).find((d) => d.name === "epp-stream" && d.request_rate === 4)!.stat;
      await store.close();
      const report = parseYaml(fs.readFileSync(path.join(dir, "epp-stream-4.0qps.yaml"), "utf8"));
      const latency = report.results.request_performance.aggregate.latency;
      assert.deepEqual(latency.normalized_time_per_output_token, {
        units: "ms/token",
        mean: stat.ntpot!.mean,
        stddev: stat.ntpot!.sd,
        min: stat.ntpot!.min,
        p50: stat.ntpot!.median,
        p90: stat.ntpot!.p90,
        p99: stat.ntpot!.p99,
        max: stat.ntpot!.max,
      });
      assert.equal(latency.time_per_output_token, undefined, "no TPOT was measured");
      assert.equal(latency.time_to_first_token.units, "ms");
      assert.equal(latency.time_to_first_token.p90, stat.ttft!.p90);
      assert.deepEqual(report.results.request_performance.aggregate.throughput.output_token_rate, {
        units: "tokens/s",
        mean: stat.throughput!.mean,
      });
      assert.equal(report.scenario.load.standardized.rate_qps, 4);
      assert.equal(report.scenario.load.standardized.tool, "latency-profile-generator");
      const [server, lb, epp] = report.scenario.stack;
      assert.deepEqual(
        [
          server.standardized.replicas,
          server.standardized.accelerator.count,
          server.standardized.accelerator.parallelism.tp,
        ],
        [1, 2, 2],
      );
      assert.equal(server.standardized.tool_version, IMAGES[1].image_id, "the digest that ran");
      assert.equal(server.native.args["--tensor-parallel-size"], "2");
      assert.equal(lb.standardized.gateway_class, "inference-bench-envoy");
      assert.equal(epp.standardized.tool_version, IMAGES[2].image_id);
      assert.match(String(epp.native.args["--pool-name"]), /model-server-pool/);
      const multi = parseYaml(fs.readFileSync(path.join(dir, "multi-4.0qps.yaml"), "utf8"));
      assert.ok(multi.results.request_performance.aggregate.requests.failures > 0);
      assert.deepEqual(Object.keys(multi.results.observability.components[0].aggregate).sort(), [
        "gpu_cache_usage",
        "running_requests",
        "waiting_requests",
      ]);
      assert.doesNotMatch(fs.readFileSync(path.join(dir, "svc-2.0qps.yaml"), "utf8"), /HF_TOKEN|hf_/, "no secret");
    },
  );

  it("export csv: one row per benchmark and rate, every column named with its unit", () => {
    const result = runCli("export", ["--run-id", RUN, "--format", "csv", "--output", output]);
    assert.equal(result.status, 0, result.stderr);
    const file = path.join(output, RUN, "export", "stats.csv");
    assert.equal(result.stdout.trim(), file);
    const [header, ...rows] = fs.readFileSync(file, "utf8").trimEnd().split("\r\n");
    const columns = header.split(",");
    assert.equal(rows.length, 7);
    // NTPOT and TPOT are per token: ms/token, as the br-v0.2.1 export writes them (issue 19).
    for (const name of [
      "request_rate (QPS; inf = all at once)",
      "output_tokens_per_second (tokens/s)",
      "ntpot_p90 (ms/token)",
      "tpot_p90 (ms/token)",
      "ttft_p99 (ms)",
      "successful_requests_per_second (requests/s)",
      "failed_requests (requests)",
      "gpus (count)",
    ])
      assert.ok(columns.includes(name), name);
    const svc8 = rows
      .map((r) => r.split(","))
      .find((r) => r[0] === "svc" && r[columns.indexOf("request_rate (QPS; inf = all at once)")] === "8")!;
    assert.equal(svc8[columns.indexOf("tpot_p90 (ms/token)")], "", "TPOT empty for the LPG");
    assert.ok(Number(svc8[columns.indexOf("ntpot_p90 (ms/token)")]) > 0);
    const bad = runCli("export", ["--run-id", RUN, "--format", "pdf", "--output", output]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /argument 'pdf' is invalid. Allowed choices are br-v0.2.1, csv/);
  });
});
