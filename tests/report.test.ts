import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { chromium } from "playwright-core";
import { percentChange, saturationRate } from "../lib/report/analysis";
import { compareRuns } from "../lib/report/compare";
import { chartData } from "../lib/report/html";
import { listRunBenchmarks } from "../lib/results/run-results";
import { benchmarkPaths } from "../lib/snapshot/layout";
import { importRuns } from "../lib/store/import";
import { ResultStore, type StatRow } from "../lib/store/store";
import { PROJECT_ROOT, runCli, tempDir } from "./helpers";
import { generation1, resultFileName } from "./lpg-fixtures";

const RATES = [10, 20, 40, 80, 160];

/**
 * SYNTHETIC curves: throughput grows with the rate until `knee` QPS, then stays flat while
 * p90 latency climbs — the shape of a saturating model server.
 */
function curve(rate: number, knee: number, scale: number) {
  const effective = Math.min(rate, knee);
  return { throughput: effective * 180 * scale, p90: rate <= knee ? 1500 + rate * 2 : 1500 + knee * 2 + (rate - knee) * 80 };
}

/** Writes a run on disk in the original tool's layout (results/json only), from synthetic LPG files. */
function writeRun(outputDir: string, runId: string, benchmarks: Array<{ name: string; knee: number; scale?: number }>): void {
  for (const b of benchmarks) {
    const paths = benchmarkPaths(outputDir, runId, b.name);
    fs.mkdirSync(paths.resultsJsonDir, { recursive: true });
    fs.writeFileSync(paths.benchmarkPbtxt, `name: "${b.name}"\nconfig { model_server { accelerator: "nvidia-h100-80gb" replicas: 2 vllm { model: "m" } } load_balancer { k8s_service {} } benchmark_tool { lpg { request_rates: "${RATES.join(",")}" } } }\n`);
    for (const rate of RATES) {
      const json = JSON.parse(generation1(rate, "m"));
      const { throughput, p90 } = curve(rate, b.knee, b.scale ?? 1);
      json.metrics.throughput = throughput;
      json.metrics.p90_latency = p90;
      fs.writeFileSync(path.join(paths.resultsJsonDir, resultFileName(rate, "m")), JSON.stringify(json));
    }
  }
}

describe("report: analysis", () => {
  it("finds the saturation point where throughput stops growing while latency climbs", () => {
    const rows = RATES.map((rate) => ({ request_rate: rate, output_tokens_per_second: curve(rate, 40, 1).throughput, latency_p90_ms: curve(rate, 40, 1).p90 }));
    assert.equal(saturationRate(rows), 40);
    const linear = RATES.map((rate) => ({ request_rate: rate, output_tokens_per_second: rate * 100, latency_p90_ms: 1000 }));
    assert.equal(saturationRate(linear), undefined);
    assert.equal(percentChange(100, 90), -10);
    assert.equal(percentChange(0, 5), null);
  });
});

describe("report: results database", () => {
  it("imports runs (including the original tool's layout) idempotently and answers the four questions", () => {
    const output = tempDir();
    writeRun(output, "runa0001", [{ name: "svc", knee: 40 }, { name: "epp", knee: 80 }]);
    writeRun(output, "runb0002", [{ name: "svc", knee: 40, scale: 0.9 }]);
    const store = new ResultStore(path.join(output, "results.db"));
    assert.deepEqual(importRuns(store, output), ["runa0001", "runb0002"]);
    importRuns(store, output);
    assert.deepEqual(store.runs().map((r) => [r.run_id, r.benchmarks]), [["runa0001", 2], ["runb0002", 1]]);
    assert.deepEqual(store.benchmarks("runa0001").map((b) => [b.name, b.status, b.accelerator, b.load_balancer]), [["epp", "collected", "nvidia-h100-80gb", "k8s_service"], ["svc", "collected", "nvidia-h100-80gb", "k8s_service"]]);
    assert.deepEqual(store.stats("runa0001", "svc").map((s) => s.request_rate), RATES);
    assert.equal(store.stats("runa0001").length, 10, "re-importing replaced rows rather than adding them");
    assert.deepEqual(store.acrossRuns("svc").map((s) => s.run_id), [...RATES.map(() => "runa0001"), ...RATES.map(() => "runb0002")]);
    store.close();
  });
});

describe("report: compare", () => {
  it("computes per-rate deltas and flags regressions beyond the threshold", () => {
    const row = (name: string, rate: number, tokens: number, p90: number): StatRow => ({
      run_id: "x", name, request_rate: rate, output_tokens_per_second: tokens, requests_per_second: null, latency_mean_ms: null, latency_p50_ms: null,
      latency_p90_ms: p90, latency_p99_ms: null, tpot_mean_ms: null, tpot_p90_ms: null, ttft_p50_ms: null, ttft_p90_ms: null, input_length_mean: null,
      output_length_mean: null, prompts_attempted: 100, prompts_succeeded: 100, benchmark_time_seconds: null,
    });
    const { deltas, unmatched } = compareRuns([row("a", 10, 1000, 100), row("a", 20, 2000, 200), row("gone", 1, 1, 1)], [row("a", 10, 980, 104), row("a", 20, 1500, 300)], 5);
    assert.deepEqual(deltas.map((d) => [d.rate, d.throughput, d.regressions]), [[10, -2, []], [20, -25, ["throughput -25.0%", "p90 latency +50.0%"]]]);
    assert.deepEqual(unmatched, ["gone: only in run A"]);
  });

  it("CLI: prints deltas and exits 1 on a regression with --fail-on-regression", () => {
    const output = tempDir();
    writeRun(output, "runa0001", [{ name: "svc", knee: 40 }]);
    writeRun(output, "runb0002", [{ name: "svc", knee: 40, scale: 0.9 }]);
    const ok = runCli("compare", ["--run-id", "runa0001", "--run-id", "runb0002", "--output", output]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /^svc +10\.0 +-10\.0% +\+0\.0%/m);
    const gate = runCli("compare", ["--run-id", "runa0001", "--run-id", "runb0002", "--output", output, "--fail-on-regression", "5"]);
    assert.equal(gate.status, 1);
    assert.match(gate.stdout, /REGRESSION: throughput -10\.0%/);
    assert.match(gate.stdout, /5 regression\(s\) beyond 5%/);
    const lenient = runCli("compare", ["--run-id", "runa0001", "--run-id", "runb0002", "--output", output, "--fail-on-regression", "15"]);
    assert.equal(lenient.status, 0);
    const bad = runCli("compare", ["--run-id", "runa0001", "--output", output]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /exactly two runs/);
  });
});

describe("report: HTML in a real browser", function () {
  this.timeout(120_000);

  it("opens with no network and no console errors, and every chart draws the expected series and points", async function () {
    const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
    if (!fs.existsSync(executablePath)) {
      const reason = `no Chromium at ${executablePath} (apt-get install chromium, or set CHROMIUM)`;
      if (process.env.CI) throw new Error(reason);
      console.log(`      skipped: ${reason}`);
      this.skip();
    }
    const output = tempDir();
    writeRun(output, "runa0001", [{ name: "svc", knee: 40 }, { name: "epp", knee: 80, scale: 1.1 }]);
    writeRun(output, "runb0002", [{ name: "svc", knee: 40, scale: 0.9 }]);
    const result = runCli("report", ["--run-id", "runa0001", "--compare", "runb0002", "--output", output]);
    assert.equal(result.status, 0, result.stderr);
    const file = path.join(output, "runa0001", "report.html");
    assert.equal(result.stdout.trim(), file);
    const html = fs.readFileSync(file, "utf8");
    assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=["']?http/, "nothing is loaded from elsewhere");

    const store = new ResultStore(path.join(output, "results.db"));
    const load = (runId: string) => ({ runId, benchmarks: store.benchmarks(runId), stats: store.stats(runId) });
    const expected = chartData(load("runa0001"), [load("runb0002")]);
    store.close();
    assert.deepEqual(expected.find((c) => c.id === "output-throughput")!.series.map((s) => [s.name, s.saturation?.[0]]), [["epp @ runa0001", 80], ["svc @ runa0001", 40], ["svc @ runb0002", 40]]);

    const browser = await chromium.launch({ executablePath, args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"] });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      const requests: string[] = [];
      page.on("console", (message) => message.type() === "error" && errors.push(message.text()));
      page.on("pageerror", (error) => errors.push(error.message));
      page.on("request", (request) => !request.url().startsWith("file:") && requests.push(request.url()));
      await page.goto(`file://${file}`);
      await page.waitForFunction((count) => document.querySelectorAll('.chart[data-rendered="true"]').length === count, expected.length);
      const drawn = await page.evaluate(() =>
        [...document.querySelectorAll<HTMLElement>(".chart")].map((element) => {
          const option = (window as any).echarts.getInstanceByDom(element).getOption();
          return { id: element.dataset.chart, series: option.series.map((s: any) => ({ name: s.name, points: s.data, saturation: s.markPoint?.data?.[0]?.coord })) };
        }));
      assert.deepEqual(errors, []);
      assert.deepEqual(requests, []);
      assert.deepEqual(drawn.map((c) => c.id), expected.map((c) => c.id));
      for (const chart of expected) {
        const got = drawn.find((c) => c.id === chart.id)!;
        assert.deepEqual(got.series.map((s: any) => s.name), chart.series.map((s) => s.name), chart.id);
        for (const [i, series] of chart.series.entries()) {
          assert.deepEqual(got.series[i].points, series.points, `${chart.id} ${series.name}`);
          assert.deepEqual(got.series[i].saturation, series.saturation, `${chart.id} ${series.name} saturation`);
        }
      }
      assert.equal(await page.locator("#benchmark-svc .sat").count(), 1, "the table marks the saturation rate");
      const artifacts = path.join(PROJECT_ROOT, "tests", ".artifacts");
      fs.mkdirSync(artifacts, { recursive: true });
      await page.screenshot({ path: path.join(artifacts, "report.png"), fullPage: true });
    } finally {
      await browser.close();
    }
  });
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
