// The stack's configuration, as the program uses it. Keys and defaults are declared in
// Pulumi.yaml too (a test keeps the two the same); the defaults here apply where Pulumi's
// do not (under mocks, or with an older CLI). Every key has a default: Pulumi requires a
// declared key without one on every stack, used or not (pulumi/pulumi@v3.259.0
// pkg/workspace/config.go mergeConfig).
import * as pulumi from "@pulumi/pulumi";
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";
import { parseGkeCluster } from "../lib/gcp/gke";
import { gcpProjectProblem } from "../lib/ids";
import { WAIT_FOR_RESULTS_ENV } from "../lib/run/pulumi-cli";

export interface RunSettings {
  /** The run id: the stack name. */
  runId: string;
  catalogs: string[];
  benchmarkNameRegex?: string;
  dryRun: boolean;
  override: boolean;
  skipTearDown: boolean;
  outputDir: string;
  prerequisites: boolean;
  hfToken?: pulumi.Output<string>;
  /** Secret values (the token's) the collector removes from anything it writes. In memory only. */
  knownSecrets: string[];
  gcpProject?: string;
  /** An existing bucket (the cluster project creates it: components/results-bucket.ts). */
  gcsBucket?: string;
  /** The results database collected results go to: an SQLite file or a postgres:// URL (a secret). */
  resultsDb?: string;
  parallelism: number;
  gpuBudget: number;
  waitForResults: boolean;
  /** The Kubernetes provider's kubeconfig and context, which the collector uses too. */
  kubeconfig?: string;
  kubeContext?: string;
  /**
   * `projects/P/locations/L/clusters/C`: reach this GKE cluster with the machine's Google credentials, no
   * kubeconfig (lib/gcp/gke.ts).
   */
  gkeCluster?: string;
}

export const SETTING_DEFAULTS = {
  catalog: "catalog/",
  benchmarkNameRegex: "",
  dryRun: false,
  override: false,
  skipTearDown: false,
  outputDir: "output",
  prerequisites: true,
  hfToken: "",
  gcpProject: "",
  gcsBucket: "",
  gkeCluster: "",
  resultsDb: "",
  parallelism: 0,
  gpuBudget: 0,
  waitForResults: true,
} as const;

/** Where settings come from: a pulumi.Config, or nothing at all (defaults only). */
interface ConfigSource {
  get(key: string): string | undefined;
  getBoolean(key: string): boolean | undefined;
  getNumber(key: string, options?: { min: number }): number | undefined;
  getSecret(key: string): pulumi.Output<string> | undefined;
}

const NO_CONFIG: ConfigSource = {
  get: () => undefined,
  getBoolean: () => undefined,
  getNumber: () => undefined,
  getSecret: () => undefined,
};

function settingsFrom(config: ConfigSource, kubernetes: ConfigSource, runId: string): RunSettings {
  const text = (key: keyof typeof SETTING_DEFAULTS) => config.get(key) ?? (SETTING_DEFAULTS[key] as string);
  const flag = (key: keyof typeof SETTING_DEFAULTS) => config.getBoolean(key) ?? (SETTING_DEFAULTS[key] as boolean);
  const count = (key: keyof typeof SETTING_DEFAULTS) =>
    config.getNumber(key, { min: 0 }) ?? (SETTING_DEFAULTS[key] as number);
  return {
    runId,
    catalogs: text("catalog")
      .split(",")
      .map((p) => p.trim())
      .filter(Boolean),
    benchmarkNameRegex: text("benchmarkNameRegex") || undefined,
    dryRun: flag("dryRun"),
    override: flag("override"),
    skipTearDown: flag("skipTearDown"),
    outputDir: text("outputDir"),
    prerequisites: flag("prerequisites"),
    hfToken: text("hfToken") ? config.getSecret("hfToken") : undefined,
    knownSecrets: text("hfToken") ? [text("hfToken")] : [],
    gcpProject: text("gcpProject") || undefined,
    gcsBucket: text("gcsBucket") || undefined,
    gkeCluster: text("gkeCluster") || undefined,
    resultsDb: text("resultsDb") || undefined,
    parallelism: count("parallelism"),
    gpuBudget: count("gpuBudget"),
    waitForResults: process.env[WAIT_FOR_RESULTS_ENV] === "false" ? false : flag("waitForResults"),
    kubeconfig: kubernetes.get("kubeconfig"),
    kubeContext: kubernetes.get("context"),
  };
}

/** Keys earlier versions declared, and where their job went. */
const MOVED_KEYS: Record<string, string> = {
  createGcsBucket:
    "the results bucket outlives runs, so the cluster project creates it (components/results-bucket.ts); set gcsBucket to its name",
  gcsBucketLocation:
    "the results bucket outlives runs, so the cluster project creates it (components/results-bucket.ts)",
};

/** The stack's settings: its config under the project namespace, and the Kubernetes provider's. */
export function readSettings(config: pulumi.Config, runId: string): RunSettings {
  for (const [key, reason] of Object.entries(MOVED_KEYS)) {
    if (config.get(key) !== undefined)
      throw new pulumi.RunError(
        `${key} is no longer a setting of a run: ${reason}; remove it with \`pulumi config rm ${key}\``,
      );
  }
  // Pulumi.yaml cannot mark hfToken or resultsDb secret: a secret key with a default fails
  // validation on every stack that leaves it unset (the default is plain text;
  // pkg/workspace/config.go validateStackConfigValue). So the program refuses them in plain text.
  const isSecret = (key: string) =>
    (runtimeConfig as unknown as { isConfigSecret(key: string): boolean }).isConfigSecret(`${config.name}:${key}`);
  if (config.get("hfToken") && !isSecret("hfToken")) {
    throw new pulumi.RunError(
      "hfToken is stored in plain text in the stack's config; set it as a secret: `pulumi config " +
        "set --secret hfToken <token>`",
    );
  }
  // Even a file path: a database URL holds a password, and one rule is easier to keep than two.
  if (config.get("resultsDb") && !isSecret("resultsDb")) {
    throw new pulumi.RunError(
      "resultsDb is stored in plain text in the stack's config (a database URL holds its " +
        "password); set it as a secret: `pulumi config set --secret resultsDb " +
        "postgres://user:password@host:5432/db`",
    );
  }
  const gcpProject = config.get("gcpProject");
  const problem = gcpProject ? gcpProjectProblem(gcpProject) : undefined;
  if (problem) throw new pulumi.RunError(`gcpProject: ${problem}`);
  const gkeCluster = config.get("gkeCluster");
  const cluster = gkeCluster ? parseGkeCluster(gkeCluster) : undefined;
  if (typeof cluster === "string") throw new pulumi.RunError(cluster);
  return settingsFrom(config, new pulumi.Config("kubernetes"), runId);
}

/** The settings of a stack with no config at all. */
export function defaultSettings(runId: string): RunSettings {
  return settingsFrom(NO_CONFIG, NO_CONFIG, runId);
}
