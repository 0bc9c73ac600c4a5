// npm run -s slo -- --run-id ID (--slo EXPR | --preset NAME) [--gpu-hour-price ACCELERATOR=USD]... [--output
// DIR] [--db FILE|URL] [--json] Per benchmark: the highest measured rate that meets every SLO term, the
// output throughput there, the GPUs and the cost per million output tokens.
import { Command } from "commander";
import { gpuHourPrices, resolveSlo, sloCapacity, sloJson } from "../lib/report/slo";
import {
  addSloOptions,
  DB_OPTION_HELP,
  requireResults,
  runCommand,
  runIdOption,
  type SloOptions,
  withRunStore,
} from "./common";

interface Options extends SloOptions {
  runId: string;
  output: string;
  db?: string;
  json?: boolean;
}

function fixed(value: number | null, digits: number): string {
  return value === null ? "–" : value.toFixed(digits);
}

const program = addSloOptions(
  new Command("slo")
    .description("Capacity under a latency SLO and its cost: per benchmark, the highest rate that meets every term")
    .requiredOption("--run-id <id>", "the run", runIdOption),
)
  .option("--output <dir>", "output folder", "output")
  .option("--db <file>", DB_OPTION_HELP)
  .option(
    "--json",
    'print {"slo": …, "benchmarks": [{"name", "status", "max_rate", "output_tokens_per_second", ' +
      '"gpus", "cost_per_million_output_tokens", "accelerator", "gpu_hour_price", "detail"}]}',
  )
  .action(async (options: Options) => {
    const slo = resolveSlo(options);
    const prices = gpuHourPrices(options.gpuHourPrice);
    const capacities = await withRunStore(options, [options.runId], async (store) => {
      await requireResults(store, options.runId);
      return sloCapacity(await store.benchmarks(options.runId), await store.statDetails(options.runId), slo, prices);
    });
    if (options.json) {
      process.stdout.write(`${JSON.stringify(sloJson(slo, capacities), null, 2)}\n`);
      return;
    }
    const header = ["benchmark", "status", "max rate", "tokens/s", "GPUs", "$/GPU-h", "$/1M out tok"];
    const rows = capacities.map((c) => [
      c.name,
      c.status,
      fixed(c.max_rate, 1),
      fixed(c.output_tokens_per_second, 1),
      c.gpus === null ? "–" : String(c.gpus),
      fixed(c.gpu_hour_price, 2),
      fixed(c.cost_per_million_output_tokens, 3),
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]) =>
      cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  ");
    const lines = [
      `SLO: ${slo.expression}${slo.preset ? ` (preset ${slo.preset})` : ""}; a rate with failed ` +
        `requests does not meet it`,
      line(header),
    ];
    capacities.forEach((c, i) => {
      lines.push(line(rows[i]));
      if (c.detail) lines.push(`  ${c.detail}`);
    });
    process.stdout.write(`${lines.join("\n")}\n`);
  });

void runCommand(program);
