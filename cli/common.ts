// What every command shares: its error contract and the checks of the options commands share.
// The contract: a user's mistake is one line on stderr (`error: ...`), exit 1, nothing on stdout,
// nothing written or half-written; a fault of the file system or the database names the path
// and what to do; a closed stdout (`... | head`) ends the command quietly. Only a bug prints
// "internal error" (DEBUG=1 adds its stack trace).

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Command } from "commander";
import { fileSystemProblem, oneLine, quoted, UserError } from "../lib/errors";
import { gcpProjectProblem, runIdProblem } from "../lib/ids";
import type { BenchmarkRecord } from "../lib/results/run-results";
import type { DatabaseLocation } from "../lib/store/database";
import type { ResultStore } from "../lib/store/store";

/** Collects a repeatable, variadic option (`--catalog a b --catalog c`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `--run-id` and friends: a valid run id (see lib/ids.ts), else one clear line. */
/** The SLO flags, the same for `slo` and `report` (lib/report/slo.ts resolveSlo, gpuHourPrices). */
export interface SloOptions {
  slo?: string;
  preset?: string;
  gpuHourPrice?: string[];
}

export function addSloOptions(command: Command): Command {
  return command
    .option(
      "--slo <expr>",
      "comma-separated terms METRIC_PCT<=VALUE with a unit (ms, s); METRIC: request_latency, " +
        "ttft, ntpot, tpot, itl; PCT: p50, p90, p95, p99, mean. E.g. ttft_p99<=2s,ntpot_p90<=100ms",
    )
    .option("--preset <name>", "a named SLO, e.g. mlperf-llama3.1-8b (data/slo-presets.yaml); --slo terms add to it")
    .option(
      "--gpu-hour-price <accelerator=usd>",
      "price of one GPU-hour for an accelerator, overriding data/gpu-prices.yaml (repeatable)",
      collect,
    );
}

export function runIdOption(value: string): string {
  const problem = runIdProblem(value);
  if (problem) throw new UserError(problem);
  return value;
}

/** A repeatable run id option. */
export function runIdsOption(value: string, previous: string[] = []): string[] {
  return [...previous, runIdOption(value)];
}

/** `--gcp-project`: a GCP project id. */
export function gcpProjectOption(value: string): string {
  const problem = gcpProjectProblem(value);
  if (problem) throw new UserError(problem);
  return value;
}

/** A whole number option (GPU budget, parallelism). */
export function countOption(name: string): (value: string) => string {
  return (value) => {
    if (!/^[0-9]{1,9}$/.test(value))
      throw new UserError(`${name} takes a whole number such as 8 (got ${quoted(value, 24)})`);
    return value;
  };
}

function isFileSystemError(error: unknown): error is NodeJS.ErrnoException {
  return (
    error instanceof Error &&
    typeof (error as NodeJS.ErrnoException).code === "string" &&
    typeof (error as NodeJS.ErrnoException).syscall === "string"
  );
}

/** The nearest existing ancestor of `target` (itself if it exists). */
function existingAncestor(target: string): string {
  let current = path.resolve(target);
  while (!fs.existsSync(current) && path.dirname(current) !== current) current = path.dirname(current);
  return current;
}

/**
 * Checks, before anything is written, that `dir` is (or can be created as) a writable folder.
 * `option` names the flag that chose it, for the message.
 */
export function checkWritableFolder(dir: string, option = "--output"): void {
  const stat = fs.statSync(dir, { throwIfNoEntry: false });
  if (stat && !stat.isDirectory()) throw new UserError(`${dir}: is a file, not a folder; choose another ${option}`);
  const existing = existingAncestor(dir);
  if (!fs.statSync(existing).isDirectory())
    throw new UserError(`${dir}: ${existing} is a file, not a folder; choose another ${option}`);
  try {
    fs.accessSync(existing, fs.constants.W_OK | fs.constants.X_OK);
  } catch (error) {
    throw new UserError(
      `${dir}: cannot write in ${existing} ` +
        `(${(error as NodeJS.ErrnoException).code === "EROFS" ? "read-only file system" : "permission denied"}); ` +
        `fix its permissions or choose another ${option}`,
    );
  }
}

/** Checks that `dir` is an existing folder to read runs from. */
export function checkReadableFolder(dir: string, option = "--output"): void {
  const stat = fs.statSync(dir, { throwIfNoEntry: false });
  if (!stat) throw new UserError(`${dir}: no such folder; pass the ${option} folder that holds the runs`);
  if (!stat.isDirectory())
    throw new UserError(`${dir}: is a file, not a folder; pass the ${option} folder that holds the runs`);
}

/**
 * Runs `fn`; if it fails, removes whatever of `paths` (files, and the folders leading to them)
 * did not exist before, so that a failed command leaves nothing behind. `fn` may be async.
 */
export function removeOnFailure<T>(paths: string[], fn: () => T): T {
  const created = new Set<string>();
  for (const target of paths) {
    const stop = existingAncestor(target);
    for (let current = path.resolve(target); current !== stop; current = path.dirname(current)) created.add(current);
  }
  const removeCreated = (error: unknown): never => {
    // Deepest first: files, then the folders that held only them.
    for (const target of [...created].sort((a, b) => b.length - a.length)) {
      try {
        const stat = fs.lstatSync(target, { throwIfNoEntry: false });
        if (stat?.isDirectory()) fs.rmdirSync(target);
        else if (stat) fs.rmSync(target, { force: true });
      } catch {
        // A folder that holds something else stays.
      }
    }
    throw error;
  };
  try {
    const result = fn();
    // An asynchronous `fn` (a promise): the same when it rejects.
    return (result instanceof Promise ? result.catch(removeCreated) : result) as T;
  } catch (error) {
    return removeCreated(error);
  }
}

/** The `--db` option of the commands that read or write the results database. */
export const DB_OPTION_HELP =
  "results database: an SQLite file, or a URL postgres://user@host:port/db (default: " +
  "$INFERENCE_BENCH_DB, else <output>/results.db)";

/**
 * The database a command uses, checked before anything is opened: a named one (--db or
 * INFERENCE_BENCH_DB) needs no output folder; the default one lives in it.
 */
/**
 * A run that is not on this disk (a fresh clone, another CI runner) is copied from its Pulumi
 * stack, which records its snapshot and results (lib/run/local-copy.ts): `pulumi stack export`
 * in the project folder, as `pulumi stack select` left it. Without the CLI, or without such a
 * stack, nothing happens and the command says the run is not here.
 */
export function copyRunsFromStacks(outputDir: string, runIds: string[]): void {
  for (const runId of runIds) {
    if (fs.existsSync(path.join(outputDir, runId))) continue;
    const exported = spawnSync("pulumi", ["--non-interactive", "stack", "export", "--stack", runId], {
      cwd: path.resolve(__dirname, ".."),
      encoding: "utf8",
      env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" },
      maxBuffer: 1 << 30,
    });
    if (exported.status !== 0 || !exported.stdout) continue;
    const { readStackExport } = require("../lib/run/stack-export") as typeof import("../lib/run/stack-export");
    const { readRunState } = require("../lib/run/stack-state") as typeof import("../lib/run/stack-state");
    const { copyOfState } = require("../lib/run/local-copy") as typeof import("../lib/run/local-copy");
    const state = readRunState(readStackExport(exported.stdout).resources, runId);
    if (!state.snapshots.size) continue;
    copyOfState(state, runId, outputDir);
    process.stderr.write(
      `note: run ${runId} copied from its Pulumi stack to ${path.join(outputDir, runId)}: ${state.snapshots.size} ` +
        `benchmark(s), ${state.results.size} with results\n`,
    );
  }
}

export function commandDatabase(options: { output: string; db?: string }, write: boolean): DatabaseLocation {
  const { databaseLocation, databaseNamed } =
    require("../lib/store/database") as typeof import("../lib/store/database");
  if (!databaseNamed(options.db)) checkReadableFolder(options.output);
  const location = databaseLocation(options.db, options.output);
  if (location.engine === "sqlite" && write) checkWritableFolder(path.dirname(location.file), "--db");
  return location;
}

/**
 * Runs `fn` on the results database (`db`, default INFERENCE_BENCH_DB, else <output>/results.db)
 * with `runIds` refreshed from `output` when they are there, under the contract above: the
 * folders are checked first, and a failure removes the database file and `alsoRemove` if this
 * command created them. Runs none of whose files are here are read from the database alone.
 */
export async function withRunStore<T>(
  options: { output: string; db?: string },
  runIds: string[],
  fn: (store: ResultStore) => T | Promise<T>,
  alsoRemove: string[] = [],
): Promise<T> {
  copyRunsFromStacks(options.output, runIds);
  // Loaded once the options are checked: reading runs pulls in the Kubernetes client, which takes seconds.
  const { neitherMessage, refreshRuns, runOnDisk } =
    require("../lib/store/import") as typeof import("../lib/store/import");
  const write = runIds.some((id) => runOnDisk(options.output, id));
  const location = commandDatabase(options, write);
  const { ResultStore } = require("../lib/store/store") as typeof import("../lib/store/store");
  if (location.engine === "sqlite" && !write && !fs.existsSync(location.file))
    throw new UserError(neitherMessage(runIds[0], options.output, location.label));
  return removeOnFailure(
    [...(location.engine === "sqlite" ? databaseFiles(location.file) : []), ...alsoRemove],
    async () => {
      const opened = await ResultStore.open(location, { write });
      try {
        await refreshRuns(opened, options.output, runIds);
        return await fn(opened);
      } finally {
        await opened.close();
      }
    },
  );
}

/**
 * True when a run's records come from the database: its folder is not in `output`, and a database
 * is there to ask (named with --db or INFERENCE_BENCH_DB, or the output folder's results.db).
 */
export function readsFromDatabase(options: { output: string; db?: string }, runId: string): boolean {
  const { databaseNamed, databasePath } = require("../lib/store/database") as typeof import("../lib/store/database");
  const { runOnDisk } = require("../lib/store/import") as typeof import("../lib/store/import");
  if (runOnDisk(options.output, runId)) return false;
  return databaseNamed(options.db) || fs.existsSync(databasePath(options.output));
}

/** A run's benchmarks as the database keeps them (for a machine with none of its files). */
export async function recordsFromDatabase(
  options: { output: string; db?: string },
  runId: string,
): Promise<BenchmarkRecord[]> {
  const location = commandDatabase(options, false);
  const { neitherMessage } = require("../lib/store/import") as typeof import("../lib/store/import");
  const { ResultStore } = require("../lib/store/store") as typeof import("../lib/store/store");
  if (location.engine === "sqlite" && !fs.existsSync(location.file))
    throw new UserError(neitherMessage(runId, options.output, location.label));
  const store = await ResultStore.open(location, { write: false });
  try {
    if (!(await store.hasRun(runId))) throw new UserError(neitherMessage(runId, options.output, location.label));
    return await store.records(runId);
  } finally {
    await store.close();
  }
}

/** Refuses a run whose benchmarks have no results yet, saying what they are and where to look. */
export async function requireResults(store: ResultStore, runId: string): Promise<void> {
  if ((await store.stats(runId)).length > 0) return;
  const benchmarks = await store.benchmarks(runId);
  throw new UserError(
    `run "${runId}" has no results yet (${benchmarks.length} benchmarks: ${[...new Set(benchmarks.map((b) => b.status))].join(", ") || "none"}); ` +
      `see npm run -s results -- --run-id ${runId}`,
  );
}

/** The files SQLite writes next to a database. */
export function databaseFiles(file: string): string[] {
  return [file, `${file}-wal`, `${file}-shm`, `${file}-journal`];
}

/**
 * Where npm was called from, when this process is the npm script of this very command (`./ib`, `npm run` in a
 * subfolder).
 */
function callerDirectory(program: Command): string | undefined {
  const caller = process.env.INIT_CWD;
  return caller && process.env.npm_lifecycle_event === program.name() ? caller : undefined;
}

/**
 * Commander checks required options before unknown ones (lib/command.js _parseCommand), so
 * `--catalgo x` would be "required option '--catalog' not specified". An unknown option is the
 * user's real mistake: it is reported first, with commander's "(Did you mean --catalog?)".
 */
function reportUnknownOptionsFirst(program: Command): void {
  // Methods of commander 14's Command that its typings leave out (lib/command.js).
  const command = program as unknown as {
    missingMandatoryOptionValue(option: unknown): void;
    unknownOption(flag: string): void;
  };
  const missing = command.missingMandatoryOptionValue.bind(program);
  command.missingMandatoryOptionValue = (option) => {
    // Unknown options stay in program.args (operands, then everything from the first unknown option).
    const unknown = program.args.find((arg) => arg.startsWith("-") && arg !== "-");
    if (unknown !== undefined && unknown !== "--") command.unknownOption(unknown);
    missing(option);
  };
}

/** Runs a command's action under the error contract above. */
export async function runCommand(program: Command, argv = process.argv): Promise<void> {
  // Relative paths are the caller's: npm runs scripts in the project folder.
  const caller = callerDirectory(program);
  if (caller && caller !== process.cwd()) process.chdir(caller);
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
  program.exitOverride();
  program.configureOutput({ writeErr: (text) => process.stderr.write(`${oneLine(text.trimEnd())}\n`) });
  reportUnknownOptionsFirst(program);
  try {
    await program.parseAsync(argv);
  } catch (error) {
    const exitCode = (error as { exitCode?: number }).exitCode;
    if ((error as { code?: string }).code?.startsWith("commander.")) {
      process.exitCode = exitCode ?? 1;
      return;
    }
    const message =
      error instanceof UserError
        ? error.message
        : isFileSystemError(error)
          ? fileSystemProblem(error)
          : `internal error: ${oneLine(String((error as Error).message ?? error))} (set DEBUG=1 for the stack trace)`;
    process.stderr.write(`error: ${message}\n`);
    if (process.env.DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    process.exitCode = exitCode ?? 1;
  }
}

/** Writes `file` whole or not at all (a temporary file renamed over it). */
export function writeFileAtomically(file: string, content: string): void {
  const temporary = `${file}.tmp-${process.pid}`;
  try {
    fs.writeFileSync(temporary, content);
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw error;
  }
}

/** Prints warnings on stderr, one per line. */
export function warn(warnings: Iterable<string>): void {
  for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
}
