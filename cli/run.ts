// npm run -s run -- --stack <run-id> [--catalog <path>...] [--gpu-budget N] [--parallelism N] [--baseline ID
// [--fail-on-regression PCT]] [--verbose] Runs a whole catalog to the end: `pulumi up` until every benchmark
// has results, within the GPU budget, then `pulumi destroy --run-program`. Ctrl-C stops after the current
// step (again: cancels the running `pulumi`); the same command resumes. With --baseline, the finished run is
// compared with that run in the results database (`compare --fail-on-regression`): the CI gate.

import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { Command } from "commander";
import { UserError } from "../lib/errors";
import { prepareRun, validateRunId } from "../lib/plan/prepare";
import { expectedDurationSeconds } from "../lib/plan/timing";
import { checkBudget } from "../lib/plan/window";
import { driveRun, formatDuration } from "../lib/run/driver";
import { PULUMI_CLI_VERSION, PulumiCli } from "../lib/run/pulumi-cli";
import { collect, countOption, runCommand, runIdOption } from "./common";

const PROJECT_DIR = path.resolve(__dirname, "..");
const key = (name: string) => `inference-bench:${name}`;

interface RunOptions {
  stack: string;
  catalog?: string[];
  gpuBudget?: string;
  parallelism?: string;
  baseline?: string;
  failOnRegression: string;
  verbose?: boolean;
}

/**
 * Resolves the catalogs (absolute paths) and checks the run fits its limits, writing nothing (as the program
 * will, at `up`).
 */
function checkCatalog(options: {
  stack: string;
  catalogs: string[];
  regex?: string;
  gpuBudget: number;
  parallelism: number;
  outputDir: string;
}): number {
  const prepared = prepareRun({
    catalogs: options.catalogs,
    runId: options.stack,
    outputDir: options.outputDir,
    regex: options.regex,
  });
  checkBudget(
    prepared.map((p) => ({
      name: p.resolved.name,
      gpus: p.resolved.totalGpus,
      seconds: expectedDurationSeconds(p.resolved),
      done: false,
    })),
    { gpuBudget: options.gpuBudget, parallelism: options.parallelism },
  );
  return prepared.length;
}

const program = new Command("run")
  .description("Run every selected benchmark of a stack's catalogs to the end, then tear the run down")
  .requiredOption(
    "--stack <run-id>",
    "the stack, whose name is the run id (1 to 8 characters of a-z, 0-9 and -)",
    runIdOption,
  )
  .option("--catalog <paths...>", "catalog files or folders (sets the stack's catalog config)", collect)
  .option("--gpu-budget <n>", "GPUs at once (sets gpuBudget)", countOption("--gpu-budget"))
  .option("--parallelism <n>", "benchmarks at once (sets parallelism)", countOption("--parallelism"))
  .option(
    "--baseline <run-id>",
    "once the run has finished, compare it with this run in the results database and fail on a " +
      "regression or on lost results (the stack's resultsDb, else $INFERENCE_BENCH_DB, else " +
      "<outputDir>/results.db)",
    runIdOption,
  )
  .option("--fail-on-regression <pct>", "with --baseline: the regression threshold in percent", "5")
  .option("--verbose", "show Pulumi's own output")
  .action(async (options: RunOptions) => {
    // Before anything starts: the stack name, the CLI, the catalog.
    validateRunId(options.stack);
    if (options.baseline === options.stack)
      throw new UserError(`--baseline ${options.baseline}: that is this run; name the run to compare it with`);
    if (!(Number(options.failOnRegression) >= 0) || options.failOnRegression.trim() === "")
      throw new UserError(`--fail-on-regression takes a percentage such as 5 (got "${options.failOnRegression}")`);
    const cli = new PulumiCli({
      stack: options.stack,
      workDir: PROJECT_DIR,
      onOutput: options.verbose ? (out) => process.stdout.write(out) : undefined,
    });
    const version = await cli.version();
    if (version !== PULUMI_CLI_VERSION)
      process.stderr.write(
        `warning: pulumi v${version} found; inference-bench is tested with v${PULUMI_CLI_VERSION}\n`,
      );
    const budget = (flag: string | undefined, config: string | undefined) => Number(flag ?? config ?? 0);
    // Catalogs on the command line are the caller's paths (cli/common.ts runs from the caller's
    // folder); the stack's config holds them relative to the project, where the program runs.
    const flagCatalogs = options.catalog?.map((c) => path.resolve(c));
    if (flagCatalogs)
      checkCatalog({
        stack: options.stack,
        catalogs: flagCatalogs,
        gpuBudget: budget(options.gpuBudget, undefined),
        parallelism: budget(options.parallelism, undefined),
        outputDir: path.join(PROJECT_DIR, "output"),
      });

    if (await cli.ensureStack())
      process.stdout.write(`created stack ${options.stack} (the folder's selected stack is unchanged)\n`);
    const config = await cli.config();
    const catalogs =
      flagCatalogs ??
      (config[key("catalog")] ?? "catalog/")
        .split(",")
        .map((c) => c.trim())
        .filter(Boolean)
        .map((c) => path.resolve(PROJECT_DIR, c));
    const outputDir = path.resolve(PROJECT_DIR, config[key("outputDir")] ?? "output");
    const total = checkCatalog({
      stack: options.stack,
      catalogs,
      regex: config[key("benchmarkNameRegex")] || undefined,
      gpuBudget: budget(options.gpuBudget, config[key("gpuBudget")]),
      parallelism: budget(options.parallelism, config[key("parallelism")]),
      outputDir,
    });
    if (config[key("waitForResults")] === "false") {
      process.stderr.write(
        "warning: the stack's config sets waitForResults to false (earlier versions of this " +
          "command left it so), so a plain `pulumi up` will not collect; `pulumi config rm " +
          "waitForResults` restores the default\n",
      );
    }
    if (flagCatalogs)
      await cli.setConfig(key("catalog"), flagCatalogs.map((c) => path.relative(PROJECT_DIR, c) || ".").join(","));
    if (options.gpuBudget) await cli.setConfig(key("gpuBudget"), options.gpuBudget);
    if (options.parallelism) await cli.setConfig(key("parallelism"), options.parallelism);

    // Loaded once the checks have passed: the Kubernetes client and the database take seconds to load.
    const { ResultsService } = await import("../lib/run/results-service");
    const results = new ResultsService(
      {
        runId: options.stack,
        outputDir,
        kubeconfig: config["kubernetes:kubeconfig"],
        kubeContext: config["kubernetes:context"],
        waitForResults: false,
      },
      { info: (m) => process.stdout.write(`${m}\n`), warn: (m) => process.stderr.write(`warning: ${m}\n`) },
    );
    const controller = new AbortController();
    // One Ctrl-C can arrive more than once: the terminal signals every process of the foreground
    // group, and npm and tsx also relay it to their child. Signals within a second count as one.
    let presses = 0;
    let lastPress = 0;
    process.on("SIGINT", () => {
      if (Date.now() - lastPress < 1000) return;
      lastPress = Date.now();
      presses++;
      if (presses === 1) {
        process.stderr.write("\nstopping after the current step (Ctrl-C again cancels a running `pulumi`)\n");
        controller.abort();
      } else if (cli.interrupt()) {
        process.stderr.write(
          presses === 2
            ? "\ncancelling `pulumi` (it finishes the operations in flight; Ctrl-C again terminates it)\n"
            : "\nterminating `pulumi`\n",
        );
      } else {
        process.exit(130);
      }
    });
    const started = Date.now();
    process.stdout.write(`run ${options.stack}: ${total} benchmark(s)\n`);
    const resume = `npm run -s run -- ${process.argv.slice(2).join(" ")}`;
    const summary = await driveRun(
      {
        stack: cli,
        waitForAnyFinished: (namespaces, signal) => results.waitForAnyFinished(namespaces, signal),
        print: (line) => process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`),
      },
      { skipTearDown: config[key("skipTearDown")] === "true", signal: controller.signal },
    ).catch((error: unknown) => {
      throw error instanceof UserError ? new UserError(`${error.message}; once fixed, resume with: ${resume}`) : error;
    });
    const lines = Object.entries(summary.statuses).map(([name, status]) => `  ${name.padEnd(40)} ${status}`);
    const done = Object.values(summary.statuses).filter((s) => s !== "pending").length;
    process.stdout.write(
      `${summary.interrupted ? "interrupted" : "finished"} after ${summary.ups} update(s), ${formatDuration((Date.now() - started) / 1000)}${summary.tornDown ? ", torn down" : ""}: ${done}/${Object.keys(summary.statuses).length} ` +
        `with results\n${lines.join("\n")}${lines.length ? "\n" : ""}`,
    );
    if (summary.interrupted) {
      process.stdout.write(`the benchmarks deployed keep running; resume with: ${resume}\n`);
      process.exitCode = 130;
      return;
    }
    if (options.baseline)
      process.exitCode = await gate(cli, options.stack, options.baseline, options.failOnRegression, outputDir);
  });

/**
 * The CI gate: `compare --fail-on-regression` of the baseline and this run, in the database the
 * program stored the run in (its URL, which holds a password, goes to compare in the environment,
 * not on a command line that `ps` shows). Its exit status is the gate's.
 */
async function gate(
  cli: PulumiCli,
  stack: string,
  baseline: string,
  threshold: string,
  outputDir: string,
): Promise<number> {
  const { DB_ENV } = require("../lib/store/database") as typeof import("../lib/store/database");
  const db = (await cli.secretConfig(key("resultsDb"))) || process.env[DB_ENV] || undefined;
  process.stdout.write(
    `comparing run ${stack} with the baseline ${baseline} (fails on a regression beyond ${threshold}% ` +
      `or on lost results)\n`,
  );
  const tsx = path.join(PROJECT_DIR, "node_modules", ".bin", "tsx");
  const args = [
    path.join(PROJECT_DIR, "cli", "compare.ts"),
    "--run-id",
    baseline,
    "--run-id",
    stack,
    "--fail-on-regression",
    threshold,
    "--output",
    outputDir,
  ];
  const env: NodeJS.ProcessEnv = { ...process.env, ...(db ? { [DB_ENV]: db } : {}) };
  delete env.INIT_CWD;
  const result = spawnSync(tsx, args, { stdio: "inherit", env });
  return result.status ?? 1;
}

void runCommand(program);
