// What every part of a benchmark shares: object names, labels, ports, the build context.
import type { IRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import type { ISecurityContext } from "kubernetes-models/v1/SecurityContext";
import type { ResolvedBenchmark } from "../catalog/catalog";

/** A plain Kubernetes object, as written to the snapshot and handed to Pulumi. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

/** The parts of a benchmark, in deployment order; each is one snapshot file. */
export const PARTS = ["namespace", "model-server", "load-balancer", "load-generator"] as const;
export type Part = (typeof PARTS)[number];
export type BenchmarkManifests = Record<Part, K8sObject[]>;

/** Names the original tool used, kept so that dashboards and habits carry over. */
export const NAMES = {
  modelServer: "model-server-deployment",
  modelServerContainer: "inference-server",
  podMonitoring: "model-server-monitoring",
  service: "model-server-service",
  pool: "model-server-pool",
  epp: "epp-deployment",
  eppService: "epp-service",
  eppServiceAccount: "epp",
  eppRole: "epp-reader",
  gateway: "inference-gateway",
  listener: "llm-gw",
  route: "llm-route",
  loadGenerator: "benchmark-tool",
  loadGeneratorScript: "benchmark-tool-script",
  /** Lets the load generator's readiness check read the objects it waits for. */
  readinessRole: "readiness-reader",
  /** Lets the load generator's per-pod sampler find the model-server pods (get/list pods, its namespace only). */
  podMetricsRole: "pod-metrics-reader",
  /** The Gateway's own EnvoyProxy (Envoy flavours): ClusterIP Service, replicas sized for the rates. */
  envoyProxy: "inference-gateway-proxy",
  /** The endpoint picker's metrics, scraped by managed Prometheus with this ServiceAccount's token. */
  eppMetricsReader: "epp-metrics-reader",
  eppMetricsToken: "epp-metrics-reader-token",
  eppMetricsTokenReader: "epp-metrics-reader-token-read",
  eppPodMonitoring: "epp-monitoring",
  hfSecret: "hf-token",
  hfSecretKey: "token",
} as const;

export const PORTS = { modelServer: 8000, eppGrpc: 9002, eppHealth: 9003, eppMetrics: 9090 } as const;

export const LABELS = {
  partOf: "app.kubernetes.io/part-of",
  component: "app.kubernetes.io/component",
  benchmark: "inference-bench/benchmark",
  runId: "inference-bench/run-id",
} as const;
export const PART_OF = "inference-bench";

/** Everything a builder needs besides the benchmark. */
export interface BuildContext {
  benchmark: ResolvedBenchmark;
  runId: string;
  namespace: string;
  /** Set when the run has a GCP project: managed Prometheus scraping and metrics through Workload Identity. */
  gcp?: { project: string };
}

/** The namespace of a benchmark in a run. */
export function namespaceOf(name: string, runId: string): string {
  return `${name}-${runId}`;
}

/** Labels that let one selector pick a whole run, or one benchmark of it. */
export function commonLabels(ctx: BuildContext, component: string): Record<string, string> {
  return {
    [LABELS.partOf]: PART_OF,
    [LABELS.component]: component,
    [LABELS.benchmark]: ctx.benchmark.name,
    [LABELS.runId]: ctx.runId,
  };
}

export function metadata(ctx: BuildContext, name: string, component: string, extraLabels: Record<string, string> = {}) {
  return { name, namespace: ctx.namespace, labels: { ...commonLabels(ctx, component), ...extraLabels } };
}

/** Binds Role `role` to a ServiceAccount of the benchmark's namespace (the binding is named as the role). */
export function roleBinding(ctx: BuildContext, role: string, component: string, serviceAccount: string): K8sObject {
  const binding: IRoleBinding = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: metadata(ctx, role, component),
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role },
    subjects: [{ kind: "ServiceAccount", name: serviceAccount, namespace: ctx.namespace }],
  };
  return binding as unknown as K8sObject;
}

/**
 * Every container we create runs with this: no privilege escalation (setuid binaries, no_new_privs),
 * no Linux capabilities, the runtime's default seccomp filter (the Pod Security Standards'
 * "restricted" container fields; images that run as root keep their uid).
 */
export const LEAST_PRIVILEGE: Readonly<ISecurityContext> = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
};

/** The annotation that ties a service-account token Secret to its ServiceAccount. */
const SERVICE_ACCOUNT_NAME = "kubernetes.io/service-account.name";

/**
 * The objects of `part` that `object` must wait for. A service-account token Secret needs its
 * ServiceAccount first: the token controller deletes a token Secret whose ServiceAccount does not
 * exist (kubernetes/kubernetes pkg/controller/serviceaccount/tokens_controller.go syncSecret:
 * `sa == nil` → deleteToken), and nothing recreates it.
 */
export function prerequisitesOf(object: K8sObject, part: readonly K8sObject[]): K8sObject[] {
  const account = object.kind === "Secret" ? object.metadata.annotations?.[SERVICE_ACCOUNT_NAME] : undefined;
  if (account === undefined) return [];
  return part.filter(
    (o) =>
      o.kind === "ServiceAccount" && o.metadata.name === account && o.metadata.namespace === object.metadata.namespace,
  );
}

/** Selects the model server pods; the Deployment, Service, pools and monitoring all use it. */
export const MODEL_SERVER_SELECTOR = { app: NAMES.modelServer } as const;

/** The address the load generator targets for a k8s_service benchmark. */
export function serviceAddress(namespace: string): string {
  return `${NAMES.service}.${namespace}.svc.cluster.local`;
}
