import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { resolveCatalogText } from "../lib/catalog/catalog";
import { collectBenchmark, jobState, waitForJob } from "../lib/collect/collect";
import { uploadBenchmark } from "../lib/collect/gcs";
import { CollectionError } from "../lib/errors";
import { WRAPPER_FILES } from "../lib/manifests/load-generator";
import type { ResultMetadata } from "../lib/results/record";
import { readBenchmarkState } from "../lib/results/status";
import { ResultsService } from "../lib/run/results-service";
import { benchmarkPaths } from "../lib/snapshot/layout";
import { parseResultLog } from "../lib/tool-output/log-archive";
import { parseLpgResult, statsPerRate } from "../lib/tool-output/lpg";
import { FakeBucket } from "./fake-gcs";
import { FakeKube, jobIn, pod } from "./fake-kube";
import { runCli, tempDir } from "./helpers";
import { generation1, generation2, resultFileName, wrapperLog } from "./lpg-fixtures";

const MODEL = "meta-llama/Llama-2-7b-hf";
const RUN = "r5000001";
const [BENCHMARK] = resolveCatalogText(
  `benchmarks { name: "sim-a" config {
  model_server { sim { model: "${MODEL}" } replicas: 1 } load_balancer { k8s_service {} }
  benchmark_tool { image: "lpg:v1" lpg { request_rates: "5,10,20" } } } }`,
  "results.pbtxt",
);
const NAMESPACE = `sim-a-${RUN}`;

describe("results: parsing LPG files", () => {
  it("accepts Python's NaN and Infinity (rate 0 runs at inf)", () => {
    const text = generation1(1, MODEL)
      .replace('"request_rate":1,', '"request_rate":Infinity,')
      .replace('"sd_latency":120', '"sd_latency":NaN');
    const { stat } = parseLpgResult("x.json", text);
    assert.equal(stat.request_rate, Infinity);
    assert.equal(stat.request_latency!.sd, undefined);
  });

  it("names a malformed file in a CollectionError and never crashes", () => {
    const cases: Array<[string, RegExp]> = [
      ["{not json", /bad\.json: not valid JSON/],
      ["[1, 2]", /bad\.json: expected a JSON object/],
      ['{"config": {}}', /bad\.json: no "metrics" object/],
      ['{"metrics": {"request_rate": 1}}', /bad\.json: no request latency figures/],
      ['{"metrics": {"avg_latency": 1}}', /bad\.json: no request rate/],
    ];
    for (const [text, pattern] of cases)
      assert.throws(
        () => parseLpgResult("bad.json", text),
        (e: Error) => e instanceof CollectionError && pattern.test(e.message),
      );
  });

  it("uses the weighted file for a rate when several models were served", () => {
    const { stats, missing } = statsPerRate(
      [
        parseLpgResult(resultFileName(5, "b"), generation1(5, "b")),
        parseLpgResult(
          resultFileName(5, "weighted"),
          generation1(5, "weighted").replace('"num_prompts_attempted":500', '"num_prompts_attempted":999'),
        ),
        parseLpgResult(resultFileName(2, "b"), generation1(2, "b")),
      ],
      [2, 5, 10],
    );
    assert.deepEqual(
      stats.map((s) => s.request_rate),
      [2, 5],
    );
    assert.equal(stats[1].num_prompts_attempted, 999);
    assert.deepEqual(missing, ["rate 10.0: no result file"]);
  });
});

/** Runs the real wrapper (sh + Python, as the Job does) around a fake latency_throughput_curve.sh. */
function runWrapper(
  files: Record<string, string>,
  behaviour: "finish-then-sleep" | "crash",
): { stdout: string; status: number | null } {
  const dir = tempDir("wrapper-");
  fs.writeFileSync(
    path.join(dir, "ShareGPT_V3_unfiltered_cleaned_split.json"),
    "[] # the dataset must never be shipped back",
  );
  const writes = Object.entries(files)
    .map(([name, content]) => `cat > '${name}' <<'EOF_FILE'\n${content}\nEOF_FILE`)
    .join("\n");
  const ending = behaviour === "finish-then-sleep" ? 'export LPG_FINISHED="true"\nsleep infinity' : "exit 3";
  fs.writeFileSync(
    path.join(dir, "latency_throughput_curve.sh"),
    `#!/bin/bash\nset -o xtrace\necho "Benchmarking request rate: 5"\n${writes}\n${ending}\n`,
    { mode: 0o755 },
  );
  for (const [name, text] of Object.entries(WRAPPER_FILES)) fs.writeFileSync(path.join(dir, name), text);
  const result = spawnSync("sh", ["run-benchmark.sh"], {
    cwd: dir,
    encoding: "utf8",
    timeout: 60_000,
    env: { ...process.env, LOAD_GENERATOR: "lpg", IP: "10.0.0.1", PORT: "8081", REQUEST_RATES: "5,10,20" },
  });
  return { stdout: result.stdout, status: result.status };
}

const ALL_FILES = Object.fromEntries(
  [5, 10, 20].flatMap((rate) => [
    [resultFileName(rate, MODEL), generation1(rate, MODEL)],
    [`latency-profile-2026-11-28_10-0${rate % 7}-00.txt`, `rate ${rate}\nAverage latency: 1.0 s`],
  ]),
);

describe("results: the load generator's wrapper script", function () {
  this.timeout(60_000);
  let complete: { stdout: string; status: number | null };

  before(() => {
    complete = runWrapper(ALL_FILES, "finish-then-sleep");
  });

  it("stops a finished LPG that sleeps forever, exits 0, and prints every result file intact", () => {
    assert.equal(complete.status, 0);
    const log = parseResultLog(complete.stdout);
    assert.equal(log.exitStatus, 0);
    assert.ok(log.finished);
    assert.deepEqual(log.files.map((f) => f.name).sort(), Object.keys(ALL_FILES).sort());
    for (const file of log.files) {
      assert.equal(file.problem, undefined, file.name);
      assert.equal(file.data.toString("utf8"), `${ALL_FILES[file.name]}\n`);
    }
    assert.match(log.toolLog, /Benchmarking request rate: 5/);
    assert.ok(!log.files.some((f) => f.name.startsWith("ShareGPT")), "the dataset is not shipped back");
  });

  it("keeps what a crashed LPG wrote and exits with its status", () => {
    const crashed = runWrapper({ [resultFileName(5, MODEL)]: generation1(5, MODEL) }, "crash");
    assert.equal(crashed.status, 3);
    const log = parseResultLog(crashed.stdout);
    assert.equal(log.exitStatus, 3);
    assert.equal(log.finished, false);
    assert.deepEqual(
      log.files.map((f) => f.name),
      [resultFileName(5, MODEL)],
    );
  });

  it("flags a file cut short or corrupted in the log", () => {
    const lines = complete.stdout.split("\n");
    const header = lines.findIndex((l) => l.startsWith("inference-bench:file benchmark-catalog"));
    lines[header + 1] = lines[header + 1].slice(0, 20);
    const log = parseResultLog(lines.join("\n"));
    assert.match(log.files.find((f) => f.problem)!.problem!, /arrived with \d+ of \d+ bytes/);
  });

  describe("the collector, against a fake API server", () => {
    let kube: FakeKube;
    let output: string;

    beforeEach(async function () {
      kube = new FakeKube();
      (this as Mocha.Context & { config?: unknown }).config = await kube.start();
      output = tempDir("collect-");
    });
    afterEach(() => kube.stop());

    const podsWith = (log: string, extra: Record<string, unknown> = {}) => {
      kube.pods.set(NAMESPACE, [
        pod(
          "benchmark-tool-x7k2p",
          { "job-name": "benchmark-tool", "app.kubernetes.io/component": "load-generator" },
          [["benchmark-tool", "lpg:v1", "docker.io/lpg@sha256:aaa"]],
          extra,
        ),
        pod(
          "model-server-deployment-1",
          { app: "model-server-deployment", "app.kubernetes.io/component": "model-server" },
          [["inference-server", "sim:v1", "ghcr.io/sim@sha256:bbb"]],
        ),
      ]);
      kube.logs.set("benchmark-tool-x7k2p", log);
    };
    const collect = (config: any, timeoutSeconds = 30) =>
      collectBenchmark({
        kubeConfig: config,
        benchmark: BENCHMARK,
        runId: RUN,
        namespace: NAMESPACE,
        paths: benchmarkPaths(output, RUN, "sim-a"),
        timeoutSeconds,
        dashboardUrl: "https://dash/1",
      });

    it(
      "waits for the Job with a watch (surviving a dropped watch), then collects every file, the " +
        "digests and a BenchmarkResult",
      async function () {
        const config = (this as any).config;
        kube.setJob(NAMESPACE, jobIn("running"));
        podsWith(complete.stdout);
        kube.dropWatches = 1;
        setTimeout(() => kube.setJob(NAMESPACE, jobIn("succeeded")), 1500);
        const record = await collect(config);
        assert.equal(record.status, "collected", JSON.stringify(record));
        assert.ok(
          kube.requests.filter((r) => r.endsWith("watch")).length >= 2,
          "the watch was re-established after the server dropped it",
        );
        const paths = benchmarkPaths(output, RUN, "sim-a");
        assert.equal(fs.readdirSync(paths.resultsJsonDir).length, 3);
        assert.equal(fs.readdirSync(paths.resultsTxtDir).length, 3);
        assert.match(fs.readFileSync(paths.toolLog, "utf8"), /Benchmarking request rate/);
        const metadata = JSON.parse(fs.readFileSync(paths.metadata, "utf8")) as ResultMetadata;
        assert.equal(metadata.start_time, "2026-11-28T10:00:00.000Z");
        assert.equal(metadata.dashboard_url, "https://dash/1");
        assert.deepEqual(metadata.images.map((i) => i.image_id).sort(), [
          "docker.io/lpg@sha256:aaa",
          "ghcr.io/sim@sha256:bbb",
        ]);
        const state = readBenchmarkState(paths);
        assert.deepEqual(
          state.result!.stats!.map((s) => s.request_rate),
          [5, 10, 20],
        );
        assert.match(fs.readFileSync(paths.resultPbtxt, "utf8"), /request_rate: 20/);
        assert.equal(fs.statSync(paths.resultJson).mode & 0o222, 0, "results are read-only");
      },
    );

    it(
      "scrubs the configured token's own value, shaped like no token, from everything the results " + "service writes",
      async function () {
        const config = (this as any).config;
        // A token that none of the collector's shape rules (hf_…, --token …, HF_TOKEN=…) would catch.
        const secret = "plainvalue4242secret";
        kube.setJob(NAMESPACE, jobIn("succeeded"));
        // As a pod log of a tool run without our wrapper's redaction would hold it: in the tool's output and in
        // a result file.
        podsWith(
          `+ huggingface-cli login --token-file ${secret}\n${wrapperLog([[resultFileName(5, MODEL), generation1(5, MODEL).replace(/}\s*$/, `, "note": "${secret}"}`)]])}`,
        );
        const settings = {
          runId: RUN,
          outputDir: output,
          kubeconfig: config.exportConfig(),
          waitForResults: false,
          knownSecrets: [secret],
        };
        const warnings: string[] = [];
        const service = new ResultsService(settings, { info: () => undefined, warn: (m) => warnings.push(m) });
        await service.collector(
          { benchmark: BENCHMARK, namespace: NAMESPACE, paths: benchmarkPaths(output, RUN, "sim-a") },
          Promise.resolve(undefined),
        )("after-job");
        const files = fs
          .readdirSync(output, { recursive: true, withFileTypes: true })
          .filter((e) => e.isFile())
          .map((e) => path.join(e.parentPath, e.name));
        assert.ok(
          files.some((f) => f.endsWith("benchmark-tool.log")) && files.some((f) => f.endsWith("results.db")),
          files.join(", "),
        );
        for (const file of files) assert.ok(!fs.readFileSync(file).includes(secret), `${file} holds the token`);
        assert.ok(
          warnings.some((w) => /secret/i.test(w)),
          "finding it is a problem worth a warning: the pod's log in the cluster holds it too",
        );
      },
    );

    it("keeps what a failed Job produced, names each missing rate, and marks the benchmark partial", async function () {
      const config = (this as any).config;
      kube.setJob(NAMESPACE, jobIn("failed"));
      podsWith(runWrapper({ [resultFileName(5, MODEL)]: generation1(5, MODEL) }, "crash").stdout);
      const record = await collect(config);
      assert.equal(record.status, "partial");
      assert.deepEqual(record.missing, ["rate 10.0: no result file", "rate 20.0: no result file"]);
      assert.match(record.problems.join(), /Job benchmark-tool failed: Job has reached the specified backoff limit/);
      assert.equal(fs.readdirSync(benchmarkPaths(output, RUN, "sim-a").resultsJsonDir).length, 1);
    });

    it("marks a benchmark whose Job succeeded but skipped a rate as partial", async function () {
      const config = (this as any).config;
      kube.setJob(NAMESPACE, jobIn("succeeded"));
      const files = { ...ALL_FILES };
      delete files[resultFileName(10, MODEL)];
      podsWith(runWrapper(files, "finish-then-sleep").stdout);
      const record = await collect(config);
      assert.equal(record.status, "partial");
      assert.deepEqual(record.missing, ["rate 10.0: no result file"]);
    });

    it("reports an evicted pod whose log is gone as failed, saying why", async function () {
      const config = (this as any).config;
      kube.setJob(NAMESPACE, jobIn("failed"));
      podsWith(complete.stdout, {
        phase: "Failed",
        reason: "Evicted",
        message: "The node was low on resource: memory.",
      });
      kube.logs.delete("benchmark-tool-x7k2p");
      const record = await collect(config);
      assert.equal(record.status, "failed");
      assert.match(record.problems.join("; "), /was evicted: The node was low on resource: memory\./);
      assert.match(record.problems.join("; "), /cannot read the log of pod benchmark-tool-x7k2p/);
    });

    it("resumes after an interrupted collection and never collects twice", async function () {
      const config = (this as any).config;
      kube.setJob(NAMESPACE, jobIn("succeeded"));
      podsWith(complete.stdout);
      const paths = benchmarkPaths(output, RUN, "sim-a");
      // A collection killed half-way leaves a staging folder and no results/.
      fs.mkdirSync(`${paths.resultsDir}.staging-99999/json`, { recursive: true });
      fs.writeFileSync(`${paths.resultsDir}.staging-99999/json/half.json`, "{");
      assert.equal(readBenchmarkState(paths).status, "pending");
      assert.equal((await collect(config)).status, "collected");
      const before = kube.requests.length;
      assert.equal((await collect(config)).status, "collected");
      assert.equal(kube.requests.length, before, "a collected benchmark is not read from the cluster again");
    });

    it("tells a missing Job, and times out on a Job that never finishes", async function () {
      const config = (this as any).config;
      assert.equal(await jobState(config, NAMESPACE), "absent");
      await assert.rejects(waitForJob(config, NAMESPACE, 5), /Job benchmark-tool not found/);
      kube.setJob(NAMESPACE, jobIn("running"));
      assert.equal(await jobState(config, NAMESPACE), "running");
      await assert.rejects(waitForJob(config, NAMESPACE, 1), /did not finish within/);
    });
  });
});

describe("results: GCS upload", () => {
  const collected = (output: string, files: Record<string, string>) => {
    const paths = benchmarkPaths(output, RUN, "sim-a");
    fs.rmSync(paths.resultsDir, { recursive: true, force: true });
    fs.mkdirSync(paths.resultsJsonDir, { recursive: true });
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(paths.resultsJsonDir, name), text);
    fs.writeFileSync(
      paths.metadata,
      JSON.stringify({
        benchmark: "sim-a",
        run_id: RUN,
        namespace: NAMESPACE,
        job_state: "succeeded",
        images: [],
        gcs: { bucket: "b", prefix: `${RUN}/${NAMESPACE}`, uploaded: false, objects: [] },
      }),
    );
    return paths;
  };
  const metadataOf = (paths: ReturnType<typeof benchmarkPaths>) =>
    JSON.parse(fs.readFileSync(paths.metadata, "utf8")) as ResultMetadata;

  it(
    "uploads every file, then metadata.json saying uploaded, and does not upload an uploaded " + "benchmark again",
    async () => {
      const paths = collected(tempDir(), { "a.json": "{}" });
      const bucket = new FakeBucket("b");
      const objects = await uploadBenchmark(bucket, paths);
      assert.deepEqual(objects.sort(), [
        `gs://b/${RUN}/${NAMESPACE}/results/json/a.json`,
        `gs://b/${RUN}/${NAMESPACE}/results/metadata.json`,
      ]);
      assert.equal(metadataOf(paths).gcs!.uploaded, true);
      assert.match(bucket.objects.get(`${RUN}/${NAMESPACE}/results/metadata.json`)!, /"uploaded": true/);
      const before = bucket.uploads;
      await uploadBenchmark(bucket, paths);
      assert.equal(bucket.uploads, before, "an uploaded benchmark is not uploaded again");
    },
  );

  it("replaces the objects of a benchmark collected again, leaving none of the old collection", async () => {
    const output = tempDir();
    const bucket = new FakeBucket("b");
    await uploadBenchmark(bucket, collected(output, { "old-rate.json": '{"old": 1}', "both.json": '{"v": 1}' }));
    // The user moved results/ away and ran the benchmark again: a new collection.
    const paths = collected(output, { "both.json": '{"v": 2}', "new-rate.json": "{}" });
    await uploadBenchmark(bucket, paths);
    const prefix = `${RUN}/${NAMESPACE}/results/`;
    assert.deepEqual([...bucket.objects.keys()].sort(), [
      `${prefix}json/both.json`,
      `${prefix}json/new-rate.json`,
      `${prefix}metadata.json`,
    ]);
    assert.equal(bucket.objects.get(`${prefix}json/both.json`), '{"v": 2}');
  });

  it(
    "says uploaded: true only once the last object is written, and fails with one line that keeps " + "the local copy",
    async () => {
      const paths = collected(tempDir(), { "a.json": "{}", "b.json": "{}" });
      for (const failAfter of [0, 1, 2]) {
        // no access, a file, metadata.json
        const bucket = Object.assign(new FakeBucket("b"), { failAfter });
        await assert.rejects(
          uploadBenchmark(bucket, paths),
          (error: Error) =>
            error instanceof CollectionError &&
            /gs:\/\/b\/.*does not have storage.objects.create access.*the local copy is kept, the next `pulumi up` retries/.test(
              error.message,
            ) &&
            !error.message.includes("\n"),
        );
        assert.equal(metadataOf(paths).gcs!.uploaded, false, `failing after ${failAfter} upload(s)`);
      }
    },
  );
});

describe("results CLI", () => {
  it("shows pending, collected, partial and failed benchmarks with one line per rate, and --json", () => {
    const output = tempDir();
    const write = (name: string, status: string, files: Record<string, string>) => {
      const paths = benchmarkPaths(output, RUN, name);
      fs.mkdirSync(paths.resultsJsonDir, { recursive: true });
      for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(paths.resultsJsonDir, file), text);
      if (status)
        fs.writeFileSync(
          paths.collection,
          JSON.stringify({
            status,
            job_state: "succeeded",
            missing: status === "partial" ? ["rate 20.0: no result file"] : [],
            problems: [],
            collected_at: "",
          }),
        );
      if (status)
        fs.writeFileSync(
          paths.resultJson,
          JSON.stringify({ stats: Object.entries(files).map(([f, t]) => parseLpgResult(f, t).stat) }),
        );
    };
    fs.mkdirSync(benchmarkPaths(output, RUN, "waiting").manifestsDir, { recursive: true });
    write("done", "collected", { [resultFileName(5, MODEL)]: generation1(5, MODEL) });
    write("half", "partial", { [resultFileName(5, MODEL)]: generation1(5, MODEL, { succeeded: 250 }) });
    // The original tool's layout: results/json only, no collection record (no request failed:
    // failures there are checked as a collection's are, see "every source of results").
    write("legacy", "", { [resultFileName(2, MODEL)]: generation2(2, MODEL, { failed: 0 }) });
    write("broken", "", { "x.json": "{" });
    const text = runCli("results", ["--run-id", RUN, "--output", output]);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /^done {2}collected {2}\(1 rates\)$/m);
    assert.match(text.stdout, /^half {2}partial/m);
    assert.match(text.stdout, /! rate 20\.0: no result file/);
    assert.match(text.stdout, /^ +rate +tokens\/s +ok req\/s +p90 ms +NTPOT p90 +success +errors$/m);
    assert.match(text.stdout, /^ +5\.0 +902\.5 +2\.46 +1810\.0 +30\.0 +50\.0%$/m);
    assert.match(text.stdout, /^waiting {2}pending$/m);
    assert.match(text.stdout, /^broken {2}failed$/m);
    assert.match(text.stdout, /^5 benchmarks: 1 failed, 2 collected, 1 partial, 1 pending$/m);
    const json = JSON.parse(runCli("results", ["--run-id", RUN, "--output", output, "--json"]).stdout);
    const byName = Object.fromEntries(json.benchmarks.map((b: any) => [b.name, b]));
    assert.deepEqual(Object.keys(byName).sort(), ["broken", "done", "half", "legacy", "waiting"]);
    assert.equal(byName.legacy.status, "collected");
    assert.equal(byName.legacy.result.stats[0].request_latency.p90, 1400);
    assert.equal(byName.waiting.result, null);
    assert.deepEqual(
      [byName.half.missing, byName.half.problems, byName.done.missing],
      [["rate 20.0: no result file"], [], []],
    );
    assert.match(byName.broken.problems[0], /x\.json: not valid JSON/);
    assert.equal(byName.done.result.stats[0].throughput.mean, 902.5);
    const missing = runCli("results", ["--run-id", "nope", "--output", output]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /no such run \(run ids here: r5000001\)/);
  });
});
