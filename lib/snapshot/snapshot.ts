// The manifest snapshot: a faithful, immutable record of what a run deploys.
import * as fs from "node:fs";
import YAML from "yaml";
import { BenchmarkType } from "../../proto/schema";
import { printTextFormat } from "../../proto/textformat";
import { SnapshotError } from "../errors";
import type { BuiltBenchmark } from "../manifests";
import { type K8sObject, PARTS, type Part } from "../manifests/common";
import { sameContent, writeReadOnly } from "./files";
import { benchmarkPaths } from "./layout";

/** Multi-document YAML for one part; deterministic for the same objects. */
export function manifestYaml(objects: K8sObject[]): string {
  return objects.map((object) => YAML.stringify(object, { lineWidth: 0, aliasDuplicateObjects: false })).join("---\n");
}

export interface SnapshotFile {
  path: string;
  /**
   * Rendered from the built objects on each read, never held: ~35 KB per benchmark, over half of a large
   * run's heap if kept (npm run bench:render).
   */
  readonly content: string;
}

/** Every file of a benchmark's snapshot, with its content. */
export function snapshotFiles(outputDir: string, runId: string, built: BuiltBenchmark, name: string): SnapshotFile[] {
  const paths = benchmarkPaths(outputDir, runId, name);
  return [
    {
      path: paths.benchmarkPbtxt,
      get content() {
        return (
          `# proto-file: proto/benchmark.proto\n# proto-message: ` +
          `Benchmark\n${printTextFormat(BenchmarkType, built.benchmark)}`
        );
      },
    },
    ...PARTS.map((part: Part) => ({
      path: paths.manifest(part),
      get content() {
        return manifestYaml(built.manifests[part]);
      },
    })),
  ];
}

/** A snapshot file against the disk; rendered only when a file is there to compare with. */
function onDisk(file: SnapshotFile): "absent" | "same" | "different" {
  if (!fs.existsSync(file.path)) return "absent";
  return sameContent(file.path, file.content) ? "same" : "different";
}

function conflictMessage(changed: SnapshotFile[]): string | undefined {
  if (changed.length === 0) return undefined;
  const more = changed.length > 1 ? ` and ${changed.length - 1} more file(s)` : "";
  return (
    `${changed[0].path}: the snapshot of this run already exists with different content${more}; ` +
    `snapshots are immutable — use a new run id, or pass --override (config override: true) to ` +
    `rewrite it`
  );
}

/**
 * Why these files cannot be written without `override` (an existing file of the run's snapshot
 * has other content), or undefined when they can. Reads only.
 */
export function snapshotConflict(files: SnapshotFile[]): string | undefined {
  return conflictMessage(files.filter((file) => onDisk(file) === "different"));
}

export interface SnapshotReport {
  written: string[];
  unchanged: string[];
}

/** Each file against the disk; an error before anything is written when one differs and `override` is off. */
function diskStates(files: SnapshotFile[], override: boolean): Array<"absent" | "same" | "different"> {
  const states = files.map(onDisk);
  const conflict = conflictMessage(files.filter((_, i) => states[i] === "different"));
  if (conflict && !override) throw new SnapshotError(conflict);
  return states;
}

function writeOne(file: SnapshotFile, state: "absent" | "same" | "different", report: SnapshotReport): void {
  if (state === "same") {
    report.unchanged.push(file.path);
    return;
  }
  if (state === "different") fs.chmodSync(file.path, 0o644);
  writeReadOnly(file.path, file.content);
  report.written.push(file.path);
}

/**
 * Writes the snapshots of a run. Without `override`, a file that exists with other content is
 * an error raised before anything is written, for every benchmark; identical files are left
 * as they are (so that rerunning the same run resumes). With `override`, such files are rewritten.
 * Each file is rendered once, or twice when it is rewritten.
 */
export function writeSnapshots(files: SnapshotFile[], override: boolean): SnapshotReport {
  const states = diskStates(files, override);
  const report: SnapshotReport = { written: [], unchanged: [] };
  for (const [i, file] of files.entries()) writeOne(file, states[i], report);
  return report;
}

/**
 * writeSnapshots, yielding between files so that `signal` (Ctrl-C) can stop it. Each file is
 * written whole (temporary file, then rename) before the signal is looked at, so an interrupted
 * run leaves complete files and no temporary one; running it again writes the rest.
 */
export async function writeSnapshotsUntil(
  files: SnapshotFile[],
  override: boolean,
  signal: AbortSignal,
): Promise<SnapshotReport & { interrupted: boolean }> {
  const states = diskStates(files, override);
  const report: SnapshotReport = { written: [], unchanged: [] };
  for (const [i, file] of files.entries()) {
    await new Promise((resolve) => setImmediate(resolve));
    if (signal.aborted) return { ...report, interrupted: true };
    writeOne(file, states[i], report);
  }
  return { ...report, interrupted: false };
}
