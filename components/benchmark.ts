// One benchmark of a run: its namespace, model server, load balancer and load generator,
// made from the very objects the snapshot holds, with the collection hooks on the Job.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { BuiltBenchmark } from "../lib/manifests";
import { type K8sObject, LABELS, NAMES, PARTS, prerequisitesOf } from "../lib/manifests/common";
import type { CollectPhase } from "../lib/run/results-service";

export const BENCHMARK_TYPE = "inference-bench:index:Benchmark";

/**
 * The hooks that collect a benchmark's results, bound to its Job. The engine stores a resource's
 * hook names in its state and, when it deletes the resource in a later run, looks the names up
 * among the hooks that run registered: an unknown name fails `up`, `preview` and
 * `destroy --run-program` (pulumi/pulumi@v3.259.0 pkg/resource/deploy/deployment.go RunHooks,
 * step.go DeleteStep.Apply). So the names bound now are the same for every benchmark and every
 * run, and registered by every run of the program whatever it selects or finds on disk: the hook
 * tells the benchmark from the Job it is called for (jobBenchmark).
 */
export interface CollectionHooks {
  afterCreate: pulumi.ResourceHook;
  afterUpdate: pulumi.ResourceHook;
  beforeDelete: pulumi.ResourceHook;
}

/** The hook names: "/" never occurs in a benchmark name, so they cannot meet the names below. */
const HOOK_NAMES = {
  afterCreate: "results/collect-after-create",
  afterUpdate: "results/collect-after-update",
  beforeDelete: "results/collect-before-delete",
} as const;

/**
 * The before-delete names earlier versions bound, one per benchmark: `<benchmark>:collect-before-delete`
 * and the first release's `collect-before-delete-<benchmark>`. Stacks they updated can hold Jobs
 * that still bind them until those Jobs are deleted (a same step rebinds the current names:
 * pkg/resource/deploy/step_generator.go), so each is registered for every benchmark the stack names.
 */
export function legacyHookNames(benchmark: string): string[] {
  return [`${benchmark}:collect-before-delete`, `collect-before-delete-${benchmark}`];
}

/**
 * `ignoreErrors`: a failing hook is a warning, never a failed step — a failed before-delete step
 * would stop the teardown and keep the model server's GPUs (deployment.go RunHooks honours IgnoreErrors).
 */
const HOOK_OPTIONS = { ignoreErrors: true };

/**
 * The benchmark a Job's hook is called for: the Job's label, else its logical name
 * (`<benchmark>-job-benchmark-tool`).
 */
function jobBenchmark(args: pulumi.ResourceHookArgs): string | undefined {
  const labels = (args.newOutputs ?? args.oldOutputs ?? args.newInputs ?? args.oldInputs)?.metadata?.labels;
  const label = labels?.[LABELS.benchmark];
  if (typeof label === "string") return label;
  const suffix = `-job-${NAMES.loadGenerator}`;
  return args.name.endsWith(suffix) ? args.name.slice(0, -suffix.length) : undefined;
}

/** Registers the collection hooks; `collect` is called with the benchmark the Job belongs to. */
export function collectionHooks(
  collect: (benchmark: string | undefined, phase: CollectPhase) => Promise<void>,
): CollectionHooks {
  const hook = (name: string, phase: CollectPhase) =>
    new pulumi.ResourceHook(name, (args) => collect(jobBenchmark(args), phase), HOOK_OPTIONS);
  return {
    afterCreate: hook(HOOK_NAMES.afterCreate, "after-job"),
    afterUpdate: hook(HOOK_NAMES.afterUpdate, "after-job"),
    beforeDelete: hook(HOOK_NAMES.beforeDelete, "before-delete"),
  };
}

/** Registers the earlier versions' before-delete names of one benchmark. */
export function legacyHooks(benchmark: string, beforeDelete: () => Promise<void>): void {
  for (const name of legacyHookNames(benchmark)) new pulumi.ResourceHook(name, beforeDelete, HOOK_OPTIONS);
}

export interface BenchmarkArgs {
  /** The benchmark's Kubernetes objects, part by part, exactly as written to the snapshot. */
  built: BuiltBenchmark;
  /** Where the snapshot of this benchmark was written. */
  snapshotDir: string;
  /** The hooks bound to the load generator Job, which collect its results (collectionHooks). Default: no hooks. */
  hooks?: CollectionHooks;
  /**
   * Hugging Face token, stored as Secret `hf-token` in the namespace. Default: no Secret (the model server's
   * reference is optional).
   */
  hfToken?: pulumi.Input<string>;
  /** What must exist before the load balancer (CRDs, Envoy Gateway). Default: nothing. */
  prerequisites?: pulumi.Resource[];
  /** The benchmark's record in the stack: nothing is deployed before it is there. Default: none. */
  record?: pulumi.Resource;
  /** How long the model server may take to become ready. Default: 60 minutes. */
  modelServerTimeout?: string;
  /** How long deleting the namespace, and so the whole benchmark, may take. Default: 30 minutes. */
  namespaceDeleteTimeout?: string;
}

/**
 * Core kinds get the provider's typed classes (a CustomResource with apiVersion v1 is rejected).
 * Each takes its own Args type; the object's apiVersion and kind pick the class, so they match.
 */
type Constructor = new (name: string, args: never, opts: pulumi.CustomResourceOptions) => pulumi.CustomResource;
const CORE_KINDS: Record<string, Constructor> = {
  "v1/Namespace": k8s.core.v1.Namespace,
  "v1/Service": k8s.core.v1.Service,
  "v1/ServiceAccount": k8s.core.v1.ServiceAccount,
  "v1/ConfigMap": k8s.core.v1.ConfigMap,
  "v1/Secret": k8s.core.v1.Secret,
  "apps/v1/Deployment": k8s.apps.v1.Deployment,
  "batch/v1/Job": k8s.batch.v1.Job,
  "rbac.authorization.k8s.io/v1/Role": k8s.rbac.v1.Role,
  "rbac.authorization.k8s.io/v1/RoleBinding": k8s.rbac.v1.RoleBinding,
  "rbac.authorization.k8s.io/v1/ClusterRole": k8s.rbac.v1.ClusterRole,
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": k8s.rbac.v1.ClusterRoleBinding,
};

/** Declares one object: a typed class for core kinds, a CustomResource for the rest. */
export function declareObject(
  object: K8sObject,
  name: string,
  opts: pulumi.CustomResourceOptions,
): pulumi.CustomResource {
  const Core = CORE_KINDS[`${object.apiVersion}/${object.kind}`];
  if (Core) return new Core(name, object as never, opts);
  return new k8s.apiextensions.CustomResource(name, object as k8s.apiextensions.CustomResourceArgs, opts);
}

/** A logical name unique in the run: benchmark, kind, object name. */
function logicalName(benchmark: string, object: K8sObject): string {
  return `${benchmark}-${object.kind.toLowerCase()}-${object.metadata.name}`;
}

export class Benchmark extends pulumi.ComponentResource {
  /** The benchmark's namespace: `{name}-{run_id}`. */
  readonly namespace: pulumi.Output<string>;
  /** Where the load generator sends its requests. */
  readonly target: string;
  readonly snapshotDir: string;
  /** The load generator Job. */
  readonly job: pulumi.CustomResource;

  constructor(name: string, args: BenchmarkArgs, opts?: pulumi.ComponentResourceOptions) {
    super(BENCHMARK_TYPE, name, {}, opts);
    const { built } = args;
    const misplaced = PARTS.flatMap((part) => built.manifests[part]).filter(
      (o) => o.kind !== "Namespace" && o.metadata.namespace !== built.namespace,
    );
    if (misplaced.length) {
      throw new pulumi.ResourceError(
        `benchmark ${name}: ${misplaced[0].kind} ${misplaced[0].metadata.name} is not in namespace ${built.namespace}`,
        this,
      );
    }
    const [namespaceObject] = built.manifests.namespace;
    const jobObject = built.manifests["load-generator"].find((o) => o.kind === "Job");
    if (!namespaceObject || !jobObject)
      throw new pulumi.ResourceError(`benchmark ${name}: the manifests need a Namespace and a Job`, this);

    const namespace = declareObject(namespaceObject, logicalName(name, namespaceObject), {
      parent: this,
      dependsOn: args.record ? [args.record] : [],
      // Teardown is this one delete; the provider's default (10 minutes) is too short for pods
      // that drain and controllers that remove their finalizers.
      customTimeouts: { delete: args.namespaceDeleteTimeout ?? "30m" },
    }) as k8s.core.v1.Namespace;
    // Deleting the namespace deletes everything in it, so teardown is that one delete: the
    // engine skips the provider's delete of a resource whose deletedWith is deleted in the same
    // run, after running its before-delete hooks (step.go DeleteStep.Apply, isDeletedWith).
    const inside = { parent: this, deletedWith: namespace };
    const inNamespace: pulumi.Resource[] = [namespace];
    if (args.hfToken !== undefined) {
      inNamespace.push(
        new k8s.core.v1.Secret(
          `${name}-secret-${NAMES.hfSecret}`,
          {
            metadata: { name: NAMES.hfSecret, namespace: built.namespace, labels: namespaceObject.metadata.labels },
            stringData: { [NAMES.hfSecretKey]: args.hfToken },
          },
          { ...inside, dependsOn: [namespace] },
        ),
      );
    }

    const declared: pulumi.Resource[] = [];
    const declaredObjects = new Map<K8sObject, pulumi.Resource>();
    const declarePart = (objects: K8sObject[], partDependsOn: pulumi.Resource[]) => {
      for (const object of objects) {
        // Within a part, what an object needs first (a token Secret its ServiceAccount), listed before it.
        const first = prerequisitesOf(object, objects).map((o) => declaredObjects.get(o));
        if (first.includes(undefined))
          throw new pulumi.ResourceError(
            `benchmark ${name}: ${object.kind} ${object.metadata.name} is listed before what it needs`,
            this,
          );
        const dependsOn = [...partDependsOn, ...(first as pulumi.Resource[])];
        const customTimeouts =
          object.kind === "Deployment" && object.metadata.name === NAMES.modelServer
            ? { create: args.modelServerTimeout ?? "60m", update: args.modelServerTimeout ?? "60m" }
            : object.kind === "Gateway"
              ? { create: "30m", update: "30m" }
              : undefined;
        declared.push(
          declareObject(object, logicalName(name, object), {
            ...inside,
            dependsOn,
            ...(customTimeouts ? { customTimeouts } : {}),
          }),
        );
        declaredObjects.set(object, declared[declared.length - 1]);
      }
    };
    declarePart(built.manifests["model-server"], inNamespace);
    declarePart(built.manifests["load-balancer"], [...inNamespace, ...(args.prerequisites ?? [])]);
    declarePart(
      built.manifests["load-generator"].filter((o) => o !== jobObject),
      inNamespace,
    );

    // The load generator starts only once everything else is ready: the model server
    // Deployment (awaited until its pods are ready) and the Gateway (awaited until Programmed).
    const hooks: pulumi.ResourceHookBinding | undefined = args.hooks
      ? {
          afterCreate: [args.hooks.afterCreate],
          afterUpdate: [args.hooks.afterUpdate],
          beforeDelete: [args.hooks.beforeDelete],
        }
      : undefined;
    // A Job's template is immutable: a change would replace it (delete-before-replace for a named
    // object: pulumi-kubernetes provider/pkg/provider/diff.go, provider.go Diff), killing a
    // running load generator or running a finished one again. Once created, its spec stays.
    this.job = declareObject(jobObject, logicalName(name, jobObject), {
      ...inside,
      dependsOn: [...inNamespace, ...declared],
      ignoreChanges: ["spec"],
      ...(hooks ? { hooks } : {}),
    });

    this.namespace = namespace.metadata.name;
    this.target = built.target;
    this.snapshotDir = args.snapshotDir;
    this.registerOutputs({ namespace: this.namespace, target: this.target, snapshotDir: this.snapshotDir });
  }
}
