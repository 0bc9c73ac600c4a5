// The stack's configuration, as the program uses it. Keys and defaults are declared in
// Pulumi.yaml too (a test keeps the two the same); the defaults here apply where Pulumi's
// do not (under mocks, or with an older CLI).
import * as pulumi from "@pulumi/pulumi";

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
  gcpProject?: string;
  gcsBucket?: string;
  createGcsBucket: boolean;
  gcsBucketLocation: string;
  parallelism: number;
  gpuBudget: number;
  waitForResults: boolean;
  /** The Kubernetes provider's kubeconfig and context, which the collector uses too. */
  kubeconfig?: string;
  kubeContext?: string;
}

export const SETTING_DEFAULTS = {
  catalog: "catalog/",
  benchmarkNameRegex: "",
  dryRun: false,
  override: false,
  skipTearDown: false,
  outputDir: "output",
  prerequisites: true,
  gcpProject: "",
  gcsBucket: "",
  createGcsBucket: false,
  gcsBucketLocation: "US",
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

const NO_CONFIG: ConfigSource = { get: () => undefined, getBoolean: () => undefined, getNumber: () => undefined, getSecret: () => undefined };

function settingsFrom(config: ConfigSource, kubernetes: ConfigSource, runId: string): RunSettings {
  const text = (key: keyof typeof SETTING_DEFAULTS) => config.get(key) ?? (SETTING_DEFAULTS[key] as string);
  const flag = (key: keyof typeof SETTING_DEFAULTS) => config.getBoolean(key) ?? (SETTING_DEFAULTS[key] as boolean);
  const count = (key: keyof typeof SETTING_DEFAULTS) => config.getNumber(key, { min: 0 }) ?? (SETTING_DEFAULTS[key] as number);
  return {
    runId,
    catalogs: text("catalog").split(",").map((p) => p.trim()).filter(Boolean),
    benchmarkNameRegex: text("benchmarkNameRegex") || undefined,
    dryRun: flag("dryRun"),
    override: flag("override"),
    skipTearDown: flag("skipTearDown"),
    outputDir: text("outputDir"),
    prerequisites: flag("prerequisites"),
    hfToken: config.getSecret("hfToken"),
    gcpProject: text("gcpProject") || undefined,
    gcsBucket: text("gcsBucket") || undefined,
    createGcsBucket: flag("createGcsBucket"),
    gcsBucketLocation: text("gcsBucketLocation"),
    parallelism: count("parallelism"),
    gpuBudget: count("gpuBudget"),
    waitForResults: flag("waitForResults"),
    kubeconfig: kubernetes.get("kubeconfig"),
    kubeContext: kubernetes.get("context"),
  };
}

/** The stack's settings: its config under the project namespace, and the Kubernetes provider's. */
export function readSettings(config: pulumi.Config, runId: string): RunSettings {
  return settingsFrom(config, new pulumi.Config("kubernetes"), runId);
}

/** The settings of a stack with no config at all. */
export function defaultSettings(runId: string): RunSettings {
  return settingsFrom(NO_CONFIG, NO_CONFIG, runId);
}
