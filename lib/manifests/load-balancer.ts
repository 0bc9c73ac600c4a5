// The load balancer in front of the model server, one builder per flavour:
//   k8s_service              a Service
//   gateway.envoy.epp        Envoy Gateway + InferencePool + endpoint picker (v1, or the seed's v1alpha2)
//   gateway.envoy.lb_policy  Envoy Gateway balancing a Service with a BackendTrafficPolicy
//   gateway.gke_gateway.epp  GKE Gateway + InferencePool + endpoint picker (v1)
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import type { IService } from "kubernetes-models/v1/Service";
import type { IServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import type { EPP } from "../../proto/benchmark-types";
import { toolModels, toolPort } from "../catalog/tool";
import { type BuildContext, type K8sObject, metadata, MODEL_SERVER_SELECTOR, NAMES, PORTS, roleBinding } from "./common";

const COMPONENT = "load-balancer";
const GROUP_V1 = "inference.networking.k8s.io";
const GROUP_X = "inference.networking.x-k8s.io";
const GATEWAY_API = "gateway.networking.k8s.io/v1";
const ENVOY_API = "gateway.envoyproxy.io/v1alpha1";
const LONG_TIMEOUT = "24h";
/** High enough that Envoy never queues or rejects the load generator's requests itself. */
const CIRCUIT_BREAKER = { maxConnections: 40000, maxPendingRequests: 40000, maxParallelRequests: 40000 };

function lpgPort(ctx: BuildContext): number {
  return toolPort(ctx.benchmark.benchmark);
}

function gatewaySpec(ctx: BuildContext) {
  return ctx.benchmark.benchmark.config!.load_balancer!.gateway!;
}

/** A ClusterIP Service: the load generator runs in the cluster, so an external load balancer would only add a hop. */
function modelServerService(ctx: BuildContext): K8sObject {
  const service: IService = {
    apiVersion: "v1",
    kind: "Service",
    metadata: metadata(ctx, NAMES.service, COMPONENT),
    spec: {
      type: "ClusterIP",
      selector: { ...MODEL_SERVER_SELECTOR },
      ports: [{ name: "http", port: lpgPort(ctx), targetPort: PORTS.modelServer, protocol: "TCP" }],
    },
  };
  return service as K8sObject;
}

function gateway(ctx: BuildContext): K8sObject {
  return {
    apiVersion: GATEWAY_API,
    kind: "Gateway",
    metadata: {
      ...metadata(ctx, NAMES.gateway, COMPONENT),
      // Pulumi waits for the gateway to be programmed before starting anything that depends on it.
      annotations: { "pulumi.com/waitFor": "condition=Programmed" },
    },
    spec: {
      gatewayClassName: gatewaySpec(ctx).gateway_class_name,
      listeners: [{ name: NAMES.listener, port: lpgPort(ctx), protocol: "HTTP", allowedRoutes: { namespaces: { from: "Same" } } }],
    },
  };
}

function httpRoute(ctx: BuildContext, backendRef: Record<string, unknown>): K8sObject {
  return {
    apiVersion: GATEWAY_API,
    kind: "HTTPRoute",
    metadata: metadata(ctx, NAMES.route, COMPONENT),
    spec: {
      parentRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: NAMES.gateway, sectionName: NAMES.listener }],
      rules: [{
        matches: [{ path: { type: "PathPrefix", value: "/" } }],
        backendRefs: [backendRef],
        timeouts: { request: LONG_TIMEOUT, backendRequest: LONG_TIMEOUT },
      }],
    },
  };
}

/** The endpoint picker: its ServiceAccount, namespaced read access, Deployment and Service. */
function endpointPicker(ctx: BuildContext, epp: EPP): K8sObject[] {
  const v1 = ctx.benchmark.inferenceFlavor === "v1";
  const streaming = gatewaySpec(ctx).full_duplex_streaming_enabled ? "true" : "false";
  const small = ctx.benchmark.modelServer === "sim";
  const labels = { app: NAMES.epp };
  const args = v1
    ? [
        `--pool-name=${NAMES.pool}`, `--pool-namespace=${ctx.namespace}`, `--pool-group=${GROUP_V1}`,
        `--grpc-port=${PORTS.eppGrpc}`, `--grpc-health-port=${PORTS.eppHealth}`, `--metrics-port=${PORTS.eppMetrics}`,
        `--refresh-metrics-interval=${epp.refresh_metrics_interval}`, "--zap-encoder=json", "--v=3",
      ]
    : [
        "-poolName", NAMES.pool, "-poolNamespace", ctx.namespace,
        "-grpcPort", String(PORTS.eppGrpc), "-grpcHealthPort", String(PORTS.eppHealth),
        "-refreshMetricsInterval", epp.refresh_metrics_interval!, "-v", "3",
      ];
  const serviceAccount: IServiceAccount = { apiVersion: "v1", kind: "ServiceAccount", metadata: metadata(ctx, NAMES.eppServiceAccount, COMPONENT) };
  const role: IRole = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: metadata(ctx, NAMES.eppRole, COMPONENT),
    rules: [
      { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
      v1
        ? { apiGroups: [GROUP_V1], resources: ["inferencepools"], verbs: ["get", "list", "watch"] }
        : { apiGroups: [GROUP_X], resources: ["inferencepools", "inferencemodels"], verbs: ["get", "list", "watch"] },
      ...(v1 ? [{ apiGroups: [GROUP_X], resources: ["inferenceobjectives"], verbs: ["get", "list", "watch"] }] : []),
    ],
  };
  const healthProbe = { grpc: { port: PORTS.eppHealth, service: "inference-extension" }, periodSeconds: 5 };
  const deployment: IDeployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: metadata(ctx, NAMES.epp, COMPONENT, labels),
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels: { ...metadata(ctx, NAMES.epp, COMPONENT).labels, ...labels } },
        spec: {
          serviceAccountName: NAMES.eppServiceAccount,
          terminationGracePeriodSeconds: 130,
          containers: [{
            name: "epp",
            image: epp.image!,
            imagePullPolicy: "IfNotPresent",
            args,
            env: [{ name: "USE_STREAMING", value: streaming }],
            ports: [
              { name: "grpc", containerPort: PORTS.eppGrpc },
              { name: "grpc-health", containerPort: PORTS.eppHealth },
              { name: "metrics", containerPort: PORTS.eppMetrics },
            ],
            // The original sized the picker for hundreds of QPS; a simulated run needs far less.
            resources: small ? { requests: { cpu: "250m", memory: "256Mi" } } : { requests: { cpu: "10", memory: "20Gi" }, limits: { cpu: "10", memory: "20Gi" } },
            readinessProbe: healthProbe,
            livenessProbe: { ...healthProbe, failureThreshold: 12 },
          }],
        },
      },
    },
  };
  const service: IService = {
    apiVersion: "v1",
    kind: "Service",
    metadata: metadata(ctx, NAMES.eppService, COMPONENT),
    spec: {
      selector: labels,
      ports: [
        { name: "grpc", port: PORTS.eppGrpc, targetPort: PORTS.eppGrpc, protocol: "TCP", appProtocol: "http2" },
        { name: "metrics", port: PORTS.eppMetrics, targetPort: PORTS.eppMetrics, protocol: "TCP" },
      ],
    },
  };
  return [serviceAccount, role, roleBinding(ctx, NAMES.eppRole, COMPONENT, NAMES.eppServiceAccount), deployment, service] as K8sObject[];
}

function inferencePoolV1(ctx: BuildContext): K8sObject {
  return {
    apiVersion: `${GROUP_V1}/v1`,
    kind: "InferencePool",
    metadata: metadata(ctx, NAMES.pool, COMPONENT),
    spec: {
      selector: { matchLabels: { ...MODEL_SERVER_SELECTOR } },
      targetPorts: [{ number: PORTS.modelServer }],
      endpointPickerRef: { group: "", kind: "Service", name: NAMES.eppService, port: { number: PORTS.eppGrpc }, failureMode: "FailClose" },
    },
  };
}

const POOL_BACKEND_V1 = { group: GROUP_V1, kind: "InferencePool", name: NAMES.pool };

/** A DNS-1123 name for a model (InferenceModel names). */
export function modelObjectName(model: string): string {
  const name = model.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 63).replace(/-+$/, "");
  return name || "model";
}

/** The seed's era (GIE v0.2–v0.5 API, Envoy Gateway wired by hand with extension and patch policies). */
function v1alpha2Gateway(ctx: BuildContext, epp: EPP): K8sObject[] {
  const models = toolModels(ctx.benchmark.benchmark);
  const listenerName = `${ctx.namespace}/${NAMES.gateway}/${NAMES.listener}`;
  const dummyBackend = "backend-dummy";
  const objects: K8sObject[] = [
    {
      apiVersion: `${GROUP_X}/v1alpha2`,
      kind: "InferencePool",
      metadata: metadata(ctx, NAMES.pool, COMPONENT),
      spec: {
        selector: { ...MODEL_SERVER_SELECTOR },
        targetPortNumber: PORTS.modelServer,
        extensionRef: { group: "", kind: "Service", name: NAMES.eppService, portNumber: PORTS.eppGrpc, failureMode: "FailClose" },
      },
    },
    ...models.map((model) => ({
      apiVersion: `${GROUP_X}/v1alpha2`,
      kind: "InferenceModel",
      metadata: metadata(ctx, modelObjectName(model), COMPONENT),
      spec: {
        modelName: model,
        criticality: "Critical",
        poolRef: { group: GROUP_X, kind: "InferencePool", name: NAMES.pool },
        targetModels: [{ name: model, weight: 100 }],
      },
    })),
    ...endpointPicker(ctx, epp),
    gateway(ctx),
    // The route's real destination is chosen by the picker; the patch below replaces this cluster.
    httpRoute(ctx, { group: "gateway.envoyproxy.io", kind: "Backend", name: dummyBackend }),
    {
      apiVersion: ENVOY_API,
      kind: "Backend",
      metadata: metadata(ctx, dummyBackend, COMPONENT),
      spec: { endpoints: [{ fqdn: { hostname: "backend-dummy.invalid", port: PORTS.modelServer } }] },
    },
    {
      apiVersion: ENVOY_API,
      kind: "EnvoyExtensionPolicy",
      metadata: metadata(ctx, "ext-proc-policy", COMPONENT),
      spec: {
        targetRefs: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: NAMES.route }],
        extProc: [{
          backendRefs: [{ group: "", kind: "Service", name: NAMES.eppService, port: PORTS.eppGrpc }],
          processingMode: { allowModeOverride: true, request: { body: "Buffered" }, response: {} },
          messageTimeout: "1000s",
        }],
      },
    },
    {
      apiVersion: ENVOY_API,
      kind: "BackendTrafficPolicy",
      metadata: metadata(ctx, "high-connection-limits", COMPONENT),
      spec: {
        targetRefs: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: NAMES.route }],
        circuitBreaker: CIRCUIT_BREAKER,
        timeout: { http: { requestTimeout: LONG_TIMEOUT } },
      },
    },
    {
      apiVersion: ENVOY_API,
      kind: "EnvoyPatchPolicy",
      metadata: metadata(ctx, "original-destination-patch", COMPONENT),
      spec: {
        targetRef: { group: "gateway.networking.k8s.io", kind: "Gateway", name: NAMES.gateway },
        type: "JSONPatch",
        jsonPatches: [
          {
            type: "type.googleapis.com/envoy.config.cluster.v3.Cluster",
            name: "original_destination_cluster",
            operation: {
              op: "add",
              path: "",
              value: {
                name: "original_destination_cluster",
                type: "ORIGINAL_DST",
                original_dst_lb_config: { use_http_header: true, http_header_name: "x-gateway-destination-endpoint" },
                connect_timeout: "1000s",
                lb_policy: "CLUSTER_PROVIDED",
                circuit_breakers: { thresholds: [{ max_connections: 40000, max_pending_requests: 40000, max_requests: 40000 }] },
              },
            },
          },
          {
            type: "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
            name: listenerName,
            operation: { op: "replace", path: "/virtual_hosts/0/routes/0/route/cluster", value: "original_destination_cluster" },
          },
          ...(gatewaySpec(ctx).full_duplex_streaming_enabled
            ? [{
                type: "type.googleapis.com/envoy.config.listener.v3.Listener",
                name: listenerName,
                operation: {
                  op: "replace",
                  jsonPath: "..http_filters[?(@.name =~ /envoy.filters.http.ext_proc.*/)].typed_config.processing_mode",
                  path: "",
                  value: {
                    request_header_mode: "SEND", response_header_mode: "SEND",
                    request_body_mode: "FULL_DUPLEX_STREAMED", response_body_mode: "FULL_DUPLEX_STREAMED",
                    request_trailer_mode: "SEND", response_trailer_mode: "SEND",
                  },
                },
              }]
            : []),
        ],
      },
    },
  ];
  return objects;
}

function gkeGateway(ctx: BuildContext, epp: EPP): K8sObject[] {
  const poolTarget = { group: GROUP_V1, kind: "InferencePool", name: NAMES.pool };
  return [
    inferencePoolV1(ctx),
    ...endpointPicker(ctx, epp),
    gateway(ctx),
    httpRoute(ctx, POOL_BACKEND_V1),
    {
      apiVersion: "networking.gke.io/v1",
      kind: "HealthCheckPolicy",
      metadata: metadata(ctx, "model-server-health-check", COMPONENT),
      spec: {
        targetRef: poolTarget,
        default: { config: { type: "HTTP", httpHealthCheck: { requestPath: "/health", port: PORTS.modelServer } } },
      },
    },
    {
      apiVersion: "networking.gke.io/v1",
      kind: "GCPBackendPolicy",
      metadata: metadata(ctx, "model-server-backend-policy", COMPONENT),
      spec: { targetRef: poolTarget, default: { timeoutSec: 600, logging: { enabled: true } } },
    },
  ];
}

function lbPolicyGateway(ctx: BuildContext): K8sObject[] {
  const policy = gatewaySpec(ctx).envoy!.lb_policy!;
  return [
    modelServerService(ctx),
    gateway(ctx),
    httpRoute(ctx, { group: "", kind: "Service", name: NAMES.service, port: lpgPort(ctx) }),
    {
      apiVersion: ENVOY_API,
      kind: "BackendTrafficPolicy",
      metadata: metadata(ctx, "load-balancing-policy", COMPONENT),
      spec: {
        targetRefs: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: NAMES.route }],
        loadBalancer: policy === "ConsistentHash" ? { type: policy, consistentHash: { type: "SourceIP" } } : { type: policy },
        circuitBreaker: CIRCUIT_BREAKER,
        timeout: { http: { requestTimeout: LONG_TIMEOUT } },
      },
    },
  ];
}

export function buildLoadBalancer(ctx: BuildContext): K8sObject[] {
  const lb = ctx.benchmark.benchmark.config!.load_balancer!;
  switch (ctx.benchmark.loadBalancer) {
    case "k8s_service":
      return [modelServerService(ctx)];
    case "gateway.envoy.lb_policy":
      return lbPolicyGateway(ctx);
    case "gateway.gke_gateway.epp":
      return gkeGateway(ctx, lb.gateway!.gke_gateway!.epp!);
    case "gateway.envoy.epp": {
      const epp = lb.gateway!.envoy!.epp!;
      if (ctx.benchmark.inferenceFlavor === "v1alpha2") return v1alpha2Gateway(ctx, epp);
      return [inferencePoolV1(ctx), ...endpointPicker(ctx, epp), gateway(ctx), httpRoute(ctx, POOL_BACKEND_V1)];
    }
  }
}
