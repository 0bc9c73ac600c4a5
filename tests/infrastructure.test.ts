// The shared cluster infrastructure (cluster/, components/infrastructure.ts) and a run's check for it.

import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import * as pulumi from "@pulumi/pulumi";
import YAML from "yaml";
import {
  INFRASTRUCTURE_SETTING_DEFAULTS,
  INFRASTRUCTURE_TYPE,
  runInfrastructureProgram,
  SharedInfrastructure,
} from "../components/infrastructure";
import { Prerequisites } from "../components/prerequisites";
import { runProgram } from "../components/program";
import { defaultSettings } from "../components/settings";
import { resolveCatalogText } from "../lib/catalog/catalog";
import { ClusterError } from "../lib/errors";
import { infrastructureNeeds, missingInfrastructure } from "../lib/infrastructure/check";
import {
  ENVOY_GATEWAY_VALUES_FILES,
  envoyGatewayValues,
  INFERENCE_CRDS,
  loadCrd,
  readPinned,
} from "../lib/infrastructure/pinned";
import { detectInfrastructure, type ExistingInfrastructure, planInstall } from "../lib/infrastructure/plan";
import { AI_GATEWAY_CHART, CHART_OBJECTS, ENVOY_GATEWAY_CHART } from "../lib/manifests/charts";
import { CLUSTER_STACK_LABEL, envoyGatewayClass, SHARED_NAMES } from "../lib/manifests/cluster-scoped";
import { FakeKube } from "./fake-kube";
import { PROJECT_ROOT, tempDir } from "./helpers";
import { setMocksWithHooks } from "./pulumi-mocks";
import {
  envoyGatewayConfigMap,
  helmDeployment,
  installSharedInfrastructure,
  sharedInfrastructure,
} from "./shared-infrastructure";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const runtimeSettings = require("@pulumi/pulumi/runtime/settings");

const kube = new FakeKube();
let kubeConfig: KubeConfig;
before(async () => {
  kubeConfig = await kube.start();
});
after(() => kube.stop());
afterEach(() => kube.reset());

const CATALOG = `
benchmarks { name: "svc" config {
  model_server { sim { model: "m" } replicas: 1 } load_balancer { k8s_service {} }
  benchmark_tool { image: "lpg:v1" lpg { request_rates: "1" } } } }
benchmarks { name: "v1" base_benchmark_name: "svc" config { load_balancer { gateway { envoy { epp { image: "epp:v1.5.0" } } } } benchmark_tool { lpg { request_rates: "1" } } } }
benchmarks { name: "old" base_benchmark_name: "svc" config { load_balancer { gateway { inference_api: V1ALPHA2 envoy { epp { image: "epp:v0.3.0" } } } } benchmark_tool { lpg { request_rates: "1" } } } }
benchmarks { name: "rr" base_benchmark_name: "svc" config { load_balancer { gateway { envoy { lb_policy: "RoundRobin" } } } benchmark_tool { lpg { request_rates: "1" } } } }
benchmarks { name: "gke" base_benchmark_name: "svc" config { load_balancer { gateway { gke_gateway { epp { image: "epp:v1.5.0" } } } } benchmark_tool { lpg { request_rates: "1" } } } }
`;
const B = Object.fromEntries(resolveCatalogText(CATALOG, "cluster.pbtxt").map((b) => [b.name, b]));

describe("cluster: pinned upstream files", () => {
  it("keeps one set of inference CRDs, each defined once, checksummed, serving what each flavour needs", () => {
    const names = INFERENCE_CRDS.map((c) => c.name);
    assert.equal(new Set(names).size, names.length, "no two files define the same CRD");
    for (const crd of INFERENCE_CRDS) {
      const object: any = loadCrd(crd);
      assert.equal(`${object.spec.names.plural}.${object.spec.group}`, crd.name);
      const served = object.spec.versions.filter((v: any) => v.served).map((v: any) => v.name);
      for (const version of crd.versions) assert.ok(served.includes(version), `${crd.name} serves ${version}`);
      assert.equal(
        createHash("sha256")
          .update(fs.readFileSync(path.join(PROJECT_ROOT, crd.file)))
          .digest("hex"),
        crd.sha256,
      );
    }
    // Every file in cluster/crds is pinned (nothing installed that is not checked).
    const onDisk = fs
      .readdirSync(path.join(PROJECT_ROOT, "cluster", "crds"), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => path.relative(PROJECT_ROOT, path.join(e.parentPath, e.name)))
      .sort();
    assert.deepEqual(onDisk, INFERENCE_CRDS.map((c) => c.file).sort());
    assert.deepEqual(
      INFERENCE_CRDS.filter((c) => c.requiredBy.includes("v1")).map((c) => c.name),
      ["inferencepools.inference.networking.k8s.io"],
    );
    assert.deepEqual(
      INFERENCE_CRDS.filter((c) => c.requiredBy.includes("v1alpha2"))
        .map((c) => c.name)
        .sort(),
      ["inferencemodels.inference.networking.x-k8s.io", "inferencepools.inference.networking.x-k8s.io"],
    );
  });

  it("the seed-era CRDs are byte for byte the GIE v0.3.0 ones in ../shared", function () {
    const shared = path.join(
      require("./helpers").sharedDir(this),
      "schemas",
      "crds",
      "gateway-api-inference-extension",
      "v0.3.0",
    );
    for (const crd of INFERENCE_CRDS.filter((c) => c.source.tag === "v0.3.0")) {
      assert.ok(
        fs
          .readFileSync(path.join(PROJECT_ROOT, crd.file))
          .equals(fs.readFileSync(path.join(shared, path.basename(crd.file)))),
        crd.file,
      );
    }
  });

  it("refuses a pinned file whose bytes changed, before anything is declared", () => {
    const root = tempDir("pinned-");
    const crd = INFERENCE_CRDS[0];
    fs.mkdirSync(path.dirname(path.join(root, crd.file)), { recursive: true });
    fs.writeFileSync(
      path.join(root, crd.file),
      fs.readFileSync(path.join(PROJECT_ROOT, crd.file), "utf8").replace("served: true", "served: false"),
    );
    assert.throws(
      () => loadCrd(crd, root),
      (e: Error) =>
        e instanceof ClusterError &&
        /SHA-256 .* is not the pinned .* of kubernetes-sigs\/gateway-api-inference-extension@v1\.5\.0/.test(e.message),
    );
  });

  it(
    "gives Envoy Gateway exactly the values AI Gateway v1.1.0 ships (base + InferencePool addon), " +
      "as Helm merges them",
    () => {
      // envoyproxy/ai-gateway@v1.1.0 manifests/envoy-gateway-values.yaml +
      // examples/inference-pool/envoy-gateway-values-addon.yaml
      assert.deepEqual(envoyGatewayValues(), {
        config: {
          envoyGateway: {
            gateway: { controllerName: "gateway.envoyproxy.io/gatewayclass-controller" },
            logging: { level: { default: "info" } },
            provider: { type: "Kubernetes" },
            extensionApis: { enableEnvoyPatchPolicy: true, enableBackend: true },
            extensionManager: {
              hooks: {
                xdsTranslator: {
                  translation: {
                    listener: { includeAll: true },
                    route: { includeAll: true },
                    cluster: { includeAll: true },
                    secret: { includeAll: true },
                  },
                  post: ["Translation", "Cluster", "Route"],
                },
              },
              service: {
                fqdn: {
                  hostname: `${CHART_OBJECTS.aiGatewayDeployment}.${AI_GATEWAY_CHART.namespace}.svc.cluster.local`,
                  port: 1063,
                },
              },
              backendResources: [{ group: "inference.networking.k8s.io", kind: "InferencePool", version: "v1" }],
            },
          },
        },
      });
      for (const file of ENVOY_GATEWAY_VALUES_FILES) assert.ok(readPinned(file).length > 0);
    },
  );

  it("gives Envoy Gateway v1.8.1 only values its chart and its EnvoyGateway API know", () => {
    // gateway-helm v1.8.1 values.tmpl.yaml has `config.envoyGateway`, merged into the EnvoyGateway
    // object (templates/envoy-gateway-config.yaml); its fields are the json tags of
    // api/v1alpha1/envoygateway_types.go EnvoyGatewaySpec at v1.8.1.
    const spec = new Set([
      "gateway",
      "provider",
      "logging",
      "admin",
      "telemetry",
      "rateLimit",
      "extensionManager",
      "extensionManagers",
      "extensionApis",
      "gatewayAPI",
      "runtimeFlags",
      "envoyProxy",
    ]);
    const values = envoyGatewayValues() as any;
    assert.deepEqual(Object.keys(values), ["config"]);
    for (const key of Object.keys(values.config.envoyGateway)) assert.ok(spec.has(key), key);
    assert.ok(
      !("extensionManagers" in values.config.envoyGateway),
      "the singular extensionManager, as upstream (the two are mutually exclusive)",
    );
  });
});

describe("cluster: what a run needs and whether the cluster has it", function () {
  this.timeout(60_000);
  it("derives the needs of each flavour", () => {
    const needs = (names: string[], gcp = false) =>
      infrastructureNeeds(
        names.map((n) => B[n]),
        { gcp },
      );
    assert.deepEqual(needs(["svc"]), {
      crds: [],
      gatewayClasses: [],
      envoyInferencePool: false,
      envoyPatchPolicy: false,
      clusterRoles: [],
    });
    assert.deepEqual(needs(["v1"]).crds, [{ name: "inferencepools.inference.networking.k8s.io", versions: ["v1"] }]);
    assert.equal(needs(["v1"]).envoyInferencePool, true);
    assert.deepEqual(
      needs(["old"]).crds.map((c) => c.name),
      ["inferencemodels.inference.networking.x-k8s.io", "inferencepools.inference.networking.x-k8s.io"],
    );
    assert.equal(needs(["old"]).envoyPatchPolicy, true);
    assert.deepEqual(needs(["rr"]), {
      crds: [],
      gatewayClasses: [{ name: "inference-bench-envoy", controller: "gateway.envoyproxy.io/gatewayclass-controller" }],
      envoyInferencePool: false,
      envoyPatchPolicy: false,
      clusterRoles: [],
    });
    assert.deepEqual(needs(["gke"], true).gatewayClasses, [{ name: "gke-l7-rilb" }]);
    assert.deepEqual(needs(["gke"], true).clusterRoles, [
      SHARED_NAMES.eppClusterRole,
      SHARED_NAMES.eppMetricsReaderClusterRole,
    ]);
  });

  it(
    "finds nothing missing on a cluster the cluster project set up, and names each missing piece " + "otherwise",
    async () => {
      const all = infrastructureNeeds(Object.values(B), { gcp: true });
      installSharedInfrastructure(kube);
      assert.deepEqual(await missingInfrastructure(kubeConfig, all), []);
      kube.reset();
      assert.deepEqual(await missingInfrastructure(kubeConfig, all), [
        "CRD inferencemodels.inference.networking.x-k8s.io",
        "CRD inferencepools.inference.networking.k8s.io",
        "CRD inferencepools.inference.networking.x-k8s.io",
        "CRD podmonitorings.monitoring.googleapis.com",
        "GatewayClass gke-l7-rilb",
        "GatewayClass inference-bench-envoy",
        "Envoy Gateway (ConfigMap envoy-gateway-system/envoy-gateway-config)",
        `ClusterRole ${SHARED_NAMES.eppClusterRole}`,
        `ClusterRole ${SHARED_NAMES.eppMetricsReaderClusterRole}`,
      ]);
      // Envoy Gateway alone (no extension manager) rejects InferencePool backendRefs (EG
      // internal/gatewayapi/validate.go, route.go isCustomBackendResource).
      installSharedInfrastructure(kube);
      kube.setObject(envoyGatewayConfigMap({ extensionApis: { enableEnvoyPatchPolicy: true, enableBackend: true } }));
      const crd: any = loadCrd(INFERENCE_CRDS[0]);
      crd.spec.versions[0].served = false;
      kube.setObject(crd);
      assert.deepEqual(await missingInfrastructure(kubeConfig, all), [
        "CRD inferencepools.inference.networking.k8s.io serving v1 (serves nothing)",
        "Envoy Gateway's extension manager listing InferencePool v1 as a backend (Envoy AI Gateway)",
      ]);
    },
  );

  it(
    "a run on a cluster without it fails in preview, in one line that names what is missing and how " +
      "to install it, declaring nothing",
    async () => {
      await setMocksWithHooks(
        { newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }), call: (args) => args.inputs },
        "inference-bench",
        "run-1",
        true,
      );
      const catalog = path.join(tempDir("catalog-"), "c.pbtxt");
      fs.writeFileSync(catalog, CATALOG);
      const settings = {
        ...defaultSettings("run-1"),
        catalogs: [catalog],
        outputDir: tempDir(),
        kubeconfig: kubeConfig.exportConfig(),
      };
      await assert.rejects(
        runProgram(settings),
        (error: Error) =>
          error instanceof pulumi.RunError &&
          !error.message.includes("\n") &&
          /^shared cluster infrastructure is missing: CRD .*; GatewayClass inference-bench-envoy; .*; install it with `pulumi up` in cluster\//.test(
            error.message,
          ),
      );
      installSharedInfrastructure(kube);
      const outputs = await runProgram(settings);
      assert.deepEqual(outputs.declared.sort(), ["gke", "old", "rr", "svc", "v1"]);
    },
  );
});

function existing(overrides: Partial<ExistingInfrastructure> = {}): ExistingInfrastructure {
  return {
    crds: Object.fromEntries(INFERENCE_CRDS.map((c) => [c.name, { owner: "absent" as const, versions: [] }])),
    envoyGateway: { owner: "absent" },
    aiGateway: { owner: "absent" },
    gatewayClass: { owner: "absent" },
    ...overrides,
  };
}

describe("cluster: install or reuse", () => {
  const options = { envoyGateway: true, gatewayClassName: "inference-bench-envoy" };

  it("installs everything on an empty cluster", () => {
    const plan = planInstall(existing(), options);
    assert.equal(plan.crds.length, INFERENCE_CRDS.length);
    assert.ok(plan.installEnvoyGateway && plan.installAiGateway && plan.declareGatewayClass);
    assert.deepEqual(plan.reused, []);
  });

  it("reuses GKE's own InferencePool v1 CRD (GKE 1.34.0-gke.1626000+) and installs only the rest", () => {
    const crds = existing().crds;
    crds["inferencepools.inference.networking.k8s.io"] = { owner: "theirs", versions: ["v1"] };
    const plan = planInstall(existing({ crds }), options);
    assert.ok(
      !plan.crds.some((c) => c.name === "inferencepools.inference.networking.k8s.io"),
      "GKE-managed CRDs are never overwritten",
    );
    assert.equal(plan.crds.length, INFERENCE_CRDS.length - 1);
    assert.match(plan.reused.join(), /CRD inferencepools\.inference\.networking\.k8s\.io \(serves v1\)/);
    crds["inferencepools.inference.networking.k8s.io"] = { owner: "theirs", versions: ["v1alpha2"] };
    assert.throws(() => planInstall(existing({ crds }), options), /does not serve v1 \(serves v1alpha2\)/);
  });

  it("reuses an Envoy Gateway someone else installed (a second release would conflict), saying what it lacks", () => {
    const plan = planInstall(
      existing({
        envoyGateway: { owner: "theirs", image: "docker.io/envoyproxy/gateway:v1.9.0", config: {} },
        aiGateway: { owner: "absent" },
      }),
      options,
    );
    assert.equal(plan.installEnvoyGateway, false);
    assert.equal(plan.installAiGateway, false);
    assert.match(plan.warnings.join("\n"), /no extension manager listing InferencePool v1/);
    assert.match(
      plan.warnings.join("\n"),
      /rollout restart deployment\/envoy-gateway/,
      "a newly installed pool CRD needs the running controllers restarted",
    );
    assert.throws(
      () => planInstall(existing({ aiGateway: { owner: "theirs" } }), options),
      /a second AI Gateway release would conflict/,
    );
    assert.throws(
      () => planInstall(existing({ gatewayClass: { owner: "theirs", controller: "example.com/other" } }), options),
      /choose another gatewayClassName/,
    );
  });

  it("detects ownership through the API: our label or Helm release name is ours, anything else theirs", async () => {
    for (const object of sharedInfrastructure("kind")) kube.setObject(object);
    const ours = await detectInfrastructure(kubeConfig, "kind", "inference-bench-envoy");
    assert.ok(Object.values(ours.crds).every((c) => c.owner === "ours"));
    assert.equal(ours.envoyGateway.owner, "ours");
    assert.equal(ours.gatewayClass.owner, "ours");
    const other = await detectInfrastructure(kubeConfig, "another-cluster-stack", "inference-bench-envoy");
    assert.ok(Object.values(other.crds).every((c) => c.owner === "theirs"));
    kube.setObject(helmDeployment(CHART_OBJECTS.envoyGatewayDeployment, ENVOY_GATEWAY_CHART.namespace, "eg"));
    const human = await detectInfrastructure(kubeConfig, "kind", "inference-bench-envoy");
    assert.equal(human.envoyGateway.owner, "theirs", "a release named as AI Gateway's docs name it (eg) is a human's");
    assert.ok(routesInferencePoolsOf(human));
  });
});

function routesInferencePoolsOf(e: ExistingInfrastructure): boolean {
  return (e.envoyGateway.config?.extensionManager?.backendResources ?? []).some((r: any) => r.kind === "InferencePool");
}

interface Registered {
  type: string;
  name: string;
  urn: string;
  dependencies: string[];
  inputs: any;
  retainOnDelete: boolean;
  provider: string;
}

/** Runs `program` under Pulumi's mocks and records what the engine would register. */
async function underMocks(
  stack: string,
  program: () => Promise<unknown>,
): Promise<{ resources: Registered[]; outputs: unknown }> {
  const inputs = new Map<string, any>();
  await setMocksWithHooks(
    {
      newResource: (args) => {
        inputs.set(`${args.type}::${args.name}`, args.inputs);
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call: (args) => args.inputs,
    },
    "inference-bench-cluster",
    stack,
    false,
  );
  const resources: Registered[] = [];
  const monitor = runtimeSettings.getMonitor();
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (request: any, callback: (error: Error | null, response: any) => void) => {
    register(request, (error: Error | null, response: any) => {
      if (!error) {
        resources.push({
          type: request.getType(),
          name: request.getName(),
          urn: response.getUrn(),
          dependencies: request.getDependenciesList(),
          inputs: {},
          retainOnDelete: request.getRetainondelete?.() ?? false,
          provider: request.getProvider?.() ?? "",
        });
      }
      callback(error, response);
    });
  };
  const outputs = await program();
  await runtimeSettings.waitForRPCs();
  for (const r of resources) r.inputs = inputs.get(`${r.type}::${r.name}`) ?? {};
  return { resources, outputs };
}

describe("cluster: the SharedInfrastructure component (mocks)", function () {
  this.timeout(60_000);

  it(
    "installs in the order the controllers need: CRDs and Envoy Gateway's pool access, Envoy " +
      "Gateway, AI Gateway CRDs, AI Gateway, EnvoyProxy, GatewayClass",
    async () => {
      const { resources } = await underMocks(
        "kind",
        async () =>
          new SharedInfrastructure("cluster", {
            stack: "kind",
            plan: planInstall(existing(), { envoyGateway: true, gatewayClassName: "inference-bench-envoy" }),
          }),
      );
      const one = (type: string, name: string) => {
        const found = resources.find((r) => r.type === type && r.name === name);
        assert.ok(found, `${type} ${name}; have ${resources.map((r) => `${r.type} ${r.name}`).join(", ")}`);
        return found;
      };
      const release = (r: string) => one("kubernetes:helm.sh/v3:Release", `cluster-${r}`);
      const crds = resources.filter((r) => r.type === "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition");
      assert.equal(crds.length, INFERENCE_CRDS.length);
      assert.ok(
        crds.every((c) => c.retainOnDelete),
        "deleting a CRD would delete every object of its kind",
      );
      assert.ok(crds.every((c) => c.inputs.metadata.labels[CLUSTER_STACK_LABEL] === "kind"));
      const eg = release(ENVOY_GATEWAY_CHART.release);
      assert.equal(eg.inputs.version, "v1.8.1");
      assert.equal(eg.inputs.chart, "oci://docker.io/envoyproxy/gateway-helm");
      assert.deepEqual(eg.inputs.values, envoyGatewayValues());
      for (const crd of crds)
        assert.ok(eg.dependencies.includes(crd.urn), "Envoy Gateway starts after the CRDs of its backendResources");
      assert.ok(
        eg.dependencies.includes(
          one(
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
            `cluster-clusterrolebinding-${SHARED_NAMES.envoyGatewayPoolReader}`,
          ).urn,
        ),
        "and after it may list InferencePools",
      );
      const aiCrds = release(AI_GATEWAY_CHART.release.replace("aigw", "aigw-crds"));
      const ai = release(AI_GATEWAY_CHART.release);
      assert.equal(ai.inputs.version, "v1.1.0");
      assert.ok(
        aiCrds.dependencies.includes(eg.urn) &&
          ai.dependencies.includes(aiCrds.urn) &&
          ai.dependencies.includes(eg.urn),
      );
      for (const crd of crds)
        assert.ok(
          ai.dependencies.includes(crd.urn),
          "AI Gateway starts its InferencePool controller only if the CRD exists",
        );
      const proxy = one(
        "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy",
        `cluster-envoyproxy-${SHARED_NAMES.envoyProxy}`,
      );
      assert.equal(proxy.inputs.spec.provider.kubernetes.envoyService.type, "ClusterIP");
      const gatewayClass = one(
        "kubernetes:gateway.networking.k8s.io/v1:GatewayClass",
        "cluster-gatewayclass-inference-bench-envoy",
      );
      assert.ok(gatewayClass.dependencies.includes(proxy.urn) && gatewayClass.dependencies.includes(eg.urn));
      assert.deepEqual(gatewayClass.inputs.spec, envoyGatewayClass("inference-bench-envoy", "kind").spec);
      one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", `cluster-clusterrole-${SHARED_NAMES.eppClusterRole}`);
    },
  );

  it(
    "the cluster program detects what exists through the API, declares only the rest, and creates " +
      "the proxy-only subnet when asked",
    async () => {
      const crd: any = loadCrd(INFERENCE_CRDS[0]);
      kube.setObject(crd); // GKE's own, unlabelled
      const settings = {
        stack: "gke-1",
        envoyGateway: true,
        gatewayClassName: "inference-bench-envoy",
        gcpProject: "p",
        gcpRegion: "us-central1",
        gcpNetwork: "default",
        proxyOnlySubnetCidr: "10.129.0.0/23",
        resultsBucketLocation: "US",
        resultsBucketWriters: [],
        kubeconfig: kubeConfig.exportConfig(),
      };
      const { resources, outputs } = await underMocks("gke-1", () => runInfrastructureProgram(settings));
      assert.ok(!resources.some((r) => r.name === `cluster-crd-${crd.metadata.name}`), "GKE's CRD is reused");
      assert.deepEqual((outputs as any).reused, ["CRD inferencepools.inference.networking.k8s.io (serves v1)"]);
      const subnet = resources.find((r) => r.type === "gcp:compute/subnetwork:Subnetwork")!;
      assert.deepEqual(
        {
          purpose: subnet.inputs.purpose,
          role: subnet.inputs.role,
          region: subnet.inputs.region,
          ipCidrRange: subnet.inputs.ipCidrRange,
        },
        { purpose: "REGIONAL_MANAGED_PROXY", role: "ACTIVE", region: "us-central1", ipCidrRange: "10.129.0.0/23" },
      );
      const provider = resources.find((r) => r.type === "pulumi:providers:kubernetes")!;
      assert.equal(provider.inputs.upsertExistingObjects, "true");
      assert.ok(
        resources
          .filter((r) => r.type.startsWith("kubernetes:") && r.type !== INFRASTRUCTURE_TYPE)
          .every((r) => r.provider.startsWith(provider.urn)),
        "every object goes through the adopting provider",
      );
    },
  );

  it(
    "the cluster program declares the results bucket runs upload to, kept when the stack is " +
      "destroyed, only with a project",
    async () => {
      const base = {
        stack: "gke-2",
        envoyGateway: true,
        gatewayClassName: "inference-bench-envoy",
        gcpNetwork: "default",
        resultsBucketLocation: "EU",
        kubeconfig: kubeConfig.exportConfig(),
      };
      const { resources, outputs } = await underMocks("gke-2", () =>
        runInfrastructureProgram({
          ...base,
          gcpProject: "p",
          resultsBucket: "bench-results",
          resultsBucketWriters: ["serviceAccount:ci@p.iam.gserviceaccount.com"],
        }),
      );
      const bucket = resources.find((r) => r.type === "gcp:storage/bucket:Bucket")!;
      assert.deepEqual(
        {
          name: bucket.inputs.name,
          location: bucket.inputs.location,
          project: bucket.inputs.project,
          retained: bucket.retainOnDelete,
        },
        { name: "bench-results", location: "EU", project: "p", retained: true },
      );
      const writer = resources.find((r) => r.type === "gcp:storage/bucketIAMMember:BucketIAMMember")!;
      assert.equal(writer.inputs.member, "serviceAccount:ci@p.iam.gserviceaccount.com");
      assert.equal(await new Promise((resolve) => (outputs as any).resultsBucket.apply(resolve)), "bench-results");
      await assert.rejects(
        underMocks("gke-3", () =>
          runInfrastructureProgram({
            ...base,
            stack: "gke-3",
            resultsBucket: "bench-results",
            resultsBucketWriters: [],
          }),
        ),
        /resultsBucket needs gcpProject/,
      );
    },
  );

  it(
    "a run declares only per-namespace bindings to the shared roles (the metrics reader's with a " + "GCP project)",
    async () => {
      const { resources } = await underMocks(
        "run-1",
        async () =>
          new Prerequisites("prerequisites", {
            eppNamespaces: ["b-r", "a-r", "a-r"],
            metricsReaderNamespaces: ["a-r"],
          }),
      );
      const bindings = resources.filter((r) => r.type === "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding");
      assert.deepEqual(
        bindings.map(
          (b) =>
            `${b.inputs.metadata.name} → ${b.inputs.roleRef.name}: ${b.inputs.subjects[0].namespace}/${b.inputs.subjects[0].name}`,
        ),
        [
          `${SHARED_NAMES.eppClusterRole}-a-r → ${SHARED_NAMES.eppClusterRole}: a-r/epp`,
          `${SHARED_NAMES.eppClusterRole}-b-r → ${SHARED_NAMES.eppClusterRole}: b-r/epp`,
          `${SHARED_NAMES.eppMetricsReaderClusterRole}-a-r → ${SHARED_NAMES.eppMetricsReaderClusterRole}: ` +
            `a-r/epp-metrics-reader`,
        ],
      );
      assert.equal(
        resources.filter((r) => r.type.startsWith("kubernetes:") && !r.type.endsWith("ClusterRoleBinding")).length,
        0,
        "nothing shared",
      );
    },
  );

  it("declares every config key with the program's default", () => {
    const project = YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, "cluster", "Pulumi.yaml"), "utf8"));
    assert.equal(project.name, "inference-bench-cluster");
    assert.ok(fs.existsSync(path.join(PROJECT_ROOT, "cluster", project.main)));
    for (const [key, value] of Object.entries(INFRASTRUCTURE_SETTING_DEFAULTS)) {
      assert.equal(project.config[key]?.type, typeof value, key);
      assert.deepEqual(project.config[key].default, value, key);
    }
    assert.deepEqual(Object.keys(project.config).sort(), Object.keys(INFRASTRUCTURE_SETTING_DEFAULTS).sort());
  });
});
