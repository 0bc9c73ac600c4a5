// From what the load generator's pod left in its log to a BenchmarkResult, for either load
// generator: where each archived file is kept, parsing (LPG files: lib/tool-output/lpg.ts;
// inference-perf reports: lib/tool-output/inference-perf.ts), and the checks that make a run's
// figures trustworthy: a crash named by its exception, failed requests, load not delivered,
// secrets scrubbed, and whether the benchmark counts as collected, partial or failed.
import * as path from "node:path";
import type { Benchmark, BenchmarkResult, Stat } from "../../proto/benchmark-types";
import type { ResolvedBenchmark } from "../catalog/catalog";
import { type LoadGeneratorKind, requestRatesOf } from "../catalog/tool";
import { CollectionError } from "../errors";
import { inferencePerfWarmupStages } from "../manifests/load-generator-inference-perf";
import type { BenchmarkPaths } from "../snapshot/layout";
import { parseInferencePerfReports } from "./inference-perf";
import { achievedRate, DELIVERED_SHARE } from "./load-fidelity";
import type { ResultLog } from "./log-archive";
import { type ParsedResultFile, parseLpgResult, rateLabel, sameRate, statsPerRate } from "./lpg";
import { annotateRates } from "./rate-evidence";
import { scrubSecrets } from "./secrets";
import { type Crash, readToolLog } from "./tool-log";

export type ResultStatus = "collected" | "partial" | "failed";

/** results/metadata.json `load_generator`: how the load generator ran. */
export interface LoadGeneratorRecord {
  tool: LoadGeneratorKind;
  /** Whether responses were streamed (so TTFT and ITL were measured). */
  streaming?: boolean;
  /** Our warm-up before the measured rates; none when warm-up was 0 s. */
  warmup?: { rate: number; seconds: number; requests: number; succeeded?: number; exit_status?: number };
  /** What the wrapper said about this build (streaming turned off, a pause it ignores, a redacted file). */
  notes: string[];
}

/** One archived file that arrived whole: its name, its path for messages, its text. */
export interface ToolFile {
  name: string;
  file: string;
  text: string;
}

export interface ToolResults {
  result: BenchmarkResult;
  missing: string[];
  problems: string[];
  loadGenerator: LoadGeneratorRecord;
}

/**
 * Where an archived file is kept: LPG files by kind under json/ and txt/, inference-perf's report unchanged
 * under inference-perf/.
 */
export function resultFolder(kind: LoadGeneratorKind, name: string, paths: BenchmarkPaths): string {
  if (kind === "inference-perf") return paths.resultsInferencePerfDir;
  return name.endsWith(".json") ? paths.resultsJsonDir : paths.resultsTxtDir;
}

/** Turns LPG JSON result files into a BenchmarkResult, noting rates without a file. */
export function resultFromFiles(
  jsonFiles: Array<{ file: string; text: string }>,
  expectedRates: number[],
): { result: BenchmarkResult; missing: string[]; problems: string[] } {
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
  const { stats, missing } = statsPerRate(parsed, expectedRates);
  return { result: { stats }, missing, problems };
}

/**
 * Removes secrets from the tool log and every archived file before anything is written
 * (lib/tool-output/secrets.ts); a secret found is a problem, since the pod's log in the cluster holds it too.
 */
export function scrubResultLog(
  archive: ResultLog,
  knownSecrets: readonly string[] = [],
): { archive: ResultLog; problems: string[] } {
  const problems: string[] = [];
  const log = scrubSecrets(archive.toolLog, knownSecrets);
  if (log.removed)
    problems.push(
      `the load generator's log held ${log.removed} secret(s), redacted before it was saved; the ` +
        `pod's log in the cluster still holds them`,
    );
  const files = archive.files.map((file) => {
    const scrubbed = scrubSecrets(file.data.toString("utf8"), knownSecrets);
    if (!scrubbed.removed) return file;
    problems.push(`${file.name} held ${scrubbed.removed} secret(s), redacted before it was saved`);
    return { ...file, data: Buffer.from(scrubbed.text, "utf8") };
  });
  return { archive: { ...archive, toolLog: log.text, files }, problems };
}

/** What a known LPG crash means, by its exception line (AI-Hypercomputer/inference-benchmark history). */
const KNOWN_CRASHES: Array<[RegExp, string]> = [
  [
    /^TypeError: cannot unpack non-iterable NoneType object/,
    "a request failed: LPG builds up to 07628c9 crash then instead of counting it, fixed in " +
      "d699be9; see docs/configuration.md, Load generators",
  ],
  [
    /^KeyError: 'vllm:/,
    "a vLLM metric this build scrapes is missing, as vLLM V1 dropped several: builds up to " +
      "07628c9 crash then, fixed in 030623c; see docs/configuration.md, Load generators",
  ],
  [
    /^AttributeError: .*_end_time/,
    "this build's streaming path never sets its request counter, since fd39679: run it with streaming off",
  ],
];

function crashLine(tool: string, crash: Crash): string {
  const where =
    crash.section.kind === "rate"
      ? `${rateLabel(crash.section.rate)}: `
      : crash.section.kind === "warm-up"
        ? "warm-up: "
        : "";
  const known = KNOWN_CRASHES.find(([pattern]) => pattern.test(crash.exception));
  return `${where}${tool} crashed: ${crash.exception}${known ? ` (${known[1]})` : ""}`;
}

/**
 * The LPG crashes that cost something: a rate's last traceback when that rate wrote no result
 * file, the warm-up's when it exited non-zero, one before any rate when the wrapper did.
 */
function lpgCrashes(
  crashes: Crash[],
  stats: Stat[],
  warmupStatus: number | undefined,
  exitStatus: number | undefined,
): string[] {
  const last = new Map<string, Crash>();
  for (const crash of crashes)
    last.set(crash.section.kind === "rate" ? `rate ${crash.section.rate}` : crash.section.kind, crash);
  return [...last.values()]
    .filter((crash) => {
      if (crash.section.kind === "rate") {
        const rate = crash.section.rate;
        return !stats.some((s) => sameRate(rate, s.request_rate!));
      }
      if (crash.section.kind === "warm-up") return warmupStatus !== undefined && warmupStatus !== 0;
      return exitStatus !== undefined && exitStatus !== 0;
    })
    .map((crash) => crashLine("LPG", crash));
}

/**
 * When the achieved rate is attempts ÷ duration (the LPG before queries_per_second), the duration
 * also covers waiting for the last responses (benchmark_serving.py: gather() before the clock
 * stops), at most the slowest request: say how much, so that a rate near saturation is judged.
 */
function drainNote(stat: Stat): string {
  const slowestMs = stat.request_latency?.max;
  if (stat.achieved_rate !== undefined || !slowestMs || !stat.benchmark_time_seconds) return "";
  return (
    `; its ${stat.benchmark_time_seconds.toFixed(1)} s include up to ${(slowestMs / 1000).toFixed(1)} ` +
    `s waiting for the last responses`
  );
}

/**
 * Failed requests and undelivered load, one line per rate. `rateIsLoad`: false when request_rate holds a
 * concurrency level.
 */
export function checkStats(stats: Stat[], rateIsLoad = true): string[] {
  const lines: string[] = [];
  for (const stat of stats) {
    const label = rateLabel(stat.request_rate ?? 0);
    const attempted = stat.num_prompts_attempted;
    const succeeded = stat.num_prompts_succeeded;
    if (attempted !== undefined && succeeded !== undefined && succeeded < attempted) {
      const byType = (stat.errors ?? []).map((e) => `${e.type}: ${e.count}`).join(", ");
      const what =
        succeeded === 0
          ? `all ${attempted} requests failed`
          : `${attempted - succeeded} of ${attempted} requests failed`;
      lines.push(`${label}: ${what}${byType ? ` (${byType})` : ""}`);
    }
    const requested = stat.request_rate;
    const achieved = achievedRate(stat);
    if (
      rateIsLoad &&
      requested &&
      Number.isFinite(requested) &&
      achieved !== undefined &&
      achieved < DELIVERED_SHARE * requested
    ) {
      lines.push(
        `${label}: load not delivered: ${achieved.toFixed(2)} requests/s achieved, ${Math.round((100 * achieved) / requested)}% ` +
          `of the ${requested} requested${drainNote(stat)}`,
      );
    }
  }
  return lines;
}

/**
 * failed: nothing measured, or no request of any rate succeeded; partial: something missing or wrong; else
 * collected.
 */
export function statusOf(result: BenchmarkResult, missing: string[], problems: string[]): ResultStatus {
  const stats = result.stats ?? [];
  if (stats.length === 0 || stats.every((s) => s.num_prompts_succeeded === 0)) return "failed";
  return missing.length || problems.length ? "partial" : "collected";
}

/** What the parsers need to know about how a benchmark's load generator ran. */
export interface ToolPlan {
  tool: LoadGeneratorKind;
  /** The measured stages: rates, or concurrency levels (concurrent inference-perf); none when unknown. */
  requestRates: number[];
  /** inference-perf: stages before the measured ones (our warm-up), and whether the load is concurrent. */
  warmupStages: number;
  concurrent: boolean;
  /** inference-perf: the warm-up's length as planned, and whether responses were streamed. */
  warmupSeconds?: number;
  streaming?: boolean;
}

/** The plan a resolved benchmark (benchmark.pbtxt) ran with. */
export function planOf(benchmark: Benchmark): ToolPlan {
  const ip = benchmark.config?.benchmark_tool?.inference_perf;
  if (!ip) return { tool: "lpg", requestRates: requestRatesOf(benchmark), warmupStages: 0, concurrent: false };
  return {
    tool: "inference-perf",
    requestRates: requestRatesOf(benchmark),
    warmupStages: inferencePerfWarmupStages(ip),
    concurrent: ip.load_type === "concurrent",
    warmupSeconds: ip.warmup_seconds,
    streaming: ip.streaming,
  };
}

/** Parses what a benchmark's load generator left: its files and its log. */
export function toolResults(benchmark: ResolvedBenchmark, files: ToolFile[], archive: ToolOutputs): ToolResults {
  return resultsOf(planOf(benchmark.benchmark), files, archive);
}

/** What a load generator leaves besides its result files: its log, its exit, and the per-pod sampler's scrapes. */
export interface ToolOutputs extends Pick<ResultLog, "toolLog" | "exitStatus"> {
  /** results/pod-metrics.jsonl (lib/manifests/pod-sampler.ts), when the sampler wrote one. */
  podMetrics?: { file: string; text: string };
}

/**
 * Every source of results goes through here (collection, and files on disk in any layout): the
 * parse, then the same checks — crash lines, failed requests, load not delivered, missing rates.
 */
export function resultsOf(plan: ToolPlan, files: ToolFile[], archive: ToolOutputs): ToolResults {
  const facts = readToolLog(archive.toolLog);
  // Each rate's routing (per pod) and load verdict, from the sampler's scrapes and the wrapper's marks.
  const annotate = (stats: Stat[]) =>
    annotateRates(stats, {
      tool: plan.tool,
      files,
      podMetrics: archive.podMetrics,
      rateMarks: facts.rateMarks,
      rateIsLoad: !plan.concurrent,
    });
  if (plan.tool === "inference-perf") {
    const stagePlan = plan.requestRates.length
      ? { requestRates: plan.requestRates, warmupStages: plan.warmupStages, concurrent: plan.concurrent }
      : undefined;
    const parsed = parseInferencePerfReports(files, stagePlan);
    // inference-perf logs a traceback for every failed request (logger.exception in
    // client/modelserver/openai_client.py) and goes on: only a non-zero exit is a crash, and its
    // traceback is the last one.
    const fatal = archive.exitStatus !== undefined && archive.exitStatus !== 0 ? facts.crashes.at(-1) : undefined;
    const problems = [
      ...parsed.problems,
      ...(fatal ? [crashLine("inference-perf", { ...fatal, section: { kind: "start" } })] : []),
      ...checkStats(parsed.stats, !plan.concurrent),
      ...annotate(parsed.stats),
    ];
    // A warm-up stage of the run, or (concurrent load) its own run, stopped after warmup_seconds.
    const warmup = parsed.warmup
      ? { ...parsed.warmup, seconds: plan.warmupSeconds ?? parsed.warmup.seconds }
      : facts.warmup;
    return {
      result: { stats: parsed.stats },
      missing: parsed.missing,
      problems,
      loadGenerator: {
        tool: "inference-perf",
        streaming: plan.streaming,
        ...(warmup ? { warmup } : {}),
        notes: facts.notes,
      },
    };
  }
  const json = files.filter((f) => f.name.endsWith(".json"));
  const { result, missing, problems } = resultFromFiles(json, plan.requestRates);
  problems.push(
    ...lpgCrashes(facts.crashes, result.stats ?? [], facts.warmup?.exit_status, archive.exitStatus),
    ...checkStats(result.stats ?? []),
    ...annotate(result.stats ?? []),
  );
  return {
    result,
    missing,
    problems,
    loadGenerator: {
      tool: "lpg",
      ...(facts.streaming !== undefined ? { streaming: facts.streaming } : {}),
      ...(facts.warmup ? { warmup: facts.warmup } : {}),
      notes: facts.notes,
    },
  };
}

/** A file's path for messages: relative to the working directory, as the user ran the command. */
export function displayPath(folder: string, name: string): string {
  return path.join(path.relative(process.cwd(), folder), name);
}
