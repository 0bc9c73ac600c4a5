// Pulumi Deployments for inference-bench stacks, configured as code: each stack checks out the
// repository, installs with `npm ci` and runs the program with the pinned CLI, with Google
// credentials from workload identity federation; the stack reaches its GKE cluster through its
// `gkeCluster` config, with no kubeconfig file. A Deployments `destroy` runs the program, so the
// before-delete hooks collect anything still missing.
import * as pulumi from "@pulumi/pulumi";
import * as service from "@pulumi/pulumiservice";
import { deploymentSettingsArgs, type GcpFederation } from "./settings";

const config = new pulumi.Config();
const organization = config.require("organization");
const repository = config.get("repository") ?? "https://github.com/your-org/inference-bench.git";
const branch = config.get("branch") ?? "refs/heads/main";
const parallel = config.getNumber("parallel") ?? 64;
const federation = {
  projectNumber: config.get("gcpProjectNumber") ?? "",
  workloadPoolId: config.get("gcpWorkloadPoolId") ?? "",
  providerId: config.get("gcpProviderId") ?? "",
  serviceAccount: config.get("gcpServiceAccount") ?? "",
};
const given = Object.values(federation).filter(Boolean).length;
if (given > 0 && given < 4)
  throw new pulumi.RunError(
    "gcpProjectNumber, gcpWorkloadPoolId, gcpProviderId and gcpServiceAccount go together: set all four, or none",
  );
const gcp: GcpFederation | undefined = given === 4 ? federation : undefined;

export const stacks = config
  .require("stacks")
  .split(",")
  .map((s) => s.trim())
  .filter(Boolean);
for (const stack of stacks) {
  new service.DeploymentSettings(
    `deployment-settings-${stack}`,
    deploymentSettingsArgs({ organization, stack, repository, branch, parallel, gcp }),
  );
}
