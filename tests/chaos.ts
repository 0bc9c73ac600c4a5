// Interrupted runs, at random (seeded): a run's operations are killed at any point (SIGKILL of
// `pulumi` mid-create, mid-hook, mid-delete), cancelled by a first Ctrl-C, resumed with a plain
// `pulumi up` or the driver's way (pending creates cleared, waitForResults off), from a machine
// that changes between any two operations (a fresh output folder; the catalog edited or gone),
// while load generators finish, fail, or lose their Job behind the run's back. Then torn down,
// which may be killed too. Every run must end with each benchmark collected exactly once (one
// results record in the stack, its Job run once) or recorded lost with its reason, every
// operation that was not interrupted succeeding, and nothing of the run left in the cluster.
//
//   npm run -s chaos -- --runs 1000 --seed 7
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { runProgram } from "../components/program";
import { readSettings } from "../components/settings";
import { DRIVER_ENV } from "../lib/run/pulumi-cli";
import { readStackExport } from "../lib/run/stack-export";
import { readRunState } from "../lib/run/stack-state";
import { unpackFiles } from "../lib/snapshot/stack-record";
import {
  computedOutputs,
  Engine,
  EngineError,
  FakeCloud,
  type Interruption,
  invokeResults,
  type StackConfig,
} from "./engine";
import { FakeKube, jobIn, pod } from "./fake-kube";
import { PROJECT_ROOT, seededRandom, tempDir } from "./helpers";
import { generation1, resultFileName, wrapperLog } from "./lpg-fixtures";
import { installSharedInfrastructure } from "./shared-infrastructure";

const MODEL = "meta-llama/Llama-3.1-8B-Instruct";
const EPP = "registry.k8s.io/gateway-api-inference-extension/epp:v1.5.0";
/** 1 + 2 GPUs within a budget of 2 (windows), and two GPU-free ones, one behind the endpoint picker. */
const CATALOG = `
benchmarks { name: "svc" config {
  model_server { image: "vllm/vllm-openai:v0.10.2" accelerator: "nvidia-h100-80gb" replicas: 1 vllm { model: "${MODEL}" tensor_parallelism: "1" } }
  load_balancer { k8s_service {} }
  benchmark_tool { image: "lpg:v1" lpg { request_rates: "1,2" benchmark_time_seconds: "60" } } } }
benchmarks { name: "tp2" base_benchmark_name: "svc" config { model_server { vllm { tensor_parallelism: "2" } } benchmark_tool { lpg { request_rates: "3" } } } }
benchmarks { name: "sim" config { model_server { sim { model: "${MODEL}" } replicas: 1 } load_balancer { k8s_service {} }
  benchmark_tool { image: "lpg:v1" lpg { request_rates: "5" benchmark_time_seconds: "30" } } } }
benchmarks { name: "epp" base_benchmark_name: "sim" config { load_balancer { gateway { envoy { epp { image: "${EPP}" } } } }
  benchmark_tool { lpg { request_rates: "5" } } } }
`;
const NAMES = ["svc", "tp2", "sim", "epp"];
const GPU_BUDGET = 2;
/** At most this many operations before a run must have finished. */
const MAX_OPERATIONS = 60;

export interface ChaosSummary {
  runs: number;
  operations: number;
  kills: number;
  cancels: number;
  machineChanges: number;
  catalogChanges: number;
  jobsDeleted: number;
  lost: number;
  failures: Array<{ run: string; error: string; operations: string[] }>;
}

/**
 * The kubelet: a load generator finishes a little after its Job is created (a quarter of them later), most of
 * the time successfully.
 */
function kubelet(kube: FakeKube, cloud: FakeCloud, runId: string, random: () => number): void {
  cloud.onJobCreated = (namespace) => {
    const name = namespace.slice(0, -(runId.length + 1));
    const rates = name === "svc" ? [1, 2] : name === "tp2" ? [3] : [5];
    const failed = random() < 0.1;
    setTimeout(
      () => {
        if (!kube.jobs.has(namespace)) return; // torn down, or deleted behind the run's back
        const podName = `benchmark-tool-${namespace}`;
        kube.pods.set(namespace, [
          pod(podName, { "job-name": "benchmark-tool" }, [["benchmark-tool", "lpg:v1", "lpg@sha256:1"]]),
        ]);
        kube.logs.set(
          podName,
          wrapperLog(
            failed ? [] : rates.map((rate) => [resultFileName(rate, MODEL), generation1(rate, MODEL)]),
            failed ? 1 : 0,
          ),
        );
        kube.setJob(namespace, {
          ...jobIn(failed ? "failed" : "succeeded"),
          metadata: { labels: { "inference-bench/run-id": runId } },
        });
      },
      random() < 0.25 ? 300 + random() * 300 : 5 + random() * 60,
    );
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One interrupted run, start to teardown. Throws what went wrong. */
async function chaosRun(
  kube: FakeKube,
  kubeconfig: string,
  runId: string,
  random: () => number,
  summary: ChaosSummary,
  operations: string[],
): Promise<void> {
  const cloud = new FakeCloud(kube, GPU_BUDGET);
  kubelet(kube, cloud, runId, random);
  const catalogDir = tempDir("chaos-catalog-");
  const catalog = path.join(catalogDir, "chaos.pbtxt");
  fs.writeFileSync(catalog, CATALOG);
  const config: StackConfig = {
    values: {
      "inference-bench:catalog": catalog,
      "inference-bench:outputDir": tempDir("chaos-machine-"),
      "inference-bench:gpuBudget": String(GPU_BUDGET),
      "inference-bench:prerequisites": "true",
      "kubernetes:kubeconfig": kubeconfig,
    },
    secrets: new Set(),
  };
  const program = () =>
    runProgram(readSettings(new pulumi.Config(), pulumi.getStack())) as unknown as Promise<Record<string, unknown>>;
  const engine = new Engine({
    projectFile: path.join(PROJECT_ROOT, "Pulumi.yaml"),
    stack: runId,
    config,
    program,
    provider: cloud,
    computed: computedOutputs,
    invoke: invokeResults,
  });
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)];
  const deleted = new Set<string>();

  /** An interruption at a random point of the next operation, or none. */
  const interruption = (): Interruption | undefined => {
    const roll = random();
    if (roll > 0.45) return undefined;
    const at = Math.floor(random() * 40);
    return { mode: roll < 0.35 ? "kill" : "cancel", at: (_, index) => index === at };
  };
  const interrupted = (error: unknown, interrupt: Interruption | undefined): boolean => {
    if (!interrupt || !(error instanceof EngineError)) return false;
    return /killed \(SIGKILL\)|canceled/.test(error.message);
  };
  const operate = async (name: string, run: (interrupt?: Interruption) => Promise<unknown>): Promise<boolean> => {
    const interrupt = interruption();
    try {
      await run(interrupt);
      operations.push(name);
      return true;
    } catch (error) {
      if (!interrupted(error, interrupt)) throw new Error(`${name} failed: ${(error as Error).message}`);
      operations.push(`${name} (${interrupt!.mode === "kill" ? "killed" : "cancelled"})`);
      if (interrupt!.mode === "kill") summary.kills++;
      else summary.cancels++;
      await engine.settle();
      return false;
    }
  };

  /** What happens between two operations: time, a new machine, a catalog edit, a Job deleted behind the run's back. */
  const between = async () => {
    await sleep(random() * 80);
    if (random() < 0.25) {
      config.values["inference-bench:outputDir"] = tempDir("chaos-machine-");
      summary.machineChanges++;
      operations.push("machine change");
    }
    // Once the run has recorded its snapshot, the catalog no longer matters: edit it, or lose it.
    const started =
      readRunState(readStackExport(JSON.stringify(engine.exportDeployment())).resources, runId).snapshots.size > 0;
    const roll = started ? random() : 1;
    if (roll < 0.08) {
      fs.rmSync(catalog, { force: true });
      summary.catalogChanges++;
      operations.push("catalog deleted");
    } else if (roll < 0.16) {
      fs.writeFileSync(
        catalog,
        `${CATALOG.replace('request_rates: "5"', 'request_rates: "6"')}benchmarks { name: "late" ` +
          `base_benchmark_name: "sim" }\n`,
      );
      summary.catalogChanges++;
      operations.push("catalog edited");
    }
    if (random() < 0.15) {
      const running = [...kube.jobs.entries()].filter(
        ([namespace, job]) => namespace.endsWith(`-${runId}`) && !job.status?.conditions?.length,
      );
      if (running.length) {
        const [namespace] = pick(running);
        kube.deleteJob(namespace);
        kube.objects.delete(`/apis/batch/v1/namespaces/${namespace}/jobs/benchmark-tool`);
        deleted.add(namespace.slice(0, -(runId.length + 1)));
        summary.jobsDeleted++;
        operations.push(`Job of ${namespace} deleted behind the run's back`);
      }
    }
  };

  let finished = false;
  for (let i = 0; i < MAX_OPERATIONS && !finished; i++) {
    await between();
    const roll = random();
    if (roll < 0.1) {
      await operate("preview", (interrupt) => engine.preview({ interrupt }));
    } else if (roll < 0.45) {
      // The driver's way: pending creates cleared, waitForResults off for this update.
      const exported = readStackExport(JSON.stringify(engine.exportDeployment()));
      if (exported.pendingCreates.length && exported.stackUrn) {
        await engine.refresh({ clearPendingCreates: true, targets: [exported.stackUrn] });
        operations.push(`refresh --clear-pending-creates (${exported.pendingCreates.length})`);
      }
      const done = await operate("up (driver)", (interrupt) => engine.up({ env: DRIVER_ENV, interrupt }));
      finished = done && isFinished(engine.stackOutputs);
    } else {
      const done = await operate("up", (interrupt) => engine.up({ parallel: 24, interrupt }));
      finished = done && isFinished(engine.stackOutputs);
    }
    summary.operations++;
  }
  if (!finished) throw new Error(`not finished after ${MAX_OPERATIONS} operations`);

  // Every benchmark of the run: one results record, its Job run once (or recorded lost).
  const state = readRunState(readStackExport(JSON.stringify(engine.exportDeployment())).resources, runId);
  const benchmarks = [...state.snapshots.keys()].sort();
  for (const name of NAMES)
    if (!benchmarks.includes(name)) throw new Error(`${name} is not in the run's record (${benchmarks.join(", ")})`);
  for (const name of benchmarks) {
    const record = state.results.get(name);
    if (!record) throw new Error(`${name}: no results recorded`);
    const namespace = `${name}-${runId}`;
    const runs = cloud.jobRuns.get(namespace) ?? 0;
    const problems: string[] = JSON.parse(unpackFiles(record.files)["results/collection.json"]).problems;
    const lost = problems.find((p) => p.startsWith("lost: "));
    if (lost) {
      summary.lost++;
      if (!deleted.has(name)) throw new Error(`${name}: recorded lost (${lost}) though nothing deleted its Job`);
    } else if (runs !== 1) {
      throw new Error(`${name}: its load generator ran ${runs} times`);
    } else if (deleted.has(name) && record.status === "collected") {
      throw new Error(`${name}: collected though its Job was deleted before it finished`);
    }
  }

  // Teardown, itself interrupted at random, resumed until it succeeds.
  let destroyed = false;
  for (let i = 0; i < 10 && !destroyed; i++) {
    await between();
    destroyed = await operate("destroy --run-program", (interrupt) => engine.destroy({ runProgram: true, interrupt }));
  }
  if (!destroyed) throw new Error("destroy never succeeded");
  const left = [...kube.objects.values()].filter(
    (o) => o.metadata?.namespace?.endsWith(`-${runId}`) || o.metadata?.name?.endsWith(`-${runId}`),
  );
  if (left.length)
    throw new Error(
      `left in the cluster: ${left.map((o) => `${o.kind} ${o.metadata.namespace ?? ""}/${o.metadata.name}`).join(", ")}`,
    );
  if (engine.checkpoint.length || engine.pending.some((p) => p.type !== "creating"))
    throw new Error(`left in the stack: ${engine.checkpoint.map((r) => r.urn).join(", ")}`);
  if (cloud.gpusInUse() !== 0) throw new Error("GPUs still in use");
}

/** The last `up` deployed nothing and nothing waits: every benchmark has results in the stack. */
function isFinished(outputs: Record<string, any>): boolean {
  const benchmarks = Object.keys(outputs.benchmarks ?? {});
  return (
    benchmarks.length > 0 &&
    (outputs.declared ?? []).length === 0 &&
    (outputs.waiting ?? []).length === 0 &&
    (outputs.done ?? []).length === benchmarks.length
  );
}

export async function chaos(options: {
  runs: number;
  seed: number;
  log?: (line: string) => void;
}): Promise<ChaosSummary> {
  const summary: ChaosSummary = {
    runs: 0,
    operations: 0,
    kills: 0,
    cancels: 0,
    machineChanges: 0,
    catalogChanges: 0,
    jobsDeleted: 0,
    lost: 0,
    failures: [],
  };
  const kube = new FakeKube();
  const kubeconfig = (await kube.start()).exportConfig();
  try {
    for (let i = 0; i < options.runs; i++) {
      kube.reset();
      installSharedInfrastructure(kube);
      const runId = `c${i.toString(36)}`;
      const operations: string[] = [];
      try {
        await chaosRun(kube, kubeconfig, runId, seededRandom(options.seed * 100_003 + i), summary, operations);
      } catch (error) {
        summary.failures.push({ run: runId, error: (error as Error).message, operations });
        options.log?.(
          `run ${runId} (seed ${options.seed}, index ${i}) failed: ${(error as Error).message}\n  ${operations.join(" → ")}`,
        );
      }
      summary.runs++;
    }
  } finally {
    await kube.stop();
  }
  return summary;
}

if (require.main === module) {
  const arg = (name: string, fallback: number) => {
    const at = process.argv.indexOf(`--${name}`);
    return at >= 0 ? Number(process.argv[at + 1]) : fallback;
  };
  const runs = arg("runs", 100);
  const seed = arg("seed", 1);
  const started = Date.now();
  chaos({ runs, seed, log: (line) => console.log(line) }).then((summary) => {
    const { failures, ...counts } = summary;
    console.log(
      `${summary.runs} interrupted runs (seed ${seed}) in ${((Date.now() - started) / 1000).toFixed(1)} ` +
        `s: ${JSON.stringify(counts)}`,
    );
    console.log(
      failures.length
        ? `${failures.length} failed`
        : "every run ended with each benchmark collected once or recorded lost, and nothing left",
    );
    process.exitCode = failures.length ? 1 : 0;
  });
}
