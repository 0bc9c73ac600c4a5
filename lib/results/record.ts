// What a collection leaves on disk, shared by the collector (lib/collect) and by whatever reads
// results back (status.ts, provenance.ts, the GCS upload): the shapes of collection.json and metadata.json.
import type { LoadGeneratorRecord } from "../tool-output/tool-results";

export type JobState = "absent" | "running" | "succeeded" | "failed";
export type CollectionStatus = "collected" | "partial" | "failed";

/** results/collection.json */
export interface CollectionRecord {
  status: CollectionStatus;
  job_state: JobState;
  /** What should be there and is not, e.g. "rate 80.0: no result file". */
  missing: string[];
  /** Everything else that went wrong (corrupt files, failed Job, evicted pod). */
  problems: string[];
  collected_at: string;
}

export interface ImageRecord {
  pod: string;
  component: string;
  container: string;
  image: string;
  /** The digest that actually ran, from the pod's status. */
  image_id: string;
}

/** results/metadata.json */
export interface ResultMetadata {
  benchmark: string;
  run_id: string;
  /**
   * The run's own id (lib/snapshot/stack-record.ts): tells this run's results from an earlier run's with the
   * same run id.
   */
  run_uid?: string;
  namespace: string;
  start_time?: string;
  end_time?: string;
  job_state: JobState;
  images: ImageRecord[];
  dashboard_url?: string;
  /** What the readiness check saw before the load started (or why it stopped the run). */
  readiness?: ReadinessRecord;
  gcs?: { bucket: string; prefix: string; uploaded: boolean; objects: string[] };
  /** Which load generator ran, streaming or not, its warm-up, what its wrapper noted. */
  load_generator?: LoadGeneratorRecord;
}

/** The readiness check's record (from the load generator pod's init container log). */
export interface ReadinessRecord {
  ok: boolean;
  seconds: number;
  target: string | null;
  conditions: Array<{ name: string; held: boolean; detail: string }>;
  probe?: {
    url: string;
    model: string;
    status: number | null;
    headers: Record<string, string>;
    error?: string;
    body?: string;
  };
  epp_proof_header?: string;
  epp_in_path?: boolean;
  failed?: string;
  message?: string;
}
