// npm run -s export -- --run-id ID --format br-v0.2.1|csv [--output DIR] [--db FILE|URL]
// br-v0.2.1: DIR/ID/export/br-v0.2.1/<benchmark>-<rate>qps.yaml, one llm-d Benchmark Report per benchmark and rate.
// csv: DIR/ID/export/stats.csv, one row per benchmark and rate, the header naming each column with its unit.
// Written whole or not at all: into a staging folder, then renamed over the previous export.

import * as fs from "node:fs";
import * as path from "node:path";
import { Command, Option } from "commander";
import { stringify } from "yaml";
import { UserError } from "../lib/errors";
import { benchmarkReport } from "../lib/export/br";
import { statsCsv } from "../lib/export/csv";
import { readRunRecords } from "../lib/results/run-results";
import {
  checkReadableFolder,
  checkWritableFolder,
  DB_OPTION_HELP,
  readsFromDatabase,
  recordsFromDatabase,
  removeOnFailure,
  runCommand,
  runIdOption,
  writeFileAtomically,
} from "./common";

function rateName(rate: number | undefined): string {
  return rate !== undefined && Number.isFinite(rate) ? `${rate.toFixed(1)}qps` : "inf-qps";
}

/** Writes `files` (name → content) as the folder `target`, replacing it in one rename. */
function writeWhole(target: string, files: Record<string, string>): void {
  const staging = `${target}.staging-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  try {
    fs.mkdirSync(staging, { recursive: true });
    for (const [name, content] of Object.entries(files)) {
      fs.writeFileSync(path.join(staging, name), content);
    }
    fs.rmSync(target, { recursive: true, force: true });
    fs.renameSync(staging, target);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

const program = new Command("export")
  .description(
    "Export a run's results for other tools: llm-d Benchmark Report v0.2.1 (YAML per benchmark and rate) or one CSV",
  )
  .requiredOption("--run-id <id>", "the run", runIdOption)
  .addOption(new Option("--format <format>", "what to write").choices(["br-v0.2.1", "csv"]).makeOptionMandatory())
  .option(
    "--output <dir>",
    "output folder (results are read from <dir>/<id>/, the export written to <dir>/<id>/export/)",
    "output",
  )
  .option("--db <file>", `${DB_OPTION_HELP}; read when the run's folder is not in --output`)
  .action(async (options: { runId: string; format: "br-v0.2.1" | "csv"; output: string; db?: string }) => {
    const fromDatabase = readsFromDatabase(options, options.runId);
    if (!fromDatabase) checkReadableFolder(options.output);
    const benchmarks = fromDatabase
      ? await recordsFromDatabase(options, options.runId)
      : readRunRecords(options.output, options.runId);
    if (!benchmarks.some((b) => b.state.result?.stats?.length)) {
      throw new UserError(
        `run "${options.runId}" has no results to export yet (${benchmarks.length} benchmarks); ` +
          `see npm run -s results -- --run-id ${options.runId}`,
      );
    }
    const exportDir = path.join(options.output, options.runId, "export");
    checkWritableFolder(exportDir);
    if (options.format === "csv") {
      const file = path.join(exportDir, "stats.csv");
      const csv = statsCsv(benchmarks);
      removeOnFailure([file], () => {
        fs.mkdirSync(exportDir, { recursive: true });
        writeFileAtomically(file, csv);
      });
      process.stdout.write(`${file}\n`);
      return;
    }
    const files: Record<string, string> = {};
    for (const benchmark of benchmarks) {
      (benchmark.state.result?.stats ?? []).forEach((stat, stage) => {
        files[`${benchmark.name}-${rateName(stat.request_rate)}.yaml`] = stringify(
          benchmarkReport(options.runId, benchmark, stat, stage),
        );
      });
    }
    const dir = path.join(exportDir, "br-v0.2.1");
    removeOnFailure([dir], () => {
      fs.mkdirSync(exportDir, { recursive: true });
      writeWhole(dir, files);
    });
    for (const name of Object.keys(files).sort()) process.stdout.write(`${path.join(dir, name)}\n`);
  });

void runCommand(program);
