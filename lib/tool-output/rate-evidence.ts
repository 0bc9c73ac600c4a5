// Each rate's routing attribution and load-fidelity verdict, from what the run left besides its
// figures: the pods' scrapes (results/pod-metrics.jsonl), the wrapper's rate markers with its
// cgroup cpu.stat readings (the tool log), and the tool's own result files (the LPG's
// config.start_time; inference-perf's schedule delay). Called by the collector and by whatever
// reads results from their files; the verdicts travel in each Stat (`pods`, `routing`, `load`).
import type { Stat } from "../../proto/benchmark-types";
import type { LoadGeneratorKind } from "../catalog/tool";
import { type LoadEvidence, loadFidelity } from "./load-fidelity";
import { parsePythonJson, rateLabel, sameRate } from "./lpg";
import { attributeRate, type RateWindow, readPodMetrics } from "./pod-metrics";
import type { RateMark } from "./tool-log";

export interface RateInputs {
  tool: LoadGeneratorKind;
  /** The tool's result files, by name. */
  files: Array<{ name: string; text: string }>;
  /** results/pod-metrics.jsonl, when the sampler wrote one. */
  podMetrics?: { file: string; text: string };
  /** The wrapper's rate markers (tool-log.ts). */
  rateMarks: RateMark[];
  /** False when request_rate holds a concurrency level. */
  rateIsLoad: boolean;
}

/**
 * Further than this from the wrapper's own mark, the LPG's start_time is not the rate's start:
 * benchmark_serving.py stamps it with datetime.fromtimestamp() (local time, naive), which
 * protobuf's Timestamp.FromDatetime() reads as UTC, so a pod outside UTC is off by its offset.
 */
const START_TIME_TOLERANCE_SECONDS = 120;

type Json = Record<string, unknown>;

function record(value: unknown): Json | undefined {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Json) : undefined;
}

function jsonOf(text: string | undefined): Json | undefined {
  if (text === undefined) return undefined;
  try {
    return record(parsePythonJson(text));
  } catch {
    return undefined;
  }
}

function stageOf(stat: Stat): number | undefined {
  const match = /^stage_(\d+)_lifecycle_metrics\.json$/.exec(stat.source_file ?? "");
  return match ? Number(match[1]) : undefined;
}

function marksOf(stat: Stat, inputs: RateInputs): { begin?: RateMark; end?: RateMark } {
  const stage = stageOf(stat);
  const mine = inputs.rateMarks.filter((m) =>
    inputs.tool === "inference-perf"
      ? m.stage !== undefined && m.stage === stage
      : m.rate !== undefined && sameRate(m.rate, stat.request_rate ?? NaN),
  );
  return { begin: mine.find((m) => m.edge === "begin"), end: mine.find((m) => m.edge === "end") };
}

/** The LPG's window: config.start_time plus benchmark_time, from the rate's result file. */
function lpgWindow(stat: Stat, text: string | undefined): { start: number; end: number } | undefined {
  const start = record(record(jsonOf(text)?.config)?.start_time);
  const seconds = Number(start?.seconds);
  if (!Number.isFinite(seconds) || !stat.benchmark_time_seconds) return undefined;
  const begin = seconds + (Number(start?.nanos) || 0) / 1e9;
  return { start: begin, end: begin + stat.benchmark_time_seconds };
}

function windowOf(
  stat: Stat,
  inputs: RateInputs,
  marks: { begin?: RateMark; end?: RateMark },
  notes: string[],
): RateWindow | undefined {
  const label = rateLabel(stat.request_rate ?? 0);
  const fromMarks = marks.begin && marks.end ? { start: marks.begin.time, end: marks.end.time } : undefined;
  if (inputs.tool === "inference-perf") return fromMarks && { label, ...fromMarks };
  const fromFile = lpgWindow(stat, inputs.files.find((f) => f.name === stat.source_file)?.text);
  if (fromFile && marks.begin && Math.abs(fromFile.start - marks.begin.time) > START_TIME_TOLERANCE_SECONDS) {
    notes.push(
      `the result file's start_time is ${((fromFile.start - marks.begin.time) / 3600).toFixed(2)} ` +
        `h from when the rate began ` +
        "(the LPG stamps local time as UTC); the wrapper's marks are the window",
    );
    return fromMarks && { label, ...fromMarks };
  }
  return (fromFile ?? fromMarks) && { label, ...(fromFile ?? fromMarks)! };
}

function scheduleDelay(stat: Stat, inputs: RateInputs): LoadEvidence["scheduleDelayMs"] {
  if (inputs.tool !== "inference-perf") return undefined;
  const delay = record(
    record(jsonOf(inputs.files.find((f) => f.name === stat.source_file)?.text)?.load_summary)?.schedule_delay,
  );
  const ms = (value: unknown) => (typeof value === "number" ? value * 1000 : undefined);
  return delay && { p50: ms(delay.median), p99: ms(delay.p99) };
}

function cpuOf(marks: { begin?: RateMark; end?: RateMark }): LoadEvidence["cpu"] {
  const { begin, end } = marks;
  if (begin?.throttledUsec === undefined || end?.throttledUsec === undefined) return undefined;
  return { seconds: end.time - begin.time, throttledUsec: end.throttledUsec - begin.throttledUsec };
}

/**
 * Sets each stat's `pods`, `routing` and `load`. Returns problems: unreadable sample lines, and
 * rates invalid for a reason other than delivery (checkStats already names undelivered load).
 */
export function annotateRates(stats: Stat[], inputs: RateInputs): string[] {
  const problems: string[] = [];
  const pods = inputs.podMetrics ? readPodMetrics(inputs.podMetrics.text, inputs.podMetrics.file) : undefined;
  if (pods) problems.push(...pods.problems);
  for (const stat of stats) {
    const marks = marksOf(stat, inputs);
    const notes: string[] = [];
    const window = windowOf(stat, inputs, marks, notes);
    const attribution = pods && window ? attributeRate(pods.samples, window) : undefined;
    if (attribution) {
      stat.pods = attribution.pods;
      const allNotes = [...notes, ...(attribution.routing.notes ?? [])];
      stat.routing = { ...attribution.routing, ...(allNotes.length ? { notes: allNotes } : {}) };
    }
    const load = loadFidelity(stat, {
      scheduleDelayMs: scheduleDelay(stat, inputs),
      cpu: cpuOf(marks),
      rateIsLoad: inputs.rateIsLoad,
    });
    if (!load) continue;
    stat.load = load;
    for (const reason of load.reasons ?? []) {
      if (!reason.startsWith("delivered "))
        problems.push(`${rateLabel(stat.request_rate ?? 0)}: load not valid: ${reason}`);
    }
  }
  return problems;
}
