// Uploads a benchmark's output folder to GCS, idempotently: an object that already exists is
// left as it is (results are immutable), except metadata.json, which records the upload.
import * as fs from "node:fs";
import * as path from "node:path";
import { CollectionError } from "../errors";
import type { BenchmarkPaths } from "../snapshot/layout";
import { writeReadOnly } from "../snapshot/files";
import type { ResultMetadata } from "./collect";

/** The part of @google-cloud/storage's Bucket that uploading needs (injectable for tests). */
export interface UploadBucket {
  name: string;
  upload(localPath: string, options: { destination: string; preconditionOpts?: { ifGenerationMatch: number } }): Promise<unknown>;
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [full];
  }).sort();
}

export async function defaultBucket(name: string): Promise<UploadBucket> {
  const { Storage } = await import("@google-cloud/storage");
  return new Storage().bucket(name);
}

/** Uploads `paths.dir` to gs://bucket/<run id>/<namespace>/ and records the object URLs in metadata.json. */
export async function uploadBenchmark(bucket: UploadBucket, paths: BenchmarkPaths): Promise<string[]> {
  const metadata = JSON.parse(fs.readFileSync(paths.metadata, "utf8")) as ResultMetadata;
  if (metadata.gcs?.uploaded) return metadata.gcs.objects;
  const prefix = metadata.gcs?.prefix ?? path.join(metadata.run_id, metadata.namespace);
  const objects: string[] = [];
  for (const file of filesUnder(paths.dir)) {
    if (file === paths.metadata) continue;
    const destination = path.posix.join(prefix, path.relative(paths.dir, file).split(path.sep).join("/"));
    try {
      await bucket.upload(file, { destination, preconditionOpts: { ifGenerationMatch: 0 } });
    } catch (error) {
      if ((error as { code?: number }).code !== 412) {
        throw new CollectionError(`${file}: upload to gs://${bucket.name}/${destination} failed: ${(error as Error).message}; the local copy is kept, the next run retries`);
      }
    }
    objects.push(`gs://${bucket.name}/${destination}`);
  }
  const metadataObject = path.posix.join(prefix, path.relative(paths.dir, paths.metadata).split(path.sep).join("/"));
  objects.push(`gs://${bucket.name}/${metadataObject}`);
  const updated: ResultMetadata = { ...metadata, gcs: { bucket: bucket.name, prefix, uploaded: true, objects } };
  fs.chmodSync(paths.metadata, 0o644);
  writeReadOnly(paths.metadata, JSON.stringify(updated, null, 2) + "\n");
  try {
    await bucket.upload(paths.metadata, { destination: metadataObject });
  } catch (error) {
    throw new CollectionError(`${paths.metadata}: upload failed: ${(error as Error).message}`);
  }
  return objects;
}
