// The results service: everything that happens to a benchmark's results once its load generator
// runs — collection from the cluster, the results database (the stack's resultsDb, else the
// output folder's SQLite file), the GCS upload. The Pulumi
// program calls it from the Job's hooks and before it declares anything (catch-up); the CLIs
// call it too. None of it may stop a run: a collection, store or upload that fails is a warning,
// and what is missing is retried by the next `pulumi up`.
import type { ResolvedBenchmark } from "../catalog/catalog";
import { UserError } from "../errors";
import { loadGeneratorTimeoutSeconds } from "../plan/timing";
import type { BenchmarkPaths } from "../snapshot/layout";
import { databaseLocation } from "../store/database";
import { ResultStore } from "../store/store";
import { collectBenchmark, jobState, waitForAnyJob } from "./collect";
import { defaultBucket, needsUpload, type UploadBucket, uploadBenchmark } from "./gcs";
import { loadKubeConfig } from "./kube";
import { readRunRecords } from "./run-results";
import { hasResults } from "./status";

/** When the collection hooks run: after the Job is created or updated, and before it is deleted. */
export type CollectPhase = "after-job" | "before-delete";

export interface ResultsSettings {
  runId: string;
  outputDir: string;
  /** The Kubernetes provider's kubeconfig (path or contents) and context. */
  kubeconfig?: string;
  kubeContext?: string;
  gcsBucket?: string;
  /** After the Job is created, wait for it and collect (otherwise only collect a finished Job). */
  waitForResults: boolean;
  /** Secret values (the Hugging Face token) scrubbed from everything collected, besides anything token-shaped. */
  knownSecrets?: string[];
  /** The results database collected results go to: an SQLite file or a postgres:// URL (default: <outputDir>/results.db). */
  resultsDb?: string;
}

export interface ResultsLog {
  info(message: string): void;
  warn(message: string): void;
}

/** A benchmark whose results the service looks after. */
export interface ResultsTarget {
  benchmark: ResolvedBenchmark;
  namespace: string;
  paths: BenchmarkPaths;
}

function messageOf(error: unknown): string {
  return error instanceof UserError ? error.message : String((error as Error)?.stack ?? error);
}

export class ResultsService {
  constructor(
    private readonly settings: ResultsSettings,
    private readonly log: ResultsLog,
    private readonly openBucket: (name: string) => Promise<UploadBucket> = defaultBucket,
  ) {}

  /**
   * Collects, before anything is declared, the benchmarks an earlier `up` deployed whose load
   * generator has since finished: hooks never run on unchanged resources, so an interrupted
   * collection, or a run driven with waitForResults off, is completed here. Uploads what an
   * earlier upload left behind.
   */
  async catchUp(targets: ResultsTarget[], inFlight: ReadonlySet<string>): Promise<void> {
    const settings = this.settings;
    const candidates = targets.filter((p) => inFlight.has(p.benchmark.name) && !hasResults(p.paths));
    const bucket = settings.gcsBucket;
    const uploads = bucket ? targets.filter((p) => hasResults(p.paths) && needsUpload(p.paths, bucket)) : [];
    if (candidates.length === 0 && uploads.length === 0) return;
    for (const p of candidates) {
      try {
        const kubeConfig = loadKubeConfig(settings.kubeconfig, settings.kubeContext);
        const state = await jobState(kubeConfig, p.namespace);
        if (state === "succeeded" || state === "failed") {
          const record = await collectBenchmark({ kubeConfig, benchmark: p.benchmark, runId: settings.runId, namespace: p.namespace, paths: p.paths, timeoutSeconds: 60, gcsBucket: settings.gcsBucket, secrets: settings.knownSecrets, log: (m) => this.log.info(m) });
          this.log.info(`${p.benchmark.name}: collected what an earlier run left (${record.status})`);
          await this.storeRun([p.benchmark.name]);
          if (settings.gcsBucket) uploads.push(p);
        }
      } catch (error) {
        this.log.warn(`${p.benchmark.name}: cannot collect yet, the next \`pulumi up\` tries again: ${messageOf(error)}`);
      }
    }
    for (const p of uploads) await this.upload(p);
  }

  /**
   * Every collected result goes into the results database too: `names`, the benchmarks just
   * collected (their rows are replaced, the run's others kept), else the whole run.
   */
  async storeRun(names?: string[]): Promise<void> {
    const settings = this.settings;
    // The stack's resultsDb only: INFERENCE_BENCH_DB is the commands' default, not the program's.
    const location = databaseLocation(settings.resultsDb || undefined, settings.outputDir, {});
    try {
      const store = await ResultStore.open(location, { write: true });
      try {
        await store.importRun(settings.runId, settings.outputDir, () => readRunRecords(settings.outputDir, settings.runId, names), { only: names });
      } finally {
        await store.close();
      }
    } catch (error) {
      this.log.warn(`cannot store run ${settings.runId} in ${location.label} (the files on disk are complete; \`npm run import\` retries): ${messageOf(error)}`);
    }
  }

  /** Uploads a collected benchmark to the bucket, best effort: true when its objects are all there. */
  async upload(target: ResultsTarget): Promise<boolean> {
    const bucket = this.settings.gcsBucket;
    if (!bucket) return false;
    try {
      await uploadBenchmark(await this.openBucket(bucket), target.paths);
      return true;
    } catch (error) {
      this.log.warn(`${target.benchmark.name}: results not uploaded to gs://${bucket} (uploaded: false): ${messageOf(error)}`);
      return false;
    }
  }

  /** What the Job's hooks call. Never throws: a failure is a warning, and the next `up` retries. */
  collector(target: ResultsTarget, dashboardUrl: Promise<string | undefined>): (phase: CollectPhase) => Promise<void> {
    const settings = this.settings;
    const p = target;
    return async (phase: CollectPhase): Promise<void> => {
      if (hasResults(p.paths)) return;
      try {
        const kubeConfig = loadKubeConfig(settings.kubeconfig, settings.kubeContext);
        const wait = phase === "after-job" && settings.waitForResults;
        if (!wait) {
          const state = await jobState(kubeConfig, p.namespace);
          if (state === "absent") return;
          if (state === "running") {
            if (phase === "before-delete") this.log.warn(`${p.benchmark.name}: torn down while its load generator was still running; it has no results`);
            return;
          }
        }
        // The dashboard's URL is known once GCP monitoring is created; don't hold collection for it.
        let stopWaiting = () => {};
        const url = await Promise.race([dashboardUrl, new Promise<undefined>((resolve) => {
          const timer = setTimeout(resolve, 30_000);
          stopWaiting = () => clearTimeout(timer);
        })]);
        stopWaiting();
        const record = await collectBenchmark({
          kubeConfig,
          benchmark: p.benchmark,
          runId: settings.runId,
          namespace: p.namespace,
          paths: p.paths,
          timeoutSeconds: loadGeneratorTimeoutSeconds(p.benchmark),
          dashboardUrl: url,
          gcsBucket: settings.gcsBucket,
          secrets: settings.knownSecrets,
          log: (message) => this.log.info(message),
        });
        await this.storeRun([p.benchmark.name]);
        await this.upload(p);
        if (record.status !== "collected") {
          this.log.warn(`${p.benchmark.name}: results ${record.status}: ${[...record.missing, ...record.problems].join("; ")} (kept in ${p.paths.resultsDir})`);
        }
      } catch (error) {
        this.log.warn(`${p.benchmark.name}: results not collected (${phase}); the next \`pulumi up\` tries again: ${messageOf(error)}`);
      }
    };
  }

  /**
   * The before-delete hook of a benchmark the run deployed but no longer selects (its catalog or
   * benchmarkNameRegex changed): the engine still runs the hook bound in its state, so the name
   * must exist. It reports what is lost rather than guessing the benchmark's rates.
   */
  unselected(name: string, namespace: string): () => Promise<void> {
    const settings = this.settings;
    return async () => {
      try {
        const state = await jobState(loadKubeConfig(settings.kubeconfig, settings.kubeContext), namespace);
        if (state !== "absent") this.log.warn(`${name}: no longer selected, torn down with its load generator ${state}; its results were not collected`);
      } catch (error) {
        this.log.warn(`${name}: no longer selected, torn down: ${messageOf(error)}`);
      }
    };
  }

  /** Resolves when any load generator in these namespaces has finished, or when `signal` aborts. */
  async waitForAnyFinished(namespaces: string[], signal: AbortSignal): Promise<void> {
    await waitForAnyJob(loadKubeConfig(this.settings.kubeconfig, this.settings.kubeContext), this.settings.runId, namespaces, signal);
  }
}
