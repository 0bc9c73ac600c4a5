// The Cloud Monitoring dashboard of a run: model server and endpoint picker metrics from
// Google managed Prometheus, filtered to the run's namespaces. The picker's metrics reach it
// through the authorised PodMonitoring of lib/manifests/load-balancer.ts.

function chart(title: string, promql: string) {
  return {
    title,
    xyChart: {
      dataSets: [{ timeSeriesQuery: { prometheusQuery: promql }, plotType: "LINE" }],
      yAxis: { scale: "LINEAR" },
    },
  };
}

/** The dashboard's JSON (monitoring.googleapis.com Dashboard). */
export function dashboardJson(runId: string, namespaces: string[]): string {
  const selector = `namespace=~"${namespaces.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|") || "none"}"`;
  // Metric names of the versions deployed: vLLM renamed gpu_cache_usage_perc to kv_cache_usage_perc
  // (and llm-d-inference-sim v0.7.0 followed, commit 238097dd); the v1.x picker counts
  // inference_objective_request_total, the v0.3 one inference_model_request_total (GIE
  // pkg/epp/metrics/metrics.go at v1.5.0 and v0.3.0). `or` keeps whichever series exists.
  const tiles = [
    chart("Requests running per benchmark", `sum by (namespace) (vllm:num_requests_running{${selector}})`),
    chart("Requests waiting per benchmark", `sum by (namespace) (vllm:num_requests_waiting{${selector}})`),
    chart(
      "KV cache usage (mean)",
      `avg by (namespace) (vllm:kv_cache_usage_perc{${selector}}) or avg by (namespace) ` +
        `(vllm:gpu_cache_usage_perc{${selector}})`,
    ),
    chart("Generation tokens/s", `sum by (namespace) (rate(vllm:generation_tokens_total{${selector}}[1m]))`),
    chart(
      "p90 time to first token (s)",
      `histogram_quantile(0.9, sum by (namespace, le) ` +
        `(rate(vllm:time_to_first_token_seconds_bucket{${selector}}[1m])))`,
    ),
    chart(
      "p90 end-to-end latency (s)",
      `histogram_quantile(0.9, sum by (namespace, le) ` +
        `(rate(vllm:e2e_request_latency_seconds_bucket{${selector}}[1m])))`,
    ),
    chart(
      "Endpoint picker: requests/s",
      `sum by (namespace) (rate(inference_objective_request_total{${selector}}[1m])) or sum by ` +
        `(namespace) (rate(inference_model_request_total{${selector}}[1m]))`,
    ),
    chart(
      "Endpoint picker: pool queue size (mean)",
      `avg by (namespace) (inference_pool_average_queue_size{${selector}})`,
    ),
  ];
  return JSON.stringify({
    displayName: `inference-bench run ${runId}`,
    mosaicLayout: {
      columns: 12,
      tiles: tiles.map((widget, i) => ({
        xPos: (i % 2) * 6,
        yPos: Math.floor(i / 2) * 4,
        width: 6,
        height: 4,
        widget,
      })),
    },
    labels: { "inference-bench": "", [`run-${runId}`]: "" },
  });
}

/** The console URL of a dashboard, from its resource id (projects/<number>/dashboards/<id>). */
export function dashboardUrl(project: string, dashboardId: string): string {
  return `https://console.cloud.google.com/monitoring/dashboards/builder/${dashboardId.split("/").pop()}?project=${project}`;
}
