// Where a benchmark's figures come from: when it ran, which images (by the digest that ran), the
// dashboard, and hashes of the resolved catalog entry and of the snapshot's manifests, so that a
// reader can tell two results of "the same" benchmark apart.
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { BenchmarkPaths } from "../snapshot/layout";
import type { ImageRecord, ResultMetadata } from "./record";

export interface Provenance {
  start_time?: string;
  end_time?: string;
  dashboard_url?: string;
  /** The images that ran, with their digests (results collected by this tool only). */
  images: ImageRecord[];
  /** The file the times came from: results/metadata.json, or the original tool's metadata.txt. */
  metadata_file?: string;
  /** SHA-256 of benchmark.pbtxt, the resolved catalog entry. */
  config_sha256?: string;
  /** SHA-256 over the snapshot's manifests (each file's name and bytes, in name order). */
  snapshot_sha256?: string;
}

/**
 * The original tool's `<benchmark dir>/metadata.txt` (kubernetes-sigs/gateway-api-inference-extension
 * tools/benchmark/scripts/run_one_benchmark.bash, main()): `start_time: …`, `end_time: …`,
 * `cloud_monitoring_dashboard: …`, one per line.
 */
function parseOriginalMetadata(text: string): Pick<Provenance, "start_time" | "end_time" | "dashboard_url"> {
  const fields = Object.fromEntries(
    text
      .split("\n")
      .map((line) => /^\s*([a-z_]+):\s*(.*?)\s*$/.exec(line))
      .filter((m) => m !== null)
      .map((m) => [m[1], m[2]]),
  );
  return {
    ...(fields.start_time ? { start_time: fields.start_time } : {}),
    ...(fields.end_time ? { end_time: fields.end_time } : {}),
    ...(fields.cloud_monitoring_dashboard ? { dashboard_url: fields.cloud_monitoring_dashboard } : {}),
  };
}

function sha256(...parts: Array<string | Buffer>): string {
  const hash = crypto.createHash("sha256");
  for (const part of parts) hash.update(part);
  return hash.digest("hex");
}

/**
 * A benchmark's snapshot by path in its folder (benchmark.pbtxt, manifests/<part>.yaml), as
 * written, and the config inference-perf saved with its report: what the exports read.
 */
export type SnapshotFiles = Record<string, string>;

/** inference-perf's own record of the config it ran (a report folder without a snapshot has only this). */
export const INFERENCE_PERF_SAVED_CONFIG = "results/inference-perf/config.yaml";

export function readSnapshotFiles(paths: BenchmarkPaths): SnapshotFiles {
  const files: SnapshotFiles = {};
  const saved = path.join(paths.dir, INFERENCE_PERF_SAVED_CONFIG);
  if (fs.existsSync(saved)) files[INFERENCE_PERF_SAVED_CONFIG] = fs.readFileSync(saved, "utf8");
  if (fs.existsSync(paths.benchmarkPbtxt))
    files[path.basename(paths.benchmarkPbtxt)] = fs.readFileSync(paths.benchmarkPbtxt, "utf8");
  const manifests = path.basename(paths.manifestsDir);
  if (fs.existsSync(paths.manifestsDir)) {
    for (const file of fs.readdirSync(paths.manifestsDir).sort())
      files[`${manifests}/${file}`] = fs.readFileSync(path.join(paths.manifestsDir, file), "utf8");
  }
  return files;
}

export function readProvenance(paths: BenchmarkPaths, snapshot: SnapshotFiles = readSnapshotFiles(paths)): Provenance {
  const provenance: Provenance = { images: [] };
  const original = path.join(paths.dir, "metadata.txt");
  if (fs.existsSync(paths.metadata)) {
    const metadata = JSON.parse(fs.readFileSync(paths.metadata, "utf8")) as ResultMetadata;
    Object.assign(provenance, {
      ...(metadata.start_time ? { start_time: metadata.start_time } : {}),
      ...(metadata.end_time ? { end_time: metadata.end_time } : {}),
      ...(metadata.dashboard_url ? { dashboard_url: metadata.dashboard_url } : {}),
      images: metadata.images ?? [],
      metadata_file: path.relative(paths.dir, paths.metadata),
    });
  } else if (fs.existsSync(original)) {
    Object.assign(provenance, parseOriginalMetadata(fs.readFileSync(original, "utf8")), {
      metadata_file: "metadata.txt",
    });
  }
  const config = snapshot[path.basename(paths.benchmarkPbtxt)];
  if (config !== undefined) provenance.config_sha256 = sha256(config);
  const prefix = `${path.basename(paths.manifestsDir)}/`;
  const manifests = Object.keys(snapshot)
    .filter((file) => file.startsWith(prefix))
    .sort();
  if (manifests.length)
    provenance.snapshot_sha256 = sha256(
      ...manifests.flatMap((file) => [`${file.slice(prefix.length)}\0`, snapshot[file], "\0"]),
    );
  return provenance;
}
