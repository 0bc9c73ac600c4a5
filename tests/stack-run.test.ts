// A run lives in its stack (tests/engine.ts runs it as the engine would): from any machine — no
// output folder, the catalog edited or gone — a run is previewed, resumed and torn down; it is
// its recorded snapshot; an interrupted `up` is resumed with no state surgery; the first Ctrl-C
// of a plain `up` returns at once; a Job is never replaced; every hook name ever bound is
// registered again.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { runProgram } from "../components/program";
import { readSettings } from "../components/settings";
import { listRunBenchmarks } from "../lib/results/run-results";
import { DRIVER_ENV } from "../lib/run/pulumi-cli";
import { readStackExport } from "../lib/run/stack-export";
import { readRunState } from "../lib/run/stack-state";
import {
  computedOutputs,
  Engine,
  FakeCloud,
  invokeResults,
  type OperationResult,
  type Point,
  type StackConfig,
} from "./engine";
import { FakeKube, jobIn, pod } from "./fake-kube";
import { PROJECT_ROOT, runCli, tempDir } from "./helpers";
import { generation1, resultFileName, wrapperLog } from "./lpg-fixtures";
import { fakeClusterForSuite } from "./shared-infrastructure";

const MODEL = "meta-llama/Llama-3.1-8B-Instruct";
const CATALOG = `
benchmarks { name: "sim-svc" config { model_server { sim { model: "${MODEL}" } replicas: 1 } load_balancer { k8s_service {} }
  benchmark_tool { image: "lpg:v1" lpg { request_rates: "5" benchmark_time_seconds: "30" } } } }
benchmarks { name: "sim-epp" base_benchmark_name: "sim-svc" config {
  load_balancer { gateway { envoy { epp { image: "registry.k8s.io/gateway-api-inference-extension/epp:v1.5.0" } } } }
  benchmark_tool { lpg { request_rates: "5,10" } } } }
benchmarks { name: "gpu" config {
  model_server { image: "vllm/vllm-openai:v0.10.2" accelerator: "nvidia-h100-80gb" replicas: 1 vllm { model: "${MODEL}" tensor_parallelism: "2" } }
  load_balancer { k8s_service {} } benchmark_tool { image: "lpg:v1" lpg { request_rates: "1" benchmark_time_seconds: "10" } } } }
`;
const RATES: Record<string, number[]> = { "sim-svc": [5], "sim-epp": [5, 10], gpu: [1] };

/** Every file under a folder: to prove that an operation wrote nothing. */
function tree(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true }).map(String).sort() : [];
}

function warnings(result: OperationResult): string[] {
  return result.diagnostics.filter((d) => d.severity === "warning").map((d) => d.message);
}

/** The kubelet, by hand: `finish` ends a load generator as the wrapper does, printing its files. */
function kubelet(kube: FakeKube, runId: string) {
  return (name: string, state: "succeeded" | "failed" = "succeeded") => {
    const namespace = `${name}-${runId}`;
    assert.ok(kube.jobs.has(namespace), `${name}'s Job runs`);
    const podName = `benchmark-tool-${namespace}`;
    kube.pods.set(namespace, [
      pod(podName, { "job-name": "benchmark-tool" }, [["benchmark-tool", "lpg:v1", "lpg@sha256:1"]]),
    ]);
    kube.logs.set(
      podName,
      wrapperLog(RATES[name].map((rate) => [resultFileName(rate, MODEL), generation1(rate, MODEL)])),
    );
    kube.setJob(namespace, { ...jobIn(state), metadata: { labels: { "inference-bench/run-id": runId } } });
  };
}

interface Run {
  engine: Engine;
  cloud: FakeCloud;
  config: StackConfig;
  catalog: string;
  /** A new machine: an empty output folder. */
  moveTo(): string;
}

describe("a run lives in its stack", function () {
  this.timeout(120_000);
  const kube = new FakeKube();
  let kubeconfig = "";
  // The cluster project has run once on this cluster: runs check for what it installed.
  fakeClusterForSuite(kube, (config) => (kubeconfig = config));

  function newRun(stack: string, values: Record<string, string> = {}): Run {
    const catalog = path.join(tempDir("catalog-"), "run.pbtxt");
    fs.writeFileSync(catalog, CATALOG);
    const config: StackConfig = {
      values: {
        "inference-bench:catalog": catalog,
        "inference-bench:outputDir": tempDir("machine-"),
        "inference-bench:prerequisites": "true",
        "kubernetes:kubeconfig": kubeconfig,
        ...values,
      },
      secrets: new Set(),
    };
    const cloud = new FakeCloud(kube);
    const program = () =>
      runProgram(readSettings(new pulumi.Config(), pulumi.getStack())) as unknown as Promise<Record<string, unknown>>;
    const engine = new Engine({
      projectFile: path.join(PROJECT_ROOT, "Pulumi.yaml"),
      stack,
      config,
      program,
      provider: cloud,
      computed: computedOutputs,
      invoke: invokeResults,
    });
    return {
      engine,
      cloud,
      config,
      catalog,
      moveTo: () => (config.values["inference-bench:outputDir"] = tempDir("machine-")),
    };
  }

  /** Every hook name the stack binds now. */
  const bound = (engine: Engine) => engine.checkpoint.flatMap((r) => Object.values(r.hooks).flat());
  const stateOf = (engine: Engine) =>
    readRunState(readStackExport(JSON.stringify(engine.exportDeployment())).resources, engine.stack);

  it(
    "resumes, collects and tears down from other machines: no output folder, the catalog edited, " + "then gone",
    async () => {
      const run = newRun("roam-1", { "inference-bench:parallelism": "2" });
      const finish = kubelet(kube, "roam-1");
      const everBound = new Set<string>();
      const note = () => {
        for (const name of bound(run.engine)) everBound.add(name);
      };

      // Machine A: the first `up` records the run and deploys what fits (the 2-GPU benchmark waits).
      const first = await run.engine.up({ env: DRIVER_ENV });
      note();
      assert.deepEqual(first.outputs.declared.sort(), ["sim-epp", "sim-svc"]);
      assert.deepEqual(first.outputs.waiting, ["gpu"]);
      finish("sim-svc");

      // Machine B: nothing on disk, the catalog edited. A preview writes nothing and says what differs.
      const machineB = run.moveTo();
      fs.writeFileSync(run.catalog, CATALOG.replace('request_rates: "5,10"', 'request_rates: "7"'));
      const preview = await run.engine.preview();
      assert.deepEqual(tree(machineB), [], "a preview writes nothing");
      assert.ok(
        warnings(preview).some(
          (w) =>
            w.startsWith("the catalog differs from run roam-1's recorded snapshot (changed: sim-epp)") &&
            w.includes("start a new run"),
        ),
        warnings(preview).join("\n"),
      );
      // The `up` collects what finished, records it, tears it down and re-creates the local copy — of the
      // record, not the catalog.
      const resumed = await run.engine.up({ env: DRIVER_ENV });
      note();
      assert.deepEqual(resumed.outputs.done, ["sim-svc"]);
      assert.deepEqual(resumed.outputs.tearingDown, ["sim-svc"]);
      assert.match(
        fs.readFileSync(path.join(machineB, "roam-1", "sim-epp-roam-1", "benchmark.pbtxt"), "utf8"),
        /request_rates: "5,10"/,
      );
      assert.deepEqual(
        listRunBenchmarks(machineB, "roam-1").map((b) => `${b.name} ${b.state.status}`),
        ["gpu pending", "sim-epp pending", "sim-svc collected"],
      );
      finish("sim-epp");

      // Machine C: the catalog is gone. Every hook name ever bound is registered; the run goes on.
      const machineC = run.moveTo();
      fs.rmSync(run.catalog);
      const blind = await run.engine.preview();
      assert.deepEqual(tree(machineC), []);
      for (const name of everBound)
        assert.ok(blind.hooksRegistered.includes(name), `${name} is registered without catalog or disk`);
      assert.ok(
        warnings(blind).some(
          (w) =>
            w.includes("no such catalog file or folder") &&
            w.includes("the run goes on with the 3 benchmark(s) it recorded"),
        ),
        warnings(blind).join("\n"),
      );
      const third = await run.engine.up({ env: DRIVER_ENV });
      note();
      assert.deepEqual(third.outputs.declared, ["gpu"], "the waiting benchmark is deployed from the record");
      finish("gpu");
      const fourth = await run.engine.up({ env: DRIVER_ENV });
      assert.deepEqual(fourth.outputs.done.sort(), ["gpu", "sim-epp", "sim-svc"]);
      assert.deepEqual(fourth.outputs.declared, []);

      // Machine D tears it down; nothing is left, each load generator ran once.
      run.moveTo();
      await run.engine.destroy({ runProgram: true });
      assert.equal(run.engine.checkpoint.length, 0);
      assert.ok(![...kube.objects.values()].some((o) => o.metadata?.namespace?.endsWith("-roam-1")));
      assert.deepEqual([...run.cloud.jobRuns.values()], [1, 1, 1]);
      assert.ok(
        run.engine.history.every((h) => !h.error),
        run.engine.history
          .filter((h) => h.error)
          .map((h) => h.error)
          .join("\n"),
      );
    },
  );

  it(
    "registers, with no catalog and no disk, the names earlier versions bound, and tears their " + "stack down",
    async () => {
      const run = newRun("old-2", { "inference-bench:benchmarkNameRegex": "^sim" });
      await run.engine.up({ env: DRIVER_ENV });
      // What the earlier versions left: Jobs bound to per-benchmark names, no record of the run.
      run.engine.checkpoint = run.engine.checkpoint.filter((r) => r.type !== "pulumi:index:Stash");
      const jobs = run.engine.resources("kubernetes:batch/v1:Job");
      jobs[0].hooks = { beforeDelete: [`collect-before-delete-${jobs[0].name.replace(/-job-benchmark-tool$/, "")}`] };
      jobs[1].hooks = { beforeDelete: [`${jobs[1].name.replace(/-job-benchmark-tool$/, "")}:collect-before-delete`] };
      const names = jobs.flatMap((j) => j.hooks.beforeDelete!);
      run.moveTo();
      fs.rmSync(run.catalog);
      const preview = await run.engine.preview();
      for (const name of names)
        assert.ok(preview.hooksRegistered.includes(name), `${name}: ${preview.hooksRegistered.join(", ")}`);
      assert.ok(
        warnings(preview).some(
          (w) => w.includes("has no recorded snapshot in its stack") && w.includes("is torn down"),
        ),
        warnings(preview).join("\n"),
      );
      const destroyed = await run.engine.destroy({ runProgram: true });
      assert.deepEqual(destroyed.hooksRun.map((h) => h.split(" ")[1]).sort(), [...names].sort());
      assert.equal(run.engine.checkpoint.length, 0);
    },
  );

  it("is its snapshot: override applies the catalog only to benchmarks not yet deployed", async () => {
    const run = newRun("snap-1", { "inference-bench:parallelism": "2" });
    await run.engine.up({ env: DRIVER_ENV });
    fs.writeFileSync(
      run.catalog,
      CATALOG.replace('request_rates: "5,10"', 'request_rates: "7"').replace(
        'request_rates: "1"',
        'request_rates: "3"',
      ),
    );
    const kept = await run.engine.up({ env: DRIVER_ENV });
    const warning = warnings(kept).find((w) => w.startsWith("the catalog differs"))!;
    assert.match(
      warning,
      /\(changed: sim-epp, gpu\); the run deploys what it recorded; `pulumi config set override true` applies the catalog to benchmarks not yet deployed/,
    );
    run.config.values["inference-bench:override"] = "true";
    const applied = await run.engine.up({ env: DRIVER_ENV });
    assert.match(
      warnings(applied).find((w) => w.startsWith("the catalog differs"))!,
      /override applied the catalog to gpu \(not yet deployed\)/,
    );
    const recorded = stateOf(run.engine).snapshots;
    assert.deepEqual(recorded.get("gpu")!.benchmark.requestRates, [3], "the waiting benchmark takes the catalog");
    assert.deepEqual(recorded.get("sim-epp")!.benchmark.requestRates, [5, 10], "the deployed one keeps its record");
    const job = run.engine.checkpoint.find((r) => r.name === "sim-epp-job-benchmark-tool")!;
    assert.ok(!JSON.stringify(job.inputs).includes("7.0"), "its running Job is untouched");
    await run.engine.destroy({ runProgram: true });
  });

  it("tears down whatever the catalog, the disk and the cluster's shared infrastructure have become", async () => {
    const run = newRun("down-2");
    await run.engine.up({ env: DRIVER_ENV });
    kubelet(kube, "down-2")("sim-svc");
    run.moveTo();
    fs.writeFileSync(run.catalog, 'benchmarks { name: "x" nme: 1 }');
    // The picker's CRDs and GatewayClass are gone (the cluster project was destroyed).
    for (const [key, object] of [...kube.objects])
      if (["CustomResourceDefinition", "GatewayClass"].includes(object.kind)) kube.objects.delete(key);
    const up = await run.engine.up({ env: DRIVER_ENV });
    assert.ok(
      warnings(up).some((w) => /unknown field "nme".*the run goes on with the 3 benchmark\(s\) it recorded/.test(w)),
      warnings(up).join("\n"),
    );
    const destroyed = await run.engine.destroy({ runProgram: true });
    assert.ok(destroyed.hooksRun.some((h) => h.startsWith("beforeDelete results/collect-before-delete sim-epp")));
    assert.ok(
      warnings(destroyed).some(
        (w) => w === "sim-epp: torn down while its load generator was still running; recorded as lost",
      ),
      warnings(destroyed).join("\n"),
    );
    assert.equal(run.engine.checkpoint.length, 0);
    assert.ok(
      run.engine.history.every((h) => !h.error),
      run.engine.history
        .filter((h) => h.error)
        .map((h) => `${h.operation}: ${h.error}`)
        .join("\n"),
    );
    // The last machine's copy says what became of each benchmark.
    const statuses = listRunBenchmarks(run.config.values["inference-bench:outputDir"], "down-2").map((b) =>
      `${b.name} ${b.state.status} ${b.state.record?.problems.join(";") ?? ""}`.trim(),
    );
    assert.deepEqual(statuses, [
      "gpu failed lost: torn down while its load generator was running",
      "sim-epp failed lost: torn down while its load generator was running",
      "sim-svc collected",
    ]);
  });

  it(
    "resumes an `up` killed mid-create with a plain `up` or the driver's way: no AlreadyExists, no " +
      "second load generator",
    async () => {
      for (const driver of [false, true]) {
        const stack = driver ? "kill-2" : "kill-1";
        const run = newRun(stack);
        // Killed once the provider created the Job, before the engine recorded it: a pending create.
        const jobCreated = (point: Point) =>
          point.kind === "provider-done" && point.urn.endsWith("::sim-svc-job-benchmark-tool");
        await assert.rejects(
          run.engine.up({ env: DRIVER_ENV, interrupt: { mode: "kill", at: jobCreated } }),
          /killed \(SIGKILL\)/,
        );
        await run.engine.settle();
        assert.ok(
          run.engine.pending.some((p) => p.type === "creating" && p.resource.name === "sim-svc-job-benchmark-tool"),
        );
        assert.ok(kube.jobs.has(`sim-svc-${stack}`), "the Job exists in the cluster");
        run.moveTo();
        if (driver) {
          const exported = readStackExport(JSON.stringify(run.engine.exportDeployment()));
          await run.engine.refresh({ clearPendingCreates: true, targets: [exported.stackUrn!] });
          assert.equal(run.engine.pending.length, 0);
        }
        const resumed = await run.engine.up({ env: DRIVER_ENV });
        if (!driver)
          assert.ok(
            warnings(resumed).some((w) => w.startsWith("Attempting to deploy or update resources with")),
            "the engine warns of the pending operations",
          );
        assert.equal(run.cloud.jobRuns.get(`sim-svc-${stack}`), 1, "the Job was adopted, not started again");
        kubelet(kube, stack)("sim-svc");
        const collected = await run.engine.up({ env: DRIVER_ENV });
        assert.ok(collected.outputs.done.includes("sim-svc"));
        await run.engine.destroy({ runProgram: true });
        assert.ok(run.engine.history.filter((h) => h.error).every((h) => /killed/.test(h.error!)));
      }
    },
  );

  it(
    "returns at once from the first Ctrl-C of a plain `pulumi up`: the hook stops waiting, the next " + "`up` collects",
    async () => {
      const run = newRun("ctrl-1", { "inference-bench:benchmarkNameRegex": "^sim-svc$" });
      const up = run.engine.up();
      // Ctrl-C once the after-create hook waits for the load generator (a watch on its Job).
      for (let i = 0; i < 200 && !kube.requests.some((r) => r.endsWith(" watch") && r.includes("ctrl-1")); i++)
        await new Promise((r) => setTimeout(r, 25));
      const started = Date.now();
      run.engine.interrupt();
      await assert.rejects(up, /update canceled/);
      const seconds = (Date.now() - started) / 1000;
      assert.ok(
        seconds < 3,
        `returned in ${seconds} s, well within 60 (the language host kills the program 5 s after the Cancel RPC)`,
      );
      const cancelled = run.engine.history.at(-1)!.result;
      assert.ok(
        warnings(cancelled).some((w) =>
          /sim-svc: results not collected \(after-job\).*stopped waiting for Job benchmark-tool \(interrupted\); the next `pulumi up` collects it/.test(
            w,
          ),
        ),
        warnings(cancelled).join("\n"),
      );
      assert.ok(
        !warnings(cancelled).some((w) => w.includes("rpc error")),
        "the hook returned: the program was not killed under it",
      );
      assert.ok(
        run.engine.checkpoint.some((r) => r.name === "sim-svc-job-benchmark-tool"),
        "the Job is in the state",
      );
      kubelet(kube, "ctrl-1")("sim-svc");
      const next = await run.engine.up();
      assert.deepEqual(next.outputs.done, ["sim-svc"]);
      await run.engine.destroy({ runProgram: true });
    },
  );

  it(
    "never replaces a deployed Job whose template changed (a stack an earlier version deployed, " +
      "reached from a new machine)",
    async () => {
      const run = newRun("tmpl-1", { "inference-bench:benchmarkNameRegex": "^sim-svc$" });
      await run.engine.up({ env: DRIVER_ENV });
      // That version's Job: another image, and no record of the run.
      const job = run.engine.checkpoint.find((r) => r.name === "sim-svc-job-benchmark-tool")!;
      job.inputs.spec.template.spec.containers[0].image = "lpg:v0";
      run.engine.checkpoint = run.engine.checkpoint.filter((r) => r.type !== "pulumi:index:Stash");
      run.moveTo();
      const up = await run.engine.up({ env: DRIVER_ENV });
      assert.ok(
        !up.steps.some((s) => s.op === "replace"),
        up.steps
          .filter((s) => s.op !== "same")
          .map((s) => `${s.op} ${s.urn}`)
          .join("\n"),
      );
      assert.equal(run.cloud.jobRuns.get("sim-svc-tmpl-1"), 1, "the running load generator was not started again");
      assert.equal(
        run.engine.checkpoint.find((r) => r.name === "sim-svc-job-benchmark-tool")!.inputs.spec.template.spec
          .containers[0].image,
        "lpg:v0",
      );
      await run.engine.destroy({ runProgram: true });
    },
  );

  it(
    "copies the run from its stack for `results` on a machine without it (git clone, pulumi stack " + "select)",
    async () => {
      const run = newRun("copy-1", { "inference-bench:benchmarkNameRegex": "^sim-svc$" });
      await run.engine.up({ env: DRIVER_ENV });
      kubelet(kube, "copy-1")("sim-svc");
      await run.engine.up({ env: DRIVER_ENV });
      // A `pulumi` on PATH that exports this stack, as the real CLI prints it.
      const bin = tempDir("pulumi-bin-");
      const exported = path.join(bin, "export.json");
      fs.writeFileSync(exported, JSON.stringify(run.engine.exportDeployment()));
      fs.writeFileSync(
        path.join(bin, "pulumi"),
        `#!/bin/sh\n[ "$2 $3 $4 $5" = "stack export --stack copy-1" ] && exec cat ${exported}\necho ` +
          `"error: no stack named '$5' found" >&2; exit 255\n`,
        { mode: 0o755 },
      );
      const fresh = tempDir("clone-");
      const result = runCli("results", ["--run-id", "copy-1", "--output", path.join(fresh, "output")], {
        env: { PATH: `${bin}:${process.env.PATH}` },
      });
      assert.equal(result.status, 0, result.stderr);
      assert.match(
        result.stderr,
        /^note: run copy-1 copied from its Pulumi stack to .*output\/copy-1: 1 benchmark\(s\), 1 with results\n$/,
      );
      assert.match(result.stdout, /^sim-svc {2}collected {2}\(1 rates\)$/m);
      assert.ok(
        fs.existsSync(path.join(fresh, "output", "copy-1", "sim-svc-copy-1", "manifests", "load-generator.yaml")),
      );
      const other = runCli("results", ["--run-id", "nope-1", "--output", path.join(fresh, "output")], {
        env: { PATH: `${bin}:${process.env.PATH}` },
      });
      assert.equal(other.status, 1);
      assert.match(other.stderr, /^error: .*nope-1: no such run/);
      await run.engine.destroy({ runProgram: true });
    },
  );
});
