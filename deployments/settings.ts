// The Pulumi Deployments settings of one inference-bench stack.
import type * as service from "@pulumi/pulumiservice";
import { PULUMI_CLI_VERSION } from "../lib/run/pulumi-cli";

/**
 * Google Cloud workload identity federation for the executor (Deployments OIDC): each deployment
 * exchanges its OIDC token for the service account's credentials, published to the program as
 * GOOGLE_CREDENTIALS (pulumi/docs content/docs/deployments/guides/oidc/gcp.md). The GCP provider,
 * the GKE token script (scripts/gke-token.cjs) and the bucket upload read them from there.
 */
export interface GcpFederation {
  /** The project's number (not its id). */
  projectNumber: string;
  workloadPoolId: string;
  providerId: string;
  /** The service account's email. */
  serviceAccount: string;
}

export interface DeploymentTarget {
  organization: string;
  stack: string;
  repository: string;
  branch: string;
  /**
   * Engine workers for an update. With waitForResults on, each benchmark an update deploys holds
   * one until its results are in, so this must exceed the benchmarks deployed at once (the
   * program warns with the number it needs). Default: 64.
   */
  parallel?: number;
  /** Google credentials for the executor. Default: none (the stack's config must then give the cluster another way). */
  gcp?: GcpFederation;
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
      environmentVariables: {
        // A Deployments `destroy` must run the program: the engine refuses to destroy resources
        // with delete hooks without it. PULUMI_RUN_PROGRAM is the default of --run-program for
        // destroy and refresh (pulumi/pulumi@v3.259.0 sdk/go/common/env/env.go RunProgram;
        // pkg/cmd/pulumi/operations/destroy.go; pkg/engine/destroy.go newDestroySource).
        PULUMI_RUN_PROGRAM: "true",
        // The default of --parallel (env.go Parallel; operations/up.go defaultParallel).
        PULUMI_PARALLEL: String(target.parallel ?? 64),
      },
      ...(target.gcp
        ? {
            oidc: {
              gcp: {
                projectId: target.gcp.projectNumber,
                workloadPoolId: target.gcp.workloadPoolId,
                providerId: target.gcp.providerId,
                serviceAccount: target.gcp.serviceAccount,
              },
            },
          }
        : {}),
    },
    // The CLI version whose engine the tests model (tests/engine.ts), with Node 22.
    executorContext: { executorImage: `pulumi/pulumi-nodejs-22:${PULUMI_CLI_VERSION}` },
  };
}
