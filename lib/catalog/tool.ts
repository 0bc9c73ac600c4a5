// benchmark_tool: which load generator a benchmark uses (the LPG or inference-perf), its
// defaults, its validation and its request rates (one stage per rate). Called by
// lib/catalog/catalog.ts after inheritance; the helpers at the end read a resolved benchmark.
import type {
  Benchmark,
  BenchmarkTool,
  InferencePerf,
  InferencePerfDistribution,
  InferencePerfLengths,
  LPG,
} from "../../proto/benchmark-types";
import { listed, quoted } from "../errors";
import { DEFAULT_IMAGES, DEFAULTS, IP_PLACEHOLDER } from "./defaults";
import { baseRatesFor, knownRateKeys, rateProblem, scaleRates } from "./rates";

export type LoadGeneratorKind = "lpg" | "inference-perf";

const LOAD_TYPES = ["constant", "poisson", "concurrent"] as const;
const API_TYPES = ["completion", "chat"] as const;
const DISTRIBUTION_TYPES = ["normal", "skew_normal", "lognormal", "uniform", "poisson", "fixed"] as const;
/**
 * Seconds inference-perf sleeps after the last stage before querying Prometheus: scrape interval + 2
 * (client/metricsclient).
 */
const PROMETHEUS_SETTLE_SECONDS = 2;

/** What the tool resolution needs from the rest of the benchmark. */
export interface ToolContext {
  /** The served model (vLLM's or the simulator's). */
  servedModel: string;
  /** Every model name the server answers: the model and its LoRA adapters (lib/catalog/served.ts). */
  servedModels: string[];
  /** The accelerator label, for built-in rates; undefined for the simulator. */
  accelerator?: string;
  replicas: number;
  gpusPerReplica: number;
  /** Throws a CatalogError at `message`'s position (or the benchmark's) naming the benchmark. */
  fail: (message: object, field: string | undefined, detail: string) => never;
}

export interface ResolvedTool {
  loadGenerator: LoadGeneratorKind;
  /**
   * One per measured stage: QPS (0 = all at once, LPG only), or the concurrency level for concurrent
   * inference-perf load.
   */
  requestRates: number[];
  /** The load generator's expected run time: warm-up, every stage, the pauses between them. */
  expectedSeconds: number;
}

function positiveInteger(value: string | undefined): boolean {
  return value !== undefined && /^[1-9][0-9]*$/.test(value.trim());
}

function nonNegativeInteger(value: string | undefined): boolean {
  return value !== undefined && /^[0-9]+$/.test(value.trim());
}

/** Comma-separated numbers, or undefined when one is not a non-negative decimal number. */
function parseNumberList(text: string): number[] | undefined {
  const parts = text.split(",").map((part) => part.trim());
  return parts.every((part) => /^[0-9]+(\.[0-9]+)?$/.test(part)) ? parts.map(Number) : undefined;
}

/**
 * The built-in rates for this deployment (lib/catalog/rates.ts), or a failure naming what the
 * table knows; generated rates that round to 0.0 or collide are a failure too.
 */
function generatedRates(ctx: ToolContext, at: object, field: string, modelCount: number): string {
  const base = ctx.accelerator ? baseRatesFor(ctx.servedModel, ctx.accelerator) : undefined;
  if (!base) {
    ctx.fail(
      at,
      undefined,
      `no built-in rates for ${quoted(ctx.servedModel)} on ${quoted(ctx.accelerator ?? "(none)")} ` +
        `(${knownRateKeys()}); set ${field}`,
    );
  }
  const rates = scaleRates(base!, ctx.replicas, ctx.gpusPerReplica, modelCount);
  const problem = rateProblem(rates.split(",").map(Number), true);
  if (problem)
    ctx.fail(
      at,
      undefined,
      `generated rates ${quoted(rates, 20)}: ${problem} (built-in × ${ctx.replicas} replicas × ${ctx.gpusPerReplica} ` +
        `GPUs ÷ ${modelCount} models); set ${field}`,
    );
  return rates;
}

/** Every model the load generator requests must be served, or each of its requests is a 404. */
function requireServed(requested: string[], field: string, at: object, ctx: ToolContext): void {
  const unserved = requested.filter((model) => !ctx.servedModels.includes(model));
  if (unserved.length === 0) return;
  const names = (list: string[]) =>
    listed(
      list.map((model) => quoted(model, 40)),
      3,
    );
  ctx.fail(
    at,
    field.slice(field.lastIndexOf(".") + 1),
    `${field} requests ${names(unserved)}, which the model server does not serve (it serves ${names(ctx.servedModels)}); ` +
      `every such request would be a 404`,
  );
}

function resolveLpg(lpg: LPG, ctx: ToolContext): Omit<ResolvedTool, "loadGenerator"> {
  const fail = ctx.fail;
  lpg.dataset ??= DEFAULTS.lpg.dataset;
  lpg.models ??= ctx.servedModel;
  lpg.tokenizer ??= lpg.models.split(",")[0].trim();
  lpg.ip ??= IP_PLACEHOLDER;
  lpg.port ??= DEFAULTS.lpg.port;
  lpg.benchmark_time_seconds ??= DEFAULTS.lpg.benchmarkTimeSeconds;
  lpg.output_length ??= DEFAULTS.lpg.outputLength;
  lpg.input_length ??= DEFAULTS.lpg.inputLength;
  lpg.warmup_seconds ??= DEFAULTS.lpg.warmupSeconds;
  lpg.streaming ??= DEFAULTS.lpg.streaming;
  lpg.max_num_prompts ??= DEFAULTS.lpg.maxNumPrompts;
  lpg.pause_seconds ??= DEFAULTS.lpg.pauseSeconds;
  const models = lpg.models
    .split(",")
    .map((model) => model.trim())
    .filter(Boolean);
  if (models.length === 0) fail(lpg, "models", "config.benchmark_tool.lpg.models is empty");
  for (const field of ["benchmark_time_seconds", "output_length", "input_length", "max_num_prompts"] as const) {
    if (!positiveInteger(lpg[field]))
      fail(
        lpg,
        field,
        `config.benchmark_tool.lpg.${field} must be a positive integer (got ${quoted(String(lpg[field]))})`,
      );
  }
  for (const field of ["warmup_seconds", "pause_seconds"] as const) {
    if (!nonNegativeInteger(lpg[field]))
      fail(
        lpg,
        field,
        `config.benchmark_tool.lpg.${field} must be a whole number of seconds (got ${quoted(String(lpg[field]))})`,
      );
  }
  if (!positiveInteger(lpg.port) || Number(lpg.port) > 65535)
    fail(lpg, "port", `config.benchmark_tool.lpg.port must be a port number (got ${quoted(String(lpg.port))})`);

  if (lpg.request_rates === undefined || lpg.request_rates.trim() === "") {
    lpg.request_rates = generatedRates(ctx, lpg, "lpg.request_rates", models.length);
  }
  const requestRates = parseNumberList(lpg.request_rates);
  if (!requestRates) {
    return fail(
      lpg,
      "request_rates",
      `config.benchmark_tool.lpg.request_rates must be comma-separated non-negative numbers (got ${quoted(lpg.request_rates)})`,
    );
  }
  const problem = rateProblem(requestRates, false);
  if (problem) fail(lpg, "request_rates", `config.benchmark_tool.lpg.request_rates: ${problem}`);
  requireServed(models, "config.benchmark_tool.lpg.models", lpg, ctx);
  // Our warm-up runs once before the first rate (the LPG itself reads no WARMUP_SECONDS); every
  // rate is followed by the pause (the seed's image sleeps after the last one too).
  const expectedSeconds =
    Number(lpg.warmup_seconds) + requestRates.length * (Number(lpg.benchmark_time_seconds) + Number(lpg.pause_seconds));
  return { requestRates, expectedSeconds };
}

function resolveDistribution(
  distribution: InferencePerfDistribution | undefined,
  where: string,
  ctx: ToolContext,
): InferencePerfDistribution {
  const d: InferencePerfDistribution = distribution ?? {};
  const defaults = DEFAULTS.inferencePerf.distribution;
  d.min ??= defaults.min;
  d.max ??= defaults.max;
  d.mean ??= defaults.mean;
  d.std_dev ??= defaults.std_dev;
  d.type ??= defaults.type;
  // inference-perf v0.6.1 config/common.py Distribution.validate_distribution.
  if (d.min < 1) ctx.fail(d, "min", `${where}.min must be at least 1 token (got ${d.min})`);
  if (d.min > d.max) ctx.fail(d, "min", `${where}.min (${d.min}) must not be greater than max (${d.max})`);
  if (d.std_dev < 0) ctx.fail(d, "std_dev", `${where}.std_dev must not be negative (got ${d.std_dev})`);
  if (!(DISTRIBUTION_TYPES as readonly string[]).includes(d.type))
    ctx.fail(
      d,
      "type",
      `${where}.type must be one of ${DISTRIBUTION_TYPES.join(", ")} (got ${quoted(String(d.type))})`,
    );
  return d;
}

function resolveLengths(lengths: InferencePerfLengths, where: string, ctx: ToolContext): void {
  lengths.input = resolveDistribution(lengths.input, `${where}.input`, ctx);
  lengths.output = resolveDistribution(lengths.output, `${where}.output`, ctx);
}

function resolveInferencePerf(ip: InferencePerf, ctx: ToolContext): Omit<ResolvedTool, "loadGenerator"> {
  const fail = ctx.fail;
  const where = "config.benchmark_tool.inference_perf";
  const defaults = DEFAULTS.inferencePerf;
  ip.load_type ??= defaults.loadType;
  ip.api ??= defaults.api;
  ip.streaming ??= defaults.streaming;
  ip.model ??= ctx.servedModel;
  ip.tokenizer ??= ip.model;
  ip.port ??= defaults.port;
  ip.warmup_seconds ??= defaults.warmupSeconds;
  ip.num_workers ??= defaults.numWorkers;
  ip.worker_max_concurrency ??= defaults.workerMaxConcurrency;
  ip.base_seed ??= defaults.baseSeed;
  ip.scrape_interval_seconds ??= defaults.scrapeIntervalSeconds;
  if (!(LOAD_TYPES as readonly string[]).includes(ip.load_type))
    fail(
      ip,
      "load_type",
      `${where}.load_type must be one of ${LOAD_TYPES.join(", ")} (got ${quoted(String(ip.load_type))})`,
    );
  if (!(API_TYPES as readonly string[]).includes(ip.api))
    fail(ip, "api", `${where}.api must be one of ${API_TYPES.join(", ")} (got ${quoted(String(ip.api))})`);
  if (!ip.model.trim()) fail(ip, "model", `${where}.model is empty`);
  requireServed([ip.model.trim()], `${where}.model`, ip, ctx);
  if (!positiveInteger(ip.port) || Number(ip.port) > 65535)
    fail(ip, "port", `${where}.port must be a port number (got ${quoted(String(ip.port))})`);
  for (const field of ["warmup_seconds", "num_workers", "base_seed"] as const) {
    if (ip[field]! < 0) fail(ip, field, `${where}.${field} must not be negative (got ${ip[field]})`);
  }
  for (const field of ["worker_max_concurrency", "scrape_interval_seconds"] as const) {
    if (ip[field]! < 1) fail(ip, field, `${where}.${field} must be at least 1 (got ${ip[field]})`);
  }
  if (ip.request_timeout_seconds !== undefined && ip.request_timeout_seconds < 1) {
    fail(
      ip,
      "request_timeout_seconds",
      `${where}.request_timeout_seconds must be at least 1 (got ${ip.request_timeout_seconds})`,
    );
  }
  if (ip.prometheus_url !== undefined && !/^https?:\/\/[^\s/]+/.test(ip.prometheus_url)) {
    fail(
      ip,
      "prometheus_url",
      `${where}.prometheus_url must be an http(s) URL such as ` +
        `http://prometheus.monitoring.svc:9090 (got ${quoted(String(ip.prometheus_url))})`,
    );
  }

  // Data: random by default. inference-perf v0.6.1 datagen get_supported_apis(): random and
  // synthetic serve the completion API only; shared_prefix and shareGPT serve both.
  if (!ip.shared_prefix && !ip.synthetic && !ip.share_gpt) ip.random ??= {};
  if (ip.random) resolveLengths(ip.random, `${where}.random`, ctx);
  if (ip.synthetic) resolveLengths(ip.synthetic, `${where}.synthetic`, ctx);
  if ((ip.random || ip.synthetic) && ip.api !== "completion") {
    fail(
      ip,
      "api",
      `${where}.api ${quoted(ip.api)} is not served by inference-perf's ${ip.random ? "random" : "synthetic"} ` +
        `data (completion only); use shared_prefix or share_gpt for chat`,
    );
  }
  if (ip.shared_prefix) {
    const sp = ip.shared_prefix;
    for (const [field, value] of Object.entries(defaults.sharedPrefix) as Array<
      [keyof typeof defaults.sharedPrefix, number]
    >) {
      sp[field] ??= value;
      if (sp[field]! < 1) fail(sp, field, `${where}.shared_prefix.${field} must be at least 1 (got ${sp[field]})`);
    }
  }
  if (ip.goodput) {
    for (const [field, value] of Object.entries(ip.goodput)) {
      if (typeof value === "number" && !(value > 0))
        fail(ip.goodput, field, `${where}.goodput.${field} must be a positive number of milliseconds (got ${value})`);
    }
  }

  // Stages: one per rate (constant, poisson) or per concurrency level (concurrent).
  let requestRates: number[];
  let perStageSeconds: number;
  if (ip.load_type === "concurrent") {
    if (ip.request_rates !== undefined)
      fail(
        ip,
        "request_rates",
        `${where}.request_rates does not apply to load_type "concurrent"; set concurrency_levels`,
      );
    if (ip.stage_duration_seconds !== undefined)
      fail(
        ip,
        "stage_duration_seconds",
        `${where}.stage_duration_seconds does not apply to load_type "concurrent" (each stage ` +
          `sends requests_per_stage requests)`,
      );
    if (!ip.concurrency_levels?.trim())
      return fail(
        ip,
        undefined,
        `${where}.concurrency_levels is required for load_type "concurrent" (comma-separated in-flight request counts)`,
      );
    const levels = parseNumberList(ip.concurrency_levels);
    if (!levels || levels.some((level) => !Number.isInteger(level) || level < 1)) {
      return fail(
        ip,
        "concurrency_levels",
        `${where}.concurrency_levels must be comma-separated positive integers (got ${quoted(ip.concurrency_levels)})`,
      );
    }
    const problem = rateProblem(levels, false);
    if (problem) fail(ip, "concurrency_levels", `${where}.concurrency_levels: ${problem.replace("rate", "level")}`);
    if (ip.requests_per_stage !== undefined && ip.requests_per_stage < 1)
      fail(ip, "requests_per_stage", `${where}.requests_per_stage must be at least 1 (got ${ip.requests_per_stage})`);
    requestRates = levels;
    // A concurrent stage has no fixed duration; plan with the default stage time.
    perStageSeconds = defaults.stageDurationSeconds;
  } else {
    if (ip.concurrency_levels !== undefined)
      fail(
        ip,
        "concurrency_levels",
        `${where}.concurrency_levels applies to load_type "concurrent" only; set request_rates`,
      );
    if (ip.requests_per_stage !== undefined)
      fail(ip, "requests_per_stage", `${where}.requests_per_stage applies to load_type "concurrent" only`);
    ip.stage_duration_seconds ??= defaults.stageDurationSeconds;
    if (ip.stage_duration_seconds < 1)
      fail(
        ip,
        "stage_duration_seconds",
        `${where}.stage_duration_seconds must be at least 1 (got ${ip.stage_duration_seconds})`,
      );
    if (ip.request_rates === undefined || ip.request_rates.trim() === "")
      ip.request_rates = generatedRates(ctx, ip, "inference_perf.request_rates", 1);
    const rates = parseNumberList(ip.request_rates);
    if (!rates)
      return fail(
        ip,
        "request_rates",
        `${where}.request_rates must be comma-separated positive numbers (got ${quoted(ip.request_rates)})`,
      );
    const problem = rateProblem(rates, false);
    if (problem) fail(ip, "request_rates", `${where}.request_rates: ${problem}`);
    // inference-perf v0.6.1 config/loadgen/config.py StandardLoadStage: rate > 0.
    if (rates.some((rate) => rate <= 0))
      fail(
        ip,
        "request_rates",
        `${where}.request_rates must all be above 0 (inference-perf has no "all at once" rate; ` +
          `use load_type "concurrent") (got ${quoted(String(ip.request_rates))})`,
      );
    requestRates = rates;
    perStageSeconds = ip.stage_duration_seconds;
  }
  // Between stages inference-perf sleeps load.interval (1 s, or the scrape interval with per-stage
  // Prometheus reports); after the last one, scrape interval + 2 s before its queries.
  const metrics = ip.prometheus_url !== undefined;
  const interval = metrics ? Math.max(1, ip.scrape_interval_seconds) : 1;
  const stages = requestRates.length + (ip.warmup_seconds > 0 ? 1 : 0);
  const expectedSeconds =
    ip.warmup_seconds +
    requestRates.length * perStageSeconds +
    stages * interval +
    (ip.scrape_interval_seconds + PROMETHEUS_SETTLE_SECONDS);
  return { requestRates, expectedSeconds };
}

/** Applies the load generator's defaults and validates it; sets `tool.image` to its default when unset. */
export function resolveBenchmarkTool(tool: BenchmarkTool, ctx: ToolContext): ResolvedTool {
  if (tool.lpg) {
    tool.image ??= DEFAULT_IMAGES.lpg;
    return { loadGenerator: "lpg", ...resolveLpg(tool.lpg, ctx) };
  }
  if (tool.inference_perf) {
    tool.image ??= DEFAULT_IMAGES.inferencePerf;
    return { loadGenerator: "inference-perf", ...resolveInferencePerf(tool.inference_perf, ctx) };
  }
  return ctx.fail(tool, undefined, "config.benchmark_tool needs a type: lpg { ... } or inference_perf { ... }");
}

/** The port the load generator targets on the Service or gateway. */
export function toolPort(benchmark: Benchmark): number {
  const tool = benchmark.config!.benchmark_tool!;
  return Number(tool.inference_perf ? tool.inference_perf.port : tool.lpg!.port);
}

/**
 * The typical output length of the load generator's requests in tokens, for sizing what carries
 * them (a resolved benchmark: defaults are filled in). ShareGPT's recorded replies vary: the
 * distribution's default mean stands for them.
 */
export function typicalOutputTokens(benchmark: Benchmark): number {
  const tool = benchmark.config!.benchmark_tool!;
  const ip = tool.inference_perf;
  if (!ip) return Number(tool.lpg!.output_length);
  if (ip.shared_prefix) return ip.shared_prefix.output_len ?? DEFAULTS.inferencePerf.sharedPrefix.output_len;
  return (ip.synthetic ?? ip.random)?.output?.mean ?? DEFAULTS.inferencePerf.distribution.mean;
}

/** True when the stages are concurrency levels (requests in flight) rather than request rates. */
export function stagesAreConcurrency(benchmark: Benchmark): boolean {
  return benchmark.config?.benchmark_tool?.inference_perf?.load_type === "concurrent";
}

/** The model names the load generator requests (the LPG may spread load over several). */
export function toolModels(benchmark: Benchmark): string[] {
  const tool = benchmark.config!.benchmark_tool!;
  const models = tool.inference_perf ? (tool.inference_perf.model ?? "") : (tool.lpg!.models ?? "");
  return models
    .split(",")
    .map((model) => model.trim())
    .filter(Boolean);
}

/** The stages of a resolved benchmark (as in benchmark.pbtxt): rates, or concurrency levels. */
export function requestRatesOf(benchmark: Benchmark): number[] {
  const tool = benchmark.config?.benchmark_tool;
  const text = tool?.inference_perf
    ? tool.inference_perf.load_type === "concurrent"
      ? tool.inference_perf.concurrency_levels
      : tool.inference_perf.request_rates
    : tool?.lpg?.request_rates;
  return (text ?? "")
    .split(",")
    .filter((rate) => rate.trim())
    .map(Number);
}
