// Imports runs from an output folder into the results database.
import * as fs from "node:fs";
import * as path from "node:path";
import { SnapshotError } from "../errors";
import { readRunRecords } from "../results/run-results";
import type { ResultStore } from "./store";

/**
 * True when a run's files are in the output folder: its folder holds `<name>-<run id>` benchmark
 * folders (a folder with only a report or an export written from the database is not a run).
 */
export function runOnDisk(outputDir: string, runId: string): boolean {
  const dir = path.join(outputDir, runId);
  return (
    fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory() === true &&
    fs.readdirSync(dir).some((child) => child.endsWith(`-${runId}`) && fs.statSync(path.join(dir, child)).isDirectory())
  );
}

/** Run ids under an output folder. */
export function runIdsIn(outputDir: string): string[] {
  if (!fs.existsSync(outputDir)) return [];
  return fs
    .readdirSync(outputDir)
    .filter((entry) => runOnDisk(outputDir, entry))
    .sort();
}

/** Imports the given runs (default: every run in the folder); returns the run ids imported. */
export async function importRuns(store: ResultStore, outputDir: string, runIds?: string[]): Promise<string[]> {
  const ids = runIds?.length ? runIds : runIdsIn(outputDir);
  if (ids.length === 0) throw new SnapshotError(`${outputDir}: no runs to import`);
  for (const runId of ids) await store.importRun(runId, outputDir, () => readRunRecords(outputDir, runId));
  return ids;
}

/** Makes sure the database has these runs: imports the ones on disk (fresh), keeps the others as stored. */
export async function refreshRuns(store: ResultStore, outputDir: string, runIds: string[]): Promise<void> {
  for (const runId of runIds) {
    if (runOnDisk(outputDir, runId)) await store.importRun(runId, outputDir, () => readRunRecords(outputDir, runId));
    else if (!(await store.hasRun(runId)))
      throw new SnapshotError(neitherMessage(runId, outputDir, store.location.label));
  }
}

export function neitherMessage(runId: string, outputDir: string, database: string): string {
  return `run "${runId}" is neither in ${outputDir} nor in the database (${database})`;
}
