// What a collection leaves on disk, shared by the collector (collect.ts) and by whatever reads
// results back (status.ts): the collection record's shape, and the result files turned into a
// BenchmarkResult.
import type { BenchmarkResult } from "../../proto/benchmark-types";
import { CollectionError } from "../errors";
import { type ParsedResultFile, parseLpgResult, sameRate, statsPerRate } from "./lpg";

export type JobState = "absent" | "running" | "succeeded" | "failed";
export type CollectionStatus = "collected" | "partial" | "failed";

/** results/collection.json */
export interface CollectionRecord {
  status: CollectionStatus;
  job_state: JobState;
  /** What should be there and is not, e.g. "rate 80.0: no result file". */
  missing: string[];
  /** Everything else that went wrong (corrupt files, failed Job, evicted pod). */
  problems: string[];
  collected_at: string;
}

/** Turns the JSON result files on disk into a BenchmarkResult, noting rates without a file. */
export function resultFromFiles(jsonFiles: Array<{ file: string; text: string }>, expectedRates: number[]): { result: BenchmarkResult; missing: string[]; problems: string[] } {
  const parsed: ParsedResultFile[] = [];
  const problems: string[] = [];
  for (const { file, text } of jsonFiles) {
    try {
      parsed.push(parseLpgResult(file, text));
    } catch (error) {
      if (!(error instanceof CollectionError)) throw error;
      problems.push(error.message);
    }
  }
  const missing = expectedRates
    .filter((rate) => !parsed.some((p) => sameRate(rate, p.stat.request_rate!)))
    .map((rate) => `rate ${rate.toFixed(1)}: no result file`);
  return { result: { stats: statsPerRate(parsed) }, missing, problems };
}
