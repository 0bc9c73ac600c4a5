// Reaching a GKE cluster from a fresh machine (a CI runner, a Pulumi Deployments executor) with no
// kubeconfig file: the stack names the cluster (`gkeCluster: projects/P/locations/L/clusters/C`),
// the program reads its endpoint and CA through the GCP API, and the Kubernetes provider and the
// collector authenticate with a Google access token of the machine's own credentials (workload
// identity federation in CI). Tokens live an hour and runs longer, so the kubeconfig does not hold
// one: it runs scripts/gke-token.cjs whenever the client needs a fresh one (a client-go exec
// credential plugin, which the Kubernetes provider and @kubernetes/client-node both run).
import * as path from "node:path";
import YAML from "yaml";

export interface GkeCluster {
  project: string;
  location: string;
  name: string;
}

const GKE_CLUSTER =
  /^projects\/([a-z][-a-z0-9]{4,28}[a-z0-9])\/locations\/([a-z0-9-]+)\/clusters\/([a-z]([-a-z0-9]{0,38}[a-z0-9])?)$/;

/** The cluster a `gkeCluster` value names, or what is wrong with it. */
export function parseGkeCluster(text: string): GkeCluster | string {
  const match = GKE_CLUSTER.exec(text);
  if (!match)
    return (
      `gkeCluster ${JSON.stringify(text)} is not of the form projects/<project ` +
      `id>/locations/<region or zone>/clusters/<cluster name>`
    );
  return { project: match[1], location: match[2], name: match[3] };
}

export function gkeClusterPath(cluster: GkeCluster): string {
  return `projects/${cluster.project}/locations/${cluster.location}/clusters/${cluster.name}`;
}

/** The exec credential plugin: this Node.js running the project's token script. */
export function tokenCommand(projectRoot: string): { command: string; args: string[] } {
  return { command: process.execPath, args: [path.join(projectRoot, "scripts", "gke-token.cjs")] };
}

/** A kubeconfig (contents) for the cluster at `endpoint` with its CA (base64 PEM, as GKE gives it). */
export function gkeKubeconfig(
  cluster: GkeCluster,
  endpoint: string,
  caCertificate: string,
  token: { command: string; args: string[] },
): string {
  const name = `gke_${cluster.project}_${cluster.location}_${cluster.name}`;
  return YAML.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name,
        cluster: {
          server: endpoint.includes("://") ? endpoint : `https://${endpoint}`,
          "certificate-authority-data": caCertificate,
        },
      },
    ],
    users: [
      {
        name,
        user: {
          exec: {
            apiVersion: "client.authentication.k8s.io/v1beta1",
            command: token.command,
            args: token.args,
            interactiveMode: "Never",
            provideClusterInfo: false,
            installHint:
              "the token script needs Google credentials (Application Default Credentials: workload identity federation, or `gcloud auth application-default login`)",
          },
        },
      },
    ],
    contexts: [{ name, context: { cluster: name, user: name } }],
    "current-context": name,
  });
}
