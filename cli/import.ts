// npm run -s import -- [--output DIR] [--db FILE] [--run-id ID...]
// Imports results on disk (this tool's layout or the original's) into the results database.
import { Command } from "commander";
import { importRuns } from "../lib/store/import";
import { databasePath, ResultStore } from "../lib/store/store";
import { collect, runCommand } from "./common";

const program = new Command("import")
  .description("Import the results of runs in an output folder into the SQLite results database (idempotent)")
  .option("--output <dir>", "output folder", "output")
  .option("--db <file>", "database file (default: <output>/results.db)")
  .option("--run-id <id>", "a run to import (repeatable; default: every run in the folder)", collect)
  .action((options: { output: string; db?: string; runId?: string[] }) => {
    const store = new ResultStore(options.db ?? databasePath(options.output));
    try {
      const ids = importRuns(store, options.output, options.runId);
      for (const id of ids) {
        const benchmarks = store.benchmarks(id);
        const stats = store.stats(id).length;
        process.stdout.write(`${id}: ${benchmarks.length} benchmarks, ${stats} rates\n`);
      }
      process.stdout.write(`imported into ${options.db ?? databasePath(options.output)}\n`);
    } finally {
      store.close();
    }
  });

void runCommand(program);
