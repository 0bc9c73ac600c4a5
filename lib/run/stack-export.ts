// `pulumi stack export` as the driver and the CLIs read it, without running the program: every
// resource with its outputs (the run's records among them), the pending operations an interrupted
// operation left, and the stack's own resource (pulumi/pulumi@v3.259.0
// sdk/go/common/apitype/core.go UntypedDeployment, DeploymentV3, ResourceV3, OperationV2).
import type { ResourceOutputs, StackResources } from "./stack-state";

export interface StackExport {
  resources: StackResources;
  /** URNs of the creates the engine began and never recorded (an `up` killed, or cancelled twice). */
  pendingCreates: string[];
  /** The URN of the stack's own resource, absent when the stack holds nothing. */
  stackUrn?: string;
}

interface ExportedResource {
  urn: string;
  type: string;
  delete?: boolean;
  outputs?: Record<string, unknown>;
}

export function readStackExport(json: string): StackExport {
  const exported = JSON.parse(json) as {
    deployment?: {
      resources?: ExportedResource[];
      pending_operations?: Array<{ type: string; resource: ExportedResource }>;
    };
  };
  const resources = exported.deployment?.resources ?? [];
  return {
    // As readStackResourceOutputs does: a resource marked for deletion is left out.
    resources: Object.fromEntries(
      resources
        .filter((r) => !r.delete)
        .map((r) => [r.urn, { type: r.type, outputs: (r.outputs ?? {}) as ResourceOutputs }]),
    ),
    pendingCreates: (exported.deployment?.pending_operations ?? [])
      .filter((op) => op.type === "creating")
      .map((op) => op.resource.urn),
    stackUrn: resources.find((r) => r.type === "pulumi:pulumi:Stack")?.urn,
  };
}
