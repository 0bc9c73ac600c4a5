// GCP for a run on GKE: read access to Cloud Monitoring for each benchmark's load generator
// (which reads model-server metrics from managed Prometheus) and a dashboard of the run. The
// original did this with gcloud by hand, with one service account shared by every run.
//
// Everything here belongs to this run alone: the role goes to each namespace's Kubernetes
// service account principal (Workload Identity Federation for GKE, no Google service account),
// so two runs in one project never collide and one's destroy leaves the other's grants alone.
// Shared objects with a longer life, such as the results bucket, live in the cluster project
// (components/results-bucket.ts).
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { dashboardJson, dashboardUrl } from "../lib/gcp/dashboard";
import { kubernetesServiceAccountPrincipal } from "../lib/gcp/identity";
import { NAMES } from "../lib/manifests";

export const GCP_TYPE = "inference-bench:index:GcpMonitoring";

/** The role that lets the load generator read model-server metrics. */
const METRICS_READER_ROLE = "roles/monitoring.viewer";

export interface GcpMonitoringArgs {
  /** The GCP project of the GKE cluster (its Workload Identity pool is `<project>.svc.id.goog`). Required. */
  project: string;
  runId: string;
  /** Every benchmark namespace of the run: each one's load generator may read metrics. */
  namespaces: string[];
}

export class GcpMonitoring extends pulumi.ComponentResource {
  readonly dashboardUrl: pulumi.Output<string>;

  constructor(name: string, args: GcpMonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super(GCP_TYPE, name, {}, opts);
    if (!args.project) throw new pulumi.ResourceError("gcpProject is required for GCP monitoring", this);
    const projectNumber = gcp.organizations.getProjectOutput({ projectId: args.project }, { parent: this }).number;
    for (const namespace of [...args.namespaces].sort()) {
      new gcp.projects.IAMMember(
        `${name}-metrics-reader-${namespace}`,
        {
          project: args.project,
          role: METRICS_READER_ROLE,
          member: projectNumber.apply((number) =>
            kubernetesServiceAccountPrincipal(number, args.project, namespace, NAMES.loadGenerator),
          ),
        },
        { parent: this },
      );
    }
    const dashboard = new gcp.monitoring.Dashboard(
      `${name}-dashboard`,
      {
        project: args.project,
        dashboardJson: dashboardJson(args.runId, args.namespaces),
      },
      { parent: this },
    );
    this.dashboardUrl = dashboard.id.apply((id) => dashboardUrl(args.project, id));
    this.registerOutputs({ dashboardUrl: this.dashboardUrl });
  }
}
