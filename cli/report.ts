// npm run -s report -- --run-id <id> [--compare <id>...] [--slo EXPR | --preset NAME] [--gpu-hour-price
// ACCELERATOR=USD]... [--output DIR] [--db FILE|URL] Writes a self-contained DIR/<id>/report.html (no network
// needed to open it).

import * as fs from "node:fs";
import * as path from "node:path";
import { Command } from "commander";
import { UserError } from "../lib/errors";
import { type ReportRun, renderReport } from "../lib/report/html";
import { gpuHourPrices, resolveSlo, sloCapacity } from "../lib/report/slo";
import {
  addSloOptions,
  DB_OPTION_HELP,
  requireResults,
  runCommand,
  runIdOption,
  runIdsOption,
  type SloOptions,
  withRunStore,
  writeFileAtomically,
} from "./common";

interface Options extends SloOptions {
  runId: string;
  compare?: string[];
  output: string;
  db?: string;
}

const program = addSloOptions(
  new Command("report")
    .description(
      "Write an HTML report of a run, optionally compared with other runs and with its capacity under an SLO",
    )
    .requiredOption("--run-id <id>", "the run to report", runIdOption)
    .option(
      "--compare <id>",
      "another run to draw alongside, dashed, with a table of differences (repeatable)",
      runIdsOption,
    ),
)
  .option("--output <dir>", "output folder (results are read from it and the report written to <dir>/<id>/)", "output")
  .option("--db <file>", DB_OPTION_HELP)
  .action(async (options: Options) => {
    const compare = options.compare ?? [];
    if (compare.includes(options.runId))
      throw new UserError(`--compare ${options.runId}: that is the run being reported`);
    const withSlo = options.slo !== undefined || options.preset !== undefined;
    if (!withSlo && options.gpuHourPrice)
      throw new UserError("--gpu-hour-price needs an SLO: give --slo or --preset too");
    const slo = withSlo ? resolveSlo(options) : undefined;
    const prices = withSlo ? gpuHourPrices(options.gpuHourPrice) : {};
    const file = path.join(options.output, options.runId, "report.html");
    const ids = [options.runId, ...compare];
    await withRunStore(
      options,
      ids,
      async (store) => {
        for (const id of ids) await requireResults(store, id);
        const load = async (runId: string): Promise<ReportRun> => ({
          runId,
          benchmarks: await store.benchmarks(runId),
          stats: await store.stats(runId),
          details: await store.statDetails(runId),
        });
        const primary = await load(options.runId);
        const capacities = slo ? sloCapacity(primary.benchmarks, primary.details!, slo, prices) : undefined;
        const others: ReportRun[] = [];
        for (const id of compare) others.push(await load(id));
        const html = renderReport(primary, others, slo && capacities ? { slo: { slo, capacities } } : {});
        fs.mkdirSync(path.dirname(file), { recursive: true });
        writeFileAtomically(file, html);
      },
      [file],
    );
    process.stdout.write(`${file}\n`);
  });

void runCommand(program);
