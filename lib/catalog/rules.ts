// The catalog's field rules, as tables: what a child inherits from its base, which fields
// depend on the member a oneof (or a selector field) is set to, and which strings must name
// something. Paths are proto field names from the Benchmark message, dot separated. A new
// field or oneof member is one line here.
import type { PlainMessage } from "../../proto/textformat";

/** What a child takes from its base: the deployment it describes, not fields about a past run. */
export const INHERITED: readonly string[] = ["config", "benchmark_case.description"];

/** Never inherited even inside INHERITED: they depend on the deployment the child describes. */
export const NOT_INHERITED: readonly string[] = [
  "config.benchmark_tool.lpg.request_rates",
  "config.benchmark_tool.inference_perf.request_rates",
  "config.benchmark_tool.inference_perf.concurrency_levels",
];

export interface MemberDependency {
  /** The message holding the selector. */
  message: string;
  /** A oneof of that message, or a field (a dot path below it), whose choice the dependents follow. */
  selector: { oneof: string } | { field: string; same: (a: unknown, b: unknown) => boolean };
  /** Fields (relative to `message`) whose value or default depends on that choice. */
  dependents: readonly string[];
}

/** The load generator's model names and tokenizers, which default to the served model. */
const SERVED_MODEL_DEPENDENTS = [
  "benchmark_tool.lpg.models",
  "benchmark_tool.lpg.tokenizer",
  "benchmark_tool.inference_perf.model",
  "benchmark_tool.inference_perf.tokenizer",
];

const sameInferenceApi = (a: unknown, b: unknown) => (a === "V1ALPHA2") === (b === "V1ALPHA2");

/**
 * When a child switches the selector (`vllm` → `sim`, `lpg` → another tool, `envoy` →
 * `gke_gateway`, V1 → V1ALPHA2, another served model), it does not inherit the base's dependents: they take the new
 * choice's defaults unless the child sets them. Oneof members come from the proto, so a new
 * member (such as another load generator) needs no change here.
 */
export const MEMBER_DEPENDENT: readonly MemberDependency[] = [
  { message: "config.model_server", selector: { oneof: "type" }, dependents: ["image", "accelerator"] },
  { message: "config.benchmark_tool", selector: { oneof: "Type" }, dependents: ["image"] },
  { message: "config.load_balancer.gateway", selector: { oneof: "type" }, dependents: ["gateway_class_name"] },
  {
    message: "config.load_balancer.gateway",
    selector: { field: "inference_api", same: sameInferenceApi },
    dependents: ["envoy.epp.image", "gke_gateway.epp.image"],
  },
  // What the load generator requests follows the served model: a base's models would be 404s.
  ...["vllm", "sim"].map((engine) => ({
    message: "config",
    selector: { field: `model_server.${engine}.model`, same: Object.is },
    dependents: SERVED_MODEL_DEPENDENTS,
  })),
];

/** Strings that must name something when written: `""` is an error there, not "the default". */
export const MUST_NAME_SOMETHING: ReadonlyArray<[path: string, what: string]> = [
  ["config.model_server.image", "a container image"],
  ["config.model_server.vllm.model", "a model"],
  ["config.model_server.sim.model", "a model"],
  ["config.load_balancer.gateway.envoy.epp.image", "a container image"],
  ["config.load_balancer.gateway.gke_gateway.epp.image", "a container image"],
  ["config.load_balancer.gateway.gateway_class_name", "a GatewayClass"],
  ["config.benchmark_tool.image", "a container image"],
  ["config.benchmark_tool.lpg.tokenizer", "a tokenizer"],
  ["config.benchmark_tool.lpg.dataset", "a dataset"],
  ["config.benchmark_tool.inference_perf.tokenizer", "a tokenizer"],
  ["config.benchmark_tool.inference_perf.model", "a model"],
  ["config.benchmark_tool.inference_perf.share_gpt.path", "a dataset file or folder"],
];

/** The message or value at a dot path, or undefined. */
export function valueAt(message: PlainMessage | undefined, path: string): unknown {
  let current: unknown = message;
  for (const name of path.split(".")) {
    if (current === undefined || current === null || typeof current !== "object" || !Object.hasOwn(current, name))
      return undefined;
    current = (current as PlainMessage)[name];
  }
  return current;
}

/** The message that holds the last field of `path`, and that field's name. */
function parentOf(message: PlainMessage, path: string): { parent: PlainMessage | undefined; field: string } {
  const dot = path.lastIndexOf(".");
  if (dot < 0) return { parent: message, field: path };
  return { parent: valueAt(message, path.slice(0, dot)) as PlainMessage | undefined, field: path.slice(dot + 1) };
}

/** Deletes the field at `path` if it is there. */
export function deleteAt(message: PlainMessage, path: string): void {
  const { parent, field } = parentOf(message, path);
  if (parent) delete parent[field];
}
