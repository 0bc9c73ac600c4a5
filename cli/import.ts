// npm run -s import -- [--output DIR] [--db FILE|URL] [--run-id ID...] [--upgrade-db]
// Imports results on disk (this tool's layout, the original's, the LPG's or inference-perf's own
// files) into the results database: an SQLite file or a PostgreSQL database a team shares.
import { Command } from "commander";
import { UserError } from "../lib/errors";
import {
  checkReadableFolder,
  commandDatabase,
  DB_OPTION_HELP,
  databaseFiles,
  removeOnFailure,
  runCommand,
  runIdsOption,
} from "./common";

const program = new Command("import")
  .description("Import the results of runs in an output folder into the results database (idempotent)")
  .option("--output <dir>", "output folder", "output")
  .option("--db <file>", DB_OPTION_HELP)
  .option("--run-id <id>", "a run to import (repeatable; default: every run in the folder)", runIdsOption)
  .option(
    "--upgrade-db",
    "bring a PostgreSQL database of an older schema up to this version's (every user of it then needs this version)",
  )
  .action(async (options: { output: string; db?: string; runId?: string[]; upgradeDb?: boolean }) => {
    checkReadableFolder(options.output);
    // Loaded once the options are checked: it pulls in the Kubernetes client, which takes seconds.
    const { importRuns, runIdsIn, runOnDisk } = require("../lib/store/import") as typeof import("../lib/store/import");
    const { ResultStore } = require("../lib/store/store") as typeof import("../lib/store/store");
    const ids = options.runId ?? runIdsIn(options.output);
    if (ids.length === 0)
      throw new UserError(`${options.output}: no runs to import (a run is a folder <run id>/<name>-<run id>/)`);
    for (const id of ids)
      if (!runOnDisk(options.output, id))
        throw new UserError(
          `run "${id}" is not in ${options.output} (runs there: ${runIdsIn(options.output).join(", ") || "none"})`,
        );
    const location = commandDatabase(options, true);
    const lines = await removeOnFailure(location.engine === "sqlite" ? databaseFiles(location.file) : [], async () => {
      const store = await ResultStore.open(location, { write: true, upgrade: options.upgradeDb });
      try {
        const imported = await importRuns(store, options.output, ids);
        const counts: string[] = [];
        for (const id of imported)
          counts.push(
            `${id}: ${(await store.benchmarks(id)).length} benchmarks, ${(await store.stats(id)).length} rates`,
          );
        return counts;
      } finally {
        await store.close();
      }
    });
    process.stdout.write(`${lines.join("\n")}\nimported into ${location.label}\n`);
  });

void runCommand(program);
