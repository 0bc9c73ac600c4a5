// The load generator: the Latency Profile Generator (LPG) as a batch/v1 Job.
//
// Getting results out after the container has exited: the Job runs the LPG through a small
// wrapper that, once the LPG has finished, prints every result file it wrote to the container
// log — a header line with name, SHA-256 and size, then the file in base64. The kubelet keeps
// a terminated container's log for as long as the pod exists (the Job keeps its pod), so the
// collector reads the files through the pods/log API: no exec into a running container, no
// volume, no pod that sleeps forever, and corruption is caught by the checksum.
import type { IJob } from "kubernetes-models/batch/v1/Job";
import type { IConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { IEnvVar } from "kubernetes-models/v1/EnvVar";
import type { IServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { type BuildContext, type K8sObject, metadata, NAMES, serviceAddress } from "./common";
import { ADDRESS_FILE, buildReadiness } from "./readiness";

const COMPONENT = "load-generator";
const SCRIPT_DIR = "/inference-bench";
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
if [ -s ${ADDRESS_FILE} ]; then export IP="$(cat ${ADDRESS_FILE})"; fi
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
  const small = ctx.benchmark.modelServer === "sim";
  const serviceAccount: IServiceAccount = {
    apiVersion: "v1",
    kind: "ServiceAccount",
    // No Workload Identity annotation: the run grants its role to this Kubernetes service
    // account directly (components/gcp.ts), so there is no Google service account to name.
    metadata: metadata(ctx, NAMES.loadGenerator, COMPONENT),
  };
  const scriptVolume = { name: "script", mountPath: SCRIPT_DIR, readOnly: true };
  const readiness = buildReadiness(ctx, tool.image!, scriptVolume);
  const script: IConfigMap = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: metadata(ctx, NAMES.loadGeneratorScript, COMPONENT),
    data: { "run-benchmark.sh": WRAPPER_SCRIPT, ...readiness.scripts },
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
          ...(readiness.initContainers.length ? { initContainers: readiness.initContainers } : {}),
          containers: [{
            name: NAMES.loadGenerator,
            image: tool.image!,
            imagePullPolicy: "IfNotPresent",
            command: ["bash", `${SCRIPT_DIR}/run-benchmark.sh`],
            env: environment(ctx),
            resources: small
              ? { requests: { cpu: "1", memory: "2Gi" } }
              : { requests: { cpu: "6", memory: "30Gi" }, limits: { cpu: "6", memory: "30Gi" } },
            volumeMounts: [scriptVolume, ...readiness.mounts],
          }],
          volumes: [
            { name: "script", configMap: { name: NAMES.loadGeneratorScript } },
            ...readiness.volumes,
          ],
        },
      },
    },
  };
  return [serviceAccount, ...readiness.objects, script, job] as K8sObject[];
}
