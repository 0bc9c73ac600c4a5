// The model server: vLLM on GPUs, or llm-d-inference-sim with no GPU; plus a PodMonitoring
// for Google managed Prometheus, which the load generator scrapes (PM_JOB).
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IProbe } from "kubernetes-models/v1/Probe";
import { loraAdapters } from "../catalog/served";
import {
  type BuildContext,
  type K8sObject,
  LEAST_PRIVILEGE,
  MODEL_SERVER_SELECTOR,
  metadata,
  NAMES,
  PORTS,
} from "./common";

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

/**
 * Where vLLM writes at run time, each on its own volume: the image runs as root with no USER
 * (vllm-project/vllm docker/Dockerfile), so every cache defaults under /root — vllm/envs.py
 * get_default_cache_root ($XDG_CACHE_HOME, else ~/.cache: VLLM_CACHE_ROOT and its torch.compile
 * cache), get_default_config_root ($XDG_CONFIG_HOME, else ~/.config), huggingface_hub's HF_HOME
 * ($XDG_CACHE_HOME/huggingface: the model's weights), Triton's ~/.triton/cache — and
 * tempfile.gettempdir() (VLLM_RPC_BASE_PATH, torch inductor). The variables point them there.
 */
const VLLM_WRITABLE = {
  cache: { volume: "cache", path: "/cache" },
  tmp: { volume: "tmp", path: "/tmp" },
} as const;
const VLLM_CACHE_ENV = [
  { name: "XDG_CACHE_HOME", value: VLLM_WRITABLE.cache.path },
  { name: "XDG_CONFIG_HOME", value: `${VLLM_WRITABLE.cache.path}/config` },
  { name: "HF_HOME", value: `${VLLM_WRITABLE.cache.path}/huggingface` },
  { name: "TRITON_CACHE_DIR", value: `${VLLM_WRITABLE.cache.path}/triton` },
];

function vllmContainer(ctx: BuildContext): IContainer {
  const server = ctx.benchmark.benchmark.config!.model_server!;
  const vllm = server.vllm!;
  const tp = vllm.tensor_parallelism!;
  const adapters = loraAdapters(vllm.lora_adapters);
  const loraArgs = vllm.max_loras
    ? [
        "--enable-lora",
        "--max-loras",
        vllm.max_loras,
        ...(vllm.lora_rank ? ["--max-lora-rank", vllm.lora_rank] : []),
        ...(adapters.length ? ["--lora-modules", ...adapters.map((adapter) => `${adapter.name}=${adapter.path}`)] : []),
      ]
    : [];
  return {
    name: NAMES.modelServerContainer,
    image: server.image!,
    imagePullPolicy: "IfNotPresent",
    command: ["python3", "-m", "vllm.entrypoints.openai.api_server"],
    args: [
      "--port",
      String(PORTS.modelServer),
      "--max-num-seqs",
      "2048",
      "--max_model_len",
      "4096",
      "--compilation-config",
      "3",
      "--tensor-parallel-size",
      tp,
      "--model",
      vllm.model!,
      ...loraArgs,
    ],
    env: [
      { name: "PORT", value: String(PORTS.modelServer) },
      {
        name: "HUGGING_FACE_HUB_TOKEN",
        valueFrom: { secretKeyRef: { name: NAMES.hfSecret, key: NAMES.hfSecretKey, optional: true } },
      },
      { name: "VLLM_ALLOW_RUNTIME_LORA_UPDATING", value: "true" },
      { name: "VLLM_USE_V1", value: vllm.v1! },
      ...VLLM_CACHE_ENV,
    ],
    ports: [{ name: "http", containerPort: PORTS.modelServer, protocol: "TCP" }],
    resources: { requests: { "nvidia.com/gpu": tp }, limits: { "nvidia.com/gpu": tp } },
    startupProbe: {
      httpGet: { path: "/health", port: "http" },
      periodSeconds: 10,
      failureThreshold: VLLM_STARTUP_SECONDS / 10,
    },
    readinessProbe: healthProbe(3, 5),
    livenessProbe: healthProbe(12, 5),
    volumeMounts: [
      { name: "data", mountPath: "/data" },
      { name: "shm", mountPath: "/dev/shm" },
      { name: "adapters", mountPath: "/adapters" },
      ...Object.values(VLLM_WRITABLE).map((mount) => ({ name: mount.volume, mountPath: mount.path })),
    ],
    securityContext: { ...LEAST_PRIVILEGE },
  };
}

/**
 * The simulator's `--model`: a name the Hugging Face hub can never resolve ("--" is not allowed in
 * a repository id: huggingface_hub utils/_validators.py validate_repo_id). llm-d-inference-sim
 * v0.8.2 asks the hub for `--model` (pkg/tokenizer/tokenizer.go modelExists) and, for a real
 * model, needs a tokenizer sidecar's socket (NewHFTokenizer; 5 attempts in llm-d-kv-cache
 * uds_tokenizer.go, then Start fails and main returns): this keeps it on its own regex tokenizer,
 * with no hub access and no token. The catalog's model is what it serves (--served-model-name).
 */
export const SIM_OFFLINE_MODEL = "inference-bench--simulated";

function simContainer(ctx: BuildContext): IContainer {
  const server = ctx.benchmark.benchmark.config!.model_server!;
  const sim = server.sim!;
  const adapters = loraAdapters(sim.lora_adapters);
  return {
    name: NAMES.modelServerContainer,
    image: server.image!,
    imagePullPolicy: "IfNotPresent",
    // Latencies as Go durations: v0.7.0-v0.8.x also take bare milliseconds (deprecated), v0.9.0+
    // only durations (llm-d-inference-sim v0.8.2 pkg/common/utils.go parseDuration; #485).
    args: [
      "--model",
      SIM_OFFLINE_MODEL,
      "--served-model-name",
      sim.model!,
      "--port",
      String(PORTS.modelServer),
      "--max-num-seqs",
      String(sim.max_num_seqs),
      "--max-model-len",
      String(sim.max_model_len),
      "--time-to-first-token",
      `${sim.time_to_first_token_ms}ms`,
      "--inter-token-latency",
      `${sim.inter_token_latency_ms}ms`,
      // Adapters as JSON strings, all loaded at once (pkg/common/parser.go lora-modules, max-loras).
      ...(adapters.length
        ? [
            "--max-loras",
            String(adapters.length),
            "--lora-modules",
            ...adapters.map((adapter) => JSON.stringify({ name: adapter.name, path: adapter.name })),
          ]
        : []),
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
    securityContext: { ...LEAST_PRIVILEGE },
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
        metadata: {
          labels: {
            ...metadata(ctx, NAMES.modelServer, COMPONENT).labels,
            ...MODEL_SERVER_SELECTOR,
            [ENGINE_TYPE_LABEL]: "vllm",
          },
        },
        // Model servers never call the Kubernetes API: no token in their pods.
        spec: isVllm
          ? {
              automountServiceAccountToken: false,
              nodeSelector: { "cloud.google.com/gke-accelerator": server.accelerator! },
              containers: [vllmContainer(ctx)],
              volumes: [
                { name: "data", emptyDir: {} },
                { name: "shm", emptyDir: { medium: "Memory" } },
                { name: "adapters", emptyDir: {} },
                ...Object.values(VLLM_WRITABLE).map((mount) => ({ name: mount.volume, emptyDir: {} })),
              ],
            }
          : { automountServiceAccountToken: false, containers: [simContainer(ctx)] },
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
