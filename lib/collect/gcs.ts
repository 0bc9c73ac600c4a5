// Uploads a benchmark's output folder to GCS. The objects under gs://<bucket>/<run>/<namespace>/
// become exactly the local folder: files the bucket lacks or holds with other bytes (MD5) are
// written, objects a previous collection of the same benchmark left there are deleted, and
// metadata.json goes last, saying `uploaded: true` only once everything else is there. A reader
// that trusts metadata.json never sees new data under old metadata: before any object changes,
// the old metadata.json is deleted. Locally, metadata.json records the upload only after that
// last object was written, so an interrupted upload is resumed by the next one.
//
// Retries: @google-cloud/storage 8.4.0 retries an upload only with an ifGenerationMatch
// precondition (build/cjs/src/bucket.js Bucket.upload: otherwise maxRetries = 0, and it sets
// the Storage's retryOptions.autoRetry = false, for every later call too), and a delete only with
// one (file.js disableAutoRetryConditionallyIdempotent_). Every write here carries the generation
// it replaces (0: none), so each is idempotent and retried by the client; a retry that finds its
// own earlier attempt landed (412) is recognised by the object's MD5.
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CollectionError } from "../errors";
import { googleAuthOptions } from "../gcp/credentials";
import type { ResultMetadata } from "../results/record";
import { writeReadOnly } from "../snapshot/files";
import type { BenchmarkPaths } from "../snapshot/layout";

/** The part of @google-cloud/storage's File that uploading needs. */
export interface StoredObject {
  name: string;
  /** GCS object metadata: generation (a decimal string) and base64 MD5. */
  metadata: { generation?: string | number; md5Hash?: string };
  delete(options: { ifGenerationMatch: string | number }): Promise<unknown>;
}

export interface UploadOptions {
  destination: string;
  /** 0: the object must not exist; else the generation it replaces. */
  preconditionOpts: { ifGenerationMatch: string | number };
}

/** The part of @google-cloud/storage's Bucket that uploading needs (injectable for tests). */
export interface UploadBucket {
  name: string;
  upload(localPath: string, options: UploadOptions): Promise<unknown>;
  getFiles(options: { prefix: string }): Promise<[StoredObject[], ...unknown[]]>;
}

/** Objects written or deleted at once. */
export const UPLOAD_CONCURRENCY = 8;

/** Folders and files that are not part of a benchmark's record: collection staging, temporary files. */
const NOT_UPLOADED = /(\.staging-\d+|\.tmp-\d+)$/;

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (NOT_UPLOADED.test(entry.name)) return [];
      return entry.isDirectory() ? filesUnder(full) : [full];
    })
    .sort();
}

function md5(content: string | Buffer): string {
  return crypto.createHash("md5").update(content).digest("base64");
}

/** Runs `task` on every item, at most `limit` at once; rejects with the first failure once all have settled. */
async function eachLimited<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const failures: unknown[] = [];
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++];
        await task(item).catch((error: unknown) => failures.push(error));
      }
    }),
  );
  if (failures.length) throw failures[0];
}

export async function defaultBucket(name: string): Promise<UploadBucket> {
  const { Storage } = await import("@google-cloud/storage");
  return new Storage(googleAuthOptions()).bucket(name);
}

/** Whether metadata.json says the benchmark is already in this bucket. */
function uploadedTo(metadata: ResultMetadata, bucket: string): boolean {
  return metadata.gcs?.uploaded === true && metadata.gcs.bucket === bucket;
}

/** A collected benchmark that is not yet in `bucket` (none uploaded, or to another bucket). */
export function needsUpload(paths: BenchmarkPaths, bucket: string): boolean {
  return (
    fs.existsSync(paths.metadata) &&
    !uploadedTo(JSON.parse(fs.readFileSync(paths.metadata, "utf8")) as ResultMetadata, bucket)
  );
}

/** Uploads `paths.dir` to gs://bucket/<run id>/<namespace>/ and records the object URLs in metadata.json. */
export async function uploadBenchmark(bucket: UploadBucket, paths: BenchmarkPaths): Promise<string[]> {
  const metadata = JSON.parse(fs.readFileSync(paths.metadata, "utf8")) as ResultMetadata;
  if (uploadedTo(metadata, bucket.name)) return metadata.gcs!.objects;
  const prefix = metadata.gcs?.prefix ?? path.posix.join(metadata.run_id, metadata.namespace);
  const objectName = (file: string) =>
    path.posix.join(prefix, path.relative(paths.dir, file).split(path.sep).join("/"));
  const failed = (what: string, error: unknown) =>
    new CollectionError(
      `${what} (gs://${bucket.name}/${prefix}/): ${(error as Error).message}; the local copy is ` +
        `kept, the next \`pulumi up\` retries`,
    );
  const files = filesUnder(paths.dir).filter((file) => file !== paths.metadata);
  const metadataObject = objectName(paths.metadata);
  const wanted = new Set([...files.map(objectName), metadataObject]);
  const objects = [...wanted].map((name) => `gs://${bucket.name}/${name}`);
  const updated: ResultMetadata = { ...metadata, gcs: { bucket: bucket.name, prefix, uploaded: true, objects } };
  const text = `${JSON.stringify(updated, null, 2)}\n`;

  let existing: Map<string, StoredObject>;
  try {
    existing = new Map((await bucket.getFiles({ prefix: `${prefix}/` }))[0].map((object) => [object.name, object]));
  } catch (error) {
    throw failed("listing the bucket failed", error);
  }
  const generation = (name: string) => existing.get(name)?.metadata.generation ?? 0;
  const differs = (name: string, content: string | Buffer) => existing.get(name)?.metadata.md5Hash !== md5(content);
  const changed = files.filter((file) => differs(objectName(file), fs.readFileSync(file)));
  const stale = [...existing.values()].filter((object) => !wanted.has(object.name));
  const oldMetadata = existing.get(metadataObject);
  if (oldMetadata && (changed.length || stale.length)) {
    try {
      await oldMetadata.delete({ ifGenerationMatch: generation(metadataObject) });
      existing.delete(metadataObject);
    } catch (error) {
      throw failed(`removing the old ${metadataObject} before replacing what it describes failed`, error);
    }
  }

  /** Writes one object; a 412 whose object now holds these bytes was this upload's own earlier attempt. */
  const put = async (local: string, name: string) => {
    try {
      await bucket.upload(local, { destination: name, preconditionOpts: { ifGenerationMatch: generation(name) } });
    } catch (error) {
      if ((error as { code?: number }).code !== 412) throw error;
      const [now] = await bucket.getFiles({ prefix: name });
      if (now.find((object) => object.name === name)?.metadata.md5Hash !== md5(fs.readFileSync(local))) throw error;
    }
  };
  try {
    await eachLimited(changed, UPLOAD_CONCURRENCY, (file) => put(file, objectName(file)));
  } catch (error) {
    throw failed("upload failed", error);
  }
  try {
    await eachLimited(stale, UPLOAD_CONCURRENCY, (object) =>
      object.delete({ ifGenerationMatch: object.metadata.generation ?? 0 }).then(() => undefined),
    );
  } catch (error) {
    throw failed("removing objects of an earlier collection failed", error);
  }
  if (!existing.has(metadataObject) || differs(metadataObject, text)) {
    const staged = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "inference-bench-upload-")), "metadata.json");
    try {
      fs.writeFileSync(staged, text);
      await put(staged, metadataObject);
    } catch (error) {
      throw failed(`${paths.metadata}: upload failed`, error);
    } finally {
      fs.rmSync(path.dirname(staged), { recursive: true, force: true });
    }
  }
  fs.chmodSync(paths.metadata, 0o644);
  writeReadOnly(paths.metadata, text);
  return objects;
}
