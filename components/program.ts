// The Pulumi program of a run, phase by phase: read what the stack holds → register the hooks →
// reconcile the catalog with the run's record → (on `up`) copy the record to disk and catch up on
// results → choose the window → declare the record, the shared bindings and the benchmarks.
//
// A run lives in its stack: everything a later `up`, `preview` or `destroy --run-program` needs is
// read back from the stack's own state (lib/run/stack-state.ts), never from the local disk, which
// only holds a copy. `destroy --run-program` runs this program for real and cannot be told from
// an `up` (pulumi/pulumi@v3.259.0 pkg/engine/destroy.go), so once a run has started nothing here
// fails because of the catalog, the disk, a prerequisite or a collection: each is a warning.

import * as crypto from "node:crypto";
import * as path from "node:path";
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { UploadBucket } from "../lib/collect/gcs";
import { CatalogError, listed, UserError } from "../lib/errors";
import { gkeClusterPath, gkeKubeconfig, parseGkeCluster, tokenCommand } from "../lib/gcp/gke";
import { settingsWarnings } from "../lib/infrastructure/check";
import { namespaceOf } from "../lib/manifests";
import { type PreparedBenchmark, prepareRun } from "../lib/plan/prepare";
import { expectedDurationSeconds, namespaceDeleteTimeoutMinutes } from "../lib/plan/timing";
import { type PlanItem, planWindow, simulateRun, type Window } from "../lib/plan/window";
import { moveAside, ownLocalResults, type ResultsRecord } from "../lib/results/stack-record";
import { interruptSignal } from "../lib/run/interrupt";
import { writeRunCopy } from "../lib/run/local-copy";
import { type RunBenchmark, type RunPlan, reconcile } from "../lib/run/reconcile";
import { type CollectPhase, ResultsService, type ResultsTarget } from "../lib/run/results-service";
import { type RunState, readRunState, type StackResources } from "../lib/run/stack-state";
import { snapshotConflict, writeSnapshots } from "../lib/snapshot/snapshot";
import { groupWarnings } from "../lib/warnings";
import { Benchmark, type CollectionHooks, collectionHooks, legacyHooks } from "./benchmark";
import { GcpMonitoring } from "./gcp";
import { checkPrerequisites, Prerequisites } from "./prerequisites";
import { RunRecord } from "./run-record";
import type { RunSettings } from "./settings";

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
  /** With results (or recorded lost) in the stack. */
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
const engineLog = {
  info: (message: string) => pulumi.log.info(message),
  warn: (message: string) => pulumi.log.warn(message),
};

/** Beyond the benchmarks whose hooks wait, workers for every other step (the CLI's default is 4 × CPUs). */
const PARALLEL_HEADROOM = 16;

/** The project folder: the GKE token script is run from here. */
const PROJECT_ROOT = path.resolve(__dirname, "..");

/** What the program talks to besides Pulumi and the cluster (tests substitute them). */
export interface ProgramServices {
  /** Opens the results bucket. Default: @google-cloud/storage with the machine's Google credentials. */
  openBucket?: (name: string) => Promise<UploadBucket>;
}

/** How the program and the collector reach the cluster. */
interface ClusterAccess {
  kubeconfig?: string;
  context?: string;
  /** Set for a `gkeCluster`: the provider is replaced only if this changes, whatever machine runs it. */
  clusterIdentifier?: string;
}

/** The stack's kubeconfig, or one built for the GKE cluster it names (lib/gcp/gke.ts). */
async function clusterAccess(settings: RunSettings): Promise<ClusterAccess> {
  if (!settings.gkeCluster) return { kubeconfig: settings.kubeconfig, context: settings.kubeContext };
  const cluster = parseGkeCluster(settings.gkeCluster);
  if (typeof cluster === "string") throw new pulumi.RunError(cluster);
  const found = await gcp.container.getCluster({
    project: cluster.project,
    location: cluster.location,
    name: cluster.name,
  });
  const ca = found.masterAuths?.[0]?.clusterCaCertificate;
  if (!found.endpoint || !ca)
    throw new pulumi.RunError(
      `gkeCluster ${settings.gkeCluster}: the GCP API gave no endpoint or CA certificate (is the cluster running?)`,
    );
  return {
    kubeconfig: gkeKubeconfig(cluster, found.endpoint, ca, tokenCommand(PROJECT_ROOT)),
    clusterIdentifier: gkeClusterPath(cluster),
  };
}

/** Everything the stack holds (lib/run/stack-state.ts). */
async function readStack(runId: string): Promise<RunState> {
  const stackName = `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`;
  const answer = await pulumi.runtime.invoke("pulumi:pulumi:readStackResourceOutputs", { stackName });
  return readRunState((answer as { outputs?: StackResources }).outputs ?? {}, runId);
}

/** The catalog as it is now, or why it cannot be read. */
function readCatalog(settings: RunSettings): PreparedBenchmark[] | CatalogError {
  try {
    return prepareRun({
      catalogs: settings.catalogs,
      runId: settings.runId,
      outputDir: settings.outputDir,
      regex: settings.benchmarkNameRegex,
      gcpProject: settings.gcpProject,
    });
  } catch (error) {
    if (error instanceof UserError) return error instanceof CatalogError ? error : new CatalogError(error.message);
    throw error;
  }
}

/** `dryRun`: the snapshot of the catalog on disk (on `up`), nothing declared. */
function dryRunSnapshot(settings: RunSettings, preview: boolean): PreparedBenchmark[] {
  const catalog = readCatalog(settings);
  if (catalog instanceof CatalogError) throw asRunError(catalog);
  const files = catalog.flatMap((p) => p.files);
  if (preview) {
    const conflict = settings.override ? undefined : snapshotConflict(files);
    if (conflict) pulumi.log.warn(`${conflict} (\`pulumi up\` will refuse)`);
  } else {
    try {
      writeSnapshots(files, settings.override);
    } catch (error) {
      throw asRunError(error);
    }
  }
  for (const warning of groupWarnings(catalog.flatMap((p) => p.resolved.warnings))) pulumi.log.warn(warning);
  return catalog;
}

/** Reconciles the catalog with the run's record, saying what differs. */
function planRun(settings: RunSettings, state: RunState): RunPlan {
  let plan: RunPlan;
  try {
    plan = reconcile({
      runId: settings.runId,
      outputDir: settings.outputDir,
      state,
      catalog: readCatalog(settings),
      override: settings.override,
      now: new Date(),
      newRunUid: () => crypto.randomUUID(),
    });
  } catch (error) {
    throw asRunError(error);
  }
  for (const warning of plan.warnings) pulumi.log.warn(warning);
  return plan;
}

/**
 * Results on disk for a benchmark the stack has none for, that another run with this run id left
 * (`pulumi stack rm`, then the id used again for another catalog): moved aside, never deleted,
 * so that this run does not take them for its own.
 */
function moveAsideOthersResults(plan: RunPlan, state: RunState): void {
  for (const b of plan.benchmarks) {
    if (state.results.has(b.name) || ownLocalResults(b.paths, b.record.run_uid, b.files["benchmark.pbtxt"])) continue;
    const aside = moveAside(b.paths, new Date());
    pulumi.log.warn(
      `${b.name}: the results on disk were collected by an earlier run with the id ${b.record.namespace.slice(b.name.length + 1)} ` +
        `for another benchmark definition; moved to ${aside}`,
    );
  }
}

/**
 * The window over `items` within the limits. Once the run has started, a benchmark that no longer
 * fits the budget (it was lowered) waits, said, instead of failing the operation. `planned`: the
 * items the window was planned over.
 */
function chooseWindow(
  plan: RunPlan,
  items: PlanItem[],
  settings: RunSettings,
  inFlight: Set<string>,
): { window: Window; planned: PlanItem[] } {
  const limits = { parallelism: settings.parallelism, gpuBudget: settings.gpuBudget };
  try {
    return { window: planWindow(items, limits, inFlight), planned: items };
  } catch (error) {
    if (!plan.started || !(error instanceof UserError)) throw asRunError(error);
    const tooBig = items.filter(
      (i) => !i.done && !inFlight.has(i.name) && limits.gpuBudget > 0 && i.gpus > limits.gpuBudget,
    );
    pulumi.log.warn(`${error.message} (not deployed until gpuBudget is raised)`);
    const planned = items.filter((i) => !tooBig.includes(i));
    const window = planWindow(planned, limits, inFlight);
    return { window: { ...window, waiting: [...window.waiting, ...tooBig.map((i) => i.name)] }, planned };
  }
}

export async function runProgram(settings: RunSettings, services: ProgramServices = {}): Promise<RunOutputs> {
  // A preview changes nothing on disk: only `up` (and `npm run manifests`) writes the local copy.
  const preview = pulumi.runtime.isDryRun();
  const access = await clusterAccess(settings);
  const effective: RunSettings = { ...settings, kubeconfig: access.kubeconfig, kubeContext: access.context };
  const state = await readStack(settings.runId);
  const results = new ResultsService({ ...effective, signal: interruptSignal() }, engineLog, services.openBucket);
  const collection = registerHooks(settings, state, results);
  if (settings.dryRun) {
    collection.setDashboardUrl(undefined);
    const snapshot = dryRunSnapshot(settings, preview);
    const benchmarks = Object.fromEntries(
      snapshot.map((p) => [
        p.resolved.name,
        { namespace: p.built.namespace, target: p.built.target, snapshot: p.paths.dir, status: "pending" },
      ]),
    );
    return {
      runId: settings.runId,
      outputDir: settings.outputDir,
      benchmarks,
      declared: [],
      waiting: [],
      done: [],
      tearingDown: [],
      expectedSecondsLeft: 0,
    };
  }
  const plan = planRun(settings, state);
  for (const b of plan.benchmarks) {
    collection.targets.set(b.name, {
      benchmark: b.resolved,
      namespace: b.built.namespace,
      paths: b.paths,
      runUid: b.record.run_uid,
    });
  }
  // The catalog's own warnings, for what this operation records from it (grouped: lib/warnings.ts).
  for (const warning of groupWarnings(plan.benchmarks.filter((b) => b.recordedNow).flatMap((b) => b.resolved.warnings)))
    pulumi.log.warn(warning);
  if (!preview) collection.recorded = await catchUp(plan, state, collection.targets, results);
  const choice = await chooseUpdate(effective, plan, state, collection.recorded);
  warnAboutWorkers(settings, choice.window, choice.inFlight, preview);
  const dashboardUrl = declareRun(settings, access, plan, choice, collection);
  return outputsOf(settings, plan, choice, dashboardUrl);
}

/**
 * The collection hooks, whatever is selected: the same names for every benchmark, and the names
 * earlier versions bound for every benchmark the stack names (components/benchmark.ts). They
 * find their benchmark's target and record through the returned object, which the later phases fill.
 */
function registerHooks(settings: RunSettings, state: RunState, results: ResultsService): Collection {
  let setDashboardUrl: (url: string | undefined) => void = () => undefined;
  const dashboardUrl = new Promise<string | undefined>((resolve) => (setDashboardUrl = resolve));
  const found = { targets: new Map<string, ResultsTarget>(), recorded: new Map<string, ResultsRecord>(state.results) };
  const collect = (benchmark: string | undefined, phase: CollectPhase): Promise<void> => {
    const target = benchmark ? found.targets.get(benchmark) : undefined;
    if (target) return results.collector(target, dashboardUrl, found.recorded.has(target.benchmark.name))(phase);
    if (benchmark && phase === "before-delete")
      return results.unselected(benchmark, namespaceOf(benchmark, settings.runId))();
    return Promise.resolve();
  };
  const hooks = collectionHooks(collect);
  for (const name of state.names) legacyHooks(name, () => collect(name, "before-delete"));
  return Object.assign(found, { setDashboardUrl, hooks });
}

/**
 * The local copy, from the stack's record (never the catalog); then what finished since the
 * last operation, collected now (ResultsService.catchUp). Returns every benchmark's results record.
 */
async function catchUp(
  plan: RunPlan,
  state: RunState,
  targets: Map<string, ResultsTarget>,
  results: ResultsService,
): Promise<Map<string, ResultsRecord>> {
  const copy = (records: ReadonlyMap<string, ResultsRecord>) => {
    try {
      return writeRunCopy(plan.benchmarks, records);
    } catch (error) {
      pulumi.log.warn(
        `the local copy of the run could not be written (the stack holds the run; the next ` +
          `\`pulumi up\` writes it again): ${(error as Error).message}`,
      );
      return { rewritten: [], restored: [] };
    }
  };
  moveAsideOthersResults(plan, state);
  const rewritten = copy(new Map()).rewritten.filter(
    (name) => !plan.benchmarks.find((b) => b.name === name)?.recordedNow,
  );
  if (rewritten.length)
    pulumi.log.warn(
      `${listed(rewritten)}: the local copy of the snapshot differed from the run's record and was rewritten from it`,
    );
  const facts = (name: string) => ({
    deployed: state.deployed.has(name),
    job: state.jobs.has(name),
    recorded: state.results.has(name),
  });
  const recorded = await results.catchUp([...targets.values()], facts, state.results);
  const restored = copy(recorded).restored;
  if (restored.length) await results.storeRun(restored);
  return recorded;
}

/**
 * What this update declares: the window of benchmarks that fit the budget, less those whose
 * shared infrastructure is missing. It is checked only for what this update deploys anew; once
 * the run has started, a missing piece holds those back (a destroy must never fail on it).
 */
async function chooseUpdate(
  settings: RunSettings,
  plan: RunPlan,
  state: RunState,
  recorded: Map<string, ResultsRecord>,
): Promise<UpdateChoice> {
  const inRun = (name: string) => plan.benchmarks.some((b) => b.name === name);
  const items: PlanItem[] = plan.benchmarks.map((b) => ({
    name: b.name,
    gpus: b.resolved.totalGpus,
    seconds: expectedDurationSeconds(b.resolved),
    done: recorded.has(b.name),
  }));
  const inFlight = new Set([...state.deployed].filter(inRun));
  const chosen = chooseWindow(plan, items, settings, inFlight);
  let window = chosen.window;
  const starting = (names: string[]) =>
    plan.benchmarks.filter((b) => names.includes(b.name) && !inFlight.has(b.name)).map((b) => b.resolved);
  if (settings.prerequisites && starting(window.declare).length) {
    try {
      await checkPrerequisites(settings, starting(window.declare));
    } catch (error) {
      if (!plan.started || !(error instanceof UserError)) throw asRunError(error);
      pulumi.log.warn(`${error.message} — benchmarks not yet deployed wait until it is fixed`);
      const held = starting(window.declare).map((b) => b.name);
      window = {
        ...window,
        declare: window.declare.filter((n) => !held.includes(n)),
        waiting: [...window.waiting, ...held],
      };
    }
  }
  const keep = new Set([...window.declare, ...(settings.skipTearDown ? window.holding : [])]);
  const declared = plan.benchmarks.filter((b) => keep.has(b.name));
  const tearingDown = settings.skipTearDown ? [] : window.holding;
  if (tearingDown.length && window.waiting.length) {
    pulumi.log.info(
      `${tearingDown.join(", ")} finished: torn down at the end of this update, which keeps their ` +
        `GPUs until then; the next \`pulumi up\` deploys what waits for them`,
    );
  }
  return { recorded, window, inFlight, planned: chosen.planned, declared, tearingDown };
}

/** The resources: the provider, the run's record, what the benchmarks share, and each declared benchmark. */
function declareRun(
  settings: RunSettings,
  access: ClusterAccess,
  plan: RunPlan,
  choice: UpdateChoice,
  collection: Collection,
): pulumi.Output<string> | undefined {
  const { declared } = choice;
  const provider = new k8s.Provider("kubernetes", {
    kubeconfig: access.kubeconfig === undefined ? undefined : pulumi.secret(access.kubeconfig),
    context: access.context,
    clusterIdentifier: access.clusterIdentifier,
    // Objects an interrupted `up` created but never recorded are adopted, not refused: the
    // provider creates client-side and fails on AlreadyExists otherwise (pulumi-kubernetes ≥ 4.29,
    // provider/pkg/await/await.go Creation).
    enableServerSideApply: true,
    upsertExistingObjects: true,
  });
  const record = new RunRecord("run", {
    snapshots: plan.benchmarks.map((b) => b.record),
    results: plan.benchmarks.flatMap((b) => choice.recorded.get(b.name) ?? []),
  });
  const epp = declared.filter(
    (b) => b.resolved.loadBalancer === "gateway.envoy.epp" || b.resolved.loadBalancer === "gateway.gke_gateway.epp",
  );
  for (const warning of settingsWarnings(
    settings,
    declared.map((b) => b.resolved),
  ))
    pulumi.log.warn(warning);
  const prerequisites = settings.prerequisites
    ? new Prerequisites(
        "prerequisites",
        {
          eppNamespaces: epp.map((b) => b.built.namespace),
          metricsReaderNamespaces: settings.gcpProject ? epp.map((b) => b.built.namespace) : [],
        },
        { providers: { kubernetes: provider } },
      )
    : undefined;
  const monitoring = settings.gcpProject
    ? new GcpMonitoring("gcp", {
        project: settings.gcpProject,
        runId: settings.runId,
        namespaces: plan.benchmarks.map((b) => b.built.namespace),
      })
    : undefined;
  if (monitoring) monitoring.dashboardUrl.apply(collection.setDashboardUrl);
  else collection.setDashboardUrl(undefined);
  if (settings.hfToken === undefined && declared.some((b) => b.resolved.modelServer === "vllm")) {
    pulumi.log.warn(
      "hfToken is not set: gated models (such as meta-llama/*) will fail to download; set it with " +
        "`pulumi config set --secret hfToken <token>`",
    );
  }
  for (const b of declared) {
    new Benchmark(
      b.name,
      {
        built: b.built,
        snapshotDir: b.paths.dir,
        hooks: collection.hooks,
        hfToken: settings.hfToken,
        prerequisites: prerequisites?.ready,
        record: record.snapshot,
        namespaceDeleteTimeout: `${namespaceDeleteTimeoutMinutes(b.resolved)}m`,
      },
      { dependsOn: monitoring ? [monitoring] : [], providers: { kubernetes: provider } },
    );
  }
  return monitoring?.dashboardUrl;
}

/**
 * Each hook that waits for its benchmark holds one of the engine's workers for hours (a step's
 * hooks run on the worker that applies it: pkg/resource/deploy/step_executor.go); with too few,
 * the other benchmarks of this update wait for a free worker.
 */
function warnAboutWorkers(settings: RunSettings, window: Window, inFlight: Set<string>, preview: boolean): void {
  const blocking = settings.waitForResults ? window.declare.filter((name) => !inFlight.has(name)).length : 0;
  const parallel = Number(process.env.PULUMI_NODEJS_PARALLEL ?? 0);
  if (!preview && blocking > 0 && parallel > 0 && parallel < blocking + PARALLEL_HEADROOM) {
    pulumi.log.warn(
      `waitForResults: each of the ${blocking} benchmarks this update deploys holds one of the ` +
        `engine's ${parallel} workers until its results are in; run \`pulumi up --parallel ${blocking + PARALLEL_HEADROOM}\` ` +
        `so that they all start at once (or use \`npm run run\`)`,
    );
  }
}

/** What the hooks read: each benchmark's target and results record, filled in by the later phases. */
interface Collection {
  targets: Map<string, ResultsTarget>;
  recorded: Map<string, ResultsRecord>;
  setDashboardUrl: (url: string | undefined) => void;
  hooks: CollectionHooks;
}

interface UpdateChoice {
  recorded: Map<string, ResultsRecord>;
  window: Window;
  /** Benchmarks of the run already deployed before this update. */
  inFlight: Set<string>;
  planned: PlanItem[];
  declared: RunBenchmark[];
  tearingDown: string[];
}

function outputsOf(
  settings: RunSettings,
  plan: RunPlan,
  choice: UpdateChoice,
  dashboardUrl?: pulumi.Output<string>,
): RunOutputs {
  const { recorded, window, declared, tearingDown } = choice;
  return {
    runId: settings.runId,
    outputDir: settings.outputDir,
    benchmarks: Object.fromEntries(
      plan.benchmarks.map((b) => [
        b.name,
        {
          namespace: b.built.namespace,
          target: b.built.target,
          snapshot: b.paths.dir,
          status: recorded.get(b.name)?.status ?? "pending",
        },
      ]),
    ),
    declared: declared.map((b) => b.name),
    waiting: window.waiting,
    done: plan.benchmarks.filter((b) => recorded.has(b.name)).map((b) => b.name),
    tearingDown,
    expectedSecondsLeft: Math.round(
      simulateRun(choice.planned, { parallelism: settings.parallelism, gpuBudget: settings.gpuBudget }),
    ),
    ...(dashboardUrl ? { dashboardUrl } : {}),
  };
}
