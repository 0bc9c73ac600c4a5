// The Helm charts of the shared cluster infrastructure, pinned to the versions Envoy AI Gateway
// v1.1.0 is tested with (site/versioned_docs/version-1.1/compatibility.md: "v1.1.x | v1.8.1+";
// _vars.json egVersion 1.8.1; .github/workflows/build_and_test.yaml runs its e2e suite with
// EG_VERSION v1.8.1). Release names carry our prefix so that a release someone installed by
// hand (AI Gateway's docs name theirs eg/aieg) is recognised as theirs and reused, not replaced.

export interface PinnedChart {
  /** Helm release name. */
  release: string;
  chart: string;
  version: string;
  namespace: string;
}

export const ENVOY_GATEWAY_CHART: PinnedChart = {
  release: "inference-bench-eg",
  chart: "oci://docker.io/envoyproxy/gateway-helm",
  version: "v1.8.1",
  namespace: "envoy-gateway-system",
};

/** The six aigateway.envoyproxy.io CRDs its controller watches, even when no AI Gateway object exists. */
export const AI_GATEWAY_CRDS_CHART: PinnedChart = {
  release: "inference-bench-aigw-crds",
  chart: "oci://docker.io/envoyproxy/ai-gateway-crds-helm",
  version: "v1.1.0",
  namespace: "envoy-ai-gateway-system",
};

/** The extension server that turns an HTTPRoute backendRef to an InferencePool into the EPP's ext_proc. */
export const AI_GATEWAY_CHART: PinnedChart = {
  release: "inference-bench-aigw",
  chart: "oci://docker.io/envoyproxy/ai-gateway-helm",
  version: "v1.1.0",
  namespace: "envoy-ai-gateway-system",
};

/**
 * Objects whose names the charts hard-code (gateway-helm templates/envoy-gateway-deployment.yaml,
 * envoy-gateway-config.yaml; ai-gateway-helm values.yaml controller.fullnameOverride).
 */
export const CHART_OBJECTS = {
  envoyGatewayDeployment: "envoy-gateway",
  envoyGatewayConfigMap: "envoy-gateway-config",
  envoyGatewayConfigKey: "envoy-gateway.yaml",
  envoyGatewayServiceAccount: "envoy-gateway",
  aiGatewayDeployment: "ai-gateway-controller",
} as const;

/** Envoy Gateway's controller name, which our GatewayClass names. */
export const ENVOY_GATEWAY_CONTROLLER = "gateway.envoyproxy.io/gatewayclass-controller";

/** Helm's annotation naming the release that owns an object. */
export const HELM_RELEASE_ANNOTATION = "meta.helm.sh/release-name";
