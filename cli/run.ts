// npm run -s run -- --stack <run-id> [--catalog <path>...] [--gpu-budget N] [--parallelism N] [--verbose]
// Runs a whole catalog to the end with the Automation API: `up` until every benchmark has
// results, within the GPU budget, then `destroy --run-program`. Ctrl-C stops after the current
// step; the same command resumes.
import { Command } from "commander";
import * as path from "node:path";
import { collect, countOption, requireExecutable, runCommand, runIdOption } from "./common";

const program = new Command("run")
  .description("Run every selected benchmark of a stack's catalogs to the end, then tear the run down")
  .requiredOption("--stack <run-id>", "the stack, whose name is the run id (1 to 8 characters of a-z, 0-9 and -)", runIdOption)
  .option("--catalog <paths...>", "catalog files or folders (sets the stack's catalog config)", collect)
  .option("--gpu-budget <n>", "GPUs at once (sets gpuBudget)", countOption("--gpu-budget"))
  .option("--parallelism <n>", "benchmarks at once (sets parallelism)", countOption("--parallelism"))
  .option("--verbose", "show Pulumi's own output")
  .action(async (options: { stack: string; catalog?: string[]; gpuBudget?: string; parallelism?: string; verbose?: boolean }) => {
    requireExecutable("pulumi", "install the Pulumi CLI (https://www.pulumi.com/docs/iac/download-install/)");
    // Loaded once the options are checked: the Automation API and the Kubernetes client take seconds.
    const { LocalWorkspace } = require("@pulumi/pulumi/automation") as typeof import("@pulumi/pulumi/automation");
    const { waitForAnyJob } = require("../lib/results/collect") as typeof import("../lib/results/collect");
    const { loadKubeConfig } = require("../lib/results/kube") as typeof import("../lib/results/kube");
    const { driveRun } = require("../lib/run/driver") as typeof import("../lib/run/driver");
    const workDir = path.resolve(__dirname, "..");
    const stack = await LocalWorkspace.createOrSelectStack({ stackName: options.stack, workDir });
    // The program reads catalog paths from the project folder; the user typed them from theirs.
    if (options.catalog) await stack.setConfig("inference-bench:catalog", { value: options.catalog.map((p) => path.relative(workDir, path.resolve(p)) || ".").join(",") });
    if (options.gpuBudget) await stack.setConfig("inference-bench:gpuBudget", { value: options.gpuBudget });
    if (options.parallelism) await stack.setConfig("inference-bench:parallelism", { value: options.parallelism });
    // Each `up` returns at once; the driver starts the next one when a benchmark finishes.
    await stack.setConfig("inference-bench:waitForResults", { value: "false" });
    const config = await stack.getAllConfig();
    const kubeConfig = loadKubeConfig(config["kubernetes:kubeconfig"]?.value, config["kubernetes:context"]?.value);
    const controller = new AbortController();
    process.on("SIGINT", () => {
      if (controller.signal.aborted) process.exit(130);
      process.stderr.write("\nstopping after the current step; run the same command to resume (Ctrl-C again to quit now)\n");
      controller.abort();
    });
    const started = Date.now();
    const summary = await driveRun({
      stack,
      waitForAnyFinished: (namespaces, signal) => waitForAnyJob(kubeConfig, options.stack, namespaces, signal),
      print: (line) => process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`),
      onOutput: options.verbose ? (out) => process.stdout.write(out) : undefined,
    }, { skipTearDown: config["inference-bench:skipTearDown"]?.value === "true", signal: controller.signal });
    const elapsed = Math.round((Date.now() - started) / 60000);
    const lines = Object.entries(summary.statuses).map(([name, status]) => `  ${name.padEnd(40)} ${status}`);
    process.stdout.write(`${summary.interrupted ? "interrupted" : "finished"} after ${summary.ups} update(s), ${elapsed} min${summary.tornDown ? ", torn down" : ""}\n${lines.join("\n")}\n`);
    if (summary.interrupted) process.exitCode = 130;
  });

void runCommand(program);
