// The run on this machine's disk: a copy of what its stack records (lib/run/stack-state.ts), the
// snapshot files and the results the stack holds, so that `results`, `report` and the manifests
// work on any machine. Written by `up` (never by a preview), and by the CLIs from
// `pulumi stack export` when the run is missing here.
import * as fs from "node:fs";
import * as path from "node:path";
import { type ResultsRecord, restoreResults } from "../results/stack-record";
import { sameContent, writeReadOnly } from "../snapshot/files";
import { type BenchmarkPaths, benchmarkPaths } from "../snapshot/layout";
import { type FileSet, unpackFiles } from "../snapshot/stack-record";
import type { RunState } from "./stack-state";

export interface CopiedBenchmark {
  name: string;
  files: FileSet;
  paths: BenchmarkPaths;
}

export interface CopyReport {
  /** Benchmarks whose snapshot files on disk differed from the record, and were rewritten. */
  rewritten: string[];
  /** Benchmarks whose results folder was re-created from the stack. */
  restored: string[];
}

/**
 * Writes each benchmark's snapshot files as recorded, and its results where the stack has them and the disk
 * does not.
 */
export function writeRunCopy(benchmarks: CopiedBenchmark[], results: ReadonlyMap<string, ResultsRecord>): CopyReport {
  const report: CopyReport = { rewritten: [], restored: [] };
  for (const b of benchmarks) {
    let rewritten = false;
    for (const [name, content] of Object.entries(b.files)) {
      const file = path.join(b.paths.dir, name);
      if (sameContent(file, content)) continue;
      if (fs.existsSync(file)) {
        rewritten = true;
        fs.chmodSync(file, 0o644);
      }
      writeReadOnly(file, content);
    }
    if (rewritten) report.rewritten.push(b.name);
    const record = results.get(b.name);
    if (record && restoreResults(b.paths, record)) report.restored.push(b.name);
  }
  return report;
}

/** The copy of every benchmark a stack's state records. */
export function copyOfState(state: RunState, runId: string, outputDir: string): CopyReport {
  const benchmarks = [...state.snapshots.values()].map((record) => ({
    name: record.benchmark.name,
    files: unpackFiles(record.files),
    paths: benchmarkPaths(outputDir, runId, record.benchmark.name),
  }));
  return writeRunCopy(benchmarks, state.results);
}
