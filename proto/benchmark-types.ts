// Generated from benchmark.proto by proto/generate-types.ts (npm run proto:types). Do not edit.

/** google.protobuf.Timestamp */
export interface Timestamp {
  /** int64 as a decimal string: 64-bit integers keep their full range. */
  seconds?: string;
  nanos?: number;
}

export interface Helm {
  global?: Benchmark;
}

export interface Benchmarks {
  benchmarks?: Benchmark[];
}

export interface Benchmark {
  benchmark_case?: BenchmarkCase;
  config?: BenchmarkConfig;
  result?: BenchmarkResult;
  start_time?: Timestamp;
  name?: string;
  base_benchmark_name?: string;
}

export interface BenchmarkCase {
  name?: string;
  description?: string;
}

export interface BenchmarkConfig {
  load_balancer?: LoadBalancer;
  model_server?: ModelServer;
  benchmark_tool?: BenchmarkTool;
  namespace?: string;
}

export interface ModelServer {
  image?: string;
  accelerator?: string;
  replicas?: number;
  vllm?: VLLM; // oneof type
  sim?: Sim; // oneof type
}

export interface VLLM {
  tensor_parallelism?: string;
  max_loras?: string;
  model?: string;
  lora_rank?: string;
  v1?: string;
  lora_adapters?: string;
}

export interface Sim {
  model?: string;
  time_to_first_token_ms?: number;
  inter_token_latency_ms?: number;
  max_num_seqs?: number;
  max_model_len?: number;
  lora_adapters?: string;
}

export interface BenchmarkTool {
  image?: string;
  lpg?: LPG; // oneof Type
  inference_perf?: InferencePerf; // oneof Type
}

export interface LPG {
  dataset?: string;
  models?: string;
  ip?: string;
  port?: string;
  request_rates?: string;
  benchmark_time_seconds?: string;
  output_length?: string;
  tokenizer?: string;
  warmup_seconds?: string;
  input_length?: string;
  streaming?: boolean;
  max_num_prompts?: string;
  pause_seconds?: string;
}

export interface InferencePerf {
  load_type?: string;
  request_rates?: string;
  stage_duration_seconds?: number;
  concurrency_levels?: string;
  requests_per_stage?: number;
  api?: string;
  streaming?: boolean;
  tokenizer?: string;
  model?: string;
  port?: string;
  shared_prefix?: InferencePerfSharedPrefix; // oneof data
  synthetic?: InferencePerfLengths; // oneof data
  random?: InferencePerfLengths; // oneof data
  share_gpt?: InferencePerfShareGpt; // oneof data
  goodput?: InferencePerfGoodput;
  warmup_seconds?: number;
  num_workers?: number;
  worker_max_concurrency?: number;
  base_seed?: number;
  request_timeout_seconds?: number;
  prometheus_url?: string;
  scrape_interval_seconds?: number;
}

export interface InferencePerfSharedPrefix {
  num_groups?: number;
  num_prompts_per_group?: number;
  system_prompt_len?: number;
  question_len?: number;
  output_len?: number;
  multi_turn?: boolean;
}

export interface InferencePerfLengths {
  input?: InferencePerfDistribution;
  output?: InferencePerfDistribution;
}

export interface InferencePerfDistribution {
  min?: number;
  max?: number;
  mean?: number;
  std_dev?: number;
  type?: string;
}

export interface InferencePerfShareGpt {
  path?: string;
}

export interface InferencePerfGoodput {
  ttft_ms?: number;
  tpot_ms?: number;
  itl_ms?: number;
  ntpot_ms?: number;
  request_latency_ms?: number;
}

export interface LoadBalancer {
  k8s_service?: K8sService; // oneof type
  gateway?: Gateway; // oneof type
  k8s_service_enabled?: boolean;
  gateway_enabled?: boolean;
  gateway_envoy_enabled?: boolean;
  gateway_gke_gateway_enabled?: boolean;
  gateway_envoy_epp_enabled?: boolean;
  gateway_envoy_lb_policy_enabled?: boolean;
}

export interface Gateway {
  envoy?: Envoy; // oneof type
  gke_gateway?: GKEGateway; // oneof type
  full_duplex_streaming_enabled?: boolean;
  inference_api?: InferenceApi;
  gateway_class_name?: string;
}

export type InferenceApi = "INFERENCE_API_DEFAULT" | "V1" | "V1ALPHA2";

export interface Envoy {
  epp?: EPP; // oneof type
  lb_policy?: string; // oneof type
}

export interface GKEGateway {
  epp?: EPP;
}

export interface EPP {
  image?: string;
  refresh_metrics_interval?: string;
}

export interface K8sService {
}

export interface BenchmarkResult {
  stats?: Stat[];
}

export interface Stat {
  request_rate?: number;
  request_latency?: Metric;
  throughput?: Metric;
  input_length?: Metric;
  output_length?: Metric;
  ttft?: Metric;
  tpot?: Metric;
  model_server_metrics?: Metric[];
  throughput_rps?: number;
  num_prompts_attempted?: number;
  num_prompts_succeeded?: number;
  benchmark_time_seconds?: number;
  itl?: Metric;
  source_file?: string;
  ntpot?: Metric;
  successful_rps?: number;
  achieved_rate?: number;
  errors?: ErrorCount[];
  input_tokens_per_second?: number;
  total_tokens_per_second?: number;
  goodput?: Goodput;
  load_generator?: string;
  pods?: PodShare[];
  routing?: Routing;
  load?: LoadFidelity;
}

export interface PodShare {
  pod?: string;
  requests?: number;
  share?: number;
  prefix_cache_hit_rate?: number;
  kv_cache_usage_mean?: number;
  kv_cache_usage_max?: number;
  waiting_p90?: number;
  samples?: number;
}

export interface Routing {
  pod_count?: number;
  share_cv?: number;
  largest_share?: number;
  requests?: number;
  notes?: string[];
}

export interface LoadFidelity {
  requested_rate?: number;
  achieved_rate?: number;
  delivered_ratio?: number;
  schedule_delay_p50_ms?: number;
  schedule_delay_p99_ms?: number;
  cpu_throttled_seconds?: number;
  cpu_throttled_fraction?: number;
  valid?: boolean;
  reasons?: string[];
}

export interface ErrorCount {
  type?: string;
  count?: number;
}

export interface Goodput {
  percentage?: number;
  requests_per_second?: number;
  tokens_per_second?: number;
  good_requests?: number;
  total_requests?: number;
}

export interface Metric {
  name?: string;
  mean?: number;
  median?: number;
  sd?: number;
  min?: number;
  max?: number;
  p90?: number;
  p99?: number;
  p95?: number;
  sum?: number;
  rate?: number;
  increase?: number;
  unit?: string;
  p0p1?: number;
  p1?: number;
  p5?: number;
  p10?: number;
  p25?: number;
  p75?: number;
  p99p9?: number;
}
