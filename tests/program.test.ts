import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import YAML from "yaml";
import { BENCHMARK_TYPE, legacyHookNames } from "../components/benchmark";
import { type RunOutputs, runProgram } from "../components/program";
import { defaultSettings, type RunSettings, SETTING_DEFAULTS } from "../components/settings";
import { FakeKube } from "./fake-kube";
import { PROJECT_ROOT, tempDir } from "./helpers";
import { setMocksWithHooks } from "./pulumi-mocks";
import { installSharedInfrastructure } from "./shared-infrastructure";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const runtimeSettings = require("@pulumi/pulumi/runtime/settings");

interface Registered {
  type: string;
  name: string;
  urn: string;
  parent: string;
  dependencies: string[];
  inputs: Record<string, any>;
  hooks: Record<string, string[]>;
  retainOnDelete: boolean;
  deletedWith: string;
  customTimeouts?: { create: string; delete: string };
}

interface Run {
  outputs: RunOutputs;
  resources: Registered[];
  hookNames: string[];
  byType(type: string): Registered[];
  one(type: string, name: string): Registered;
}

const SECRET_TOKEN = "hf_SECRET_never_on_disk_0123456789";
/** The cluster the program talks to when it collects at program time: a fake API server. */
const kube = new FakeKube();
let kubeconfig = "";
before(async () => {
  kubeconfig = (await kube.start()).exportConfig();
});
after(() => kube.stop());
afterEach(() => kube.reset());
// The cluster has the shared infrastructure (cluster/), which every run checks for.
beforeEach(() => installSharedInfrastructure(kube));

function settings(overrides: Partial<RunSettings>): RunSettings {
  return {
    ...defaultSettings("run-123"),
    catalogs: [path.join(PROJECT_ROOT, "catalog")],
    outputDir: tempDir("program-"),
    kubeconfig,
    ...overrides,
  };
}

/** Runs the program under Pulumi's mocks and records every registration as the engine would see it. */
async function run(overrides: Partial<RunSettings>, options: { preview?: boolean; stack?: string } = {}): Promise<Run> {
  const stack = overrides.runId ?? options.stack ?? "run-123";
  const resources: Registered[] = [];
  const inputsByUrnName = new Map<string, Record<string, any>>();
  const hookNames: string[] = [];
  await setMocksWithHooks(
    {
      newResource(args) {
        inputsByUrnName.set(`${args.type}::${args.name}`, args.inputs);
        const id =
          args.type === "gcp:monitoring/dashboard:Dashboard" ? "projects/123/dashboards/abc-def" : `${args.name}-id`;
        const state =
          args.type === "gcp:serviceaccount/account:Account"
            ? {
                ...args.inputs,
                email: `${args.inputs.accountId}@p.iam.gserviceaccount.com`,
                name: `projects/p/serviceAccounts/${args.inputs.accountId}`,
              }
            : args.inputs;
        return { id, state };
      },
      call: (args) =>
        args.token === "gcp:organizations/getProject:getProject"
          ? { ...args.inputs, number: "123456789012" }
          : args.inputs,
    },
    "inference-bench",
    stack,
    options.preview ?? false,
    (name) => hookNames.push(name),
  );
  const monitor = runtimeSettings.getMonitor();
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (request: any, callback: (error: Error | null, response: any) => void) => {
    register(request, (error: Error | null, response: any) => {
      if (!error) {
        const hooks = request.getHooks?.();
        const timeouts = request.getCustomtimeouts?.();
        resources.push({
          type: request.getType(),
          name: request.getName(),
          urn: response.getUrn(),
          parent: request.getParent(),
          dependencies: request.getDependenciesList(),
          inputs: {},
          hooks: hooks
            ? {
                afterCreate: hooks.getAfterCreateList(),
                afterUpdate: hooks.getAfterUpdateList(),
                beforeDelete: hooks.getBeforeDeleteList(),
              }
            : {},
          retainOnDelete: request.getRetainondelete?.() ?? false,
          deletedWith: request.getDeletedwith(),
          customTimeouts:
            timeouts?.getCreate() || timeouts?.getDelete()
              ? { create: timeouts.getCreate(), delete: timeouts.getDelete() }
              : undefined,
        });
      }
      callback(error, response);
    });
  };
  const outputs = await runProgram(settings({ runId: stack, ...overrides }));
  await runtimeSettings.waitForRPCs();
  for (const resource of resources) resource.inputs = inputsByUrnName.get(`${resource.type}::${resource.name}`) ?? {};
  return {
    outputs,
    resources,
    hookNames,
    byType: (type) => resources.filter((r) => r.type === type),
    one: (type, name) => {
      const found = resources.find((r) => r.type === type && r.name === name);
      assert.ok(found, `no ${type} ${name}; have ${resources.map((r) => `${r.type} ${r.name}`).join(", ")}`);
      return found;
    },
  };
}

function writeCatalog(text: string): string {
  const file = path.join(tempDir("catalog-"), "unseen.pbtxt");
  fs.writeFileSync(file, text);
  return file;
}

/** An unseen catalog: a deep chain, a oneof switch, an explicit false override, a sim benchmark. */
const UNSEEN = writeCatalog(`
benchmarks { name: "base" config {
  model_server { image: "vllm/vllm-openai:v0.9.2" accelerator: "nvidia-tesla-a100" replicas: 2 vllm { model: "meta-llama/Llama-2-7b-hf" tensor_parallelism: "2" } }
  load_balancer { gateway { full_duplex_streaming_enabled: true inference_api: V1ALPHA2 envoy { epp { image: "epp:v0.3.0" } } } }
  benchmark_tool { image: "lpg:v1" lpg { benchmark_time_seconds: "30" } } } }
benchmarks { name: "no-stream" base_benchmark_name: "base" config { load_balancer { gateway { full_duplex_streaming_enabled: false } } } }
benchmarks { name: "svc" base_benchmark_name: "no-stream" config { load_balancer { k8s_service {} } model_server { replicas: 1 } } }
benchmarks { name: "sim" config { model_server { sim { model: "m" } } load_balancer { k8s_service {} } benchmark_tool { lpg { request_rates: "1,2" } } } }
`);

describe("Pulumi program (mocks)", function () {
  this.timeout(60_000);

  it("declares one Benchmark per benchmark of an unseen catalog, with its children parented and ordered", async () => {
    const { resources, byType, one, hookNames, outputs } = await run({
      catalogs: [UNSEEN],
      hfToken: pulumi.secret(SECRET_TOKEN),
    });
    const components = byType(BENCHMARK_TYPE);
    assert.deepEqual(components.map((c) => c.name).sort(), ["base", "no-stream", "sim", "svc"]);
    const base = one(BENCHMARK_TYPE, "base");
    const children = resources.filter((r) => r.parent === base.urn);
    const kinds = children.map((c) => c.type).sort();
    for (const type of [
      "kubernetes:core/v1:Namespace",
      "kubernetes:apps/v1:Deployment",
      "kubernetes:batch/v1:Job",
      "kubernetes:core/v1:Secret",
      "kubernetes:inference.networking.x-k8s.io/v1alpha2:InferencePool",
      "kubernetes:inference.networking.x-k8s.io/v1alpha2:InferenceModel",
      "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyPatchPolicy",
      "kubernetes:gateway.networking.k8s.io/v1:Gateway",
    ]) {
      assert.ok(kinds.includes(type), `base has a ${type}`);
    }
    assert.ok(
      !kinds.some((t) => t.startsWith("kubernetes:apiextensions.k8s.io") || t === "kubernetes:v1:Namespace"),
      "core kinds use typed classes",
    );
    const namespace = one("kubernetes:core/v1:Namespace", "base-namespace-base-run-123");
    assert.equal(namespace.inputs.metadata.name, "base-run-123");
    const job = one("kubernetes:batch/v1:Job", "base-job-benchmark-tool");
    const deployment = one("kubernetes:apps/v1:Deployment", "base-deployment-model-server-deployment");
    const gateway = one("kubernetes:gateway.networking.k8s.io/v1:Gateway", "base-gateway-inference-gateway");
    assert.ok(
      job.dependencies.includes(deployment.urn) && job.dependencies.includes(gateway.urn),
      "the load generator waits for the model server and the gateway",
    );
    assert.ok(deployment.dependencies.includes(namespace.urn));
    assert.equal(deployment.customTimeouts?.create, "60m");
    // Teardown is the namespace's delete: the provider's 10-minute default would stop it half-way.
    assert.equal(namespace.customTimeouts?.delete, "30m");
    for (const child of children)
      assert.equal(child.inputs.metadata?.namespace ?? child.inputs.metadata?.name, "base-run-123", child.name);
    assert.deepEqual(job.hooks.afterCreate, ["results/collect-after-create"]);
    assert.deepEqual(job.hooks.beforeDelete, ["results/collect-before-delete"]);
    assert.deepEqual(
      hookNames.sort(),
      ["results/collect-after-create", "results/collect-after-update", "results/collect-before-delete"],
      "the same three names for every benchmark",
    );
    assert.ok(
      children.filter((c) => c.type !== "kubernetes:core/v1:Namespace").every((c) => c.deletedWith === namespace.urn),
      "teardown is one namespace delete",
    );
    // The deployed objects are the snapshot's objects.
    const snapshot = YAML.parseAllDocuments(
      fs.readFileSync(path.join(outputs.benchmarks.base.snapshot, "manifests", "load-generator.yaml"), "utf8"),
    ).map((d) => d.toJS());
    assert.deepEqual(job.inputs.spec, snapshot.find((o: any) => o.kind === "Job").spec);
    const svc = one(BENCHMARK_TYPE, "svc");
    assert.deepEqual(
      resources
        .filter((r) => r.parent === svc.urn)
        .map((r) => `${r.type} ${r.inputs.metadata?.name}`)
        .sort(),
      [
        "kubernetes:apps/v1:Deployment model-server-deployment",
        "kubernetes:batch/v1:Job benchmark-tool",
        "kubernetes:core/v1:ConfigMap benchmark-tool-script",
        "kubernetes:core/v1:Namespace svc-run-123",
        "kubernetes:core/v1:Secret hf-token",
        "kubernetes:core/v1:Service model-server-service",
        "kubernetes:core/v1:ServiceAccount benchmark-tool",
        "kubernetes:rbac.authorization.k8s.io/v1:Role pod-metrics-reader",
        "kubernetes:rbac.authorization.k8s.io/v1:Role readiness-reader",
        "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding pod-metrics-reader",
        "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding readiness-reader",
      ],
      "a k8s_service benchmark has exactly these children",
    );
    assert.equal(outputs.benchmarks.svc.target, "model-server-service.svc-run-123.svc.cluster.local");
    assert.deepEqual(outputs.declared.sort(), ["base", "no-stream", "sim", "svc"]);
  });

  it("registers the same hook names whatever it selects, and the earlier versions' before-delete names of every benchmark the stack names", async () => {
    // With per-benchmark names (`collect-${name}`, `collect-after-update-${name}`), "x" and
    // "after-update-x" collided; now no name depends on a benchmark, and "/" never occurs in one.
    const catalog = writeCatalog(
      ["x", "after-update-x", "collect-x"]
        .map(
          (name) =>
            `benchmarks { name: "${name}" config { model_server { sim { model: "m" } } load_balancer { k8s_service {} } benchmark_tool { lpg { request_rates: "1" } } } }`,
        )
        .join("\n"),
    );
    const { hookNames, outputs } = await run({ catalogs: [catalog], parallelism: 1 });
    assert.deepEqual(outputs.declared.length, 1);
    assert.deepEqual(hookNames.sort(), [
      "results/collect-after-create",
      "results/collect-after-update",
      "results/collect-before-delete",
    ]);
    assert.deepEqual(legacyHookNames("x"), ["x:collect-before-delete", "collect-before-delete-x"]);
  });

  it("declares the right components for every catalog under catalog/", async () => {
    const { byType, one } = await run({});
    assert.equal(byType(BENCHMARK_TYPE).length, 16);
    const prerequisites = one("inference-bench:index:Prerequisites", "prerequisites");
    assert.ok(prerequisites);
    // A run declares no shared object (cluster/ installs them), only its per-namespace bindings.
    for (const shared of [
      "kubernetes:yaml/v2:ConfigFile",
      "kubernetes:helm.sh/v3:Release",
      "kubernetes:gateway.networking.k8s.io/v1:GatewayClass",
      "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
      "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
    ]) {
      assert.equal(byType(shared).length, 0, shared);
    }
    assert.ok(byType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding").length >= 5);
    const gke = one(BENCHMARK_TYPE, "lb-gke-epp");
    assert.equal(
      one("kubernetes:core/v1:Namespace", "lb-gke-epp-namespace-lb-gke-epp-run-123").customTimeouts?.delete,
      "45m",
      "a GKE Gateway's controller deletes a load balancer first",
    );
    assert.ok(byType("kubernetes:networking.gke.io/v1:HealthCheckPolicy").some((r) => r.parent === gke.urn));
  });

  it("selects benchmarks with benchmarkNameRegex", async () => {
    const { byType, outputs } = await run({ benchmarkNameRegex: "^lb-envoy" });
    assert.deepEqual(
      byType(BENCHMARK_TYPE)
        .map((b) => b.name)
        .sort(),
      ["lb-envoy-epp", "lb-envoy-epp-v1alpha2", "lb-envoy-least-request"],
    );
    assert.deepEqual(Object.keys(outputs.benchmarks).sort(), [
      "lb-envoy-epp",
      "lb-envoy-epp-v1alpha2",
      "lb-envoy-least-request",
    ]);
  });

  it("in a dry run writes the snapshot and declares nothing", async () => {
    const outputDir = tempDir();
    const { resources, outputs } = await run({ dryRun: true, outputDir });
    assert.equal(resources.length, 0);
    assert.ok(fs.existsSync(path.join(outputDir, "run-123", "sim-svc-run-123", "manifests", "load-generator.yaml")));
    assert.equal(outputs.benchmarks["sim-svc"].status, "pending");
  });

  it("keeps the Hugging Face token secret: only in the Secret, never on disk", async () => {
    const outputDir = tempDir();
    const { resources } = await run({ catalogs: [UNSEEN], outputDir, hfToken: pulumi.secret(SECRET_TOKEN) });
    const holders = resources.filter((r) => JSON.stringify(r.inputs).includes(SECRET_TOKEN));
    assert.ok(
      holders.length > 0 && holders.every((r) => r.type === "kubernetes:core/v1:Secret"),
      holders.map((r) => r.type).join(),
    );
    const onDisk = fs
      .readdirSync(outputDir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => fs.readFileSync(path.join(e.parentPath, e.name), "utf8"));
    assert.ok(onDisk.length > 0 && onDisk.every((text) => !text.includes(SECRET_TOKEN)));
  });

  it("switches prerequisites and GCP on and off", async () => {
    const off = await run({ prerequisites: false });
    assert.equal(off.byType("inference-bench:index:Prerequisites").length, 0);
    assert.equal(off.byType("inference-bench:index:GcpMonitoring").length, 0);
    const on = await run({ catalogs: [UNSEEN], gcpProject: "my-proj", gcsBucket: "my-results" });
    assert.ok(on.one("inference-bench:index:GcpMonitoring", "gcp"));
    // The role goes to each namespace's Kubernetes service account principal: no Google service
    // account, nothing shared between runs (lib/gcp/identity.ts).
    const grants = on.byType("gcp:projects/iAMMember:IAMMember");
    assert.deepEqual(
      grants.map((m) => m.inputs.member).sort(),
      ["base", "no-stream", "sim", "svc"].map(
        (name) =>
          `principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/my-proj.svc.id.goog/subject/ns/${name}-run-123/sa/benchmark-tool`,
      ),
    );
    assert.ok(grants.every((m) => m.inputs.role === "roles/monitoring.viewer" && m.inputs.project === "my-proj"));
    assert.equal(
      on.byType("gcp:serviceaccount/account:Account").length + on.byType("gcp:storage/bucket:Bucket").length,
      0,
      "no project-wide account, no bucket in a run's stack",
    );
    assert.match(
      on.one("gcp:monitoring/dashboard:Dashboard", "gcp-dashboard").inputs.dashboardJson,
      /base-run-123\|no-stream-run-123/,
    );
    assert.ok(
      on.one(BENCHMARK_TYPE, "sim").dependencies.some((urn) => urn.includes("inference-bench:index:GcpMonitoring$")),
      "benchmarks wait for Workload Identity",
    );
    const sa = on.one("kubernetes:core/v1:ServiceAccount", "sim-serviceaccount-benchmark-tool");
    assert.equal(sa.inputs.metadata.annotations, undefined, "no Google service account to impersonate");
    const url = await new Promise((resolve) => on.outputs.dashboardUrl!.apply(resolve));
    assert.equal(url, "https://console.cloud.google.com/monitoring/dashboards/builder/abc-def?project=my-proj");
  });

  it("deploys within the GPU budget, and refuses one larger than the budget", async () => {
    const outputDir = tempDir();
    const first = await run({ outputDir, gpuBudget: 8, benchmarkNameRegex: "^(r8|lb-svc|sim)" });
    // Longest first: lb-svc (4 GPUs, ~48 min) leaves no room for an 8-GPU r8-*; the GPU-free sims fit.
    assert.deepEqual(first.outputs.declared.sort(), ["lb-svc", "sim-envoy-epp", "sim-svc"]);
    const gpus = first.outputs.declared.reduce(
      (sum, name) => sum + (name.startsWith("r8") ? 8 : name === "lb-svc" ? 4 : 0),
      0,
    );
    assert.ok(gpus <= 8, `declared ${first.outputs.declared} = ${gpus} GPUs`);
    await assert.rejects(
      run({ outputDir: tempDir(), gpuBudget: 4, benchmarkNameRegex: "^r8" }),
      /needs 8 GPUs, more than the GPU budget of 4.*nothing was deployed/,
    );
  });

  it("index.ts reads the stack's config, and the stack name is the run id", async () => {
    const outputDir = tempDir();
    await setMocksWithHooks(
      { newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }), call: (args) => args.inputs },
      "inference-bench",
      "run-777",
      false,
    );
    pulumi.runtime.setAllConfig({
      "inference-bench:catalog": path.join(PROJECT_ROOT, "catalog", "sim.pbtxt"),
      "inference-bench:dryRun": "true",
      "inference-bench:outputDir": outputDir,
      "inference-bench:benchmarkNameRegex": "svc",
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const main = require("../index") as () => Promise<RunOutputs>;
    const outputs = await main();
    assert.equal(outputs.runId, "run-777");
    assert.deepEqual(Object.keys(outputs.benchmarks), ["sim-svc"]);
    assert.ok(fs.existsSync(path.join(outputDir, "run-777", "sim-svc-run-777", "benchmark.pbtxt")));
    pulumi.runtime.setAllConfig({});
  });

  it("reports a catalog error as one line, with nothing declared", async () => {
    await assert.rejects(
      run({ catalogs: [writeCatalog('benchmarks { name: "x" nme: 1 }')] }),
      (error: Error) =>
        error instanceof pulumi.RunError && /unseen\.pbtxt:1:\d+: .*unknown field "nme"/.test(error.message),
    );
  });
});

describe("Pulumi.yaml and Pulumi.dev.yaml", () => {
  const project = YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), "utf8"));

  it("is a nodejs TypeScript project named inference-bench whose main exists", () => {
    assert.equal(project.name, "inference-bench");
    assert.equal(project.runtime.name, "nodejs");
    assert.equal(project.runtime.options.typescript, true);
    assert.ok(fs.existsSync(path.join(PROJECT_ROOT, project.main ?? "index.ts")));
  });

  it("declares every config key the program reads, with type, description and the program's default", () => {
    for (const [key, value] of Object.entries(SETTING_DEFAULTS)) {
      const declared = project.config[key];
      assert.ok(declared, `Pulumi.yaml declares ${key}`);
      assert.equal(declared.type, typeof value === "number" ? "integer" : typeof value, key);
      assert.deepEqual(declared.default, value, `${key}: Pulumi.yaml and components/settings.ts agree`);
      assert.ok(declared.description?.length > 10, key);
    }
  });

  it("gives every declared key a default unless the docs say it is required, and no secret key a default", () => {
    // A declared key without a default is required on every stack, used or not; a key declared
    // secret with a default fails validation on every stack that leaves it unset, because the
    // default is plain text (pulumi/pulumi@v3.259.0 pkg/workspace/config.go mergeConfig,
    // validateStackConfigValue; tests/lifecycle.test.ts shows both under the engine harness).
    // The config tables: the project's in docs/configuration.md, deployments/'s in docs/running.md.
    const docs = ["configuration.md", "running.md"].flatMap((doc) =>
      fs.readFileSync(path.join(PROJECT_ROOT, "docs", doc), "utf8").split("\n"),
    );
    const rowOf = (key: string) =>
      docs.find((line) => /^\s*\|/.test(line) && line.split("|")[1].includes(`\`${key}\``));
    const projects = {
      "Pulumi.yaml": project,
      "deployments/Pulumi.yaml": YAML.parse(
        fs.readFileSync(path.join(PROJECT_ROOT, "deployments", "Pulumi.yaml"), "utf8"),
      ),
    };
    for (const [file, declared] of Object.entries(projects)) {
      for (const [key, type] of Object.entries(
        declared.config as Record<string, { default?: unknown; value?: unknown; secret?: boolean }>,
      )) {
        const row = rowOf(key);
        assert.ok(row, `${file}: ${key} is in a config table of docs/configuration.md or docs/running.md`);
        const required = row.split("|")[2].trim() === "required";
        const hasDefault = type.default !== undefined || type.value !== undefined;
        assert.equal(
          required,
          !hasDefault,
          `${file}: ${key} ${hasDefault ? "has a default but the docs say it is required" : "has no default, so it is required on every stack: give it one, or say so in the docs"}`,
        );
        assert.ok(
          !(type.secret && hasDefault),
          `${file}: ${key} is secret with a default, which no stack without it can validate`,
        );
      }
    }
    assert.equal(project.config.hfToken.default, "", "hfToken is optional");
  });

  it("has a dev stack whose keys are declared and namespaced inference-bench:", () => {
    const dev = YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.dev.yaml"), "utf8"));
    for (const key of Object.keys(dev.config)) {
      const [namespace, name] = key.split(":");
      assert.equal(namespace, "inference-bench", key);
      assert.ok(project.config[name], `${key} is declared in Pulumi.yaml`);
    }
  });
});
