// npm run -s compare -- --run-id A --run-id B [--fail-on-regression PCT] [--allow-missing] [--json] [--output
// DIR] [--db FILE|URL] npm run -s compare -- --run-id A1 --run-id A2 --against B1 --against B2 [...]
// (repeated runs: 95% intervals) npm run -s compare -- --run-id R --pair A=B [...]   (benchmark B against
// benchmark A within run R, e.g. picker against Service) Per benchmark and rate, B against the baseline A;
// with --fail-on-regression, exits 1 when B is worse beyond PCT, or lost a benchmark or rate that A has (for
// CI).
import { Command } from "commander";
import { quoted, UserError } from "../lib/errors";
import { type Comparison, compareSides, formatDelta, GATE_METRICS, type Side } from "../lib/report/compare";
import { benchmarkSide } from "../lib/report/routing";
import { DB_OPTION_HELP, runCommand, runIdsOption, withRunStore } from "./common";

interface Options {
  runId: string[];
  against?: string[];
  pair?: string;
  failOnRegression?: number;
  allowMissing?: boolean;
  json?: boolean;
  output: string;
  db?: string;
}

function percent(value: string): number {
  const number = Number(value);
  if (value.trim() === "" || !Number.isFinite(number) || number < 0)
    throw new UserError(`--fail-on-regression takes a percentage such as 5 (got ${quoted(value, 24)})`);
  return number;
}

/** Baseline and candidate run ids, checked before anything is opened. */
function sides(options: Options): [string[], string[]] {
  const [a, b] = options.against
    ? [options.runId, options.against]
    : [options.runId.slice(0, 1), options.runId.slice(1)];
  if (!options.against && options.runId.length !== 2)
    throw new UserError(
      `give exactly two runs: --run-id A --run-id B, or repeated runs with --run-id A1 --run-id ` +
        `A2 --against B1 --against B2 (got ${options.runId.length} --run-id)`,
    );
  for (const [label, ids] of [
    ["--run-id", a],
    ["--against", b],
  ] as const) {
    const repeated = ids.find((id, i) => ids.indexOf(id) !== i);
    if (repeated) throw new UserError(`run ${repeated} is given twice in ${label}`);
  }
  const both = a.find((id) => b.includes(id));
  if (both) throw new UserError(`run ${both} is on both sides: comparing a run with itself shows nothing`);
  return [a, b];
}

/** --pair A=B: two benchmark names of one run. */
function pairOf(value: string): [string, string] {
  const match = /^([^=\s]+)=([^=\s]+)$/.exec(value);
  if (!match || match[1] === match[2])
    throw new UserError(
      `--pair takes two different benchmarks of the run as A=B, e.g. --pair svc=epp (got ${quoted(value, 40)})`,
    );
  return [match[1], match[2]];
}

function table(comparison: Comparison): string[] {
  const columns = GATE_METRICS.filter((m) => comparison.deltas.some((d) => d.metrics[m.id]));
  const rows = comparison.deltas.map((d) => [
    d.name,
    d.rate.toFixed(1),
    ...columns.map((m) => {
      const delta = d.metrics[m.id];
      return d.not_comparable ? "not comparable" : delta ? formatDelta(m, delta) : "–";
    }),
  ]);
  const header = ["benchmark", "rate", ...columns.map((m) => m.label)];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [
    line(header),
    ...rows.map((r, i) => {
      const d = comparison.deltas[i];
      return `${line(r)}${d.regressions.length ? `  REGRESSION: ${d.regressions.join(", ")}` : ""}${d.not_comparable ? `  NOT COMPARABLE: ${d.not_comparable.join("; ")}` : ""}`;
    }),
  ];
}

const program = new Command("compare")
  .description(
    "Compare run B with the baseline run A (or repeated runs of each), benchmark by benchmark and rate by rate",
  )
  .requiredOption(
    "--run-id <id>",
    "run A (the baseline), then run B; with --against, every baseline run (repeatable)",
    runIdsOption,
  )
  .option(
    "--against <id>",
    "a run of the candidate side B, when each side has repeated runs (repeatable)",
    runIdsOption,
  )
  .option(
    "--pair <A=B>",
    "within the one run given: benchmark B (the candidate) against benchmark A (the baseline), " +
      "e.g. picker against Service",
  )
  .option(
    "--fail-on-regression <pct>",
    "exit 1 if a figure is worse by more than this percentage (with repeated runs: across its " +
      "whole 95% interval), or if B lost a benchmark or rate that A has",
    percent,
  )
  .option(
    "--allow-missing",
    "with --fail-on-regression: do not fail because B lacks, or has failed or partial, a benchmark or rate that A has",
  )
  .option(
    "--json",
    'print one JSON object {"a", "b", "threshold_percent", "deltas", "lost", "notes", "regressions", "passed"}',
  )
  .option("--output <dir>", "output folder", "output")
  .option("--db <file>", DB_OPTION_HELP)
  .action(async (options: Options) => {
    const pair = options.pair === undefined ? undefined : pairOf(options.pair);
    if (pair && (options.runId.length !== 1 || options.against))
      throw new UserError(`--pair compares two benchmarks within one run: give exactly one --run-id and no --against`);
    const [a, b] = pair ? [options.runId, options.runId] : sides(options);
    const comparison = await withRunStore(options, [...new Set([...a, ...b])], async (store) => {
      // A baseline without results gives nothing to compare; a candidate without them is what the gate reports as lost.
      for (const id of a)
        if ((await store.stats(id)).length === 0)
          throw new UserError(`run "${id}" has no results to compare; see npm run -s results -- --run-id ${id}`);
      const load = async (runId: string) => ({
        runId,
        benchmarks: await store.benchmarks(runId),
        stats: await store.stats(runId),
        details: await store.statDetails(runId),
      });
      if (pair) {
        const run = await load(a[0]);
        for (const name of pair)
          if (!run.benchmarks.some((bm) => bm.name === name))
            throw new UserError(
              `--pair: run ${a[0]} has no benchmark "${name}" (it has ${run.benchmarks.map((bm) => bm.name).join(", ")})`,
            );
        return compareSides(
          benchmarkSide(run, pair[0], options.pair!),
          benchmarkSide(run, pair[1], options.pair!),
          options.failOnRegression,
        );
      }
      const side = async (ids: string[]): Promise<Side> => ({ runs: await Promise.all(ids.map(load)) });
      return compareSides(await side(a), await side(b), options.failOnRegression);
    });
    const regressions = comparison.deltas.filter((d) => d.regressions.length);
    const gate = options.failOnRegression !== undefined;
    const failed = gate && (regressions.length > 0 || (comparison.lost.length > 0 && !options.allowMissing));
    if (options.json) {
      process.stdout.write(
        `${JSON.stringify({ a, b, threshold_percent: options.failOnRegression ?? null, ...comparison, regressions: regressions.length, passed: !failed }, null, 2)}\n`,
      );
    } else {
      const lines = table(comparison);
      if (a.length > 1 || b.length > 1)
        lines.push(`[low, high]: 95% Welch t interval over per-run values (A: ${a.length} runs, B: ${b.length} runs)`);
      for (const lost of comparison.lost) lines.push(`LOST: ${lost}`);
      for (const note of comparison.notes) lines.push(`note: ${note}`);
      if (gate) {
        lines.push(
          regressions.length
            ? `${regressions.length} regression(s) beyond ${options.failOnRegression}%`
            : `no regression beyond ${options.failOnRegression}%`,
        );
        if (comparison.lost.length)
          lines.push(
            `${comparison.lost.length} benchmark(s) or rate(s) lost in ` +
              `B${options.allowMissing ? " (allowed by --allow-missing)" : ""}`,
          );
      }
      process.stdout.write(`${lines.join("\n")}\n`);
    }
    if (failed) process.exitCode = 1;
  });

void runCommand(program);
