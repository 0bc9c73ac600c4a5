// The shared cluster infrastructure as a cluster that ran the cluster project has it, for the
// fake API server: the pinned CRDs, both GatewayClasses, Envoy Gateway's ConfigMap (the chart
// renders config.envoyGateway into it, charts/gateway-helm/templates/envoy-gateway-config.yaml),
// AI Gateway's controller and the picker's cluster roles. Built from the project's own builders.

import { DEFAULTS } from "../lib/catalog/defaults";
import { envoyGatewayValues, INFERENCE_CRDS, loadCrd } from "../lib/infrastructure/pinned";
import { AI_GATEWAY_CHART, CHART_OBJECTS, ENVOY_GATEWAY_CHART, HELM_RELEASE_ANNOTATION } from "../lib/manifests/charts";
import {
  envoyGatewayClass,
  eppClusterRole,
  eppMetricsReaderClusterRole,
  sharedLabels,
} from "../lib/manifests/cluster-scoped";
import type { FakeKube } from "./fake-kube";

type Json = Record<string, any>;

export function envoyGatewayConfigMap(config: Json): Json {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: CHART_OBJECTS.envoyGatewayConfigMap, namespace: ENVOY_GATEWAY_CHART.namespace },
    data: {
      [CHART_OBJECTS.envoyGatewayConfigKey]: JSON.stringify({
        apiVersion: "gateway.envoyproxy.io/v1alpha1",
        kind: "EnvoyGateway",
        ...config,
      }),
    },
  };
}

export function helmDeployment(name: string, namespace: string, release: string, image = "example/image:v1"): Json {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace, annotations: { [HELM_RELEASE_ANNOTATION]: release } },
    spec: { replicas: 1, template: { spec: { containers: [{ name: name, image }] } } },
  };
}

/**
 * Google managed Prometheus's PodMonitoring CRD, which GKE installs with managed collection (a run
 * with a GCP project checks for it); its served version as in ../shared/schemas/crds/gmp.
 */
export function podMonitoringCrd(): Json {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "podmonitorings.monitoring.googleapis.com" },
    spec: {
      group: "monitoring.googleapis.com",
      scope: "Namespaced",
      names: { kind: "PodMonitoring", plural: "podmonitorings" },
      versions: [{ name: "v1", served: true, storage: true }],
    },
  };
}

/** Everything a run checks for, as installed by cluster stack `stack` (on GKE with managed collection). */
export function sharedInfrastructure(stack = "kind"): Json[] {
  const crds = INFERENCE_CRDS.map((crd) => {
    const object = loadCrd(crd) as Json;
    object.metadata.labels = { ...object.metadata.labels, ...sharedLabels(stack) };
    return object;
  });
  return [
    ...crds,
    envoyGatewayClass(DEFAULTS.gatewayClass.envoy, stack),
    {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "GatewayClass",
      metadata: { name: DEFAULTS.gatewayClass.gke },
      spec: { controllerName: "networking.gke.io/gateway" },
    },
    envoyGatewayConfigMap((envoyGatewayValues() as Json).config.envoyGateway),
    helmDeployment(
      CHART_OBJECTS.envoyGatewayDeployment,
      ENVOY_GATEWAY_CHART.namespace,
      ENVOY_GATEWAY_CHART.release,
      "docker.io/envoyproxy/gateway:v1.8.1",
    ),
    helmDeployment(CHART_OBJECTS.aiGatewayDeployment, AI_GATEWAY_CHART.namespace, AI_GATEWAY_CHART.release),
    eppClusterRole(stack),
    eppMetricsReaderClusterRole(stack),
    podMonitoringCrd(),
  ];
}

export function installSharedInfrastructure(kube: FakeKube, stack = "kind"): void {
  for (const object of sharedInfrastructure(stack)) kube.setObject(object);
}

/**
 * Runs a fake API server for the mocha suite that calls this, as a cluster the cluster project
 * ran on: started before the suite (its kubeconfig handed to `started`), reset after each test
 * and the shared infrastructure installed again before the next, stopped after the suite.
 */
export function fakeClusterForSuite(kube: FakeKube, started: (kubeconfig: string) => void): void {
  before(async () => started((await kube.start()).exportConfig()));
  after(() => kube.stop());
  beforeEach(() => installSharedInfrastructure(kube));
  afterEach(() => kube.reset());
}
