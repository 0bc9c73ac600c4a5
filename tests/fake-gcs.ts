// A GCS bucket in memory, shaped like @google-cloud/storage's Bucket as lib/results/gcs.ts uses
// it: upload overwrites an object, getFiles lists by prefix, delete removes. `fail` makes every
// call reject the way the client does without access (403), for a missing bucket (404), or
// without credentials.
import * as fs from "node:fs";
import type { StoredObject, UploadBucket } from "../lib/results/gcs";

export type BucketFault = "forbidden" | "not-found" | "no-credentials";

const FAULTS: Record<BucketFault, Error> = {
  forbidden: Object.assign(new Error("ci@p.iam.gserviceaccount.com does not have storage.objects.create access to the Google Cloud Storage object."), { code: 403 }),
  "not-found": Object.assign(new Error("The specified bucket does not exist."), { code: 404 }),
  "no-credentials": new Error("Could not load the default credentials. Browse to https://cloud.google.com/docs/authentication/getting-started for more information."),
};

export class FakeBucket implements UploadBucket {
  readonly objects = new Map<string, string>();
  /** Fail every upload after this many successful ones, and every call when 0 (undefined: never). */
  failAfter?: number;
  fault: BucketFault = "forbidden";
  uploads = 0;

  constructor(readonly name: string) {}

  private check(): void {
    if (this.failAfter !== undefined && this.uploads >= this.failAfter) throw FAULTS[this.fault];
  }

  async upload(localPath: string, options: { destination: string }): Promise<unknown> {
    this.check();
    this.objects.set(options.destination, fs.readFileSync(localPath, "utf8"));
    this.uploads++;
    return [{ name: options.destination }];
  }

  async getFiles(options: { prefix: string }): Promise<[StoredObject[]]> {
    if (this.failAfter === 0) throw FAULTS[this.fault];
    const names = [...this.objects.keys()].filter((name) => name.startsWith(options.prefix));
    return [names.map((name) => ({ name, delete: async () => this.objects.delete(name) }))];
  }
}
