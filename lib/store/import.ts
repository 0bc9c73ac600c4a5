// Imports runs from an output folder into the results database.
import * as fs from "node:fs";
import * as path from "node:path";
import { SnapshotError } from "../errors";
import { readRunRecords } from "../results/run-results";
import type { ResultStore } from "./store";

/** Run ids under an output folder: folders holding `<name>-<run id>` benchmark folders. */
export function runIdsIn(outputDir: string): string[] {
  if (!fs.existsSync(outputDir)) return [];
  return fs.readdirSync(outputDir).filter((entry) => {
    const dir = path.join(outputDir, entry);
    return fs.statSync(dir).isDirectory() && fs.readdirSync(dir).some((child) => child.endsWith(`-${entry}`) && fs.statSync(path.join(dir, child)).isDirectory());
  }).sort();
}

/** Imports the given runs (default: every run in the folder); returns the run ids imported. */
export async function importRuns(store: ResultStore, outputDir: string, runIds?: string[]): Promise<string[]> {
  const ids = runIds && runIds.length ? runIds : runIdsIn(outputDir);
  if (ids.length === 0) throw new SnapshotError(`${outputDir}: no runs to import`);
  for (const runId of ids) await store.importRun(runId, outputDir, () => readRunRecords(outputDir, runId));
  return ids;
}

/** Makes sure the database has these runs: imports the ones on disk (fresh), keeps the others as stored. */
export async function refreshRuns(store: ResultStore, outputDir: string, runIds: string[]): Promise<void> {
  for (const runId of runIds) {
    if (fs.existsSync(path.join(outputDir, runId))) await store.importRun(runId, outputDir, () => readRunRecords(outputDir, runId));
    else if (!(await store.hasRun(runId))) throw new SnapshotError(neitherMessage(runId, outputDir, store.location.label));
  }
}

export function neitherMessage(runId: string, outputDir: string, database: string): string {
  return `run "${runId}" is neither in ${outputDir} nor in the database (${database})`;
}
