// Cluster-scoped objects a run needs once, shared by its benchmarks: the Envoy GatewayClass and
// the endpoint picker's cluster-wide RBAC. components/prerequisites.ts deploys them.
import type { IClusterRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole";
import type { IClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding";
import { DEFAULTS } from "../catalog/defaults";
import { type K8sObject, LABELS, NAMES, PART_OF } from "./common";

export const EPP_CLUSTER_ROLE = "inference-bench-epp";

const labels = { [LABELS.partOf]: PART_OF, [LABELS.component]: "prerequisites" };

export function envoyGatewayClass(): K8sObject {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "GatewayClass",
    metadata: { name: DEFAULTS.gatewayClass.envoy, labels },
    spec: { controllerName: "gateway.envoyproxy.io/gatewayclass-controller" },
  };
}

/**
 * What the picker needs beyond its namespace: authenticating metrics scrapes, and for the
 * seed-era (v1alpha2) picker, which lists pods and pools cluster-wide, read access everywhere.
 */
export function eppClusterRole(): K8sObject {
  const role: IClusterRole = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: { name: EPP_CLUSTER_ROLE, labels },
    rules: [
      { apiGroups: ["authentication.k8s.io"], resources: ["tokenreviews"], verbs: ["create"] },
      { apiGroups: ["authorization.k8s.io"], resources: ["subjectaccessreviews"], verbs: ["create"] },
      { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
      { apiGroups: ["inference.networking.x-k8s.io"], resources: ["inferencepools", "inferencemodels", "inferenceobjectives"], verbs: ["get", "list", "watch"] },
      { apiGroups: ["inference.networking.k8s.io"], resources: ["inferencepools"], verbs: ["get", "list", "watch"] },
    ],
  };
  return role as K8sObject;
}

export function eppClusterRoleBinding(namespace: string): K8sObject {
  const binding: IClusterRoleBinding = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name: `${EPP_CLUSTER_ROLE}-${namespace}`, labels },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: EPP_CLUSTER_ROLE },
    subjects: [{ kind: "ServiceAccount", name: NAMES.eppServiceAccount, namespace }],
  };
  return binding as unknown as K8sObject;
}
