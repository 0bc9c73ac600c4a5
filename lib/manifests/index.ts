// Resolved benchmark + run id → every Kubernetes object of the benchmark, part by part.
// The same objects are written to the snapshot and handed to Pulumi.
import type { INamespace } from "kubernetes-models/v1/Namespace";
import type { Benchmark } from "../../proto/benchmark-types";
import type { ResolvedBenchmark } from "../catalog/catalog";
import { type BenchmarkManifests, type BuildContext, commonLabels, type K8sObject, namespaceOf } from "./common";
import { buildLoadBalancer } from "./load-balancer";
import { buildLoadGenerator, targetAddress } from "./load-generator";
import { buildModelServer } from "./model-server";

export * from "./common";

export interface BuildOptions {
  runId: string;
  /** The run's GCP project; enables PodMonitoring, metrics scraping and Workload Identity. */
  gcpProject?: string;
}

export interface BuiltBenchmark {
  namespace: string;
  /** The resolved benchmark with `config.namespace` (and the LPG's `ip`) filled in: benchmark.pbtxt. */
  benchmark: Benchmark;
  /** Where the load generator sends its requests. */
  target: string;
  manifests: BenchmarkManifests;
}

export function buildContext(benchmark: ResolvedBenchmark, options: BuildOptions): BuildContext {
  return {
    benchmark,
    runId: options.runId,
    namespace: namespaceOf(benchmark.name, options.runId),
    gcp: options.gcpProject ? { project: options.gcpProject } : undefined,
  };
}

export function buildBenchmark(benchmark: ResolvedBenchmark, options: BuildOptions): BuiltBenchmark {
  const ctx = buildContext(benchmark, options);
  const namespace: INamespace = {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: ctx.namespace, labels: commonLabels(ctx, "namespace") },
  };
  const target = targetAddress(ctx);
  const resolved: Benchmark = structuredClone(benchmark.benchmark);
  resolved.config!.namespace = ctx.namespace;
  if (resolved.config!.benchmark_tool!.lpg) resolved.config!.benchmark_tool!.lpg.ip = target;
  return {
    namespace: ctx.namespace,
    benchmark: resolved,
    target,
    manifests: {
      namespace: [namespace as K8sObject],
      "model-server": buildModelServer(ctx),
      "load-balancer": buildLoadBalancer(ctx),
      "load-generator": buildLoadGenerator(ctx),
    },
  };
}
