// Every benchmark of a run on disk, with its state: shared by the results, import and report commands.
import * as fs from "node:fs";
import * as path from "node:path";
import type { Benchmark } from "../../proto/benchmark-types";
import { BenchmarkType } from "../../proto/schema";
import { parseTextFormat } from "../../proto/textformat";
import { requestRatesOf } from "../catalog/tool";
import { SnapshotError } from "../errors";
import { benchmarkPaths, type BenchmarkPaths, runDir } from "../snapshot/layout";
import { upgradeLegacyState } from "./legacy";
import { type BenchmarkState, readBenchmarkState } from "./status";

export interface RunBenchmark {
  name: string;
  paths: BenchmarkPaths;
  /** The resolved benchmark from benchmark.pbtxt, when the snapshot has one. */
  config?: Benchmark;
  state: BenchmarkState;
}

export function listRunBenchmarks(outputDir: string, runId: string): RunBenchmark[] {
  const dir = runDir(outputDir, runId);
  if (!fs.existsSync(dir)) throw new SnapshotError(`${dir}: no such run (run ids here: ${fs.existsSync(outputDir) ? fs.readdirSync(outputDir).filter((d) => fs.statSync(path.join(outputDir, d)).isDirectory()).join(", ") || "none" : "none"})`);
  const suffix = `-${runId}`;
  return fs.readdirSync(dir)
    .filter((entry) => entry.endsWith(suffix) && fs.statSync(path.join(dir, entry)).isDirectory())
    .sort()
    .map((entry) => {
      const name = entry.slice(0, -suffix.length);
      const paths = benchmarkPaths(outputDir, runId, name);
      const config = fs.existsSync(paths.benchmarkPbtxt) ? parseTextFormat(BenchmarkType, fs.readFileSync(paths.benchmarkPbtxt, "utf8"), paths.benchmarkPbtxt) : undefined;
      const rates = config ? requestRatesOf(config) : [];
      return { name, paths, config, state: upgradeLegacyState(paths, readBenchmarkState(paths, rates), rates) };
    });
}
