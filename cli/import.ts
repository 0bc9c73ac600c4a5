// npm run -s import -- [--output DIR] [--db FILE] [--run-id ID...]
// Imports results on disk (this tool's layout or the original's) into the results database.
import { Command } from "commander";
import * as fs from "node:fs";
import * as path from "node:path";
import { UserError } from "../lib/errors";
import { databasePath, ResultStore } from "../lib/store/store";
import { checkReadableFolder, checkWritableFolder, databaseFiles, removeOnFailure, runCommand, runIdsOption, withDatabase } from "./common";

const program = new Command("import")
  .description("Import the results of runs in an output folder into the SQLite results database (idempotent)")
  .option("--output <dir>", "output folder", "output")
  .option("--db <file>", "database file (default: <output>/results.db)")
  .option("--run-id <id>", "a run to import (repeatable; default: every run in the folder)", runIdsOption)
  .action((options: { output: string; db?: string; runId?: string[] }) => {
    checkReadableFolder(options.output);
    // Loaded once the options are checked: it pulls in the Kubernetes client, which takes seconds.
    const { importRuns, runIdsIn } = require("../lib/store/import") as typeof import("../lib/store/import");
    const ids = options.runId ?? runIdsIn(options.output);
    if (ids.length === 0) throw new UserError(`${options.output}: no runs to import (a run is a folder <run id>/<name>-<run id>/)`);
    for (const id of ids) if (!fs.existsSync(path.join(options.output, id))) throw new UserError(`run "${id}" is not in ${options.output} (runs there: ${runIdsIn(options.output).join(", ") || "none"})`);
    const db = options.db ?? databasePath(options.output);
    checkWritableFolder(path.dirname(db), "--db");
    const lines = removeOnFailure(databaseFiles(db), () => withDatabase(db, () => {
      const store = new ResultStore(db);
      try {
        return importRuns(store, options.output, ids).map((id) => `${id}: ${store.benchmarks(id).length} benchmarks, ${store.stats(id).length} rates`);
      } finally {
        store.close();
      }
    }));
    process.stdout.write(`${lines.join("\n")}\nimported into ${db}\n`);
  });

void runCommand(program);
