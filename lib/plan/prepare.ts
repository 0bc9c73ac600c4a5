// catalog → resolved → selected → built: what `npm run manifests` and the Pulumi program share,
// so that the snapshot and the deployment come from the very same objects.
import * as crypto from "node:crypto";
import { loadCatalogs, type ResolvedBenchmark, selectBenchmarks } from "../catalog/catalog";
import { CatalogError } from "../errors";
import { buildBenchmark, type BuiltBenchmark } from "../manifests";
import { benchmarkPaths, type BenchmarkPaths } from "../snapshot/layout";
import { type SnapshotFile, snapshotFiles } from "../snapshot/snapshot";

export interface PrepareOptions {
  catalogs: string[];
  runId: string;
  outputDir: string;
  regex?: string;
  gcpProject?: string;
}

export interface PreparedBenchmark {
  resolved: ResolvedBenchmark;
  built: BuiltBenchmark;
  paths: BenchmarkPaths;
  files: SnapshotFile[];
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A fresh run id: 8 hex characters. */
export function newRunId(): string {
  return crypto.randomBytes(4).toString("hex");
}

/** Checks that a run id can be part of every benchmark's namespace `{name}-{run_id}`. */
export function validateRunId(runId: string, benchmarks: ResolvedBenchmark[]): void {
  if (!DNS_LABEL.test(runId)) {
    throw new CatalogError(`run id "${runId}" must be lowercase letters, digits and "-" (it becomes part of each namespace; the Pulumi stack name is the run id)`);
  }
  for (const benchmark of benchmarks) {
    const namespace = `${benchmark.name}-${runId}`;
    if (namespace.length > 63) {
      throw new CatalogError(`${benchmark.file}:${benchmark.line}: benchmark "${benchmark.name}": namespace "${namespace}" is longer than 63 characters; use a run id of at most 8 characters or a shorter name`);
    }
  }
}

export function prepareRun(options: PrepareOptions): PreparedBenchmark[] {
  const selected = selectBenchmarks(loadCatalogs(options.catalogs), options.regex);
  validateRunId(options.runId, selected);
  return selected.map((resolved) => {
    const built = buildBenchmark(resolved, { runId: options.runId, gcpProject: options.gcpProject });
    return {
      resolved,
      built,
      paths: benchmarkPaths(options.outputDir, options.runId, resolved.name),
      files: snapshotFiles(options.outputDir, options.runId, built, resolved.name),
    };
  });
}
