// The load balancer in front of the model server, one builder per flavour:
//   k8s_service              a Service
//   gateway.envoy.epp        Envoy Gateway + InferencePool + endpoint picker: v1 through Envoy AI
//                            Gateway's extension server, or the seed's v1alpha2 wired by hand
//   gateway.envoy.lb_policy  Envoy Gateway balancing a Service with a BackendTrafficPolicy
//   gateway.gke_gateway.epp  GKE Gateway + InferencePool + endpoint picker (v1)
// Shared objects (GatewayClass, CRDs, Envoy Gateway itself) are the cluster project's.
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import type { IRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import type { IService } from "kubernetes-models/v1/Service";
import type { IServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import type { EPP } from "../../proto/benchmark-types";
import { pickerRelease } from "../catalog/pickers";
import { stagesAreConcurrency, toolModels, toolPort, typicalOutputTokens } from "../catalog/tool";
import {
  type BuildContext,
  type K8sObject,
  LEAST_PRIVILEGE,
  MODEL_SERVER_SELECTOR,
  metadata,
  NAMES,
  PORTS,
  roleBinding,
} from "./common";

const COMPONENT = "load-balancer";
const GROUP_V1 = "inference.networking.k8s.io";
const GROUP_X = "inference.networking.x-k8s.io";
const GATEWAY_API = "gateway.networking.k8s.io/v1";
const ENVOY_API = "gateway.envoyproxy.io/v1alpha1";
const LONG_TIMEOUT = "24h";
const LONG_TIMEOUT_SECONDS = 24 * 3600;
/**
 * High enough that Envoy never queues or rejects the load generator's requests itself: GIE's
 * numbers for every Envoy path (v0.2 traffic_policy.yaml, the EnvoyExtensionPolicy, the patched
 * cluster; still in v1.5.0 config/charts/standalone/values.yaml). Envoy Gateway's default is 1024
 * (api/v1alpha1/circuitbreaker_types.go).
 */
export const CIRCUIT_BREAKER = {
  maxConnections: 40000,
  maxPendingRequests: 40000,
  maxParallelRequests: 40000,
} as const;
/**
 * AI Gateway's ext_proc cluster to the endpoint picker has Envoy's default circuit breakers (no
 * circuit_breakers in internal/extensionserver/inferencepool.go
 * buildExtProcClusterForInferencePoolEndpointPicker; Envoy's default max_requests is 1024) and no
 * EnvoyPatchPolicy can raise them (Envoy Gateway applies JSON patches before the extension's
 * PostTranslate hook, internal/xds/translator/translator.go). Each request in flight holds one
 * stream to the picker, so each Envoy replica is kept below this many requests in flight.
 */
export const EPP_STREAMS_PER_ENVOY = 800;
/**
 * Seconds per output token assumed for a loaded vLLM server when sizing Envoy (slower means more requests in
 * flight: a safe side).
 */
export const VLLM_SECONDS_PER_OUTPUT_TOKEN = 0.05;
export const MAX_ENVOY_REPLICAS = 16;
/**
 * AI Gateway's InferencePool annotation choosing the ext_proc body mode ("duplex" or "buffered";
 * internal/extensionserver/inferencepool.go).
 */
export const BODY_MODE_ANNOTATION = "aigateway.envoyproxy.io/processing-body-mode";

function lpgPort(ctx: BuildContext): number {
  return toolPort(ctx.benchmark.benchmark);
}

function gatewaySpec(ctx: BuildContext) {
  return ctx.benchmark.benchmark.config!.load_balancer!.gateway!;
}

function isEnvoy(ctx: BuildContext): boolean {
  return ctx.benchmark.loadBalancer.startsWith("gateway.envoy");
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

/**
 * Envoy replicas for a benchmark's highest rate: requests in flight (rate × expected latency,
 * Little's law) over EPP_STREAMS_PER_ENVOY. Every Envoy flavour gets the same count, so that
 * flavours compare on equal proxies.
 */
function envoyReplicas(ctx: BuildContext): number {
  const server = ctx.benchmark.benchmark.config!.model_server!;
  const outputTokens = typicalOutputTokens(ctx.benchmark.benchmark);
  const latencySeconds = server.sim
    ? (server.sim.time_to_first_token_ms! + server.sim.inter_token_latency_ms! * outputTokens) / 1000
    : outputTokens * VLLM_SECONDS_PER_OUTPUT_TOKEN;
  const rates = ctx.benchmark.requestRates;
  // Rate 0 is "as fast as possible": bounded by what the servers hold at once.
  const unbounded = rates.includes(0);
  // Concurrent stages give requests in flight directly.
  const inFlight = unbounded
    ? Infinity
    : stagesAreConcurrency(ctx.benchmark.benchmark)
      ? Math.max(...rates)
      : Math.max(...rates) * latencySeconds;
  return Math.min(MAX_ENVOY_REPLICAS, Math.max(1, Math.ceil(inFlight / EPP_STREAMS_PER_ENVOY)));
}

/**
 * The Gateway's own EnvoyProxy (spec.infrastructure.parametersRef, looked up in the Gateway's
 * namespace): a ClusterIP Envoy Service (Envoy Gateway's default is a LoadBalancer, which gets no
 * address on kind and is public on GKE) and the replicas above. It replaces the GatewayClass's
 * EnvoyProxy entirely (mergeType unset; api/v1alpha1/envoygateway_types.go), so it repeats ClusterIP.
 */
function envoyProxy(ctx: BuildContext): K8sObject {
  return {
    apiVersion: ENVOY_API,
    kind: "EnvoyProxy",
    metadata: metadata(ctx, NAMES.envoyProxy, COMPONENT),
    spec: {
      provider: {
        type: "Kubernetes",
        kubernetes: { envoyService: { type: "ClusterIP" }, envoyDeployment: { replicas: envoyReplicas(ctx) } },
      },
    },
  };
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
      listeners: [
        { name: NAMES.listener, port: lpgPort(ctx), protocol: "HTTP", allowedRoutes: { namespaces: { from: "Same" } } },
      ],
      ...(isEnvoy(ctx)
        ? {
            infrastructure: {
              parametersRef: { group: "gateway.envoyproxy.io", kind: "EnvoyProxy", name: NAMES.envoyProxy },
            },
          }
        : {}),
    },
  };
}

/**
 * The route from the listener to `backendRef`. Envoy's default route timeout is 15 s, so Envoy
 * routes carry a long one (Envoy Gateway sets route.timeout only from HTTPRoute timeouts.request,
 * internal/xds/translator/route.go). GKE rejects rule timeouts (Accepted=False, UnsupportedValue;
 * GIE v1.5.0 config/charts/inferencepool/templates/httproute.yaml omits them for provider gke):
 * its timeout is GCPBackendPolicy timeoutSec.
 */
function httpRoute(ctx: BuildContext, backendRef: Record<string, unknown>): K8sObject {
  return {
    apiVersion: GATEWAY_API,
    kind: "HTTPRoute",
    metadata: metadata(ctx, NAMES.route, COMPONENT),
    spec: {
      parentRefs: [
        { group: "gateway.networking.k8s.io", kind: "Gateway", name: NAMES.gateway, sectionName: NAMES.listener },
      ],
      rules: [
        {
          matches: [{ path: { type: "PathPrefix", value: "/" } }],
          backendRefs: [backendRef],
          ...(isEnvoy(ctx) ? { timeouts: { request: LONG_TIMEOUT, backendRequest: LONG_TIMEOUT } } : {}),
        },
      ],
    },
  };
}

function routeTarget() {
  return [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: NAMES.route }];
}

/**
 * With a GCP project, managed Prometheus scrapes the picker's metrics, which require a token
 * authorised for /metrics: a ServiceAccount token Secret, a PodMonitoring with Bearer
 * authorization, read access to that Secret for the managed collector (GIE v1.5.0
 * config/charts/epplib/templates/_gke.yaml; `gke-gmp-system` on Autopilot, `gmp-system` else: both
 * are bound). The ClusterRoleBinding to the shared /metrics reader is the run program's.
 */
function eppMonitoring(ctx: BuildContext): K8sObject[] {
  const serviceAccount: IServiceAccount = {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: metadata(ctx, NAMES.eppMetricsReader, COMPONENT),
  };
  const token = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      ...metadata(ctx, NAMES.eppMetricsToken, COMPONENT),
      annotations: { "kubernetes.io/service-account.name": NAMES.eppMetricsReader },
    },
    type: "kubernetes.io/service-account-token",
  };
  const role: IRole = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: metadata(ctx, NAMES.eppMetricsTokenReader, COMPONENT),
    rules: [
      {
        apiGroups: [""],
        resources: ["secrets"],
        resourceNames: [NAMES.eppMetricsToken],
        verbs: ["get", "list", "watch"],
      },
    ],
  };
  const binding: IRoleBinding = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: metadata(ctx, NAMES.eppMetricsTokenReader, COMPONENT),
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: NAMES.eppMetricsTokenReader },
    subjects: ["gmp-system", "gke-gmp-system"].map((namespace) => ({
      kind: "ServiceAccount",
      name: "collector",
      namespace,
    })),
  };
  const podMonitoring: K8sObject = {
    apiVersion: "monitoring.googleapis.com/v1",
    kind: "PodMonitoring",
    metadata: metadata(ctx, NAMES.eppPodMonitoring, COMPONENT),
    spec: {
      selector: { matchLabels: { app: NAMES.epp } },
      endpoints: [
        {
          port: "metrics",
          scheme: "http",
          path: "/metrics",
          interval: "10s",
          authorization: { type: "Bearer", credentials: { secret: { name: NAMES.eppMetricsToken, key: "token" } } },
        },
      ],
    },
  };
  return [serviceAccount as K8sObject, token, role as K8sObject, binding as unknown as K8sObject, podMonitoring];
}

/** The endpoint picker: its ServiceAccount, namespaced read access, Deployment and Service. */
function endpointPicker(ctx: BuildContext, epp: EPP): K8sObject[] {
  const v1 = ctx.benchmark.inferenceFlavor === "v1";
  const small = ctx.benchmark.modelServer === "sim";
  const labels = { app: NAMES.epp };
  // TLS stays on (the default of both generations): AI Gateway always dials the v1 picker with
  // TLS (inferencepool.go), and the v1alpha2 EnvoyPatchPolicy adds the TLS transport socket.
  const args = v1
    ? [
        `--pool-name=${NAMES.pool}`,
        `--pool-namespace=${ctx.namespace}`,
        `--pool-group=${GROUP_V1}`,
        `--grpc-port=${PORTS.eppGrpc}`,
        `--grpc-health-port=${PORTS.eppHealth}`,
        `--metrics-port=${PORTS.eppMetrics}`,
        `--refresh-metrics-interval=${epp.refresh_metrics_interval}`,
        // Tracing defaults to on and exports to localhost:4317; GIE's chart turns it off. v1.0.x
        // has no such flag, and Go's flag package exits on one it does not define.
        ...(pickerRelease(epp.image!)?.tracingFlag === false ? [] : ["--tracing=false"]),
        "--zap-encoder=json",
        "--v=3",
      ]
    : [
        "-poolName",
        NAMES.pool,
        "-poolNamespace",
        ctx.namespace,
        "-grpcPort",
        String(PORTS.eppGrpc),
        "-grpcHealthPort",
        String(PORTS.eppHealth),
        "-refreshMetricsInterval",
        epp.refresh_metrics_interval!,
        "-v",
        "3",
      ];
  const env = [
    { name: "NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
    { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
    // The v0.x picker picks its server by this (cmd/epp/main.go); v1.x implements streaming only.
    ...(v1
      ? []
      : [{ name: "USE_STREAMING", value: gatewaySpec(ctx).full_duplex_streaming_enabled ? "true" : "false" }]),
  ];
  const serviceAccount: IServiceAccount = {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: metadata(ctx, NAMES.eppServiceAccount, COMPONENT),
  };
  // Every kind the picker watches: v1.5.0 pods, InferencePools, and InferenceObjectives and
  // InferenceModelRewrites when their CRDs exist (pkg/epp/server/controller_config.go; chart
  // config/charts/inferencepool/templates/rbac.yaml); v0.3.0 pods, pools, models (runserver.go).
  const role: IRole = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: metadata(ctx, NAMES.eppRole, COMPONENT),
    rules: [
      { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
      ...(v1
        ? [
            { apiGroups: [GROUP_V1], resources: ["inferencepools"], verbs: ["get", "list", "watch"] },
            {
              apiGroups: [GROUP_X],
              resources: ["inferenceobjectives", "inferencemodelrewrites"],
              verbs: ["get", "list", "watch"],
            },
          ]
        : [
            { apiGroups: [GROUP_X], resources: ["inferencepools", "inferencemodels"], verbs: ["get", "list", "watch"] },
          ]),
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
          containers: [
            {
              name: "epp",
              image: epp.image!,
              imagePullPolicy: "IfNotPresent",
              args,
              env,
              ports: [
                { name: "grpc", containerPort: PORTS.eppGrpc },
                { name: "grpc-health", containerPort: PORTS.eppHealth },
                { name: "metrics", containerPort: PORTS.eppMetrics },
              ],
              // The original sized the picker for hundreds of QPS; a simulated run needs far less.
              resources: small
                ? { requests: { cpu: "250m", memory: "256Mi" } }
                : { requests: { cpu: "10", memory: "20Gi" }, limits: { cpu: "10", memory: "20Gi" } },
              readinessProbe: healthProbe,
              livenessProbe: { ...healthProbe, failureThreshold: 12 },
              securityContext: { ...LEAST_PRIVILEGE },
            },
          ],
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
  return [
    serviceAccount,
    role,
    roleBinding(ctx, NAMES.eppRole, COMPONENT, NAMES.eppServiceAccount),
    deployment,
    service,
    ...(ctx.gcp ? eppMonitoring(ctx) : []),
  ] as K8sObject[];
}

/**
 * The v1 pool. Through Envoy AI Gateway the ext_proc body mode follows
 * full_duplex_streaming_enabled: "duplex" (FULL_DUPLEX_STREAMED) or "buffered" (BUFFERED), the
 * same for request and response (inferencepool.go buildHTTPFilterForInferencePool).
 */
function inferencePoolV1(ctx: BuildContext): K8sObject {
  const envoy = ctx.benchmark.loadBalancer === "gateway.envoy.epp";
  const bodyMode = gatewaySpec(ctx).full_duplex_streaming_enabled ? "duplex" : "buffered";
  return {
    apiVersion: `${GROUP_V1}/v1`,
    kind: "InferencePool",
    metadata: {
      ...metadata(ctx, NAMES.pool, COMPONENT),
      ...(envoy ? { annotations: { [BODY_MODE_ANNOTATION]: bodyMode } } : {}),
    },
    spec: {
      selector: { matchLabels: { ...MODEL_SERVER_SELECTOR } },
      targetPorts: [{ number: PORTS.modelServer }],
      endpointPickerRef: {
        group: "",
        kind: "Service",
        name: NAMES.eppService,
        port: { number: PORTS.eppGrpc },
        failureMode: "FailClose",
      },
    },
  };
}

const POOL_BACKEND_V1 = { group: GROUP_V1, kind: "InferencePool", name: NAMES.pool };

/**
 * A BackendTrafficPolicy on the route: circuit breakers high enough not to cap the load, on whatever cluster
 * the route's backend becomes.
 */
function routeTrafficPolicy(ctx: BuildContext, name: string, extra: Record<string, unknown> = {}): K8sObject {
  return {
    apiVersion: ENVOY_API,
    kind: "BackendTrafficPolicy",
    metadata: metadata(ctx, name, COMPONENT),
    spec: { targetRefs: routeTarget(), ...extra, circuitBreaker: { ...CIRCUIT_BREAKER } },
  };
}

/**
 * Today's flavour on Envoy: Envoy AI Gateway turns the route's InferencePool backend into an ORIGINAL_DST
 * cluster and the picker's ext_proc.
 */
function envoyV1Gateway(ctx: BuildContext, epp: EPP): K8sObject[] {
  return [
    inferencePoolV1(ctx),
    ...endpointPicker(ctx, epp),
    envoyProxy(ctx),
    gateway(ctx),
    httpRoute(ctx, POOL_BACKEND_V1),
    routeTrafficPolicy(ctx, "high-connection-limits"),
  ];
}

/** A DNS-1123 name for a model (InferenceModel names). */
function modelObjectName(model: string): string {
  const name = model
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63)
    .replace(/-+$/, "");
  return name || "model";
}

/**
 * The ext_proc cluster Envoy Gateway builds for the first extProc of an EnvoyExtensionPolicy
 * (internal/gatewayapi/ext_service.go irIndexedExtServiceDestinationName, v1.8.1).
 */
export function extProcClusterName(namespace: string, policy: string): string {
  return `envoyextensionpolicy/${namespace}/${policy}/extproc/0`.toLowerCase();
}

/**
 * The seed's era (GIE v0.2/v0.3, inference.networking.x-k8s.io/v1alpha2) on plain Envoy Gateway,
 * as GIE shipped it last (commit 8fdd1fad, config/manifests/gateway/{gateway,patch_policy,
 * traffic_policy}.yaml): a dummy Backend, the EnvoyExtensionPolicy to the picker, the
 * BackendTrafficPolicy, and an EnvoyPatchPolicy that adds the ORIGINAL_DST cluster, TLS to the
 * picker (v0.3.0 serves TLS by default), the route to that cluster, and the five full-duplex
 * patches when streaming is on. xDS names as Envoy Gateway v1.8.1 makes them: listener and route
 * configuration `<ns>/<gateway>/<listener>` (XDSNameSchemeV2 off by default), ext_proc filter
 * first in the listener's http_filters.
 */
function v1alpha2Gateway(ctx: BuildContext, epp: EPP): K8sObject[] {
  const models = toolModels(ctx.benchmark.benchmark);
  const listenerName = `${ctx.namespace}/${NAMES.gateway}/${NAMES.listener}`;
  const extProcPolicy = "ext-proc-policy";
  const dummyBackend = "backend-dummy";
  const listenerPatch = (op: string, field: string, value: string) => ({
    type: "type.googleapis.com/envoy.config.listener.v3.Listener",
    name: listenerName,
    operation: {
      op,
      path: `/default_filter_chain/filters/0/typed_config/http_filters/0/typed_config/processing_mode/${field}`,
      value,
    },
  });
  return [
    {
      apiVersion: `${GROUP_X}/v1alpha2`,
      kind: "InferencePool",
      metadata: metadata(ctx, NAMES.pool, COMPONENT),
      spec: {
        selector: { ...MODEL_SERVER_SELECTOR },
        targetPortNumber: PORTS.modelServer,
        extensionRef: {
          group: "",
          kind: "Service",
          name: NAMES.eppService,
          portNumber: PORTS.eppGrpc,
          failureMode: "FailClose",
        },
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
    envoyProxy(ctx),
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
      metadata: metadata(ctx, extProcPolicy, COMPONENT),
      spec: {
        targetRefs: routeTarget(),
        extProc: [
          {
            backendRefs: [{ group: "", kind: "Service", name: NAMES.eppService, port: PORTS.eppGrpc }],
            processingMode: { allowModeOverride: true, request: { body: "Buffered" } },
            messageTimeout: "1000s",
            // "The connection limits are more important and will cause the opaque:
            // ext_proc_gRPC_error_14 error in Envoy GW if not configured correctly" (GIE).
            backendSettings: {
              circuitBreaker: { ...CIRCUIT_BREAKER },
              timeout: { tcp: { connectTimeout: LONG_TIMEOUT } },
            },
          },
        ],
      },
    },
    routeTrafficPolicy(ctx, "high-connection-route-policy", { timeout: { tcp: { connectTimeout: LONG_TIMEOUT } } }),
    {
      apiVersion: ENVOY_API,
      kind: "EnvoyPatchPolicy",
      metadata: metadata(ctx, "custom-response-patch-policy", COMPONENT),
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
                dns_lookup_family: "V4_ONLY",
                circuit_breakers: {
                  thresholds: [{ max_connections: 40000, max_pending_requests: 40000, max_requests: 40000 }],
                },
              },
            },
          },
          {
            type: "type.googleapis.com/envoy.config.cluster.v3.Cluster",
            name: extProcClusterName(ctx.namespace, extProcPolicy),
            operation: {
              op: "add",
              path: "/transport_socket",
              value: {
                name: "envoy.transport_sockets.tls",
                typed_config: {
                  "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
                  common_tls_context: {},
                },
              },
            },
          },
          {
            type: "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
            name: listenerName,
            operation: {
              op: "replace",
              path: "/virtual_hosts/0/routes/0/route/cluster",
              value: "original_destination_cluster",
            },
          },
          ...(gatewaySpec(ctx).full_duplex_streaming_enabled
            ? [
                listenerPatch("add", "request_body_mode", "FULL_DUPLEX_STREAMED"),
                listenerPatch("add", "request_trailer_mode", "SEND"),
                listenerPatch("add", "response_body_mode", "FULL_DUPLEX_STREAMED"),
                listenerPatch("replace", "response_trailer_mode", "SEND"),
                listenerPatch("replace", "response_header_mode", "SEND"),
              ]
            : []),
        ],
      },
    },
  ];
}

/**
 * GKE Gateway in front of the v1 pool, with the policies GIE v1.5.0's chart renders for
 * provider gke (config/charts/inferencepool/templates/gke.yaml), except the backend timeout,
 * which is the same long one as the Envoy routes'.
 */
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
        default: {
          timeoutSec: 2,
          checkIntervalSec: 2,
          config: { type: "HTTP", httpHealthCheck: { requestPath: "/health", port: PORTS.modelServer } },
        },
      },
    },
    {
      apiVersion: "networking.gke.io/v1",
      kind: "GCPBackendPolicy",
      metadata: metadata(ctx, "model-server-backend-policy", COMPONENT),
      spec: { targetRef: poolTarget, default: { timeoutSec: LONG_TIMEOUT_SECONDS, logging: { enabled: true } } },
    },
  ];
}

function lbPolicyGateway(ctx: BuildContext): K8sObject[] {
  const policy = gatewaySpec(ctx).envoy!.lb_policy!;
  return [
    modelServerService(ctx),
    envoyProxy(ctx),
    gateway(ctx),
    httpRoute(ctx, { group: "", kind: "Service", name: NAMES.service, port: lpgPort(ctx) }),
    routeTrafficPolicy(ctx, "load-balancing-policy", {
      loadBalancer:
        policy === "ConsistentHash" ? { type: policy, consistentHash: { type: "SourceIP" } } : { type: policy },
    }),
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
      return ctx.benchmark.inferenceFlavor === "v1alpha2" ? v1alpha2Gateway(ctx, epp) : envoyV1Gateway(ctx, epp);
    }
  }
}
