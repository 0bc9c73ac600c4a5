// The results service: everything that happens to a benchmark's results once its load generator
// runs — collection from the cluster, the results database (the stack's resultsDb, else the
// output folder's SQLite file), the GCS upload, and the record
// the run's stack keeps of them (lib/results/stack-record.ts). The Pulumi program calls it from
// the Job's hooks and before it declares anything (catch-up); the CLIs call it too. None of it may
// stop a run: a collection, store or upload that fails is a warning, and what is missing is
// retried by the next `pulumi up`.
import type { ResolvedBenchmark } from "../catalog/catalog";
import { collectBenchmark, jobState, recordLoss, waitForAnyJob } from "../collect/collect";
import { defaultBucket, needsUpload, type UploadBucket, uploadBenchmark } from "../collect/gcs";
import { UserError } from "../errors";
import { loadKubeConfig } from "../kube-config";
import { loadGeneratorTimeoutSeconds } from "../plan/timing";
import { readRunRecords } from "../results/run-results";
import { type ResultsRecord, resultsRecordOf } from "../results/stack-record";
import { hasResults } from "../results/status";
import type { BenchmarkPaths } from "../snapshot/layout";
import { databaseLocation } from "../store/database";
import { ResultStore } from "../store/store";

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
  /** Aborted on Ctrl-C: a hook that waits for its load generator stops waiting at once. */
  signal?: AbortSignal;
  /**
   * The results database collected results go to: an SQLite file or a postgres:// URL (default:
   * <outputDir>/results.db).
   */
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
  /** The run's own id (its stack record), written into metadata.json. */
  runUid?: string;
}

/** What the stack says of a benchmark, for the catch-up. */
export interface StackFacts {
  /** Some object of it is in the stack. */
  deployed: boolean;
  /** Its Job is in the stack. */
  job: boolean;
  /** Its results (or loss) are recorded in the stack. */
  recorded: boolean;
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

  private kubeConfig() {
    return loadKubeConfig(this.settings.kubeconfig, this.settings.kubeContext);
  }

  /**
   * Before anything is declared: every benchmark of the run that has no results recorded in the
   * stack gets them now if it can — from the results on this disk (an `up` killed after its hook
   * collected; results on disk that are not the run's own were moved aside before:
   * ownLocalResults), or, for a benchmark the stack deployed, from the cluster when its load
   * generator has finished (hooks never run on unchanged resources; a driven run collects here)
   * — or is recorded lost when its Job is gone. Returns the results records the stack should now
   * hold (those given, and new ones).
   */
  async catchUp(
    targets: ResultsTarget[],
    facts: (name: string) => StackFacts,
    recorded: Map<string, ResultsRecord>,
  ): Promise<Map<string, ResultsRecord>> {
    const records = new Map(recorded);
    const collected: string[] = [];
    for (const target of targets) {
      const name = target.benchmark.name;
      const fact = facts(name);
      if (fact.recorded) continue;
      try {
        if (hasResults(target.paths)) {
          this.log.info(`${name}: results collected earlier on this machine, recorded in the stack now`);
        } else if (fact.deployed) {
          const state = await jobState(this.kubeConfig(), target.namespace);
          if (state === "running") continue;
          if (state === "absent") {
            if (!fact.job) continue;
            recordLoss({
              ...this.lossOf(target, "absent"),
              reason: "its load-generator Job is gone from the cluster (deleted outside this run?)",
            });
            this.log.warn(`${name}: its load-generator Job is gone from the cluster; recorded as lost`);
          } else {
            const record = await collectBenchmark(this.collectOptions(target, 60));
            this.log.info(`${name}: collected what an earlier run left (${record.status})`);
          }
          collected.push(name);
        } else {
          continue;
        }
        const record = resultsRecordOf(target.paths, name, target.runUid ?? "");
        if (record) records.set(name, record);
      } catch (error) {
        this.log.warn(`${name}: cannot collect yet, the next \`pulumi up\` tries again: ${messageOf(error)}`);
      }
    }
    if (collected.length) await this.storeRun(collected);
    for (const target of targets) {
      if (hasResults(target.paths) && this.settings.gcsBucket && needsUpload(target.paths, this.settings.gcsBucket))
        await this.upload(target);
    }
    return records;
  }

  private lossOf(target: ResultsTarget, jobState: "absent" | "running") {
    return {
      benchmark: target.benchmark.name,
      runId: this.settings.runId,
      runUid: target.runUid,
      namespace: target.namespace,
      paths: target.paths,
      jobState,
    };
  }

  private collectOptions(target: ResultsTarget, timeoutSeconds: number, dashboardUrl?: string) {
    return {
      kubeConfig: this.kubeConfig(),
      benchmark: target.benchmark,
      runId: this.settings.runId,
      runUid: target.runUid,
      namespace: target.namespace,
      paths: target.paths,
      timeoutSeconds,
      dashboardUrl,
      gcsBucket: this.settings.gcsBucket,
      secrets: this.settings.knownSecrets,
      signal: this.settings.signal,
      log: (message: string) => this.log.info(message),
    };
  }

  /** Collected results go into the results database too (`names`: only these benchmarks). */
  async storeRun(names?: string[]): Promise<void> {
    const settings = this.settings;
    // The stack's resultsDb only: INFERENCE_BENCH_DB is the commands' default, not the program's.
    const location = databaseLocation(settings.resultsDb || undefined, settings.outputDir, {});
    try {
      const store = await ResultStore.open(location, { write: true });
      try {
        await store.importRun(
          settings.runId,
          settings.outputDir,
          () => readRunRecords(settings.outputDir, settings.runId, names),
          { only: names },
        );
      } finally {
        await store.close();
      }
    } catch (error) {
      this.log.warn(
        `cannot store run ${settings.runId} in ${location.label} (the files on disk are complete; ` +
          `\`npm run import\` retries): ${messageOf(error)}`,
      );
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
      this.log.warn(
        `${target.benchmark.name}: results not uploaded to gs://${bucket} (uploaded: false): ${messageOf(error)}`,
      );
      return false;
    }
  }

  /**
   * What the Job's hooks call. After the Job is created: wait for it (waitForResults) and collect.
   * Before it is deleted: collect a finished Job, record a running one as lost. Never throws: a
   * failure is a warning, and the next `up` retries. `recorded`: the stack holds its results.
   */
  collector(
    target: ResultsTarget,
    dashboardUrl: Promise<string | undefined>,
    recorded = false,
  ): (phase: CollectPhase) => Promise<void> {
    const settings = this.settings;
    const p = target;
    return async (phase: CollectPhase): Promise<void> => {
      if (recorded || hasResults(p.paths)) return;
      try {
        // Interrupted before it began to wait, the wait still says so (waitForJob stops at once).
        const wait = phase === "after-job" && settings.waitForResults;
        if (!wait) {
          const state = await jobState(this.kubeConfig(), p.namespace);
          if (state === "absent") return;
          if (state === "running") {
            if (phase === "before-delete") {
              recordLoss({ ...this.lossOf(p, "running"), reason: "torn down while its load generator was running" });
              this.log.warn(
                `${p.benchmark.name}: torn down while its load generator was still running; recorded as lost`,
              );
              await this.storeRun([p.benchmark.name]);
            }
            return;
          }
        }
        // The dashboard's URL is known once GCP monitoring is created; don't hold collection for it.
        let stopWaiting = () => {};
        const url = await Promise.race([
          dashboardUrl,
          new Promise<undefined>((resolve) => {
            const timer = setTimeout(resolve, 30_000);
            stopWaiting = () => clearTimeout(timer);
          }),
        ]);
        stopWaiting();
        const record = await collectBenchmark(this.collectOptions(p, loadGeneratorTimeoutSeconds(p.benchmark), url));
        await this.storeRun([p.benchmark.name]);
        await this.upload(p);
        if (record.status !== "collected") {
          this.log.warn(
            `${p.benchmark.name}: results ${record.status}: ${[...record.missing, ...record.problems].join("; ")} ` +
              `(kept in ${p.paths.resultsDir})`,
          );
        }
      } catch (error) {
        this.log.warn(
          `${p.benchmark.name}: results not collected (${phase}); the next \`pulumi up\` tries ` +
            `again: ${messageOf(error)}`,
        );
      }
    };
  }

  /**
   * The before-delete hook of a benchmark the run no longer holds (a stack an earlier version
   * deployed, whose catalog no longer has it): the engine still runs the hook bound in its state,
   * so the name must exist. It reports what is lost rather than guessing the benchmark's rates.
   */
  unselected(name: string, namespace: string): () => Promise<void> {
    return async () => {
      try {
        const state = await jobState(this.kubeConfig(), namespace);
        if (state !== "absent")
          this.log.warn(
            `${name}: no longer selected, torn down with its load generator ${state}; its results were not collected`,
          );
      } catch (error) {
        this.log.warn(`${name}: no longer selected, torn down: ${messageOf(error)}`);
      }
    };
  }

  /** Resolves when any load generator in these namespaces has finished, or when `signal` aborts. */
  async waitForAnyFinished(namespaces: string[], signal: AbortSignal): Promise<void> {
    await waitForAnyJob(this.kubeConfig(), this.settings.runId, namespaces, signal);
  }
}
