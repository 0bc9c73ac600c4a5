// Reaching a GKE cluster with no kubeconfig file (gkeCluster): the exec credential script gets a
// token through the real google-auth-library from a fake GCE metadata server (GCE_METADATA_HOST:
// gcp-metadata build/src/index.js getBaseUrl), and both the collector (@kubernetes/client-node runs
// the exec plugin) and the program's Kubernetes provider use it, from any machine.
import * as assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { BatchV1Api } from "@kubernetes/client-node";
import * as pulumi from "@pulumi/pulumi";
import YAML from "yaml";
import { runProgram } from "../components/program";
import { readSettings } from "../components/settings";
import { googleAuthOptions } from "../lib/gcp/credentials";
import { gkeKubeconfig, parseGkeCluster, tokenCommand } from "../lib/gcp/gke";
import { loadKubeConfig } from "../lib/kube-config";
import { DRIVER_ENV } from "../lib/run/pulumi-cli";
import { computedOutputs, Engine, FakeCloud, invokeResults } from "./engine";
import { FakeKube, jobIn, pod } from "./fake-kube";
import { PROJECT_ROOT, tempDir } from "./helpers";
import { generation1, resultFileName, wrapperLog } from "./lpg-fixtures";
import { installSharedInfrastructure } from "./shared-infrastructure";

const TOKEN = "ya29.fake-metadata-token";
// openssl makes the fake API server's certificate (Debian's openssl; .ci/run installs it).

/**
 * A GCE metadata server in a process of its own (client-go's and client-node's exec plugins run
 * synchronously, as the provider's do): the identity gcp-metadata checks for, a default service
 * account's token. It counts the tokens it gave in a file.
 */
const METADATA_SERVER = `
const http = require("http"), fs = require("fs");
let tokens = 0;
const server = http.createServer((request, response) => {
  const headers = { "Metadata-Flavor": "Google", "content-type": "application/json" };
  if (request.headers["metadata-flavor"] !== "Google") return response.writeHead(403).end();
  if (request.url.startsWith("/computeMetadata/v1/instance/service-accounts/default/token")) {
    fs.writeFileSync(process.argv[1], String(++tokens));
    return response.writeHead(200, headers).end(JSON.stringify({ access_token: "${TOKEN}", expires_in: 3599, token_type: "Bearer" }));
  }
  if (request.url.startsWith("/computeMetadata/v1/project/project-id")) return response.writeHead(200, { ...headers, "content-type": "text/plain" }).end("my-project");
  if (request.url.startsWith("/computeMetadata/v1")) return response.writeHead(200, headers).end("{}");
  response.writeHead(404).end();
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
`;

async function metadataServer(): Promise<{ host: string; tokens: () => number; close: () => void }> {
  const counter = path.join(tempDir("metadata-"), "tokens");
  const child = spawn(process.execPath, ["-e", METADATA_SERVER, counter], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<string>((resolve) =>
    child.stdout.once("data", (data) => resolve(String(data).trim())),
  );
  return {
    host: `127.0.0.1:${port}`,
    tokens: () => (fs.existsSync(counter) ? Number(fs.readFileSync(counter, "utf8")) : 0),
    close: () => child.kill(),
  };
}

describe("reaching a GKE cluster with the machine's Google credentials (gkeCluster)", function () {
  this.timeout(60_000);
  const kube = new FakeKube();
  let metadata: Awaited<ReturnType<typeof metadataServer>>;
  const saved: Record<string, string | undefined> = {};
  let ca = "";
  before(async () => {
    // The API server's certificate, self-signed for 127.0.0.1: its CA is what GKE's API gives.
    const dir = tempDir("tls-");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=fake-apiserver",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-keyout",
        path.join(dir, "key.pem"),
        "-out",
        path.join(dir, "cert.pem"),
      ],
      { stdio: "ignore" },
    );
    const cert = fs.readFileSync(path.join(dir, "cert.pem"), "utf8");
    ca = Buffer.from(cert).toString("base64");
    await kube.start({ tls: { key: fs.readFileSync(path.join(dir, "key.pem"), "utf8"), cert } });
    metadata = await metadataServer();
    // No other credentials: the metadata server is the machine's (a GKE node, a Deployments executor's
    // federation alike).
    for (const [key, value] of Object.entries({
      GCE_METADATA_HOST: metadata.host,
      HOME: tempDir("home-"),
      GOOGLE_APPLICATION_CREDENTIALS: undefined,
      GOOGLE_CREDENTIALS: undefined,
    })) {
      saved[key] = process.env[key];
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });
  after(async () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    metadata.close();
    await kube.stop();
  });

  it("parses the cluster path, and refuses anything else in one line", () => {
    assert.deepEqual(parseGkeCluster("projects/my-project/locations/us-central1/clusters/bench"), {
      project: "my-project",
      location: "us-central1",
      name: "bench",
    });
    assert.match(
      String(parseGkeCluster("my-project/us-central1/bench")),
      /^gkeCluster "my-project\/us-central1\/bench" is not of the form projects\/<project id>\/locations\/<region or zone>\/clusters\/<cluster name>$/,
    );
    assert.deepEqual(googleAuthOptions({ GOOGLE_CREDENTIALS: '{"type":"external_account"}' }), {
      credentials: { type: "external_account" },
    });
    assert.deepEqual(googleAuthOptions({ GOOGLE_CREDENTIALS: "/tmp/creds.json" }), { keyFilename: "/tmp/creds.json" });
    assert.deepEqual(googleAuthOptions({}), {});
  });

  it("prints an ExecCredential with the machine's token, which the collector's client sends", async () => {
    const command = tokenCommand(PROJECT_ROOT);
    const credential = JSON.parse(execFileSync(command.command, command.args, { encoding: "utf8" }));
    assert.equal(credential.kind, "ExecCredential");
    assert.equal(credential.apiVersion, "client.authentication.k8s.io/v1beta1");
    assert.equal(credential.status.token, TOKEN);
    assert.ok(Date.parse(credential.status.expirationTimestamp) > Date.now());
    const kubeconfig = gkeKubeconfig(
      { project: "my-project", location: "us-central1", name: "bench" },
      kube.url,
      ca,
      command,
    );
    assert.equal(YAML.parse(kubeconfig)["current-context"], "gke_my-project_us-central1_bench");
    kube.setJob("x-run", jobIn("running"));
    await loadKubeConfig(kubeconfig)
      .makeApiClient(BatchV1Api)
      .readNamespacedJob({ name: "benchmark-tool", namespace: "x-run" });
    assert.equal(kube.authorizations.at(-1), `Bearer ${TOKEN}`);
  });

  it(
    "runs a stack that names its cluster: the provider is built from the GCP API's endpoint and CA, " +
      "the collector reaches it, replaced only if the cluster changes",
    async () => {
      installSharedInfrastructure(kube);
      const cluster = "projects/my-project/locations/us-central1/clusters/bench";
      const catalog = path.join(tempDir("catalog-"), "gke.pbtxt");
      fs.writeFileSync(
        catalog,
        'benchmarks { name: "sim" config { model_server { sim { model: "m" } replicas: 1 } ' +
          'load_balancer { k8s_service {} } benchmark_tool { image: "lpg:v1" lpg { request_rates: "5" ' +
          "} } } }",
      );
      const asked: Array<Record<string, unknown>> = [];
      const invoke = (token: string, inputs: Record<string, any>) => {
        if (token !== "gcp:container/getCluster:getCluster") return invokeResults(token, inputs);
        asked.push(inputs);
        // GKE gives the endpoint as an address, without a scheme.
        return { ...inputs, endpoint: kube.url.replace("https://", ""), masterAuths: [{ clusterCaCertificate: ca }] };
      };
      const values = {
        "inference-bench:catalog": catalog,
        "inference-bench:gkeCluster": cluster,
        "inference-bench:prerequisites": "true",
        "inference-bench:outputDir": tempDir("machine-"),
      };
      const config = { values, secrets: new Set<string>() };
      const program = () =>
        runProgram(readSettings(new pulumi.Config(), pulumi.getStack())) as unknown as Promise<Record<string, unknown>>;
      const engine = new Engine({
        projectFile: path.join(PROJECT_ROOT, "Pulumi.yaml"),
        stack: "gke-1",
        config,
        program,
        provider: new FakeCloud(kube),
        computed: computedOutputs,
        invoke,
      });
      const before = kube.authorizations.length;
      await engine.up({ env: DRIVER_ENV });
      assert.deepEqual(asked[0], { project: "my-project", location: "us-central1", name: "bench" });
      const provider = engine.checkpoint.find((r) => r.type === "pulumi:providers:kubernetes")!;
      assert.equal(provider.inputs.clusterIdentifier, cluster);
      assert.equal(provider.inputs.upsertExistingObjects, "true");
      // A secret in the provider's inputs (the state encrypts it): the SDK's secret wrapper holds the text.
      const secret = provider.inputs.kubeconfig as { value: string };
      assert.equal(typeof secret.value, "string", JSON.stringify(provider.inputs.kubeconfig).slice(0, 200));
      const kubeconfig = YAML.parse(secret.value);
      assert.equal(kubeconfig.clusters[0].cluster["certificate-authority-data"], ca);
      assert.equal(kubeconfig.users[0].user.exec.args[0], path.join(PROJECT_ROOT, "scripts", "gke-token.cjs"));
      assert.ok(
        kube.authorizations.slice(before).every((a) => a === `Bearer ${TOKEN}`) && kube.authorizations.length > before,
        "the prerequisites check used the token",
      );
      // The collector reaches the cluster the same way; the load generator finished.
      kube.pods.set("sim-gke-1", [
        pod("benchmark-tool-sim", { "job-name": "benchmark-tool" }, [["benchmark-tool", "lpg:v1", "lpg@sha256:1"]]),
      ]);
      kube.logs.set("benchmark-tool-sim", wrapperLog([[resultFileName(5, "m"), generation1(5, "m")]]));
      kube.setJob("sim-gke-1", jobIn("succeeded"));
      // Another machine: the token script sits elsewhere, the cluster is the same: no replacement.
      const collected = await engine.up({ env: DRIVER_ENV });
      assert.deepEqual(collected.outputs.done, ["sim"]);
      assert.ok(!collected.steps.some((s) => s.op === "replace"));
      assert.ok(metadata.tokens() > 0);
      await engine.destroy({ runProgram: true });
      kube.reset();
    },
  );
});
