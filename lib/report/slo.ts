// Capacity under a latency SLO, and what it costs: per benchmark, the highest measured rate at
// which every SLO term holds (and no request failed), the output throughput there, the GPUs
// (replicas × tensor parallelism) and the cost per million output tokens at the GPU-hour price
// of its accelerator.
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import type { Metric, Stat } from "../../proto/benchmark-types";
import { UserError } from "../errors";
import type { BenchmarkRow, StatDetail } from "../store/store";
import { isValidRate } from "../tool-output/load-fidelity";

const DATA_DIR = path.resolve(__dirname, "..", "..", "data");
const PRICES_FILE = path.join(DATA_DIR, "gpu-prices.yaml");
const PRESETS_FILE = path.join(DATA_DIR, "slo-presets.yaml");

/**
 * The figures an SLO term can bound; each Stat field in milliseconds. `lacking`: why a load
 * generator's results have no such figure (the LPG: lib/tool-output/lpg.ts; inference-perf writes
 * TTFT, TPOT and ITL only when it streams: reportgen/base.py, v0.6.1).
 */
const SLO_METRICS = {
  request_latency: { field: "request_latency", label: "request latency", lacking: {} },
  ttft: {
    field: "ttft",
    label: "TTFT",
    lacking: {
      lpg: "the LPG writes TTFT only with streaming",
      "inference-perf": "inference-perf writes TTFT only when it streams (streaming: true)",
    },
  },
  ntpot: { field: "ntpot", label: "NTPOT", lacking: {} },
  tpot: {
    field: "tpot",
    label: "TPOT",
    lacking: {
      lpg: "the LPG writes no true TPOT: its per-token figure is NTPOT, latency ÷ output tokens; bound ntpot_… instead if that is what you mean",
      "inference-perf":
        "inference-perf writes TPOT only when it streams (streaming: true); its NTPOT, latency ÷ output tokens, is there without",
    },
  },
  itl: {
    field: "itl",
    label: "ITL",
    lacking: {
      lpg: "the LPG writes ITL only with streaming",
      "inference-perf": "inference-perf writes ITL only when it streams (streaming: true)",
    },
  },
} as const satisfies Record<string, { field: keyof Stat; label: string; lacking: Partial<Record<string, string>> }>;

/** " (why)" when the benchmark's load generator is known to lack the figure. */
function lackingNote(metric: SloMetric, loadGenerator: string | null): string {
  const why = (SLO_METRICS[metric].lacking as Partial<Record<string, string>>)[loadGenerator ?? ""];
  return why ? ` (${why})` : "";
}

const SLO_STATISTICS = { p50: "median", p90: "p90", p95: "p95", p99: "p99", mean: "mean" } as const satisfies Record<
  string,
  keyof Metric
>;

export type SloMetric = keyof typeof SLO_METRICS;
export type SloStatistic = keyof typeof SLO_STATISTICS;

export interface SloTerm {
  metric: SloMetric;
  statistic: SloStatistic;
  /** The limit, in milliseconds. */
  limit_ms: number;
  /** As written, normalized: `ttft_p99<=2000ms`. */
  term: string;
}

export interface Slo {
  /** The expression evaluated (the preset's, then --slo's terms). */
  expression: string;
  preset: string | null;
  terms: SloTerm[];
}

const TERM = /^([a-z_]+)_(p50|p90|p95|p99|mean)\s*<=\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*(ms|s)?$/;

/** Parses `METRIC_PCT<=VALUE,…` (units ms or s); a bad term is a UserError naming it. */
function parseSloTerms(expression: string, source: string): SloTerm[] {
  const parts = expression.split(",").map((t) => t.trim());
  if (parts.every((p) => p === ""))
    throw new UserError(`${source}: empty SLO; give terms such as ttft_p99<=2s,ntpot_p90<=100ms`);
  return parts.map((text, index) => {
    const where = `${source}: term ${index + 1} "${text}"`;
    const match = TERM.exec(text);
    if (!match)
      throw new UserError(
        `${where}: expected METRIC_PCT<=VALUE with a unit, e.g. request_latency_p90<=3000ms or ` +
          `ttft_p99<=2s (METRIC: ${Object.keys(SLO_METRICS).join(", ")}; PCT: ${Object.keys(SLO_STATISTICS).join(", ")})`,
      );
    const [, metric, statistic, value, unit] = match;
    if (!(metric in SLO_METRICS))
      throw new UserError(`${where}: unknown metric "${metric}" (one of ${Object.keys(SLO_METRICS).join(", ")})`);
    if (!unit)
      throw new UserError(`${where}: give the limit's unit, ms or s (e.g. ${metric}_${statistic}<=${value}ms)`);
    const limit = Number(value) * (unit === "s" ? 1000 : 1);
    return {
      metric: metric as SloMetric,
      statistic: statistic as SloStatistic,
      limit_ms: limit,
      term: `${metric}_${statistic}<=${limit}ms`,
    };
  });
}

function readYamlMap(file: string, key: string): Record<string, unknown> {
  const data = parseYaml(fs.readFileSync(file, "utf8")) as Record<string, unknown> | null;
  const map = data?.[key];
  if (!map || typeof map !== "object" || Array.isArray(map)) throw new UserError(`${file}: expected a "${key}" map`);
  return map as Record<string, unknown>;
}

export function presets(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(readYamlMap(PRESETS_FILE, "presets")).map(([name, expression]) => [name, String(expression)]),
  );
}

/** The SLO from --preset and/or --slo (terms of both apply); a UserError when neither or either is bad. */
export function resolveSlo(options: { slo?: string; preset?: string }): Slo {
  const known = presets();
  if (options.preset !== undefined && !(options.preset in known))
    throw new UserError(`--preset: unknown preset "${options.preset}" (one of ${Object.keys(known).join(", ")})`);
  const expression = [options.preset === undefined ? undefined : known[options.preset], options.slo]
    .filter((e) => e !== undefined)
    .join(",");
  if (!expression) throw new UserError("give an SLO: --slo EXPR (e.g. ttft_p99<=2s,ntpot_p90<=100ms) or --preset NAME");
  const terms = [
    ...(options.preset === undefined
      ? []
      : parseSloTerms(known[options.preset], `${PRESETS_FILE} (${options.preset})`)),
    ...(options.slo === undefined ? [] : parseSloTerms(options.slo, "--slo")),
  ];
  return { expression: terms.map((t) => t.term).join(","), preset: options.preset ?? null, terms };
}

/** Default GPU-hour prices (data/gpu-prices.yaml) with `ACCELERATOR=USD` overrides. */
export function gpuHourPrices(overrides: string[] = []): Record<string, number> {
  const prices: Record<string, number> = {};
  for (const [accelerator, price] of Object.entries(readYamlMap(PRICES_FILE, "prices"))) {
    if (typeof price !== "number" || !(price > 0))
      throw new UserError(`${PRICES_FILE}: prices.${accelerator}: expected a positive number of US dollars`);
    prices[accelerator] = price;
  }
  for (const override of overrides) {
    const match = /^([^=\s]+)=\$?([0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/.exec(override.trim());
    if (!match || !(Number(match[2]) > 0))
      throw new UserError(
        `--gpu-hour-price "${override}": expected ACCELERATOR=USD with a positive price, e.g. nvidia-h100-80gb=9.80`,
      );
    prices[match[1]] = Number(match[2]);
  }
  return prices;
}

/** The value an SLO term reads from a Stat, in ms; undefined when the Stat lacks it. */
function termValue(stat: Stat, term: SloTerm): number | undefined {
  const metric = stat[SLO_METRICS[term.metric].field] as Metric | undefined;
  const value = metric?.[SLO_STATISTICS[term.statistic]];
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** Why a rate misses the SLO (empty when it meets it). */
function violations(stat: Stat, slo: Slo): string[] {
  const out: string[] = [];
  const failed = (stat.num_prompts_attempted ?? 0) - (stat.num_prompts_succeeded ?? stat.num_prompts_attempted ?? 0);
  if (failed > 0) out.push(`${failed} of ${stat.num_prompts_attempted} requests failed`);
  for (const term of slo.terms) {
    const value = termValue(stat, term);
    if (value === undefined) out.push(`no ${SLO_METRICS[term.metric].label} ${term.statistic}`);
    else if (value > term.limit_ms)
      out.push(`${term.metric}_${term.statistic} ${value.toFixed(1)} ms > ${term.limit_ms} ms`);
  }
  return out;
}

export interface Capacity {
  name: string;
  /** ok: a rate meets the SLO; no_rate_meets; missing_figure: the results lack a figure a term needs; no_results. */
  status: "ok" | "no_rate_meets" | "missing_figure" | "no_results";
  max_rate: number | null;
  output_tokens_per_second: number | null;
  gpus: number | null;
  cost_per_million_output_tokens: number | null;
  accelerator: string | null;
  gpu_hour_price: number | null;
  /** Why, in one sentence, when something is null or odd. */
  detail: string | null;
}

/** cost per 10⁶ output tokens = GPUs × price per GPU-hour ÷ (output tokens/s × 3600) × 10⁶. */
export function costPerMillionOutputTokens(
  gpus: number,
  pricePerGpuHour: number,
  outputTokensPerSecond: number,
): number {
  return ((gpus * pricePerGpuHour) / (outputTokensPerSecond * 3600)) * 1e6;
}

export function sloCapacity(
  benchmarks: BenchmarkRow[],
  details: StatDetail[],
  slo: Slo,
  prices: Record<string, number>,
): Capacity[] {
  return benchmarks.map((benchmark) => {
    const rates = details
      .filter((d) => d.name === benchmark.name && d.request_rate > 0)
      .sort((a, b) => a.request_rate - b.request_rate);
    const base = {
      name: benchmark.name,
      gpus: benchmark.gpus,
      accelerator: benchmark.accelerator,
      gpu_hour_price: benchmark.accelerator ? (prices[benchmark.accelerator] ?? null) : null,
    };
    const none = { max_rate: null, output_tokens_per_second: null, cost_per_million_output_tokens: null };
    if (!rates.length)
      return { ...base, ...none, status: "no_results", detail: `no measured rate (benchmark ${benchmark.status})` };
    const lacking = slo.terms.filter((term) => rates.every((r) => termValue(r.stat, term) === undefined));
    if (lacking.length) {
      const what = lacking.map(
        (t) =>
          `${t.term.split("<=")[0]} needs ${SLO_METRICS[t.metric].label} ${t.statistic}, which ` +
          `these results lack${lackingNote(t.metric, benchmark.load_generator)}`,
      );
      return { ...base, ...none, status: "missing_figure", detail: what.join("; ") };
    }
    // A rate whose load was not valid (lib/tool-output/load-fidelity.ts) proves nothing either way.
    const invalid = rates.filter((r) => !isValidRate(r.stat));
    const meeting = rates.filter((r) => violations(r.stat, slo).length === 0 && isValidRate(r.stat));
    if (!meeting.length) {
      return {
        ...base,
        ...none,
        status: "no_rate_meets",
        detail: `even the lowest rate, ${rates[0].request_rate}, misses: ${violations(rates[0].stat, slo).join("; ")}`,
      };
    }
    const best = meeting[meeting.length - 1];
    const notes: string[] = [];
    if (invalid.length) notes.push(`rate ${invalid.map((r) => r.request_rate).join(", ")} left out: load not valid`);
    const below = rates.filter(
      (r) => r.request_rate < best.request_rate && !meeting.includes(r) && isValidRate(r.stat),
    );
    if (below.length)
      notes.push(
        `rate ${below.map((r) => r.request_rate).join(", ")} below it misses the SLO ` +
          `(${violations(below[0].stat, slo).join("; ")}): noise or an unstable setup`,
      );
    const throughput = best.stat.throughput?.mean ?? null;
    let cost: number | null = null;
    if (!benchmark.gpus)
      notes.push(
        benchmark.gpus === 0 ? "no GPUs (simulator): no cost" : "GPU count unknown (no benchmark.pbtxt): no cost",
      );
    else if (base.gpu_hour_price === null)
      notes.push(
        `no GPU-hour price for accelerator ${benchmark.accelerator ?? "(none)"}: give ` +
          `--gpu-hour-price ${benchmark.accelerator ?? "ACCELERATOR"}=USD`,
      );
    else if (!throughput) notes.push("no output throughput at that rate: no cost");
    else cost = costPerMillionOutputTokens(benchmark.gpus, base.gpu_hour_price, throughput);
    return {
      ...base,
      status: "ok",
      max_rate: best.request_rate,
      output_tokens_per_second: throughput,
      cost_per_million_output_tokens: cost,
      detail: notes.length ? notes.join("; ") : null,
    };
  });
}

/**
 * The JSON shape: {"slo": …, "benchmarks": [{"name", "status", "max_rate", "output_tokens_per_second",
 * "gpus", "cost_per_million_output_tokens", …}]}.
 */
export function sloJson(slo: Slo, capacities: Capacity[]): unknown {
  return {
    slo,
    benchmarks: capacities.map((c) => ({
      name: c.name,
      status: c.status,
      max_rate: c.max_rate,
      output_tokens_per_second: c.output_tokens_per_second,
      gpus: c.gpus,
      cost_per_million_output_tokens: c.cost_per_million_output_tokens,
      accelerator: c.accelerator,
      gpu_hour_price: c.gpu_hour_price,
      detail: c.detail,
    })),
  };
}
