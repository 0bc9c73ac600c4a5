// npm run -s run -- --stack <run-id> [--catalog <path>...] [--gpu-budget N] [--parallelism N] [--verbose]
// Runs a whole catalog to the end with the Automation API: `up` until every benchmark has
// results, within the GPU budget, then `destroy --run-program`. Ctrl-C stops after the current
// step; the same command resumes.
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { Command, InvalidArgumentError } from "commander";
import * as path from "node:path";
import { waitForAnyJob } from "../lib/results/collect";
import { loadKubeConfig } from "../lib/results/kube";
import { driveRun } from "../lib/run/driver";
import { collect, runCommand } from "./common";

function count(value: string): string {
  if (!/^[0-9]+$/.test(value)) throw new InvalidArgumentError("a whole number");
  return value;
}

const program = new Command("run")
  .description("Run every selected benchmark of a stack's catalogs to the end, then tear the run down")
  .requiredOption("--stack <run-id>", "the stack, whose name is the run id")
  .option("--catalog <path>", "catalog file or folder (repeatable; sets the stack's catalog config)", collect)
  .option("--gpu-budget <n>", "GPUs at once (sets gpuBudget)", count)
  .option("--parallelism <n>", "benchmarks at once (sets parallelism)", count)
  .option("--verbose", "show Pulumi's own output")
  .action(async (options: { stack: string; catalog?: string[]; gpuBudget?: string; parallelism?: string; verbose?: boolean }) => {
    const workDir = path.resolve(__dirname, "..");
    const stack = await LocalWorkspace.createOrSelectStack({ stackName: options.stack, workDir });
    if (options.catalog) await stack.setConfig("inference-bench:catalog", { value: options.catalog.join(",") });
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
