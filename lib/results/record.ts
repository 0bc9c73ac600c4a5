// What a collection leaves on disk, shared by the collector (collect.ts) and by whatever reads
// results back (status.ts): the collection record's shape.

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
