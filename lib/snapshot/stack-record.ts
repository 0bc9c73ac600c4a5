// A run's snapshot as its Pulumi stack keeps it (components/run-record.ts), so that any machine
// can resume, collect and tear the run down: per benchmark, the snapshot files it deploys and the
// facts the planner and the collector need, packed small. The local output folder is a copy of it.
import * as crypto from "node:crypto";
import * as path from "node:path";
import * as zlib from "node:zlib";
import YAML from "yaml";
import type { Benchmark } from "../../proto/benchmark-types";
import { BenchmarkType } from "../../proto/schema";
import { parseTextFormat } from "../../proto/textformat";
import type { ResolvedBenchmark } from "../catalog/catalog";
import { SnapshotError } from "../errors";
import type { BuiltBenchmark } from "../manifests";
import { type K8sObject, PARTS } from "../manifests/common";
import type { BenchmarkPaths } from "./layout";

/** Files by their path in the benchmark's folder: "benchmark.pbtxt", "manifests/model-server.yaml". */
export type FileSet = Record<string, string>;

/** Files in a stack record: gzip, then base64 (a benchmark's ~35 KB snapshot takes ~12 KB). */
export interface PackedFiles {
  encoding: "gzip+base64";
  /** SHA-256 of the files' JSON ({path: content}, paths sorted): equal sets, equal digests. */
  sha256: string;
  data: string;
}

function canonical(files: FileSet): string {
  return JSON.stringify(
    Object.fromEntries(
      Object.keys(files)
        .sort()
        .map((name) => [name, files[name]]),
    ),
  );
}

export function packFiles(files: FileSet): PackedFiles {
  const json = canonical(files);
  return {
    encoding: "gzip+base64",
    sha256: crypto.createHash("sha256").update(json).digest("hex"),
    data: zlib.gzipSync(json, { level: 9 }).toString("base64"),
  };
}

export function unpackFiles(packed: PackedFiles): FileSet {
  if (packed?.encoding !== "gzip+base64")
    throw new SnapshotError(`stack record: unknown file encoding ${JSON.stringify(packed?.encoding)}`);
  return JSON.parse(zlib.gunzipSync(Buffer.from(packed.data, "base64")).toString("utf8")) as FileSet;
}

/** What the planner and the collector need of a benchmark besides its files (ResolvedBenchmark's derived fields). */
export type BenchmarkFacts = Pick<
  ResolvedBenchmark,
  | "name"
  | "modelServer"
  | "loadBalancer"
  | "inferenceFlavor"
  | "gpusPerReplica"
  | "totalGpus"
  | "loadGenerator"
  | "requestRates"
  | "expectedSeconds"
>;

/** One benchmark of a run, as the stack records it when the run starts. */
export interface SnapshotRecord {
  kind: "snapshot";
  version: 1;
  /** This run's own id: results collected for it carry it (metadata.json run_uid). */
  run_uid: string;
  recorded_at: string;
  benchmark: BenchmarkFacts;
  namespace: string;
  /** Where the load generator sends its requests. */
  target: string;
  /** benchmark.pbtxt and manifests/<part>.yaml. */
  files: PackedFiles;
}

/** A benchmark's snapshot files (from `paths`, relative to its folder). */
export function relativeFiles(paths: BenchmarkPaths, files: Array<{ path: string; content: string }>): FileSet {
  return Object.fromEntries(
    files.map((file) => [path.relative(paths.dir, file.path).split(path.sep).join("/"), file.content]),
  );
}

/** A benchmark as the catalog gives it (lib/plan/prepare.ts PreparedBenchmark). */
export interface CatalogBenchmark {
  resolved: ResolvedBenchmark;
  built: BuiltBenchmark;
  paths: BenchmarkPaths;
  files: Array<{ path: string; content: string }>;
}

/** The record of a benchmark prepared from the catalog. */
export function snapshotRecordOf(prepared: CatalogBenchmark, runUid: string, now: Date): SnapshotRecord {
  const r = prepared.resolved;
  return {
    kind: "snapshot",
    version: 1,
    run_uid: runUid,
    recorded_at: now.toISOString(),
    benchmark: {
      name: r.name,
      modelServer: r.modelServer,
      loadBalancer: r.loadBalancer,
      inferenceFlavor: r.inferenceFlavor,
      gpusPerReplica: r.gpusPerReplica,
      totalGpus: r.totalGpus,
      loadGenerator: r.loadGenerator,
      requestRates: r.requestRates,
      expectedSeconds: r.expectedSeconds,
    },
    namespace: prepared.built.namespace,
    target: prepared.built.target,
    files: packFiles(relativeFiles(prepared.paths, prepared.files)),
  };
}

/**
 * The whole run's snapshot, in one Stash: recorded at once, so that an interrupted first `up`
 * leaves the run either recorded whole or not at all.
 */
export interface RunSnapshotRecord {
  kind: "run-snapshot";
  version: 1;
  run_uid: string;
  benchmarks: SnapshotRecord[];
}

function isSnapshotRecord(value: unknown): value is SnapshotRecord {
  const v = value as SnapshotRecord | undefined;
  return (
    v?.kind === "snapshot" &&
    v.version === 1 &&
    typeof v.benchmark?.name === "string" &&
    v.files?.encoding === "gzip+base64"
  );
}

/** Is this a run's snapshot record (a Stash's value), of this version? */
export function isRunSnapshotRecord(value: unknown): value is RunSnapshotRecord {
  const v = value as RunSnapshotRecord | undefined;
  return (
    v?.kind === "run-snapshot" && v.version === 1 && Array.isArray(v.benchmarks) && v.benchmarks.every(isSnapshotRecord)
  );
}

export function runSnapshotRecord(benchmarks: SnapshotRecord[]): RunSnapshotRecord {
  return { kind: "run-snapshot", version: 1, run_uid: benchmarks[0]?.run_uid ?? "", benchmarks };
}

/** What a record deploys: the resolved benchmark (for collection and planning) and its objects, exactly as recorded. */
export interface RecordedBenchmark {
  resolved: ResolvedBenchmark;
  built: BuiltBenchmark;
  files: FileSet;
}

export function recordedBenchmark(record: SnapshotRecord): RecordedBenchmark {
  const files = unpackFiles(record.files);
  const source = `stack record of ${record.benchmark.name}`;
  const text = files["benchmark.pbtxt"];
  if (text === undefined) throw new SnapshotError(`${source}: no benchmark.pbtxt`);
  const benchmark: Benchmark = parseTextFormat(BenchmarkType, text, `${source}/benchmark.pbtxt`);
  const manifests = Object.fromEntries(
    PARTS.map((part) => {
      const yaml = files[`manifests/${part}.yaml`];
      if (yaml === undefined) throw new SnapshotError(`${source}: no manifests/${part}.yaml`);
      return [
        part,
        YAML.parseAllDocuments(yaml)
          .map((document) => document.toJS() as K8sObject)
          .filter(Boolean),
      ];
    }),
  ) as BuiltBenchmark["manifests"];
  return {
    resolved: { ...record.benchmark, file: source, line: 0, benchmark, warnings: [] },
    built: { namespace: record.namespace, benchmark, target: record.target, manifests },
    files,
  };
}
