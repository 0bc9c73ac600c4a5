// What each load balancer flavour deploys, pinned to the upstream source it must satisfy to route
// on a real cluster (each rule names repository, tag, file and function), plus the catalog-side
// rules about what is deployed (body mode, vLLM engine, picker and simulator images).
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { resolveCatalogText } from "../lib/catalog/catalog";
import { DEFAULT_IMAGES } from "../lib/catalog/defaults";
import { CatalogError } from "../lib/errors";
import { dashboardJson } from "../lib/gcp/dashboard";
import { INFERENCE_CRDS } from "../lib/infrastructure/pinned";
import { buildBenchmark, type K8sObject, NAMES } from "../lib/manifests";
import { eppMetricsReaderBinding, SHARED_NAMES } from "../lib/manifests/cluster-scoped";
import {
  BODY_MODE_ANNOTATION,
  CIRCUIT_BREAKER,
  EPP_STREAMS_PER_ENVOY,
  extProcClusterName,
  MAX_ENVOY_REPLICAS,
  VLLM_SECONDS_PER_OUTPUT_TOKEN,
} from "../lib/manifests/load-balancer";
import { ENGINE_TYPE_LABEL } from "../lib/manifests/model-server";
import { PROJECT_ROOT, sharedDir } from "./helpers";
import { ObjectValidator } from "./validators";

const RUN = "gw000001";
const CATALOG = `
benchmarks { name: "svc" config {
  model_server { image: "vllm/vllm-openai:v0.10.2" accelerator: "nvidia-h100-80gb" replicas: 4 vllm { model: "meta-llama/Llama-3.1-8B-Instruct" v1: "1" } }
  load_balancer { k8s_service {} }
  benchmark_tool { image: "lpg:v1" lpg { request_rates: "10,40" output_length: "1024" } } } }
benchmarks { name: "v1" base_benchmark_name: "svc" config { load_balancer { gateway { envoy { epp { image: "registry.k8s.io/gateway-api-inference-extension/epp:v1.5.0" } } } } benchmark_tool { lpg { request_rates: "10,40" } } } }
benchmarks { name: "seed" base_benchmark_name: "svc" config { load_balancer { gateway { inference_api: V1ALPHA2 full_duplex_streaming_enabled: true envoy { epp { image: "registry.k8s.io/gateway-api-inference-extension/epp:v0.3.0" } } } } benchmark_tool { lpg { request_rates: "10,40" } } } }
benchmarks { name: "seed-buffered" base_benchmark_name: "seed" config { load_balancer { gateway { full_duplex_streaming_enabled: false } } benchmark_tool { lpg { request_rates: "10,40" } } } }
benchmarks { name: "rr" base_benchmark_name: "svc" config { load_balancer { gateway { envoy { lb_policy: "RoundRobin" } } } benchmark_tool { lpg { request_rates: "10,40" } } } }
benchmarks { name: "gke" base_benchmark_name: "svc" config { load_balancer { gateway { gke_gateway { epp { image: "registry.k8s.io/gateway-api-inference-extension/epp:v1.5.0" } } } } benchmark_tool { lpg { request_rates: "10,40" } } } }
benchmarks { name: "sim" config { model_server { sim { model: "m" time_to_first_token_ms: 40 inter_token_latency_ms: 5 } replicas: 2 }
  load_balancer { gateway { envoy { epp { image: "registry.k8s.io/gateway-api-inference-extension/epp:v1.5.0" } } } }
  benchmark_tool { image: "lpg:v1" lpg { request_rates: "5,20" output_length: "256" } } } }
`;
const RESOLVED = Object.fromEntries(resolveCatalogText(CATALOG, "gateways.pbtxt").map((b) => [b.name, b]));
const objectsOf = (name: string, gcpProject?: string): K8sObject[] =>
  Object.values(buildBenchmark(RESOLVED[name], { runId: RUN, gcpProject }).manifests).flat();
const one = (objects: K8sObject[], kind: string, name?: string): any => {
  const found = objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  assert.ok(found, `no ${kind} ${name ?? ""}`);
  return found;
};
const ns = (name: string) => `${name}-${RUN}`;

describe("gateways: Envoy + InferencePool v1 through Envoy AI Gateway", () => {
  const objects = objectsOf("v1");

  it(
    "routes the HTTPRoute to the InferencePool (AI Gateway turns it into the picker's ext_proc) " +
      "with a long route timeout",
    () => {
      // envoyproxy/ai-gateway@v1.1.0 examples/inference-pool/httproute.yaml; Envoy's default route timeout is 15 s and
      // Envoy Gateway sets it only from HTTPRoute timeouts.request (envoyproxy/gateway@v1.8.1
      // internal/xds/translator/route.go).
      const rule = one(objects, "HTTPRoute").spec.rules[0];
      assert.deepEqual(rule.backendRefs, [
        { group: "inference.networking.k8s.io", kind: "InferencePool", name: NAMES.pool },
      ]);
      assert.equal(rule.timeouts.request, "24h");
      assert.equal(one(objects, "Gateway").spec.gatewayClassName, "inference-bench-envoy");
    },
  );

  it("keeps the picker's TLS on (AI Gateway always dials it with TLS) and lets it watch every kind it watches", () => {
    // ai-gateway@v1.1.0 internal/extensionserver/inferencepool.go
    // buildExtProcClusterForInferencePoolEndpointPicker: UpstreamTlsContext always; GIE@v1.5.0
    // pkg/epp/server/options.go: SecureServing defaults to true, Tracing to true (the chart passes
    // --tracing=false).
    const args: string[] = one(objects, "Deployment", NAMES.epp).spec.template.spec.containers[0].args;
    assert.ok(!args.some((a) => a.startsWith("--secure-serving")), args.join(" "));
    assert.ok(args.includes("--tracing=false") && args.includes("--pool-group=inference.networking.k8s.io"));
    // GIE@v1.5.0 pkg/epp/server/controller_config.go: InferenceObjective and InferenceModelRewrite are
    // watched when their CRDs exist (they do: cluster/crds).
    const resources = one(objects, "Role", NAMES.eppRole).rules.flatMap((r: any) =>
      r.resources.map((x: string) => `${r.apiGroups[0]}/${x}`),
    );
    assert.deepEqual(resources.sort(), [
      "/pods",
      "inference.networking.k8s.io/inferencepools",
      "inference.networking.x-k8s.io/inferencemodelrewrites",
      "inference.networking.x-k8s.io/inferenceobjectives",
    ]);
    assert.ok(INFERENCE_CRDS.some((c) => c.name === "inferencemodelrewrites.inference.networking.x-k8s.io"));
    assert.ok(
      !one(objects, "Deployment", NAMES.epp).spec.template.spec.containers[0].env.some(
        (e: any) => e.name === "USE_STREAMING",
      ),
      "the v1 picker implements streaming only",
    );
  });

  it(
    "sets AI Gateway's body mode from full_duplex_streaming_enabled: duplex by default, buffered " +
      "when written false",
    () => {
      // ai-gateway@v1.1.0 internal/extensionserver/inferencepool.go getProcessingBodyModeFromAnnotations:
      // "duplex" → FULL_DUPLEX_STREAMED, "buffered" → BUFFERED.
      assert.equal(one(objects, "InferencePool").metadata.annotations[BODY_MODE_ANNOTATION], "duplex");
      const [buffered] = resolveCatalogText(
        CATALOG.replace(
          'envoy { epp { image: "registry.k8s.io/gateway-api-inference-extension/epp:v1.5.0" } } } }',
          'full_duplex_streaming_enabled: false envoy { epp { image: "my-picker:dev" } } } }',
        ),
        "b.pbtxt",
      ).filter((b) => b.name === "v1");
      const pool = Object.values(buildBenchmark(buffered, { runId: RUN }).manifests)
        .flat()
        .find((o) => o.kind === "InferencePool")!;
      assert.equal(pool.metadata.annotations![BODY_MODE_ANNOTATION], "buffered");
    },
  );

  it(
    "gives the Gateway its own EnvoyProxy: a ClusterIP Service, replicas sized so no proxy exceeds " +
      "the picker cluster's default circuit breakers",
    () => {
      // envoyproxy/gateway@v1.8.1 internal/provider/kubernetes/controller.go processGatewayParamsRef (same namespace);
      // api/v1alpha1/shared_types.go: the default Envoy Service is a LoadBalancer.
      const gateway = one(objects, "Gateway");
      assert.deepEqual(gateway.spec.infrastructure.parametersRef, {
        group: "gateway.envoyproxy.io",
        kind: "EnvoyProxy",
        name: NAMES.envoyProxy,
      });
      const proxy = one(objects, "EnvoyProxy", NAMES.envoyProxy);
      assert.equal(proxy.metadata.namespace, gateway.metadata.namespace);
      assert.equal(proxy.spec.provider.kubernetes.envoyService.type, "ClusterIP");
      // 40 QPS × 1024 tokens × 50 ms = 2048 requests in flight → 3 replicas of at most 800.
      const expected = Math.ceil((40 * 1024 * VLLM_SECONDS_PER_OUTPUT_TOKEN) / EPP_STREAMS_PER_ENVOY);
      assert.equal(expected, 3);
      assert.equal(proxy.spec.provider.kubernetes.envoyDeployment.replicas, expected);
      const sim = one(objectsOf("sim"), "EnvoyProxy").spec.provider.kubernetes.envoyDeployment.replicas;
      assert.equal(sim, 1, "20 QPS × (40 ms + 256 × 5 ms) = 26 in flight");
      const unbounded = resolveCatalogText(
        CATALOG.replace('request_rates: "5,20"', 'request_rates: "0"'),
        "u.pbtxt",
      ).find((b) => b.name === "sim")!;
      assert.equal(
        one(Object.values(buildBenchmark(unbounded, { runId: RUN }).manifests).flat(), "EnvoyProxy").spec.provider
          .kubernetes.envoyDeployment.replicas,
        MAX_ENVOY_REPLICAS,
      );
      assert.equal(
        one(objectsOf("rr"), "EnvoyProxy").spec.provider.kubernetes.envoyDeployment.replicas,
        expected,
        "every Envoy flavour gets the same proxies",
      );
    },
  );

  it("raises the circuit breakers on the route's clusters to GIE's 40000", () => {
    // GIE@8fdd1fad config/manifests/gateway/traffic_policy.yaml; still GIE@v1.5.0 config/charts/standalone/values.yaml.
    const policy = one(objects, "BackendTrafficPolicy");
    assert.deepEqual(policy.spec.targetRefs, [
      { group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: NAMES.route },
    ]);
    assert.deepEqual(policy.spec.circuitBreaker, {
      maxConnections: 40000,
      maxPendingRequests: 40000,
      maxParallelRequests: 40000,
    });
  });
});

describe("gateways: the seed-era flavour (GIE v0.2/v0.3 on plain Envoy Gateway)", () => {
  const objects = objectsOf("seed");
  const patches = (o: K8sObject[]) => one(o, "EnvoyPatchPolicy").spec.jsonPatches;

  it(
    "patches the xDS names Envoy Gateway v1.8.1 gives this Gateway's listener, route configuration " +
      "and ext_proc cluster",
    () => {
      // envoyproxy/gateway@v1.8.1: internal/gatewayapi/helpers.go irListenerName "<ns>/<gateway>/<listener>";
      // internal/xds/translator/listener.go xdsListenerName and routeConfigName use it while XDSNameSchemeV2 is
      // off (api/v1alpha1/envoygateway_helpers.go defaultRuntimeFlags); internal/gatewayapi/ext_service.go
      // translateExtServiceBackendRefs names the cluster irIndexedExtServiceDestinationName(policy, kind,
      // "extproc", 0).
      const gateway = one(objects, "Gateway");
      const listener = `${gateway.metadata.namespace}/${gateway.metadata.name}/${gateway.spec.listeners[0].name}`;
      const eep = one(objects, "EnvoyExtensionPolicy");
      const extProcCluster = `envoyextensionpolicy/${eep.metadata.namespace}/${eep.metadata.name}/extproc/0`;
      assert.equal(extProcClusterName(eep.metadata.namespace, eep.metadata.name), extProcCluster);
      const all = patches(objects);
      assert.deepEqual(
        all.map((p: any) => p.name),
        ["original_destination_cluster", extProcCluster, listener, listener, listener, listener, listener, listener],
      );
      assert.deepEqual(eep.spec.targetRefs, [
        { group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: one(objects, "HTTPRoute").metadata.name },
      ]);
    },
  );

  it(
    "keeps the v0.3 picker's TLS (secureServing defaults to true) and gives Envoy the TLS transport " +
      "socket GIE shipped",
    () => {
      // GIE@v0.3.0 pkg/epp/server/runserver.go DefaultSecureServing = true; GIE@8fdd1fad
      // config/manifests/gateway/patch_policy.yaml.
      const args: string[] = one(objects, "Deployment", NAMES.epp).spec.template.spec.containers[0].args;
      assert.ok(!args.some((a) => a.startsWith("-secureServing")), "TLS on; the patch below makes Envoy speak it");
      assert.deepEqual(patches(objects)[1].operation, {
        op: "add",
        path: "/transport_socket",
        value: {
          name: "envoy.transport_sockets.tls",
          typed_config: {
            "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
            common_tls_context: {},
          },
        },
      });
    },
  );

  it(
    "adds the original-destination cluster, the route to it, and the five full-duplex patches " +
      "exactly as GIE 8fdd1fad did",
    () => {
      const [cluster, , route, ...duplex] = patches(objects);
      assert.deepEqual(cluster.operation.value, {
        name: "original_destination_cluster",
        type: "ORIGINAL_DST",
        original_dst_lb_config: { use_http_header: true, http_header_name: "x-gateway-destination-endpoint" },
        connect_timeout: "1000s",
        lb_policy: "CLUSTER_PROVIDED",
        dns_lookup_family: "V4_ONLY",
        circuit_breakers: {
          thresholds: [{ max_connections: 40000, max_pending_requests: 40000, max_requests: 40000 }],
        },
      });
      assert.deepEqual(route.operation, {
        op: "replace",
        path: "/virtual_hosts/0/routes/0/route/cluster",
        value: "original_destination_cluster",
      });
      const prefix = "/default_filter_chain/filters/0/typed_config/http_filters/0/typed_config/processing_mode/";
      assert.deepEqual(
        duplex.map((p: any) => [p.operation.op, p.operation.path.replace(prefix, ""), p.operation.value]),
        [
          ["add", "request_body_mode", "FULL_DUPLEX_STREAMED"],
          ["add", "request_trailer_mode", "SEND"],
          ["add", "response_body_mode", "FULL_DUPLEX_STREAMED"],
          ["replace", "response_trailer_mode", "SEND"],
          ["replace", "response_header_mode", "SEND"],
        ],
      );
      assert.equal(patches(objectsOf("seed-buffered")).length, 3, "no full-duplex patches when streaming is off");
      const env = (o: K8sObject[]) =>
        one(o, "Deployment", NAMES.epp).spec.template.spec.containers[0].env.find(
          (e: any) => e.name === "USE_STREAMING",
        ).value;
      assert.equal(env(objects), "true");
      assert.equal(env(objectsOf("seed-buffered")), "false", "GIE@v0.3.0 cmd/epp/main.go selects the buffered server");
    },
  );

  it("gives the extension policy GIE's connection limits and timeouts (ext_proc_gRPC_error_14 otherwise)", () => {
    const extProc = one(objects, "EnvoyExtensionPolicy").spec.extProc[0];
    assert.deepEqual(extProc.processingMode, { allowModeOverride: true, request: { body: "Buffered" } });
    assert.equal(extProc.messageTimeout, "1000s");
    assert.deepEqual(extProc.backendSettings, {
      circuitBreaker: { ...CIRCUIT_BREAKER },
      timeout: { tcp: { connectTimeout: "24h" } },
    });
    assert.deepEqual(one(objects, "BackendTrafficPolicy").spec.timeout, { tcp: { connectTimeout: "24h" } });
  });
});

describe("gateways: GKE Gateway", () => {
  const objects = objectsOf("gke");

  it(
    "has no HTTPRoute rule timeouts (GKE rejects them) and GIE's GKE policies, with the long " +
      "timeout as timeoutSec",
    () => {
      // GIE@v1.5.0 config/charts/inferencepool/templates/httproute.yaml omits timeouts when provider.name is
      // gke; templates/gke.yaml renders the policies.
      assert.equal(one(objects, "HTTPRoute").spec.rules[0].timeouts, undefined);
      assert.deepEqual(one(objects, "HealthCheckPolicy").spec, {
        targetRef: { group: "inference.networking.k8s.io", kind: "InferencePool", name: NAMES.pool },
        default: {
          timeoutSec: 2,
          checkIntervalSec: 2,
          config: { type: "HTTP", httpHealthCheck: { requestPath: "/health", port: 8000 } },
        },
      });
      assert.deepEqual(one(objects, "GCPBackendPolicy").spec.default, {
        timeoutSec: 86400,
        logging: { enabled: true },
      });
      assert.equal(
        one(objects, "Gateway").spec.gatewayClassName,
        "gke-l7-rilb",
        "GKE's regional internal class: nothing public",
      );
      assert.equal(one(objects, "Gateway").spec.infrastructure, undefined);
      assert.ok(!objects.some((o) => o.kind === "EnvoyProxy" || o.kind === "BackendTrafficPolicy"));
    },
  );
});

describe("gateways: nothing public, nothing unscraped", () => {
  it("no flavour creates a LoadBalancer Service", () => {
    for (const name of Object.keys(RESOLVED)) {
      for (const o of objectsOf(name, "p"))
        if (o.kind === "Service") assert.notEqual((o as any).spec.type, "LoadBalancer", `${name} ${o.metadata.name}`);
    }
  });

  it(
    "with a GCP project, managed Prometheus scrapes the picker with an authorised token, as GIE's " +
      "chart does for GKE",
    () => {
      // GIE@v1.5.0 config/charts/epplib/templates/_gke.yaml: token Secret, PodMonitoring with Bearer
      // authorization, /metrics reader, collector access.
      const objects = objectsOf("gke", "p");
      const monitoring = one(objects, "PodMonitoring", NAMES.eppPodMonitoring);
      assert.deepEqual(monitoring.spec.selector.matchLabels, { app: NAMES.epp });
      assert.deepEqual(monitoring.spec.endpoints[0].authorization, {
        type: "Bearer",
        credentials: { secret: { name: NAMES.eppMetricsToken, key: "token" } },
      });
      assert.equal(monitoring.spec.endpoints[0].port, "metrics");
      const token = one(objects, "Secret", NAMES.eppMetricsToken);
      assert.equal(token.type, "kubernetes.io/service-account-token");
      assert.equal(token.metadata.annotations["kubernetes.io/service-account.name"], NAMES.eppMetricsReader);
      assert.deepEqual(
        one(objects, "RoleBinding", NAMES.eppMetricsTokenReader).subjects.map((s: any) => `${s.namespace}/${s.name}`),
        ["gmp-system/collector", "gke-gmp-system/collector"],
      );
      const binding: any = eppMetricsReaderBinding(ns("gke"));
      assert.deepEqual(binding.subjects, [
        { kind: "ServiceAccount", name: NAMES.eppMetricsReader, namespace: ns("gke") },
      ]);
      assert.equal(binding.roleRef.name, SHARED_NAMES.eppMetricsReaderClusterRole);
      assert.ok(
        !objectsOf("gke").some((o) => o.kind === "PodMonitoring"),
        "no managed Prometheus without a GCP project",
      );
    },
  );

  it("the dashboard queries the metric names the deployed versions export", () => {
    const tiles = JSON.parse(dashboardJson("r", ["a-r"]))
      .mosaicLayout.tiles.map((t: any) => t.widget.xyChart.dataSets[0].timeSeriesQuery.prometheusQuery)
      .join("\n");
    // llm-d-inference-sim@v0.8.2 pkg/llm-d-inference-sim/metrics.go; vLLM before the rename; GIE@v1.5.0 and
    // @v0.3.0 pkg/epp/metrics/metrics.go.
    for (const name of [
      "vllm:kv_cache_usage_perc",
      "vllm:gpu_cache_usage_perc",
      "inference_objective_request_total",
      "inference_model_request_total",
      "inference_pool_average_queue_size",
    ]) {
      assert.ok(tiles.includes(name), name);
    }
  });
});

describe("gateways: model server and simulator", () => {
  it("vLLM: a startup probe covers slow loads; liveness only after it", () => {
    const container = one(objectsOf("svc"), "Deployment", NAMES.modelServer).spec.template.spec.containers[0];
    assert.deepEqual(container.startupProbe.httpGet, { path: "/health", port: "http" });
    assert.ok(container.startupProbe.periodSeconds * container.startupProbe.failureThreshold >= 3600);
    assert.ok(
      container.livenessProbe.periodSeconds * container.livenessProbe.failureThreshold <= 120,
      "a hung server is restarted within two minutes once started",
    );
  });

  it(
    "the simulator: v0.8.2 (kv_cache_usage_perc), latencies as Go durations, its pod name for " +
      "x-inference-pod, the picker's engine label",
    () => {
      const deployment = one(objectsOf("sim"), "Deployment", NAMES.modelServer);
      const container = deployment.spec.template.spec.containers[0];
      assert.equal(container.image, "ghcr.io/llm-d/llm-d-inference-sim:v0.8.2");
      assert.equal(DEFAULT_IMAGES.sim, container.image);
      const arg = (flag: string) => container.args[container.args.indexOf(flag) + 1];
      assert.equal(arg("--time-to-first-token"), "40ms");
      assert.equal(arg("--inter-token-latency"), "5ms");
      assert.deepEqual(
        container.env.map((e: any) => e.name),
        ["POD_NAME", "POD_NAMESPACE"],
      );
      // GIE@v1.5.0 pkg/epp/framework/plugins/datalayer/extractor/metrics/mapping_registry.go DefaultEngineTypeLabelKey.
      assert.equal(deployment.spec.template.metadata.labels[ENGINE_TYPE_LABEL], "vllm");
    },
  );
});

describe("gateways: what the catalog lets through", () => {
  const base = (server: string, lb = "k8s_service {}") => `benchmarks { name: "x" config {
    model_server { ${server} }
    load_balancer { ${lb} }
    benchmark_tool { image: "lpg:v1" lpg { request_rates: "1" } } } }`;
  const vllm = (image: string, v1?: string) =>
    base(
      `image: "${image}" accelerator: "nvidia-l4" replicas: 1 vllm { model: "m" ${v1 === undefined ? "" : `v1: "${v1}"`} ` +
        `}`,
    );
  const resolve = (text: string) => resolveCatalogText(text, "c.pbtxt")[0];

  it("VLLM_USE_V1 says what runs: refused at 0 on vLLM 0.11+ (no V0 engine), defaulted to what the image has", () => {
    assert.throws(
      () => resolve(vllm("vllm/vllm-openai:v0.11.0", "0")),
      (e: Error) =>
        e instanceof CatalogError &&
        /^c\.pbtxt:2:\d+: benchmark "x": .*v1 is "0", but image .*no V0 engine/.test(e.message),
    );
    assert.equal(resolve(vllm("vllm/vllm-openai:v0.11.0")).benchmark.config!.model_server!.vllm!.v1, "1");
    assert.equal(resolve(vllm("vllm/vllm-openai:latest")).benchmark.config!.model_server!.vllm!.v1, "1");
    assert.equal(
      resolve(vllm("vllm/vllm-openai:v0.8.1")).benchmark.config!.model_server!.vllm!.v1,
      "0",
      "the seed's default where V0 exists",
    );
    const digest = resolve(vllm("vllm/vllm-openai@sha256:abc"));
    assert.ok(
      digest.warnings.some((w) => /VLLM_USE_V1=0 with image .* whose vLLM release the tag does not show/.test(w)),
    );
  });

  it(
    "buffered bodies in the v1 flavour: refused with a streaming-only picker release, warned with " +
      "an unknown build",
    () => {
      const envoy = (image: string) =>
        `gateway { full_duplex_streaming_enabled: false envoy { epp { image: "${image}" } } }`;
      const sim = 'sim { model: "m" } replicas: 1';
      assert.throws(
        () => resolve(base(sim, envoy("registry.k8s.io/gateway-api-inference-extension/epp:v1.5.0"))),
        (e: Error) =>
          /buffered bodies \(full_duplex_streaming_enabled: false\) stall every request: pickers from v0\.4 \(this is v1\.5\) stream only/.test(
            e.message,
          ) && !e.message.includes("…"),
      );
      const main = resolve(
        base(sim, envoy("us-central1-docker.pkg.dev/k8s-staging-images/gateway-api-inference-extension/epp:main")),
      );
      assert.ok(main.warnings.some((w) => /deployed buffered as written/.test(w)));
      assert.ok(main.warnings.some((w) => /unmaintained staging build of main/.test(w)));
      assert.equal(
        resolve(base(sim, 'gateway { envoy { epp { image: "e:v1.5.0" } } }')).benchmark.config!.load_balancer!.gateway!
          .full_duplex_streaming_enabled,
        true,
        "v1 defaults to streaming",
      );
      assert.equal(
        resolve(base(sim, 'gateway { inference_api: V1ALPHA2 envoy { epp { image: "e:v0.3.0" } } }')).benchmark.config!
          .load_balancer!.gateway!.full_duplex_streaming_enabled,
        false,
        "the seed era defaults to buffered",
      );
      assert.ok(
        resolve(
          base(sim, 'gateway { full_duplex_streaming_enabled: true gke_gateway { epp { image: "e:v1.5.0" } } }'),
        ).warnings.some((w) => /has no effect on gateway\.gke_gateway\.epp/.test(w)),
      );
    },
  );
});

describe("gateways: custom resources against the CRDs", () => {
  it(
    "validates every custom resource of every flavour against ../shared's CRDs, and the inference " +
      "ones against the CRDs the cluster project installs",
    async function () {
      this.timeout(120_000);
      const shared = new ObjectValidator(path.join(sharedDir(this), "schemas", "crds"));
      const installed = new ObjectValidator(path.join(PROJECT_ROOT, "cluster", "crds"));
      const problems: string[] = [];
      let againstInstalled = 0;
      for (const name of Object.keys(RESOLVED)) {
        for (const object of [...objectsOf(name), ...objectsOf(name, "p")]) {
          problems.push(...(await shared.problems(object)).map((p) => `${name}: ${p}`));
          if (installed.hasCrd(object)) {
            againstInstalled++;
            problems.push(...(await installed.problems(object)).map((p) => `${name} (installed CRD): ${p}`));
          }
        }
      }
      assert.deepEqual(problems, []);
      assert.ok(againstInstalled > 0);
      const proxy = structuredClone(one(objectsOf("v1"), "EnvoyProxy"));
      proxy.spec.provider.kubernetes.envoyService.kind = "ClusterIP";
      assert.match(
        (await shared.problems(proxy)).join(),
        /additional properties \(kind\)/,
        "undeclared fields are errors",
      );
      const policy = structuredClone(one(objectsOf("gke"), "GCPBackendPolicy"));
      policy.spec.default.timeout = 5;
      assert.match((await shared.problems(policy)).join(), /additional properties \(timeout\)/);
    },
  );
});
