// npm run -s manifests -- --catalog <path>... [--run-id ID] [--output DIR] [--regex RE] [--override]
// Writes the manifest snapshot of each selected benchmark: what a run would deploy, exactly.
import { Command } from "commander";
import { UserError } from "../lib/errors";
import { newRunId, prepareRun } from "../lib/plan/prepare";
import { writeSnapshotsUntil } from "../lib/snapshot/snapshot";
import { groupWarnings } from "../lib/warnings";
import {
  checkWritableFolder,
  collect,
  gcpProjectOption,
  removeOnFailure,
  runCommand,
  runIdOption,
  warn,
} from "./common";

const program = new Command("manifests")
  .description("Write the manifest snapshot of each selected benchmark to <output>/<run id>/<name>-<run id>/")
  .requiredOption(
    "--catalog <paths...>",
    "catalog files or folders (several after one flag, or the flag repeated)",
    collect,
  )
  .option(
    "--run-id <id>",
    "the run id: 1 to 8 characters of a-z, 0-9 and - (default: 8 new hex characters)",
    runIdOption,
  )
  .option("--output <dir>", "output folder", "output")
  .option("--regex <re>", "only benchmarks whose name matches this regular expression")
  .option("--override", "rewrite an existing snapshot of this run")
  .option(
    "--gcp-project <project>",
    "render for a GKE cluster in this GCP project (managed Prometheus, Workload Identity)",
    gcpProjectOption,
  )
  .action(
    async (options: {
      catalog: string[];
      runId?: string;
      output: string;
      regex?: string;
      override?: boolean;
      gcpProject?: string;
    }) => {
      // Ctrl-C stops between two files: those written are complete, none is half-written.
      const interrupt = new AbortController();
      process.once("SIGINT", () => interrupt.abort());
      const runId = options.runId ?? newRunId();
      checkWritableFolder(options.output);
      const prepared = prepareRun({
        catalogs: options.catalog,
        runId,
        outputDir: options.output,
        regex: options.regex,
        gcpProject: options.gcpProject,
      });
      warn(groupWarnings(prepared.flatMap((p) => p.resolved.warnings)));
      const files = prepared.flatMap((p) => p.files);
      const report = await removeOnFailure(
        files.map((file) => file.path),
        () => writeSnapshotsUntil(files, options.override ?? false, interrupt.signal),
      );
      if (report.interrupted) {
        const done = report.written.length + report.unchanged.length;
        throw Object.assign(
          new UserError(
            `interrupted: ${done} of ${files.length} files of run ${runId} are in ${options.output} ` +
              `(${report.written.length} written now); run the same command again to write the rest`,
          ),
          { exitCode: 130 },
        );
      }
      process.stdout.write(`run id: ${runId}\n`);
      for (const p of prepared) {
        const objects = Object.values(p.built.manifests).reduce((n, part) => n + part.length, 0);
        process.stdout.write(
          `${p.paths.dir}/  ${objects} objects, ${p.resolved.totalGpus} GPUs, target ${p.built.target.split(",")[0]}\n`,
        );
      }
      process.stdout.write(`${report.written.length} files written, ${report.unchanged.length} unchanged\n`);
    },
  );

void runCommand(program);
