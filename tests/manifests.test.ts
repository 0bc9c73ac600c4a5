import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import YAML from "yaml";
import { catalogFiles, loadCatalogs, resolveCatalogText } from "../lib/catalog/catalog";
import { buildBenchmark, type K8sObject, LABELS, NAMES } from "../lib/manifests";
import { prepareRun } from "../lib/plan/prepare";
import { writeSnapshots } from "../lib/snapshot/snapshot";
import { PROJECT_ROOT, runCli, sharedDir, tempDir } from "./helpers";
import { ObjectValidator } from "./validators";

const RUN = "t3st0001";
const CATALOG_DIR = path.join(PROJECT_ROOT, "catalog");

function allObjects(built: ReturnType<typeof buildBenchmark>): K8sObject[] {
  return Object.values(built.manifests).flat();
}

function find(objects: K8sObject[], kind: string, name?: string): any {
  const found = objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  assert.ok(found, `no ${kind} ${name ?? ""}`);
  return found;
}

/** An unseen catalog covering every flavour, written the way a user would. */
const FLAVOURS = `
benchmarks { name: "svc" config {
  model_server { image: "vllm/vllm-openai:v0.9.0" accelerator: "nvidia-l4" replicas: 2 vllm { tensor_parallelism: "2" model: "meta-llama/Llama-2-7b-hf" max_loras: "4" lora_rank: "8" } }
  load_balancer { k8s_service {} }
  benchmark_tool { image: "lpg:v1" lpg { port: "9000" } } } }
benchmarks { name: "epp" base_benchmark_name: "svc" config { load_balancer { gateway { envoy { epp { image: "epp:v1.5.0" } } } } } }
benchmarks { name: "epp-old" base_benchmark_name: "svc" config { model_server { vllm { lora_adapters: "Tweet_Summary=vineetsharma/qlora-adapter-Llama-2-7b-hf-TweetSumm" } } load_balancer { gateway { inference_api: V1ALPHA2 full_duplex_streaming_enabled: true envoy { epp { image: "epp:v0.3.0" } } } } benchmark_tool { lpg { models: "meta-llama/Llama-2-7b-hf,Tweet_Summary" } } } }
benchmarks { name: "epp-old-nostream" base_benchmark_name: "epp-old" config { load_balancer { gateway { full_duplex_streaming_enabled: false } } } }
benchmarks { name: "rr" base_benchmark_name: "svc" config { load_balancer { gateway { envoy { lb_policy: "ConsistentHash" } } } } }
benchmarks { name: "gke" base_benchmark_name: "svc" config { load_balancer { gateway { gke_gateway { epp { image: "epp:v1.5.0" } } } } } }
benchmarks { name: "sim" config { model_server { sim { model: "m" } replicas: 1 } load_balancer { k8s_service {} } benchmark_tool { lpg { request_rates: "1" } } } }
`;

function flavours(gcpProject?: string) {
  return Object.fromEntries(
    resolveCatalogText(FLAVOURS, "flavours.pbtxt").map((b) => [b.name, buildBenchmark(b, { runId: RUN, gcpProject })]),
  );
}

describe("manifests: validity", () => {
  it(
    "every object of every benchmark in catalog/ and of each flavour validates (CRDs from " +
      "../shared, core kinds with kubernetes-models)",
    async function () {
      this.timeout(120_000);
      const validator = new ObjectValidator(path.join(sharedDir(this), "schemas", "crds"));
      const benchmarks = [...loadCatalogs([CATALOG_DIR]), ...resolveCatalogText(FLAVOURS, "flavours.pbtxt")];
      assert.ok(catalogFiles([CATALOG_DIR]).length >= 4);
      const problems: string[] = [];
      const kinds = new Set<string>();
      for (const benchmark of benchmarks) {
        for (const gcpProject of [undefined, "my-project"]) {
          for (const object of allObjects(buildBenchmark(benchmark, { runId: RUN, gcpProject }))) {
            kinds.add(`${object.apiVersion}/${object.kind}`);
            problems.push(...(await validator.problems(object)).map((p) => `${benchmark.name}: ${p}`));
          }
        }
      }
      assert.deepEqual(problems, []);
      for (const kind of [
        "inference.networking.k8s.io/v1/InferencePool",
        "inference.networking.x-k8s.io/v1alpha2/InferencePool",
        "inference.networking.x-k8s.io/v1alpha2/InferenceModel",
        "gateway.networking.k8s.io/v1/Gateway",
        "gateway.networking.k8s.io/v1/HTTPRoute",
        "gateway.envoyproxy.io/v1alpha1/EnvoyPatchPolicy",
        "gateway.envoyproxy.io/v1alpha1/EnvoyExtensionPolicy",
        "gateway.envoyproxy.io/v1alpha1/Backend",
        "gateway.envoyproxy.io/v1alpha1/BackendTrafficPolicy",
        "monitoring.googleapis.com/v1/PodMonitoring",
        "batch/v1/Job",
        "apps/v1/Deployment",
      ]) {
        assert.ok(kinds.has(kind), `the catalogs exercise ${kind}`);
      }
      for (const kind of [
        "networking.gke.io/v1/HealthCheckPolicy",
        "networking.gke.io/v1/GCPBackendPolicy",
        "gateway.envoyproxy.io/v1alpha1/EnvoyProxy",
      ]) {
        assert.ok(kinds.has(kind), `the catalogs exercise ${kind}, validated against its real CRD`);
      }
    },
  );

  it("the validator catches a field the CRD does not declare and a wrong type", async function () {
    const validator = new ObjectValidator(path.join(sharedDir(this), "schemas", "crds"));
    const pool = structuredClone(find(allObjects(flavours().epp), "InferencePool"));
    pool.spec.targetPortNumber = 8000;
    assert.match((await validator.problems(pool)).join(), /must NOT have additional properties \(targetPortNumber\)/);
    const job = structuredClone(find(allObjects(flavours().svc), "Job"));
    job.spec.backoffLimit = "zero";
    assert.notDeepEqual(await validator.problems(job), []);
  });
});

describe("manifests: what each part deploys", () => {
  it("puts every object in the benchmark's namespace with labels that select a run or a benchmark", () => {
    for (const [name, built] of Object.entries(flavours("p"))) {
      const namespace = `${name}-${RUN}`;
      assert.equal(built.namespace, namespace);
      for (const object of allObjects(built)) {
        if (object.kind !== "Namespace")
          assert.equal(object.metadata.namespace, namespace, `${object.kind} ${object.metadata.name}`);
        else assert.equal(object.metadata.name, namespace);
        assert.equal(object.metadata.labels?.[LABELS.partOf], "inference-bench");
        assert.equal(object.metadata.labels?.[LABELS.runId], RUN);
        assert.equal(object.metadata.labels?.[LABELS.benchmark], name);
      }
    }
  });

  it(
    "runs vLLM with GPUs = tensor parallelism, the accelerator selector, probes, /dev/shm and the " +
      "token by reference",
    () => {
      const objects = allObjects(flavours().svc);
      const deployment = find(objects, "Deployment", NAMES.modelServer);
      assert.equal(deployment.spec.replicas, 2);
      const pod = deployment.spec.template.spec;
      assert.deepEqual(pod.nodeSelector, { "cloud.google.com/gke-accelerator": "nvidia-l4" });
      const container = pod.containers[0];
      assert.deepEqual(container.resources.limits, { "nvidia.com/gpu": "2" });
      assert.ok(
        container.args
          .join(" ")
          .includes(
            "--tensor-parallel-size 2 --model meta-llama/Llama-2-7b-hf --enable-lora --max-loras 4 --max-lora-rank 8",
          ),
      );
      // A slow model load is covered by the startup probe (60 minutes), never by liveness restarts.
      assert.equal(container.startupProbe.periodSeconds * container.startupProbe.failureThreshold, 3600);
      assert.equal(container.livenessProbe.httpGet.path, "/health");
      assert.deepEqual(pod.volumes.find((v: any) => v.name === "shm").emptyDir, { medium: "Memory" });
      assert.deepEqual(container.env.find((e: any) => e.name === "HUGGING_FACE_HUB_TOKEN").valueFrom, {
        secretKeyRef: { name: "hf-token", key: "token", optional: true },
      });
      assert.equal(container.env.find((e: any) => e.name === "VLLM_USE_V1").value, "0");
    },
  );

  it("runs the simulator with no GPU and no accelerator selector", () => {
    const pod = find(allObjects(flavours().sim), "Deployment", NAMES.modelServer).spec.template.spec;
    assert.equal(pod.nodeSelector, undefined);
    assert.ok(!JSON.stringify(pod).includes("nvidia.com/gpu"));
    assert.ok(pod.containers[0].image.startsWith("ghcr.io/llm-d/llm-d-inference-sim:"));
    assert.ok(pod.containers[0].args.includes("--time-to-first-token"));
  });

  it("adds a PodMonitoring and Workload Identity only with a GCP project", () => {
    assert.ok(!allObjects(flavours().svc).some((o) => o.kind === "PodMonitoring"));
    const objects = allObjects(flavours("proj").svc);
    assert.equal(find(objects, "PodMonitoring").spec.endpoints[0].port, 8000);
    // Workload Identity Federation grants the role to this account itself: no annotation naming a Google
    // service account.
    assert.equal(find(objects, "ServiceAccount", NAMES.loadGenerator).metadata.annotations, undefined);
    const env = find(objects, "Job").spec.template.spec.containers[0].env;
    assert.equal(env.find((e: any) => e.name === "SCRAPE_SERVER_METRICS").value, "true");
  });

  it("targets the Service's DNS name for k8s_service, on the benchmark's port", () => {
    const built = flavours().svc;
    assert.equal(built.target, `model-server-service.svc-${RUN}.svc.cluster.local`);
    assert.equal(built.benchmark.config!.benchmark_tool!.lpg!.ip, built.target);
    assert.equal(built.benchmark.config!.namespace, `svc-${RUN}`);
    const service = find(allObjects(built), "Service", NAMES.service);
    assert.deepEqual(service.spec.ports[0], { name: "http", port: 9000, targetPort: 8000, protocol: "TCP" });
    const job = find(allObjects(built), "Job");
    const readiness = JSON.parse(job.spec.template.spec.initContainers[0].env[0].value);
    assert.equal(readiness.host, built.target, "the readiness probe goes through the Service the load generator uses");
    const env = Object.fromEntries(
      job.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]),
    );
    assert.equal(env.IP, built.target);
    assert.equal(env.PORT, "9000");
    assert.equal(env.BACKEND, "vllm");
    assert.equal(env.PM_NAMESPACE, `svc-${RUN}`);
    assert.deepEqual(env.HF_TOKEN, { secretKeyRef: { name: "hf-token", key: "token", optional: true } });
    assert.equal(job.spec.backoffLimit, 0);
  });

  it(
    "today's flavour: v1 InferencePool with endpointPickerRef, HTTPRoute to the pool, v1.5 picker " +
      "flags, namespaced Role",
    () => {
      const objects = allObjects(flavours().epp);
      const pool = find(objects, "InferencePool");
      assert.equal(pool.apiVersion, "inference.networking.k8s.io/v1");
      assert.deepEqual(pool.spec.endpointPickerRef.port, { number: 9002 });
      assert.deepEqual(find(objects, "HTTPRoute").spec.rules[0].backendRefs, [
        { group: "inference.networking.k8s.io", kind: "InferencePool", name: NAMES.pool },
      ]);
      const args = find(objects, "Deployment", NAMES.epp).spec.template.spec.containers[0].args;
      assert.ok(
        args.includes(`--pool-namespace=epp-${RUN}`) && args.includes("--pool-group=inference.networking.k8s.io"),
      );
      assert.ok(find(objects, "Role", NAMES.eppRole).rules.some((r: any) => r.resources.includes("inferencepools")));
      assert.ok(!objects.some((o) => o.kind === "EnvoyPatchPolicy" || o.kind === "InferenceModel"));
      const job = find(objects, "Job").spec.template.spec;
      assert.equal(job.initContainers[0].name, "readiness");
      assert.ok(
        !job.containers[0].env.some((e: any) => e.name === "IP"),
        "the gateway's address is resolved at run time",
      );
    },
  );

  it(
    "the seed's flavour: v1alpha2 pool and models, extension and patch policies, the full-duplex " +
      "patch only when streaming",
    () => {
      const objects = allObjects(flavours()["epp-old"]);
      assert.equal(find(objects, "InferencePool").apiVersion, "inference.networking.x-k8s.io/v1alpha2");
      assert.deepEqual(
        objects.filter((o) => o.kind === "InferenceModel").map((o: any) => o.spec.modelName),
        ["meta-llama/Llama-2-7b-hf", "Tweet_Summary"],
      );
      assert.equal(find(objects, "InferenceModel", "tweet-summary").spec.criticality, "Critical");
      const patches = (on: K8sObject[]) =>
        find(on, "EnvoyPatchPolicy").spec.jsonPatches.map((p: any) => p.type.split(".").pop());
      assert.deepEqual(patches(objects), [
        "Cluster",
        "Cluster",
        "RouteConfiguration",
        "Listener",
        "Listener",
        "Listener",
        "Listener",
        "Listener",
      ]);
      assert.deepEqual(patches(allObjects(flavours()["epp-old-nostream"])), [
        "Cluster",
        "Cluster",
        "RouteConfiguration",
      ]);
      assert.equal(
        find(objects, "Deployment", NAMES.epp).spec.template.spec.containers[0].env.find(
          (e: any) => e.name === "USE_STREAMING",
        ).value,
        "true",
      );
      assert.ok(find(objects, "EnvoyExtensionPolicy").spec.extProc[0].backendRefs[0].name === NAMES.eppService);
    },
  );

  it("gateway.envoy.lb_policy: a BackendTrafficPolicy with that policy in front of the Service", () => {
    const objects = allObjects(flavours().rr);
    assert.deepEqual(find(objects, "BackendTrafficPolicy").spec.loadBalancer, {
      type: "ConsistentHash",
      consistentHash: { type: "SourceIP" },
    });
    assert.equal(find(objects, "HTTPRoute").spec.rules[0].backendRefs[0].name, NAMES.service);
  });

  it("gateway.gke_gateway.epp: GKE gateway class, HealthCheckPolicy and GCPBackendPolicy on the pool", () => {
    const objects = allObjects(flavours().gke);
    assert.equal(find(objects, "Gateway").spec.gatewayClassName, "gke-l7-rilb");
    assert.equal(find(objects, "HealthCheckPolicy").spec.targetRef.kind, "InferencePool");
    assert.equal(find(objects, "GCPBackendPolicy").spec.targetRef.name, NAMES.pool);
  });
});

describe("manifests: snapshots", () => {
  const prepare = (outputDir: string, runId = RUN, catalogs = [CATALOG_DIR]) =>
    prepareRun({ catalogs, runId, outputDir });

  it("writes benchmark.pbtxt and one YAML per part, read-only, byte-identical for the same catalog and run id", () => {
    const [a, b] = [tempDir(), tempDir()];
    writeSnapshots(
      prepare(a).flatMap((p) => p.files),
      false,
    );
    writeSnapshots(
      prepare(b).flatMap((p) => p.files),
      false,
    );
    const dir = path.join(a, RUN, `r8-svc-vllmv1-${RUN}`);
    assert.deepEqual(fs.readdirSync(path.join(dir, "manifests")).sort(), [
      "load-balancer.yaml",
      "load-generator.yaml",
      "model-server.yaml",
      "namespace.yaml",
    ]);
    const files = (root: string) =>
      fs
        .readdirSync(root, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
        .sort();
    assert.deepEqual(files(a), files(b));
    for (const file of files(a)) {
      assert.ok(fs.readFileSync(path.join(a, file)).equals(fs.readFileSync(path.join(b, file))), file);
      assert.equal(fs.statSync(path.join(a, file)).mode & 0o222, 0, `${file} is read-only`);
    }
    const docs = YAML.parseAllDocuments(fs.readFileSync(path.join(dir, "manifests", "model-server.yaml"), "utf8")).map(
      (d) => d.toJS(),
    );
    assert.deepEqual(
      docs,
      prepare(a).find((p) => p.resolved.name === "r8-svc-vllmv1")!.built.manifests["model-server"],
    );
    assert.match(
      fs.readFileSync(path.join(dir, "benchmark.pbtxt"), "utf8"),
      new RegExp(`namespace: "r8-svc-vllmv1-${RUN}"`),
    );
  });

  it("never changes an existing snapshot without override, and fails before writing anything", () => {
    const out = tempDir();
    writeSnapshots(
      prepare(out).flatMap((p) => p.files),
      false,
    );
    assert.deepEqual(
      writeSnapshots(
        prepare(out).flatMap((p) => p.files),
        false,
      ).written,
      [],
      "rerunning the same run changes nothing",
    );
    const changedCatalog = path.join(tempDir(), "c.pbtxt");
    fs.writeFileSync(
      changedCatalog,
      fs.readFileSync(path.join(CATALOG_DIR, "sim.pbtxt"), "utf8").replace('"5,10,20"', '"5,10,40"'),
    );
    const fresh = path.join(tempDir(), "only-new.pbtxt");
    fs.writeFileSync(fresh, fs.readFileSync(path.join(CATALOG_DIR, "sim.pbtxt"), "utf8").replaceAll("sim-", "fresh-"));
    const files = prepare(out, RUN, [fresh, changedCatalog]).flatMap((p) => p.files);
    assert.throws(
      () => writeSnapshots(files, false),
      /sim-svc-t3st0001\/benchmark\.pbtxt: the snapshot of this run already exists with different content.*--override/,
    );
    assert.ok(!fs.existsSync(path.join(out, RUN, `fresh-svc-${RUN}`)), "nothing was written for any benchmark");
    const report = writeSnapshots(files, true);
    assert.ok(report.written.some((f) => f.endsWith(`sim-svc-${RUN}/manifests/load-generator.yaml`)));
    assert.match(
      fs.readFileSync(path.join(out, RUN, `sim-svc-${RUN}`, "manifests", "load-generator.yaml"), "utf8"),
      /5,10,40/,
    );
  });

  it("never puts a secret in a snapshot: the token is only ever a secretKeyRef", () => {
    for (const built of Object.values(flavours("p"))) {
      const objects = allObjects(built);
      // The only Secret is the picker's metrics token, which the token controller fills in the cluster.
      assert.ok(
        objects
          .filter((o) => o.kind === "Secret")
          .every((o: any) => o.type === "kubernetes.io/service-account-token" && !o.data && !o.stringData),
      );
      const envs = JSON.stringify(objects).match(/"name":"(HF_TOKEN|HUGGING_FACE_HUB_TOKEN)","value":/g);
      assert.equal(envs, null);
    }
  });
});

describe("manifests CLI", () => {
  it("generates and prints an 8-hex run id, warns about mutable images, and refuses to change a snapshot", () => {
    const out = tempDir();
    const first = runCli("manifests", ["--catalog", "catalog/base-model.pbtxt", "--output", out]);
    assert.equal(first.status, 0, first.stderr);
    const runId = /^run id: ([0-9a-f]{8})$/m.exec(first.stdout)?.[1];
    assert.ok(runId, first.stdout);
    assert.ok(fs.existsSync(path.join(out, runId, `r8-epp-vllmv1-${runId}`, "manifests", "load-balancer.yaml")));
    assert.match(
      first.stderr,
      /warning: 2 benchmarks \(r8-epp-vllmv1, r8-epp-no-streaming-vllmv1\): endpoint picker image ".*epp:main" is mutable/,
    );
    const again = runCli("manifests", [
      "--catalog",
      "catalog/base-model.pbtxt",
      "--output",
      out,
      "--run-id",
      runId,
      "--regex",
      "svc",
    ]);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /0 files written, 5 unchanged/);
    const changed = runCli("manifests", [
      "--catalog",
      "catalog/base-model.pbtxt",
      "--output",
      out,
      "--run-id",
      runId,
      "--gcp-project",
      "my-project",
    ]);
    assert.equal(changed.status, 1);
    assert.equal(changed.stdout, "");
    assert.match(changed.stderr, /^error: .*already exists with different content/m);
    const overridden = runCli("manifests", [
      "--catalog",
      "catalog/base-model.pbtxt",
      "--output",
      out,
      "--run-id",
      runId,
      "--gcp-project",
      "my-project",
      "--override",
    ]);
    assert.equal(overridden.status, 0, overridden.stderr);
    assert.match(
      fs.readFileSync(path.join(out, runId, `r8-svc-vllmv1-${runId}`, "manifests", "model-server.yaml"), "utf8"),
      /PodMonitoring/,
    );
  });

  it("rejects a run id that would make a namespace invalid", () => {
    const result = runCli("manifests", [
      "--catalog",
      "catalog/base-model.pbtxt",
      "--output",
      tempDir(),
      "--run-id",
      "Run_1",
    ]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /run id "Run_1" may hold only a-z, 0-9 and "-"/);
  });
});
