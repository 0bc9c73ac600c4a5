// Per benchmark and rate, how side B (one run or repeats of it) differs from side A, the
// baseline; and what B lost: a benchmark or rate that A has and a B run does not, or has only
// as failed or partial results. A regression is a figure worse by more than the threshold — with
// repeated runs, worse beyond the threshold across the whole 95% interval (lib/report/interval.ts).

import type { BenchmarkRow, StatDetail, StatRow } from "../store/store";
import { sameRate } from "../tool-output/lpg";
import { successRatio } from "./analysis";
import { changeInterval, type Interval } from "./interval";

/** One side of a comparison: one run, or repeated runs of the same catalog. */
export interface Side {
  /** `details` (whole Stats) carry each rate's load verdict: a rate that is not valid is not compared. */
  runs: Array<{ runId: string; benchmarks: BenchmarkRow[]; stats: StatRow[]; details?: StatDetail[] }>;
}

export interface GateMetric {
  id: string;
  label: string;
  /** Which way is worse. */
  worse: "lower" | "higher";
  /** Changes in percent (relative) or in points (success ratio). */
  relative: boolean;
  value: (row: StatRow) => number | null;
}

/** The figures the gate watches; a figure either side lacks (TTFT without streaming, TPOT from the LPG) is skipped. */
export const GATE_METRICS: GateMetric[] = [
  {
    id: "throughput",
    label: "output tokens/s",
    worse: "lower",
    relative: true,
    value: (r) => r.output_tokens_per_second,
  },
  { id: "latency_p90", label: "request latency p90", worse: "higher", relative: true, value: (r) => r.latency_p90_ms },
  { id: "ttft_p90", label: "TTFT p90", worse: "higher", relative: true, value: (r) => r.ttft_p90_ms },
  { id: "ntpot_p90", label: "NTPOT p90", worse: "higher", relative: true, value: (r) => r.ntpot_p90_ms },
  { id: "tpot_p90", label: "TPOT p90", worse: "higher", relative: true, value: (r) => r.tpot_p90_ms },
  {
    id: "success",
    label: "success ratio",
    worse: "lower",
    relative: false,
    value: (r) => {
      const s = successRatio(r);
      return s === null ? null : s * 100;
    },
  },
];

export interface MetricDelta extends Interval {
  /** Values per run on each side. */
  a: number[];
  b: number[];
  regression: boolean;
}

export interface RateDelta {
  name: string;
  rate: number;
  metrics: Partial<Record<string, MetricDelta>>;
  /** "throughput −12.0% [−15.1, −8.8]"… for each regression. */
  regressions: string[];
  /** Why this rate is not comparable (its load was not valid on a side): no delta, no pass or fail. */
  not_comparable?: string[];
}

export interface Comparison {
  deltas: RateDelta[];
  /** What B lost: benchmarks or rates A has that a B run lacks, or has failed or partial. The gate fails on these. */
  lost: string[];
  /** Benchmarks or rates only B has. */
  notes: string[];
}

function format(value: number, unit: string): string {
  return `${value >= 0 ? "+" : ""}${value.toFixed(1)}${unit}`;
}

/** A difference as the tables show it: `-12.3%`, with its interval when there is one: `-12.3% [-20.1, -4.5]`. */
export function formatDelta(metric: GateMetric, delta: MetricDelta): string {
  const unit = metric.relative ? "%" : "pt";
  return `${format(delta.estimate, unit)}${delta.interval ? ` [${format(delta.low, "")}, ${format(delta.high, "")}]` : ""}`;
}

function describeDelta(metric: GateMetric, delta: MetricDelta): string {
  return `${metric.label} ${formatDelta(metric, delta)}`;
}

function isRegression(metric: GateMetric, delta: Interval, threshold: number): boolean {
  // Worse by more than the threshold across the whole interval (with one run a side, the interval is the estimate).
  return metric.worse === "lower" ? delta.high < -threshold : delta.low > threshold;
}

function rowsAt(run: Side["runs"][number], name: string, rate: number): StatRow | undefined {
  return run.stats.find((r) => r.name === name && sameRate(rate, r.request_rate));
}

/** Why a rate's load is not valid in a run, if it is not (lib/tool-output/load-fidelity.ts). */
function invalidLoad(run: Side["runs"][number], name: string, rate: number): string | undefined {
  const load = run.details?.find((d) => d.name === name && sameRate(rate, d.request_rate))?.stat.load;
  return load?.valid === false ? `load not valid in run ${run.runId}: ${(load.reasons ?? []).join("; ")}` : undefined;
}

export function compareSides(
  a: Side,
  b: Side,
  thresholdPercent?: number,
  metrics: GateMetric[] = GATE_METRICS,
): Comparison {
  const deltas: RateDelta[] = [];
  const lost: string[] = [];
  const notes: string[] = [];
  const aNames = [...new Set(a.runs.flatMap((r) => r.stats.map((s) => s.name)))].sort();
  const bNames = new Set(b.runs.flatMap((r) => r.stats.map((s) => s.name)));
  for (const name of aNames) {
    const rates = [
      ...new Set(a.runs.flatMap((r) => r.stats.filter((s) => s.name === name).map((s) => s.request_rate))),
    ].sort((x, y) => x - y);
    for (const run of b.runs) {
      const benchmark = run.benchmarks.find((bm) => bm.name === name);
      if (!benchmark || !run.stats.some((s) => s.name === name)) {
        lost.push(`${name}: missing in run ${run.runId}${benchmark ? ` (${benchmark.status})` : ""}`);
        continue;
      }
      const missingRates = rates.filter((rate) => !rowsAt(run, name, rate));
      const completeInA = a.runs.every((r) => r.benchmarks.find((bm) => bm.name === name)?.status === "collected");
      // Partial in B where A was complete, and no missing rate says why: a failed Job, a corrupt file…
      if (benchmark.status === "failed" || (benchmark.status === "partial" && completeInA && !missingRates.length)) {
        const why = [...JSON.parse(benchmark.missing), ...JSON.parse(benchmark.problems)] as string[];
        lost.push(`${name}: ${benchmark.status} in run ${run.runId}${why.length ? ` (${why.join("; ")})` : ""}`);
      }
      for (const rate of missingRates) lost.push(`${name} @ ${rate}: missing in run ${run.runId}`);
    }
    for (const rate of rates) {
      const aRows = a.runs.map((run) => rowsAt(run, name, rate)).filter((r): r is StatRow => r !== undefined);
      const bRows = b.runs.map((run) => rowsAt(run, name, rate)).filter((r): r is StatRow => r !== undefined);
      if (!bRows.length) continue;
      const delta: RateDelta = { name, rate, metrics: {}, regressions: [] };
      const invalid = [...a.runs, ...b.runs]
        .map((run) => invalidLoad(run, name, rate))
        .filter((why): why is string => why !== undefined);
      if (invalid.length) {
        deltas.push({ ...delta, not_comparable: invalid });
        continue;
      }
      for (const metric of metrics) {
        const values = (rows: StatRow[]) => rows.map(metric.value).filter((v): v is number => v !== null);
        const [av, bv] = [values(aRows), values(bRows)];
        if (!av.length || !bv.length) continue;
        const change = changeInterval(av, bv, metric.relative);
        if (!change) continue;
        const regression = thresholdPercent !== undefined && isRegression(metric, change, thresholdPercent);
        const entry: MetricDelta = { ...change, a: av, b: bv, regression };
        delta.metrics[metric.id] = entry;
        if (regression) delta.regressions.push(describeDelta(metric, entry));
      }
      deltas.push(delta);
    }
  }
  for (const name of [...bNames].sort()) {
    if (!aNames.includes(name)) {
      notes.push(`${name}: only in run ${b.runs.map((r) => r.runId).join(", ")}`);
      continue;
    }
    const aRates = a.runs.flatMap((r) => r.stats.filter((s) => s.name === name).map((s) => s.request_rate));
    const extra = [
      ...new Set(b.runs.flatMap((r) => r.stats.filter((s) => s.name === name).map((s) => s.request_rate))),
    ].filter((rate) => !aRates.some((x) => sameRate(x, rate)));
    for (const rate of extra.sort((x, y) => x - y))
      notes.push(`${name} @ ${rate}: only in run ${b.runs.map((r) => r.runId).join(", ")}`);
  }
  return { deltas, lost, notes };
}
