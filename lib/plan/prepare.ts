// catalog → resolved → selected → built: what `npm run manifests` and the Pulumi program share,
// so that the snapshot and the deployment come from the very same objects.
import * as crypto from "node:crypto";
import { loadCatalogs, type ResolvedBenchmark } from "../catalog/catalog";
import { CatalogError } from "../errors";
import { runIdProblem } from "../ids";
import { type BuiltBenchmark, buildBenchmark } from "../manifests";
import { type BenchmarkPaths, benchmarkPaths } from "../snapshot/layout";
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

/** A fresh run id: 8 hex characters. */
export function newRunId(): string {
  return crypto.randomBytes(4).toString("hex");
}

/** Checks that a run id can end every benchmark's namespace `{name}-{run_id}` (names leave room for 8 characters). */
export function validateRunId(runId: string): void {
  const problem = runIdProblem(runId);
  if (problem) throw new CatalogError(problem);
}

export function prepareRun(options: PrepareOptions): PreparedBenchmark[] {
  validateRunId(options.runId);
  const selected = loadCatalogs(options.catalogs, options.regex);
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
