// The GCS bucket that keeps every run's results. It outlives runs, so it belongs to the
// cluster's shared-infrastructure stack (the `cluster/` project), never to a run's stack: a
// run's stack only names it (`gcsBucket`), and runs upload under gs://<bucket>/<run id>/.
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

export const RESULTS_BUCKET_TYPE = "inference-bench:index:ResultsBucket";

/** Lets writers replace and delete objects: a re-collected benchmark replaces its old objects. */
const RESULTS_WRITER_ROLE = "roles/storage.objectAdmin";

export interface ResultsBucketArgs {
  /** The GCP project that owns the bucket. Required. */
  project: string;
  /** The bucket's name, globally unique (what runs set as `gcsBucket`). Required. */
  name: string;
  /** Where the bucket lives (a region, dual-region or multi-region). Default: "US". */
  location?: string;
  /**
   * IAM members that upload results (the uploads run where `pulumi up` runs, with its Google
   * credentials), e.g. `serviceAccount:ci@my-project.iam.gserviceaccount.com` or
   * `group:benchmarkers@example.com`; each gets roles/storage.objectAdmin on this bucket only.
   * Default: none (the project's owners and editors can already write).
   */
  writers?: string[];
  /**
   * Keep the bucket, with every run's results, when the cluster stack is destroyed. Default:
   * true. With false, destroying the stack deletes the bucket, and fails while it holds objects.
   */
  retainOnDelete?: boolean;
}

export class ResultsBucket extends pulumi.ComponentResource {
  /** The bucket's name. */
  readonly bucketName: pulumi.Output<string>;
  /** `gs://<name>`. */
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: ResultsBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super(RESULTS_BUCKET_TYPE, name, {}, opts);
    if (!args.project) throw new pulumi.ResourceError(`results bucket ${name}: project is required`, this);
    if (!/^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/.test(args.name ?? "")) {
      throw new pulumi.ResourceError(
        `results bucket ${name}: "${args.name}" is not a valid bucket name (3-63 lowercase ` +
          `letters, digits, "-", "_" and ".")`,
        this,
      );
    }
    const bucket = new gcp.storage.Bucket(
      `${name}-bucket`,
      {
        project: args.project,
        name: args.name,
        location: args.location ?? "US",
        uniformBucketLevelAccess: true,
        publicAccessPrevention: "enforced",
        forceDestroy: false,
      },
      { parent: this, retainOnDelete: args.retainOnDelete ?? true },
    );
    for (const member of [...new Set(args.writers ?? [])].sort()) {
      new gcp.storage.BucketIAMMember(
        `${name}-writer-${member}`,
        { bucket: bucket.name, role: RESULTS_WRITER_ROLE, member },
        { parent: this },
      );
    }
    this.bucketName = bucket.name;
    this.url = pulumi.interpolate`gs://${bucket.name}`;
    this.registerOutputs({ bucketName: this.bucketName, url: this.url });
  }
}
