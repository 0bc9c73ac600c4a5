// A run is its snapshot. The first `up` records every selected benchmark in the stack; from then
// on the run deploys what it recorded, whatever the catalog, the name regex or the local disk now
// say: a difference is a warning that names it and says how to run the catalog as it is (a new
// run). `override` re-records only benchmarks not yet deployed. A destroy runs this program too
// and cannot be told from an `up`, so nothing here may fail once a run has started.
import type { ResolvedBenchmark } from "../catalog/catalog";
import { CatalogError, listed } from "../errors";
import type { BuiltBenchmark } from "../manifests";
import type { PreparedBenchmark } from "../plan/prepare";
import { type BenchmarkPaths, benchmarkPaths } from "../snapshot/layout";
import {
  type FileSet,
  recordedBenchmark,
  relativeFiles,
  type SnapshotRecord,
  snapshotRecordOf,
} from "../snapshot/stack-record";
import type { RunState } from "./stack-state";

/** One benchmark of the run, deployed from its record. */
export interface RunBenchmark {
  name: string;
  record: SnapshotRecord;
  /** Recorded by this operation: the first `up`, an override, or a stack an earlier version deployed. */
  recordedNow: boolean;
  resolved: ResolvedBenchmark;
  built: BuiltBenchmark;
  /** The snapshot files, by path in the benchmark's folder. */
  files: FileSet;
  paths: BenchmarkPaths;
}

export interface ReconcileInput {
  runId: string;
  outputDir: string;
  state: RunState;
  /** The catalog as it is now, or why it cannot be read. */
  catalog: PreparedBenchmark[] | CatalogError;
  override: boolean;
  now: Date;
  newRunUid: () => string;
}

export interface RunPlan {
  benchmarks: RunBenchmark[];
  /** The run had recorded its snapshot before this operation. */
  started: boolean;
  warnings: string[];
}

function fromRecord(record: SnapshotRecord, recordedNow: boolean, input: ReconcileInput): RunBenchmark {
  const { resolved, built, files } = recordedBenchmark(record);
  const paths = benchmarkPaths(input.outputDir, input.runId, record.benchmark.name);
  return { name: record.benchmark.name, record, recordedNow, resolved, built, files, paths };
}

export function reconcile(input: ReconcileInput): RunPlan {
  const { state, catalog } = input;
  const started = state.snapshots.size > 0;
  const deployedEarlier = !started && !state.empty;
  const warnings: string[] = [];
  const record = (p: PreparedBenchmark, uid: string) => fromRecord(snapshotRecordOf(p, uid, input.now), true, input);

  if (catalog instanceof CatalogError) {
    if (started) {
      warnings.push(`${catalog.message} — the run goes on with the ${state.snapshots.size} benchmark(s) it recorded`);
      return { benchmarks: [...state.snapshots.values()].map((r) => fromRecord(r, false, input)), started, warnings };
    }
    if (!deployedEarlier) throw catalog;
    // The stack holds objects but no record: an earlier version deployed them, or a teardown
    // stopped half-way. Nothing can be deployed without a catalog; what is there goes.
    const what = state.deployed.size ? ` (${listed([...state.deployed].sort())})` : "";
    warnings.push(
      `${catalog.message} — run ${input.runId} has no recorded snapshot in its stack (a teardown ` +
        `stopped half-way, or an earlier version deployed it): what is left${what} is torn down`,
    );
    return { benchmarks: [], started, warnings };
  }

  if (!started) {
    const uid = input.newRunUid();
    const benchmarks = catalog.map((p) => record(p, uid));
    const gone = [...state.deployed].filter((name) => !catalog.some((p) => p.resolved.name === name)).sort();
    if (gone.length)
      warnings.push(
        `${listed(gone)}: in the stack without a record (an earlier version deployed it, or a ` +
          `teardown stopped half-way) and not selected by the catalog — torn down`,
      );
    return { benchmarks, started, warnings };
  }

  const uid = [...state.snapshots.values()][0].run_uid;
  const inCatalog = new Map(catalog.map((p) => [p.resolved.name, p]));
  const untouchable = (name: string) => state.deployed.has(name) || state.results.has(name);
  const changed: string[] = [];
  const added: string[] = [];
  const removed: string[] = [];
  const rebuilt: string[] = [];
  const rerecorded: string[] = [];
  const benchmarks: RunBenchmark[] = [];
  for (const recorded of state.snapshots.values()) {
    const name = recorded.benchmark.name;
    const current = inCatalog.get(name);
    const kept = fromRecord(recorded, false, input);
    if (!current) {
      removed.push(name);
      if (input.override && !untouchable(name)) rerecorded.push(name);
      else benchmarks.push(kept);
      continue;
    }
    const now = relativeFiles(current.paths, current.files);
    if (now["benchmark.pbtxt"] !== kept.files["benchmark.pbtxt"]) {
      changed.push(name);
      if (input.override && !untouchable(name)) {
        rerecorded.push(name);
        benchmarks.push(record(current, uid));
      } else {
        benchmarks.push(kept);
      }
    } else {
      if (Object.keys(now).some((file) => now[file] !== kept.files[file])) rebuilt.push(name);
      benchmarks.push(kept);
    }
  }
  for (const p of catalog) {
    if (state.snapshots.has(p.resolved.name)) continue;
    added.push(p.resolved.name);
    if (input.override) {
      rerecorded.push(p.resolved.name);
      benchmarks.push(record(p, uid));
    }
  }
  const differences = [
    changed.length ? `changed: ${listed(changed)}` : "",
    added.length ? `added: ${listed(added)}` : "",
    removed.length ? `no longer selected: ${listed(removed)}` : "",
  ].filter(Boolean);
  if (differences.length) {
    const applied = rerecorded.length
      ? `; override applied the catalog to ${listed(rerecorded)} (not yet deployed)`
      : "";
    const held = [...changed, ...removed].filter((name) => !rerecorded.includes(name));
    const applicable = !input.override && (added.length > 0 || held.some((name) => !untouchable(name)));
    const hint = applicable
      ? "; `pulumi config set override true` applies the catalog to benchmarks not yet deployed"
      : "";
    warnings.push(
      `the catalog differs from run ${input.runId}'s recorded snapshot ` +
        `(${differences.join("; ")}); the run deploys what it recorded${applied}${hint} — to run ` +
        `the catalog as it is, start a new run (\`pulumi stack init <new run id>\`)`,
    );
  }
  if (rebuilt.length) {
    warnings.push(
      `${listed(rebuilt)}: this version of inference-bench would build other manifests for the ` +
        `same catalog entry; the run keeps deploying what it recorded`,
    );
  }
  return { benchmarks, started, warnings };
}
