// SYNTHETIC Latency Profile Generator result files, written from the documented format
// (deployment-facts.md and the LPG's save_json_results): no real benchmark produced them.
import { createHash } from "node:crypto";
import { RESULT_MARKERS } from "../lib/manifests/load-generator";

const STATS = ["avg", "median", "sd", "min", "max", "p90", "p99"] as const;

function statSet(base: string, values: number[], suffix = ""): Record<string, number> {
  return Object.fromEntries(STATS.map((s, i) => [`${s}_${base}${suffix}`, values[i]]));
}

/** First generation (the image the seed pins): latency in ms, TTFT in seconds, throughput_rps. */
export function generation1(
  rate: number,
  model: string,
  options: { streaming?: boolean; succeeded?: number } = {},
): string {
  const attempted = Math.round(rate * 100);
  const metrics: Record<string, unknown> = {
    num_prompts_attempted: attempted,
    num_prompts_succeeded: options.succeeded ?? attempted,
    request_rate: rate,
    server_metrics: {
      "vllm:gpu_cache_usage_perc": {
        Mean: 0.42,
        Median: 0.4,
        Sd: 0.1,
        Min: 0.1,
        Max: 0.9,
        P90: 0.7,
        P95: 0.8,
        P99: 0.85,
      },
    },
    benchmark_time: 101.5,
    throughput_rps: rate * 0.98,
    throughput: rate * 180.5,
    total_output_token: attempted * 180,
    output_tokens_per_min: rate * 180.5 * 60,
    total_input_tokens: attempted * 250,
    input_tokens_per_min: rate * 250 * 60,
    total_tokens: attempted * 430,
    tokens_per_min: rate * 430 * 60,
    ...statSet("per_token_latency", [0.01, 0.009, 0.002, 0.004, 0.05, 0.02, 0.04]),
    ...statSet("latency", [1000 + rate, 950 + rate, 120, 200, 4000, 1800 + 2 * rate, 3000 + 3 * rate]),
    ...statSet("per_output_token_latency", [20, 19, 3, 10, 90, 30, 60]),
    ...statSet("input_len", [250, 240, 80, 4, 1024, 400, 900]),
    ...statSet("output_len", [180, 170, 70, 1, 1024, 300, 800]),
    ...(options.streaming ? statSet("TTFT", [0.12, 0.1, 0.05, 0.02, 0.9, 0.3, 0.7]) : {}),
    ClientConnectorError: 0,
    TimeoutError: 0,
    ContentTypeError: 0,
    ClientOSError: 0,
    ServerDisconnectedError: 0,
    unknown_error: 0,
  };
  return JSON.stringify({
    _synthetic: "SYNTHETIC fixture written from the documented LPG result format; not a real measurement",
    metrics,
    dimensions: { date: "20261128-100000", backend: "vllm", model_id: model, tokenizer_id: "meta-llama/Llama-2-7b-hf" },
    config: { model, num_models: 1, model_server: "vllm", start_time: { seconds: 1795860000, nanos: 0 } },
    summary_stats: {
      stats: [
        {
          request_rate: rate,
          request_latency: {
            mean: metrics.avg_latency,
            median: metrics.median_latency,
            sd: metrics.sd_latency,
            min: metrics.min_latency,
            max: metrics.max_latency,
            p90: metrics.p90_latency,
            p99: metrics.p99_latency,
          },
          throughput: { mean: metrics.throughput },
          model_server_metrics: [
            {
              Name: "vllm:gpu_cache_usage_perc",
              Mean: 0.42,
              Median: 0.4,
              Sd: 0.1,
              Min: 0.1,
              Max: 0.9,
              P90: 0.7,
              P99: 0.85,
            },
          ],
        },
      ],
    },
  });
}

/** Second generation (newer images): queries_per_second, _ms suffixes, normalized TPOT, TTFT_ms, no summary_stats. */
export function generation2(rate: number, model: string, options: { failed?: number } = {}): string {
  const attempted = Math.round(rate * 60);
  return JSON.stringify({
    _synthetic:
      "SYNTHETIC fixture written from the documented LPG result format (newer images); not a real measurement",
    metrics: {
      num_prompts_attempted: attempted,
      num_prompts_succeeded: attempted - (options.failed ?? 1),
      request_rate: rate,
      server_metrics: {},
      benchmark_time: 60.2,
      queries_per_second: rate * 0.97,
      throughput: rate * 150,
      tokens_per_sec: rate * 400,
      ...statSet("latency", [800, 760, 90, 150, 3000, 1400, 2500], "_ms"),
      ...statSet("normalized_time_per_output_token", [15, 14, 2, 8, 70, 22, 45], "_ms"),
      ...statSet("input_len", [240, 230, 70, 5, 1000, 380, 880]),
      ...statSet("output_len", [170, 160, 60, 1, 1000, 290, 780]),
      ...statSet("TTFT", [110, 95, 40, 20, 800, 260, 650], "_ms"),
      ...statSet("ITL", [12, 11, 2, 5, 60, 18, 40], "_ms"),
    },
    dimensions: { date: "20261128-100000", backend: "vllm", model_id: model, tokenizer_id: model },
    config: { model, num_models: 1, model_server: "vllm", start_time: { seconds: 1795860000, nanos: 0 } },
  });
}

/** The LPG's file name for a rate and model. */
export function resultFileName(rate: number, model: string): string {
  return `benchmark-catalog-vllm-${rate.toFixed(1)}qps-20261128-100000-${model.replace(/\//g, "-")}.json`;
}

/**
 * The load generator container's log once the wrapper (lib/manifests/load-generator.ts) has
 * printed these result files: the tool's output, then each file's header and base64 body.
 */
export function wrapperLog(files: Array<[name: string, text: string]>, status = 0): string {
  const blocks = files.map(([name, text]) => {
    const data = Buffer.from(text);
    return `${RESULT_MARKERS.file} ${name} ${createHash("sha256").update(data).digest("hex")} ${data.length}\n${data.toString("base64")}`;
  });
  return [RESULT_MARKERS.finished, RESULT_MARKERS.begin, ...blocks, `${RESULT_MARKERS.end} status=${status}`].join(
    "\n",
  );
}
