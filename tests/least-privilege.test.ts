// What every benchmark deploys holds only what it needs: containers without privilege
// escalation, capabilities or an unconfined seccomp profile; no API token where nothing calls the
// API; the Hugging Face token only where something downloads from the hub. Plus the objects that
// must exist in order (a token Secret after its ServiceAccount), and what a run's settings or the
// cluster lack for managed Prometheus.
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { Benchmark } from "../components/benchmark";
import { loadCatalogs, resolveCatalogText } from "../lib/catalog/catalog";
import {
  infrastructureNeeds,
  missingInfrastructure,
  POD_MONITORING_CRD,
  settingsWarnings,
} from "../lib/infrastructure/check";
import { buildBenchmark, type K8sObject, NAMES } from "../lib/manifests";
import { LEAST_PRIVILEGE, prerequisitesOf } from "../lib/manifests/common";
import { FakeKube } from "./fake-kube";
import { PROJECT_ROOT, sharedDir } from "./helpers";
import { setMocksWithHooks } from "./pulumi-mocks";
import { podMonitoringCrd, sharedInfrastructure } from "./shared-infrastructure";
import { ObjectValidator } from "./validators";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const runtimeSettings = require("@pulumi/pulumi/runtime/settings");

const RUN = "lp000001";
/** Every flavour, both load generators, vLLM and the simulator. */
const CATALOG = `
benchmarks { name: "svc" config {
  model_server { image: "vllm/vllm-openai:v0.10.2" accelerator: "nvidia-l4" replicas: 1 vllm { model: "meta-llama/Llama-3.1-8B-Instruct" v1: "1" } }
  load_balancer { k8s_service {} }
  benchmark_tool { image: "lpg:v1" lpg { request_rates: "1" } } } }
benchmarks { name: "v1" base_benchmark_name: "svc" config { load_balancer { gateway { envoy { epp {} } } } benchmark_tool { lpg { request_rates: "1" } } } }
benchmarks { name: "seed" base_benchmark_name: "svc" config { load_balancer { gateway { inference_api: V1ALPHA2 envoy { epp {} } } } benchmark_tool { lpg { request_rates: "1" } } } }
benchmarks { name: "rr" base_benchmark_name: "svc" config { load_balancer { gateway { envoy { lb_policy: "RoundRobin" } } } benchmark_tool { lpg { request_rates: "1" } } } }
benchmarks { name: "gke" base_benchmark_name: "svc" config { load_balancer { gateway { gke_gateway { epp {} } } } benchmark_tool { inference_perf { request_rates: "1" } } } }
benchmarks { name: "sim" config { model_server { sim { model: "m" } replicas: 1 } load_balancer { gateway { envoy { epp {} } } } benchmark_tool { image: "lpg:v1" lpg { request_rates: "1" } } } }
`;
const BENCHMARKS = [...resolveCatalogText(CATALOG, "c.pbtxt"), ...loadCatalogs([path.join(PROJECT_ROOT, "catalog")])];
const built = (name: string, gcpProject?: string) =>
  buildBenchmark(BENCHMARKS.find((b) => b.name === name)!, { runId: RUN, gcpProject });
const objectsOf = (b: (typeof BENCHMARKS)[number], gcpProject?: string): K8sObject[] =>
  Object.values(buildBenchmark(b, { runId: RUN, gcpProject }).manifests).flat();
const podsOf = (objects: K8sObject[]) =>
  objects
    .filter((o) => o.kind === "Deployment" || o.kind === "Job")
    .map((o) => ({ object: o, pod: (o as any).spec.template.spec }));

describe("least privilege: every container we create", () => {
  it(
    "drops every capability, forbids privilege escalation and keeps the runtime's seccomp filter, " +
      "init containers included",
    async function () {
      const validator = new ObjectValidator(path.join(sharedDir(this), "schemas", "crds"));
      let containers = 0;
      for (const benchmark of BENCHMARKS) {
        for (const gcp of [undefined, "my-project"]) {
          for (const { object, pod } of podsOf(objectsOf(benchmark, gcp))) {
            assert.deepEqual(await validator.problems(object), [], "kubernetes-models accepts the pod templates");
            for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
              containers++;
              assert.deepEqual(
                container.securityContext,
                LEAST_PRIVILEGE,
                `${benchmark.name} ${object.metadata.name}/${container.name}`,
              );
            }
          }
        }
      }
      assert.ok(containers > 50);
    },
  );

  it("mounts no API token in model-server pods, keeps it where the API is called (picker, readiness check)", () => {
    for (const benchmark of BENCHMARKS) {
      for (const { object, pod } of podsOf(objectsOf(benchmark))) {
        const callsApi = object.metadata.name === NAMES.epp || object.metadata.name === NAMES.loadGenerator;
        assert.equal(
          pod.automountServiceAccountToken,
          callsApi ? undefined : false,
          `${benchmark.name} ${object.metadata.name}`,
        );
      }
    }
  });

  it(
    "gives the Hugging Face token only to what downloads from the hub: vLLM (weights) and the load " +
      "generator (tokenizer)",
    () => {
      const holders = new Set<string>();
      for (const benchmark of BENCHMARKS) {
        for (const { object, pod } of podsOf(objectsOf(benchmark, "p"))) {
          for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
            const env = JSON.stringify(container.env ?? []);
            if (env.includes(`"name":"${NAMES.hfSecret}"`))
              holders.add(`${benchmark.modelServer}:${object.metadata.name}/${container.name}`);
          }
        }
      }
      assert.deepEqual([...holders].sort(), [
        `sim:${NAMES.loadGenerator}/${NAMES.loadGenerator}`,
        `vllm:${NAMES.loadGenerator}/${NAMES.loadGenerator}`,
        `vllm:${NAMES.modelServer}/${NAMES.modelServerContainer}`,
      ]);
    },
  );

  it("gives vLLM (root, no USER in its image) a volume for every cache it writes", () => {
    const deployment = built("svc").manifests["model-server"].find((o) => o.kind === "Deployment") as any;
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];
    const emptyDirs = new Set(pod.volumes.filter((v: any) => v.emptyDir).map((v: any) => v.name));
    const mounted = (file: string) =>
      container.volumeMounts.some(
        (m: any) => emptyDirs.has(m.name) && (file === m.mountPath || file.startsWith(`${m.mountPath}/`)),
      );
    // vllm/envs.py: VLLM_CACHE_ROOT = $XDG_CACHE_HOME/vllm, VLLM_CONFIG_ROOT = $XDG_CONFIG_HOME/vllm;
    // huggingface_hub constants.py HF_HOME; Triton TRITON_CACHE_DIR; tempfile.gettempdir() is /tmp.
    const env = Object.fromEntries(
      container.env.filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]),
    );
    for (const name of ["XDG_CACHE_HOME", "XDG_CONFIG_HOME", "HF_HOME", "TRITON_CACHE_DIR"]) {
      assert.ok(env[name] && mounted(env[name]), `${name}=${env[name]} is on a volume`);
    }
    assert.ok(mounted("/tmp") && mounted("/dev/shm"));
  });
});

describe("objects that need others first", () => {
  it("declares the picker's metrics token Secret after its ServiceAccount", async () => {
    const part = built("v1", "my-project").manifests["load-balancer"];
    const token = part.find((o) => o.kind === "Secret" && o.metadata.name === NAMES.eppMetricsToken)!;
    assert.deepEqual(
      prerequisitesOf(token, part).map((o) => `${o.kind}/${o.metadata.name}`),
      [`ServiceAccount/${NAMES.eppMetricsReader}`],
    );
    assert.ok(part.indexOf(prerequisitesOf(token, part)[0]) < part.indexOf(token));
    assert.deepEqual(
      part.filter((o) => o !== token).flatMap((o) => prerequisitesOf(o, part)),
      [],
      "nothing else waits inside a part",
    );

    await setMocksWithHooks(
      { newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }), call: (args) => args.inputs },
      "inference-bench",
      RUN,
      false,
    );
    const registered: Array<{ name: string; urn: string; dependencies: string[] }> = [];
    const monitor = runtimeSettings.getMonitor();
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (request: any, callback: (error: Error | null, response: any) => void) =>
      register(request, (error: Error | null, response: any) => {
        if (!error)
          registered.push({
            name: request.getName(),
            urn: response.getUrn(),
            dependencies: request.getDependenciesList(),
          });
        callback(error, response);
      });
    new Benchmark("v1", { built: built("v1", "my-project"), snapshotDir: "/tmp/unused" });
    await runtimeSettings.waitForRPCs();
    const named = (name: string) => registered.find((r) => r.name === name)!;
    const secret = named(`v1-secret-${NAMES.eppMetricsToken}`);
    assert.ok(
      secret.dependencies.includes(named(`v1-serviceaccount-${NAMES.eppMetricsReader}`).urn),
      "the token controller would delete a token Secret created before its ServiceAccount",
    );
  });
});

describe("managed Prometheus: settings and the preflight", () => {
  it("warns that the pickers' metrics are refused when prerequisites is false with a GCP project", () => {
    const pickers = BENCHMARKS.filter((b) => ["v1", "gke", "svc"].includes(b.name));
    assert.match(
      settingsWarnings({ prerequisites: false, gcpProject: "p" }, pickers).join(),
      /^prerequisites is false, .*2 benchmark\(s\)' metrics token .*--metrics-endpoint-auth.*refused/,
    );
    assert.deepEqual(settingsWarnings({ prerequisites: true, gcpProject: "p" }, pickers), []);
    assert.deepEqual(settingsWarnings({ prerequisites: false }, pickers), []);
    assert.deepEqual(
      settingsWarnings(
        { prerequisites: false, gcpProject: "p" },
        BENCHMARKS.filter((b) => b.name === "svc"),
      ),
      [],
      "no picker, nothing refused",
    );
  });

  it(
    "looks for the PodMonitoring CRD when a run has a GCP project, and names it when the cluster " + "lacks it",
    async () => {
      const svc = BENCHMARKS.filter((b) => b.name === "svc");
      assert.deepEqual(infrastructureNeeds(svc, { gcp: false }).crds, []);
      assert.deepEqual(infrastructureNeeds(svc, { gcp: true }).crds, [POD_MONITORING_CRD]);
      const kube = new FakeKube();
      const config = await kube.start();
      try {
        for (const object of sharedInfrastructure().filter((o) => o.metadata.name !== podMonitoringCrd().metadata.name))
          kube.setObject(object);
        const needs = infrastructureNeeds(BENCHMARKS, { gcp: true });
        assert.deepEqual(await missingInfrastructure(config, needs), [`CRD ${POD_MONITORING_CRD.name}`]);
        kube.setObject(podMonitoringCrd());
        assert.deepEqual(await missingInfrastructure(config, needs), []);
      } finally {
        await kube.stop();
      }
    },
  );
});
