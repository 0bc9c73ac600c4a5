// Every figure lib/tool-output/lpg.ts reads, checked against files the real Latency Profile Generator
// wrote (AI-Hypercomputer/inference-benchmark at 07628c9 and c29b163, run from
// ../shared/reference/lpg against its fake server). The expected values come from the raw JSON
// by the meaning benchmark_serving.py gives each key (print_and_save_result, save_json_results,
// print_metrics), and from what the tool printed to its stdout (latency-profile-*.txt).
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { achievedRate } from "../lib/tool-output/load-fidelity";
import { parseLpgResult } from "../lib/tool-output/lpg";
import { checkStats, resultFromFiles } from "../lib/tool-output/tool-results";
import type { Stat } from "../proto/benchmark-types";
import { type LpgRuns, MODEL, realLpgRuns, SECOND_MODEL } from "./lpg-runs";
import { lpgKit } from "./real-lpg";

type Raw = Record<string, any>;

function raw(workDir: string, file: string): Raw {
  return JSON.parse(fs.readFileSync(path.join(workDir, file), "utf8").replace(/\bNaN\b/g, "null")).metrics;
}

function parsed(workDir: string, file: string) {
  return parseLpgResult(file, fs.readFileSync(path.join(workDir, file), "utf8"));
}

function filesOf(workDir: string, files: string[]) {
  return files.map((file) => ({ file, text: fs.readFileSync(path.join(workDir, file), "utf8") }));
}

/** The value after `label` in the tool's stdout for one model's block ("====Result for Model: X===="). */
function printed(text: string, model: string, label: string): number {
  const block = text.split("====Result for Model: ").find((b) => b.startsWith(`${model}====`));
  assert.ok(block, `no block for ${model}`);
  const match = new RegExp(`${label.replace(/[()/]/g, "\\$&")}: ([0-9.]+)`).exec(block);
  assert.ok(match, `no "${label}" for ${model}`);
  return Number(match[1]);
}

describe("results: the real LPG's files (both commits)", function () {
  this.timeout(180_000);
  let runs: LpgRuns;

  before(async function () {
    runs = await realLpgRuns(lpgKit(this));
  });

  it(
    "07628c9 streaming: latency and NTPOT in ms, TTFT and ITL converted from seconds, no TPOT, " +
      "per-minute token rates per second",
    () => {
      const { workDir, jsonFiles, txtFiles } = runs.streaming;
      const file = jsonFiles.find((f) => f.includes("-8.0qps-") && f.endsWith("-weighted.json"))!;
      const m = raw(workDir, file);
      const { stat, model } = parsed(workDir, file);
      assert.equal(model, "weighted");
      assert.equal(stat.load_generator, "lpg");
      assert.equal(stat.request_rate, 8);
      assert.deepEqual(stat.request_latency, {
        name: "request_latency_ms",
        unit: "ms",
        mean: m.avg_latency,
        median: m.median_latency,
        sd: m.sd_latency,
        min: m.min_latency,
        max: m.max_latency,
        p90: m.p90_latency,
        p99: m.p99_latency,
      });
      assert.equal(stat.ntpot!.p90, m.p90_per_output_token_latency);
      assert.equal(stat.ntpot!.name, "normalized_time_per_output_token_ms");
      assert.equal(stat.ttft!.p99, m.p99_TTFT * 1000);
      assert.equal(stat.itl!.median, m.median_ITL * 1000);
      assert.equal(stat.tpot, undefined, "the LPG never writes a true TPOT");
      assert.equal(m.avg_TPOT, undefined);
      assert.equal(stat.throughput!.mean, m.throughput);
      assert.equal(stat.input_tokens_per_second, m.input_tokens_per_min / 60);
      assert.equal(stat.total_tokens_per_second, m.tokens_per_min / 60);
      assert.equal(stat.input_length!.mean, m.avg_input_len);
      assert.equal(stat.output_length!.p99, m.p99_output_len);
      // The tool's own stdout for that rate (rounded to 2 decimals there): TTFT in seconds, latency in ms.
      const txt = txtFiles
        .map((f) => fs.readFileSync(path.join(workDir, f), "utf8"))
        .find((t) => /request_rate=8\.0/.test(t))!;
      assert.ok(
        Math.abs(printed(txt, "weighted", "Average Time to First Token (s)") - stat.ttft!.mean! / 1000) < 0.006,
      );
      assert.ok(
        Math.abs(
          printed(txt, "weighted", "Average milliseconds/output_token (includes waiting time on server)") -
            stat.ntpot!.mean!,
        ) < 0.006,
      );
      assert.ok(Math.abs(printed(txt, "weighted", "Output_tokens/min") / 60 - stat.throughput!.mean!) < 0.01);
      // throughput_rps counts every attempt; successful_rps only successes; 07628c9 has no queries_per_second.
      assert.equal(stat.throughput_rps, m.throughput_rps);
      assert.equal(stat.successful_rps, m.num_prompts_succeeded / m.benchmark_time);
      assert.equal(stat.achieved_rate, undefined, "not the tool's figure: derived where it is used");
      assert.equal(achievedRate(stat), m.num_prompts_attempted / m.benchmark_time);
      // Its duration ends after the last response (benchmark_serving.py: gather() before benchmark_duration):
      // an undelivered rate says so.
      assert.match(
        checkStats([{ ...stat, request_rate: 1000 }])[0],
        /^rate 1000\.0: load not delivered: .*; its \d+\.\d s include up to \d+\.\d s waiting for the last responses$/,
      );
      assert.equal(stat.num_prompts_attempted, 16);
      assert.equal(stat.errors, undefined);
    },
  );

  it(
    "07628c9 model-server metrics: gauges with P95, histograms in seconds, counters with " +
      "sum/rate/increase and their mislabelled P95 kept as the median",
    () => {
      const { workDir, jsonFiles } = runs.streaming;
      const file = jsonFiles.find((f) => f.endsWith("-weighted.json"))!;
      const server = raw(workDir, file).server_metrics;
      const metrics = new Map(parsed(workDir, file).stat.model_server_metrics!.map((s) => [s.name, s]));
      const gauge = metrics.get("vllm:gpu_cache_usage_perc")!;
      assert.deepEqual(gauge, {
        name: "vllm:gpu_cache_usage_perc",
        unit: "fraction",
        mean: server["vllm:gpu_cache_usage_perc"].Mean,
        median: server["vllm:gpu_cache_usage_perc"].Median,
        sd: server["vllm:gpu_cache_usage_perc"].Sd,
        min: server["vllm:gpu_cache_usage_perc"].Min,
        max: server["vllm:gpu_cache_usage_perc"].Max,
        p90: server["vllm:gpu_cache_usage_perc"].P90,
        p95: server["vllm:gpu_cache_usage_perc"].P95,
        p99: server["vllm:gpu_cache_usage_perc"].P99,
      });
      const histogram = metrics.get("vllm:time_to_first_token_seconds")!;
      assert.equal(histogram.unit, "s");
      assert.equal(histogram.p95, server["vllm:time_to_first_token_seconds"].P95);
      assert.equal(histogram.min, undefined, "histogram_quantile(0, …) answered NaN: no figure, not 0");
      const counter = metrics.get("vllm:generation_tokens_total")!;
      const rawCounter = server["vllm:generation_tokens_total"];
      assert.equal(counter.unit, "tokens/s");
      assert.deepEqual(
        [counter.sum, counter.rate, counter.increase, counter.mean],
        [rawCounter.Sum, rawCounter.Rate, rawCounter.Increase, rawCounter.Mean],
      );
      assert.equal(counter.median, rawCounter.P95, "07628c9 queries quantile_over_time(0.5, …) under the name P95");
      assert.equal(counter.p95, undefined);
      assert.equal(metrics.get("vllm:request_success_total")!.unit, "requests/s");
    },
  );

  it("07628c9 without streaming (the seed's settings): no TTFT or ITL, one Stat per rate", () => {
    const { workDir, jsonFiles } = runs.plain;
    assert.deepEqual(
      jsonFiles.map((f) => f.replace(/-\d{8}-\d{6}-/, "-T-")),
      [
        `benchmark-catalog-vllm-4.0qps-T-${MODEL.replace("/", "-")}.json`,
        "benchmark-catalog-vllm-4.0qps-T-weighted.json",
      ],
    );
    const { result, missing } = resultFromFiles(filesOf(workDir, jsonFiles), [4]);
    assert.deepEqual(missing, []);
    const [stat] = result.stats!;
    assert.equal(stat.source_file, jsonFiles[1]);
    assert.equal(stat.ttft, undefined);
    assert.equal(stat.itl, undefined);
    assert.ok(
      stat.ntpot!.mean! > 0 && stat.request_latency!.mean! > stat.ntpot!.mean!,
      "NTPOT is latency ÷ output tokens",
    );
    assert.equal(stat.model_server_metrics, undefined);
  });

  it(
    "c29b163 with failures and two models: _ms keys, errors by type, successful vs attempted, " +
      "queries_per_second as the achieved rate",
    () => {
      const { workDir, jsonFiles, txtFiles } = runs.multiModel;
      const file = jsonFiles.find((f) => f.includes("-8.0qps-") && f.endsWith("-weighted.json"))!;
      const m = raw(workDir, file);
      const { stat } = parsed(workDir, file);
      assert.equal(stat.request_latency!.p90, m.p90_latency_ms);
      assert.equal(stat.ntpot!.p99, m.p99_normalized_time_per_output_token_ms);
      assert.equal(stat.ttft, undefined, "no streaming: no TTFT");
      assert.equal(stat.input_tokens_per_second, m.input_tokens_per_sec);
      assert.equal(stat.total_tokens_per_second, m.tokens_per_sec);
      assert.equal(stat.achieved_rate, m.queries_per_second);
      assert.equal(stat.throughput_rps, m.throughput_rps);
      assert.equal(stat.num_prompts_attempted, 16);
      const failed = stat.num_prompts_attempted! - stat.num_prompts_succeeded!;
      assert.ok(failed > 0, "FAIL_EVERY=5 made requests fail");
      assert.deepEqual(stat.errors, [{ type: "ServerDisconnectedError", count: failed }]);
      assert.equal(stat.successful_rps, stat.num_prompts_succeeded! / m.benchmark_time);
      const txt = txtFiles
        .map((f) => fs.readFileSync(path.join(workDir, f), "utf8"))
        .find((t) => /request_rate=8\.0/.test(t))!;
      assert.match(txt, new RegExp(`Successful/total requests: ${stat.num_prompts_succeeded}/16`));
      assert.ok(Math.abs(printed(txt, "weighted", "Queries/sec") - stat.achieved_rate!) < 0.006);
      // A per-model file counts only that model's successes as its attempts; its error counters hold the rest.
      const perModel = parsed(workDir, jsonFiles.find((f) => f.includes("-8.0qps-") && f.includes("other-model-b"))!);
      const perModelRaw = raw(workDir, perModel.stat.source_file!);
      assert.equal(perModelRaw.num_prompts_attempted, perModelRaw.num_prompts_succeeded);
      assert.equal(
        perModel.stat.num_prompts_attempted,
        perModelRaw.num_prompts_succeeded + perModelRaw.ServerDisconnectedError,
      );
      assert.equal(perModel.model, SECOND_MODEL);
      assert.equal(perModel.numModels, 2);
    },
  );

  it("c29b163 model-server metrics under vLLM V1: metrics V1 dropped are absent, counters' P95 is a real P95", () => {
    const { workDir, jsonFiles } = runs.multiModel;
    const file = jsonFiles.find((f) => f.endsWith("-weighted.json"))!;
    const server = raw(workDir, file).server_metrics;
    const metrics = new Map(parsed(workDir, file).stat.model_server_metrics!.map((s) => [s.name, s]));
    assert.equal(metrics.has("vllm:cpu_cache_usage_perc"), false);
    assert.equal(metrics.get("vllm:prompt_tokens_total")!.p95, server["vllm:prompt_tokens_total"].P95);
    assert.equal(metrics.get("vllm:prompt_tokens_total")!.median, undefined);
    assert.equal(metrics.get("vllm:num_requests_running")!.unit, "requests");
  });

  it("a multi-model rate whose weighted file is missing is a missing rate, not one model's figures", () => {
    const { workDir, jsonFiles } = runs.multiModel;
    const without8 = jsonFiles.filter((f) => !(f.includes("-8.0qps-") && f.endsWith("-weighted.json")));
    const { result, missing } = resultFromFiles(filesOf(workDir, without8), [4, 8]);
    assert.deepEqual(
      result.stats!.map((s: Stat) => [s.request_rate, s.source_file!.endsWith("-weighted.json")]),
      [[4, true]],
    );
    assert.deepEqual(missing, ["rate 8.0: no weighted file (only per-model files of a 2-model run)"]);
    // One model: its own file is the run's (07628c9 and c29b163 always write the weighted file too).
    const single = resultFromFiles(
      filesOf(
        runs.head.workDir,
        runs.head.jsonFiles.filter((f) => !f.endsWith("-weighted.json")),
      ),
      [2, 4, 8],
    );
    assert.deepEqual(single.missing, []);
    assert.deepEqual(
      single.result.stats!.map((s: Stat) => s.request_rate),
      [2, 4, 8],
    );
  });

  it("a rate with no successful request keeps its attempts and errors and drops the LPG's placeholder zeros", () => {
    const { workDir, jsonFiles } = runs.multiModel;
    const text = fs.readFileSync(path.join(workDir, jsonFiles.find((f) => f.endsWith("-weighted.json"))!), "utf8");
    const json = JSON.parse(text.replace(/\bNaN\b/g, "null"));
    // As c29b163 writes a rate where every request failed (get_stats_for_set of an empty list is all zeros).
    for (const key of Object.keys(json.metrics))
      if (/^(avg|median|sd|min|max|p90|p99)_/.test(key)) json.metrics[key] = 0;
    Object.assign(json.metrics, {
      num_prompts_succeeded: 0,
      ServerDisconnectedError: 0,
      ClientConnectorError: json.metrics.num_prompts_attempted,
      throughput: 0,
    });
    const { stat } = parseLpgResult("all-failed.json", JSON.stringify(json));
    assert.equal(stat.request_latency, undefined);
    assert.equal(stat.ntpot, undefined);
    assert.equal(stat.throughput!.mean, 0);
    assert.deepEqual(stat.errors, [{ type: "ClientConnectorError", count: json.metrics.num_prompts_attempted }]);
  });
});
