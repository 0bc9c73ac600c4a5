// npm run -s compare -- --run-id A --run-id B [--fail-on-regression PCT] [--output DIR] [--db FILE]
// Per benchmark and rate, B against A; with --fail-on-regression, exits 1 when B is worse (for CI).
import { Command, InvalidArgumentError } from "commander";
import { UserError } from "../lib/errors";
import { compareRuns } from "../lib/report/compare";
import { refreshRuns } from "../lib/store/import";
import { databasePath, ResultStore } from "../lib/store/store";
import { collect, runCommand } from "./common";

function percent(value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0) throw new InvalidArgumentError("a percentage such as 5");
  return number;
}

function signed(value: number | null, unit = "%"): string {
  return value === null ? "–" : `${value >= 0 ? "+" : ""}${value.toFixed(1)}${unit}`;
}

const program = new Command("compare")
  .description("Compare run B with run A, benchmark by benchmark and rate by rate")
  .requiredOption("--run-id <id>", "run A (the baseline), then run B", collect)
  .option("--fail-on-regression <pct>", "exit 1 if throughput drops or p90 latency rises by more than this percentage", percent)
  .option("--output <dir>", "output folder", "output")
  .option("--db <file>", "results database (default: <output>/results.db)")
  .action((options: { runId: string[]; failOnRegression?: number; output: string; db: string }) => {
    if (options.runId.length !== 2) throw new UserError(`give exactly two runs: --run-id A --run-id B (got ${options.runId.length})`);
    const [a, b] = options.runId;
    const store = new ResultStore(options.db ?? databasePath(options.output));
    try {
      refreshRuns(store, options.output, [a, b]);
      const { deltas, unmatched } = compareRuns(store.stats(a), store.stats(b), options.failOnRegression);
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
    } finally {
      store.close();
    }
  });

void runCommand(program);
