// The shared cluster infrastructure, with its own lifetime: the cluster project (cluster/, one
// stack per cluster) installs it once, in the order the controllers need, and runs only check
// that it is there. Concurrent runs never write any of it.
//
// Order: the inference CRDs first (Envoy Gateway watches every extensionManager.backendResources
// kind only at start-up, internal/provider/kubernetes/controller.go; AI Gateway starts its
// InferencePool controller only if the CRD exists at start-up, internal/controller/controller.go),
// then Envoy Gateway (with read access to InferencePools, without which v1.8.1+ never becomes
// Ready), then AI Gateway's CRD chart and controller chart, then the EnvoyProxy and GatewayClass.
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULTS } from "../lib/catalog/defaults";
import { UserError } from "../lib/errors";
import { envoyGatewayValues, loadCrd } from "../lib/infrastructure/pinned";
import { detectInfrastructure, type InstallPlan, planInstall } from "../lib/infrastructure/plan";
import { loadKubeConfig } from "../lib/kube-config";
import {
  AI_GATEWAY_CHART,
  AI_GATEWAY_CRDS_CHART,
  ENVOY_GATEWAY_CHART,
  type PinnedChart,
} from "../lib/manifests/charts";
import {
  classEnvoyProxy,
  envoyGatewayClass,
  envoyGatewayPoolReader,
  eppClusterRole,
  eppMetricsReaderClusterRole,
  sharedLabels,
} from "../lib/manifests/cluster-scoped";
import type { K8sObject } from "../lib/manifests/common";
import { declareObject } from "./benchmark";
import { ResultsBucket } from "./results-bucket";

export const INFRASTRUCTURE_TYPE = "inference-bench:cluster:Infrastructure";

export interface ProxyOnlySubnetArgs {
  project: string;
  region: string;
  /** The cluster's VPC network (name or self link). */
  network: string;
  /** The subnet's range, e.g. 10.129.0.0/23 (GKE recommends a /23). */
  ipCidrRange: string;
}

export interface SharedInfrastructureArgs {
  /** This cluster stack's name; every object it installs carries it (CLUSTER_STACK_LABEL). Required. */
  stack: string;
  /** What to install and what to reuse (lib/infrastructure/plan.ts planInstall). Required. */
  plan: InstallPlan;
  /** The Envoy GatewayClass. Default: DEFAULTS.gatewayClass.envoy, the catalogs' default. */
  gatewayClassName?: string;
  /** Create the proxy-only subnet that GKE's regional Gateway classes need. Default: none. */
  proxyOnlySubnet?: ProxyOnlySubnetArgs;
}

export class SharedInfrastructure extends pulumi.ComponentResource {
  /** The logical name of every shared object declared, in install order. */
  readonly installed: string[];

  constructor(name: string, args: SharedInfrastructureArgs, opts?: pulumi.ComponentResourceOptions) {
    super(INFRASTRUCTURE_TYPE, name, {}, opts);
    if (!args.stack) throw new pulumi.ResourceError("SharedInfrastructure: stack is required", this);
    const { plan, stack } = args;
    const gatewayClassName = args.gatewayClassName ?? DEFAULTS.gatewayClass.envoy;
    const installed: string[] = [];
    const object = (o: K8sObject, dependsOn: pulumi.Resource[] = []) => {
      const logical = `${name}-${o.kind.toLowerCase()}-${o.metadata.name}`;
      installed.push(logical);
      return declareObject(o, logical, { parent: this, dependsOn });
    };

    // Deleting a CRD deletes every object of its kind in the cluster: CRDs outlive the stack.
    let crds: pulumi.Resource[];
    try {
      crds = plan.crds.map((crd) => {
        const manifest = loadCrd(crd);
        manifest.metadata.labels = { ...manifest.metadata.labels, ...sharedLabels(stack) };
        installed.push(`${name}-crd-${crd.name}`);
        return new k8s.apiextensions.v1.CustomResourceDefinition(
          `${name}-crd-${crd.name}`,
          manifest as unknown as k8s.apiextensions.v1.CustomResourceDefinitionArgs,
          {
            parent: this,
            retainOnDelete: true,
          },
        );
      });
    } catch (error) {
      throw error instanceof UserError ? new pulumi.ResourceError(error.message, this) : error;
    }

    if (plan.installEnvoyGateway) {
      const poolReader = envoyGatewayPoolReader(stack).map((o) => object(o));
      const release = (chart: PinnedChart, values: Record<string, unknown>, dependsOn: pulumi.Resource[]) => {
        installed.push(`${name}-${chart.release}`);
        return new k8s.helm.v3.Release(
          `${name}-${chart.release}`,
          {
            name: chart.release,
            chart: chart.chart,
            version: chart.version,
            namespace: chart.namespace,
            createNamespace: true,
            values,
          },
          { parent: this, dependsOn },
        );
      };
      const envoyGateway = release(ENVOY_GATEWAY_CHART, envoyGatewayValues(), [...crds, ...poolReader]);
      if (plan.installAiGateway) {
        const aiCrds = release(AI_GATEWAY_CRDS_CHART, {}, [envoyGateway]);
        release(AI_GATEWAY_CHART, {}, [aiCrds, envoyGateway, ...crds]);
      }
      if (plan.declareGatewayClass) {
        const proxy = object(classEnvoyProxy(stack), [envoyGateway]);
        object(envoyGatewayClass(gatewayClassName, stack), [proxy, envoyGateway]);
      }
    } else if (plan.declareGatewayClass) {
      const proxy = object(classEnvoyProxy(stack));
      object(envoyGatewayClass(gatewayClassName, stack), [proxy]);
    }
    object(eppClusterRole(stack));
    object(eppMetricsReaderClusterRole(stack));

    if (args.proxyOnlySubnet) {
      const subnet = args.proxyOnlySubnet;
      installed.push(`${name}-proxy-only-subnet`);
      new gcp.compute.Subnetwork(
        `${name}-proxy-only-subnet`,
        {
          project: subnet.project,
          region: subnet.region,
          network: subnet.network,
          name: `inference-bench-proxy-only-${subnet.region}`,
          ipCidrRange: subnet.ipCidrRange,
          purpose: "REGIONAL_MANAGED_PROXY",
          role: "ACTIVE",
        },
        { parent: this },
      );
    }

    this.installed = installed;
    this.registerOutputs({});
  }
}

/** The cluster stack's configuration (cluster/Pulumi.yaml declares the keys with these defaults). */
export interface InfrastructureSettings {
  stack: string;
  envoyGateway: boolean;
  gatewayClassName: string;
  gcpProject?: string;
  gcpRegion?: string;
  gcpNetwork: string;
  proxyOnlySubnetCidr?: string;
  /** The results bucket runs upload to (their `gcsBucket`); created here, in gcpProject. */
  resultsBucket?: string;
  resultsBucketLocation: string;
  /** IAM members that upload results (roles/storage.objectAdmin on the bucket). */
  resultsBucketWriters: string[];
  kubeconfig?: string;
  kubeContext?: string;
}

export const INFRASTRUCTURE_SETTING_DEFAULTS = {
  envoyGateway: true,
  gatewayClassName: DEFAULTS.gatewayClass.envoy,
  gcpProject: "",
  gcpRegion: "",
  gcpNetwork: "default",
  proxyOnlySubnetCidr: "",
  resultsBucket: "",
  resultsBucketLocation: "US",
  resultsBucketWriters: "",
} as const;

export function readInfrastructureSettings(config: pulumi.Config, stack: string): InfrastructureSettings {
  const kubernetes = new pulumi.Config("kubernetes");
  const text = (key: keyof typeof INFRASTRUCTURE_SETTING_DEFAULTS) =>
    config.get(key) ?? (INFRASTRUCTURE_SETTING_DEFAULTS[key] as string);
  return {
    stack,
    envoyGateway: config.getBoolean("envoyGateway") ?? INFRASTRUCTURE_SETTING_DEFAULTS.envoyGateway,
    gatewayClassName: text("gatewayClassName"),
    gcpProject: text("gcpProject") || undefined,
    gcpRegion: text("gcpRegion") || undefined,
    gcpNetwork: text("gcpNetwork"),
    proxyOnlySubnetCidr: text("proxyOnlySubnetCidr") || undefined,
    resultsBucket: text("resultsBucket") || undefined,
    resultsBucketLocation: text("resultsBucketLocation"),
    resultsBucketWriters: text("resultsBucketWriters")
      .split(",")
      .map((member) => member.trim())
      .filter(Boolean),
    kubeconfig: kubernetes.get("kubeconfig"),
    kubeContext: kubernetes.get("context"),
  };
}

export interface InfrastructureOutputs {
  gatewayClassName: string;
  /** What this stack declares. */
  installed: string[];
  /** What already existed and is reused. */
  reused: string[];
  /** The results bucket, when this stack declares one. */
  resultsBucket?: pulumi.Output<string>;
}

/** Is there an active proxy-only subnet in the region and network? (GKE's regional Gateway classes need one.) */
async function hasProxyOnlySubnet(project: string, region: string, network: string): Promise<boolean> {
  const found = await gcp.compute.getSubnetworks({ project, region, filter: "purpose eq REGIONAL_MANAGED_PROXY" });
  const networkName = network.split("/").pop();
  return (found.subnetworks ?? []).some((s) => s.networkName === networkName || s.network === network);
}

/** The cluster program: detect what exists, then install the rest. */
export async function runInfrastructureProgram(settings: InfrastructureSettings): Promise<InfrastructureOutputs> {
  let plan: InstallPlan;
  try {
    const kubeConfig = loadKubeConfig(settings.kubeconfig, settings.kubeContext);
    const existing = await detectInfrastructure(kubeConfig, settings.stack, settings.gatewayClassName);
    plan = planInstall(existing, { envoyGateway: settings.envoyGateway, gatewayClassName: settings.gatewayClassName });
  } catch (error) {
    throw error instanceof UserError ? new pulumi.RunError(error.message) : error;
  }
  for (const warning of plan.warnings) pulumi.log.warn(warning);
  for (const line of plan.reused) pulumi.log.info(`reusing ${line}`);

  let proxyOnlySubnet: ProxyOnlySubnetArgs | undefined;
  if (settings.gcpProject && settings.gcpRegion) {
    if (settings.proxyOnlySubnetCidr) {
      proxyOnlySubnet = {
        project: settings.gcpProject,
        region: settings.gcpRegion,
        network: settings.gcpNetwork,
        ipCidrRange: settings.proxyOnlySubnetCidr,
      };
    } else if (!(await hasProxyOnlySubnet(settings.gcpProject, settings.gcpRegion, settings.gcpNetwork))) {
      pulumi.log.warn(
        `no proxy-only subnet (purpose REGIONAL_MANAGED_PROXY) in ${settings.gcpRegion}, network ${settings.gcpNetwork}: ` +
          `GKE's regional Gateway classes (gke-l7-rilb, gke-l7-regional-external-managed) will ` +
          `never program a Gateway; create one with \`pulumi config set proxyOnlySubnetCidr ` +
          `10.129.0.0/23\` (an unused range) and \`pulumi up\``,
      );
    }
  } else if (settings.proxyOnlySubnetCidr) {
    throw new pulumi.RunError("proxyOnlySubnetCidr needs gcpProject and gcpRegion (the cluster's project and region)");
  }
  if (settings.resultsBucket && !settings.gcpProject) {
    throw new pulumi.RunError("resultsBucket needs gcpProject (the project that owns the bucket)");
  }

  const provider = new k8s.Provider("cluster", {
    // Objects named by this project (inference-bench-*) may exist from an earlier install (or an
    // older version of the run program): adopt them instead of failing on create.
    enableServerSideApply: true,
    upsertExistingObjects: true,
    ...(settings.kubeconfig ? { kubeconfig: settings.kubeconfig } : {}),
    ...(settings.kubeContext ? { context: settings.kubeContext } : {}),
  });
  const infrastructure = new SharedInfrastructure(
    "cluster",
    {
      stack: settings.stack,
      plan,
      gatewayClassName: settings.gatewayClassName,
      proxyOnlySubnet,
    },
    { providers: [provider] },
  );
  // Results outlive every run, so their bucket belongs to this stack (kept when it is destroyed).
  const bucket = settings.resultsBucket
    ? new ResultsBucket("results", {
        project: settings.gcpProject!,
        name: settings.resultsBucket,
        location: settings.resultsBucketLocation,
        writers: settings.resultsBucketWriters,
      })
    : undefined;
  return {
    gatewayClassName: settings.gatewayClassName,
    installed: infrastructure.installed,
    reused: plan.reused,
    ...(bucket ? { resultsBucket: bucket.bucketName } : {}),
  };
}
