// Collects a benchmark's results from the cluster: waits for the load generator's Job with a
// watch, reads every result file from its pod's log, records which images actually ran, and
// writes results/ in one rename so that a half-collected benchmark never looks collected.
// Idempotent: a benchmark whose results/ exists is left as it is.

import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { BatchV1Api, CoreV1Api, type KubeConfig, type V1Job, type V1Pod } from "@kubernetes/client-node";
import { stringifyProtoJson } from "../../proto/json";
import { BenchmarkResultType } from "../../proto/schema";
import { printTextFormat } from "../../proto/textformat";
import type { ResolvedBenchmark } from "../catalog/catalog";
import { CollectionError } from "../errors";
import { NAMES } from "../manifests/common";
import { POD_METRICS_ARCHIVE } from "../manifests/pod-sampler";
import type { CollectionRecord, CollectionStatus, ImageRecord, JobState, ResultMetadata } from "../results/record";
import { readBenchmarkState } from "../results/status";
import { writeReadOnly } from "../snapshot/files";
import type { BenchmarkPaths } from "../snapshot/layout";
import { parseResultLog } from "../tool-output/log-archive";
import {
  displayPath,
  resultFolder,
  scrubResultLog,
  statusOf,
  type ToolFile,
  toolResults,
} from "../tool-output/tool-results";
import { readReadiness } from "./readiness";
import { watchOnce } from "./watch";

export interface CollectOptions {
  kubeConfig: KubeConfig;
  benchmark: ResolvedBenchmark;
  runId: string;
  /** The run's own id, recorded in metadata.json. */
  runUid?: string;
  namespace: string;
  paths: BenchmarkPaths;
  /** How long to wait for the Job to finish. */
  timeoutSeconds: number;
  /** Stops the wait (Ctrl-C): the collection fails at once, and the next `up` collects. */
  signal?: AbortSignal;
  dashboardUrl?: string;
  /** Bucket to record in metadata for upload (the upload itself is lib/collect/gcs.ts). */
  gcsBucket?: string;
  /** Secret values to scrub from everything written (the token's shape is scrubbed regardless). */
  secrets?: string[];
  log?: (message: string) => void;
}

function isNotFound(error: unknown): boolean {
  return (error as { code?: number }).code === 404;
}

function jobStateOf(job: V1Job | undefined): JobState {
  if (!job) return "absent";
  const conditions = job.status?.conditions ?? [];
  const holds = (type: string) => conditions.some((c) => c.type === type && c.status === "True");
  if (holds("Failed")) return "failed";
  if (holds("Complete") || holds("SuccessCriteriaMet")) return "succeeded";
  if ((job.status?.failed ?? 0) > (job.spec?.backoffLimit ?? 6)) return "failed";
  return "running";
}

/** The load generator Job's state in a benchmark namespace, without waiting. */
export async function jobState(kubeConfig: KubeConfig, namespace: string): Promise<JobState> {
  try {
    return jobStateOf(
      await kubeConfig.makeApiClient(BatchV1Api).readNamespacedJob({ name: NAMES.loadGenerator, namespace }),
    );
  } catch (error) {
    if (isNotFound(error)) return "absent";
    throw new CollectionError(`${namespace}: cannot read Job ${NAMES.loadGenerator}: ${(error as Error).message}`);
  }
}

/** Waits with a watch until the Job has finished; re-establishes the watch when the server closes it. */
export async function waitForJob(
  kubeConfig: KubeConfig,
  namespace: string,
  timeoutSeconds: number,
  signal?: AbortSignal,
): Promise<V1Job> {
  const batch = kubeConfig.makeApiClient(BatchV1Api);
  const deadline = Date.now() + timeoutSeconds * 1000;
  const interrupted = () =>
    new CollectionError(
      `${namespace}: stopped waiting for Job ${NAMES.loadGenerator} (interrupted); the next \`pulumi up\` collects it`,
    );
  for (;;) {
    if (signal?.aborted) throw interrupted();
    let job: V1Job;
    try {
      job = await batch.readNamespacedJob({ name: NAMES.loadGenerator, namespace });
    } catch (error) {
      if (isNotFound(error))
        throw new CollectionError(
          `${namespace}: Job ${NAMES.loadGenerator} not found; was the benchmark torn down before it finished?`,
        );
      throw new CollectionError(`${namespace}: cannot read Job ${NAMES.loadGenerator}: ${(error as Error).message}`);
    }
    if (jobStateOf(job) !== "running") return job;
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      throw new CollectionError(
        `${namespace}: Job ${NAMES.loadGenerator} did not finish within ${Math.round(timeoutSeconds / 60)} minutes`,
      );
    }
    const finished = await watchOnce(
      kubeConfig,
      `/apis/batch/v1/namespaces/${namespace}/jobs`,
      {
        fieldSelector: `metadata.name=${NAMES.loadGenerator}`,
        resourceVersion: job.metadata?.resourceVersion,
        allowWatchBookmarks: true,
      },
      (phase, object: V1Job) => {
        if (phase === "DELETED")
          throw new CollectionError(`${namespace}: Job ${NAMES.loadGenerator} was deleted before it finished`);
        return jobStateOf(object) !== "running" ? object : undefined;
      },
      { timeoutMs: remaining, signal },
    );
    if (finished) return finished;
    if (signal?.aborted) throw interrupted();
    // The watch closed without an answer (servers end watches after a while): read again, watch again.
  }
}

/**
 * Resolves when any load-generator Job of the run in `namespaces` has finished (one cluster-wide
 * watch, labelled by run), or when `signal` aborts.
 */
export async function waitForAnyJob(
  kubeConfig: KubeConfig,
  runId: string,
  namespaces: string[],
  signal: AbortSignal,
): Promise<void> {
  const wanted = new Set(namespaces);
  const labelSelector = `inference-bench/run-id=${runId},app.kubernetes.io/component=load-generator`;
  const finished = (job: V1Job) => wanted.has(job.metadata?.namespace ?? "") && jobStateOf(job) !== "running";
  while (!signal.aborted) {
    const list = await kubeConfig.makeApiClient(BatchV1Api).listJobForAllNamespaces({ labelSelector });
    if (
      list.items.some(finished) ||
      namespaces.every((ns) => !list.items.some((job) => job.metadata?.namespace === ns))
    )
      return;
    // A deleted Job counts too: the next `up` sees what became of it.
    const changed = await watchOnce(
      kubeConfig,
      "/apis/batch/v1/jobs",
      { labelSelector, resourceVersion: list.metadata?.resourceVersion },
      (phase, job: V1Job) => (phase === "DELETED" || finished(job) ? true : undefined),
      { signal },
    );
    if (changed) return;
  }
}

function componentOf(pod: V1Pod): string {
  return pod.metadata?.labels?.["app.kubernetes.io/component"] ?? pod.metadata?.labels?.app ?? "unknown";
}

function imagesOf(pods: V1Pod[]): ImageRecord[] {
  return pods
    .flatMap((pod) =>
      [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].map((status) => ({
        pod: pod.metadata?.name ?? "",
        component: componentOf(pod),
        container: status.name,
        image: status.image,
        image_id: status.imageID,
      })),
    )
    .sort((a, b) => `${a.component}/${a.pod}/${a.container}`.localeCompare(`${b.component}/${b.pod}/${b.container}`));
}

export async function collectBenchmark(options: CollectOptions): Promise<CollectionRecord> {
  const { paths, namespace } = options;
  const log = options.log ?? (() => undefined);
  if (fs.existsSync(paths.resultsDir)) {
    const existing = readBenchmarkState(paths, options.benchmark.benchmark);
    return existing.record!;
  }

  const job = await waitForJob(options.kubeConfig, namespace, options.timeoutSeconds, options.signal);
  const state = jobStateOf(job);
  log(`${namespace}: load generator ${state}; collecting results`);
  const core = options.kubeConfig.makeApiClient(CoreV1Api);
  const problems: string[] = [];
  if (state === "failed")
    problems.push(
      `Job ${NAMES.loadGenerator} failed: ${job.status?.conditions?.find((c) => c.type === "Failed")?.message ?? "no reason given"}`,
    );

  let allPods: V1Pod[] = [];
  try {
    allPods = (await core.listNamespacedPod({ namespace })).items;
  } catch (error) {
    throw new CollectionError(`${namespace}: cannot list pods: ${(error as Error).message}`);
  }
  const jobPods = allPods
    .filter(
      (pod) =>
        pod.metadata?.labels?.["job-name"] === NAMES.loadGenerator ||
        pod.metadata?.labels?.["batch.kubernetes.io/job-name"] === NAMES.loadGenerator,
    )
    .sort((a, b) =>
      String(b.metadata?.creationTimestamp ?? "").localeCompare(String(a.metadata?.creationTimestamp ?? "")),
    );

  let archive = parseResultLog("");
  const pod = jobPods[0];
  if (!pod) {
    problems.push(`no load generator pod is left to read results from (deleted or garbage-collected)`);
  } else {
    if (pod.status?.reason === "Evicted")
      problems.push(`load generator pod ${pod.metadata?.name} was evicted: ${pod.status.message ?? ""}`.trim());
    try {
      const text = await core.readNamespacedPodLog({
        name: pod.metadata!.name!,
        namespace,
        container: NAMES.loadGenerator,
      });
      archive = parseResultLog(String(text));
    } catch (error) {
      problems.push(`cannot read the log of pod ${pod.metadata?.name}: ${(error as Error).message}`);
    }
  }
  const readiness = pod ? await readReadiness(options.kubeConfig, namespace, pod.metadata!.name!) : undefined;
  if (typeof readiness === "object" && !readiness.ok) problems.push(`readiness check failed: ${readiness.message}`);
  // Figures stand without it, so not a problem; but said, since metadata.json will lack it.
  if (typeof readiness === "string") log(`${options.benchmark.name}: no readiness record: ${readiness}`);
  if (pod && archive.exitStatus === undefined && !problems.some((p) => p.startsWith("cannot read"))) {
    problems.push("the load generator's log has no end-of-results marker: it was cut short, or the log rotated");
  }

  const scrubbed = scrubResultLog(archive, options.secrets);
  archive = scrubbed.archive;
  problems.push(...scrubbed.problems);

  const written = writeResults(paths, (stagingPath) => {
    const toolFiles: ToolFile[] = [];
    let podMetrics: string | undefined;
    for (const file of archive.files) {
      if (file.problem) problems.push(`${file.name} ${file.problem}; kept as ${file.name}.incomplete`);
      if (file.name === POD_METRICS_ARCHIVE && !file.problem) {
        // Gzipped in the pod's log (it rotates at 10 MiB) and on disk: 20 times smaller (npm run bench:pod-sampler).
        try {
          podMetrics = zlib.gunzipSync(file.data).toString("utf8");
          writeReadOnly(stagingPath(paths.podMetricsGz), file.data);
          continue;
        } catch (error) {
          problems.push(`${file.name} does not decompress (${(error as Error).message}); kept as it came`);
        }
      }
      const folder = resultFolder(options.benchmark.loadGenerator, file.name, paths);
      const target = path.join(folder, file.problem ? `${file.name}.incomplete` : file.name);
      writeReadOnly(stagingPath(target), file.data);
      if (!file.problem)
        toolFiles.push({ name: file.name, file: displayPath(folder, file.name), text: file.data.toString("utf8") });
    }
    writeReadOnly(stagingPath(paths.toolLog), archive.toolLog);

    const pods =
      podMetrics === undefined
        ? undefined
        : { file: displayPath(paths.resultsDir, POD_METRICS_ARCHIVE), text: podMetrics };
    const {
      result,
      missing,
      problems: parseProblems,
      loadGenerator,
    } = toolResults(options.benchmark, toolFiles, { ...archive, podMetrics: pods });
    problems.push(...parseProblems);
    writeReadOnly(
      stagingPath(paths.resultPbtxt),
      `# proto-file: proto/benchmark.proto\n# proto-message: ` +
        `BenchmarkResult\n${printTextFormat(BenchmarkResultType, result)}`,
    );
    writeReadOnly(stagingPath(paths.resultJson), `${stringifyProtoJson(result, 2)}\n`);

    const metadata: ResultMetadata = {
      benchmark: options.benchmark.name,
      run_id: options.runId,
      ...(options.runUid ? { run_uid: options.runUid } : {}),
      namespace,
      start_time: job.status?.startTime ? new Date(job.status.startTime).toISOString() : undefined,
      end_time: job.status?.completionTime ? new Date(job.status.completionTime).toISOString() : undefined,
      job_state: state,
      images: imagesOf(allPods),
      ...(typeof readiness === "object" ? { readiness } : {}),
      load_generator: loadGenerator,
      ...(options.dashboardUrl ? { dashboard_url: options.dashboardUrl } : {}),
      ...(options.gcsBucket
        ? {
            gcs: {
              bucket: options.gcsBucket,
              prefix: path.join(options.runId, namespace),
              uploaded: false,
              objects: [],
            },
          }
        : {}),
    };
    writeReadOnly(stagingPath(paths.metadata), `${JSON.stringify(metadata, null, 2)}\n`);
    const status: CollectionStatus = statusOf(result, missing, problems);
    return { status, job_state: state, missing, problems, collected_at: new Date().toISOString() };
  });
  if (written.published) {
    const { status, missing } = written.record;
    log(
      `${namespace}: ${status}${missing.length || problems.length ? ` — ${[...missing, ...problems].join("; ")}` : ""}`,
    );
  }
  return written.record;
}

/**
 * Writes a benchmark's results/ through a staging folder of its own, then publishes it with one
 * rename: results/ appears complete or not at all. Collectors of one benchmark may run at once
 * (a hook, an orphaned earlier `up`): when another one published first, its results stand (they
 * come from the same files) and this staging folder goes. Nothing is left behind on failure.
 */
function writeResults(
  paths: BenchmarkPaths,
  write: (stagingPath: (target: string) => string) => CollectionRecord,
): { record: CollectionRecord; published: boolean } {
  const staging = `${paths.resultsDir}.staging-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  const stagingPath = (target: string) => path.join(staging, path.relative(paths.resultsDir, target));
  try {
    fs.mkdirSync(stagingPath(paths.resultsJsonDir), { recursive: true });
    const record = write(stagingPath);
    writeReadOnly(stagingPath(paths.collection), `${JSON.stringify(record, null, 2)}\n`);
    fs.renameSync(staging, paths.resultsDir);
    return { record, published: true };
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    if (!fs.existsSync(paths.collection)) throw error;
    // Collected with collection.json, so read from it whatever the benchmark.
    return { record: readBenchmarkState(paths).record!, published: false };
  }
}

export interface LossOptions {
  benchmark: string;
  runId: string;
  runUid?: string;
  namespace: string;
  paths: BenchmarkPaths;
  jobState: JobState;
  /** Why there are no results, e.g. "torn down while its load generator was running". */
  reason: string;
}

/**
 * Records that a benchmark has no results and never will (its Job is gone), as a failed
 * collection whose problem says why: the run does not deploy it again, and reports say so.
 */
export function recordLoss(options: LossOptions): CollectionRecord {
  const { paths } = options;
  if (fs.existsSync(paths.collection)) return readBenchmarkState(paths).record!;
  return writeResults(paths, (stagingPath) => {
    const metadata: ResultMetadata = {
      benchmark: options.benchmark,
      run_id: options.runId,
      ...(options.runUid ? { run_uid: options.runUid } : {}),
      namespace: options.namespace,
      job_state: options.jobState,
      images: [],
    };
    writeReadOnly(stagingPath(paths.metadata), `${JSON.stringify(metadata, null, 2)}\n`);
    return {
      status: "failed",
      job_state: options.jobState,
      missing: [],
      problems: [`lost: ${options.reason}`],
      collected_at: new Date().toISOString(),
    };
  }).record;
}
