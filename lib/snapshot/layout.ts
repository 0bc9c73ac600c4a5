// The one place that knows the output layout:
//   <output>/<run id>/<name>-<run id>/
//     benchmark.pbtxt                 the resolved benchmark
//     manifests/<part>.yaml           namespace, model-server, load-balancer, load-generator
//     results/json/*.json             the load generator's per-rate result files
//     results/txt/*.txt               its per-rate text output
//     results/inference-perf/*        inference-perf's report files, unchanged (instead of json/ and txt/)
//     results/benchmark-tool.log      its log
//     results/pod-metrics.jsonl.gz    the load generator's scrapes of every model-server pod's /metrics,
//                                     gzipped JSON lines (a plain pod-metrics.jsonl is read too)
//     results/metadata.json           times, image digests, dashboard, uploads
//     results/benchmark-result.pbtxt  BenchmarkResult, text format
//     results/benchmark-result.json   BenchmarkResult, JSON with proto field names
//     results/collection.json         collection status: collected, partial or failed, and what is missing
import * as path from "node:path";
import { namespaceOf, type Part } from "../manifests/common";

export interface BenchmarkPaths {
  dir: string;
  benchmarkPbtxt: string;
  manifestsDir: string;
  manifest(part: Part): string;
  resultsDir: string;
  resultsJsonDir: string;
  resultsTxtDir: string;
  resultsInferencePerfDir: string;
  toolLog: string;
  podMetrics: string;
  podMetricsGz: string;
  metadata: string;
  resultPbtxt: string;
  resultJson: string;
  collection: string;
}

/** A manifest's path inside its benchmark folder (and in the database's snapshot_files). */
export function manifestPath(part: Part): string {
  return path.join("manifests", `${part}.yaml`);
}

export function runDir(outputDir: string, runId: string): string {
  return path.join(outputDir, runId);
}

export function benchmarkPaths(outputDir: string, runId: string, name: string): BenchmarkPaths {
  const dir = path.join(runDir(outputDir, runId), namespaceOf(name, runId));
  const manifestsDir = path.join(dir, path.dirname(manifestPath("namespace")));
  const resultsDir = path.join(dir, "results");
  return {
    dir,
    benchmarkPbtxt: path.join(dir, "benchmark.pbtxt"),
    manifestsDir,
    manifest: (part) => path.join(dir, manifestPath(part)),
    resultsDir,
    resultsJsonDir: path.join(resultsDir, "json"),
    resultsTxtDir: path.join(resultsDir, "txt"),
    resultsInferencePerfDir: path.join(resultsDir, "inference-perf"),
    toolLog: path.join(resultsDir, "benchmark-tool.log"),
    podMetrics: path.join(resultsDir, "pod-metrics.jsonl"),
    podMetricsGz: path.join(resultsDir, "pod-metrics.jsonl.gz"),
    metadata: path.join(resultsDir, "metadata.json"),
    resultPbtxt: path.join(resultsDir, "benchmark-result.pbtxt"),
    resultJson: path.join(resultsDir, "benchmark-result.json"),
    collection: path.join(resultsDir, "collection.json"),
  };
}
