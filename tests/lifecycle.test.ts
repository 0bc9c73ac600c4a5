// A run's whole life as the Pulumi engine runs it (tests/engine.ts): every `up`, `preview` and
// `destroy` of a windowed run, with an interruption and a resume, two runs side by side, and the
// engine rules the harness enforces, each shown failing a program that breaks it.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import YAML from "yaml";
import { type ProgramServices, runProgram } from "../components/program";
import { ResultsBucket } from "../components/results-bucket";
import { readSettings } from "../components/settings";
import type { UploadBucket } from "../lib/collect/gcs";
import { listRunBenchmarks } from "../lib/results/run-results";
import { type DriverStack, driveRun } from "../lib/run/driver";
import { DRIVER_ENV } from "../lib/run/pulumi-cli";
import { ResultsService } from "../lib/run/results-service";
import { readStackExport } from "../lib/run/stack-export";
import { databasePath, openStore } from "../lib/store/store";
import {
  computedOutputs,
  Engine,
  type EngineError,
  FakeCloud,
  invokeResults,
  type OperationResult,
  type Point,
  type StackConfig,
} from "./engine";
import { FakeBucket } from "./fake-gcs";
import { FakeKube, jobIn, pod } from "./fake-kube";
import { PROJECT_ROOT, tempDir } from "./helpers";
import { generation1, resultFileName, wrapperLog } from "./lpg-fixtures";
import { fakeClusterForSuite } from "./shared-infrastructure";

const PROJECT_FILE = path.join(PROJECT_ROOT, "Pulumi.yaml");
const MODEL = "meta-llama/Llama-3.1-8B-Instruct";

/**
 * More GPUs than the budget: 16 + 8 + 8 + 4 + 4, and two GPU-free benchmarks, one behind Envoy with an
 * endpoint picker.
 */
const CATALOG = `
benchmarks { name: "big" config {
  model_server { image: "vllm/vllm-openai:v0.10.2" accelerator: "nvidia-h100-80gb" replicas: 2 vllm { model: "${MODEL}" tensor_parallelism: "8" } }
  load_balancer { k8s_service {} }
  benchmark_tool { image: "lpg:v1" lpg { request_rates: "1,2" benchmark_time_seconds: "120" } } } }
benchmarks { name: "mid-a" base_benchmark_name: "big" config { model_server { replicas: 1 } benchmark_tool { lpg { request_rates: "1,2,4" } } } }
benchmarks { name: "mid-b" base_benchmark_name: "mid-a" config { benchmark_tool { lpg { request_rates: "3" } } } }
benchmarks { name: "small-a" base_benchmark_name: "big" config { model_server { replicas: 1 vllm { tensor_parallelism: "4" } } benchmark_tool { lpg { request_rates: "1" } } } }
benchmarks { name: "small-b" base_benchmark_name: "small-a" config { benchmark_tool { lpg { request_rates: "2" } } } }
benchmarks { name: "sim-svc" config { model_server { sim { model: "${MODEL}" } replicas: 1 } load_balancer { k8s_service {} }
  benchmark_tool { image: "lpg:v1" lpg { request_rates: "5" benchmark_time_seconds: "30" } } } }
benchmarks { name: "sim-epp" base_benchmark_name: "sim-svc" config { load_balancer { gateway { envoy { epp { image: "registry.k8s.io/gateway-api-inference-extension/epp:v1.5.0" } } } }
  benchmark_tool { lpg { request_rates: "5" } } } }
`;
const RATES: Record<string, number[]> = {
  big: [1, 2],
  "mid-a": [1, 2, 4],
  "mid-b": [3],
  "small-a": [1],
  "small-b": [2],
  "sim-svc": [5],
  "sim-epp": [5],
};
const GPU_BUDGET = 16;

function writeCatalog(): string {
  const file = path.join(tempDir("catalog-"), "window.pbtxt");
  fs.writeFileSync(file, CATALOG);
  return file;
}

/** Every file under a folder with its content: to prove that an operation wrote nothing. */
function tree(dir: string): Record<string, string> {
  if (!fs.existsSync(dir)) return {};
  return Object.fromEntries(
    fs
      .readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => {
        const file = path.join(e.parentPath, e.name);
        return [path.relative(dir, file), fs.readFileSync(file, "utf8")];
      }),
  );
}

/** The cluster's kubelet: a load generator Job finishes a little after it is created, printing its result files. */
function runJobs(kube: FakeKube, cloud: FakeCloud, runId: string): void {
  let order = 0;
  cloud.onJobCreated = (namespace, job) => {
    const name = namespace.slice(0, -(runId.length + 1));
    setTimeout(
      () => {
        if (!kube.jobs.has(namespace)) return; // torn down first
        const podName = `benchmark-tool-${namespace}`;
        kube.pods.set(namespace, [
          pod(podName, { "job-name": "benchmark-tool" }, [["benchmark-tool", "lpg:v1", "lpg@sha256:1"]]),
        ]);
        kube.logs.set(
          podName,
          wrapperLog(RATES[name].map((rate) => [resultFileName(rate, MODEL), generation1(rate, MODEL)])),
        );
        kube.setJob(namespace, { ...jobIn("succeeded"), metadata: { labels: job.metadata.labels } });
      },
      40 + 30 * (order++ % 4),
    );
  };
}

interface Run {
  engine: Engine;
  outputDir: string;
  config: StackConfig;
}

function newRun(
  cloud: FakeCloud,
  kubeconfig: string,
  stack: string,
  values: Record<string, string>,
  services?: ProgramServices,
): Run {
  const outputDir = tempDir("lifecycle-");
  const config: StackConfig = {
    values: {
      "inference-bench:catalog": writeCatalog(),
      "inference-bench:outputDir": outputDir,
      "inference-bench:gpuBudget": String(GPU_BUDGET),
      "kubernetes:kubeconfig": kubeconfig,
      ...values,
    },
    // resultsDb is a secret, as `pulumi config set --secret resultsDb` stores it.
    secrets: new Set(Object.keys(values).filter((key) => key === "inference-bench:resultsDb")),
  };
  // What index.ts runs, with the bucket substituted.
  const program = () =>
    runProgram(readSettings(new pulumi.Config(), pulumi.getStack()), services) as unknown as Promise<
      Record<string, unknown>
    >;
  const engine = new Engine({
    projectFile: PROJECT_FILE,
    stack,
    config,
    program,
    provider: cloud,
    computed: computedOutputs,
    invoke: invokeResults,
  });
  return { engine, outputDir, config };
}

/**
 * The driver's stack, run by the harness: each `up` with waitForResults off for that update
 * (lib/run/pulumi-cli.ts).
 */
function driverStack(engine: Engine): DriverStack {
  return {
    clearPendingCreates: async () => {
      const exported = readStackExport(JSON.stringify(engine.exportDeployment()));
      if (!exported.pendingCreates.length || !exported.stackUrn) return 0;
      await engine.refresh({ clearPendingCreates: true, targets: [exported.stackUrn] });
      return exported.pendingCreates.length;
    },
    up: async () => {
      const result = await engine.up({ env: DRIVER_ENV });
      return { outputs: Object.fromEntries(Object.entries(result.outputs).map(([k, v]) => [k, { value: v }])) };
    },
    destroy: (options) => engine.destroy(options),
  };
}

/** The driver, uninterrupted, until the run is torn down (what `npm run -s run` does). */
function driveToTheEnd(run: Run, service: ResultsService) {
  return driveRun(
    {
      stack: driverStack(run.engine),
      waitForAnyFinished: (ns, signal) => service.waitForAnyFinished(ns, signal),
      print: () => undefined,
    },
    { skipTearDown: false, signal: new AbortController().signal },
  );
}

function results(run: Run, kubeconfig: string): ResultsService {
  return new ResultsService(
    { runId: run.engine.options.stack, outputDir: run.outputDir, kubeconfig, waitForResults: false },
    { info: () => undefined, warn: () => undefined },
  );
}

function warnings(result: OperationResult): string[] {
  return result.diagnostics.filter((d) => d.severity === "warning").map((d) => d.message);
}

function assertAllSucceeded(engine: Engine): void {
  const failed = engine.history.filter((h) => h.error);
  assert.deepEqual(
    failed.map((h) => `${h.operation}: ${h.error}`),
    [],
    "every up, preview and destroy succeeds",
  );
}

function assertTornDown(kube: FakeKube, runId: string): void {
  const left = [...kube.objects.values()].filter(
    (o) => o.metadata?.namespace?.endsWith(`-${runId}`) || o.metadata?.name?.endsWith(`-${runId}`),
  );
  assert.deepEqual(
    left.map((o) => `${o.kind} ${o.metadata.namespace ?? ""}/${o.metadata.name}`),
    [],
    `nothing of run ${runId} is left on the cluster`,
  );
  assert.ok(![...kube.jobs.keys()].some((ns) => ns.endsWith(`-${runId}`)));
}

describe("a run's whole life under the engine's rules (tests/engine.ts)", function () {
  this.timeout(120_000);
  const kube = new FakeKube();
  let kubeconfig = "";
  // The cluster project has run once on this cluster: runs check for what it installed.
  fakeClusterForSuite(kube, (config) => (kubeconfig = config));

  it(
    "drives a windowed run with the driver: interrupted, previewed, resumed, torn down — every " +
      "operation succeeds and nothing is left",
    async () => {
      const cloud = new FakeCloud(kube, GPU_BUDGET);
      // No hfToken: a stack that does not set it validates (Pulumi.yaml gives every key a default).
      const run = newRun(cloud, kubeconfig, "win-1", { "inference-bench:prerequisites": "true" });
      runJobs(kube, cloud, "win-1");
      const service = results(run, kubeconfig);

      const firstPreview = await run.engine.preview();
      assert.deepEqual(tree(run.outputDir), {}, "a preview writes nothing, not even the snapshot");
      assert.ok(firstPreview.steps.some((s) => s.op === "create"));

      // First invocation: stopped by Ctrl-C while it waits for the first benchmark to finish.
      const controller = new AbortController();
      const first = await driveRun(
        {
          stack: driverStack(run.engine),
          waitForAnyFinished: async (namespaces, signal) => {
            await service.waitForAnyFinished(namespaces, signal);
            controller.abort();
          },
          print: () => undefined,
        },
        { skipTearDown: false, signal: controller.signal },
      );
      assert.equal(first.interrupted, true);
      assert.ok(Object.values(first.statuses).includes("pending"), "interrupted mid-run");

      const before = tree(run.outputDir);
      const preview = await run.engine.preview();
      assert.deepEqual(
        tree(run.outputDir),
        before,
        "a preview in the middle of a run leaves the output directory untouched",
      );
      assert.equal(preview.hooksRun.length, 0, "hooks do not run in a preview");

      // The same command again: resumes and finishes.
      const second = await driveToTheEnd(run, service);
      assert.equal(second.interrupted, false);
      assert.equal(second.tornDown, true);

      assertAllSucceeded(run.engine);
      const ups = run.engine.history.filter((h) => h.operation === "up");
      assert.ok(ups.length >= 5, `a windowed run takes several updates (${ups.length})`);
      assert.ok(
        ups.some((h) => (h.result.outputs.tearingDown as string[]).length > 0),
        "finished benchmarks were torn down by a later update",
      );
      assert.equal(run.engine.history.at(-1)!.operation, "destroy --run-program");
      assert.equal(run.engine.checkpoint.length, 0);
      assertTornDown(kube, "win-1");
      assert.equal(cloud.gpusInUse(), 0, "no model server Deployment is left");
      // Shared cluster objects outlive the run (retainOnDelete); its ClusterRoleBinding does not.
      const kinds = [...kube.objects.values()].map((o) => `${o.kind}/${o.metadata.name}`);
      assert.ok(
        kinds.some((k) => k.startsWith("GatewayClass/")) && kinds.some((k) => k.startsWith("ClusterRole/")),
        kinds.join(),
      );
      assert.ok(!kinds.some((k) => k.startsWith("ClusterRoleBinding/")), kinds.join());

      const benchmarks = listRunBenchmarks(run.outputDir, "win-1");
      assert.deepEqual(
        benchmarks.map((b) => `${b.name} ${b.state.status}`),
        Object.keys(RATES)
          .sort()
          .map((name) => `${name} collected`),
      );
      const store = await openStore(databasePath(run.outputDir));
      try {
        assert.equal(
          (await store.benchmarks("win-1")).length,
          Object.keys(RATES).length,
          "every benchmark is in results.db",
        );
      } finally {
        await store.close();
      }
      // Each benchmark's Job ran its after-create hook once and its before-delete hook once.
      const hooks = run.engine.history.flatMap((h) => h.result.hooksRun);
      for (const name of Object.keys(RATES)) {
        assert.equal(
          hooks.filter((h) => h === `afterCreate results/collect-after-create ${name}-job-benchmark-tool`).length,
          1,
          name,
        );
        assert.equal(
          hooks.filter((h) => h === `beforeDelete results/collect-before-delete ${name}-job-benchmark-tool`).length,
          1,
          name,
        );
      }
    },
  );

  it(
    "runs the same catalog with plain `pulumi up`s that wait for results (the CI workflow), with " +
      "--parallel as the program asks",
    async () => {
      const cloud = new FakeCloud(kube, GPU_BUDGET);
      // The team's results database (a file here; tests/results-db.test.ts stores into PostgreSQL the same way).
      const teamDb = path.join(tempDir("team-db-"), "team.db");
      const run = newRun(cloud, kubeconfig, "ci-1", {
        "inference-bench:prerequisites": "true",
        "inference-bench:resultsDb": teamDb,
      });
      runJobs(kube, cloud, "ci-1");
      const parallel = Object.keys(RATES).length + 16; // what .github/workflows/benchmark.yml passes
      let result = await run.engine.up({ parallel });
      for (let i = 0; i < 20 && (result.outputs.waiting as string[]).length > 0; i++)
        result = await run.engine.up({ parallel });
      result = await run.engine.up({ parallel });
      assert.deepEqual(result.outputs.declared, []);
      await run.engine.destroy({ runProgram: true, parallel });
      assertAllSucceeded(run.engine);
      assert.ok(
        !run.engine.history.some((h) => warnings(h.result).some((w) => w.includes("--parallel"))),
        "no update ran short of workers",
      );
      assertTornDown(kube, "ci-1");
      assert.deepEqual(
        listRunBenchmarks(run.outputDir, "ci-1").map((b) => b.state.status),
        Object.keys(RATES).map(() => "collected"),
      );
      const team = await openStore(teamDb);
      try {
        assert.deepEqual(
          (await team.benchmarks("ci-1")).map((b) => `${b.name} ${b.status}`),
          Object.keys(RATES)
            .sort()
            .map((name) => `${name} collected`),
          "every hook stored its benchmark in resultsDb",
        );
      } finally {
        await team.close();
      }
      assert.ok(!fs.existsSync(databasePath(run.outputDir)), "resultsDb instead of the output folder's file");

      // Too few workers for the hooks that wait: the program says exactly what to pass.
      const short = newRun(new FakeCloud(kube), kubeconfig, "ci-2", {
        "inference-bench:prerequisites": "true",
        "inference-bench:gpuBudget": "0",
        "inference-bench:benchmarkNameRegex": "^sim-svc$",
      });
      runJobs(kube, short.engine.options.provider as FakeCloud, "ci-2");
      const slow = await short.engine.up({ parallel: 4 });
      assert.ok(
        warnings(slow).some((w) => w.includes("run `pulumi up --parallel 17`")),
        warnings(slow).join("\n"),
      );
    },
  );

  it(
    "runs two runs side by side on one cluster and one GCP project; a failing upload costs a " +
      "warning and is retried",
    async () => {
      const cloud = new FakeCloud(kube);
      const bucketOfA = new FakeBucket("results");
      bucketOfA.failAfter = 0;
      const bucketOfB = new FakeBucket("results");
      // Shared cluster objects belong to the cluster project (installed once, below); each run
      // only checks them and declares its own per-namespace bindings, so the two cannot collide.
      const gcp = {
        "inference-bench:gcpProject": "shared-proj",
        "inference-bench:gcsBucket": "results",
        "inference-bench:prerequisites": "true",
        "inference-bench:gpuBudget": "0",
        "inference-bench:benchmarkNameRegex": "^(sim|small)",
      };
      const a = newRun(cloud, kubeconfig, "run-a", gcp, { openBucket: async () => bucketOfA as UploadBucket });
      const b = newRun(cloud, kubeconfig, "run-b", gcp, { openBucket: async () => bucketOfB as UploadBucket });
      const jobs = { a: new Set<string>(), b: new Set<string>() };
      runJobs(kube, cloud, "run-a");
      const created = cloud.onJobCreated!;
      cloud.onJobCreated = (namespace, job) => {
        (namespace.endsWith("-run-a") ? jobs.a : jobs.b).add(namespace);
        created(namespace, job);
      };
      await b.engine.up({ env: DRIVER_ENV });
      const grantsOfB = [...cloud.iamBindings].filter((binding) => binding.includes("-run-b/"));
      assert.equal(grantsOfB.length, 4, "run b reads metrics through its own four principals");

      // Run a, from start to teardown, while run b is deployed.
      const summaryA = await driveToTheEnd(a, results(a, kubeconfig));
      assert.equal(summaryA.tornDown, true);
      assertAllSucceeded(a.engine);
      assert.ok(
        a.engine.history.some((h) =>
          warnings(h.result).some((w) =>
            /results not uploaded to gs:\/\/results \(uploaded: false\):.*does not have storage\.objects\.create access/.test(
              w,
            ),
          ),
        ),
      );
      assert.ok(
        listRunBenchmarks(a.outputDir, "run-a").every(
          (r) =>
            r.state.status === "collected" &&
            JSON.parse(fs.readFileSync(r.paths.metadata, "utf8")).gcs.uploaded === false,
        ),
      );
      assertTornDown(kube, "run-a");
      assert.deepEqual(
        [...cloud.iamBindings].filter((binding) => binding.includes("-run-b/")),
        grantsOfB,
        "run a's destroy left run b's grants alone",
      );
      assert.ok(
        [...kube.objects.values()].some((o) => o.kind === "Deployment" && o.metadata.namespace.endsWith("-run-b")),
        "and run b's model servers",
      );

      // Access fixed: the next `up` of run a uploads what is missing.
      bucketOfA.failAfter = undefined;
      await a.engine.up({ env: DRIVER_ENV });
      assert.ok(
        listRunBenchmarks(a.outputDir, "run-a").every(
          (r) => JSON.parse(fs.readFileSync(r.paths.metadata, "utf8")).gcs.uploaded === true,
        ),
      );
      assert.equal([...bucketOfA.objects.keys()].filter((k) => k.endsWith("/results/metadata.json")).length, 4);
      await a.engine.destroy({ runProgram: true });
      assertAllSucceeded(a.engine);

      const summaryB = await driveToTheEnd(b, results(b, kubeconfig));
      assert.equal(summaryB.tornDown, true);
      assertAllSucceeded(b.engine);
      assertTornDown(kube, "run-b");
      assert.equal(cloud.iamBindings.size, 0);
      assert.ok(
        listRunBenchmarks(b.outputDir, "run-b").every(
          (r) => JSON.parse(fs.readFileSync(r.paths.metadata, "utf8")).gcs.uploaded === true,
        ),
      );
      assert.ok(jobs.a.size === 4 && jobs.b.size === 4);
    },
  );

  it(
    "keeps a deployed benchmark the selection no longer names: a run is its snapshot; the warning " +
      "says how to run the catalog as it is",
    async () => {
      const cloud = new FakeCloud(kube);
      const run = newRun(cloud, kubeconfig, "narrow", {
        "inference-bench:prerequisites": "true",
        "inference-bench:gpuBudget": "0",
        "inference-bench:benchmarkNameRegex": "^sim",
      });
      await run.engine.up({ env: DRIVER_ENV });
      assert.ok(kube.jobs.has("sim-epp-narrow"));
      run.config.values["inference-bench:benchmarkNameRegex"] = "^sim-svc$";
      const previewed = await run.engine.preview();
      const narrowed = await run.engine.up({ env: DRIVER_ENV });
      for (const result of [previewed, narrowed]) {
        assert.ok(
          warnings(result).some(
            (w) =>
              w.startsWith(
                "the catalog differs from run narrow's recorded snapshot (no longer selected: " +
                  "sim-epp); the run deploys what it recorded",
              ) && w.includes("start a new run"),
          ),
          warnings(result).join("\n"),
        );
      }
      assert.ok(kube.jobs.has("sim-epp-narrow"), "the deployed benchmark keeps running");
      assert.deepEqual(narrowed.outputs.declared.sort(), ["sim-epp", "sim-svc"]);
      // Switched to a dry run, the program declares nothing: the update tears the rest down, hooks included.
      run.config.values["inference-bench:dryRun"] = "true";
      const dry = await run.engine.up({ env: DRIVER_ENV });
      assert.deepEqual(dry.hooksRun.sort(), [
        "beforeDelete results/collect-before-delete sim-epp-job-benchmark-tool",
        "beforeDelete results/collect-before-delete sim-svc-job-benchmark-tool",
      ]);
      assert.equal(run.engine.checkpoint.length, 0);
      await run.engine.destroy({ runProgram: true });
      assertAllSucceeded(run.engine);
      assertTornDown(kube, "narrow");
    },
  );

  it(
    "updates and destroys a stack whose Jobs bind the first release's hook names " +
      "(collect-before-delete-<benchmark>)",
    async () => {
      const cloud = new FakeCloud(kube);
      const run = newRun(cloud, kubeconfig, "old-1", {
        "inference-bench:prerequisites": "true",
        "inference-bench:gpuBudget": "0",
        "inference-bench:benchmarkNameRegex": "^sim",
      });
      runJobs(kube, cloud, "old-1");
      await run.engine.up({ env: DRIVER_ENV });
      // The state that version left: no record of the run's snapshot, and Jobs that bound
      // `collect-<name>` and `collect-before-delete-<name>`.
      run.engine.checkpoint = run.engine.checkpoint.filter(
        (r) => r.type !== "pulumi:index:Stash" && r.type !== "inference-bench:index:RunRecord",
      );
      for (const job of run.engine.resources("kubernetes:batch/v1:Job")) {
        const name = job.name.replace(/-job-benchmark-tool$/, "");
        assert.ok(name === "sim-svc" || name === "sim-epp", job.name);
        job.hooks = { afterCreate: [`collect-${name}`], beforeDelete: [`collect-before-delete-${name}`] };
      }
      await new Promise((resolve) => setTimeout(resolve, 300)); // both load generators finish
      run.config.values["inference-bench:benchmarkNameRegex"] = "^sim-svc$";
      await run.engine.preview();
      // sim-svc finished (torn down), sim-epp no longer selected by a run that has no record yet:
      // both Jobs are deleted under the old names, which this version registers from the stack.
      const narrowed = await run.engine.up({ env: DRIVER_ENV });
      assert.deepEqual(narrowed.hooksRun.sort(), [
        "beforeDelete collect-before-delete-sim-epp sim-epp-job-benchmark-tool",
        "beforeDelete collect-before-delete-sim-svc sim-svc-job-benchmark-tool",
      ]);
      assert.ok(
        warnings(narrowed).includes(
          "sim-epp: in the stack without a record (an earlier version deployed it, or a teardown " +
            "stopped half-way) and not selected by the catalog — torn down",
        ),
        warnings(narrowed).join("\n"),
      );
      assert.ok(
        warnings(narrowed).includes(
          "sim-epp: no longer selected, torn down with its load generator succeeded; its results were not collected",
        ),
        warnings(narrowed).join("\n"),
      );
      await run.engine.destroy({ runProgram: true });
      assertAllSucceeded(run.engine);
      assertTornDown(kube, "old-1");
      assert.deepEqual(
        listRunBenchmarks(run.outputDir, "old-1").map((b) => `${b.name} ${b.state.status}`),
        ["sim-epp pending", "sim-svc collected"],
      );
    },
  );

  it(
    "tears a benchmark down even when its results cannot be collected: the before-delete hook only " + "warns",
    async () => {
      const cloud = new FakeCloud(kube, GPU_BUDGET);
      const run = newRun(cloud, kubeconfig, "down-1", {
        "inference-bench:prerequisites": "true",
        "inference-bench:benchmarkNameRegex": "^mid-a$",
      });
      await run.engine.up({ env: DRIVER_ENV });
      assert.equal(cloud.gpusInUse(), 8);
      kube.unavailable = true; // the collector cannot reach the API server; the provider still can
      try {
        const destroyed = await run.engine.destroy({ runProgram: true });
        assert.ok(
          warnings(destroyed).some((w) =>
            /^mid-a: results not collected \(before-delete\); the next `pulumi up` tries again: .*503/.test(w),
          ),
          warnings(destroyed).join("\n"),
        );
      } finally {
        kube.unavailable = false;
      }
      assertAllSucceeded(run.engine);
      assertTornDown(kube, "down-1");
      assert.equal(cloud.gpusInUse(), 0, "the model server is gone");
    },
  );

  it("validates a stack without hfToken, refuses a token in plain text, and Pulumi.dev.yaml previews", async () => {
    const dev = YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.dev.yaml"), "utf8")).config as Record<
      string,
      string | boolean
    >;
    const outputDir = tempDir("dev-");
    const values = {
      ...Object.fromEntries(Object.entries(dev).map(([k, v]) => [k, String(v)])),
      "inference-bench:outputDir": outputDir,
    };
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const program = () => (require("../index") as () => Promise<Record<string, unknown>>)();
    const engine = new Engine({
      projectFile: PROJECT_FILE,
      stack: "dev",
      config: { values, secrets: new Set() },
      program,
      provider: new FakeCloud(kube),
      computed: computedOutputs,
      invoke: invokeResults,
    });
    const preview = await engine.preview();
    assert.ok(preview.outputs.runId === "dev");
    assert.deepEqual(tree(outputDir), {}, "the dev stack's preview writes nothing");
    await engine.up();
    assert.ok(
      fs.existsSync(path.join(outputDir, "dev", "sim-svc-dev", "benchmark.pbtxt")),
      "its up writes the snapshot (dryRun)",
    );

    const plain = new Engine({
      projectFile: PROJECT_FILE,
      stack: "dev",
      config: { values: { ...values, "inference-bench:hfToken": "hf_plain" }, secrets: new Set() },
      program,
      provider: new FakeCloud(kube),
    });
    await assert.rejects(
      plain.preview(),
      /hfToken is stored in plain text in the stack's config; set it as a secret: `pulumi config set --secret hfToken <token>`/,
    );
    const plainDb = new Engine({
      projectFile: PROJECT_FILE,
      stack: "dev",
      config: {
        values: { ...values, "inference-bench:resultsDb": "postgres://u:pw@db:5432/results" },
        secrets: new Set(),
      },
      program,
      provider: new FakeCloud(kube),
    });
    await assert.rejects(
      plainDb.preview(),
      /resultsDb is stored in plain text in the stack's config \(a database URL holds its password\); set it as a secret/,
    );
    const secret = new Engine({
      projectFile: PROJECT_FILE,
      stack: "dev",
      config: {
        values: { ...values, "inference-bench:hfToken": "hf_secret" },
        secrets: new Set(["inference-bench:hfToken"]),
      },
      program,
      provider: new FakeCloud(kube),
    });
    await secret.preview();
    const moved = new Engine({
      projectFile: PROJECT_FILE,
      stack: "dev",
      config: { values: { ...values, "inference-bench:createGcsBucket": "true" }, secrets: new Set() },
      program,
      provider: new FakeCloud(kube),
    });
    await assert.rejects(
      moved.preview(),
      /createGcsBucket is no longer a setting of a run: the results bucket outlives runs, so the cluster project creates it/,
    );
  });
});

describe("the engine harness enforces the engine's rules (pulumi/pulumi@v3.259.0)", function () {
  this.timeout(60_000);
  const kube = new FakeKube();
  const projectDir = tempDir("harness-");
  const projectFile = path.join(projectDir, "Pulumi.yaml");
  fs.writeFileSync(
    projectFile,
    YAML.stringify({ name: "harness", runtime: "nodejs", config: { size: { type: "integer", default: 1 } } }),
  );

  class Custom extends pulumi.CustomResource {}

  /** A resource whose hooks are bound by name, and the hooks the program registers this run. */
  function thing(
    name: string,
    value: number,
    bind: Partial<Record<"afterCreate" | "afterUpdate" | "beforeDelete", pulumi.ResourceHook[]>>,
    opts: pulumi.CustomResourceOptions = {},
  ) {
    return new Custom("harness:index:Thing", name, { value }, { ...opts, hooks: bind });
  }

  function engine(
    program: () => Promise<Record<string, unknown>> | Record<string, unknown>,
    values: Record<string, string> = {},
    file = projectFile,
  ): Engine {
    return new Engine({
      projectFile: file,
      stack: "dev",
      config: { values, secrets: new Set() },
      program: async () => program(),
      provider: new FakeCloud(kube),
    });
  }

  it(
    "a hook name bound in state must be registered by every later run: up, preview and destroy " + "--run-program",
    async () => {
      const calls: string[] = [];
      let registerHook = true;
      const e = engine(() => {
        const hook = registerHook
          ? new pulumi.ResourceHook("collect", () => {
              calls.push("collect");
            })
          : undefined;
        if (registerHook) thing("a", 1, { beforeDelete: [hook!] });
        return {};
      });
      await e.up();
      assert.deepEqual(
        e.checkpoint.find((r) => r.name === "a")!.hooks.beforeDelete,
        ["collect"],
        "the hook's name is stored in state",
      );
      registerHook = false;
      await assert.rejects(e.preview(), (error: EngineError) =>
        /hook "collect" was not registered/.test(error.message),
      );
      await assert.rejects(e.up(), /hook "collect" was not registered/);
      await assert.rejects(e.destroy({ runProgram: true }), /hook "collect" was not registered/);
      await assert.rejects(
        e.destroy({ runProgram: false }),
        /You must run with the `--run-program` flag to use delete hooks during destroy/,
      );
      assert.equal(e.checkpoint.length, 1, "nothing was deleted");
      registerHook = true;
      await e.destroy({ runProgram: true });
      assert.deepEqual(calls, ["collect"]);
      assert.equal(e.checkpoint.length, 0);
    },
  );

  it(
    "hooks run on create and update steps only, never on an unchanged resource; a second " +
      "registration of a name fails",
    async () => {
      const calls: string[] = [];
      let value = 1;
      const e = engine(() => {
        thing("a", value, {
          afterCreate: [
            new pulumi.ResourceHook("created", () => {
              calls.push("created");
            }),
          ],
          afterUpdate: [
            new pulumi.ResourceHook("updated", () => {
              calls.push("updated");
            }),
          ],
        });
        return {};
      });
      await e.up();
      await e.up();
      await e.preview();
      value = 2;
      await e.up();
      assert.deepEqual(calls, ["created", "updated"]);
      const twice = engine(() => {
        new pulumi.ResourceHook("same", () => undefined);
        new pulumi.ResourceHook("same", () => undefined);
        return {};
      });
      await assert.rejects(twice.up(), /resource hook already registered for name "same"/);
    },
  );

  it(
    "an after-hook that fails keeps the resource in state but fails the update, unless it ignores " + "errors",
    async () => {
      let ignoreErrors = false;
      const e = engine(() => {
        thing("a", 1, {
          afterCreate: [
            new pulumi.ResourceHook(
              "boom",
              () => {
                throw new Error("no results");
              },
              { ignoreErrors },
            ),
          ],
        });
        return {};
      });
      await assert.rejects(e.up(), /after hook "boom" failed: no results/);
      assert.equal(e.checkpoint.filter((r) => r.name === "a").length, 1, "the created resource is recorded");
      ignoreErrors = true;
      const again = engine(() => {
        thing("b", 1, {
          afterCreate: [
            new pulumi.ResourceHook(
              "boom",
              () => {
                throw new Error("no results");
              },
              { ignoreErrors },
            ),
          ],
        });
        return {};
      });
      const result = await again.up();
      assert.ok(warnings(result).includes('afterCreate hook "boom" failed: no results'));
    },
  );

  it(
    "deletes dependents first, runs before-delete hooks even for a resource deletedWith another, " +
      "keeps retainOnDelete resources",
    async () => {
      let declare = true;
      const order: string[] = [];
      const e = engine(() => {
        const hook = new pulumi.ResourceHook("job-gone", () => {
          order.push(`hook, namespace ${kube.objects.has("/api/v1/namespaces/n1") ? "present" : "gone"}`);
        });
        if (!declare) return {};
        const ns = new Custom("kubernetes:core/v1:Namespace", "ns", {
          apiVersion: "v1",
          kind: "Namespace",
          metadata: { name: "n1" },
        });
        const cm = new Custom(
          "kubernetes:core/v1:ConfigMap",
          "cm",
          { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", namespace: "n1" } },
          { dependsOn: [ns], deletedWith: ns },
        );
        new Custom(
          "kubernetes:batch/v1:Job",
          "job",
          { apiVersion: "batch/v1", kind: "Job", metadata: { name: "benchmark-tool", namespace: "n1" } },
          { dependsOn: [cm], deletedWith: ns, hooks: { beforeDelete: [hook] } },
        );
        new Custom(
          "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
          "shared",
          { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: "shared" } },
          { retainOnDelete: true },
        );
        return {};
      });
      await e.up();
      assert.equal(kube.objects.size, 4);
      declare = false;
      const result = await e.up();
      assert.deepEqual(order, ["hook, namespace present"], "the Job's hook runs before its namespace is deleted");
      assert.deepEqual(
        [...kube.objects.keys()],
        ["/apis/rbac.authorization.k8s.io/v1/clusterroles/shared"],
        "the namespace took its contents; the retained object stays",
      );
      const position = (name: string) => result.steps.findIndex((s) => s.urn.endsWith(`::${name}`));
      assert.ok(
        position("job") < position("cm") && position("cm") < position("ns"),
        result.steps.map((s) => s.urn).join(),
      );
      kube.reset();
    },
  );

  it(
    "requires a declared key without a default on every stack, and a secret key's default cannot " + "validate",
    async () => {
      const file = path.join(projectDir, "Pulumi.required.yaml");
      fs.writeFileSync(
        file,
        YAML.stringify({
          name: "harness",
          runtime: "nodejs",
          config: { token: { type: "string" }, other: { type: "string", secret: true, default: "" } },
        }),
      );
      await assert.rejects(
        engine(() => ({}), {}, file).preview(),
        /Stack 'dev' is missing configuration value 'token'/,
      );
      await assert.rejects(
        engine(() => ({}), { "harness:token": "x" }, file).preview(),
        /Stack 'dev' with configuration key 'other' must be encrypted as it's secret/,
      );
      await assert.rejects(
        engine(() => ({}), { "harness:size": "many" }).up(),
        /Stack 'dev' with configuration key 'size' must be of type 'integer'/,
      );
      // destroy without the program skips validation (pkg/cmd/pulumi/operations/destroy.go).
      await engine(() => ({}), {}, file).destroy({ runProgram: false });
    },
  );

  /** A namespace and a Job in it, through the default Kubernetes provider or an explicit one. */
  function jobProgram(
    options: {
      upsert?: boolean;
      image?: () => string;
      ignoreChanges?: boolean;
      hooks?: pulumi.ResourceHookBinding;
    } = {},
  ) {
    return () => {
      const provider =
        options.upsert === undefined
          ? undefined
          : new k8s.Provider("k8s", { enableServerSideApply: true, upsertExistingObjects: options.upsert });
      const ns = new k8s.core.v1.Namespace("ns", { metadata: { name: "n1" } }, { provider });
      new k8s.batch.v1.Job(
        "job",
        {
          metadata: { name: "benchmark-tool", namespace: "n1" },
          spec: {
            template: {
              spec: { restartPolicy: "Never", containers: [{ name: "tool", image: options.image?.() ?? "tool:v1" }] },
            },
          },
        },
        {
          provider,
          dependsOn: [ns],
          ...(options.ignoreChanges ? { ignoreChanges: ["spec"] } : {}),
          ...(options.hooks ? { hooks: options.hooks } : {}),
        },
      );
      return {};
    };
  }

  it(
    "a kill leaves pending creates until a refresh clears or imports them; creating again fails on " +
      "AlreadyExists unless the provider upserts",
    async () => {
      // pkg/backend/snapshot.go markOperationPending, Snap (only the base's pending creates are kept);
      // pkg/cmd/pulumi/operations/refresh.go; pulumi-kubernetes provider/pkg/await/await.go Creation.
      const cloud = new FakeCloud(kube);
      const killAtJob = {
        mode: "kill" as const,
        at: (point: Point) => point.kind === "provider-done" && point.urn.endsWith("::job"),
      };
      const plain = new Engine({
        projectFile,
        stack: "dev",
        config: { values: {}, secrets: new Set() },
        program: async () => jobProgram()(),
        provider: cloud,
      });
      await assert.rejects(plain.up({ interrupt: killAtJob }), /killed/);
      await plain.settle();
      assert.deepEqual(
        plain.pending.map((p) => `${p.type} ${p.resource.name}`),
        ["creating job"],
      );
      assert.equal(plain.checkpoint.filter((r) => r.custom).length, 1, "the namespace is recorded, the Job is not");
      const again = await plain.up().catch((error: EngineError) => error);
      assert.match(
        (again as EngineError).message,
        /Job "benchmark-tool" already exists[\s\S]*set upsertExistingObjects/,
      );
      await plain.refresh({ clearPendingCreates: true });
      assert.deepEqual(plain.pending, []);
      await assert.rejects(plain.up(), /already exists/, "clearing alone does not help: the object is still there");
      // --import-pending-creates adopts it instead.
      await assert.rejects(plain.up({ interrupt: killAtJob }), /./);
      kube.reset();
      const importing = new Engine({
        projectFile,
        stack: "dev",
        config: { values: {}, secrets: new Set() },
        program: async () => jobProgram()(),
        provider: new FakeCloud(kube),
      });
      await assert.rejects(importing.up({ interrupt: killAtJob }), /killed/);
      await importing.settle();
      const pendingJob = importing.pending[0].resource.urn;
      await importing.refresh({ importPendingCreates: [[pendingJob, "n1/benchmark-tool"]] });
      assert.ok(importing.checkpoint.some((r) => r.urn === pendingJob));
      await importing.up();
      kube.reset();
      // With server-side apply and upsertExistingObjects, the next `up` adopts what the killed one created.
      const upserting = new Engine({
        projectFile,
        stack: "dev",
        config: { values: {}, secrets: new Set() },
        program: async () => jobProgram({ upsert: true })(),
        provider: new FakeCloud(kube),
      });
      await assert.rejects(upserting.up({ interrupt: killAtJob }), /killed/);
      await upserting.settle();
      const resumed = await upserting.up();
      assert.ok(
        warnings(resumed).some((w) =>
          w.startsWith("Attempting to deploy or update resources with 1 pending operations"),
        ),
      );
      assert.ok(upserting.checkpoint.some((r) => r.name === "job"));
      kube.reset();
    },
  );

  it(
    "replaces a Job whose template changed (delete before create, hooks and all), unless " +
      "ignoreChanges keeps its spec",
    async () => {
      // pulumi-kubernetes provider/pkg/provider/diff.go (a Job's template forces a replacement) and
      // provider.go Diff (deleteBeforeReplace for a named object); pkg/resource/deploy/step_generator.go
      // processIgnoreChanges.
      for (const ignoreChanges of [false, true]) {
        const cloud = new FakeCloud(kube);
        let image = "tool:v1";
        const calls: string[] = [];
        const e = new Engine({
          projectFile,
          stack: "dev",
          config: { values: {}, secrets: new Set() },
          provider: cloud,
          program: async () => {
            const hooks = {
              afterCreate: [
                new pulumi.ResourceHook(
                  "created",
                  () => void calls.push(`created ${kube.jobs.has("n1") ? "present" : "absent"}`),
                ),
              ],
              beforeDelete: [
                new pulumi.ResourceHook(
                  "deleting",
                  () => void calls.push(`deleting ${kube.jobs.has("n1") ? "present" : "absent"}`),
                ),
              ],
            };
            return jobProgram({ image: () => image, ignoreChanges, hooks })();
          },
        });
        await e.up();
        image = "tool:v2";
        const changed = await e.up();
        if (ignoreChanges) {
          assert.deepEqual(
            changed.steps.filter((s) => s.urn.endsWith("::job")).map((s) => s.op),
            ["same"],
          );
          assert.deepEqual(calls, ["created present"]);
          assert.equal(cloud.jobRuns.get("n1"), 1);
        } else {
          assert.deepEqual(
            changed.steps.filter((s) => s.urn.endsWith("::job")).map((s) => s.op),
            ["replace", "delete", "create"],
          );
          assert.deepEqual(
            calls,
            ["created present", "deleting present", "created present"],
            "the old Job's before-delete hook runs while it exists; then a new Job",
          );
          assert.equal(cloud.jobRuns.get("n1"), 2, "a second load generator ran");
        }
        await e.destroy({ runProgram: true });
        kube.reset();
      }
    },
  );

  it(
    "runs the program for real in `destroy --run-program` (not a dry run), and cancels the first " +
      "Ctrl-C's way: no new step, SIGINT, killed 5 s later",
    async () => {
      const seen: boolean[] = [];
      const destroying = engine(() => {
        seen.push(pulumi.runtime.isDryRun());
        thing("a", 1, {});
        return {};
      });
      await destroying.preview();
      await destroying.up();
      await destroying.destroy({ runProgram: true });
      assert.deepEqual(
        seen,
        [true, false, false],
        "pkg/engine/destroy.go: DryRun is false, the SDK cannot tell a destroy from an up",
      );

      // A hook that ignores SIGINT holds its step until the language host kills the program
      // (sdk/nodejs/cmd/pulumi-language-nodejs main.go: cmd.WaitDelay = 5s); the call then fails.
      let interrupted = 0;
      const listeners = process.listeners("SIGINT").length;
      const stubborn = engine(() => {
        process.on("SIGINT", () => interrupted++);
        const hook = new pulumi.ResourceHook(
          "waits",
          () => new Promise<void>((resolve) => setTimeout(resolve, 7_000).unref()),
          { ignoreErrors: true },
        );
        const first = thing("first", 1, { afterCreate: [hook] });
        thing("second", 1, {}, { dependsOn: [first] });
        return {};
      });
      const started = Date.now();
      await assert.rejects(
        stubborn.up({ interrupt: { mode: "cancel", at: (point) => point.kind === "hook" } }),
        /update canceled/,
      );
      const seconds = (Date.now() - started) / 1000;
      assert.ok(seconds >= 5 && seconds < 8, `${seconds} s`);
      assert.equal(interrupted, 1, "the program got SIGINT once");
      const result = stubborn.history.at(-1)!.result;
      assert.ok(
        warnings(result).some((w) => /afterCreate hook "waits" failed: rpc error: code = Unavailable/.test(w)),
        warnings(result).join("\n"),
      );
      assert.deepEqual(
        stubborn.checkpoint.map((r) => r.name),
        ["first"],
        "the step in flight completed; the next never started",
      );
      assert.equal(process.listeners("SIGINT").length, listeners, "the program's handlers went with its process");
    },
  );

  it(
    "keeps a Stash's first value and reads the stack's resources back (builtins.go Stash, " +
      "readStackResourceOutputs)",
    async () => {
      let input = "one";
      const read: Array<Record<string, any>> = [];
      const e = engine(async () => {
        const answer = await pulumi.runtime.invoke("pulumi:pulumi:readStackResourceOutputs", {
          stackName: `organization/harness/dev`,
        });
        read.push(answer.outputs);
        new pulumi.Stash("record", { input });
        return {};
      });
      await e.up();
      input = "two";
      await e.up();
      await e.up();
      assert.deepEqual(read[0], {});
      const [stash] = Object.values(read[2]) as Array<{ type: string; outputs: Record<string, string> }>;
      assert.deepEqual(stash, { type: "pulumi:index:Stash", outputs: { input: "two", output: "one" } });
      await assert.rejects(
        engine(async () =>
          pulumi.runtime.invoke("pulumi:pulumi:readStackResourceOutputs", { stackName: "organization/harness/other" }),
        ).up(),
      );
    },
  );

  it("declares the results bucket of the cluster project, kept when that stack is destroyed", async () => {
    const cloud = new FakeCloud(kube);
    const e = new Engine({
      projectFile,
      stack: "cluster",
      config: { values: {}, secrets: new Set() },
      provider: cloud,
      program: async () => {
        const bucket = new ResultsBucket("results", {
          project: "shared-proj",
          name: "bench-results",
          writers: ["serviceAccount:ci@shared-proj.iam.gserviceaccount.com"],
        });
        return { bucket: bucket.bucketName };
      },
    });
    const up = await e.up();
    assert.equal(up.outputs.bucket, "bench-results");
    const bucket = e.resources("gcp:storage/bucket:Bucket")[0];
    assert.equal(bucket.retainOnDelete, true);
    assert.equal(bucket.inputs.uniformBucketLevelAccess, true);
    assert.deepEqual(
      e.resources("gcp:storage/bucketIAMMember:BucketIAMMember").map((m) => `${m.inputs.role} ${m.inputs.member}`),
      ["roles/storage.objectAdmin serviceAccount:ci@shared-proj.iam.gserviceaccount.com"],
    );
    await e.destroy({ runProgram: true });
    assert.ok(cloud.buckets.has("bench-results"), "the bucket, with every run's results, outlives the stack");
    assert.equal(cloud.iamBindings.size, 0);
    const bad = new Engine({
      projectFile,
      stack: "cluster",
      config: { values: {}, secrets: new Set() },
      provider: cloud,
      program: async () => {
        new ResultsBucket("results", { project: "p", name: "Bad_Name" });
        return {};
      },
    });
    await assert.rejects(bad.up(), /"Bad_Name" is not a valid bucket name/);
  });
});
