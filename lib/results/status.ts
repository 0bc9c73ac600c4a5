// What is on disk about a benchmark's results: the truth the `results` command shows. Every
// layout is read here and goes through the same parse and checks as a collection
// (tool-results.ts resultsOf), so a source never changes a benchmark's status:
//   results/collection.json …          this tool's collection (checked when it was collected)
//   results/json/*.json                 the original tool's layout (LPG files, no collection.json)
//   results/*.json, results/*.txt       the LPG's own output files, as it writes them
//   results/inference-perf/             inference-perf's report folder as the tool writes it (its
//                                       files, or its reports-<timestamp>/ folder)
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { parse as parseYaml } from "yaml";
import type { Benchmark, BenchmarkResult } from "../../proto/benchmark-types";
import { parseProtoJson } from "../../proto/json";
import type { BenchmarkPaths } from "../snapshot/layout";
import { planOf, resultsOf, statusOf, type ToolFile, type ToolPlan } from "../tool-output/tool-results";
import type { CollectionRecord } from "./record";

export type BenchmarkStatus = "pending" | "collected" | "partial" | "failed";

export interface BenchmarkState {
  status: BenchmarkStatus;
  record?: CollectionRecord;
  result?: BenchmarkResult;
}

/**
 * True when the benchmark has results on disk: collected by this tool (collection.json), or in the original
 * tool's layout.
 */
export function hasResults(paths: BenchmarkPaths): boolean {
  return fs.existsSync(paths.collection) || fs.existsSync(paths.resultsJsonDir);
}

/** The files this tool writes at the top of results/: never the LPG's. */
function ownFiles(paths: BenchmarkPaths): Set<string> {
  return new Set([paths.resultJson, paths.metadata, paths.collection].map((file) => path.basename(file)));
}

/** The stage files inference-perf wrote, and the config it saved: what the parser reads. */
const INFERENCE_PERF_FILE = /^(stage_\d+_(lifecycle|prometheus)_metrics\.json|config\.yaml)$/;

/**
 * inference-perf's report folder under results/inference-perf/: its files, or the one reports-<timestamp>/
 * folder it made.
 */
function inferencePerfFolder(paths: BenchmarkPaths): string | undefined {
  const dir = paths.resultsInferencePerfDir;
  if (!fs.existsSync(dir)) return undefined;
  const entries = fs.readdirSync(dir, { withFileTypes: true });
  if (entries.some((e) => e.isFile() && /^stage_\d+_lifecycle_metrics\.json$/.test(e.name))) return dir;
  const folders = entries.filter((e) => e.isDirectory()).map((e) => path.join(dir, e.name));
  return folders.length === 1 ? folders[0] : dir;
}

/**
 * Files of `dir` by name, each named in messages by its path under the output folder (the same wherever the
 * command runs).
 */
function readToolFiles(paths: BenchmarkPaths, dir: string, wanted: (name: string) => boolean): ToolFile[] {
  if (!fs.existsSync(dir)) return [];
  const outputDir = path.dirname(path.dirname(paths.dir));
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && wanted(e.name))
    .map((e) => e.name)
    .sort()
    .map((name) => ({
      name,
      file: path.relative(outputDir, path.join(dir, name)),
      text: fs.readFileSync(path.join(dir, name), "utf8"),
    }));
}

/**
 * The stages of an inference-perf report without a snapshot: its config.yaml's load.stages (rates,
 * or concurrency levels); none for a sweep, whose rates are in each stage file.
 */
function planFromReportConfig(files: ToolFile[]): ToolPlan {
  const plan: ToolPlan = { tool: "inference-perf", requestRates: [], warmupStages: 0, concurrent: false };
  const config = files.find((f) => f.name === "config.yaml");
  if (!config) return plan;
  const saved = parseYaml(config.text) as {
    load?: { type?: string; stages?: Array<Record<string, unknown>> };
    api?: { streaming?: boolean };
  } | null;
  const concurrent = saved?.load?.type === "concurrent";
  const rates = (saved?.load?.stages ?? []).map((stage) => Number(concurrent ? stage.concurrency_level : stage.rate));
  const streaming = saved?.api?.streaming;
  return {
    ...plan,
    concurrent,
    requestRates: rates.every(Number.isFinite) ? rates : [],
    ...(streaming !== undefined ? { streaming } : {}),
  };
}

/** The sampler's scrapes on disk: results/pod-metrics.jsonl.gz as collected, or plain as written. */
function podMetricsOnDisk(paths: BenchmarkPaths): { file: string; text: string } | undefined {
  if (fs.existsSync(paths.podMetricsGz))
    return { file: paths.podMetricsGz, text: zlib.gunzipSync(fs.readFileSync(paths.podMetricsGz)).toString("utf8") };
  if (fs.existsSync(paths.podMetrics))
    return { file: paths.podMetrics, text: fs.readFileSync(paths.podMetrics, "utf8") };
  return undefined;
}

/**
 * Results in any layout but this tool's collection, parsed and checked as a collection is:
 * stage ↔ rate from the snapshot's benchmark.pbtxt (`config`), else from the report's config.yaml.
 */
export function resultsOnDisk(
  paths: BenchmarkPaths,
  config: Benchmark | undefined,
): { result: BenchmarkResult; missing: string[]; problems: string[] } {
  const ipFolder = inferencePerfFolder(paths);
  const ipFiles = ipFolder ? readToolFiles(paths, ipFolder, (name) => INFERENCE_PERF_FILE.test(name)) : [];
  const own = ownFiles(paths);
  const lpgFiles = [
    ...readToolFiles(paths, paths.resultsJsonDir, (name) => name.endsWith(".json")),
    ...readToolFiles(paths, paths.resultsDir, (name) => name.endsWith(".json") && !own.has(name)),
  ];
  const plan = config?.config?.benchmark_tool
    ? planOf(config)
    : ipFiles.length && !lpgFiles.length
      ? planFromReportConfig(ipFiles)
      : { tool: "lpg" as const, requestRates: [], warmupStages: 0, concurrent: false };
  const toolLog = fs.existsSync(paths.toolLog) ? fs.readFileSync(paths.toolLog, "utf8") : "";
  const { result, missing, problems } = resultsOf(plan, plan.tool === "inference-perf" ? ipFiles : lpgFiles, {
    toolLog,
    podMetrics: podMetricsOnDisk(paths),
  });
  return { result, missing, problems };
}

/**
 * Reads a benchmark's state. Results collected by this tool carry collection.json; any other
 * layout is parsed from its files and checked as a collection would be.
 */
export function readBenchmarkState(paths: BenchmarkPaths, config?: Benchmark): BenchmarkState {
  if (!fs.existsSync(paths.resultsDir)) return { status: "pending" };
  if (fs.existsSync(paths.collection)) {
    const record = JSON.parse(fs.readFileSync(paths.collection, "utf8")) as CollectionRecord;
    const result = fs.existsSync(paths.resultJson)
      ? parseProtoJson<BenchmarkResult>(fs.readFileSync(paths.resultJson, "utf8"))
      : undefined;
    return { status: record.status, record, result };
  }
  const { result, missing, problems } = resultsOnDisk(paths, config);
  const status = statusOf(result, missing, problems);
  return { status, result, record: { status, job_state: "absent", missing, problems, collected_at: "" } };
}
