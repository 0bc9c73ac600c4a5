// What is on disk about a benchmark's results: the truth the `results` command shows.
import * as fs from "node:fs";
import * as path from "node:path";
import type { BenchmarkResult } from "../../proto/benchmark-types";
import { parseProtoJson } from "../../proto/json";
import type { BenchmarkPaths } from "../snapshot/layout";
import type { CollectionRecord } from "./record";
import { resultFromFiles, statusOf } from "./tool-results";

export type BenchmarkStatus = "pending" | "collected" | "partial" | "failed";

export interface BenchmarkState {
  status: BenchmarkStatus;
  record?: CollectionRecord;
  result?: BenchmarkResult;
}

export function readJsonFiles(dir: string): Array<{ file: string; text: string }> {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((name) => name.endsWith(".json")).sort().map((name) => ({ file: path.join(dir, name), text: fs.readFileSync(path.join(dir, name), "utf8") }));
}

/** True when the benchmark has results on disk: collected by this tool (collection.json), or in the original tool's layout. */
export function hasResults(paths: BenchmarkPaths): boolean {
  return fs.existsSync(paths.collection) || fs.existsSync(paths.resultsJsonDir);
}

/**
 * Reads a benchmark's state. Results collected by this tool carry collection.json; results
 * in the original tool's layout (results/json only) are parsed from their files.
 */
export function readBenchmarkState(paths: BenchmarkPaths, expectedRates: number[] = []): BenchmarkState {
  if (!fs.existsSync(paths.resultsDir)) return { status: "pending" };
  if (fs.existsSync(paths.collection)) {
    const record = JSON.parse(fs.readFileSync(paths.collection, "utf8")) as CollectionRecord;
    const result = fs.existsSync(paths.resultJson) ? parseProtoJson<BenchmarkResult>(fs.readFileSync(paths.resultJson, "utf8")) : undefined;
    return { status: record.status, record, result };
  }
  const { result, missing, problems } = resultFromFiles(readJsonFiles(paths.resultsJsonDir), expectedRates);
  const status = statusOf(result, missing, problems);
  return { status, result, record: { status, job_state: "absent", missing, problems, collected_at: "" } };
}
