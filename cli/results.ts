// npm run -s results -- --run-id <id> [--output DIR] [--db FILE|URL] [--json]
// Shows each benchmark's status (pending, collected, partial, failed) from what is on disk, or,
// on a machine without the run's files, from the results database.
import { Command } from "commander";
import { stringifyProtoJson } from "../proto/json";
import {
  checkReadableFolder,
  copyRunsFromStacks,
  DB_OPTION_HELP,
  readsFromDatabase,
  recordsFromDatabase,
  runCommand,
  runIdOption,
} from "./common";

function fixed(value: number | undefined, digits = 1): string {
  return value === undefined ? "-" : value.toFixed(digits);
}

const program = new Command("results")
  .description(
    "Show the status and figures of each benchmark of a run, from what is on disk (else from the results database)",
  )
  .requiredOption("--run-id <id>", "the run id (the Pulumi stack name)", runIdOption)
  .option("--output <dir>", "output folder", "output")
  .option("--db <file>", `${DB_OPTION_HELP}; read when the run's folder is not in --output`)
  .option("--json", 'print one JSON object {"benchmarks": [{"name", "status", "missing", "problems", "result"}]}')
  .action(async (options: { runId: string; output: string; db?: string; json?: boolean }) => {
    copyRunsFromStacks(options.output, [options.runId]);
    const fromDatabase = readsFromDatabase(options, options.runId);
    if (!fromDatabase) checkReadableFolder(options.output);
    // Loaded once the options are checked: it pulls in the Kubernetes client, which takes seconds.
    const { listRunBenchmarks } = require("../lib/results/run-results") as typeof import("../lib/results/run-results");
    const benchmarks = fromDatabase
      ? await recordsFromDatabase(options, options.runId)
      : listRunBenchmarks(options.output, options.runId);
    if (options.json) {
      const out = benchmarks.map((b) => ({
        name: b.name,
        status: b.state.status,
        missing: b.state.record?.missing ?? [],
        problems: b.state.record?.problems ?? [],
        result: b.state.result ?? null,
      }));
      process.stdout.write(`${stringifyProtoJson({ benchmarks: out }, 2)}\n`);
      return;
    }
    const lines: string[] = [];
    for (const b of benchmarks) {
      const stats = b.state.result?.stats ?? [];
      lines.push(`${b.name}  ${b.state.status}${stats.length ? `  (${stats.length} rates)` : ""}`);
      for (const issue of [...(b.state.record?.missing ?? []), ...(b.state.record?.problems ?? [])])
        lines.push(`  ! ${issue}`);
      if (stats.length)
        lines.push(
          `  ${"rate".padStart(8)}  ${"tokens/s".padStart(10)}  ${"ok req/s".padStart(9)}  ${"p90 ms".padStart(10)} ` +
            ` ${"NTPOT p90".padStart(9)}  ${"success".padStart(8)}  errors`,
        );
      for (const s of stats) {
        const success = s.num_prompts_attempted
          ? `${((100 * (s.num_prompts_succeeded ?? 0)) / s.num_prompts_attempted).toFixed(1)}%`
          : "-";
        const errors = (s.errors ?? []).map((e) => `${e.type} ${e.count}`).join(", ");
        lines.push(
          `  ${fixed(s.request_rate).padStart(8)}  ${fixed(s.throughput?.mean).padStart(10)}  ${fixed(s.successful_rps, 2).padStart(9)}  ${fixed(s.request_latency?.p90).padStart(10)}  ${fixed(s.ntpot?.p90).padStart(9)}  ${success.padStart(8)}  ${errors}`.trimEnd(),
        );
      }
    }
    const counts: Record<string, number> = {};
    for (const b of benchmarks) counts[b.state.status] = (counts[b.state.status] ?? 0) + 1;
    lines.push(
      `${benchmarks.length} benchmarks: ${
        Object.entries(counts)
          .map(([s, n]) => `${n} ${s}`)
          .join(", ") || "none"
      }`,
    );
    process.stdout.write(`${lines.join("\n")}\n`);
  });

void runCommand(program);
