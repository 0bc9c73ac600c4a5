// Every benchmark of a run on disk, with its state: shared by the results, import and report commands.
import * as fs from "node:fs";
import * as path from "node:path";
import type { Benchmark } from "../../proto/benchmark-types";
import { BenchmarkType } from "../../proto/schema";
import { parseTextFormat } from "../../proto/textformat";
import { SnapshotError } from "../errors";
import { type BenchmarkPaths, benchmarkPaths, runDir } from "../snapshot/layout";
import { upgradeLegacyState } from "./legacy";
import { type Provenance, readProvenance, readSnapshotFiles, type SnapshotFiles } from "./provenance";
import { type BenchmarkState, readBenchmarkState } from "./status";

/**
 * What a run keeps about one benchmark, wherever it is read from (its folder, or the results
 * database on a machine that has none of its files): the commands print only this.
 */
export interface BenchmarkRecord {
  name: string;
  /** The resolved benchmark from benchmark.pbtxt, when the snapshot has one. */
  config?: Benchmark;
  state: BenchmarkState;
  provenance: Provenance;
  /** The snapshot's files as written (benchmark.pbtxt, manifests/<part>.yaml). */
  snapshot: SnapshotFiles;
}

export interface RunBenchmark {
  name: string;
  paths: BenchmarkPaths;
  /** The resolved benchmark from benchmark.pbtxt, when the snapshot has one. */
  config?: Benchmark;
  state: BenchmarkState;
}

/** Benchmarks in name order, the same order the database gives. */
export function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export function listRunBenchmarks(outputDir: string, runId: string): RunBenchmark[] {
  const dir = runDir(outputDir, runId);
  if (!fs.existsSync(dir))
    throw new SnapshotError(
      `${dir}: no such run (run ids here: ${
        fs.existsSync(outputDir)
          ? fs
              .readdirSync(outputDir)
              .filter((d) => fs.statSync(path.join(outputDir, d)).isDirectory())
              .join(", ") || "none"
          : "none"
      })`,
    );
  const suffix = `-${runId}`;
  return fs
    .readdirSync(dir)
    .filter((entry) => entry.endsWith(suffix) && fs.statSync(path.join(dir, entry)).isDirectory())
    .map((entry) => runBenchmark(outputDir, runId, entry.slice(0, -suffix.length)))
    .sort(byName);
}

/** One benchmark of a run on disk. */
function runBenchmark(outputDir: string, runId: string, name: string): RunBenchmark {
  const paths = benchmarkPaths(outputDir, runId, name);
  const config = fs.existsSync(paths.benchmarkPbtxt)
    ? parseTextFormat(BenchmarkType, fs.readFileSync(paths.benchmarkPbtxt, "utf8"), paths.benchmarkPbtxt)
    : undefined;
  return { name, paths, config, state: upgradeLegacyState(paths, readBenchmarkState(paths, config), config) };
}

/** A benchmark of a run on disk as the database keeps it: with its provenance and its snapshot's files. */
function recordOf(benchmark: RunBenchmark): BenchmarkRecord {
  const snapshot = readSnapshotFiles(benchmark.paths);
  return {
    name: benchmark.name,
    config: benchmark.config,
    state: benchmark.state,
    provenance: readProvenance(benchmark.paths, snapshot),
    snapshot,
  };
}

/** The run's benchmarks on disk as records; `names`: only these. */
export function readRunRecords(outputDir: string, runId: string, names?: string[]): BenchmarkRecord[] {
  return (names ? names.map((name) => runBenchmark(outputDir, runId, name)) : listRunBenchmarks(outputDir, runId)).map(
    recordOf,
  );
}
