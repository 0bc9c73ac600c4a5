// A GCS bucket in memory, shaped like @google-cloud/storage 8.4.0's Bucket as lib/collect/gcs.ts
// uses it, with the rules of the real service and client, with state across a whole run:
//  - Objects have generations (a new one on every write) and base64 MD5s; a write or delete with
//    ifGenerationMatch fails with 412 unless the object's generation is that one (0: absent).
//  - The client's retries (build/cjs/src/bucket.js Bucket.upload): an upload is retried on a
//    retryable error (storage.js RETRYABLE_ERR_FN_DEFAULT: 408, 429, 5xx, connection resets) up
//    to MAX_RETRY_DEFAULT (3) more times only with an ifGenerationMatch precondition and while the
//    Storage's autoRetry is on; without one it is sent once, and autoRetry is turned off for every
//    later call on that Storage. Deletes are retried only with ifGenerationMatch (file.js
//    disableAutoRetryConditionallyIdempotent_).
//  - Transient faults, per object: `lostBefore` sends fail with 503 before anything is written,
//    `lostAfter` sends are written and then fail with 503 (the response was lost).
//  - `fail`: every call rejects as the client does without access (403), for a missing bucket
//    (404), or without credentials.
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import type { StoredObject, UploadBucket, UploadOptions } from "../lib/collect/gcs";

export type BucketFault = "forbidden" | "not-found" | "no-credentials";

const FAULTS: Record<BucketFault, Error> = {
  forbidden: Object.assign(
    new Error(
      "ci@p.iam.gserviceaccount.com does not have storage.objects.create access to the Google Cloud Storage object.",
    ),
    { code: 403 },
  ),
  "not-found": Object.assign(new Error("The specified bucket does not exist."), { code: 404 }),
  "no-credentials": new Error(
    "Could not load the default credentials. Browse to " +
      "https://cloud.google.com/docs/authentication/getting-started for more information.",
  ),
};

/** storage.js MAX_RETRY_DEFAULT. */
const MAX_RETRIES = 3;
const unavailable = () =>
  Object.assign(new Error("We encountered an internal error. Please try again."), { code: 503 });
const preconditionFailed = () =>
  Object.assign(new Error("At least one of the pre-conditions you specified did not hold."), { code: 412 });

/** What happened to the bucket, in order: what a reader listing it at that moment would see. */
export interface BucketEvent {
  op: "write" | "delete";
  name: string;
  /** The bucket's objects right after this event. */
  after: ReadonlyMap<string, string>;
}

export class FakeBucket implements UploadBucket {
  /** Object contents by name. */
  readonly objects = new Map<string, string>();
  private readonly generations = new Map<string, number>();
  private generation = 1000;
  /** Fail every upload after this many successful ones, and every call when 0 (undefined: never). */
  failAfter?: number;
  fault: BucketFault = "forbidden";
  /** Successful uploads. */
  uploads = 0;
  /** Every attempt to send each object (retries included). */
  readonly sends = new Map<string, number>();
  /** Per object: sends still to fail before (nothing written) or after (written, answer lost) the write. */
  readonly lostBefore = new Map<string, number>();
  readonly lostAfter = new Map<string, number>();
  /** The Storage's retryOptions.autoRetry, which an upload without a precondition turns off. */
  autoRetry = true;
  readonly events: BucketEvent[] = [];
  private inFlight = 0;
  maxInFlight = 0;

  constructor(readonly name: string) {}

  private check(): void {
    if (this.failAfter !== undefined && this.uploads >= this.failAfter) throw FAULTS[this.fault];
  }

  private record(op: BucketEvent["op"], name: string): void {
    this.events.push({ op, name, after: new Map(this.objects) });
  }

  private matches(name: string, ifGenerationMatch: string | number | undefined): boolean {
    return ifGenerationMatch === undefined || Number(ifGenerationMatch) === (this.generations.get(name) ?? 0);
  }

  private take(faults: Map<string, number>, name: string): boolean {
    const left = faults.get(name) ?? 0;
    if (left > 0) faults.set(name, left - 1);
    return left > 0;
  }

  /** One send of an upload, as the service answers it. */
  private async send(localPath: string, options: UploadOptions): Promise<void> {
    const name = options.destination;
    this.sends.set(name, (this.sends.get(name) ?? 0) + 1);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise((resolve) => setImmediate(resolve));
      this.check();
      if (this.take(this.lostBefore, name)) throw unavailable();
      if (!this.matches(name, options.preconditionOpts?.ifGenerationMatch)) throw preconditionFailed();
      this.objects.set(name, fs.readFileSync(localPath, "utf8"));
      this.generations.set(name, ++this.generation);
      this.uploads++;
      this.record("write", name);
      if (this.take(this.lostAfter, name)) throw unavailable();
    } finally {
      this.inFlight--;
    }
  }

  async upload(localPath: string, options: UploadOptions): Promise<unknown> {
    const idempotent = options.preconditionOpts?.ifGenerationMatch !== undefined;
    const retries = idempotent && this.autoRetry ? MAX_RETRIES : 0;
    if (retries === 0) this.autoRetry = false;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.send(localPath, options);
        return [{ name: options.destination }];
      } catch (error) {
        if ((error as { code?: number }).code !== 503 || attempt >= retries) throw error;
      }
    }
  }

  async getFiles(options: { prefix: string }): Promise<[StoredObject[]]> {
    if (this.failAfter === 0) throw FAULTS[this.fault];
    const names = [...this.objects.keys()].filter((name) => name.startsWith(options.prefix));
    return [
      names.map((name) => ({
        name,
        metadata: {
          generation: String(this.generations.get(name)),
          md5Hash: crypto.createHash("md5").update(this.objects.get(name)!).digest("base64"),
        },
        delete: async (deleteOptions: { ifGenerationMatch?: string | number } = {}) => {
          if (!this.matches(name, deleteOptions.ifGenerationMatch)) throw preconditionFailed();
          this.objects.delete(name);
          this.generations.delete(name);
          this.record("delete", name);
        },
      })),
    ];
  }
}
