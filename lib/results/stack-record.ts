// A benchmark's results as its run's Pulumi stack keeps them (components/run-record.ts): what the
// collector decided (collection.json), where and what ran (metadata.json) and the figures
// (benchmark-result.json and .pbtxt), packed small. With it, any machine knows that a benchmark is
// done and can re-create the results folder; the tool's raw files stay where they were collected
// (the collecting machine, the bucket, the results database).
import * as fs from "node:fs";
import * as path from "node:path";
import { writeReadOnly } from "../snapshot/files";
import type { BenchmarkPaths } from "../snapshot/layout";
import { type FileSet, type PackedFiles, packFiles, unpackFiles } from "../snapshot/stack-record";
import type { CollectionRecord, CollectionStatus, ResultMetadata } from "./record";

export interface ResultsRecord {
  kind: "results";
  version: 1;
  benchmark: string;
  run_uid: string;
  status: CollectionStatus;
  collected_at: string;
  /** results/collection.json, metadata.json, benchmark-result.json and benchmark-result.pbtxt. */
  files: PackedFiles;
}

export function isResultsRecord(value: unknown): value is ResultsRecord {
  const v = value as ResultsRecord | undefined;
  return (
    v?.kind === "results" && v.version === 1 && typeof v.benchmark === "string" && v.files?.encoding === "gzip+base64"
  );
}

/** The results files a stack record holds, by their path in the benchmark's folder. */
function recordedFiles(paths: BenchmarkPaths): Array<[string, string]> {
  return [paths.collection, paths.metadata, paths.resultJson, paths.resultPbtxt].map((file) => [
    path.relative(paths.dir, file).split(path.sep).join("/"),
    file,
  ]);
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as T;
  } catch {
    return undefined;
  }
}

/**
 * Whether results on disk belong to the run recorded with `runUid` and this benchmark.pbtxt: they
 * were collected for it (their run_uid), or, collected for another run with the same run id (an
 * earlier version's, or one torn down and now resumed), for the very same benchmark. Read before
 * the local copy of the snapshot is rewritten from the stack. True when there are none.
 */
export function ownLocalResults(paths: BenchmarkPaths, runUid: string, recordedPbtxt: string): boolean {
  if (!fs.existsSync(paths.collection)) return true;
  if (readJson<ResultMetadata>(paths.metadata)?.run_uid === runUid) return true;
  try {
    return fs.readFileSync(paths.benchmarkPbtxt, "utf8") === recordedPbtxt;
  } catch {
    return false;
  }
}

/** The record of the results on disk (collected by this tool: collection.json is there). */
export function resultsRecordOf(paths: BenchmarkPaths, benchmark: string, runUid: string): ResultsRecord | undefined {
  const collection = readJson<CollectionRecord>(paths.collection);
  if (!collection) return undefined;
  const files: FileSet = Object.fromEntries(
    recordedFiles(paths)
      .filter(([, file]) => fs.existsSync(file))
      .map(([name, file]) => [name, fs.readFileSync(file, "utf8")]),
  );
  return {
    kind: "results",
    version: 1,
    benchmark,
    run_uid: runUid,
    status: collection.status,
    collected_at: collection.collected_at,
    files: packFiles(files),
  };
}

/**
 * Moves results on disk that belong to another run with the same run id out of the way, never
 * deleting them: `results` → `results.stale-<time>`. Returns where they went.
 */
export function moveAside(paths: BenchmarkPaths, now: Date): string {
  const target = `${paths.resultsDir}.stale-${now.toISOString().replace(/[:.]/g, "-")}`;
  fs.renameSync(paths.resultsDir, target);
  return target;
}

/**
 * Re-creates a benchmark's results folder from its stack record when the folder is missing (a
 * fresh machine, another CI runner). Written whole or not at all. Returns whether it wrote.
 */
export function restoreResults(paths: BenchmarkPaths, record: ResultsRecord): boolean {
  if (fs.existsSync(paths.resultsDir)) return false;
  const staging = `${paths.resultsDir}.staging-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    for (const [name, content] of Object.entries(unpackFiles(record.files)))
      writeReadOnly(path.join(staging, path.relative("results", name)), content);
    fs.renameSync(staging, paths.resultsDir);
    return true;
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    // Another collector (an earlier `up` still finishing) wrote it first: theirs stands.
    if (fs.existsSync(paths.resultsDir)) return false;
    throw error;
  }
}
