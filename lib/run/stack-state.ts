// What a run's Pulumi stack holds, read back by the program at the start of every operation: the
// builtin provider's readStackResourceOutputs invoke returns the type and outputs of every
// resource in the stack's latest checkpoint, on any backend (pulumi/pulumi@v3.259.0
// pkg/resource/deploy/builtins.go readStackResourceOutputs → pkg/backend/backend.go
// GetStackResourceOutputs; resources marked for deletion are left out). So nothing a later
// `up`, `preview` or `destroy` needs lives only on the disk of the machine that ran the first one.
import { LABELS } from "../manifests/common";
import { isResultsRecord, type ResultsRecord } from "../results/stack-record";
import { isRunSnapshotRecord, type SnapshotRecord } from "../snapshot/stack-record";

/** The type token of the builtin provider's Stash resource, which holds the run's records. */
export const STASH_TYPE = "pulumi:index:Stash";
const JOB_TYPE = "kubernetes:batch/v1:Job";

/** The parts of a resource's outputs read here: a Kubernetes object's kind and metadata, a Stash's input. */
export interface ResourceOutputs {
  kind?: string;
  metadata?: { namespace?: string; labels?: Record<string, string> };
  input?: unknown;
}

/** readStackResourceOutputs' answer: `outputs` by URN. */
export interface StackResources {
  [urn: string]: { type: string; outputs: ResourceOutputs };
}

export interface RunState {
  /** The run's snapshot, by benchmark name. */
  snapshots: Map<string, SnapshotRecord>;
  /** The results (or losses) recorded so far, by benchmark name. */
  results: Map<string, ResultsRecord>;
  /** Benchmarks with any object of theirs in the stack (deployed, or partly: an interrupted `up`). */
  deployed: Set<string>;
  /** Benchmarks whose load-generator Job is in the stack. */
  jobs: Set<string>;
  /** Benchmark names seen on any resource of the stack: every hook name an earlier operation may have bound. */
  names: Set<string>;
  /** Nothing at all in the stack. */
  empty: boolean;
}

/** The benchmark a Kubernetes object of run `runId` belongs to (its labels), if any. */
function benchmarkOf(outputs: ResourceOutputs, runId: string): string | undefined {
  const labels: Record<string, string> = outputs?.metadata?.labels ?? {};
  return labels[LABELS.runId] === runId && typeof labels[LABELS.benchmark] === "string"
    ? labels[LABELS.benchmark]
    : undefined;
}

export function readRunState(resources: StackResources, runId: string): RunState {
  const state: RunState = {
    snapshots: new Map(),
    results: new Map(),
    deployed: new Set(),
    jobs: new Set(),
    names: new Set(),
    empty: true,
  };
  for (const { type, outputs } of Object.values(resources)) {
    if (type === "pulumi:pulumi:Stack") continue;
    state.empty = false;
    if (type === STASH_TYPE) {
      // A record is read as last declared (`input`); a Stash keeps its first value in `output`.
      const record = outputs?.input;
      if (isRunSnapshotRecord(record)) for (const b of record.benchmarks) state.snapshots.set(b.benchmark.name, b);
      else if (isResultsRecord(record)) state.results.set(record.benchmark, record);
      continue;
    }
    if (!type.startsWith("kubernetes:")) continue;
    const name = benchmarkOf(outputs, runId);
    if (!name) continue;
    state.names.add(name);
    const namespaced = outputs.metadata?.namespace !== undefined || outputs.kind === "Namespace";
    if (namespaced) state.deployed.add(name);
    if (type === JOB_TYPE) state.jobs.add(name);
  }
  for (const name of [...state.snapshots.keys(), ...state.results.keys()]) state.names.add(name);
  return state;
}
