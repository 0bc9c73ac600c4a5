// Upstream files the shared cluster infrastructure installs, kept in the project (cluster/)
// and pinned by tag and SHA-256: the inference CRDs, and the Envoy Gateway Helm values that
// Envoy AI Gateway ships. Nothing is downloaded at `preview`/`up`/`destroy`; a file whose
// bytes changed is refused before anything is declared.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import YAML from "yaml";
import type { InferenceFlavor } from "../catalog/catalog";
import { ClusterError } from "../errors";
import type { K8sObject } from "../manifests/common";

/** The project root: cluster/ files are found relative to it. */
export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

export interface PinnedFile {
  /** Path relative to the project root. */
  file: string;
  /** Where the bytes come from: repository, tag, commit, path at that tag. */
  source: { repo: string; tag: string; commit: string; path: string };
  sha256: string;
}

export interface PinnedCrd extends PinnedFile {
  /** metadata.name of the CustomResourceDefinition. */
  name: string;
  /** The served versions the benchmarks need. */
  versions: string[];
  /** The flavours whose benchmarks cannot run without it; empty: optional (watched when present). */
  requiredBy: InferenceFlavor[];
}

const GIE = "kubernetes-sigs/gateway-api-inference-extension";
const GIE_V1_5_0 = { repo: GIE, tag: "v1.5.0", commit: "df9f8909fe06fe2dfd4a6fc0bd0c01a0acabf849" };
const GIE_V0_3_0 = { repo: GIE, tag: "v0.3.0", commit: "d172cbb082f2e9870faf0d97f650b9a454514fef" };

function gieCrd(
  release: typeof GIE_V1_5_0,
  file: string,
  name: string,
  versions: string[],
  requiredBy: InferenceFlavor[],
  sha256: string,
): PinnedCrd {
  return {
    name,
    versions,
    requiredBy,
    file: `cluster/crds/gateway-api-inference-extension/${release.tag}/${file}`,
    source: { ...release, path: `config/crd/bases/${file}` },
    sha256,
  };
}

/**
 * One set of inference CRDs for every flavour, each CRD defined exactly once:
 * - InferencePool v1 from GIE v1.5.0, the release of the endpoint picker we deploy;
 * - InferenceObjective and InferenceModelRewrite (x-k8s.io v1alpha2) from v1.5.0: its picker
 *   watches them when they exist (pkg/epp/server/controller_config.go populateWithDiscovery);
 * - InferencePool and InferenceModel (x-k8s.io v1alpha2) from v0.3.0, the seed-era picker's API.
 * GIE v1.0–v1.4 also ship an x-k8s.io InferencePool: we take that CRD from v0.3.0 only.
 */
export const INFERENCE_CRDS: PinnedCrd[] = [
  gieCrd(
    GIE_V1_5_0,
    "inference.networking.k8s.io_inferencepools.yaml",
    "inferencepools.inference.networking.k8s.io",
    ["v1"],
    ["v1"],
    "0bc3ddd94db6f588a5cecc627c39e3d12b4343d51c48d47ffa68c50fa73c290c",
  ),
  gieCrd(
    GIE_V1_5_0,
    "inference.networking.x-k8s.io_inferenceobjectives.yaml",
    "inferenceobjectives.inference.networking.x-k8s.io",
    ["v1alpha2"],
    [],
    "e06a3e13e91f7a3a71a9d4146fb56076a247f43ad72b6401f8039ccf9cfa3700",
  ),
  gieCrd(
    GIE_V1_5_0,
    "inference.networking.x-k8s.io_inferencemodelrewrites.yaml",
    "inferencemodelrewrites.inference.networking.x-k8s.io",
    ["v1alpha2"],
    [],
    "887abbc047e7e36633f2f28ee47dc59cae5293ebef110e57cc286ab4605d8a97",
  ),
  gieCrd(
    GIE_V0_3_0,
    "inference.networking.x-k8s.io_inferencepools.yaml",
    "inferencepools.inference.networking.x-k8s.io",
    ["v1alpha2"],
    ["v1alpha2"],
    "2c50b3bad393996f0b63cf40ef704b82d7347aaaf7903cd84e298b6cc60425f2",
  ),
  gieCrd(
    GIE_V0_3_0,
    "inference.networking.x-k8s.io_inferencemodels.yaml",
    "inferencemodels.inference.networking.x-k8s.io",
    ["v1alpha2"],
    ["v1alpha2"],
    "85c341123c19cbe787cb622ce776d8493d57f618bd37ab08b93ee003d16b9d90",
  ),
];

const AIGW_V1_1_0 = {
  repo: "envoyproxy/ai-gateway",
  tag: "v1.1.0",
  commit: "c217da8a539570ba3f6014a60c2687c29a945f1f",
};

/**
 * The Envoy Gateway Helm values Envoy AI Gateway v1.1.0 documents, applied in this order
 * (site/docs/getting-started/installation.md; tests/internal/e2elib/e2elib.go initEnvoyGateway):
 * the base (extension manager hooks, Backend and EnvoyPatchPolicy APIs), then the InferencePool
 * addon (extensionManager.backendResources).
 */
export const ENVOY_GATEWAY_VALUES_FILES: PinnedFile[] = [
  {
    file: "cluster/values/envoy-ai-gateway/v1.1.0/envoy-gateway-values.yaml",
    source: { ...AIGW_V1_1_0, path: "manifests/envoy-gateway-values.yaml" },
    sha256: "b2bf492487a21277ba38da8303337dff0cda59e647a53ff0a6ec16eb5a490a36",
  },
  {
    file: "cluster/values/envoy-ai-gateway/v1.1.0/inference-pool-envoy-gateway-values-addon.yaml",
    source: { ...AIGW_V1_1_0, path: "examples/inference-pool/envoy-gateway-values-addon.yaml" },
    sha256: "5c22cc79ed539aac0ee650f4f425853903f4085598cc55fff0f35f9caa8468ae",
  },
];

/** The bytes of a pinned file, refused unless their SHA-256 is the pinned one. */
export function readPinned(pinned: PinnedFile, root = PROJECT_ROOT): string {
  const full = path.join(root, pinned.file);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(full);
  } catch (error) {
    throw new ClusterError(
      `${pinned.file}: cannot read the pinned ${pinned.source.repo}@${pinned.source.tag} file ` +
        `(${(error as NodeJS.ErrnoException).code ?? error})`,
    );
  }
  const actual = createHash("sha256").update(bytes).digest("hex");
  if (actual !== pinned.sha256) {
    throw new ClusterError(
      `${pinned.file}: SHA-256 ${actual} is not the pinned ${pinned.sha256} of ${pinned.source.repo}@${pinned.source.tag} ${pinned.source.path}; ` +
        `restore the upstream file`,
    );
  }
  return bytes.toString("utf8");
}

/** A pinned CRD as an object to declare, after its checksum and name are checked. */
export function loadCrd(crd: PinnedCrd, root = PROJECT_ROOT): K8sObject {
  const object = YAML.parse(readPinned(crd, root)) as K8sObject;
  if (object?.kind !== "CustomResourceDefinition" || object.metadata?.name !== crd.name) {
    throw new ClusterError(`${crd.file}: expected CustomResourceDefinition ${crd.name}`);
  }
  return object;
}

/** Deep merge as Helm merges values files: maps merge, everything else (lists included) is replaced. */
function mergeValues(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const existing = result[key];
    const isMap = (v: unknown): v is Record<string, unknown> =>
      typeof v === "object" && v !== null && !Array.isArray(v);
    result[key] = isMap(existing) && isMap(value) ? mergeValues(existing, value) : value;
  }
  return result;
}

/** The Envoy Gateway Helm values: the pinned upstream files, merged in order. */
export function envoyGatewayValues(root = PROJECT_ROOT): Record<string, unknown> {
  return ENVOY_GATEWAY_VALUES_FILES.reduce(
    (values, file) => mergeValues(values, YAML.parse(readPinned(file, root)) ?? {}),
    {} as Record<string, unknown>,
  );
}
