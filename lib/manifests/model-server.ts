// The model server: vLLM on GPUs, or llm-d-inference-sim with no GPU; plus a PodMonitoring
// for Google managed Prometheus, which the load generator scrapes (PM_JOB).
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IProbe } from "kubernetes-models/v1/Probe";
import { type BuildContext, type K8sObject, metadata, MODEL_SERVER_SELECTOR, NAMES, PORTS } from "./common";

const COMPONENT = "model-server";
export const ENGINE_TYPE_LABEL = "inference.networking.k8s.io/engine-type";

function healthProbe(failureThreshold: number, timeoutSeconds = 1): IProbe {
  return { httpGet: { path: "/health", port: "http" }, periodSeconds: 5, failureThreshold, timeoutSeconds };
}

/**
 * Loading a large model can take most of an hour. A startup probe holds the liveness probe off
 * until the first healthy answer (Kubernetes runs liveness and readiness only after startup
 * succeeds), so a slow load is never restart-looped; afterwards a server unresponsive for a minute
 * is restarted. The window matches the Deployment's 60-minute wait (components/benchmark.ts).
 */
const VLLM_STARTUP_SECONDS = 3600;

function vllmContainer(ctx: BuildContext): IContainer {
  const server = ctx.benchmark.benchmark.config!.model_server!;
  const vllm = server.vllm!;
  const tp = vllm.tensor_parallelism!;
  const loraArgs = vllm.max_loras
    ? ["--enable-lora", "--max-loras", vllm.max_loras, ...(vllm.lora_rank ? ["--max-lora-rank", vllm.lora_rank] : [])]
    : [];
  return {
    name: NAMES.modelServerContainer,
    image: server.image!,
    imagePullPolicy: "IfNotPresent",
    command: ["python3", "-m", "vllm.entrypoints.openai.api_server"],
    args: [
      "--port", String(PORTS.modelServer), "--max-num-seqs", "2048", "--max_model_len", "4096",
      "--compilation-config", "3", "--tensor-parallel-size", tp, "--model", vllm.model!, ...loraArgs,
    ],
    env: [
      { name: "PORT", value: String(PORTS.modelServer) },
      { name: "HUGGING_FACE_HUB_TOKEN", valueFrom: { secretKeyRef: { name: NAMES.hfSecret, key: NAMES.hfSecretKey, optional: true } } },
      { name: "VLLM_ALLOW_RUNTIME_LORA_UPDATING", value: "true" },
      { name: "VLLM_USE_V1", value: vllm.v1! },
    ],
    ports: [{ name: "http", containerPort: PORTS.modelServer, protocol: "TCP" }],
    resources: { requests: { "nvidia.com/gpu": tp }, limits: { "nvidia.com/gpu": tp } },
    startupProbe: { httpGet: { path: "/health", port: "http" }, periodSeconds: 10, failureThreshold: VLLM_STARTUP_SECONDS / 10 },
    readinessProbe: healthProbe(3, 5),
    livenessProbe: healthProbe(12, 5),
    volumeMounts: [
      { name: "data", mountPath: "/data" },
      { name: "shm", mountPath: "/dev/shm" },
      { name: "adapters", mountPath: "/adapters" },
    ],
  };
}

function simContainer(ctx: BuildContext): IContainer {
  const server = ctx.benchmark.benchmark.config!.model_server!;
  const sim = server.sim!;
  return {
    name: NAMES.modelServerContainer,
    image: server.image!,
    imagePullPolicy: "IfNotPresent",
    // Latencies as Go durations: v0.7.0-v0.8.x also take bare milliseconds (deprecated), v0.9.0+
    // only durations (llm-d-inference-sim v0.8.2 pkg/common/utils.go parseDuration; #485).
    args: [
      "--model", sim.model!, "--port", String(PORTS.modelServer),
      "--max-num-seqs", String(sim.max_num_seqs), "--max-model-len", String(sim.max_model_len),
      "--time-to-first-token", `${sim.time_to_first_token_ms}ms`, "--inter-token-latency", `${sim.inter_token_latency_ms}ms`,
    ],
    // Answers carry x-inference-pod / x-inference-namespace from these (v0.8.2 pkg/common/parser.go).
    env: [
      { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
    ],
    ports: [{ name: "http", containerPort: PORTS.modelServer, protocol: "TCP" }],
    resources: { requests: { cpu: "500m", memory: "512Mi" }, limits: { memory: "1Gi" } },
    readinessProbe: healthProbe(60),
    livenessProbe: healthProbe(60),
  };
}

export function buildModelServer(ctx: BuildContext): K8sObject[] {
  const server = ctx.benchmark.benchmark.config!.model_server!;
  const isVllm = ctx.benchmark.modelServer === "vllm";
  const deployment: IDeployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: metadata(ctx, NAMES.modelServer, COMPONENT, MODEL_SERVER_SELECTOR),
    spec: {
      replicas: server.replicas!,
      selector: { matchLabels: { ...MODEL_SERVER_SELECTOR } },
      template: {
        // The engine label the v1.5 picker reads to choose its metric names (GIE v1.5.0
        // config/manifests/vllm/sim-deployment.yaml); the simulator mimics vLLM's.
        metadata: { labels: { ...metadata(ctx, NAMES.modelServer, COMPONENT).labels, ...MODEL_SERVER_SELECTOR, [ENGINE_TYPE_LABEL]: "vllm" } },
        spec: isVllm
          ? {
              nodeSelector: { "cloud.google.com/gke-accelerator": server.accelerator! },
              containers: [vllmContainer(ctx)],
              volumes: [
                { name: "data", emptyDir: {} },
                { name: "shm", emptyDir: { medium: "Memory" } },
                { name: "adapters", emptyDir: {} },
              ],
            }
          : { containers: [simContainer(ctx)] },
      },
    },
  };
  const objects = [deployment as K8sObject];
  if (ctx.gcp) {
    objects.push({
      apiVersion: "monitoring.googleapis.com/v1",
      kind: "PodMonitoring",
      metadata: metadata(ctx, NAMES.podMonitoring, COMPONENT),
      spec: {
        selector: { matchLabels: { ...MODEL_SERVER_SELECTOR } },
        endpoints: [{ port: PORTS.modelServer, path: "/metrics", interval: "5s" }],
      },
    });
  }
  return objects;
}
