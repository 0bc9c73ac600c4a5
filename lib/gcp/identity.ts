// Workload Identity Federation for GKE: the IAM principal of a Kubernetes service account.
// A role granted to it applies to every pod running as that account, with no Google service
// account in between (https://cloud.google.com/kubernetes-engine/docs/concepts/workload-identity,
// "principal identifiers"; the pool is the project's `PROJECT_ID.svc.id.goog`). A namespace is
// `{benchmark}-{run id}`, so each run grants to its own principals: two runs in one project never
// share, and destroying one removes only its own grants.

/** `principal://…/subject/ns/<namespace>/sa/<name>` for a GKE cluster in `projectId`. */
export function kubernetesServiceAccountPrincipal(
  projectNumber: string,
  projectId: string,
  namespace: string,
  serviceAccount: string,
): string {
  return `principal://iam.googleapis.com/projects/${projectNumber}/locations/global/workloadIdentityPools/${projectId}.svc.id.goog/subject/ns/${namespace}/sa/${serviceAccount}`;
}
