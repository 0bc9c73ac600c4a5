// The run's record in its own stack: the snapshot of every benchmark it deploys, and each
// benchmark's results once collected (lib/snapshot/stack-record.ts, lib/results/stack-record.ts),
// each held by a Stash
// of the builtin provider, which keeps a value in state and nowhere else (pulumi/pulumi@v3.259.0
// pkg/resource/deploy/builtins.go). The program reads them back at the start of every operation
// (lib/run/stack-state.ts), so any machine can resume, collect and tear down the run.
import * as pulumi from "@pulumi/pulumi";
import type { ResultsRecord } from "../lib/results/stack-record";
import { runSnapshotRecord, type SnapshotRecord } from "../lib/snapshot/stack-record";

export const RUN_RECORD_TYPE = "inference-bench:index:RunRecord";

export interface RunRecordArgs {
  /** Every benchmark of the run, as recorded. Required. */
  snapshots: SnapshotRecord[];
  /** Every benchmark with results (or recorded as lost). Default: none. */
  results?: ResultsRecord[];
}

export class RunRecord extends pulumi.ComponentResource {
  /** The run's snapshot, one Stash recorded at once: benchmarks are declared only once it is in the state. */
  readonly snapshot: pulumi.Resource;

  constructor(name: string, args: RunRecordArgs, opts?: pulumi.ComponentResourceOptions) {
    super(RUN_RECORD_TYPE, name, {}, opts);
    const names = new Set<string>();
    for (const record of args.snapshots) {
      if (names.has(record.benchmark.name))
        throw new pulumi.ResourceError(`benchmark ${record.benchmark.name} is recorded twice`, this);
      names.add(record.benchmark.name);
    }
    this.snapshot = new pulumi.Stash(
      `${name}-snapshot`,
      { input: runSnapshotRecord(args.snapshots) },
      { parent: this },
    );
    for (const record of args.results ?? []) {
      new pulumi.Stash(`${record.benchmark}-results`, { input: record }, { parent: this });
    }
    this.registerOutputs({});
  }
}
