// npm run -s report -- --run-id <id> [--compare <id>...] [--output DIR] [--db FILE]
// Writes a self-contained DIR/<id>/report.html (no network needed to open it).
import { Command } from "commander";
import * as fs from "node:fs";
import * as path from "node:path";
import { UserError } from "../lib/errors";
import { renderReport, type ReportRun } from "../lib/report/html";
import { databasePath, ResultStore } from "../lib/store/store";
import { checkReadableFolder, checkWritableFolder, databaseFiles, removeOnFailure, runCommand, runIdOption, runIdsOption, withDatabase, writeFileAtomically } from "./common";

const program = new Command("report")
  .description("Write an HTML report of a run, optionally compared with other runs")
  .requiredOption("--run-id <id>", "the run to report", runIdOption)
  .option("--compare <id>", "another run to draw alongside (repeatable)", runIdsOption)
  .option("--output <dir>", "output folder (results are read from it and the report written to <dir>/<id>/)", "output")
  .option("--db <file>", "results database (default: <output>/results.db)")
  .action((options: { runId: string; compare?: string[]; output: string; db: string }) => {
    checkReadableFolder(options.output);
    // Loaded once the options are checked: it pulls in the Kubernetes client, which takes seconds.
    const { refreshRuns } = require("../lib/store/import") as typeof import("../lib/store/import");
    const db = options.db ?? databasePath(options.output);
    const file = path.join(options.output, options.runId, "report.html");
    checkWritableFolder(path.dirname(db), "--db");
    removeOnFailure([...databaseFiles(db), file], () => withDatabase(db, () => {
      const store = new ResultStore(db);
      try {
        const ids = [options.runId, ...(options.compare ?? [])];
        refreshRuns(store, options.output, ids);
        for (const id of ids) {
          if (store.stats(id).length > 0) continue;
          const benchmarks = store.benchmarks(id);
          throw new UserError(`run "${id}" has no results yet (${benchmarks.length} benchmarks: ${[...new Set(benchmarks.map((b) => b.status))].join(", ") || "none"}); see npm run -s results -- --run-id ${id}`);
        }
        const load = (runId: string): ReportRun => ({ runId, benchmarks: store.benchmarks(runId), stats: store.stats(runId) });
        const html = renderReport(load(options.runId), (options.compare ?? []).map(load));
        fs.mkdirSync(path.dirname(file), { recursive: true });
        writeFileAtomically(file, html);
      } finally {
        store.close();
      }
    }));
    process.stdout.write(`${file}\n`);
  });

void runCommand(program);
