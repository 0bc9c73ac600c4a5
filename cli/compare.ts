// npm run -s compare -- --run-id A --run-id B [--fail-on-regression PCT] [--output DIR] [--db FILE]
// Per benchmark and rate, B against A; with --fail-on-regression, exits 1 when B is worse (for CI).
import { Command } from "commander";
import * as path from "node:path";
import { quoted, UserError } from "../lib/errors";
import { compareRuns } from "../lib/report/compare";
import { databasePath, ResultStore } from "../lib/store/store";
import { checkReadableFolder, checkWritableFolder, databaseFiles, removeOnFailure, runCommand, runIdsOption, withDatabase } from "./common";

function percent(value: string): number {
  const number = Number(value);
  if (value.trim() === "" || !Number.isFinite(number) || number < 0) throw new UserError(`--fail-on-regression takes a percentage such as 5 (got ${quoted(value, 24)})`);
  return number;
}

function signed(value: number | null, unit = "%"): string {
  return value === null ? "–" : `${value >= 0 ? "+" : ""}${value.toFixed(1)}${unit}`;
}

const program = new Command("compare")
  .description("Compare run B with run A, benchmark by benchmark and rate by rate")
  .requiredOption("--run-id <id>", "run A (the baseline), then run B", runIdsOption)
  .option("--fail-on-regression <pct>", "exit 1 if throughput drops or p90 latency rises by more than this percentage", percent)
  .option("--output <dir>", "output folder", "output")
  .option("--db <file>", "results database (default: <output>/results.db)")
  .action((options: { runId: string[]; failOnRegression?: number; output: string; db: string }) => {
    if (options.runId.length !== 2) throw new UserError(`give exactly two runs: --run-id A --run-id B (got ${options.runId.length})`);
    const [a, b] = options.runId;
    checkReadableFolder(options.output);
    // Loaded once the options are checked: it pulls in the Kubernetes client, which takes seconds.
    const { refreshRuns } = require("../lib/store/import") as typeof import("../lib/store/import");
    const db = options.db ?? databasePath(options.output);
    checkWritableFolder(path.dirname(db), "--db");
    const { deltas, unmatched } = removeOnFailure(databaseFiles(db), () => withDatabase(db, () => {
      const store = new ResultStore(db);
      try {
        refreshRuns(store, options.output, [a, b]);
        for (const id of [a, b]) if (store.stats(id).length === 0) throw new UserError(`run "${id}" has no results to compare; see npm run -s results -- --run-id ${id}`);
        return compareRuns(store.stats(a), store.stats(b), options.failOnRegression);
      } finally {
        store.close();
      }
    }));
    const lines = [`${"benchmark".padEnd(32)} ${"rate".padStart(8)} ${"tokens/s".padStart(9)} ${"p90".padStart(9)} ${"TTFT p90".padStart(9)} ${"success".padStart(9)}`];
    for (const d of deltas) {
      lines.push(`${d.name.padEnd(32)} ${d.rate.toFixed(1).padStart(8)} ${signed(d.throughput).padStart(9)} ${signed(d.latencyP90).padStart(9)} ${signed(d.ttftP90).padStart(9)} ${signed(d.successPoints, "pt").padStart(9)}${d.regressions.length ? `  REGRESSION: ${d.regressions.join(", ")}` : ""}`);
    }
    for (const note of unmatched) lines.push(`note: ${note}`);
    const regressions = deltas.filter((d) => d.regressions.length);
    if (options.failOnRegression !== undefined) {
      lines.push(regressions.length ? `${regressions.length} regression(s) beyond ${options.failOnRegression}%` : `no regression beyond ${options.failOnRegression}%`);
    }
    process.stdout.write(lines.join("\n") + "\n");
    if (regressions.length && options.failOnRegression !== undefined) process.exitCode = 1;
  });

void runCommand(program);
