// The Pulumi program of a run: stack config → catalog → snapshot → window → components.
import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import * as path from "node:path";
import { settingsWarnings } from "../lib/cluster/check";
import { UserError } from "../lib/errors";
import { namespaceOf } from "../lib/manifests";
import { type PreparedBenchmark, prepareRun } from "../lib/plan/prepare";
import { expectedDurationSeconds } from "../lib/plan/timing";
import { type PlanItem, planWindow, simulateRun } from "../lib/plan/window";
import type { UploadBucket } from "../lib/results/gcs";
import { listRunBenchmarks } from "../lib/results/run-results";
import { ResultsService, type ResultsTarget } from "../lib/results/service";
import { hasResults, readBenchmarkState } from "../lib/results/status";
import { runDir } from "../lib/snapshot/layout";
import { snapshotConflict, writeSnapshots } from "../lib/snapshot/snapshot";
import { Benchmark, beforeDeleteHook, collectionHooks } from "./benchmark";
import { GcpMonitoring } from "./gcp";
import { checkPrerequisites, Prerequisites } from "./prerequisites";
import type { RunSettings } from "./settings";

/** The benchmarks the last `up` declared, so that an interrupted run keeps them running. */
export function windowFile(settings: Pick<RunSettings, "outputDir" | "runId">): string {
  return path.join(runDir(settings.outputDir, settings.runId), "window.json");
}

function readInFlight(settings: RunSettings): Set<string> {
  try {
    return new Set((JSON.parse(fs.readFileSync(windowFile(settings), "utf8")) as { declared: string[] }).declared);
  } catch {
    return new Set();
  }
}

export interface BenchmarkOutput {
  namespace: string;
  target: string;
  snapshot: string;
  status: string;
}

export interface RunOutputs {
  runId: string;
  outputDir: string;
  benchmarks: Record<string, BenchmarkOutput>;
  /** Deployed by this `up`. */
  declared: string[];
  /** Still to run after them. */
  waiting: string[];
  /** With results on disk. */
  done: string[];
  /** Finished, deployed by the last `up` and torn down at the end of this one (run `up` again to use their GPUs). */
  tearingDown: string[];
  /** Expected seconds until every benchmark still to run has finished, within the limits. */
  expectedSecondsLeft: number;
  dashboardUrl?: pulumi.Output<string>;
}

/** What a user's mistake looks like in Pulumi: one line, no stack trace. */
function asRunError(error: unknown): unknown {
  return error instanceof UserError ? new pulumi.RunError(error.message) : error;
}

/** How the results service logs: through the engine, so messages appear in `pulumi up`. */
const engineLog = { info: (message: string) => pulumi.log.info(message), warn: (message: string) => pulumi.log.warn(message) };

/** Beyond the benchmarks whose hooks wait, workers for every other step (the CLI's default is 4 × CPUs). */
export const PARALLEL_HEADROOM = 16;

/** Names of benchmarks with a snapshot in this run's folder: everything an earlier `up` may have deployed. */
function snapshotNames(settings: RunSettings): string[] {
  return fs.existsSync(runDir(settings.outputDir, settings.runId)) ? listRunBenchmarks(settings.outputDir, settings.runId).map((b) => b.name) : [];
}

/** What the program talks to besides Pulumi and the cluster (tests substitute them). */
export interface ProgramServices {
  /** Opens the results bucket. Default: @google-cloud/storage with the machine's Google credentials. */
  openBucket?: (name: string) => Promise<UploadBucket>;
}

export async function runProgram(settings: RunSettings, services: ProgramServices = {}): Promise<RunOutputs> {
  // A preview changes nothing on disk: only `up` (and `npm run manifests`) writes snapshots.
  const preview = pulumi.runtime.isDryRun();
  let prepared: PreparedBenchmark[];
  try {
    prepared = prepareRun({ catalogs: settings.catalogs, runId: settings.runId, outputDir: settings.outputDir, regex: settings.benchmarkNameRegex, gcpProject: settings.gcpProject });
    if (!preview) writeSnapshots(prepared.flatMap((p) => p.files), settings.override);
  } catch (error) {
    throw asRunError(error);
  }
  if (preview && !settings.override) {
    const conflict = snapshotConflict(prepared.flatMap((p) => p.files));
    if (conflict) pulumi.log.warn(`${conflict} (\`pulumi up\` will refuse)`);
  }
  for (const warning of prepared.flatMap((p) => p.resolved.warnings)) pulumi.log.warn(warning);

  const limits = { parallelism: settings.parallelism, gpuBudget: settings.gpuBudget };
  const planItems = (): PlanItem[] => prepared.map((p) => ({ name: p.resolved.name, gpus: p.resolved.totalGpus, seconds: expectedDurationSeconds(p.resolved), done: hasResults(p.paths) }));
  const outputs = (declared: PreparedBenchmark[], waiting: string[], tearingDown: string[], dashboardUrl?: pulumi.Output<string>): RunOutputs => ({
    runId: settings.runId,
    outputDir: settings.outputDir,
    benchmarks: Object.fromEntries(prepared.map((p) => [p.resolved.name, {
      namespace: p.built.namespace,
      target: p.built.target,
      snapshot: p.paths.dir,
      status: readBenchmarkState(p.paths).status,
    }])),
    declared: declared.map((p) => p.resolved.name),
    waiting,
    done: prepared.filter((p) => hasResults(p.paths)).map((p) => p.resolved.name),
    tearingDown,
    expectedSecondsLeft: Math.round(simulateRun(planItems(), limits)),
    ...(dashboardUrl ? { dashboardUrl } : {}),
  });

  // Every benchmark's hooks, deployed or not, on every run (a dry run too, which tears down
  // whatever an earlier `up` deployed): the engine looks up the names bound in its state whenever
  // it deletes a resource (components/benchmark.ts CollectionHooks). Benchmarks an earlier `up`
  // deployed that are no longer selected keep a before-delete hook too.
  const results = new ResultsService(settings, engineLog, services.openBucket);
  const targets = new Map<string, ResultsTarget>(prepared.map((p) => [p.resolved.name, { benchmark: p.resolved, namespace: p.built.namespace, paths: p.paths }]));
  let setDashboardUrl: (url: string | undefined) => void = () => undefined;
  const dashboardUrl = new Promise<string | undefined>((resolve) => (setDashboardUrl = resolve));
  const hooks = new Map(prepared.map((p) => [p.resolved.name, collectionHooks(p.resolved.name, results.collector(targets.get(p.resolved.name)!, dashboardUrl))]));
  for (const name of snapshotNames(settings).filter((n) => !targets.has(n))) beforeDeleteHook(name, results.unselected(name, namespaceOf(name, settings.runId)));
  if (settings.dryRun) {
    setDashboardUrl(undefined);
    return outputs([], [], []);
  }

  const inFlight = readInFlight(settings);
  if (!preview) await results.catchUp([...targets.values()], inFlight);
  let window;
  try {
    window = planWindow(planItems(), limits, inFlight);
  } catch (error) {
    throw asRunError(error);
  }
  const keep = new Set([...window.declare, ...(settings.skipTearDown ? window.holding : [])]);
  const declared = prepared.filter((p) => keep.has(p.resolved.name));
  if (!preview) {
    fs.mkdirSync(runDir(settings.outputDir, settings.runId), { recursive: true });
    fs.writeFileSync(windowFile(settings), JSON.stringify({ declared: [...keep] }, null, 2) + "\n");
  }
  const tearingDown = settings.skipTearDown ? [] : window.holding;
  if (tearingDown.length && window.waiting.length) {
    pulumi.log.info(`${tearingDown.join(", ")} finished: torn down at the end of this update, which keeps their GPUs until then; the next \`pulumi up\` deploys what waits for them`);
  }
  // Each hook that waits for its benchmark holds one of the engine's workers for hours (a
  // step's hooks run on the worker that applies it: pkg/resource/deploy/step_executor.go); with
  // too few, the other benchmarks of this update wait for a free worker.
  const blocking = settings.waitForResults ? window.declare.filter((name) => !inFlight.has(name)).length : 0;
  const parallel = Number(process.env.PULUMI_NODEJS_PARALLEL ?? 0);
  if (!preview && blocking > 0 && parallel > 0 && parallel < blocking + PARALLEL_HEADROOM) {
    pulumi.log.warn(`waitForResults: each of the ${blocking} benchmarks this update deploys holds one of the engine's ${parallel} workers until its results are in; run \`pulumi up --parallel ${blocking + PARALLEL_HEADROOM}\` so that they all start at once (or use \`npm run run\`)`);
  }

  const epp = declared.filter((p) => p.resolved.loadBalancer === "gateway.envoy.epp" || p.resolved.loadBalancer === "gateway.gke_gateway.epp");
  for (const warning of settingsWarnings(settings, declared.map((p) => p.resolved))) pulumi.log.warn(warning);
  if (settings.prerequisites) {
    try {
      await checkPrerequisites(settings, declared.map((p) => p.resolved));
    } catch (error) {
      throw asRunError(error);
    }
  }
  const prerequisites = settings.prerequisites
    ? new Prerequisites("prerequisites", {
        eppNamespaces: epp.map((p) => p.built.namespace),
        metricsReaderNamespaces: settings.gcpProject ? epp.map((p) => p.built.namespace) : [],
      })
    : undefined;
  const gcp = settings.gcpProject
    ? new GcpMonitoring("gcp", { project: settings.gcpProject, runId: settings.runId, namespaces: prepared.map((p) => p.built.namespace) })
    : undefined;
  if (gcp) gcp.dashboardUrl.apply(setDashboardUrl);
  else setDashboardUrl(undefined);
  if (settings.hfToken === undefined && declared.some((p) => p.resolved.modelServer === "vllm")) {
    pulumi.log.warn("hfToken is not set: gated models (such as meta-llama/*) will fail to download; set it with `pulumi config set --secret hfToken <token>`");
  }
  for (const p of declared) {
    new Benchmark(p.resolved.name, {
      built: p.built,
      snapshotDir: p.paths.dir,
      hooks: hooks.get(p.resolved.name),
      hfToken: settings.hfToken,
      prerequisites: prerequisites?.ready,
    }, { dependsOn: gcp ? [gcp] : [] });
  }
  return outputs(declared, window.waiting, tearingDown, gcp?.dashboardUrl);
}
