// Catalog files → resolved benchmarks: inheritance by field presence, defaults, request
// rates, validation. Pure apart from reading the catalog files.
import * as fs from "node:fs";
import * as path from "node:path";
import type { Benchmark, BenchmarkConfig, EPP, Gateway, ModelServer } from "../../proto/benchmark-types";
import { BenchmarksType, BenchmarkType } from "../../proto/schema";
import { type PlainMessage, parseTextFormat, sourcePosition } from "../../proto/textformat";
import { CatalogError, listed, location, MAX_ERROR_LENGTH, quoted, shortPath } from "../errors";
import {
  DEFAULT_IMAGES,
  DEFAULTS,
  ENVOY_LB_POLICIES,
  EPP_STAGING_MAIN,
  EPP_STREAMING_ONLY,
  VLLM_V0_REMOVED,
  vllmRelease,
} from "./defaults";
import { cloneMessage, type InheritanceEntry, resolveChain } from "./inherit";
import { pickerFlavourProblem, pickerRelease } from "./pickers";
import { MUST_NAME_SOMETHING, valueAt } from "./rules";
import { loraAdapters, servedModels } from "./served";
import { type LoadGeneratorKind, resolveBenchmarkTool } from "./tool";

export { mergeByPresence } from "./inherit";

/** Run ids are 8 characters, so a name may use what is left of a 63-character namespace. */
export const RUN_ID_LENGTH = 8;
const MAX_NAME_LENGTH = 63 - 1 - RUN_ID_LENGTH;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const CATALOG_EXTENSIONS = [".pbtxt", ".textproto", ".txtpb"];
const DERIVED_LB_FLAGS = [
  "k8s_service_enabled",
  "gateway_enabled",
  "gateway_envoy_enabled",
  "gateway_gke_gateway_enabled",
  "gateway_envoy_epp_enabled",
  "gateway_envoy_lb_policy_enabled",
] as const;

export type ModelServerKind = "vllm" | "sim";
export type LoadBalancerKind =
  | "k8s_service"
  | "gateway.envoy.epp"
  | "gateway.envoy.lb_policy"
  | "gateway.gke_gateway.epp";
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

/** A catalog error: one line of at most MAX_ERROR_LENGTH characters. */
function catalogError(message: string): CatalogError {
  return new CatalogError(message, MAX_ERROR_LENGTH);
}

/** The file-system fault behind `error`, in words a user can act on. */
function fsProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "EISDIR") return "is a folder";
  if (code === "ENOTDIR") return "a part of the path is not a folder";
  if (code === "ELOOP") return "symbolic link loop";
  return code ?? String((error as Error).message ?? error);
}

/** What a path that is neither a regular file nor a folder is; reading one would block or never end. */
function specialKind(stat: fs.Stats): string | undefined {
  if (stat.isFIFO()) return "a named pipe (FIFO)";
  if (stat.isCharacterDevice()) return "a character device";
  if (stat.isBlockDevice()) return "a block device";
  if (stat.isSocket()) return "a socket";
  return undefined;
}

/** `stat` of a path (following links), or a catalog error naming it; undefined when it does not exist. */
function statOf(file: string, what: string): fs.Stats | undefined {
  try {
    return fs.statSync(file, { throwIfNoEntry: false });
  } catch (error) {
    throw catalogError(`${shortPath(file)}: cannot read the ${what} (${fsProblem(error)})`);
  }
}

/** Refuses what is not a regular file, before anything reads it. */
function requireRegular(file: string, stat: fs.Stats): void {
  const special = specialKind(stat);
  if (special)
    throw catalogError(`${shortPath(file)}: is ${special}, not a catalog file; give a .pbtxt file or a folder of them`);
}

/**
 * Lists the catalog files under `paths` (files as given, folders recursively, sorted). Only
 * regular files are catalogs; a folder that a symbolic link leads back into is refused.
 */
export function catalogFiles(paths: string[]): string[] {
  if (paths.length === 0) throw catalogError("no catalog given: pass a .pbtxt file or a folder of them");
  const files: string[] = [];
  const identity = (stat: fs.Stats) => `${stat.dev}:${stat.ino}`;
  const walk = (root: string, rootStat: fs.Stats) => {
    // Each folder with the folders above it (device and inode), so that a link back up is a cycle.
    const folders: Array<{ dir: string; above: ReadonlySet<string> }> = [
      { dir: root, above: new Set([identity(rootStat)]) },
    ];
    for (let next = folders.pop(); next !== undefined; next = folders.pop()) {
      const { dir, above } = next;
      let names: string[];
      try {
        names = fs.readdirSync(dir).sort();
      } catch (error) {
        throw catalogError(`${shortPath(dir)}: cannot read the catalog folder (${fsProblem(error)})`);
      }
      const subfolders: typeof folders = [];
      for (const name of names) {
        const full = path.join(dir, name);
        const stat = statOf(full, "catalog folder entry");
        if (stat?.isDirectory()) {
          if (above.has(identity(stat)))
            throw catalogError(
              `${shortPath(full, 80)}: a symbolic link cycle (a link back to a folder above it); remove the link`,
            );
          subfolders.push({ dir: full, above: new Set([...above, identity(stat)]) });
        } else if (stat && CATALOG_EXTENSIONS.includes(path.extname(name))) {
          requireRegular(full, stat);
          files.push(full);
        }
      }
      folders.push(...subfolders.reverse());
    }
  };
  for (const given of paths) {
    const stat = statOf(given, "catalog");
    if (!stat) throw catalogError(`${given}: no such catalog file or folder`);
    if (stat.isDirectory()) {
      const before = files.length;
      walk(given, stat);
      if (files.length === before)
        throw catalogError(`${given}: folder holds no catalog (${CATALOG_EXTENSIONS.join(", ")}) files`);
    } else {
      requireRegular(given, stat);
      files.push(given);
    }
  }
  return [...new Set(files)];
}

/**
 * `file:line:column` of a field, else of its message, else of `fallback` (fields that defaults filled in have
 * none).
 */
function at(file: string, message: object, field?: string, fallback?: object): string {
  return location(
    file,
    (field && sourcePosition(message, field)) || sourcePosition(message) || (fallback && sourcePosition(fallback)),
  );
}

/** `a → b → c`, the middle elided for long chains. */
function chainText(chain: string[]): string {
  const shown = chain.length > 6 ? [...chain.slice(0, 3), `… (${chain.length - 5} more)`, ...chain.slice(-2)] : chain;
  return shown.map((name) => (name.startsWith("… (") ? name : quoted(name, 24).slice(1, -1))).join(" → ");
}

/** One parsed catalog file: its benchmarks in file order, by name. */
interface CatalogFile {
  file: string;
  entries: Benchmark[];
  byName: Map<string, InheritanceEntry>;
  resolved: Map<string, Benchmark>;
}

function parseCatalog(file: string, text: string | Uint8Array): CatalogFile {
  const catalog = parseTextFormat(BenchmarksType, text, file);
  const entries = catalog.benchmarks ?? [];
  if (entries.length === 0) {
    throw catalogError(
      `${file}:1:1: the catalog defines no benchmarks (it is empty or holds only comments); write ` +
        `benchmarks { name: "..." config { ... } }`,
    );
  }
  const byName = new Map<string, InheritanceEntry>();
  for (const raw of entries) {
    if (!raw.name) throw catalogError(`${at(file, raw, "name")}: benchmark has no name`);
    const earlier = byName.get(raw.name);
    if (earlier) {
      throw catalogError(
        `${at(file, raw, "name")}: benchmark ${quoted(raw.name)} is defined twice in this file ` +
          `(first at line ${sourcePosition(earlier.raw)?.line})`,
      );
    }
    byName.set(raw.name, { raw });
  }
  return { file, entries, byName, resolved: new Map() };
}

/** Resolves one benchmark of a parsed file over its bases (no defaults yet): a copy, which finish() may fill in. */
function inherit(catalog: CatalogFile, name: string, definedIn: ReadonlyMap<string, string>): Benchmark {
  const result = resolveChain(name, catalog.byName, catalog.resolved);
  if (!("kind" in result)) return cloneMessage(BenchmarkType, result as PlainMessage) as Benchmark;
  const where = at(catalog.file, result.at, "base_benchmark_name");
  if (result.kind === "cycle") throw catalogError(`${where}: inheritance cycle: ${chainText(result.chain)}`);
  const elsewhere = definedIn.get(result.base);
  const benchmark = quoted(result.chain[result.chain.length - 2], 40);
  if (elsewhere !== undefined) {
    throw catalogError(
      `${where}: benchmark ${benchmark}: base benchmark ${quoted(result.base)} is defined in ${elsewhere}, ` +
        `not in this file; a base must be in the same file`,
    );
  }
  throw catalogError(
    `${where}: benchmark ${benchmark}: base benchmark ${quoted(result.base)} is not defined in ` +
      `this file (chain: ${chainText(result.chain)})`,
  );
}

/** Every catalog string field that must name something, written as "": an error naming the field. */
function checkNamedValues(file: string, b: Benchmark): void {
  for (const [fieldPath, what] of MUST_NAME_SOMETHING) {
    const value = valueAt(b as PlainMessage, fieldPath);
    if (typeof value !== "string" || value.trim() !== "") continue;
    const dot = fieldPath.lastIndexOf(".");
    const holder = valueAt(b as PlainMessage, fieldPath.slice(0, dot)) as object;
    throw catalogError(
      `${at(file, holder, fieldPath.slice(dot + 1), b)}: benchmark ${quoted(b.name!)}: ${fieldPath} ` +
        `is empty; it must name ${what} (leave the field out for the default)`,
    );
  }
}

function positiveInteger(value: string | undefined): boolean {
  return value !== undefined && /^[1-9][0-9]*$/.test(value.trim());
}

function mutableImageWarning(name: string, role: string, image: string): string | undefined {
  if (image.includes("@sha256:")) return undefined;
  const lastSegment = image.slice(image.lastIndexOf("/") + 1);
  const tag = lastSegment.includes(":") ? lastSegment.slice(lastSegment.indexOf(":") + 1) : "";
  if (tag && tag !== "latest" && tag !== "main" && tag !== "master") return undefined;
  return (
    `benchmark "${name}": ${role} image "${image}" is mutable (${tag ? `tag :${tag}` : "no tag"}); ` +
    `pin a version or digest so the run can be reproduced`
  );
}

/** `lora_adapters`: names unique and other than the model; vLLM loads each from a path, with LoRA enabled. */
function checkLoraAdapters(
  server: ModelServer,
  fail: (message: object, field: string | undefined, detail: string) => never,
): void {
  const engine = server.vllm ?? server.sim!;
  const where = `config.model_server.${server.vllm ? "vllm" : "sim"}.lora_adapters`;
  const names = new Set([engine.model]);
  for (const adapter of loraAdapters(engine.lora_adapters)) {
    if (!adapter.name || names.has(adapter.name)) {
      fail(
        engine,
        "lora_adapters",
        `${where}: adapter ${quoted(adapter.name, 30)} is ${adapter.name ? "named twice or as the model" : "unnamed"}; ` +
          `write name=path entries`,
      );
    }
    names.add(adapter.name);
    if (server.vllm && !adapter.path)
      fail(
        engine,
        "lora_adapters",
        `${where}: adapter ${quoted(adapter.name, 30)} has no path; write name=path (a hub repository or a folder)`,
      );
  }
  if (server.vllm && names.size > 1 && !server.vllm.max_loras)
    fail(engine, "lora_adapters", `${where} needs max_loras (vLLM serves adapters only with --enable-lora)`);
}

/** Applies defaults and validates one merged benchmark; returns it resolved. */
function finish(file: string, merged: Benchmark): ResolvedBenchmark {
  const name = merged.name!;
  const b = merged;
  const fail = (message: object, field: string | undefined, detail: string): never => {
    throw catalogError(`${at(file, message, field, b)}: benchmark ${quoted(name, 30)}: ${detail}`);
  };
  const warnings: string[] = [];
  checkNamedValues(file, b);

  if (!DNS_LABEL.test(name) || name.length > MAX_NAME_LENGTH) {
    fail(
      b,
      "name",
      `name must be a DNS-1123 label (a-z, 0-9, "-") of at most ${MAX_NAME_LENGTH} characters: ` +
        `the namespace is {name}-{run id}`,
    );
  }

  b.config ??= {};
  const config: BenchmarkConfig = b.config;
  const server = config.model_server;
  if (!server) return fail(config, undefined, "config.model_server is missing");
  const modelServer: ModelServerKind | undefined = server.vllm ? "vllm" : server.sim ? "sim" : undefined;
  if (!modelServer) return fail(server, undefined, "config.model_server needs a type: vllm { ... } or sim { ... }");
  server.replicas ??= DEFAULTS.replicas;
  if (server.replicas < 1)
    fail(server, "replicas", `config.model_server.replicas must be at least 1 (got ${server.replicas})`);
  server.image ??= modelServer === "vllm" ? DEFAULT_IMAGES.vllm : DEFAULT_IMAGES.sim;

  let gpusPerReplica = 0;
  let servedModel: string;
  if (server.vllm) {
    const vllm = server.vllm;
    vllm.tensor_parallelism ??= DEFAULTS.tensorParallelism;
    // VLLM_USE_V1 must say what runs: releases from VLLM_V0_REMOVED have no V0 engine.
    const release = vllmRelease(server.image);
    const v1Only =
      release === "newest" ||
      (release !== undefined &&
        (release[0] > VLLM_V0_REMOVED[0] || (release[0] === VLLM_V0_REMOVED[0] && release[1] >= VLLM_V0_REMOVED[1])));
    if (v1Only && vllm.v1 === "0") {
      fail(
        vllm,
        "v1",
        `config.model_server.vllm.v1 is "0", but image "${server.image}" is vLLM ` +
          `v${VLLM_V0_REMOVED.join(".")}+ (or :latest), which has no V0 engine; set v1: "1" or use ` +
          `an older image`,
      );
    }
    if (v1Only) vllm.v1 ??= "1";
    else if (release === undefined && (vllm.v1 ?? DEFAULTS.vllmV1) === "0") {
      warnings.push(
        `benchmark "${name}": VLLM_USE_V1=0 with image "${server.image}", whose vLLM release the ` +
          `tag does not show: from v${VLLM_V0_REMOVED.join(".")} vLLM has no V0 engine and runs V1 ` +
          `regardless; pin a release tag so that the recorded engine is the one that ran`,
      );
    }
    vllm.v1 ??= DEFAULTS.vllmV1;
    if (!positiveInteger(vllm.tensor_parallelism)) {
      fail(
        vllm,
        "tensor_parallelism",
        `config.model_server.vllm.tensor_parallelism must be a positive integer (got ${quoted(vllm.tensor_parallelism!)})`,
      );
    }
    if (vllm.v1 !== "0" && vllm.v1 !== "1")
      fail(vllm, "v1", `config.model_server.vllm.v1 must be "0" or "1" (got ${quoted(vllm.v1)})`);
    for (const field of ["max_loras", "lora_rank"] as const) {
      if (vllm[field] !== undefined && vllm[field] !== "" && !positiveInteger(vllm[field])) {
        fail(vllm, field, `config.model_server.vllm.${field} must be a positive integer (got ${quoted(vllm[field]!)})`);
      }
    }
    if (!vllm.model) return fail(vllm, undefined, "config.model_server.vllm.model is missing");
    if (!server.accelerator)
      fail(
        server,
        undefined,
        "config.model_server.accelerator is missing (the GKE accelerator label, e.g. nvidia-h100-80gb)",
      );
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
  checkLoraAdapters(server, fail);

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
    let epp: EPP | undefined;
    if (gateway.envoy) {
      gateway.gateway_class_name ??= DEFAULTS.gatewayClass.envoy;
      if (gateway.envoy.epp) {
        loadBalancer = "gateway.envoy.epp";
        epp = gateway.envoy.epp;
      } else if (gateway.envoy.lb_policy !== undefined) {
        loadBalancer = "gateway.envoy.lb_policy";
        if (!(ENVOY_LB_POLICIES as readonly string[]).includes(gateway.envoy.lb_policy)) {
          fail(
            gateway.envoy,
            "lb_policy",
            `lb_policy ${quoted(gateway.envoy.lb_policy)} is not an Envoy Gateway load balancer ` +
              `type (${ENVOY_LB_POLICIES.join(", ")})`,
          );
        }
      } else {
        return fail(gateway.envoy, undefined, "config.load_balancer.gateway.envoy needs epp { ... } or lb_policy");
      }
    } else if (gateway.gke_gateway) {
      loadBalancer = "gateway.gke_gateway.epp";
      gateway.gateway_class_name ??= DEFAULTS.gatewayClass.gke;
      if (inferenceFlavor === "v1alpha2") {
        fail(
          gateway,
          "inference_api",
          "GKE Gateway routes to inference.networking.k8s.io/v1 InferencePools only; remove inference_api: V1ALPHA2",
        );
      }
      epp = gateway.gke_gateway.epp ??= {};
    } else {
      return fail(gateway, undefined, "config.load_balancer.gateway needs envoy { ... } or gke_gateway { ... }");
    }
    if (loadBalancer !== "gateway.envoy.epp" && streamingWritten) {
      warnings.push(
        `benchmark "${name}": full_duplex_streaming_enabled has no effect on ${loadBalancer} ` +
          `(only Envoy's ext_proc to the endpoint picker has a body mode)`,
      );
    }
    if (epp) {
      epp.image ??= inferenceFlavor === "v1" ? DEFAULT_IMAGES.eppV1 : DEFAULT_IMAGES.eppV1alpha2;
      epp.refresh_metrics_interval ??= DEFAULTS.refreshMetricsInterval;
      if (!/^[0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h)$/.test(epp.refresh_metrics_interval)) {
        fail(
          epp,
          "refresh_metrics_interval",
          `refresh_metrics_interval must be a duration such as 50ms (got ${quoted(epp.refresh_metrics_interval)})`,
        );
      }
      const warning = mutableImageWarning(name, "endpoint picker", epp.image);
      if (warning) warnings.push(warning);
      if (EPP_STAGING_MAIN.test(epp.image)) {
        warnings.push(
          `benchmark "${name}": endpoint picker image "${epp.image}" is GIE's unmaintained ` +
            `staging build of main (the picker left GIE after v1.5.0); use ${DEFAULT_IMAGES.eppV1}`,
        );
      }
      // A known release that cannot parse the flavour's flags or read its pools exits or idles
      // until the readiness deadline (lib/catalog/pickers.ts); other builds get a warning.
      const known = pickerRelease(epp.image);
      const problem = pickerFlavourProblem(epp.image, inferenceFlavor);
      if (problem) fail(epp, "image", problem);
      const release = /:v(\d+)\.(\d+)/.exec(epp.image);
      if (
        loadBalancer === "gateway.envoy.epp" &&
        !gateway.full_duplex_streaming_enabled &&
        (inferenceFlavor === "v1" || known?.streamingOnly)
      ) {
        // Buffered: Envoy sends the body only after the picker answers the headers, and v0.4.0+
        // pickers answer the headers only after the whole body (GIE v1.5.0 pkg/epp/handlers/server.go).
        const streamingOnly = known
          ? known.streamingOnly
          : release &&
            (Number(release[1]) > EPP_STREAMING_ONLY[0] ||
              (Number(release[1]) === EPP_STREAMING_ONLY[0] && Number(release[2]) >= EPP_STREAMING_ONLY[1]));
        const why =
          `full_duplex_streaming_enabled: false makes Envoy AI Gateway buffer bodies for the ` +
          `picker, and pickers from v${EPP_STREAMING_ONLY.join(".")} implement only full-duplex ` +
          `streaming, so every request would stall until the 300 s ext_proc timeout`;
        if (streamingOnly)
          fail(
            gateway,
            "full_duplex_streaming_enabled",
            `buffered bodies (full_duplex_streaming_enabled: false) stall every request: pickers ` +
              `from v${EPP_STREAMING_ONLY.join(".")} (this is ${release ? `v${release[1]}.${release[2]}` : known!.tag}) ` +
              `stream only; set it ` +
              `true${inferenceFlavor === "v1" ? ", or use inference_api: V1ALPHA2" : ""}`,
          );
        warnings.push(
          `benchmark "${name}": deployed buffered as written, but ${why} if "${epp.image}" is ` +
            `such a picker; the readiness check then stops the run before any load`,
        );
      }
      if (!known && release && (inferenceFlavor === "v1") !== Number(release[1]) >= 1) {
        warnings.push(
          `benchmark "${name}": endpoint picker image "${epp.image}" is from a release that ` +
            `serves the ${Number(release[1]) >= 1 ? "v1" : "v1alpha2"} InferencePool API, but the ` +
            `benchmark deploys ${inferenceFlavor}; set config.load_balancer.gateway.inference_api ` +
            `or change the image`,
        );
      }
    }
  } else {
    return fail(lb, undefined, "config.load_balancer needs a type: k8s_service {} or gateway { ... }");
  }

  const tool = config.benchmark_tool;
  if (!tool) return fail(config, undefined, "config.benchmark_tool is missing");
  const { loadGenerator, requestRates, expectedSeconds } = resolveBenchmarkTool(tool, {
    servedModel,
    servedModels: servedModels(server),
    accelerator: modelServer === "vllm" ? server.accelerator : undefined,
    replicas: server.replicas,
    gpusPerReplica,
    fail,
  });

  for (const [role, image] of [
    ["model server", server.image],
    ["load generator", tool.image!],
  ] as const) {
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
export function resolveCatalogText(text: string | Uint8Array, file: string): ResolvedBenchmark[] {
  const catalog = parseCatalog(file, text);
  return catalog.entries.map((raw) => finish(file, inherit(catalog, raw.name!, new Map())));
}

function compileRegex(pattern: string): RegExp {
  try {
    const regex = new RegExp(pattern);
    regex.test(""); // V8 compiles lazily: a pattern too large to compile fails here.
    return regex;
  } catch (error) {
    throw catalogError(
      `benchmark name regex ${quoted(pattern)} is invalid: ${(error as Error).message.replace(pattern, "…")}`,
    );
  }
}

/**
 * Loads the catalogs at `paths` and resolves their benchmarks in file order: all of them, or
 * those whose name matches `regex` (unanchored). Only the selected benchmarks and their bases
 * are resolved and validated; every file must still parse.
 */
export function loadCatalogs(paths: string[], regex?: string): ResolvedBenchmark[] {
  const pattern = regex ? compileRegex(regex) : undefined;
  const catalogs = catalogFiles(paths).map((file) => {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(file);
    } catch (error) {
      throw catalogError(`${shortPath(file)}: cannot read the catalog (${fsProblem(error)})`);
    }
    return parseCatalog(file, bytes);
  });
  const definedIn = new Map<string, string>();
  for (const catalog of catalogs)
    for (const name of catalog.byName.keys()) if (!definedIn.has(name)) definedIn.set(name, catalog.file);
  const selected = catalogs.flatMap((catalog) =>
    catalog.entries.filter((raw) => !pattern || pattern.test(raw.name!)).map((raw) => ({ catalog, raw })),
  );
  if (pattern && selected.length === 0) {
    throw catalogError(
      `benchmark name regex ${quoted(regex!)} matches none of: ${listed([...definedIn.keys()].map((name) => quoted(name, 30).slice(1, -1)))}`,
    );
  }
  const seen = new Map<string, { file: string; raw: Benchmark }>();
  for (const { catalog, raw } of selected) {
    const earlier = seen.get(raw.name!);
    if (earlier) {
      throw catalogError(
        `${at(catalog.file, raw, "name")}: benchmark ${quoted(raw.name!)} is also defined at ${at(earlier.file, earlier.raw, "name")}; ` +
          `names must be unique across a run's catalogs (namespace {name}-{run_id})`,
      );
    }
    seen.set(raw.name!, { file: catalog.file, raw });
  }
  return selected.map(({ catalog, raw }) => finish(catalog.file, inherit(catalog, raw.name!, definedIn)));
}
