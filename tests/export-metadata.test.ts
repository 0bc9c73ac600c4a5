// Honest metadata, recomputed against llm-d-benchmark's own converter to Benchmark Report v0.2.1
// (github.com/llm-d/llm-d-benchmark at 8bc9f1dd, llmdbenchmark/analysis/benchmark_report/:
// native_to_br0_2.py config_hash and import_inference_perf, native_to_br0_2_1.py _stats):
// - cfg_id = sha256(json.dumps(<the workload's load-generator config>, sort_keys=True)), here
//   checked against Python itself on the same file;
// - source "random" for random and shared_prefix data, "sampled" for other data;
// - prefix {prefix_len fixed = system_prompt_len, num_groups, num_users_per_group = num_prompts_per_group, num_prefixes 1}
//   and multi_turn {enabled: true} with enable_multi_turn_chat;
// - every percentile inference-perf writes (p0.1 … p99.9) kept, as p0p1 … p99p9.
// And the CSV: NTPOT, TPOT and ITL in ms/token as in the export, goodput's denominator named.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseAllDocuments, parseDocument, parse as parseYaml } from "yaml";
import { configHash } from "../lib/export/br";
import { prepareRun } from "../lib/plan/prepare";
import { benchmarkPaths } from "../lib/snapshot/layout";
import { writeSnapshots } from "../lib/snapshot/snapshot";
import { runCli, sharedDir, tempDir } from "./helpers";
import { brValidator } from "./report-helpers";

const RUN = "meta0001";

/** llm-d's config_hash, run by Python on a YAML file (yaml.safe_load, as llm-d loads the harness config). */
function pythonConfigHash(context: Mocha.Context, file: string): string {
  const script =
    "import sys, json, yaml, " +
    "hashlib\nprint(hashlib.sha256(json.dumps(yaml.safe_load(open(sys.argv[1])), " +
    "sort_keys=True).encode('utf-8')).hexdigest())";
  const result = spawnSync("python3", ["-c", script, file], { encoding: "utf8" });
  if (result.status !== 0) {
    const reason =
      `python3 with PyYAML is needed to recompute llm-d's config_hash (apt-get install ` +
      `python3-yaml): ${result.stderr}`;
    if (process.env.CI) throw new Error(reason);
    console.log(`      skipped: ${reason}`);
    context.skip();
  }
  return result.stdout.trim();
}

const CATALOG = `
benchmarks { name: "ip-random" config { model_server { sim { model: "fake/tiny-model" } replicas: 1 } load_balancer { k8s_service {} }
  benchmark_tool { inference_perf { request_rates: "5,10" stage_duration_seconds: 10 random { input { min: 50 max: 200 mean: 100 std_dev: 30 } output { min: 10 max: 60 mean: 30 std_dev: 10 } } goodput { ttft_ms: 30 tpot_ms: 6 request_latency_ms: 250 } } } } }
benchmarks { name: "ip-prefix" config { model_server { sim { model: "fake/tiny-model" } replicas: 1 } load_balancer { k8s_service {} }
  benchmark_tool { inference_perf { load_type: "poisson" request_rates: "8,16" stage_duration_seconds: 10 api: "chat" shared_prefix { num_groups: 4 num_prompts_per_group: 5 system_prompt_len: 200 question_len: 40 output_len: 30 multi_turn: true } } } } }
benchmarks { name: "ip-plain" config { model_server { sim { model: "fake/tiny-model" } replicas: 1 } load_balancer { k8s_service {} }
  benchmark_tool { inference_perf { request_rates: "10" stage_duration_seconds: 10 streaming: false } } } }
benchmarks { name: "ip-synthetic" config { model_server { sim { model: "fake/tiny-model" } replicas: 1 } load_balancer { k8s_service {} }
  benchmark_tool { inference_perf { request_rates: "5,10" stage_duration_seconds: 8 synthetic {} } } } }
`;

const RUNS: Record<string, string> = {
  "ip-random": "a-constant-2stage-random-completion-stream",
  "ip-prefix": "b-poisson-shared-prefix-chat",
  "ip-synthetic": "d-prometheus-synthetic-gcs",
  "ip-plain": "c-failures-20pct",
  // A report folder with no snapshot: its saved config.yaml is all there is.
  "ip-bare": "a-constant-2stage-random-completion-stream",
};

function reportFolder(runDir: string): string {
  const found = [runDir, ...fs.readdirSync(runDir).map((e) => path.join(runDir, e))].find(
    (d) => fs.statSync(d).isDirectory() && fs.readdirSync(d).includes("stage_0_lifecycle_metrics.json"),
  );
  assert.ok(found, runDir);
  return found;
}

describe("export: metadata as llm-d's converter computes it (llm-d-benchmark 8bc9f1dd)", function () {
  this.timeout(120_000);
  let output: string;
  let reports: Record<string, Record<string, any>>;
  let runsDir: string;

  before(function () {
    runsDir = path.join(sharedDir(this), "reference", "inference-perf", "runs");
    output = tempDir("meta-");
    const catalog = path.join(output, "meta.pbtxt");
    fs.writeFileSync(catalog, CATALOG);
    writeSnapshots(
      prepareRun({ catalogs: [catalog], runId: RUN, outputDir: output }).flatMap((p) => p.files),
      false,
    );
    for (const [name, run] of Object.entries(RUNS))
      fs.cpSync(reportFolder(path.join(runsDir, run)), benchmarkPaths(output, RUN, name).resultsInferencePerfDir, {
        recursive: true,
      });
    const result = runCli("export", ["--run-id", RUN, "--format", "br-v0.2.1", "--output", output]);
    assert.equal(result.status, 0, result.stderr);
    const dir = path.join(output, RUN, "export", "br-v0.2.1");
    reports = Object.fromEntries(
      fs.readdirSync(dir).map((f) => [f.replace(/\.yaml$/, ""), parseYaml(fs.readFileSync(path.join(dir, f), "utf8"))]),
    );
  });

  it("writes reports llm-d's schema accepts, with no undeclared field", function () {
    const validate = brValidator(sharedDir(this));
    assert.equal(Object.keys(reports).length, 9);
    for (const [name, report] of Object.entries(reports))
      assert.ok(validate(report), `${name}: ${JSON.stringify(validate.errors)}`);
  });

  it(
    "cfg_id hashes each workload's own config.yml as llm-d's config_hash does (Python's own " +
      "json.dumps on the same file), so different workloads never share one",
    function () {
      const ids: Record<string, string> = {};
      for (const name of ["ip-random", "ip-prefix", "ip-synthetic"]) {
        // The config.yml the load generator read: the snapshot's ConfigMap entry.
        const manifest = fs.readFileSync(benchmarkPaths(output, RUN, name).manifest("load-generator"), "utf8");
        const configMap = parseAllDocuments(manifest)
          .map((d) => d.toJS())
          .find((o) => o?.kind === "ConfigMap" && o.data?.["config.yml"]);
        const file = path.join(tempDir("cfg-"), "config.yml");
        fs.writeFileSync(file, configMap.data["config.yml"]);
        ids[name] = pythonConfigHash(this, file);
        assert.equal(
          reports[`${name}-5.0qps`]?.scenario.load.metadata.cfg_id ??
            reports[`${name}-8.0qps`].scenario.load.metadata.cfg_id,
          ids[name],
          name,
        );
      }
      // The same workload at each of its rates shares one id; different workloads never do.
      assert.equal(
        reports["ip-random-5.0qps"].scenario.load.metadata.cfg_id,
        reports["ip-random-10.0qps"].scenario.load.metadata.cfg_id,
      );
      assert.equal(new Set(Object.values(ids)).size, 3);
      // Without a snapshot: the config.yaml inference-perf saved, hashed the same way.
      const saved = path.join(reportFolder(path.join(runsDir, RUNS["ip-bare"])), "config.yaml");
      assert.equal(reports["ip-bare-5.0qps"].scenario.load.metadata.cfg_id, pythonConfigHash(this, saved));
      assert.deepEqual(
        reports["ip-bare-5.0qps"].scenario.load.native.config,
        parseYaml(fs.readFileSync(saved, "utf8")),
      );
    },
  );

  it("hashes numbers as Python writes them (integers, floats, exponents, non-ASCII escaped)", function () {
    const value = {
      b: [1, 2.5, 100.0, 1e-5, 1.5e16, 1e100, 0.1 + 0.2],
      a: "héllo\u007f",
      c: null,
      d: true,
      e: { z: 1, y: BigInt(3) },
    };
    const file = path.join(tempDir("cfg-"), "value.yaml");
    fs.writeFileSync(
      file,
      'b: [1, 2.5, 100.0, 1.0e-5, 1.5e+16, 1.0e+100, 0.30000000000000004]\na: "héllo\\x7f"\nc: ' +
        "null\nd: true\ne: {z: 1, y: 3}\n",
    );
    assert.equal(
      configHash(parseDocument(fs.readFileSync(file, "utf8"), { intAsBigInt: true }).toJS()),
      pythonConfigHash(this, file),
    );
    assert.notEqual(configHash(value), configHash({ ...value, d: false }));
  });

  it(
    "source: random for random and shared-prefix data, sampled for the rest; prefix and multi_turn " +
      "from the shared-prefix config",
    () => {
      const load = (name: string) => reports[name].scenario.load.standardized;
      assert.equal(load("ip-random-5.0qps").source, "random");
      assert.equal(load("ip-prefix-8.0qps").source, "random");
      assert.equal(load("ip-synthetic-5.0qps").source, "sampled");
      assert.deepEqual(load("ip-prefix-16.0qps").prefix, {
        prefix_len: { distribution: "fixed", value: 200 },
        num_groups: 4,
        num_users_per_group: 5,
        num_prefixes: 1,
      });
      assert.deepEqual(load("ip-prefix-16.0qps").multi_turn, { enabled: true });
      assert.equal(load("ip-random-5.0qps").prefix, undefined);
      assert.equal(load("ip-random-5.0qps").multi_turn, undefined);
    },
  );

  it("keeps every percentile inference-perf reports, p0.1 to p99.9, under llm-d's names", () => {
    const stage = JSON.parse(
      fs.readFileSync(
        path.join(reportFolder(path.join(runsDir, RUNS["ip-random"])), "stage_0_lifecycle_metrics.json"),
        "utf8",
      ),
    );
    const ttft = reports["ip-random-5.0qps"].results.request_performance.aggregate.latency.time_to_first_token;
    const names: Array<[string, string]> = [
      ["p0.1", "p0p1"],
      ["p1", "p1"],
      ["p5", "p5"],
      ["p10", "p10"],
      ["p25", "p25"],
      ["median", "p50"],
      ["p75", "p75"],
      ["p90", "p90"],
      ["p95", "p95"],
      ["p99", "p99"],
      ["p99.9", "p99p9"],
    ];
    for (const [theirs, ours] of names) {
      assert.ok(
        Math.abs(ttft[ours] - stage.successes.latency.time_to_first_token[theirs] * 1000) < 1e-6,
        `${ours}: ${ttft[ours]}`,
      );
    }
    const input = reports["ip-random-5.0qps"].results.request_performance.aggregate.requests.input_length;
    for (const [theirs, ours] of names) assert.equal(input[ours], stage.successes.prompt_len[theirs], ours);
  });

  it("the CSV gives NTPOT, TPOT and ITL in ms/token as the export does, and says what goodput % is a share of", () => {
    const result = runCli("export", ["--run-id", RUN, "--format", "csv", "--output", output]);
    assert.equal(result.status, 0, result.stderr);
    const header = fs
      .readFileSync(path.join(output, RUN, "export", "stats.csv"), "utf8")
      .split("\r\n")[0]
      .split(",");
    for (const figure of ["ntpot", "tpot", "itl"])
      for (const p of ["mean", "p50", "p90", "p99"])
        assert.ok(header.includes(`${figure}_${p} (ms/token)`), `${figure}_${p}`);
    for (const p of ["mean", "p50", "p90", "p99"])
      assert.ok(header.includes(`request_latency_${p} (ms)`) && header.includes(`ttft_${p} (ms)`));
    assert.ok(header.includes("goodput_percentage (% of successful requests)"), header.join("\n"));
    // The export's units for the same figures (llm-d's Units: ms/token).
    const latency = reports["ip-random-5.0qps"].results.request_performance.aggregate.latency;
    assert.deepEqual(
      [
        latency.normalized_time_per_output_token.units,
        latency.time_per_output_token.units,
        latency.inter_token_latency.units,
      ],
      ["ms/token", "ms/token", "ms/token"],
    );
  });

  it(
    "slo names the load generator that lacks a figure: inference-perf without streaming has no " + "TTFT, TPOT or ITL",
    () => {
      const result = runCli("slo", [
        "--run-id",
        RUN,
        "--output",
        output,
        "--slo",
        "ttft_p99<=2s,tpot_p90<=50ms",
        "--json",
      ]);
      assert.equal(result.status, 0, result.stderr);
      const plain = JSON.parse(result.stdout).benchmarks.find((b: { name: string }) => b.name === "ip-plain");
      assert.equal(plain.status, "missing_figure");
      assert.match(
        plain.detail,
        /ttft_p99 needs TTFT p99, which these results lack \(inference-perf writes TTFT only when it streams \(streaming: true\)\)/,
      );
      assert.match(
        plain.detail,
        /tpot_p90 needs TPOT p90, which these results lack \(inference-perf writes TPOT only when it streams/,
      );
      assert.doesNotMatch(plain.detail, /LPG/);
    },
  );
});
