// GCP for a run on GKE: the metrics-reader service account the load generator uses (through
// Workload Identity) to read model-server metrics from Cloud Monitoring, a dashboard of the
// run, and optionally the results bucket. The original did this with gcloud by hand.
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { dashboardJson, dashboardUrl } from "../lib/gcp/dashboard";
import { METRICS_ACCOUNT_ID, NAMES } from "../lib/manifests";

export const GCP_TYPE = "inference-bench:index:GcpMonitoring";

export interface GcpMonitoringArgs {
  /** The GCP project of the GKE cluster. Required. */
  project: string;
  runId: string;
  /** Every benchmark namespace of the run: each gets Workload Identity for the load generator. */
  namespaces: string[];
  /** Create this bucket for results (kept when the stack is destroyed). Default: use an existing bucket, or none. */
  createBucket?: { name: string; location: string };
}

export class GcpMonitoring extends pulumi.ComponentResource {
  readonly serviceAccountEmail: pulumi.Output<string>;
  readonly dashboardUrl: pulumi.Output<string>;

  constructor(name: string, args: GcpMonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super(GCP_TYPE, name, {}, opts);
    if (!args.project) throw new pulumi.ResourceError("gcpProject is required for GCP monitoring", this);
    const account = new gcp.serviceaccount.Account(`${name}-metrics-reader`, {
      project: args.project,
      accountId: METRICS_ACCOUNT_ID,
      displayName: "inference-bench: reads model server metrics from Cloud Monitoring",
    }, { parent: this });
    new gcp.projects.IAMMember(`${name}-monitoring-viewer`, {
      project: args.project,
      role: "roles/monitoring.viewer",
      member: pulumi.interpolate`serviceAccount:${account.email}`,
    }, { parent: this });
    for (const namespace of [...args.namespaces].sort()) {
      new gcp.serviceaccount.IAMMember(`${name}-workload-identity-${namespace}`, {
        serviceAccountId: account.name,
        role: "roles/iam.workloadIdentityUser",
        member: `serviceAccount:${args.project}.svc.id.goog[${namespace}/${NAMES.loadGenerator}]`,
      }, { parent: this });
    }
    const dashboard = new gcp.monitoring.Dashboard(`${name}-dashboard`, {
      project: args.project,
      dashboardJson: dashboardJson(args.runId, args.namespaces),
    }, { parent: this });
    if (args.createBucket) {
      new gcp.storage.Bucket(`${name}-results`, {
        project: args.project,
        name: args.createBucket.name,
        location: args.createBucket.location,
        uniformBucketLevelAccess: true,
        forceDestroy: false,
      }, { parent: this, retainOnDelete: true });
    }
    this.serviceAccountEmail = account.email;
    this.dashboardUrl = dashboard.id.apply((id) => dashboardUrl(args.project, id));
    this.registerOutputs({ serviceAccountEmail: this.serviceAccountEmail, dashboardUrl: this.dashboardUrl });
  }
}
