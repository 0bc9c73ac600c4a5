// The endpoint picker (GIE's epp) releases we know, and what each speaks, read from
// kubernetes-sigs/gateway-api-inference-extension at each release tag: its flags (names, and the
// parser: Go's flag package takes -name and --name alike; pflag, from v1.3.0, rejects a single
// dash before a long name) and the InferencePool API it reads. A picker that cannot parse the
// flags a flavour passes, or reads pools the flavour does not deploy, exits or idles at start.
import { DEFAULT_IMAGES } from "./defaults";

/** The flavours with a picker (catalog.ts InferenceFlavor). */
type InferenceFlavor = "v1" | "v1alpha2";

export interface PickerRelease {
  /** Release tags of this kind. */
  tags: readonly string[];
  /** Flag names: -poolName (v0.x) or --pool-name (v1.x). */
  flags: "camelCase" | "kebab-case";
  /** The flag parser: Go's `flag` or spf13/pflag. */
  parser: "flag" | "pflag";
  /** The InferencePool API it reads. */
  api: "v1alpha1" | "v1alpha2" | "v1";
  /** Whether it defines --tracing (on by default, exporting to localhost:4317). */
  tracingFlag: boolean;
  /** Implements only full-duplex streaming (buffered bodies stall). */
  streamingOnly: boolean;
  /** Where this was read. */
  source: string;
}

export const PICKER_RELEASES: readonly PickerRelease[] = [
  {
    tags: ["v0.1.0"],
    flags: "camelCase",
    parser: "flag",
    api: "v1alpha1",
    tracingFlag: false,
    streamingOnly: false,
    source: 'pkg/ext-proc/main.go: flag.String("poolName"), v1alpha1.AddToScheme',
  },
  {
    tags: ["v0.2.0", "v0.3.0"],
    flags: "camelCase",
    parser: "flag",
    api: "v1alpha2",
    tracingFlag: false,
    streamingOnly: false,
    source: 'cmd/epp/main.go: flag.String("poolName"), USE_STREAMING picks the server',
  },
  {
    tags: ["v0.4.0", "v0.5.0", "v0.5.1"],
    flags: "camelCase",
    parser: "flag",
    api: "v1alpha2",
    tracingFlag: false,
    streamingOnly: true,
    source: 'cmd/epp/runner/runner.go: flag.String("poolName"); the buffered server is gone',
  },
  {
    tags: ["v1.0.0", "v1.0.1", "v1.0.2"],
    flags: "kebab-case",
    parser: "flag",
    api: "v1",
    tracingFlag: false,
    streamingOnly: true,
    source: 'cmd/epp/runner/runner.go: flag.String("pool-name"), "pool-group"; no "tracing"',
  },
  {
    tags: ["v1.1.0", "v1.2.0", "v1.2.1"],
    flags: "kebab-case",
    parser: "flag",
    api: "v1",
    tracingFlag: true,
    streamingOnly: true,
    source: 'cmd/epp/runner/runner.go: flag.Bool("tracing"), "metrics-endpoint-auth"',
  },
  {
    tags: ["v1.3.0", "v1.3.1", "v1.4.0", "v1.5.0"],
    flags: "kebab-case",
    parser: "pflag",
    api: "v1",
    tracingFlag: true,
    streamingOnly: true,
    source: "pkg/epp/server/options.go AddFlags (spf13/pflag), cmd/epp/runner/runner.go pflag.Parse",
  },
];

/** GIE's picker images: the release registry and the staging one the seed's catalogs use. */
const PICKER_IMAGE =
  /^(?:registry\.k8s\.io|us-central1-docker\.pkg\.dev\/k8s-staging-images)\/gateway-api-inference-extension\/epp:(v[0-9.]+)$/;

/** The release an image is, or undefined for any other build (a digest, a branch, another repository). */
export function pickerRelease(image: string): (PickerRelease & { tag: string }) | undefined {
  const tag = PICKER_IMAGE.exec(image)?.[1];
  const release = tag ? PICKER_RELEASES.find((r) => r.tags.includes(tag)) : undefined;
  return release && tag ? { ...release, tag } : undefined;
}

/** What each flavour passes and deploys (lib/manifests/load-balancer.ts endpointPicker). */
const FLAVOUR_NEEDS: Record<InferenceFlavor, { flags: PickerRelease["flags"]; api: PickerRelease["api"] }> = {
  v1: { flags: "kebab-case", api: "v1" },
  v1alpha2: { flags: "camelCase", api: "v1alpha2" },
};

const short = (image: string) => image.slice(image.lastIndexOf("/") + 1);

/**
 * Why a known picker release cannot run in `flavour`, with advice that works; undefined when it can (or is
 * unknown).
 */
export function pickerFlavourProblem(image: string, flavour: InferenceFlavor): string | undefined {
  const release = pickerRelease(image);
  if (!release) return undefined;
  const needs = FLAVOUR_NEEDS[flavour];
  if (release.flags === needs.flags && release.api === needs.api) return undefined;
  const picker = `picker ${short(image)}`;
  const useDefault = `drop epp.image (default ${short(flavour === "v1" ? DEFAULT_IMAGES.eppV1 : DEFAULT_IMAGES.eppV1alpha2)})`;
  if (release.api === "v1alpha1")
    return `${picker} reads v1alpha1 pools, which nothing deploys or installs: ${useDefault}`;
  if (flavour === "v1")
    return (
      `${picker} takes camelCase flags and reads v1alpha2 pools, not the v1 flavour's: ${useDefault} ` +
      `or set inference_api: V1ALPHA2`
    );
  return `${picker} takes kebab-case flags, not V1ALPHA2's -poolName: ${useDefault} or remove inference_api: V1ALPHA2`;
}
