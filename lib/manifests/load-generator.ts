// The load generator as a batch/v1 Job: the Latency Profile Generator (LPG) or inference-perf
// (its config.yml: lib/manifests/load-generator-inference-perf.ts).
//
// Getting results out after the container has exited: the Job runs the tool through a small
// wrapper (scripts/run-benchmark.py) that redacts the Hugging Face token from everything the
// tool prints and, once the tool has finished, prints every result file it wrote to the
// container log — a header line with name, SHA-256 and size, then the file in base64. The
// kubelet keeps a terminated container's log for as long as the pod exists (the Job keeps its
// pod), so the collector reads the files through the pods/log API: no exec into a running
// container, no volume, no pod that sleeps forever, and corruption is caught by the checksum.
import * as fs from "node:fs";
import * as path from "node:path";
import type { IJob } from "kubernetes-models/batch/v1/Job";
import type { IConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { IEnvVar } from "kubernetes-models/v1/EnvVar";
import type { IResourceRequirements } from "kubernetes-models/v1/ResourceRequirements";
import type { IServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import type { IVolume } from "kubernetes-models/v1/Volume";
import type { IVolumeMount } from "kubernetes-models/v1/VolumeMount";
import { type BuildContext, type K8sObject, LEAST_PRIVILEGE, metadata, NAMES, serviceAddress } from "./common";
import {
  INFERENCE_PERF_CONFIG_KEY,
  INFERENCE_PERF_REPORT_DIR,
  INFERENCE_PERF_WARMUP_KEY,
  inferencePerfConfigYaml,
  inferencePerfWarmup,
  inferencePerfWarmupYaml,
} from "./load-generator-inference-perf";
import { podSamplerAccess, podSamplerEnvironment } from "./pod-sampler";
import { ADDRESS_FILE, buildReadiness } from "./readiness";

const COMPONENT = "load-generator";
const SCRIPT_DIR = "/inference-bench";
const FILE_PREFIX = "benchmark-catalog";

/** Markers the wrapper prints (scripts/run-benchmark.py, same strings); the collector parses them. */
export const RESULT_MARKERS = {
  begin: "inference-bench:results-begin",
  file: "inference-bench:file",
  end: "inference-bench:results-end",
  finished: "LPG_FINISHED=true",
  note: "inference-bench:note",
  warmup: "inference-bench:warmup",
  streaming: "inference-bench:streaming",
  /** `-begin` / `-end` of each rate: its time and the wrapper's cgroup cpu.stat reading. */
  rate: "inference-bench:rate",
} as const;

/** The wrapper (lib/manifests/scripts): a POSIX sh entry point that starts the Python that does the work. */
export const WRAPPER_FILES = {
  "run-benchmark.sh": fs.readFileSync(path.join(__dirname, "scripts", "run-benchmark.sh"), "utf8"),
  "run-benchmark.py": fs.readFileSync(path.join(__dirname, "scripts", "run-benchmark.py"), "utf8"),
  "pod_metrics.py": fs.readFileSync(path.join(__dirname, "scripts", "pod_metrics.py"), "utf8"),
} as const;

/** The address the load generator targets, as recorded in benchmark.pbtxt. */
export function targetAddress(ctx: BuildContext): string {
  return ctx.benchmark.loadBalancer === "k8s_service"
    ? serviceAddress(ctx.namespace)
    : `status.addresses[0] of Gateway ${ctx.namespace}/${NAMES.gateway}, resolved when the load generator starts`;
}

/** The Hugging Face token from the namespace's Secret; the wrapper redacts it from the log. */
const HF_TOKEN_ENV: IEnvVar = {
  name: "HF_TOKEN",
  valueFrom: { secretKeyRef: { name: NAMES.hfSecret, key: NAMES.hfSecretKey, optional: true } },
};

function lpgEnvironment(ctx: BuildContext): IEnvVar[] {
  const lpg = ctx.benchmark.benchmark.config!.benchmark_tool!.lpg!;
  const viaGateway = ctx.benchmark.loadBalancer !== "k8s_service";
  return [
    { name: "LOAD_GENERATOR", value: "lpg" },
    { name: "ADDRESS_FILE", value: ADDRESS_FILE },
    ...(viaGateway ? [] : [{ name: "IP", value: serviceAddress(ctx.namespace) }]),
    { name: "PORT", value: lpg.port! },
    { name: "REQUEST_RATES", value: lpg.request_rates! },
    { name: "BENCHMARK_TIME_SECONDS", value: lpg.benchmark_time_seconds! },
    // Read by our wrapper, which warms up before the first rate (no LPG build reads it).
    { name: "WARMUP_SECONDS", value: lpg.warmup_seconds! },
    // For rate 0 (all prompts at once); without it the entry script passes --num-prompts=''.
    { name: "MAX_NUM_PROMPTS", value: lpg.max_num_prompts! },
    // The wrapper turns streaming off on builds whose streaming path crashes, and says so.
    { name: "STREAM_REQUEST", value: String(lpg.streaming) },
    // Seconds between rates (newer builds; the seed's image sleeps 30 s whatever this says).
    { name: "SLEEP_TIME", value: lpg.pause_seconds! },
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
    HF_TOKEN_ENV,
  ];
}

/** What differs between the two load generators' Jobs. */
interface ToolParts {
  env: IEnvVar[];
  /** Extra entries of the script ConfigMap. */
  files: Record<string, string>;
  volumes: IVolume[];
  mounts: IVolumeMount[];
  resources: IResourceRequirements;
}

function lpgParts(ctx: BuildContext): ToolParts {
  const small = ctx.benchmark.modelServer === "sim";
  return {
    env: lpgEnvironment(ctx),
    files: {},
    volumes: [],
    mounts: [],
    resources: small
      ? { requests: { cpu: "1", memory: "2Gi" } }
      : { requests: { cpu: "6", memory: "30Gi" }, limits: { cpu: "6", memory: "30Gi" } },
  };
}

function inferencePerfParts(ctx: BuildContext): ToolParts {
  const small = ctx.benchmark.modelServer === "sim";
  const viaGateway = ctx.benchmark.loadBalancer !== "k8s_service";
  const ip = ctx.benchmark.benchmark.config!.benchmark_tool!.inference_perf!;
  const warmup = inferencePerfWarmup(ip, ctx.benchmark.requestRates);
  const warmupYaml = inferencePerfWarmupYaml(ctx);
  return {
    env: [
      { name: "LOAD_GENERATOR", value: "inference-perf" },
      { name: "ADDRESS_FILE", value: ADDRESS_FILE },
      { name: "CONFIG_FILE", value: `${SCRIPT_DIR}/${INFERENCE_PERF_CONFIG_KEY}` },
      { name: "REPORT_DIR", value: INFERENCE_PERF_REPORT_DIR },
      // Concurrent load's warm-up: its own run, stopped after WARMUP_SECONDS.
      ...(warmup
        ? [
            { name: "WARMUP_CONFIG_FILE", value: `${SCRIPT_DIR}/${INFERENCE_PERF_WARMUP_KEY}` },
            { name: "WARMUP_SECONDS", value: String(ip.warmup_seconds) },
            { name: "WARMUP_CONCURRENCY", value: String(warmup.level) },
            { name: "WARMUP_REQUESTS", value: String(warmup.requests) },
          ]
        : []),
      // Through a gateway, the wrapper reads the address the readiness check wrote.
      ...(viaGateway ? [] : [{ name: "TARGET_HOST", value: serviceAddress(ctx.namespace) }]),
      { name: "PORT", value: ctx.benchmark.benchmark.config!.benchmark_tool!.inference_perf!.port! },
      // transformers reads HF_TOKEN for gated tokenizers; the config file never holds the token.
      HF_TOKEN_ENV,
    ],
    files: {
      [INFERENCE_PERF_CONFIG_KEY]: inferencePerfConfigYaml(ctx),
      ...(warmupYaml ? { [INFERENCE_PERF_WARMUP_KEY]: warmupYaml } : {}),
    },
    volumes: [{ name: "reports", emptyDir: {} }],
    mounts: [{ name: "reports", mountPath: INFERENCE_PERF_REPORT_DIR }],
    resources: small
      ? { requests: { cpu: "1", memory: "2Gi" } }
      : { requests: { cpu: "8", memory: "16Gi" }, limits: { cpu: "8", memory: "16Gi" } },
  };
}

export function buildLoadGenerator(ctx: BuildContext): K8sObject[] {
  const tool = ctx.benchmark.benchmark.config!.benchmark_tool!;
  const parts = ctx.benchmark.loadGenerator === "inference-perf" ? inferencePerfParts(ctx) : lpgParts(ctx);
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
    data: { ...WRAPPER_FILES, ...parts.files, ...readiness.scripts },
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
          containers: [
            {
              name: NAMES.loadGenerator,
              image: tool.image!,
              imagePullPolicy: "IfNotPresent",
              command: ["sh", `${SCRIPT_DIR}/run-benchmark.sh`],
              env: [...parts.env, ...podSamplerEnvironment(ctx)],
              resources: parts.resources,
              volumeMounts: [scriptVolume, ...parts.mounts, ...readiness.mounts],
              securityContext: { ...LEAST_PRIVILEGE },
            },
          ],
          volumes: [
            { name: "script", configMap: { name: NAMES.loadGeneratorScript } },
            ...parts.volumes,
            ...readiness.volumes,
          ],
        },
      },
    },
  };
  return [serviceAccount, ...readiness.objects, ...podSamplerAccess(ctx), script, job] as K8sObject[];
}
