// The Pulumi program of a run: stack config → catalog → snapshot → window → components.
import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import * as path from "node:path";
import { UserError } from "../lib/errors";
import { type PreparedBenchmark, prepareRun } from "../lib/plan/prepare";
import { loadGeneratorTimeoutSeconds, expectedDurationSeconds } from "../lib/plan/timing";
import { type PlanItem, planWindow, simulateRun } from "../lib/plan/window";
import { collectBenchmark, jobState } from "../lib/results/collect";
import { defaultBucket, uploadBenchmark } from "../lib/results/gcs";
import { loadKubeConfig } from "../lib/results/kube";
import { hasResults, readBenchmarkState } from "../lib/results/status";
import { listRunBenchmarks } from "../lib/results/run-results";
import { runDir } from "../lib/snapshot/layout";
import { databasePath, ResultStore } from "../lib/store/store";
import { writeSnapshots } from "../lib/snapshot/snapshot";
import { Benchmark, type CollectPhase } from "./benchmark";
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
  /** Expected seconds until every benchmark still to run has finished, within the limits. */
  expectedSecondsLeft: number;
  dashboardUrl?: pulumi.Output<string>;
}

/** What a user's mistake looks like in Pulumi: one line, no stack trace. */
function asRunError(error: unknown): unknown {
  return error instanceof UserError ? new pulumi.RunError(error.message) : error;
}

/**
 * Collects, before anything is declared, the benchmarks an earlier `up` deployed whose load
 * generator has since finished: hooks never run on unchanged resources, so an interrupted
 * collection, or a run driven with waitForResults off, is completed here.
 */
async function catchUp(settings: RunSettings, prepared: PreparedBenchmark[], inFlight: Set<string>): Promise<void> {
  const candidates = prepared.filter((p) => inFlight.has(p.resolved.name) && !hasResults(p.paths));
  const uploads = settings.gcsBucket ? prepared.filter((p) => hasResults(p.paths) && fs.existsSync(p.paths.metadata) && !JSON.parse(fs.readFileSync(p.paths.metadata, "utf8")).gcs?.uploaded) : [];
  if (candidates.length === 0 && uploads.length === 0) return;
  const kubeConfig = loadKubeConfig(settings.kubeconfig, settings.kubeContext);
  for (const p of candidates) {
    const state = await jobState(kubeConfig, p.built.namespace);
    if (state === "succeeded" || state === "failed") {
      const record = await collectBenchmark({ kubeConfig, benchmark: p.resolved, runId: settings.runId, namespace: p.built.namespace, paths: p.paths, timeoutSeconds: 60, gcsBucket: settings.gcsBucket, log: (m) => pulumi.log.info(m) });
      pulumi.log.info(`${p.resolved.name}: collected what an earlier run left (${record.status})`);
      storeRun(settings);
      if (settings.gcsBucket) uploads.push(p);
    }
  }
  for (const p of uploads) await uploadBenchmark(await defaultBucket(settings.gcsBucket!), p.paths);
}

/** Every collected result goes into the run's database too. */
function storeRun(settings: RunSettings): void {
  const store = new ResultStore(databasePath(settings.outputDir));
  try {
    store.importRun(settings.runId, settings.outputDir, listRunBenchmarks(settings.outputDir, settings.runId));
  } finally {
    store.close();
  }
}

function collector(settings: RunSettings, p: PreparedBenchmark, dashboardUrl: Promise<string | undefined>) {
  return async (phase: CollectPhase): Promise<void> => {
    if (hasResults(p.paths)) return;
    const kubeConfig = loadKubeConfig(settings.kubeconfig, settings.kubeContext);
    const wait = phase === "after-job" && settings.waitForResults;
    if (!wait) {
      const state = await jobState(kubeConfig, p.built.namespace);
      if (state === "absent") return;
      if (state === "running") {
        if (phase === "before-delete") pulumi.log.warn(`${p.resolved.name}: torn down while its load generator was still running; it has no results`);
        return;
      }
    }
    const record = await collectBenchmark({
      kubeConfig,
      benchmark: p.resolved,
      runId: settings.runId,
      namespace: p.built.namespace,
      paths: p.paths,
      timeoutSeconds: loadGeneratorTimeoutSeconds(p.resolved),
      dashboardUrl: await Promise.race([dashboardUrl, new Promise<undefined>((resolve) => setTimeout(resolve, 30_000))]),
      gcsBucket: settings.gcsBucket,
      log: (message) => pulumi.log.info(message),
    });
    storeRun(settings);
    if (settings.gcsBucket) await uploadBenchmark(await defaultBucket(settings.gcsBucket), p.paths);
    if (record.status !== "collected") {
      pulumi.log.warn(`${p.resolved.name}: results ${record.status}: ${[...record.missing, ...record.problems].join("; ")} (kept in ${p.paths.resultsDir})`);
    }
  };
}

export async function runProgram(settings: RunSettings): Promise<RunOutputs> {
  let prepared: PreparedBenchmark[];
  try {
    prepared = prepareRun({ catalogs: settings.catalogs, runId: settings.runId, outputDir: settings.outputDir, regex: settings.benchmarkNameRegex, gcpProject: settings.gcpProject });
    writeSnapshots(prepared.flatMap((p) => p.files), settings.override);
  } catch (error) {
    throw asRunError(error);
  }
  for (const warning of prepared.flatMap((p) => p.resolved.warnings)) pulumi.log.warn(warning);

  const limits = { parallelism: settings.parallelism, gpuBudget: settings.gpuBudget };
  const planItems = (): PlanItem[] => prepared.map((p) => ({ name: p.resolved.name, gpus: p.resolved.totalGpus, seconds: expectedDurationSeconds(p.resolved), done: hasResults(p.paths) }));
  const outputs = (declared: PreparedBenchmark[], waiting: string[], dashboardUrl?: pulumi.Output<string>): RunOutputs => ({
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
    expectedSecondsLeft: Math.round(simulateRun(planItems(), limits)),
    ...(dashboardUrl ? { dashboardUrl } : {}),
  });
  if (settings.dryRun) return outputs([], []);

  const preview = pulumi.runtime.isDryRun();
  const inFlight = readInFlight(settings);
  if (!preview) {
    try {
      await catchUp(settings, prepared, inFlight);
    } catch (error) {
      throw asRunError(error);
    }
  }
  let window;
  try {
    window = planWindow(planItems(), limits, inFlight);
  } catch (error) {
    throw asRunError(error);
  }
  const keep = new Set([...window.declare, ...(settings.skipTearDown ? window.done : [])]);
  const declared = prepared.filter((p) => keep.has(p.resolved.name));
  if (!preview) {
    fs.mkdirSync(runDir(settings.outputDir, settings.runId), { recursive: true });
    fs.writeFileSync(windowFile(settings), JSON.stringify({ declared: window.declare }, null, 2) + "\n");
  }

  const epp = declared.filter((p) => p.resolved.loadBalancer === "gateway.envoy.epp" || p.resolved.loadBalancer === "gateway.gke_gateway.epp");
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
    ? new GcpMonitoring("gcp", {
        project: settings.gcpProject,
        runId: settings.runId,
        namespaces: prepared.map((p) => p.built.namespace),
        createBucket: settings.createGcsBucket && settings.gcsBucket ? { name: settings.gcsBucket, location: settings.gcsBucketLocation } : undefined,
      })
    : undefined;
  const dashboardUrl = new Promise<string | undefined>((resolve) => (gcp ? gcp.dashboardUrl.apply((url) => resolve(url)) : resolve(undefined)));
  if (settings.hfToken === undefined && declared.some((p) => p.resolved.modelServer === "vllm")) {
    pulumi.log.warn("hfToken is not set: gated models (such as meta-llama/*) will fail to download; set it with `pulumi config set --secret hfToken <token>`");
  }
  for (const p of declared) {
    new Benchmark(p.resolved.name, {
      built: p.built,
      snapshotDir: p.paths.dir,
      collect: collector(settings, p, dashboardUrl),
      hfToken: settings.hfToken,
      prerequisites: prerequisites?.ready,
    }, { dependsOn: gcp ? [gcp] : [] });
  }
  return outputs(declared, window.waiting, gcp?.dashboardUrl);
}
