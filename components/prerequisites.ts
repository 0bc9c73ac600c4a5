// What a cluster needs before a run, which the original asked users to do by hand: the
// inference CRDs, Envoy Gateway (with patch policies and Backend enabled for the seed-era
// flavour), the Envoy GatewayClass, and the endpoint picker's cluster-wide RBAC.
//
// Everything here is shared with other runs on the cluster, so it is retained on delete:
// deleting a CRD would delete every other run's objects of that kind.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { InferenceFlavor } from "../lib/catalog/catalog";
import { envoyGatewayClass, eppClusterRole, eppClusterRoleBinding } from "../lib/manifests/cluster";
import { declareObject } from "./benchmark";

export const PREREQUISITES_TYPE = "inference-bench:index:Prerequisites";

/** Released Gateway API Inference Extension manifests with the CRDs of each flavour. */
export const INFERENCE_CRDS: Record<InferenceFlavor, string> = {
  v1: "https://github.com/kubernetes-sigs/gateway-api-inference-extension/releases/download/v1.0.0/manifests.yaml",
  v1alpha2: "https://github.com/kubernetes-sigs/gateway-api-inference-extension/releases/download/v0.3.0/manifests.yaml",
};
export const ENVOY_GATEWAY_CHART = { chart: "oci://docker.io/envoyproxy/gateway-helm", version: "v1.9.0", namespace: "envoy-gateway-system" };

export interface PrerequisitesArgs {
  /** The inference API flavours the run's endpoint-picker benchmarks use; each gets its CRDs. Default: none. */
  flavors?: InferenceFlavor[];
  /** Install Envoy Gateway and its GatewayClass (some benchmark uses an envoy gateway). Default: false. */
  envoyGateway?: boolean;
  /** Enable EnvoyPatchPolicy and Backend in Envoy Gateway (the seed-era flavour needs them). Default: false. */
  envoyPatchPolicies?: boolean;
  /** Namespaces whose endpoint picker gets the cluster-wide RBAC. Default: none. */
  eppNamespaces?: string[];
}

export class Prerequisites extends pulumi.ComponentResource {
  /** What benchmarks must wait for before declaring gateways and pools. */
  readonly ready: pulumi.Resource[];

  constructor(name: string, args: PrerequisitesArgs, opts?: pulumi.ComponentResourceOptions) {
    super(PREREQUISITES_TYPE, name, {}, opts);
    const retained = { parent: this, retainOnDelete: true };
    const ready: pulumi.Resource[] = [];
    for (const flavor of [...new Set(args.flavors ?? [])].sort()) {
      ready.push(new k8s.yaml.v2.ConfigFile(`${name}-inference-crds-${flavor}`, { file: INFERENCE_CRDS[flavor] }, retained));
    }
    if (args.envoyGateway) {
      const release = new k8s.helm.v3.Release(`${name}-envoy-gateway`, {
        chart: ENVOY_GATEWAY_CHART.chart,
        version: ENVOY_GATEWAY_CHART.version,
        namespace: ENVOY_GATEWAY_CHART.namespace,
        createNamespace: true,
        values: { config: { envoyGateway: { extensionApis: { enableBackend: true, enableEnvoyPatchPolicy: args.envoyPatchPolicies ?? false } } } },
      }, retained);
      const gatewayClass = envoyGatewayClass();
      ready.push(release, declareObject(gatewayClass, `${name}-gatewayclass-${gatewayClass.metadata.name}`, { ...retained, dependsOn: [release] }));
    }
    const namespaces = [...new Set(args.eppNamespaces ?? [])].sort();
    if (namespaces.length) {
      const role = eppClusterRole();
      ready.push(declareObject(role, `${name}-clusterrole-${role.metadata.name}`, retained));
      for (const namespace of namespaces) {
        const binding = eppClusterRoleBinding(namespace);
        // Bindings belong to their benchmark's lifetime: not retained.
        ready.push(declareObject(binding, `${name}-clusterrolebinding-${binding.metadata.name}`, { parent: this }));
      }
    }
    this.ready = ready;
    this.registerOutputs({});
  }
}
