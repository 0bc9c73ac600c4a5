// The readiness check, run for real: the script the init container runs, with Debian's python3,
// against the fake API server (tests/fake-kube.ts) and a fake model endpoint. The conditions are
// the upstream ones: Gateway Programmed with an address (Envoy Gateway v1.8.1
// internal/gatewayapi/status/gateway.go UpdateGatewayStatusProgrammedCondition), HTTPRoute and
// InferencePool parent status Accepted=True and ResolvedRefs=True (GIE v1.5.0
// site-src/_includes/verify-status.md; Envoy Gateway without an extension manager answers
// ResolvedRefs=False/InvalidKind, internal/gatewayapi/validate.go), then a 200 through the target.

import * as assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { resolveCatalogText } from "../lib/catalog/catalog";
import { collectBenchmark } from "../lib/collect/collect";
import { parseReadinessLog, readReadiness } from "../lib/collect/readiness";
import { buildBenchmark, buildContext } from "../lib/manifests";
import {
  EPP_PROOF_HEADER,
  READINESS_CONTAINER,
  READINESS_MARKER,
  READINESS_SCRIPT,
  type ReadinessSpec,
  readinessSpec,
} from "../lib/manifests/readiness";
import type { ResultMetadata } from "../lib/results/record";
import { benchmarkPaths } from "../lib/snapshot/layout";
import { FakeKube, jobIn, pod } from "./fake-kube";
import { tempDir } from "./helpers";

const PYTHON = "/usr/bin/python3";
const RUN = "rdy00001";
const CATALOG = `
benchmarks { name: "svc" config {
  model_server { sim { model: "m" } replicas: 2 } load_balancer { k8s_service {} }
  benchmark_tool { image: "lpg:v1" lpg { request_rates: "1" } } } }
benchmarks { name: "epp" base_benchmark_name: "svc" config { load_balancer { gateway { envoy { epp { image: "registry.k8s.io/gateway-api-inference-extension/epp:v1.5.0" } } } } benchmark_tool { lpg { request_rates: "1" } } } }
`;
const BENCHMARKS = Object.fromEntries(resolveCatalogText(CATALOG, "readiness.pbtxt").map((b) => [b.name, b]));

function python(context: Mocha.Context): string {
  if (fs.existsSync(PYTHON)) return PYTHON;
  if (process.env.CI) throw new Error(`${PYTHON} is missing`);
  console.log(`      skipped: ${PYTHON} is missing`);
  context.skip();
}

/** A model endpoint on 127.0.0.1 that answers as `answer` says and records when each request came. */
class FakeModel {
  readonly requests: Array<{ at: number; path: string; body: any }> = [];
  answer: () => { status: number; headers?: Record<string, string> } = () => ({ status: 200 });
  private server?: http.Server;

  async start(): Promise<number> {
    this.server = http.createServer((request, response) => {
      let body = "";
      request.on("data", (chunk) => (body += chunk));
      request.on("end", () => {
        this.requests.push({ at: Date.now(), path: request.url!, body: JSON.parse(body || "{}") });
        const { status, headers } = this.answer();
        response.writeHead(status, { "content-type": "application/json", ...headers });
        response.end(JSON.stringify({ choices: [{ text: "!" }] }));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

interface Run {
  child: ChildProcess;
  done: Promise<{ status: number | null; stdout: string; stderr: string }>;
  addressFile: string;
}

const kube = new FakeKube();
const model = new FakeModel();
let port = 0;
let kubeConfig: KubeConfig;
before(async () => {
  kubeConfig = await kube.start();
  port = await model.start();
});
after(async () => {
  await kube.stop();
  await model.stop();
});
afterEach(() => {
  kube.reset();
  model.requests.length = 0;
  model.answer = () => ({ status: 200 });
});

/** The spec the benchmark's init container gets, pointed at the fakes, with a short deadline. */
function specFor(name: string, overrides: Partial<ReadinessSpec>): ReadinessSpec {
  const spec = readinessSpec(buildContext(BENCHMARKS[name], { runId: RUN }));
  return { ...spec, ...(spec.host ? { host: "127.0.0.1" } : {}), port, intervalSeconds: 0.1, ...overrides };
}

function runScript(spec: ReadinessSpec): Run {
  const dir = tempDir("readiness-");
  const tokenFile = path.join(dir, "token");
  fs.writeFileSync(tokenFile, "test-token\n");
  const addressFile = path.join(dir, "address");
  const script = path.join(dir, "readiness.py");
  fs.writeFileSync(script, READINESS_SCRIPT);
  const child = spawn(PYTHON, [script], {
    env: {
      PATH: process.env.PATH,
      READINESS_SPEC: JSON.stringify({ ...spec, addressFile }),
      KUBE_API: kube.url,
      KUBE_TOKEN_FILE: tokenFile,
    },
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const done = new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on("close", (status) => resolve({ status, stdout, stderr })),
  );
  return { child, done, addressFile };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ns = (name: string) => `${name}-${RUN}`;

function deployment(namespace: string, ready: number, replicas = 2) {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "model-server-deployment", namespace, generation: 1 },
    spec: { replicas },
    status: { observedGeneration: 1, readyReplicas: ready, updatedReplicas: ready },
  };
}
function gateway(namespace: string, programmed: boolean) {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    metadata: { name: "inference-gateway", namespace },
    status: programmed
      ? {
          addresses: [{ type: "IPAddress", value: "127.0.0.1" }],
          conditions: [{ type: "Programmed", status: "True", reason: "Programmed" }],
        }
      : { conditions: [{ type: "Programmed", status: "False", reason: "AddressNotAssigned" }] },
  };
}
function withParents(object: Record<string, any>, accepted: string, resolved: string, resolvedReason = "ResolvedRefs") {
  return {
    ...object,
    status: {
      parents: [
        {
          parentRef: { group: "gateway.networking.k8s.io", kind: "Gateway", name: "inference-gateway" },
          controllerName: "gateway.envoyproxy.io/gatewayclass-controller",
          conditions: [
            { type: "Accepted", status: accepted, reason: "Accepted" },
            { type: "ResolvedRefs", status: resolved, reason: resolvedReason },
          ],
        },
      ],
    },
  };
}
const route = (namespace: string) => ({
  apiVersion: "gateway.networking.k8s.io/v1",
  kind: "HTTPRoute",
  metadata: { name: "llm-route", namespace },
});
const pool = (namespace: string) => ({
  apiVersion: "inference.networking.k8s.io/v1",
  kind: "InferencePool",
  metadata: { name: "model-server-pool", namespace },
});

describe("readiness check (the real script, python3, fake API server and model endpoint)", function () {
  this.timeout(60_000);

  it(
    "never writes the address, nor sends a request, before every condition holds; then proves the " +
      "picker in the path",
    async function () {
      python(this);
      const namespace = ns("epp");
      model.answer = () => ({ status: 200, headers: { [EPP_PROOF_HEADER]: "true" } });
      kube.setObject(deployment(namespace, 1));
      kube.setObject(gateway(namespace, false));
      kube.setObject(route(namespace));
      kube.setObject(pool(namespace));
      const run = runScript(specFor("epp", { deadlineSeconds: 30 }));
      const steps: Array<() => void> = [
        () => kube.setObject(deployment(namespace, 2)),
        () => kube.setObject(gateway(namespace, true)),
        // Envoy Gateway without an extension manager listing InferencePool: the route is accepted but not resolved.
        () => kube.setObject(withParents(route(namespace), "True", "False", "InvalidKind")),
        () => kube.setObject(withParents(route(namespace), "True", "True")),
      ];
      for (const step of steps) {
        await sleep(400);
        assert.ok(!fs.existsSync(run.addressFile), "no address before every condition holds");
        assert.equal(model.requests.length, 0, "no request before every condition holds");
        step();
      }
      await sleep(400);
      assert.ok(!fs.existsSync(run.addressFile), "the pool's parent status is still missing");
      const allHeld = Date.now();
      kube.setObject(withParents(pool(namespace), "True", "True"));
      const { status, stdout, stderr } = await run.done;
      assert.equal(status, 0, stderr);
      assert.equal(fs.readFileSync(run.addressFile, "utf8"), "127.0.0.1");
      assert.ok(
        model.requests.length >= 1 && model.requests.every((r) => r.at >= allHeld),
        "the probe came after the last condition held",
      );
      assert.deepEqual(model.requests[0].body, { model: "m", prompt: "Hello", max_tokens: 1, temperature: 0 });
      assert.equal(model.requests[0].path, "/v1/completions");
      assert.match(stdout, /waiting for route-resolved-refs: Accepted=True\/Accepted, ResolvedRefs=False\/InvalidKind/);
      assert.ok(
        kube.authorizations.every((a) => a === "Bearer test-token"),
        "the ServiceAccount token authenticates every read",
      );
      const record = parseReadinessLog(stdout)!;
      assert.equal(record.ok, true);
      assert.equal(record.epp_in_path, true);
      assert.equal(record.epp_proof_header, "x-went-into-resp-headers");
      assert.equal(record.probe!.status, 200);
      assert.equal(record.target, `http://127.0.0.1:${port}/v1/completions`);
      assert.deepEqual(
        record.conditions.map((c) => c.name),
        [
          "model-server-ready",
          "gateway-programmed",
          "route-accepted",
          "route-resolved-refs",
          "pool-accepted",
          "pool-resolved-refs",
        ],
      );
      assert.ok(record.conditions.every((c) => c.held));
    },
  );

  it(
    "k8s_service: probes the Service address the load generator uses, retrying until it answers " +
      "200; no picker to prove",
    async function () {
      python(this);
      kube.setObject(deployment(ns("svc"), 2));
      let calls = 0;
      model.answer = () => ({ status: ++calls < 3 ? 503 : 200 });
      const spec = specFor("svc", { deadlineSeconds: 30 });
      assert.equal(spec.gateway, undefined);
      const run = runScript(spec);
      const { status, stdout, stderr } = await run.done;
      assert.equal(status, 0, stderr);
      assert.equal(model.requests.length, 3);
      assert.equal(fs.readFileSync(run.addressFile, "utf8"), "127.0.0.1");
      const record = parseReadinessLog(stdout)!;
      assert.equal(record.ok, true);
      assert.equal(record.epp_in_path, undefined);
      assert.match(stdout, /waiting for probe-200: .* answered 503/);
    },
  );

  it("fails after the deadline naming the condition that never held, with no address and no request", async function () {
    python(this);
    const namespace = ns("epp");
    kube.setObject(deployment(namespace, 2));
    kube.setObject(gateway(namespace, true));
    kube.setObject(withParents(route(namespace), "True", "False", "InvalidKind"));
    kube.setObject(withParents(pool(namespace), "True", "True"));
    const started = Date.now();
    const { status, stdout, stderr } = await runScript(specFor("epp", { deadlineSeconds: 2 })).done;
    assert.notEqual(status, 0);
    assert.ok(Date.now() - started >= 2000);
    assert.match(
      stderr,
      /^readiness: route-resolved-refs never held within 2 s \(.*ResolvedRefs=False\/InvalidKind\)/m,
    );
    assert.equal(model.requests.length, 0);
    const record = parseReadinessLog(stdout)!;
    assert.equal(record.ok, false);
    assert.equal(record.failed, "route-resolved-refs");
    assert.equal(record.epp_in_path, false);
  });

  it("fails on a path that never answers 200 even though every condition holds", async function () {
    python(this);
    kube.setObject(deployment(ns("svc"), 2));
    model.answer = () => ({ status: 500 });
    const run = runScript(specFor("svc", { deadlineSeconds: 2 }));
    const { status, stderr, stdout } = await run.done;
    assert.notEqual(status, 0);
    assert.match(stderr, /probe-200 never held within 2 s \(http:\/\/127\.0\.0\.1:\d+\/v1\/completions answered 500\)/);
    assert.ok(!fs.existsSync(run.addressFile));
    assert.equal(parseReadinessLog(stdout)!.probe!.status, 500);
  });

  it("fails on a Kubernetes API it cannot read, naming it", async function () {
    python(this);
    const { status, stderr } = await runScript(specFor("svc", { deadlineSeconds: 1 })).done;
    assert.notEqual(status, 0);
    assert.match(stderr, /kubernetes-api never held within 1 s \(HTTP Error 404/);
  });
});

describe("readiness record in results/metadata.json", function () {
  this.timeout(60_000);

  it(
    "the collector reads the readiness container's log (pods/log with the container name) into " + "metadata.readiness",
    async function () {
      python(this);
      kube.setObject(deployment(ns("svc"), 2));
      const { stdout } = await runScript(specFor("svc", { deadlineSeconds: 10 })).done;
      const namespace = ns("svc");
      kube.setJob(namespace, jobIn("failed"));
      kube.pods.set(namespace, [
        pod("benchmark-tool-x", { "job-name": "benchmark-tool" }, [["benchmark-tool", "lpg:v1", "lpg@sha256:1"]]),
      ]);
      kube.logs.set(`benchmark-tool-x/${READINESS_CONTAINER}`, stdout);
      assert.equal(((await readReadiness(kubeConfig, namespace, "benchmark-tool-x")) as any).ok, true);
      assert.ok(kube.requests.includes(`GET /api/v1/namespaces/${namespace}/pods/benchmark-tool-x/log`));

      const failed = `readiness: waiting for route-accepted\n${READINESS_MARKER} ${JSON.stringify({ ok: false, failed: "route-accepted", message: "route-accepted never held within 1800 s (no parent status for Gateway inference-gateway)", conditions: [], seconds: 1800, target: null })}\n`;
      kube.logs.set(`benchmark-tool-x/${READINESS_CONTAINER}`, failed);
      const paths = benchmarkPaths(tempDir(), RUN, "svc");
      const record = await collectBenchmark({
        kubeConfig,
        benchmark: BENCHMARKS.svc,
        runId: RUN,
        namespace,
        paths,
        timeoutSeconds: 5,
      });
      const metadata = JSON.parse(fs.readFileSync(paths.metadata, "utf8")) as ResultMetadata;
      assert.equal(metadata.readiness!.failed, "route-accepted");
      assert.ok(
        record.problems.some(
          (p) =>
            p ===
            "readiness check failed: route-accepted never held within 1800 s (no parent status for Gateway inference-gateway)",
        ),
        record.problems.join("; "),
      );
    },
  );

  it("every flavour's load generator Job runs the check first, with read access to exactly what it reads", () => {
    const epp = buildBenchmark(BENCHMARKS.epp, { runId: RUN }).manifests["load-generator"];
    const job: any = epp.find((o) => o.kind === "Job");
    assert.equal(job.spec.template.spec.initContainers[0].name, READINESS_CONTAINER);
    const role: any = epp.find((o) => o.kind === "Role");
    assert.deepEqual(
      role.rules.map((r: any) => `${r.apiGroups[0]}/${r.resources[0]}/${r.resourceNames[0]}:${r.verbs.join(",")}`),
      [
        "apps/deployments/model-server-deployment:get",
        "gateway.networking.k8s.io/gateways/inference-gateway:get",
        "gateway.networking.k8s.io/httproutes/llm-route:get",
        "inference.networking.k8s.io/inferencepools/model-server-pool:get",
      ],
    );
    const svcRole: any = buildBenchmark(BENCHMARKS.svc, { runId: RUN }).manifests["load-generator"].find(
      (o) => o.kind === "Role",
    );
    assert.equal(svcRole.rules.length, 1);
  });
});
