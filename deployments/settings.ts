// The Pulumi Deployments settings of one inference-bench stack.
import type * as service from "@pulumi/pulumiservice";

export interface DeploymentTarget {
  organization: string;
  stack: string;
  repository: string;
  branch: string;
}

export function deploymentSettingsArgs(target: DeploymentTarget): service.DeploymentSettingsArgs {
  return {
    organization: target.organization,
    project: "inference-bench",
    stack: target.stack,
    sourceContext: { git: { repoUrl: target.repository, branch: target.branch } },
    operationContext: {
      // Dependencies are installed by `npm ci` (lockfile, Node 22), not by Deployments' own step.
      preRunCommands: ["npm ci"],
      options: { skipInstallDependencies: true },
    },
    executorContext: { executorImage: "pulumi/pulumi-nodejs-22:latest" },
  };
}
