// llm-d Benchmark Report v0.2.1 (llm-d/llm-d-benchmark, llmdbenchmark/analysis/benchmark_report/,
// schema in ../shared/schemas/llm-d-benchmark-report/): one report per benchmark and rate. The
// stack (model server, load balancer, endpoint picker) with the images that ran and their args,
// the load (tool, rate, lengths), and the aggregate figures with their units, each in the field
// that means the same thing: the LPG's NTPOT goes to normalized_time_per_output_token, a true
// TPOT (where a tool wrote one) to time_per_output_token. The schema has no field for goodput,
// cost or errors by type, so those are not exported here (the csv export has them).
import * as crypto from "node:crypto";
import { parseAllDocuments, parseDocument, parse as parseYaml, stringify as stringifyYaml } from "yaml";
import type { Metric, Stat } from "../../proto/benchmark-types";
import { INFERENCE_PERF_CONFIG_KEY } from "../manifests/load-generator-inference-perf";
import type { Provenance } from "../results/provenance";
import { INFERENCE_PERF_SAVED_CONFIG } from "../results/provenance";
import type { ImageRecord } from "../results/record";
import type { BenchmarkRecord } from "../results/run-results";
import { manifestPath } from "../snapshot/layout";
import { benchmarkFacts } from "../store/store";

type Json = Record<string, unknown>;

interface Container {
  name: string;
  image: string;
  args?: string[];
  command?: string[];
  env?: Array<{ name: string; value?: string; valueFrom?: unknown }>;
}

/** A float as Python's repr writes it (json.dumps uses it): 100.0, 0.03, 1e-05, 1.5e+16. */
function pythonFloat(value: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
  const [mantissa, exponentText] = value.toExponential().split("e");
  const exponent = Number(exponentText);
  if (exponent >= -4 && exponent < 16) return Number.isInteger(value) ? `${value.toFixed(0)}.0` : String(value);
  return `${mantissa}e${exponent < 0 ? "-" : "+"}${String(Math.abs(exponent)).padStart(2, "0")}`;
}

/**
 * json.dumps(value, sort_keys=True) as Python writes it: ", " and ": ", keys sorted, every non-ASCII
 * character escaped.
 */
function pythonJson(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "bigint") return value.toString();
  // Integers arrive as BigInt (yamlForHash): a number is a float, so 100.0 stays "100.0".
  if (typeof value === "number") return pythonFloat(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "string")
    return JSON.stringify(value).replace(
      /[\u007f-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(", ")}]`;
  const entries = Object.entries(value as Json).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${pythonJson(k)}: ${pythonJson(v)}`).join(", ")}}`;
}

/**
 * A configuration's cfg_id as llm-d computes it (llm-d-benchmark
 * llmdbenchmark/analysis/benchmark_report/native_to_br0_2.py config_hash):
 * sha256(json.dumps(config, sort_keys=True)). YAML integers stay integers (BigInt), floats floats.
 */
export function configHash(config: unknown): string {
  return crypto.createHash("sha256").update(pythonJson(config)).digest("hex");
}

/** A YAML config as Python's yaml.safe_load reads it: integers apart from floats, for configHash. */
function yamlForHash(text: string): unknown {
  return parseDocument(text, { intAsBigInt: true }).toJS();
}

/** configHash of a value built here (whole numbers are integers). */
function hashOf(value: unknown): string {
  return configHash(yamlForHash(stringifyYaml(value)));
}

interface LoadConfig {
  /** The load generator's own config: what cfg_id hashes (BigInt integers). */
  hashed: unknown;
  /** The same, for native.config; null for the LPG, configured by its environment. */
  native: Json | null;
  source: "random" | "sampled" | "unknown";
  prefix: Json | null;
  multiTurn: Json | null;
}

/**
 * The workload's own load-generator config: inference-perf's config.yml from the snapshot's
 * load-generator ConfigMap, else the config.yaml it saved with its report; the LPG's settings
 * from the catalog. source, prefix and multi_turn as llm-d's converter reads them
 * (native_to_br0_2.py import_inference_perf): random and shared_prefix data sample random tokens.
 */
function loadConfig(benchmark: BenchmarkRecord, loadObjects: Json[]): LoadConfig {
  const tool = benchmark.config?.config?.benchmark_tool;
  const map = loadObjects.find(
    (o) => o.kind === "ConfigMap" && (o.data as Json | undefined)?.[INFERENCE_PERF_CONFIG_KEY] !== undefined,
  );
  const text =
    ((map?.data as Json | undefined)?.[INFERENCE_PERF_CONFIG_KEY] as string | undefined) ??
    benchmark.snapshot[INFERENCE_PERF_SAVED_CONFIG];
  if (tool?.lpg || (!tool?.inference_perf && text === undefined)) {
    // The LPG samples prompts from a dataset (ShareGPT).
    return {
      hashed: yamlForHash(stringifyYaml(tool?.lpg ?? {})),
      native: null,
      source: tool?.lpg ? "sampled" : "unknown",
      prefix: null,
      multiTurn: null,
    };
  }
  const native = text === undefined ? null : (parseYaml(text) as Json);
  const data = (native?.data ?? {}) as Json;
  const type = data.type as string | undefined;
  const shared = data.shared_prefix as Json | undefined;
  return {
    hashed: yamlForHash(text ?? stringifyYaml(tool?.inference_perf ?? {})),
    native,
    source: !type ? "unknown" : type === "random" || type === "shared_prefix" ? "random" : "sampled",
    prefix:
      type === "shared_prefix" && shared
        ? {
            prefix_len: { distribution: "fixed", value: shared.system_prompt_len },
            num_groups: shared.num_groups,
            num_users_per_group: shared.num_prompts_per_group,
            num_prefixes: 1,
          }
        : null,
    multiTurn: type === "shared_prefix" && shared?.enable_multi_turn_chat ? { enabled: true } : null,
  };
}

/** The objects of one snapshot manifest (multi-document YAML); none when the snapshot lacks it. */
function manifestObjects(benchmark: BenchmarkRecord, part: Parameters<typeof manifestPath>[0]): Json[] {
  const text = benchmark.snapshot[manifestPath(part)];
  if (text === undefined) return [];
  return parseAllDocuments(text)
    .map((d) => d.toJSON() as Json)
    .filter((o) => o && typeof o === "object");
}

function firstContainer(objects: Json[], kinds: string[]): Container | undefined {
  const workload = objects.find((o) => kinds.includes(String(o.kind)));
  return (workload as { spec?: { template?: { spec?: { containers?: Container[] } } } } | undefined)?.spec?.template
    ?.spec?.containers?.[0];
}

/** `--flag value`, `--flag=value` and bare `--flag` (null), as llm-d's examples write native args. */
function argsMap(args: string[] = []): Json {
  const out: Json = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith("-")) continue;
    const eq = arg.indexOf("=");
    if (eq > 0) out[arg.slice(0, eq)] = arg.slice(eq + 1);
    else if (i + 1 < args.length && !args[i + 1].startsWith("-")) out[arg] = args[++i];
    else out[arg] = null;
  }
  return out;
}

/** Literal environment values only: values from Secrets are never written. */
function envMap(container: Container | undefined): Json | null {
  const entries = (container?.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value]);
  return entries.length ? Object.fromEntries(entries) : null;
}

/** The image that ran (its digest, from the pod's status), else the image the manifest asked for. */
function imageThatRan(images: ImageRecord[], component: string, container: Container | undefined): string {
  const ran = images.find((i) => i.component === component && i.container === container?.name);
  return ran?.image_id || container?.image || "unknown";
}

function statistics(metric: Metric | undefined, units: string): Json | null {
  if (metric?.mean === undefined || !Number.isFinite(metric.mean)) return null;
  const out: Json = { units, mean: metric.mean };
  const fields: Array<[keyof Metric, string]> = [
    ["sd", "stddev"],
    ["min", "min"],
    ["p0p1", "p0p1"],
    ["p1", "p1"],
    ["p5", "p5"],
    ["p10", "p10"],
    ["p25", "p25"],
    ["median", "p50"],
    ["p75", "p75"],
    ["p90", "p90"],
    ["p95", "p95"],
    ["p99", "p99"],
    ["p99p9", "p99p9"],
    ["max", "max"],
  ];
  for (const [from, to] of fields) {
    const value = metric[from];
    if (typeof value === "number" && Number.isFinite(value) && !(to === "stddev" && value < 0)) out[to] = value;
  }
  return out;
}

function scalar(value: number | undefined, units: string): Json | null {
  return value === undefined || !Number.isFinite(value) ? null : { units, mean: value };
}

function compact(object: Json): Json {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== null && v !== undefined));
}

/** Model-server gauges that ResourceMetrics names (vLLM V0 and V1 names), with their units. */
const RESOURCE_METRICS: Array<[string, string, string]> = [
  ["vllm:gpu_cache_usage_perc", "gpu_cache_usage", "fraction"],
  ["vllm:kv_cache_usage_perc", "kv_cache_usage", "fraction"],
  ["vllm:cpu_cache_usage_perc", "cpu_cache_usage", "fraction"],
  ["vllm:num_requests_running", "running_requests", "count"],
  ["vllm:num_requests_waiting", "waiting_requests", "count"],
  ["vllm:num_requests_swapped", "swapped_requests", "count"],
];

/**
 * The rate's routing attribution and load verdict. LoadMetadata is closed (additionalProperties:
 * false) with only a free-text description, so they go there, after a fixed prefix, as JSON.
 */
export const ROUTING_PREFIX = "; inference-bench routing and load: ";

function routingAndLoad(stat: Stat): string {
  const { pods, routing, load } = stat;
  if (!pods && !routing && !load) return "";
  return (
    ROUTING_PREFIX +
    JSON.stringify({ ...(load ? { load } : {}), ...(routing ? { routing } : {}), ...(pods ? { pods } : {}) })
  );
}

function observability(stat: Stat): Json | null {
  const aggregate: Json = {};
  for (const [source, field, units] of RESOURCE_METRICS) {
    const metric = stat.model_server_metrics?.find((m) => m.name === source);
    const figures = statistics(metric, units);
    if (figures) aggregate[field] = figures;
  }
  return Object.keys(aggregate).length ? { components: [{ component_label: "model-server", aggregate }] } : null;
}

function isoDuration(start?: string, end?: string): string | null {
  if (!start || !end) return null;
  const seconds = (Date.parse(end) - Date.parse(start)) / 1000;
  return Number.isFinite(seconds) && seconds >= 0 ? `PT${seconds}S` : null;
}

/** The stack of a benchmark: model server, then load balancer components, from its snapshot. */
function stack(benchmark: BenchmarkRecord, provenance: Provenance): Json[] {
  const facts = benchmarkFacts(benchmark.config);
  const server = benchmark.config?.config?.model_server;
  const modelObjects = manifestObjects(benchmark, "model-server");
  const serverContainer = firstContainer(modelObjects, ["Deployment"]);
  const model: Json = {
    metadata: { schema_version: "0.0.1", label: "model-server", cfg_id: hashOf(serverContainer ?? server ?? {}) },
    standardized: {
      kind: "inference_engine",
      tool: server?.sim ? "llm-d-inference-sim" : "vllm",
      tool_version: imageThatRan(provenance.images, "model-server", serverContainer),
      role: "replica",
      replicas: Math.max(1, facts.replicas ?? 1),
      model: { name: facts.model ?? "unknown" },
      accelerator: {
        model: facts.accelerator ?? "none",
        count: facts.gpus ?? 0,
        parallelism: { tp: facts.tensor_parallelism ?? 1 },
      },
    },
    native: compact({ args: serverContainer ? argsMap(serverContainer.args) : null, envars: envMap(serverContainer) }),
  };
  const lbObjects = manifestObjects(benchmark, "load-balancer");
  const gateway = lbObjects.find((o) => o.kind === "Gateway") as { spec?: { gatewayClassName?: string } } | undefined;
  const lb = benchmark.config?.config?.load_balancer;
  const loadBalancer: Json = {
    metadata: { schema_version: "0.0.1", label: "load-balancer", cfg_id: hashOf(lb ?? {}) },
    standardized: compact({
      kind: "generic",
      tool: lb?.k8s_service
        ? "kubernetes-service"
        : lb?.gateway?.gke_gateway
          ? "gke-gateway"
          : lb?.gateway?.envoy
            ? "envoy-gateway"
            : "unknown",
      tool_version: lb?.k8s_service ? "v1" : "unknown",
      load_balancer: facts.load_balancer,
      gateway_class: gateway?.spec?.gatewayClassName ?? null,
    }),
    native: {
      config: lbObjects
        .filter((o) =>
          ["Service", "Gateway", "HTTPRoute", "InferencePool", "BackendTrafficPolicy"].includes(String(o.kind)),
        )
        .map((o) => ({ kind: o.kind, spec: o.spec })),
    },
  };
  const components = [model, loadBalancer];
  const eppContainer = firstContainer(lbObjects, ["Deployment"]);
  if (eppContainer) {
    components.push({
      metadata: { schema_version: "0.0.1", label: "endpoint-picker", cfg_id: hashOf(eppContainer) },
      standardized: {
        kind: "generic",
        tool: "gateway-api-inference-extension-epp",
        tool_version: imageThatRan(provenance.images, "load-balancer", eppContainer),
      },
      native: compact({ args: argsMap(eppContainer.args), envars: envMap(eppContainer) }),
    });
  }
  return components;
}

/** One llm-d Benchmark Report v0.2.1 for one rate of a benchmark. */
export function benchmarkReport(runId: string, benchmark: BenchmarkRecord, stat: Stat, stage: number): Json {
  const provenance = benchmark.provenance;
  const lpg = benchmark.config?.config?.benchmark_tool?.lpg;
  const loadObjects = manifestObjects(benchmark, "load-generator");
  const loadContainer = firstContainer(loadObjects, ["Job", "Deployment"]);
  const rate = stat.request_rate ?? 0;
  const rateLabel = Number.isFinite(rate) && rate > 0 ? `${rate} QPS` : "all requests at once (rate inf)";
  const inputMax = Number(lpg?.input_length) || undefined;
  const outputMax = Number(lpg?.output_length) || undefined;
  const sequence = (metric: Metric | undefined, max: number | undefined) =>
    compact({ distribution: "other", value: metric?.mean ?? max ?? 0, max: max ?? null });
  const attempted = stat.num_prompts_attempted;
  const succeeded = stat.num_prompts_succeeded;
  const tool = stat.load_generator === "inference-perf" ? "inference-perf" : "latency-profile-generator";
  const load = loadConfig(benchmark, loadObjects);
  // Concurrent inference-perf load: the stage's "rate" is its concurrency level, not a rate.
  const concurrent =
    benchmark.config?.config?.benchmark_tool?.inference_perf?.load_type === "concurrent" ||
    (load.native?.load as Json | undefined)?.type === "concurrent";
  return {
    version: "0.2.1",
    run: compact({
      uid: `${runId}/${benchmark.name}/${Number.isFinite(rate) ? rate : "inf"}`,
      eid: runId,
      description: `inference-bench benchmark ${benchmark.name} of run ${runId} at ${rateLabel}`,
      keywords: ["inference-bench", benchmark.name],
      time: provenance.start_time
        ? compact({
            start: provenance.start_time,
            end: provenance.end_time ?? null,
            duration: isoDuration(provenance.start_time, provenance.end_time),
          })
        : null,
    }),
    scenario: {
      stack: stack(benchmark, provenance),
      load: {
        metadata: {
          schema_version: "0.0.1",
          cfg_id: configHash(load.hashed),
          description: `${tool} at ${concurrent ? `concurrency ${rate}` : rateLabel}${stat.source_file ? ` (${stat.source_file})` : ""}${routingAndLoad(stat)}`,
        },
        standardized: compact({
          tool,
          tool_version: imageThatRan(provenance.images, "load-generator", loadContainer),
          parallelism: 1,
          source: load.source,
          stage,
          input_seq_len: sequence(stat.input_length, inputMax),
          output_seq_len: sequence(stat.output_length, outputMax),
          prefix: load.prefix,
          multi_turn: load.multiTurn,
          rate_qps: !concurrent && Number.isFinite(rate) && rate > 0 ? rate : null,
          concurrency: concurrent ? rate : null,
        }),
        native: compact({ envars: envMap(loadContainer), config: load.native }),
      },
    },
    results: compact({
      request_performance: {
        aggregate: compact({
          requests:
            attempted === undefined
              ? null
              : compact({
                  total: attempted,
                  failures: succeeded === undefined ? null : attempted - succeeded,
                  input_length: statistics(stat.input_length, "count"),
                  output_length: statistics(stat.output_length, "count"),
                }),
          latency: compact({
            time_to_first_token: statistics(stat.ttft, "ms"),
            normalized_time_per_output_token: statistics(stat.ntpot, "ms/token"),
            time_per_output_token: statistics(stat.tpot, "ms/token"),
            inter_token_latency: statistics(stat.itl, "ms/token"),
            request_latency: statistics(stat.request_latency, "ms"),
          }),
          throughput: compact({
            output_token_rate: statistics(stat.throughput, "tokens/s"),
            input_token_rate: scalar(stat.input_tokens_per_second, "tokens/s"),
            total_token_rate: scalar(stat.total_tokens_per_second, "tokens/s"),
            request_rate: scalar(stat.successful_rps, "queries/s"),
          }),
        }),
      },
      observability: observability(stat),
    }),
  };
}
