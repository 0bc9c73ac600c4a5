// Uploads a benchmark's output folder to GCS. The objects under gs://<bucket>/<run>/<namespace>/
// become exactly the local folder: every file is (re)written, objects a previous collection of
// the same benchmark left there are deleted, and metadata.json goes last, saying
// `uploaded: true` only once everything else is there. Locally, metadata.json records the
// upload only after that last object was written, so an interrupted upload is redone whole.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CollectionError } from "../errors";
import { googleAuthOptions } from "../gcp/credentials";
import type { BenchmarkPaths } from "../snapshot/layout";
import { writeReadOnly } from "../snapshot/files";
import type { ResultMetadata } from "./collect";

/** The part of @google-cloud/storage's File that uploading needs. */
export interface StoredObject {
  name: string;
  delete(): Promise<unknown>;
}

/** The part of @google-cloud/storage's Bucket that uploading needs (injectable for tests). */
export interface UploadBucket {
  name: string;
  upload(localPath: string, options: { destination: string }): Promise<unknown>;
  getFiles(options: { prefix: string }): Promise<[StoredObject[], ...unknown[]]>;
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [full];
  }).sort();
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
  return fs.existsSync(paths.metadata) && !uploadedTo(JSON.parse(fs.readFileSync(paths.metadata, "utf8")) as ResultMetadata, bucket);
}

/** Uploads `paths.dir` to gs://bucket/<run id>/<namespace>/ and records the object URLs in metadata.json. */
export async function uploadBenchmark(bucket: UploadBucket, paths: BenchmarkPaths): Promise<string[]> {
  const metadata = JSON.parse(fs.readFileSync(paths.metadata, "utf8")) as ResultMetadata;
  if (uploadedTo(metadata, bucket.name)) return metadata.gcs!.objects;
  const prefix = metadata.gcs?.prefix ?? path.posix.join(metadata.run_id, metadata.namespace);
  const objectName = (file: string) => path.posix.join(prefix, path.relative(paths.dir, file).split(path.sep).join("/"));
  const failed = (what: string, error: unknown) =>
    new CollectionError(`${what} (gs://${bucket.name}/${prefix}/): ${(error as Error).message}; the local copy is kept, the next \`pulumi up\` retries`);
  const files = filesUnder(paths.dir).filter((file) => file !== paths.metadata);
  for (const file of files) {
    try {
      await bucket.upload(file, { destination: objectName(file) });
    } catch (error) {
      throw failed(`${file}: upload failed`, error);
    }
  }
  const metadataObject = objectName(paths.metadata);
  const wanted = new Set([...files.map(objectName), metadataObject]);
  try {
    const [existing] = await bucket.getFiles({ prefix: `${prefix}/` });
    for (const object of existing) if (!wanted.has(object.name)) await object.delete();
  } catch (error) {
    throw failed("removing objects of an earlier collection failed", error);
  }
  const objects = [...wanted].map((name) => `gs://${bucket.name}/${name}`);
  const updated: ResultMetadata = { ...metadata, gcs: { bucket: bucket.name, prefix, uploaded: true, objects } };
  const text = JSON.stringify(updated, null, 2) + "\n";
  const staged = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "inference-bench-upload-")), "metadata.json");
  try {
    fs.writeFileSync(staged, text);
    await bucket.upload(staged, { destination: metadataObject });
  } catch (error) {
    throw failed(`${paths.metadata}: upload failed`, error);
  } finally {
    fs.rmSync(path.dirname(staged), { recursive: true, force: true });
  }
  fs.chmodSync(paths.metadata, 0o644);
  writeReadOnly(paths.metadata, text);
  return objects;
}
