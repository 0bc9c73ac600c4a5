// npm run -s report -- --run-id <id> [--compare <id>...] [--output DIR] [--db FILE]
// Writes a self-contained DIR/<id>/report.html (no network needed to open it).
import { Command } from "commander";
import * as fs from "node:fs";
import * as path from "node:path";
import { renderReport, type ReportRun } from "../lib/report/html";
import { refreshRuns } from "../lib/store/import";
import { databasePath, ResultStore } from "../lib/store/store";
import { collect, runCommand } from "./common";

const program = new Command("report")
  .description("Write an HTML report of a run, optionally compared with other runs")
  .requiredOption("--run-id <id>", "the run to report")
  .option("--compare <id>", "another run to draw alongside (repeatable)", collect)
  .option("--output <dir>", "output folder (results are read from it and the report written to <dir>/<id>/)", "output")
  .option("--db <file>", "results database (default: <output>/results.db)")
  .action((options: { runId: string; compare?: string[]; output: string; db: string }) => {
    const store = new ResultStore(options.db ?? databasePath(options.output));
    try {
      const ids = [options.runId, ...(options.compare ?? [])];
      refreshRuns(store, options.output, ids);
      const load = (runId: string): ReportRun => ({ runId, benchmarks: store.benchmarks(runId), stats: store.stats(runId) });
      const html = renderReport(load(options.runId), (options.compare ?? []).map(load));
      const file = path.join(options.output, options.runId, "report.html");
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, html);
      process.stdout.write(`${file}\n`);
    } finally {
      store.close();
    }
  });

void runCommand(program);
