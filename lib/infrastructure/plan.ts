// What the cluster project installs and what it reuses. A cluster may already have some of the
// shared infrastructure: GKE 1.34.0-gke.1626000+ installs the InferencePool v1 CRD itself,
// another stack or a human may have installed Envoy Gateway (its chart hard-codes the
// Deployment's name, so a second release would conflict). Objects this stack installed carry its
// label (CRDs, GatewayClass) or its Helm release name (charts); anything else is reused, never
// overwritten, and checked for what the benchmarks need.
import { AppsV1Api, type KubeConfig } from "@kubernetes/client-node";
import { ClusterError } from "../errors";
import {
  AI_GATEWAY_CHART,
  CHART_OBJECTS,
  ENVOY_GATEWAY_CHART,
  ENVOY_GATEWAY_CONTROLLER,
  HELM_RELEASE_ANNOTATION,
} from "../manifests/charts";
import { CLUSTER_STACK_LABEL } from "../manifests/cluster-scoped";
import {
  acceptsPatchPolicies,
  type EnvoyGatewayConfig,
  envoyGatewayConfig,
  readGatewayClass,
  readOptional,
  routesInferencePools,
  servedVersions,
} from "./check";
import { INFERENCE_CRDS, type PinnedCrd } from "./pinned";

export type Owner = "absent" | "ours" | "theirs";

/** What the cluster already has, as read through the Kubernetes API. */
export interface ExistingInfrastructure {
  crds: Record<string, { owner: Owner; versions: string[] }>;
  envoyGateway: { owner: Owner; image?: string; config?: EnvoyGatewayConfig };
  aiGateway: { owner: Owner };
  gatewayClass: { owner: Owner; controller?: string };
}

export interface InstallOptions {
  /** Install Envoy Gateway, Envoy AI Gateway and the GatewayClass. */
  envoyGateway: boolean;
  gatewayClassName: string;
}

export interface InstallPlan {
  /** CRDs to declare (absent, or installed by this stack). */
  crds: PinnedCrd[];
  installEnvoyGateway: boolean;
  installAiGateway: boolean;
  declareGatewayClass: boolean;
  /** What is reused, one line each (stack outputs). */
  reused: string[];
  /** What the user should know or do (pulumi warnings). */
  warnings: string[];
}

function ownerOf(exists: boolean, ours: boolean): Owner {
  return !exists ? "absent" : ours ? "ours" : "theirs";
}

/** Reads what exists; `stack` is this cluster stack's name. */
export async function detectInfrastructure(
  kubeConfig: KubeConfig,
  stack: string,
  gatewayClassName: string,
): Promise<ExistingInfrastructure> {
  const crds: ExistingInfrastructure["crds"] = {};
  for (const crd of INFERENCE_CRDS) {
    const found = await servedVersions(kubeConfig, crd.name);
    crds[crd.name] = {
      owner: ownerOf(found !== undefined, found?.labels[CLUSTER_STACK_LABEL] === stack),
      versions: found?.versions ?? [],
    };
  }
  const apps = kubeConfig.makeApiClient(AppsV1Api);
  const deployment = (chart: typeof ENVOY_GATEWAY_CHART, name: string) =>
    readOptional(`Deployment ${chart.namespace}/${name}`, () =>
      apps.readNamespacedDeployment({ name, namespace: chart.namespace }),
    );
  const eg = await deployment(ENVOY_GATEWAY_CHART, CHART_OBJECTS.envoyGatewayDeployment);
  const aigw = await deployment(AI_GATEWAY_CHART, CHART_OBJECTS.aiGatewayDeployment);
  const gatewayClass = await readGatewayClass(kubeConfig, gatewayClassName);
  return {
    crds,
    envoyGateway: {
      owner: ownerOf(
        eg !== undefined,
        eg?.metadata?.annotations?.[HELM_RELEASE_ANNOTATION] === ENVOY_GATEWAY_CHART.release,
      ),
      ...(eg
        ? { image: eg.spec?.template?.spec?.containers?.[0]?.image, config: await envoyGatewayConfig(kubeConfig) }
        : {}),
    },
    aiGateway: {
      owner: ownerOf(
        aigw !== undefined,
        aigw?.metadata?.annotations?.[HELM_RELEASE_ANNOTATION] === AI_GATEWAY_CHART.release,
      ),
    },
    gatewayClass: {
      owner: ownerOf(gatewayClass !== undefined, gatewayClass?.metadata?.labels?.[CLUSTER_STACK_LABEL] === stack),
      ...(gatewayClass ? { controller: gatewayClass.spec?.controllerName } : {}),
    },
  };
}

/**
 * Decides what to install from what exists. Throws a ClusterError when something existing cannot serve the
 * benchmarks.
 */
export function planInstall(existing: ExistingInfrastructure, options: InstallOptions): InstallPlan {
  const reused: string[] = [];
  const warnings: string[] = [];
  const crds: PinnedCrd[] = [];
  for (const crd of INFERENCE_CRDS) {
    const found = existing.crds[crd.name] ?? { owner: "absent", versions: [] };
    if (found.owner !== "theirs") {
      crds.push(crd);
      continue;
    }
    const lacking = crd.versions.filter((v) => !found.versions.includes(v));
    if (lacking.length && crd.requiredBy.length) {
      throw new ClusterError(
        `CRD ${crd.name} exists (not installed by this stack) but does not serve ${lacking.join(", ")} ` +
          `(serves ${found.versions.join(", ") || "nothing"}); upgrade it, or delete it so that ` +
          `this stack installs ${crd.source.repo}@${crd.source.tag}`,
      );
    }
    reused.push(`CRD ${crd.name} (serves ${found.versions.join(", ")})`);
  }

  let installEnvoyGateway = false;
  let installAiGateway = false;
  let declareGatewayClass = false;
  if (options.envoyGateway) {
    const eg = existing.envoyGateway;
    installEnvoyGateway = eg.owner !== "theirs";
    if (eg.owner === "theirs") {
      reused.push(
        `Envoy Gateway in ${ENVOY_GATEWAY_CHART.namespace} (${eg.image ?? "unknown image"}), not ` +
          `installed by this stack`,
      );
      const config = eg.config ?? {};
      if (!routesInferencePools(config)) {
        warnings.push(
          `the existing Envoy Gateway has no extension manager listing InferencePool v1 as a ` +
            `backend: gateway.envoy.epp benchmarks (v1) will not route; give its release the values ` +
            `in cluster/values/envoy-ai-gateway/v1.1.0/ and install Envoy AI Gateway`,
        );
      }
      if (!acceptsPatchPolicies(config)) {
        warnings.push(
          "the existing Envoy Gateway does not enable EnvoyPatchPolicy and Backend " +
            "(extensionApis): seed-era (V1ALPHA2) benchmarks will not route",
        );
      }
      if (
        crds.some(
          (c) => c.name === "inferencepools.inference.networking.k8s.io" && existing.crds[c.name]?.owner === "absent",
        )
      ) {
        warnings.push(
          `Envoy Gateway and Envoy AI Gateway watch InferencePools only if the CRD existed when ` +
            `they started: after this update run \`kubectl -n ${ENVOY_GATEWAY_CHART.namespace} ` +
            `rollout restart deployment/${CHART_OBJECTS.envoyGatewayDeployment}\` and the same for ${CHART_OBJECTS.aiGatewayDeployment}`,
        );
      }
    }
    installAiGateway = installEnvoyGateway && existing.aiGateway.owner !== "theirs";
    if (installEnvoyGateway && existing.aiGateway.owner === "theirs") {
      throw new ClusterError(
        `Envoy AI Gateway (${AI_GATEWAY_CHART.namespace}/${CHART_OBJECTS.aiGatewayDeployment}) ` +
          `exists but Envoy Gateway does not: a second AI Gateway release would conflict; uninstall ` +
          `it, or install Envoy Gateway with the values in cluster/values/ yourself`,
      );
    }
    if (existing.aiGateway.owner === "theirs")
      reused.push(`Envoy AI Gateway in ${AI_GATEWAY_CHART.namespace}, not installed by this stack`);
    const gatewayClass = existing.gatewayClass;
    if (gatewayClass.owner === "theirs") {
      if (gatewayClass.controller !== ENVOY_GATEWAY_CONTROLLER) {
        throw new ClusterError(
          `GatewayClass ${options.gatewayClassName} exists for controller ${gatewayClass.controller}, ` +
            `not Envoy Gateway's; choose another gatewayClassName`,
        );
      }
      reused.push(`GatewayClass ${options.gatewayClassName}, not installed by this stack`);
    } else {
      declareGatewayClass = true;
    }
  }
  return { crds, installEnvoyGateway, installAiGateway, declareGatewayClass, reused, warnings };
}
