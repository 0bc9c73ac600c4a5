// Catalog files → resolved benchmarks: inheritance by field presence, defaults, request
// rates, validation. Pure apart from reading the catalog files.
import * as fs from "node:fs";
import * as path from "node:path";
import * as protobuf from "protobufjs";
import type { Benchmark, BenchmarkConfig, Gateway } from "../../proto/benchmark-types";
import { BenchmarkType, BenchmarksType } from "../../proto/schema";
import { copyPosition, copyPositions, copyStartPosition, parseTextFormat, type PlainMessage, sourcePosition } from "../../proto/textformat";
import { CatalogError, location } from "../errors";
import { DEFAULT_IMAGES, DEFAULTS, ENVOY_LB_POLICIES, EPP_STAGING_MAIN, EPP_STREAMING_ONLY, VLLM_V0_REMOVED, vllmRelease } from "./defaults";
import { dropUninheritedToolFields, type LoadGeneratorKind, resolveBenchmarkTool } from "./tool";

/** Run ids are 8 characters, so a name may use what is left of a 63-character namespace. */
export const RUN_ID_LENGTH = 8;
export const MAX_NAME_LENGTH = 63 - 1 - RUN_ID_LENGTH;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const CATALOG_EXTENSIONS = [".pbtxt", ".textproto", ".txtpb"];
const DERIVED_LB_FLAGS = [
  "k8s_service_enabled", "gateway_enabled", "gateway_envoy_enabled", "gateway_gke_gateway_enabled",
  "gateway_envoy_epp_enabled", "gateway_envoy_lb_policy_enabled",
] as const;

export type ModelServerKind = "vllm" | "sim";
export type LoadBalancerKind = "k8s_service" | "gateway.envoy.epp" | "gateway.envoy.lb_policy" | "gateway.gke_gateway.epp";
/** Which Gateway API Inference Extension API a gateway with an endpoint picker uses. */
export type InferenceFlavor = "v1" | "v1alpha2";

export interface ResolvedBenchmark {
  name: string;
  /** The catalog file and line that define it. */
  file: string;
  line: number;
  /** Inheritance, defaults and request rates applied; `namespace` and `lpg.ip` not yet (they need a run id). */
  benchmark: Benchmark;
  modelServer: ModelServerKind;
  loadBalancer: LoadBalancerKind;
  inferenceFlavor: InferenceFlavor;
  /** GPUs one replica needs (tensor parallelism; 0 for sim). */
  gpusPerReplica: number;
  /** GPUs the whole benchmark needs at once. */
  totalGpus: number;
  loadGenerator: LoadGeneratorKind;
  /** One per measured stage: QPS, or the concurrency level of a concurrent inference-perf stage. */
  requestRates: number[];
  /** The load generator's expected run time: warm-up, every stage, the pauses between them. */
  expectedSeconds: number;
  /** Not errors, but worth a user's attention (mutable images, ignored fields). */
  warnings: string[];
}

function isMessageField(field: protobuf.Field): field is protobuf.Field & { resolvedType: protobuf.Type } {
  field.resolve();
  return field.resolvedType instanceof protobuf.Type;
}

/** Deep copy of a parsed message that keeps where each field was written. */
function cloneMessage(type: protobuf.Type, message: PlainMessage): PlainMessage {
  const copy: PlainMessage = {};
  copyPositions(message, copy);
  for (const [key, value] of Object.entries(message)) {
    const field = type.fields[key];
    if (field && isMessageField(field)) {
      copy[key] = field.repeated
        ? (value as PlainMessage[]).map((item) => cloneMessage(field.resolvedType, item))
        : cloneMessage(field.resolvedType, value as PlainMessage);
    } else {
      copy[key] = Array.isArray(value) ? [...value] : value;
    }
  }
  return copy;
}

/**
 * Merges `child` over `base` by presence: every field the child wrote wins (false, 0 and ""
 * included); a oneof member replaces the base's member of that oneof; singular messages
 * merge recursively; a repeated field the child writes replaces the base's list (appending
 * would make it impossible to override a list).
 */
export function mergeByPresence(type: protobuf.Type, base: PlainMessage, child: PlainMessage): PlainMessage {
  const result = cloneMessage(type, base);
  for (const [key, value] of Object.entries(child)) {
    const field = type.fields[key];
    if (!field) continue;
    for (const member of field.partOf?.oneof ?? []) if (member !== key) delete result[member];
    if (isMessageField(field) && !field.repeated && result[key] !== undefined) {
      result[key] = mergeByPresence(field.resolvedType, result[key] as PlainMessage, value as PlainMessage);
    } else if (isMessageField(field)) {
      result[key] = field.repeated
        ? (value as PlainMessage[]).map((item) => cloneMessage(field.resolvedType, item))
        : cloneMessage(field.resolvedType, value as PlainMessage);
    } else {
      result[key] = Array.isArray(value) ? [...value] : value;
    }
    copyPosition(child, result, key);
  }
  copyStartPosition(child, result);
  return result;
}

/** Lists the catalog files under `paths` (files as given, folders recursively, sorted). */
export function catalogFiles(paths: string[]): string[] {
  if (paths.length === 0) throw new CatalogError("no catalog given: pass a .pbtxt file or a folder of them");
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      if (fs.statSync(full).isDirectory()) walk(full);
      else if (CATALOG_EXTENSIONS.includes(path.extname(name))) files.push(full);
    }
  };
  for (const given of paths) {
    if (!fs.existsSync(given)) throw new CatalogError(`${given}: no such catalog file or folder`);
    if (fs.statSync(given).isDirectory()) {
      const before = files.length;
      walk(given);
      if (files.length === before) throw new CatalogError(`${given}: folder holds no catalog (${CATALOG_EXTENSIONS.join(", ")}) files`);
    } else {
      files.push(given);
    }
  }
  return [...new Set(files)];
}

/** `file:line:column` of a field, else of its message, else of `fallback` (fields that defaults filled in have none). */
function at(file: string, message: object, field?: string, fallback?: object): string {
  return location(file, (field && sourcePosition(message, field)) || sourcePosition(message) || (fallback && sourcePosition(fallback)));
}

/** Parses one catalog file and resolves inheritance within it (no defaults yet). */
function resolveFile(file: string, text: string): Array<{ merged: Benchmark; raw: Benchmark }> {
  const catalog = parseTextFormat(BenchmarksType, text, file);
  const entries = catalog.benchmarks ?? [];
  const byName = new Map<string, { raw: Benchmark }>();
  for (const raw of entries) {
    if (!raw.name) throw new CatalogError(`${at(file, raw)}: benchmark has no name`);
    const earlier = byName.get(raw.name);
    if (earlier) {
      throw new CatalogError(`${at(file, raw, "name")}: benchmark "${raw.name}" is defined twice in this file (first at line ${sourcePosition(earlier.raw)?.line})`);
    }
    byName.set(raw.name, { raw });
  }
  const merged = new Map<string, Benchmark>();
  const resolve = (name: string, chain: string[]): Benchmark => {
    const done = merged.get(name);
    if (done) return done;
    const entry = byName.get(name)!;
    const baseName = entry.raw.base_benchmark_name;
    let result: Benchmark;
    if (baseName === undefined || baseName === "") {
      result = cloneMessage(BenchmarkType, entry.raw as PlainMessage) as Benchmark;
    } else {
      const nextChain = [...chain, baseName];
      if (chain.includes(baseName)) {
        throw new CatalogError(`${at(file, entry.raw, "base_benchmark_name")}: inheritance cycle: ${nextChain.join(" → ")}`);
      }
      if (!byName.has(baseName)) {
        throw new CatalogError(`${at(file, entry.raw, "base_benchmark_name")}: benchmark "${name}": base benchmark "${baseName}" is not defined in this file (chain: ${nextChain.join(" → ")})`);
      }
      const base = cloneMessage(BenchmarkType, resolve(baseName, nextChain) as PlainMessage) as Benchmark;
      // Request rates are not inherited: they depend on the deployment the child describes.
      dropUninheritedToolFields(base);
      result = mergeByPresence(BenchmarkType, base as PlainMessage, entry.raw as PlainMessage) as Benchmark;
    }
    merged.set(name, result);
    return result;
  };
  return entries.map((raw) => ({ merged: resolve(raw.name!, [raw.name!]), raw }));
}

function positiveInteger(value: string | undefined): boolean {
  return value !== undefined && /^[1-9][0-9]*$/.test(value.trim());
}

function mutableImageWarning(name: string, role: string, image: string): string | undefined {
  if (image.includes("@sha256:")) return undefined;
  const lastSegment = image.slice(image.lastIndexOf("/") + 1);
  const tag = lastSegment.includes(":") ? lastSegment.slice(lastSegment.indexOf(":") + 1) : "";
  if (tag && tag !== "latest" && tag !== "main" && tag !== "master") return undefined;
  return `benchmark "${name}": ${role} image "${image}" is mutable (${tag ? `tag :${tag}` : "no tag"}); pin a version or digest so the run can be reproduced`;
}

/** Applies defaults and validates one merged benchmark; returns it resolved. */
function finish(file: string, merged: Benchmark): ResolvedBenchmark {
  const name = merged.name!;
  const b = merged;
  const fail = (message: object, field: string | undefined, detail: string): never => {
    throw new CatalogError(`${at(file, message, field, b)}: benchmark "${name}": ${detail}`);
  };
  const warnings: string[] = [];

  if (!DNS_LABEL.test(name) || name.length > MAX_NAME_LENGTH) {
    fail(b, "name", `name must be a DNS-1123 label (lowercase letters, digits and "-", starting and ending with a letter or digit) of at most ${MAX_NAME_LENGTH} characters, so that the namespace "${name}-<8-character run id>" is valid`);
  }

  const config: BenchmarkConfig = (b.config ??= {});
  const server = config.model_server;
  if (!server) return fail(config, undefined, "config.model_server is missing");
  const modelServer: ModelServerKind | undefined = server.vllm ? "vllm" : server.sim ? "sim" : undefined;
  if (!modelServer) return fail(server, undefined, "config.model_server needs a type: vllm { ... } or sim { ... }");
  server.replicas ??= DEFAULTS.replicas;
  if (server.replicas < 1) fail(server, "replicas", `config.model_server.replicas must be at least 1 (got ${server.replicas})`);
  server.image ??= modelServer === "vllm" ? DEFAULT_IMAGES.vllm : DEFAULT_IMAGES.sim;

  let gpusPerReplica = 0;
  let servedModel: string;
  if (server.vllm) {
    const vllm = server.vllm;
    vllm.tensor_parallelism ??= DEFAULTS.tensorParallelism;
    // VLLM_USE_V1 must say what runs: releases from VLLM_V0_REMOVED have no V0 engine.
    const release = vllmRelease(server.image);
    const v1Only = release === "newest" || (release !== undefined && (release[0] > VLLM_V0_REMOVED[0] || (release[0] === VLLM_V0_REMOVED[0] && release[1] >= VLLM_V0_REMOVED[1])));
    if (v1Only && vllm.v1 === "0") {
      fail(vllm, "v1", `config.model_server.vllm.v1 is "0", but image "${server.image}" is vLLM v${VLLM_V0_REMOVED.join(".")}+ (or :latest), which has no V0 engine; set v1: "1" or use an older image`);
    }
    if (v1Only) vllm.v1 ??= "1";
    else if (release === undefined && (vllm.v1 ?? DEFAULTS.vllmV1) === "0") {
      warnings.push(`benchmark "${name}": VLLM_USE_V1=0 with image "${server.image}", whose vLLM release the tag does not show: from v${VLLM_V0_REMOVED.join(".")} vLLM has no V0 engine and runs V1 regardless; pin a release tag so that the recorded engine is the one that ran`);
    }
    vllm.v1 ??= DEFAULTS.vllmV1;
    if (!positiveInteger(vllm.tensor_parallelism)) {
      fail(vllm, "tensor_parallelism", `config.model_server.vllm.tensor_parallelism must be a positive integer (got "${vllm.tensor_parallelism}")`);
    }
    if (vllm.v1 !== "0" && vllm.v1 !== "1") fail(vllm, "v1", `config.model_server.vllm.v1 must be "0" or "1" (got "${vllm.v1}")`);
    for (const field of ["max_loras", "lora_rank"] as const) {
      if (vllm[field] !== undefined && vllm[field] !== "" && !positiveInteger(vllm[field])) {
        fail(vllm, field, `config.model_server.vllm.${field} must be a positive integer (got "${vllm[field]}")`);
      }
    }
    if (!vllm.model) return fail(vllm, undefined, "config.model_server.vllm.model is missing");
    if (!server.accelerator) fail(server, undefined, "config.model_server.accelerator is missing (the GKE accelerator label, e.g. nvidia-h100-80gb)");
    gpusPerReplica = Number(vllm.tensor_parallelism);
    servedModel = vllm.model;
  } else {
    const sim = server.sim!;
    if (!sim.model) return fail(sim, undefined, "config.model_server.sim.model is missing");
    sim.time_to_first_token_ms ??= DEFAULTS.sim.timeToFirstTokenMs;
    sim.inter_token_latency_ms ??= DEFAULTS.sim.interTokenLatencyMs;
    sim.max_num_seqs ??= DEFAULTS.sim.maxNumSeqs;
    sim.max_model_len ??= DEFAULTS.sim.maxModelLen;
    for (const field of ["time_to_first_token_ms", "inter_token_latency_ms"] as const) {
      if (sim[field]! < 0) fail(sim, field, `config.model_server.sim.${field} must not be negative`);
    }
    for (const field of ["max_num_seqs", "max_model_len"] as const) {
      if (sim[field]! < 1) fail(sim, field, `config.model_server.sim.${field} must be at least 1`);
    }
    servedModel = sim.model;
  }

  const lb = config.load_balancer;
  if (!lb) return fail(config, undefined, "config.load_balancer is missing");
  for (const flag of DERIVED_LB_FLAGS) {
    if (lb[flag] !== undefined) {
      warnings.push(`benchmark "${name}": config.load_balancer.${flag} is derived by the tool and was ignored`);
      delete lb[flag];
    }
  }
  let loadBalancer: LoadBalancerKind;
  let inferenceFlavor: InferenceFlavor = "v1";
  if (lb.k8s_service) {
    loadBalancer = "k8s_service";
  } else if (lb.gateway) {
    const gateway: Gateway = lb.gateway;
    inferenceFlavor = gateway.inference_api === "V1ALPHA2" ? "v1alpha2" : "v1";
    const streamingWritten = gateway.full_duplex_streaming_enabled !== undefined;
    gateway.full_duplex_streaming_enabled ??= DEFAULTS.fullDuplexStreaming[inferenceFlavor];
    let epp;
    if (gateway.envoy) {
      gateway.gateway_class_name ??= DEFAULTS.gatewayClass.envoy;
      if (gateway.envoy.epp) {
        loadBalancer = "gateway.envoy.epp";
        epp = gateway.envoy.epp;
      } else if (gateway.envoy.lb_policy !== undefined) {
        loadBalancer = "gateway.envoy.lb_policy";
        if (!(ENVOY_LB_POLICIES as readonly string[]).includes(gateway.envoy.lb_policy)) {
          fail(gateway.envoy, "lb_policy", `config.load_balancer.gateway.envoy.lb_policy "${gateway.envoy.lb_policy}" is not an Envoy Gateway load balancer type (one of ${ENVOY_LB_POLICIES.join(", ")})`);
        }
      } else {
        return fail(gateway.envoy, undefined, "config.load_balancer.gateway.envoy needs epp { ... } or lb_policy");
      }
    } else if (gateway.gke_gateway) {
      loadBalancer = "gateway.gke_gateway.epp";
      gateway.gateway_class_name ??= DEFAULTS.gatewayClass.gke;
      if (inferenceFlavor === "v1alpha2") {
        fail(gateway, "inference_api", "GKE Gateway routes to inference.networking.k8s.io/v1 InferencePools only; remove inference_api: V1ALPHA2");
      }
      epp = gateway.gke_gateway.epp ??= {};
    } else {
      return fail(gateway, undefined, "config.load_balancer.gateway needs envoy { ... } or gke_gateway { ... }");
    }
    if (loadBalancer !== "gateway.envoy.epp" && streamingWritten) {
      warnings.push(`benchmark "${name}": full_duplex_streaming_enabled has no effect on ${loadBalancer} (only Envoy's ext_proc to the endpoint picker has a body mode)`);
    }
    if (epp) {
      epp.image ??= inferenceFlavor === "v1" ? DEFAULT_IMAGES.eppV1 : DEFAULT_IMAGES.eppV1alpha2;
      epp.refresh_metrics_interval ??= DEFAULTS.refreshMetricsInterval;
      if (!/^[0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h)$/.test(epp.refresh_metrics_interval)) {
        fail(epp, "refresh_metrics_interval", `refresh_metrics_interval must be a duration such as 50ms (got "${epp.refresh_metrics_interval}")`);
      }
      const warning = mutableImageWarning(name, "endpoint picker", epp.image);
      if (warning) warnings.push(warning);
      if (EPP_STAGING_MAIN.test(epp.image)) {
        warnings.push(`benchmark "${name}": endpoint picker image "${epp.image}" is GIE's unmaintained staging build of main (the picker left GIE after v1.5.0); use ${DEFAULT_IMAGES.eppV1}`);
      }
      const release = /:v(\d+)\.(\d+)/.exec(epp.image);
      if (loadBalancer === "gateway.envoy.epp" && inferenceFlavor === "v1" && !gateway.full_duplex_streaming_enabled) {
        // Buffered: Envoy sends the body only after the picker answers the headers, and v0.4.0+
        // pickers answer the headers only after the whole body (GIE v1.5.0 pkg/epp/handlers/server.go).
        const streamingOnly = release && (Number(release[1]) > EPP_STREAMING_ONLY[0] || (Number(release[1]) === EPP_STREAMING_ONLY[0] && Number(release[2]) >= EPP_STREAMING_ONLY[1]));
        const why = `full_duplex_streaming_enabled: false makes Envoy AI Gateway buffer bodies for the picker, and pickers from v${EPP_STREAMING_ONLY.join(".")} implement only full-duplex streaming, so every request would stall until the 300 s ext_proc timeout`;
        if (streamingOnly) fail(gateway, "full_duplex_streaming_enabled", `endpoint picker "${epp.image}": ${why}; set it to true, or benchmark without streaming in the seed-era flavour (inference_api: V1ALPHA2 with an epp:v0.3.0 picker)`);
        warnings.push(`benchmark "${name}": deployed buffered as written, but ${why} if "${epp.image}" is such a picker; the readiness check then stops the run before any load`);
      }
      if (release && (inferenceFlavor === "v1") !== Number(release[1]) >= 1) {
        warnings.push(`benchmark "${name}": endpoint picker image "${epp.image}" is from a release that serves the ${Number(release[1]) >= 1 ? "v1" : "v1alpha2"} InferencePool API, but the benchmark deploys ${inferenceFlavor}; set config.load_balancer.gateway.inference_api or change the image`);
      }
    }
  } else {
    return fail(lb, undefined, "config.load_balancer needs a type: k8s_service {} or gateway { ... }");
  }

  const tool = config.benchmark_tool;
  if (!tool) return fail(config, undefined, "config.benchmark_tool is missing");
  const { loadGenerator, requestRates, expectedSeconds } = resolveBenchmarkTool(tool, {
    servedModel, accelerator: modelServer === "vllm" ? server.accelerator : undefined, replicas: server.replicas, gpusPerReplica, fail,
  });

  for (const [role, image] of [["model server", server.image], ["load generator", tool.image!]] as const) {
    const warning = mutableImageWarning(name, role, image);
    if (warning) warnings.push(warning);
  }

  return {
    name,
    file,
    line: sourcePosition(b)?.line ?? 1,
    benchmark: b,
    modelServer,
    loadBalancer,
    inferenceFlavor,
    gpusPerReplica,
    totalGpus: gpusPerReplica * server.replicas,
    loadGenerator,
    requestRates,
    expectedSeconds,
    warnings,
  };
}

/** Resolves the benchmarks of catalog text (one file). */
export function resolveCatalogText(text: string, file: string): ResolvedBenchmark[] {
  return resolveFile(file, text).map(({ merged }) => finish(file, merged));
}

/** Loads and resolves every benchmark of the catalogs at `paths`, in file order. */
export function loadCatalogs(paths: string[]): ResolvedBenchmark[] {
  const all: ResolvedBenchmark[] = [];
  const seen = new Map<string, ResolvedBenchmark>();
  for (const file of catalogFiles(paths)) {
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (error) {
      throw new CatalogError(`${file}: cannot read catalog (${(error as NodeJS.ErrnoException).code ?? error})`);
    }
    for (const resolved of resolveCatalogText(text, file)) {
      const earlier = seen.get(resolved.name);
      if (earlier) {
        throw new CatalogError(`${file}:${resolved.line}: benchmark "${resolved.name}" is also defined at ${earlier.file}:${earlier.line}; names must be unique across the catalogs of a run (the namespace is {name}-{run_id})`);
      }
      seen.set(resolved.name, resolved);
      all.push(resolved);
    }
  }
  return all;
}

/** Keeps the benchmarks whose name matches `pattern` (a regular expression, unanchored). */
export function selectBenchmarks(benchmarks: ResolvedBenchmark[], pattern: string | undefined): ResolvedBenchmark[] {
  if (!pattern) return benchmarks;
  let regex: RegExp;
  try {
    regex = new RegExp(pattern);
  } catch (error) {
    throw new CatalogError(`benchmark name regex ${JSON.stringify(pattern)} is invalid: ${(error as Error).message}`);
  }
  const selected = benchmarks.filter((b) => regex.test(b.name));
  if (selected.length === 0) {
    throw new CatalogError(`benchmark name regex ${JSON.stringify(pattern)} matches none of: ${benchmarks.map((b) => b.name).join(", ")}`);
  }
  return selected;
}
