// npm run -s catalog -- --catalog <path>... [--catalog <path>...] [--regex RE] [--json]
// Prints the resolved benchmarks (inheritance, defaults and request rates applied) in file order.
import { Command } from "commander";
import { loadCatalogs } from "../lib/catalog/catalog";
import { groupWarnings } from "../lib/warnings";
import { BenchmarksType } from "../proto/schema";
import { printTextFormat } from "../proto/textformat";
import { collect, runCommand, warn } from "./common";

const program = new Command("catalog")
  .description("Print the resolved benchmarks of one or more catalogs")
  .requiredOption(
    "--catalog <paths...>",
    "catalog files or folders (several after one flag, or the flag repeated)",
    collect,
  )
  .option("--regex <re>", "only benchmarks whose name matches this regular expression")
  .option("--json", 'print one JSON object {"benchmarks": [...]} with proto field names')
  .action((options: { catalog: string[]; regex?: string; json?: boolean }) => {
    const benchmarks = loadCatalogs(options.catalog, options.regex);
    warn(groupWarnings(benchmarks.flatMap((b) => b.warnings)));
    if (options.json) {
      process.stdout.write(`${JSON.stringify({ benchmarks: benchmarks.map((b) => b.benchmark) }, null, 2)}\n`);
      return;
    }
    const text = benchmarks
      .map(
        (b) =>
          `# ${b.file}:${b.line}  GPUs: ${b.totalGpus}  expected run time: ${Math.round(b.expectedSeconds / 60)} ` +
          `min\n` +
          printTextFormat(BenchmarksType, { benchmarks: [b.benchmark] }),
      )
      .join("\n");
    process.stdout.write(text);
  });

void runCommand(program);
