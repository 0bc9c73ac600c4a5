// What is on disk about a benchmark's results: the truth the `results` command shows.
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import type { BenchmarkResult } from "../../proto/benchmark-types";
import { parseProtoJson } from "../../proto/json";
import type { BenchmarkPaths } from "../snapshot/layout";
import { annotateRates } from "./rate-evidence";
import type { CollectionRecord } from "./record";
import { readToolLog } from "./tool-log";
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

/** True when the benchmark has results on disk, so a run does not deploy it again. */
export function hasResults(paths: BenchmarkPaths): boolean {
  return fs.existsSync(paths.resultsJsonDir);
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
  const jsonFiles = readJsonFiles(paths.resultsJsonDir);
  const { result, missing, problems } = resultFromFiles(jsonFiles, expectedRates);
  problems.push(...annotateFromDisk(result, paths, jsonFiles));
  const status = statusOf(result, missing, problems);
  return { status, result, record: { status, job_state: "absent", missing, problems, collected_at: "" } };
}

/** Routing and load verdicts for LPG results read from their files: the pods' scrapes and the wrapper's marks, where kept. */
function annotateFromDisk(result: BenchmarkResult, paths: BenchmarkPaths, jsonFiles: Array<{ file: string; text: string }>): string[] {
  const read = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined);
  const gzipped = fs.existsSync(paths.podMetricsGz);
  const podMetrics = gzipped ? zlib.gunzipSync(fs.readFileSync(paths.podMetricsGz)).toString("utf8") : read(paths.podMetrics);
  return annotateRates(result.stats ?? [], {
    tool: "lpg",
    files: jsonFiles.map((f) => ({ name: path.basename(f.file), text: f.text })),
    ...(podMetrics !== undefined ? { podMetrics: { file: gzipped ? paths.podMetricsGz : paths.podMetrics, text: podMetrics } } : {}),
    rateMarks: readToolLog(read(paths.toolLog) ?? "").rateMarks,
    rateIsLoad: true,
  });
}
