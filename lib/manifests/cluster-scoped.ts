// Cluster-scoped objects. Shared ones (the Envoy GatewayClass and its EnvoyProxy, the cluster
// roles) belong to the cluster project (cluster/, components/infrastructure.ts), which installs them
// once per cluster; per-run ones (a ClusterRoleBinding per benchmark namespace) belong to the
// run program (components/prerequisites.ts).
import type { IClusterRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole";
import type { IClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding";
import { CHART_OBJECTS, ENVOY_GATEWAY_CHART, ENVOY_GATEWAY_CONTROLLER } from "./charts";
import { type K8sObject, LABELS, NAMES, PART_OF } from "./common";

/**
 * The cluster stack that installed a shared object (so another stack or a human's objects are recognised and
 * reused).
 */
export const CLUSTER_STACK_LABEL = "inference-bench/cluster-stack";

export const SHARED_NAMES = {
  /** The GatewayClass's EnvoyProxy, in Envoy Gateway's namespace. */
  envoyProxy: "inference-bench-envoy-proxy",
  eppClusterRole: "inference-bench-epp",
  eppMetricsReaderClusterRole: "inference-bench-epp-metrics-reader",
  envoyGatewayPoolReader: "inference-bench-envoy-gateway-inferencepool-reader",
} as const;

const RBAC = "rbac.authorization.k8s.io/v1";

/** Labels of a shared object installed by cluster stack `stack`. */
export function sharedLabels(stack: string): Record<string, string> {
  return { [LABELS.partOf]: PART_OF, [LABELS.component]: "cluster", [CLUSTER_STACK_LABEL]: stack };
}

const runLabels = { [LABELS.partOf]: PART_OF, [LABELS.component]: "prerequisites" };

/**
 * The EnvoyProxy of our GatewayClass: a ClusterIP Envoy Service. Envoy Gateway's default is a
 * LoadBalancer (api/v1alpha1/shared_types.go, +kubebuilder:default "LoadBalancer"), which gets no
 * address on kind (the Gateway then never becomes Programmed) and on GKE puts the model behind a
 * public, unauthenticated load balancer. The load generator runs in the cluster.
 */
export function classEnvoyProxy(stack: string): K8sObject {
  return {
    apiVersion: "gateway.envoyproxy.io/v1alpha1",
    kind: "EnvoyProxy",
    metadata: { name: SHARED_NAMES.envoyProxy, namespace: ENVOY_GATEWAY_CHART.namespace, labels: sharedLabels(stack) },
    spec: { provider: { type: "Kubernetes", kubernetes: { envoyService: { type: "ClusterIP" } } } },
  };
}

/**
 * Our GatewayClass, for Envoy Gateway, with the EnvoyProxy above (GatewayClass spec.parametersRef; the
 * namespace is required, else "default").
 */
export function envoyGatewayClass(name: string, stack: string): K8sObject {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "GatewayClass",
    metadata: { name, labels: sharedLabels(stack) },
    spec: {
      controllerName: ENVOY_GATEWAY_CONTROLLER,
      parametersRef: {
        group: "gateway.envoyproxy.io",
        kind: "EnvoyProxy",
        name: SHARED_NAMES.envoyProxy,
        namespace: ENVOY_GATEWAY_CHART.namespace,
      },
    },
  };
}

/**
 * What every endpoint picker needs beyond its namespaced Role: its metrics endpoint
 * authenticates and authorises each scrape with TokenReview and SubjectAccessReview (GIE v1.5.0
 * config/charts/epplib/templates/_rbac.yaml; v0.3.0 cmd/epp/main.go metricsHandlerWithAuthenticationAndAuthorization).
 * Both pickers cache pods and pools in their own namespace only (v0.3.0 and v1.5.0
 * pkg/epp/server/controller_manager.go), so nothing else is cluster-wide.
 */
export function eppClusterRole(stack: string): K8sObject {
  const role: IClusterRole = {
    apiVersion: RBAC,
    kind: "ClusterRole",
    metadata: { name: SHARED_NAMES.eppClusterRole, labels: sharedLabels(stack) },
    rules: [
      { apiGroups: ["authentication.k8s.io"], resources: ["tokenreviews"], verbs: ["create"] },
      { apiGroups: ["authorization.k8s.io"], resources: ["subjectaccessreviews"], verbs: ["create"] },
    ],
  };
  return role as K8sObject;
}

/**
 * Read access to the picker's /metrics, for the token the managed collector scrapes with (GIE v1.5.0
 * epplib/templates/_gke.yaml).
 */
export function eppMetricsReaderClusterRole(stack: string): K8sObject {
  const role: IClusterRole = {
    apiVersion: RBAC,
    kind: "ClusterRole",
    metadata: { name: SHARED_NAMES.eppMetricsReaderClusterRole, labels: sharedLabels(stack) },
    rules: [{ nonResourceURLs: ["/metrics"], verbs: ["get"] }],
  };
  return role as K8sObject;
}

/**
 * Envoy Gateway reading InferencePools. Envoy Gateway v1.8.1+ is Ready only once every informer,
 * those of extensionManager.backendResources included, has listed once, and its chart grants no
 * access to InferencePools: without this it never becomes Ready (Envoy AI Gateway v1.1.0
 * tests/internal/e2elib/e2elib.go initEnvoyGateway). AI Gateway's chart grants the same later
 * (templates/envoy_gateway_cluster_role_for_inference_pool.yaml), too late for the first install.
 */
export function envoyGatewayPoolReader(stack: string): K8sObject[] {
  const role: IClusterRole = {
    apiVersion: RBAC,
    kind: "ClusterRole",
    metadata: { name: SHARED_NAMES.envoyGatewayPoolReader, labels: sharedLabels(stack) },
    rules: [
      { apiGroups: ["inference.networking.k8s.io"], resources: ["inferencepools"], verbs: ["get", "list", "watch"] },
    ],
  };
  const binding: IClusterRoleBinding = {
    apiVersion: RBAC,
    kind: "ClusterRoleBinding",
    metadata: { name: SHARED_NAMES.envoyGatewayPoolReader, labels: sharedLabels(stack) },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: SHARED_NAMES.envoyGatewayPoolReader },
    subjects: [
      {
        kind: "ServiceAccount",
        name: CHART_OBJECTS.envoyGatewayServiceAccount,
        namespace: ENVOY_GATEWAY_CHART.namespace,
      },
    ],
  };
  return [role as K8sObject, binding as unknown as K8sObject];
}

function clusterRoleBinding(role: string, serviceAccount: string, namespace: string): K8sObject {
  const binding: IClusterRoleBinding = {
    apiVersion: RBAC,
    kind: "ClusterRoleBinding",
    metadata: { name: `${role}-${namespace}`, labels: runLabels },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role },
    subjects: [{ kind: "ServiceAccount", name: serviceAccount, namespace }],
  };
  return binding as unknown as K8sObject;
}

/** Per benchmark namespace: binds its endpoint picker to the shared ClusterRole. */
export function eppClusterRoleBinding(namespace: string): K8sObject {
  return clusterRoleBinding(SHARED_NAMES.eppClusterRole, NAMES.eppServiceAccount, namespace);
}

/** Per benchmark namespace (with managed Prometheus): lets the metrics-reader token read the picker's /metrics. */
export function eppMetricsReaderBinding(namespace: string): K8sObject {
  return clusterRoleBinding(SHARED_NAMES.eppMetricsReaderClusterRole, NAMES.eppMetricsReader, namespace);
}
