// The load generator: the Latency Profile Generator (LPG) as a batch/v1 Job.
//
// Getting results out after the container has exited: the Job runs the LPG through a small
// wrapper that, once the LPG has finished, prints every result file it wrote to the container
// log — a header line with name, SHA-256 and size, then the file in base64. The kubelet keeps
// a terminated container's log for as long as the pod exists (the Job keeps its pod), so the
// collector reads the files through the pods/log API: no exec into a running container, no
// volume, no pod that sleeps forever, and corruption is caught by the checksum.
import type { IJob } from "kubernetes-models/batch/v1/Job";
import type { IRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import type { IConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IEnvVar } from "kubernetes-models/v1/EnvVar";
import type { IServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { type BuildContext, type K8sObject, metadata, NAMES, roleBinding, serviceAddress } from "./common";

const COMPONENT = "load-generator";
const SCRIPT_DIR = "/inference-bench";
const ADDRESS_DIR = "/gateway";
export const FILE_PREFIX = "benchmark-catalog";

/** Markers the wrapper prints around the result files; the collector parses them. */
export const RESULT_MARKERS = {
  begin: "inference-bench:results-begin",
  file: "inference-bench:file",
  end: "inference-bench:results-end",
  finished: "LPG_FINISHED=true",
} as const;

export const WRAPPER_SCRIPT = `#!/bin/bash
# inference-bench: run the Latency Profile Generator, then print the result files it wrote
# to the container log (base64 with a SHA-256), where they outlive the container.
set -u
if [ -s ${ADDRESS_DIR}/address ]; then export IP="$(cat ${ADDRESS_DIR}/address)"; fi
echo "inference-bench: target \${IP}:\${PORT}, rates \${REQUEST_RATES}"
log="$(mktemp)"
# Its own process group (job control), so that stopping it also stops what it started.
set -m
./latency_throughput_curve.sh > >(tee "$log") 2>&1 &
pid=$!
set +m
status=""
# Older images sleep forever after the loop: stop at the line the script traces when it is done.
while kill -0 "$pid" 2>/dev/null; do
  if grep -q '${RESULT_MARKERS.finished}' "$log"; then status=0; kill -- "-$pid" 2>/dev/null; break; fi
  sleep 5
done
if [ -z "$status" ]; then wait "$pid"; status=$?; grep -q '${RESULT_MARKERS.finished}' "$log" || [ "$status" -ne 0 ] || status=1; fi
sleep 1
echo "${RESULT_MARKERS.begin}"
for f in ${FILE_PREFIX}-*.json latency-profile-*.txt; do
  [ -f "$f" ] || continue
  echo "${RESULT_MARKERS.file} $f $(sha256sum "$f" | cut -d' ' -f1) $(stat -c %s "$f")"
  base64 "$f"
done
echo "${RESULT_MARKERS.end} status=$status"
exit "$status"
`;

/** Waits until the benchmark's Gateway is programmed and writes its address for the wrapper. */
export const GATEWAY_ADDRESS_SCRIPT = `import json, os, ssl, sys, time, urllib.request
sa = "/var/run/secrets/kubernetes.io/serviceaccount"
namespace = open(sa + "/namespace").read().strip()
url = "https://kubernetes.default.svc/apis/gateway.networking.k8s.io/v1/namespaces/%s/gateways/%s" % (namespace, os.environ["GATEWAY_NAME"])
context = ssl.create_default_context(cafile=sa + "/ca.crt")
deadline = time.time() + int(os.environ.get("WAIT_SECONDS", "3600"))
while True:
    try:
        request = urllib.request.Request(url, headers={"Authorization": "Bearer " + open(sa + "/token").read().strip()})
        status = json.load(urllib.request.urlopen(request, context=context, timeout=10)).get("status", {})
        programmed = any(c.get("type") == "Programmed" and c.get("status") == "True" for c in status.get("conditions", []))
        addresses = [a["value"] for a in status.get("addresses", []) if a.get("value")]
        if programmed and addresses:
            open("${ADDRESS_DIR}/address", "w").write(addresses[0])
            print("gateway address:", addresses[0])
            break
        print("waiting for the gateway to be programmed:", status.get("conditions", []))
    except Exception as error:
        print("waiting for the gateway:", error)
    if time.time() > deadline:
        sys.exit("the gateway was not programmed in time")
    time.sleep(10)
`;

/** The address the load generator targets, as recorded in benchmark.pbtxt. */
export function targetAddress(ctx: BuildContext): string {
  return ctx.benchmark.loadBalancer === "k8s_service"
    ? serviceAddress(ctx.namespace)
    : `status.addresses[0] of Gateway ${ctx.namespace}/${NAMES.gateway}, resolved when the load generator starts`;
}

function environment(ctx: BuildContext): IEnvVar[] {
  const lpg = ctx.benchmark.benchmark.config!.benchmark_tool!.lpg!;
  const viaGateway = ctx.benchmark.loadBalancer !== "k8s_service";
  return [
    ...(viaGateway ? [] : [{ name: "IP", value: serviceAddress(ctx.namespace) }]),
    { name: "PORT", value: lpg.port! },
    { name: "REQUEST_RATES", value: lpg.request_rates! },
    { name: "BENCHMARK_TIME_SECONDS", value: lpg.benchmark_time_seconds! },
    { name: "WARMUP_SECONDS", value: lpg.warmup_seconds! },
    { name: "TOKENIZER", value: lpg.tokenizer! },
    { name: "MODELS", value: lpg.models! },
    { name: "BACKEND", value: "vllm" },
    { name: "INPUT_LENGTH", value: lpg.input_length! },
    { name: "OUTPUT_LENGTH", value: lpg.output_length! },
    { name: "FILE_PREFIX", value: FILE_PREFIX },
    // Model-server metrics come from Google Cloud Monitoring, which needs the run's GCP project.
    { name: "SCRAPE_SERVER_METRICS", value: ctx.gcp ? "true" : "false" },
    { name: "PM_NAMESPACE", value: ctx.namespace },
    { name: "PM_JOB", value: NAMES.podMonitoring },
    { name: "PROMPT_DATASET_FILE", value: "ShareGPT_V3_unfiltered_cleaned_split.json" },
    { name: "POST_BENCHMARK_SLEEP_TIME", value: "0" },
    { name: "HF_TOKEN", valueFrom: { secretKeyRef: { name: NAMES.hfSecret, key: NAMES.hfSecretKey, optional: true } } },
  ];
}

export function buildLoadGenerator(ctx: BuildContext): K8sObject[] {
  const tool = ctx.benchmark.benchmark.config!.benchmark_tool!;
  const viaGateway = ctx.benchmark.loadBalancer !== "k8s_service";
  const small = ctx.benchmark.modelServer === "sim";
  const serviceAccount: IServiceAccount = {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: {
      ...metadata(ctx, NAMES.loadGenerator, COMPONENT),
      ...(ctx.gcp ? { annotations: { "iam.gke.io/gcp-service-account": ctx.gcp.metricsServiceAccount } } : {}),
    },
  };
  const script: IConfigMap = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: metadata(ctx, NAMES.loadGeneratorScript, COMPONENT),
    data: { "run-benchmark.sh": WRAPPER_SCRIPT, "gateway-address.py": GATEWAY_ADDRESS_SCRIPT },
  };
  const gatewayReader: K8sObject[] = viaGateway
    ? [
        {
          apiVersion: "rbac.authorization.k8s.io/v1",
          kind: "Role",
          metadata: metadata(ctx, NAMES.gatewayReaderRole, COMPONENT),
          rules: [{ apiGroups: ["gateway.networking.k8s.io"], resources: ["gateways"], resourceNames: [NAMES.gateway], verbs: ["get"] }],
        } satisfies IRole as K8sObject,
        roleBinding(ctx, NAMES.gatewayReaderRole, COMPONENT, NAMES.loadGenerator),
      ]
    : [];
  const scriptVolume = { name: "script", mountPath: SCRIPT_DIR, readOnly: true };
  const addressVolume = { name: "gateway-address", mountPath: ADDRESS_DIR };
  const resolveAddress: IContainer = {
    name: "resolve-gateway-address",
    image: tool.image!,
    imagePullPolicy: "IfNotPresent",
    command: ["python3", `${SCRIPT_DIR}/gateway-address.py`],
    env: [{ name: "GATEWAY_NAME", value: NAMES.gateway }],
    volumeMounts: [scriptVolume, addressVolume],
  };
  const job: IJob = {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      ...metadata(ctx, NAMES.loadGenerator, COMPONENT, { app: NAMES.loadGenerator }),
      // Pulumi must not await the Job: a failed Job would then skip the collection hook. The hook
      // waits for the Job itself, with a timeout derived from the benchmark (lib/plan/timing.ts).
      annotations: { "pulumi.com/skipAwait": "true" },
    },
    spec: {
      // A failed run is reported, never silently retried on paid GPUs.
      backoffLimit: 0,
      template: {
        metadata: { labels: { ...metadata(ctx, NAMES.loadGenerator, COMPONENT).labels, app: NAMES.loadGenerator } },
        spec: {
          serviceAccountName: NAMES.loadGenerator,
          restartPolicy: "Never",
          ...(viaGateway ? { initContainers: [resolveAddress] } : {}),
          containers: [{
            name: NAMES.loadGenerator,
            image: tool.image!,
            imagePullPolicy: "IfNotPresent",
            command: ["bash", `${SCRIPT_DIR}/run-benchmark.sh`],
            env: environment(ctx),
            resources: small
              ? { requests: { cpu: "1", memory: "2Gi" } }
              : { requests: { cpu: "6", memory: "30Gi" }, limits: { cpu: "6", memory: "30Gi" } },
            volumeMounts: viaGateway ? [scriptVolume, addressVolume] : [scriptVolume],
          }],
          volumes: [
            { name: "script", configMap: { name: NAMES.loadGeneratorScript } },
            ...(viaGateway ? [{ name: "gateway-address", emptyDir: {} }] : []),
          ],
        },
      },
    },
  };
  return [serviceAccount, ...gatewayReader, script, job] as K8sObject[];
}
