// The Pulumi CLI, as the driver runs it. Not through the Automation API: that spawns `pulumi` in
// the driver's own process group (execa without `detached`: @pulumi/pulumi/automation/cmd.js),
// so a Ctrl-C at the terminal, which signals the whole foreground group, reaches `pulumi` first:
// it cancels the update and the Automation API throws. Here each `pulumi` runs in its own
// process group, so Ctrl-C reaches only the driver, which decides: let the current update
// finish, or pass the signal on (`interrupt`) to cancel it the CLI's way (first SIGINT cancels
// gracefully, the second terminates: pulumi/pulumi@v3.259.0 pkg/backend/cancellation_scope.go).
import { type ChildProcess, spawn } from "node:child_process";
import { UserError } from "../errors";
import type { DriverStack } from "./driver";
import { readStackExport, type StackExport } from "./stack-export";

/** The Pulumi CLI version whose engine this project's tests model (tests/engine.ts); CI and Deployments pin it. */
export const PULUMI_CLI_VERSION = "3.259.0";

const INSTALL_PULUMI = `curl -fsSL https://get.pulumi.com | sh -s -- --version ${PULUMI_CLI_VERSION}`;

/**
 * The driver (`npm run run`) turns waitForResults off for its own `pulumi up`s through this
 * environment variable, which the CLI passes on to the program: the stack's config is never
 * changed, so an interrupted driver cannot leave it off.
 */
export const WAIT_FOR_RESULTS_ENV = "INFERENCE_BENCH_WAIT_FOR_RESULTS";

/**
 * The driver's own updates return at once: this makes the program skip waiting for results
 * (components/settings.ts).
 */
export const DRIVER_ENV = { [WAIT_FOR_RESULTS_ENV]: "false" };

export class PulumiCliError extends UserError {}

export interface PulumiCliOptions {
  stack: string;
  /** The project folder (Pulumi.yaml). */
  workDir: string;
  /** The executable. Default: `pulumi` on PATH. */
  command?: string;
  /** Pulumi's own output, for --verbose. */
  onOutput?: (text: string) => void;
}

export class PulumiCli implements DriverStack {
  private running?: ChildProcess;

  constructor(private readonly options: PulumiCliOptions) {}

  /** `pulumi <args>` in its own process group; resolves with stdout, rejects with the end of stderr. */
  run(args: string[], env: Record<string, string> = {}, options: { quiet?: boolean } = {}): Promise<string> {
    const command = this.options.command ?? "pulumi";
    return new Promise((resolve, reject) => {
      const child = spawn(command, ["--non-interactive", ...args], {
        cwd: this.options.workDir,
        env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true", ...env },
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
      });
      this.running = child;
      let stdout = "";
      let stderr = "";
      child.stdout!.on("data", (data: Buffer) => {
        stdout += data;
        if (!options.quiet) this.options.onOutput?.(String(data));
      });
      child.stderr!.on("data", (data: Buffer) => {
        stderr += data;
        this.options.onOutput?.(String(data));
      });
      child.on("error", (error: NodeJS.ErrnoException) => {
        this.running = undefined;
        reject(
          error.code === "ENOENT"
            ? new PulumiCliError(
                `the Pulumi CLI (${command}) is not on PATH; install v${PULUMI_CLI_VERSION}: ${INSTALL_PULUMI}`,
              )
            : new PulumiCliError(`${command}: ${error.message}`),
        );
      });
      child.on("close", (code, signal) => {
        this.running = undefined;
        if (code === 0) return resolve(stdout);
        const detail = (stderr.trim() || stdout.trim())
          .split("\n")
          .filter((line) => line.trim())
          .slice(-3)
          .join(" | ");
        reject(
          new PulumiCliError(
            `pulumi ${args[0]} ${args[1] && !args[1].startsWith("-") ? `${args[1]} ` : ""}failed ` +
              `(${signal ?? `exit ${code}`}): ${detail}`,
          ),
        );
      });
    });
  }

  /** Passes a Ctrl-C on to the running `pulumi`, if any. */
  interrupt(): boolean {
    if (!this.running?.pid) return false;
    process.kill(-this.running.pid, "SIGINT");
    return true;
  }

  /** `pulumi version`, without the leading "v". */
  async version(): Promise<string> {
    return (await this.run(["version"])).trim().replace(/^v/, "");
  }

  private stackArgs(): string[] {
    return ["--stack", this.options.stack];
  }

  /**
   * Creates the stack when the project has none of that name, leaving the folder's selected stack
   * as it was (`pulumi stack init --no-select`): every other call names the stack with --stack.
   * Returns whether it created one.
   */
  async ensureStack(): Promise<boolean> {
    const stacks = JSON.parse(await this.run(["stack", "ls", "--json"])) as Array<{ name: string }>;
    // Pulumi Cloud names stacks `org/stack` (or `org/project/stack`); a self-managed backend `stack`.
    if (stacks.some((s) => s.name === this.options.stack || s.name.endsWith(`/${this.options.stack}`))) return false;
    await this.run(["stack", "init", this.options.stack, "--no-select"]);
    return true;
  }

  async setConfig(key: string, value: string): Promise<void> {
    await this.run(["config", "set", ...this.stackArgs(), "--", key, value]);
  }

  /** One config value by full key, a secret's in plain text (never echoed); undefined when unset. */
  async secretConfig(key: string): Promise<string | undefined> {
    try {
      return (
        (await this.run(["config", "get", ...this.stackArgs(), "--", key], {}, { quiet: true })).replace(/\n$/, "") ||
        undefined
      );
    } catch {
      return undefined;
    }
  }

  /** The stack's config values by full key (`project:key`); secrets are left out. */
  async config(): Promise<Record<string, string>> {
    const all = JSON.parse(await this.run(["config", ...this.stackArgs(), "--json"])) as Record<
      string,
      { value?: unknown; secret?: boolean }
    >;
    return Object.fromEntries(
      Object.entries(all)
        .filter(([, v]) => !v.secret && v.value !== undefined)
        .map(([k, v]) => [k, String(v.value)]),
    );
  }

  /** `pulumi stack export`, read (lib/run/stack-export.ts). */
  async export(): Promise<StackExport> {
    return readStackExport(await this.run(["stack", "export", ...this.stackArgs()]));
  }

  /**
   * Clears pending creates with a refresh of the stack's own resource only: the CLI clears them
   * before it refreshes anything (pkg/cmd/pulumi/operations/refresh.go), and refreshing nothing
   * else keeps a Job deleted behind the run's back in the state, where the program sees it is
   * gone and records the benchmark as lost rather than running it again.
   */
  async clearPendingCreates(): Promise<number> {
    const exported = await this.export();
    if (!exported.pendingCreates.length || !exported.stackUrn) return 0;
    await this.run([
      "refresh",
      ...this.stackArgs(),
      "--yes",
      "--skip-preview",
      "--clear-pending-creates",
      "--target",
      exported.stackUrn,
    ]);
    return exported.pendingCreates.length;
  }

  async up(): Promise<{ outputs: Record<string, { value: unknown }> }> {
    await this.run(["up", ...this.stackArgs(), "--yes", "--skip-preview"], DRIVER_ENV);
    const outputs = JSON.parse(await this.run(["stack", "output", ...this.stackArgs(), "--json"])) as Record<
      string,
      unknown
    >;
    return { outputs: Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, { value: v }])) };
  }

  async destroy(options: { runProgram: boolean }): Promise<unknown> {
    return this.run(
      ["destroy", ...this.stackArgs(), "--yes", "--skip-preview", ...(options.runProgram ? ["--run-program"] : [])],
      DRIVER_ENV,
    );
  }
}
