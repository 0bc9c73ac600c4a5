// What shared cluster infrastructure a run's benchmarks need, and whether a cluster has it,
// read through the Kubernetes API. The run program checks this before it declares anything (in
// preview too), and the cluster project uses the same reads to detect what it can reuse.
import {
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  RbacAuthorizationV1Api,
} from "@kubernetes/client-node";
import YAML from "yaml";
import type { ResolvedBenchmark } from "../catalog/catalog";
import { ClusterError } from "../errors";
import { CHART_OBJECTS, ENVOY_GATEWAY_CHART, ENVOY_GATEWAY_CONTROLLER } from "../manifests/charts";
import { SHARED_NAMES } from "../manifests/cluster-scoped";
import { NAMES } from "../manifests/common";
import { INFERENCE_CRDS } from "./pinned";

/** How a user installs what is missing. */
const INSTALL_HINT =
  "install it with `pulumi up` in cluster/ (the inference-bench-cluster project; see " +
  "docs/running.md, Shared cluster infrastructure)";

export interface InfrastructureNeeds {
  /** CRDs by name, with the versions that must be served. */
  crds: Array<{ name: string; versions: string[] }>;
  /** GatewayClasses by name; `controller` when it must be Envoy Gateway's. */
  gatewayClasses: Array<{ name: string; controller?: string }>;
  /** Envoy Gateway with an extension manager that lists InferencePool v1 as a backend (Envoy AI Gateway). */
  envoyInferencePool: boolean;
  /** Envoy Gateway with EnvoyPatchPolicy and Backend enabled (the seed-era flavour). */
  envoyPatchPolicy: boolean;
  clusterRoles: string[];
}

/** Google managed Prometheus's PodMonitoring: a run with a GCP project creates one per benchmark (and per picker). */
export const POD_MONITORING_CRD = { name: "podmonitorings.monitoring.googleapis.com", versions: ["v1"] };

/** What the given benchmarks need; `gcp`: the run has a GCP project (managed Prometheus scrapes the pickers). */
export function infrastructureNeeds(benchmarks: ResolvedBenchmark[], options: { gcp: boolean }): InfrastructureNeeds {
  const crds = new Map<string, Set<string>>();
  const classes = new Map<string, string | undefined>();
  let envoyInferencePool = false;
  let envoyPatchPolicy = false;
  let picker = false;
  for (const b of benchmarks) {
    if (b.loadBalancer === "k8s_service") continue;
    const gateway = b.benchmark.config!.load_balancer!.gateway!;
    const envoy = b.loadBalancer.startsWith("gateway.envoy");
    classes.set(gateway.gateway_class_name!, envoy ? ENVOY_GATEWAY_CONTROLLER : undefined);
    if (b.loadBalancer === "gateway.envoy.lb_policy") continue;
    picker = true;
    for (const crd of INFERENCE_CRDS.filter((c) => c.requiredBy.includes(b.inferenceFlavor))) {
      const versions = crds.get(crd.name) ?? new Set<string>();
      for (const v of crd.versions) versions.add(v);
      crds.set(crd.name, versions);
    }
    if (b.loadBalancer === "gateway.envoy.epp") {
      if (b.inferenceFlavor === "v1") envoyInferencePool = true;
      else envoyPatchPolicy = true;
    }
  }
  // Without managed collection (a Standard cluster without it) the first PodMonitoring fails
  // mid-`up`, after the model servers started.
  if (options.gcp && benchmarks.length > 0) crds.set(POD_MONITORING_CRD.name, new Set(POD_MONITORING_CRD.versions));
  return {
    crds: [...crds]
      .map(([name, versions]) => ({ name, versions: [...versions].sort() }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    gatewayClasses: [...classes]
      .map(([name, controller]) => ({ name, ...(controller ? { controller } : {}) }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    envoyInferencePool,
    envoyPatchPolicy,
    clusterRoles: picker
      ? [SHARED_NAMES.eppClusterRole, ...(options.gcp ? [SHARED_NAMES.eppMetricsReaderClusterRole] : [])]
      : [],
  };
}

/**
 * What a run's settings leave unable to work, as warnings. Without `prerequisites`, nothing binds
 * the pickers' metrics reader to the shared /metrics ClusterRole, and a picker authorizes every
 * scrape (GIE v1.5.0 pkg/epp/server/options.go: --metrics-endpoint-auth defaults to true): with a
 * GCP project, managed Prometheus's scrapes of every picker are refused.
 */
export function settingsWarnings(
  settings: { prerequisites: boolean; gcpProject?: string },
  benchmarks: ResolvedBenchmark[],
): string[] {
  const pickers = benchmarks.filter(
    (b) => b.loadBalancer === "gateway.envoy.epp" || b.loadBalancer === "gateway.gke_gateway.epp",
  );
  if (settings.prerequisites || !settings.gcpProject || pickers.length === 0) return [];
  return [
    `prerequisites is false, so no ClusterRoleBinding lets ${pickers.length} benchmark(s)' ` +
      `metrics token read their endpoint picker's /metrics (--metrics-endpoint-auth is on by ` +
      `default): managed Prometheus's scrapes are refused and the picker dashboard stays empty; ` +
      `bind ServiceAccount ${NAMES.eppMetricsReader} of each namespace to ClusterRole ${SHARED_NAMES.eppMetricsReaderClusterRole}, ` +
      `or set prerequisites true`,
  ];
}

/** Whether there is anything to check at all. */
export function needsAnything(needs: InfrastructureNeeds): boolean {
  return (
    needs.crds.length + needs.gatewayClasses.length + needs.clusterRoles.length > 0 ||
    needs.envoyInferencePool ||
    needs.envoyPatchPolicy
  );
}

/**
 * Reads one object; undefined when it does not exist. Any other failure is a ClusterError naming what could
 * not be read.
 */
export async function readOptional<T>(what: string, read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    const code = (error as { code?: number }).code;
    if (code === 404) return undefined;
    throw new ClusterError(
      `cannot read ${what}${code ? ` (HTTP ${code})` : ""}: ${(error as Error).message.split("\n")[0]}`,
    );
  }
}

/** The versions a CRD serves, or undefined when the CRD does not exist. */
export async function servedVersions(
  kubeConfig: KubeConfig,
  name: string,
): Promise<{ versions: string[]; labels: Record<string, string> } | undefined> {
  const crd = await readOptional(`CustomResourceDefinition ${name}`, () =>
    kubeConfig.makeApiClient(ApiextensionsV1Api).readCustomResourceDefinition({ name }),
  );
  if (!crd) return undefined;
  return {
    versions: (crd.spec?.versions ?? []).filter((v) => v.served).map((v) => v.name),
    labels: crd.metadata?.labels ?? {},
  };
}

/** The parts of Envoy Gateway's configuration (its EnvoyGateway object) that the benchmarks need. */
export interface EnvoyGatewayConfig {
  extensionManager?: {
    service?: unknown;
    backendResources?: Array<{ group?: string; kind?: string; version?: string }>;
  };
  extensionApis?: { enableEnvoyPatchPolicy?: boolean; enableBackend?: boolean };
}

/** A GatewayClass as the API server returns it (the part read here). */
interface GatewayClass {
  metadata?: { labels?: Record<string, string> };
  spec?: { controllerName?: string };
}

/**
 * Envoy Gateway's running configuration (the EnvoyGateway object in its ConfigMap), or undefined when it is
 * not installed.
 */
export async function envoyGatewayConfig(kubeConfig: KubeConfig): Promise<EnvoyGatewayConfig | undefined> {
  const namespace = ENVOY_GATEWAY_CHART.namespace;
  const configMap = await readOptional(`ConfigMap ${namespace}/${CHART_OBJECTS.envoyGatewayConfigMap}`, () =>
    kubeConfig
      .makeApiClient(CoreV1Api)
      .readNamespacedConfigMap({ name: CHART_OBJECTS.envoyGatewayConfigMap, namespace }),
  );
  if (!configMap) return undefined;
  const text = configMap.data?.[CHART_OBJECTS.envoyGatewayConfigKey];
  if (!text) return {};
  try {
    return (YAML.parse(text) as EnvoyGatewayConfig | null) ?? {};
  } catch (error) {
    throw new ClusterError(
      `ConfigMap ${namespace}/${CHART_OBJECTS.envoyGatewayConfigMap}: ${CHART_OBJECTS.envoyGatewayConfigKey} ` +
        `is not YAML: ${(error as Error).message.split("\n")[0]}`,
    );
  }
}

/**
 * Whether an Envoy Gateway configuration routes HTTPRoute backendRefs to InferencePool v1 (only through an
 * extension manager that lists it).
 */
export function routesInferencePools(config: EnvoyGatewayConfig): boolean {
  const manager = config.extensionManager;
  return (
    Boolean(manager?.service) &&
    (manager?.backendResources ?? []).some(
      (r) => r?.group === "inference.networking.k8s.io" && r?.kind === "InferencePool" && r?.version === "v1",
    )
  );
}

/** Whether an Envoy Gateway configuration accepts EnvoyPatchPolicy and Backend objects. */
export function acceptsPatchPolicies(config: EnvoyGatewayConfig): boolean {
  return config.extensionApis?.enableEnvoyPatchPolicy === true && config.extensionApis?.enableBackend === true;
}

/** A GatewayClass, or undefined when there is none. */
export async function readGatewayClass(kubeConfig: KubeConfig, name: string): Promise<GatewayClass | undefined> {
  return readOptional<GatewayClass>(`GatewayClass ${name}`, () =>
    kubeConfig
      .makeApiClient(CustomObjectsApi)
      .getClusterCustomObject({ group: "gateway.networking.k8s.io", version: "v1", plural: "gatewayclasses", name }),
  );
}

/** What the cluster lacks of `needs`, one phrase each; empty when everything is there. */
export async function missingInfrastructure(kubeConfig: KubeConfig, needs: InfrastructureNeeds): Promise<string[]> {
  const missing: string[] = [];
  for (const { name, versions } of needs.crds) {
    const crd = await servedVersions(kubeConfig, name);
    if (!crd) missing.push(`CRD ${name}`);
    else
      for (const version of versions.filter((v) => !crd.versions.includes(v)))
        missing.push(`CRD ${name} serving ${version} (serves ${crd.versions.join(", ") || "nothing"})`);
  }
  for (const { name, controller } of needs.gatewayClasses) {
    const gatewayClass = await readGatewayClass(kubeConfig, name);
    if (!gatewayClass) missing.push(`GatewayClass ${name}`);
    else if (controller && gatewayClass.spec?.controllerName !== controller)
      missing.push(`GatewayClass ${name} for ${controller} (it is ${gatewayClass.spec?.controllerName})`);
  }
  if (needs.envoyInferencePool || needs.envoyPatchPolicy) {
    const config = await envoyGatewayConfig(kubeConfig);
    if (!config)
      missing.push(`Envoy Gateway (ConfigMap ${ENVOY_GATEWAY_CHART.namespace}/${CHART_OBJECTS.envoyGatewayConfigMap})`);
    else {
      if (needs.envoyInferencePool && !routesInferencePools(config))
        missing.push("Envoy Gateway's extension manager listing InferencePool v1 as a backend (Envoy AI Gateway)");
      if (needs.envoyPatchPolicy && !acceptsPatchPolicies(config))
        missing.push("Envoy Gateway with extensionApis.enableEnvoyPatchPolicy and enableBackend");
    }
  }
  for (const name of needs.clusterRoles) {
    const role = await readOptional(`ClusterRole ${name}`, () =>
      kubeConfig.makeApiClient(RbacAuthorizationV1Api).readClusterRole({ name }),
    );
    if (!role) missing.push(`ClusterRole ${name}`);
  }
  return missing;
}

/** Throws one line naming everything missing and how to install it. */
export async function requireInfrastructure(kubeConfig: KubeConfig, needs: InfrastructureNeeds): Promise<void> {
  const missing = await missingInfrastructure(kubeConfig, needs);
  if (missing.length)
    throw new ClusterError(`shared cluster infrastructure is missing: ${missing.join("; ")}; ${INSTALL_HINT}`);
}
