// What a run needs from the cluster beyond its benchmarks' namespaces. Shared infrastructure
// (inference CRDs, Envoy Gateway and AI Gateway, the GatewayClass, the cluster roles) is the
// cluster project's (cluster/, components/infrastructure.ts): a run only checks, before it declares
// anything and in preview too, that what its benchmarks need is there, and declares its own
// per-namespace ClusterRoleBindings to the shared roles. Concurrent runs therefore never write a
// shared object.
import * as pulumi from "@pulumi/pulumi";
import type { ResolvedBenchmark } from "../lib/catalog/catalog";
import { ClusterError } from "../lib/errors";
import { infrastructureNeeds, needsAnything, requireInfrastructure } from "../lib/infrastructure/check";
import { loadKubeConfig } from "../lib/kube-config";
import { eppClusterRoleBinding, eppMetricsReaderBinding } from "../lib/manifests/cluster-scoped";
import { declareObject } from "./benchmark";
import type { RunSettings } from "./settings";

export const PREREQUISITES_TYPE = "inference-bench:index:Prerequisites";

/** Fails (one line naming what is missing and how to install it) unless the cluster has what `benchmarks` need. */
export async function checkPrerequisites(
  settings: Pick<RunSettings, "kubeconfig" | "kubeContext" | "gcpProject">,
  benchmarks: ResolvedBenchmark[],
): Promise<void> {
  const needs = infrastructureNeeds(benchmarks, { gcp: Boolean(settings.gcpProject) });
  if (!needsAnything(needs)) return;
  try {
    await requireInfrastructure(loadKubeConfig(settings.kubeconfig, settings.kubeContext), needs);
  } catch (error) {
    if (error instanceof ClusterError && error.message.startsWith("cannot read")) {
      throw new ClusterError(`${error.message}; to skip this check, \`pulumi config set prerequisites false\``);
    }
    throw error;
  }
}

export interface PrerequisitesArgs {
  /** Namespaces whose endpoint picker is bound to the shared picker ClusterRole. Default: none. */
  eppNamespaces?: string[];
  /**
   * Namespaces whose picker metrics are scraped with a metrics-reader token (runs with a GCP project).
   * Default: none.
   */
  metricsReaderNamespaces?: string[];
}

export class Prerequisites extends pulumi.ComponentResource {
  /** What benchmarks must wait for before declaring their load balancer. */
  readonly ready: pulumi.Resource[];

  constructor(name: string, args: PrerequisitesArgs, opts?: pulumi.ComponentResourceOptions) {
    super(PREREQUISITES_TYPE, name, {}, opts);
    const bindings = [
      ...[...new Set(args.eppNamespaces ?? [])].sort().map(eppClusterRoleBinding),
      ...[...new Set(args.metricsReaderNamespaces ?? [])].sort().map(eppMetricsReaderBinding),
    ];
    this.ready = bindings.map((binding) =>
      declareObject(binding, `${name}-clusterrolebinding-${binding.metadata.name}`, { parent: this }),
    );
    this.registerOutputs({});
  }
}
