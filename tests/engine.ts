// An engine-faithful test double: `pulumi up`, `preview`, `destroy` and `refresh` as the Pulumi
// CLI we pin (PULUMI_CLI_VERSION) runs them, over a checkpoint that persists between operations,
// against a fake cloud (the fake Kubernetes API server and a GCP project in memory).
//
// The real program runs under the SDK's mocks (the SDK we ship). Each registration is turned into
// a step by the rules below, each taken from the engine's source at that version (repo
// pulumi/pulumi, tag v3.259.0) and cited where it is enforced; the step runs while the program
// runs, and the registration is answered only when its step has completed, after-hooks included
// (pkg/resource/deploy/step.go CreateStep.Apply: `complete` is returned after the after-hooks;
// step_executor.go continueExecuteStep). Hooks are invoked over gRPC through the SDK's callback
// server with the inputs and outputs the engine sends (source_eval.go wrapResourceHookCallback).
//
// What is modelled besides: the checkpoint written step by step, with pending operations
// (pkg/backend/snapshot.go markOperationPending, Snap); an operation killed at any point
// (SIGKILL: the program and its hooks live on as orphans, the engine writes nothing more);
// the first Ctrl-C (cancellation: no new steps, the language host's Cancel sends the program
// SIGINT and kills it 5 s later); `refresh` with --clear-pending-creates and
// --import-pending-creates; replacements, delete-before-replace for named Kubernetes objects;
// ignoreChanges; explicit and default providers, the Kubernetes provider's AlreadyExists rule and
// its config diff; the builtin provider's Stash resource and readStackResourceOutputs invoke.
// Not modelled: protect, aliases, targets, import, plugins, policy.

import * as fs from "node:fs";
import { isDeepStrictEqual } from "node:util";
import * as grpc from "@grpc/grpc-js";
import * as pulumi from "@pulumi/pulumi";
import YAML from "yaml";
import { STASH_TYPE } from "../lib/run/stack-state";
import { type FakeKube, objectPath } from "./fake-kube";

/* eslint-disable @typescript-eslint/no-require-imports */
const runtimeSettings = require("@pulumi/pulumi/runtime/settings");
const runtimeResource = require("@pulumi/pulumi/runtime/resource");
const pulumiLog = require("@pulumi/pulumi/log");
const callbackRpc = require("@pulumi/pulumi/proto/callback_grpc_pb");
const callbackProto = require("@pulumi/pulumi/proto/callback_pb");
const resourceProto = require("@pulumi/pulumi/proto/resource_pb");
const structProto = require("google-protobuf/google/protobuf/struct_pb");
/* eslint-enable @typescript-eslint/no-require-imports */

export type HookType = "beforeCreate" | "afterCreate" | "beforeUpdate" | "afterUpdate" | "beforeDelete" | "afterDelete";
const HOOK_TYPES: HookType[] = [
  "beforeCreate",
  "afterCreate",
  "beforeUpdate",
  "afterUpdate",
  "beforeDelete",
  "afterDelete",
];

/** One resource of the checkpoint (pkg/resource/state.go State: the fields the rules use). */
export interface ResourceState {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  parent: string;
  /** dependsOn and property dependencies. */
  dependencies: string[];
  deletedWith: string;
  retainOnDelete: boolean;
  /** Hook names by type, as stored in state. */
  hooks: Partial<Record<HookType, string[]>>;
  inputs: Record<string, any>;
  outputs: Record<string, any>;
  id: string;
  /** The provider reference (`urn::id`); default providers get a synthesized one. */
  provider: string;
  /** Top-level or dotted input paths whose changes are ignored. */
  ignoreChanges: string[];
}

/** An operation the engine began and did not finish (pkg/resource/operation.go). */
export interface PendingOperation {
  type: "creating" | "updating" | "deleting" | "importing";
  resource: ResourceState;
}

interface RegisteredHook {
  name: string;
  onDryRun: boolean;
  ignoreErrors: boolean;
  target: string;
  token: string;
}

export interface Diagnostic {
  severity: "info" | "warning" | "error";
  message: string;
  urn?: string;
}

export interface Step {
  op: "create" | "update" | "same" | "skipped-create" | "delete" | "replace";
  urn: string;
}

export interface OperationResult {
  outputs: Record<string, any>;
  steps: Step[];
  diagnostics: Diagnostic[];
  /** Every hook the engine called, as "<type> <hook name> <resource name>". */
  hooksRun: string[];
  /** Every hook name the program registered. */
  hooksRegistered: string[];
}

/** A failed operation, with what the CLI would have printed. */
export class EngineError extends Error {
  constructor(
    message: string,
    readonly result: OperationResult,
  ) {
    super(message);
  }
}

/** Where an operation can be interrupted: before each step, around each provider call and hook. */
export interface Point {
  kind: "step" | "provider-done" | "hook" | "delete" | "deleted";
  urn: string;
  detail?: string;
}

/**
 * An interruption: `kill` is a SIGKILL of `pulumi` (or of the machine) at the point `at` picks;
 * `cancel` is the first Ctrl-C there (pkg/backend/cancellation_scope.go: cancel, not terminate).
 */
export interface Interruption {
  mode: "kill" | "cancel";
  at(point: Point, index: number): boolean;
}

/**
 * The provider's configuration a resource is managed with (explicit provider inputs, or the stack's
 * `kubernetes:` config).
 */
export type ProviderConfig = Record<string, string>;

/** What providers do to the cloud (the fake one here: FakeCloud). */
export interface Provider {
  /** Creates; returns the outputs (default: the inputs). */
  create(state: ResourceState, config: ProviderConfig): Record<string, any> | void;
  update(old: ResourceState, state: ResourceState, config: ProviderConfig): Record<string, any> | void;
  delete(state: ResourceState): void;
  /** What `refresh` reads: the live outputs, or undefined when the resource is gone. */
  read(state: ResourceState): Record<string, any> | undefined;
  /** The input paths whose change forces a replacement (the provider's Diff `replaces`). */
  replaceKeys(old: ResourceState, state: ResourceState): string[];
}

/** The stack's config as `Pulumi.<stack>.yaml` holds it: full keys (`project:key`), secrets marked. */
export interface StackConfig {
  values: Record<string, string>;
  secrets: Set<string>;
}

export interface EngineOptions {
  /** The project file, for its name and declared config. */
  projectFile: string;
  stack: string;
  config: StackConfig;
  /** The program's main function (what index.ts exports). */
  program: () => Promise<Record<string, unknown>>;
  provider: Provider;
  /** What the program returns in newResource under mocks beyond the inputs (ids, computed outputs). */
  computed?: (
    type: string,
    name: string,
    inputs: Record<string, any>,
  ) => { id?: string; outputs?: Record<string, any> };
  /** Answers to invokes (data sources). */
  invoke?: (token: string, inputs: Record<string, any>) => Record<string, any>;
  /** The organization the backend names stacks with (the DIY backend's is "organization"). */
  organization?: string;
}

export interface OperationOptions {
  /** The CLI's --parallel (its default is 4 × CPUs: pkg/cmd/pulumi/operations/up.go defaultParallel). */
  parallel?: number;
  /** Environment of the CLI, which the program inherits. */
  env?: Record<string, string>;
  interrupt?: Interruption;
}

export interface RefreshOptions {
  clearPendingCreates?: boolean;
  /** `--import-pending-creates URN ID ...` */
  importPendingCreates?: Array<[urn: string, id: string]>;
  /** `--target URN ...`: only these are read (each must be in the stack: deployment_executor.go checkTargets). */
  targets?: string[];
}

/**
 * How long the language host waits for the program to exit after the Cancel RPC (SIGINT) before
 * killing it (pulumi/pulumi@v3.259.0 sdk/nodejs/cmd/pulumi-language-nodejs/main.go: cmd.Cancel
 * sends os.Interrupt, cmd.WaitDelay = 5 * time.Second).
 */
export const PROGRAM_WAIT_DELAY_MS = 5_000;

/** Work of killed operations still running, of any engine here: their program and its hooks (orphan processes). */
const orphans = new Set<Promise<unknown>>();

/** The Pulumi CLI runs one operation per process; the SDK's runtime is global here, so one at a time. */
let queue: Promise<unknown> = Promise.resolve();
function serially<T>(operation: () => Promise<T>): Promise<T> {
  const result = queue.then(operation, operation);
  queue = result.catch(() => undefined);
  return result;
}

class Workers {
  private free: number;
  private readonly waiting: Array<() => void> = [];
  constructor(count: number) {
    this.free = count;
  }
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.free === 0) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.free--;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

/** Thrown inside an operation that was killed: nothing more reaches the checkpoint. */
class Killed extends Error {
  constructor() {
    super("killed (SIGKILL): the operation stopped where it was");
  }
}

interface OperationKind {
  name: string;
  mode: "update" | "destroy";
  dryRun: boolean;
  runProgram: boolean;
}

/** One running operation: its interruption state, workers and what it has done so far. */
class Operation {
  dead = false;
  cancelled = false;
  /**
   * Resolved when the program's process is gone: killed after a cancel's wait delay. (A program
   * whose main function has returned stays up to serve hooks until the engine is done:
   * sdk/nodejs/cmd/run/index.ts signalAndWaitForShutdown.)
   */
  programGone: Promise<void>;
  private endProgram!: () => void;
  private points = 0;
  private killedAt?: () => void;
  readonly killed: Promise<never>;
  readonly result: OperationResult = { outputs: {}, steps: [], diagnostics: [], hooksRun: [], hooksRegistered: [] };
  /** Hook calls and other work that outlives the operation when it is killed. */
  readonly inFlight = new Set<Promise<unknown>>();
  /** The goals registered so far, by URN. */
  readonly goals = new Map<string, ResourceState>();
  /** Errors the program did not handle (a failed registration): the program fails. */
  readonly programErrors: string[] = [];

  constructor(
    readonly kind: OperationKind,
    readonly options: OperationOptions,
    private readonly onCancel: () => void,
  ) {
    this.programGone = new Promise((resolve) => (this.endProgram = resolve));
    this.killed = new Promise<never>((_, reject) => (this.killedAt = () => reject(new Killed())));
    this.killed.catch(() => undefined);
  }

  /** Throws when the operation was killed: a dead engine writes nothing. */
  check(): void {
    if (this.dead) throw new Killed();
  }

  /** Passes an interruption point: dies or cancels there when the interruption says so. */
  point(point: Point): void {
    if (this.dead) throw new Killed();
    const interrupt = this.options.interrupt;
    if (!interrupt || this.cancelled || !interrupt.at(point, this.points++)) return;
    if (interrupt.mode === "kill") {
      this.dead = true;
      this.killedAt!();
      throw new Killed();
    }
    this.cancel();
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.onCancel();
    setTimeout(() => this.endProgram(), PROGRAM_WAIT_DELAY_MS).unref();
  }

  track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    void work.catch(() => undefined).finally(() => this.inFlight.delete(work));
    return work;
  }

  /**
   * A hook call: the engine waits for it, unless the program's process is gone; its work then outlives the
   * operation.
   */
  readonly hookCalls = new Set<Promise<unknown>>();
  trackHook<T>(work: Promise<T>): Promise<T> {
    this.hookCalls.add(work);
    void work.catch(() => undefined).finally(() => this.hookCalls.delete(work));
    return work;
  }
}

export class Engine {
  /** The checkpoint, in dependency order (as the engine writes it). */
  checkpoint: ResourceState[] = [];
  pending: PendingOperation[] = [];
  /** The stack's outputs as the last operation that finished them left them. */
  stackOutputs: Record<string, any> = {};
  readonly history: Array<{ operation: string; result: OperationResult; error?: string }> = [];
  private readonly project: { name: string; config: Record<string, any> };
  private running?: Operation;

  constructor(readonly options: EngineOptions) {
    this.project = YAML.parse(fs.readFileSync(options.projectFile, "utf8"));
  }

  get stack(): string {
    return this.options.stack;
  }

  up(options: OperationOptions = {}): Promise<OperationResult> {
    return this.operation({ name: "up", mode: "update", dryRun: false, runProgram: true }, options);
  }

  preview(options: OperationOptions = {}): Promise<OperationResult> {
    return this.operation({ name: "preview", mode: "update", dryRun: true, runProgram: true }, options);
  }

  destroy(options: OperationOptions & { runProgram: boolean }): Promise<OperationResult> {
    const name = options.runProgram ? "destroy --run-program" : "destroy";
    return this.operation({ name, mode: "destroy", dryRun: false, runProgram: options.runProgram }, options);
  }

  /**
   * `pulumi refresh --yes`: pending creates cleared or imported as asked (non-interactively the
   * others stay: pkg/cmd/pulumi/operations/refresh.go), then every resource read from its provider;
   * one that is gone leaves the checkpoint. Pending operations other than creates are dropped
   * (pkg/backend/snapshot.go Snap keeps only the base's pending creates).
   */
  refresh(options: RefreshOptions = {}): Promise<OperationResult> {
    return serially(async () => {
      const result: OperationResult = {
        outputs: this.stackOutputs,
        steps: [],
        diagnostics: [],
        hooksRun: [],
        hooksRegistered: [],
      };
      try {
        for (const [urn, id] of options.importPendingCreates ?? []) {
          const op = this.pending.find((p) => p.type === "creating" && p.resource.urn === urn);
          if (!op) {
            result.diagnostics.push({
              severity: "warning",
              message: `"${urn}" did not correspond to a pending create`,
            });
            continue;
          }
          op.type = "importing";
          op.resource = { ...op.resource, id };
        }
        if (options.clearPendingCreates) this.pending = this.pending.filter((p) => p.type !== "creating");
        const unknown = (options.targets ?? []).filter(
          (urn) => urn !== this.stackUrn() && !this.checkpoint.some((r) => r.urn === urn),
        );
        if (unknown.length || (options.targets?.includes(this.stackUrn()) && !this.stackExists()))
          throw new Error("one or more targets could not be found in the stack");
        for (const op of this.pending.filter((p) => p.type === "importing")) {
          const live = this.options.provider.read(op.resource);
          if (!live) throw new Error(`${op.resource.urn}: preview failed: resource '${op.resource.id}' does not exist`);
          this.persist((checkpoint) => [...checkpoint, { ...op.resource, outputs: live }]);
        }
        this.pending = this.pending.filter((p) => p.type === "creating");
        for (const resource of [...this.checkpoint]) {
          if (!resource.custom || resource.type.startsWith("pulumi:providers:")) continue;
          if (options.targets && !options.targets.includes(resource.urn)) continue;
          const live = this.options.provider.read(resource);
          this.persist((checkpoint) =>
            live
              ? checkpoint.map((r) => (r.urn === resource.urn ? { ...r, outputs: live } : r))
              : checkpoint.filter((r) => r.urn !== resource.urn),
          );
          result.steps.push({ op: live ? "same" : "delete", urn: resource.urn });
        }
        this.history.push({ operation: "refresh", result });
        return result;
      } catch (error) {
        this.history.push({ operation: "refresh", result, error: (error as Error).message });
        throw new EngineError((error as Error).message, result);
      }
    });
  }

  /** The first Ctrl-C, now, on the operation that runs (pkg/backend/cancellation_scope.go: cancel, not terminate). */
  interrupt(): void {
    this.running?.cancel();
  }

  /** The stack's own resource (pulumi:pulumi:Stack), which every stack that holds anything has. */
  stackUrn(): string {
    return `urn:pulumi:${this.options.stack}::${this.project.name}::pulumi:pulumi:Stack::${this.project.name}-${this.options.stack}`;
  }

  private stackExists(): boolean {
    return this.checkpoint.length > 0 || this.pending.length > 0;
  }

  /**
   * `pulumi stack export`: the checkpoint as the CLI prints it (apitype.UntypedDeployment,
   * version 3: sdk/go/common/apitype/core.go DeploymentV3, ResourceV3, OperationV2).
   */
  exportDeployment(): Record<string, unknown> {
    const resource = (r: ResourceState) => ({
      urn: r.urn,
      custom: r.custom,
      ...(r.id ? { id: r.id } : {}),
      type: r.type,
      inputs: r.inputs,
      outputs: r.outputs,
      ...(r.parent ? { parent: r.parent } : {}),
      ...(r.dependencies.length ? { dependencies: r.dependencies } : {}),
      ...(r.provider ? { provider: r.provider } : {}),
    });
    const stack = this.stackExists()
      ? [{ urn: this.stackUrn(), custom: false, type: "pulumi:pulumi:Stack", outputs: this.stackOutputs }]
      : [];
    return {
      version: 3,
      deployment: {
        manifest: { time: new Date().toISOString(), magic: "", version: "v3.259.0" },
        resources: [...stack, ...this.checkpoint.map(resource)],
        ...(this.pending.length
          ? { pending_operations: this.pending.map((p) => ({ resource: resource(p.resource), type: p.type })) }
          : {}),
      },
    };
  }

  /** The resources of the checkpoint of one type. */
  resources(type: string): ResourceState[] {
    return this.checkpoint.filter((r) => r.type === type);
  }

  /**
   * Waits for the work of killed operations (their program, their hooks) to end, as orphaned
   * processes do once the engine is gone: their calls to it fail. Real orphans may overlap the
   * next operation; this double lets them finish first so that a run is reproducible.
   */
  async settle(timeoutMs = 30_000): Promise<void> {
    const all = Promise.allSettled([...orphans]);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    orphans.clear();
  }

  private operation(kind: OperationKind, options: OperationOptions): Promise<OperationResult> {
    return serially(async () => {
      await this.settle();
      // The program's own signal handlers: the process exits at the end of an operation, taking them.
      const before = { SIGINT: new Set(process.listeners("SIGINT")), SIGTERM: new Set(process.listeners("SIGTERM")) };
      const ofProgram = (signal: "SIGINT" | "SIGTERM") =>
        process.listeners(signal).filter((l) => !before[signal].has(l));
      // The Cancel RPC reaches the program as SIGINT (main.go cmd.Cancel → os.Interrupt).
      const op = new Operation(kind, options, () =>
        setImmediate(() => {
          for (const listener of ofProgram("SIGINT")) listener("SIGINT");
        }),
      );
      const restoreLog = captureLog(op.result);
      const started = Date.now();
      // A registration that fails is an unhandled rejection in the program, which the SDK's run
      // loop logs before the program exits with an error (sdk/nodejs/cmd/run/run.ts
      // uncaughtHandler); here it is the operation's error (and an orphan's is nobody's).
      const otherHandlers = process.listeners("unhandledRejection");
      process.removeAllListeners("unhandledRejection");
      const onUnhandled = (reason: unknown) => {
        if (!op.dead && !op.cancelled) op.programErrors.push(String((reason as Error)?.message ?? reason));
      };
      process.on("unhandledRejection", onUnhandled);
      const cleanup = () => {
        process.removeListener("unhandledRejection", onUnhandled);
        for (const handler of otherHandlers)
          process.on("unhandledRejection", handler as NodeJS.UnhandledRejectionListener);
      };
      this.running = op;
      // The program's environment: the CLI's, and --parallel, which the language host passes on
      // (sdk/nodejs/cmd/pulumi-language-nodejs main.go constructArguments → PULUMI_NODEJS_PARALLEL).
      const env = { ...(options.env ?? {}), PULUMI_NODEJS_PARALLEL: String(options.parallel ?? 16) };
      const savedEnv = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
      Object.assign(process.env, env);
      try {
        await Promise.race([this.execute(op), op.killed]);
        this.history.push({ operation: kind.name, result: op.result });
        return op.result;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        this.history.push({ operation: kind.name, result: op.result, error: message });
        throw error instanceof EngineError ? error : new EngineError(message, op.result);
      } finally {
        this.running = undefined;
        // The program's process has exited (or been killed), taking its signal handlers.
        for (const signal of ["SIGINT", "SIGTERM"] as const)
          for (const listener of ofProgram(signal)) process.removeListener(signal, listener);
        for (const [k, v] of Object.entries(savedEnv)) {
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        }
        restoreLog();
        if (op.dead || op.hookCalls.size) {
          const orphan = Promise.allSettled([...op.inFlight, ...op.hookCalls]).then(cleanup);
          orphans.add(orphan);
        } else {
          cleanup();
        }
        if (process.env.ENGINE_TIMING) console.log(`${kind.name}: ${Date.now() - started} ms`);
      }
    });
  }

  /** Writes the checkpoint (the journal persists each step as it completes). */
  private persist(change: (checkpoint: ResourceState[]) => ResourceState[]): void {
    this.checkpoint = orderByDependencies(change(this.checkpoint));
  }

  private markPending(
    op: Operation,
    type: PendingOperation["type"],
    resource: ResourceState,
  ): PendingOperation | undefined {
    op.check();
    if (op.kind.dryRun) return undefined;
    const pending = { type, resource };
    this.pending.push(pending);
    return pending;
  }

  private complete(pending: PendingOperation | undefined): void {
    if (pending) this.pending = this.pending.filter((p) => p !== pending);
  }

  /**
   * The stack's config merged with the project's declared keys. A declared key of the project's
   * namespace with neither a value on the stack nor a default is missing, on every stack, used or
   * not; defaults are applied as plain text; a key declared `secret` must hold an encrypted value;
   * typed keys must parse as their type. Validation runs for every operation that runs the program
   * (pulumi/pulumi@v3.259.0 pkg/workspace/config.go mergeConfig, validateStackConfigValue;
   * pkg/cmd/pulumi/operations/destroy.go: only with --run-program).
   */
  private mergedConfig(validate: boolean): StackConfig {
    const values = { ...this.options.config.values };
    const secrets = new Set(this.options.config.secrets);
    const missing: string[] = [];
    for (const key of Object.keys(this.project.config ?? {}).sort()) {
      const declared = this.project.config[key];
      const full = key.includes(":") ? key : `${this.project.name}:${key}`;
      const hasDefault = declared.default !== undefined && declared.default !== null;
      const hasValue = declared.value !== undefined && declared.value !== null;
      if (!(full in values)) {
        if (hasDefault || hasValue) values[full] = String(hasValue ? declared.value : declared.default);
        else if (full.startsWith(`${this.project.name}:`)) missing.push(key);
      }
    }
    if (!validate) return { values, secrets };
    if (missing.length) {
      const quoted = missing.map((k) => `'${k}'`);
      const list = quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(", ")} and ${quoted.at(-1)}`;
      throw new Error(
        `Stack '${this.options.stack}' is missing configuration value${missing.length > 1 ? "s" : ""} ${list}`,
      );
    }
    for (const key of Object.keys(this.project.config ?? {}).sort()) {
      const declared = this.project.config[key];
      const full = key.includes(":") ? key : `${this.project.name}:${key}`;
      if (!declared.type || !(full in values)) continue;
      if (declared.secret && !secrets.has(full))
        throw new Error(
          `Stack '${this.options.stack}' with configuration key '${key}' must be encrypted as it's secret`,
        );
      const value = values[full];
      const valid =
        declared.type === "integer"
          ? /^[-+]?\d+$/.test(value)
          : declared.type === "boolean"
            ? value === "true" || value === "false"
            : declared.type === "string";
      if (!valid)
        throw new Error(
          `Stack '${this.options.stack}' with configuration key '${key}' must be of type '${declared.type}'`,
        );
    }
    return { values, secrets };
  }

  private async execute(op: Operation): Promise<void> {
    const { kind } = op;
    // Only the base's pending creates survive into the snapshot an operation writes (Snap).
    if (!kind.dryRun) this.pending = this.pending.filter((p) => p.type === "creating");
    if (!kind.runProgram) {
      // `destroy` without --run-program refuses when any resource has delete hooks: it cannot
      // run them without the program (pkg/engine/destroy.go newDestroySource, getDeleteHooks).
      const withHooks = this.checkpoint.filter(
        (r) => (r.hooks.beforeDelete?.length ?? 0) + (r.hooks.afterDelete?.length ?? 0) > 0,
      );
      if (withHooks.length) {
        for (const r of withHooks)
          op.result.diagnostics.push({
            severity: "error",
            urn: r.urn,
            message: `Resource has delete hooks registered, but the program is not running. Hooks: ${[...(r.hooks.beforeDelete ?? []), ...(r.hooks.afterDelete ?? [])].join(", ")}`,
          });
        throw new Error("You must run with the `--run-program` flag to use delete hooks during destroy.");
      }
      this.mergedConfig(false);
      await this.applyDeletes(op, this.checkpoint, new Map());
      return;
    }
    const config = this.mergedConfig(true);
    if (!kind.dryRun && this.pending.length) {
      // deployment_executor.go printPendingOperationsWarning
      op.result.diagnostics.push({
        severity: "warning",
        message: `Attempting to deploy or update resources with ${this.pending.length} pending operations from previous deployment.\n${this.pending.map((p) => `  * ${p.resource.urn}, interrupted while ${p.type}`).join("\n")}`,
      });
    }
    const { registered, hooks, outputs } = await this.runProgram(op, config);
    if (op.cancelled) throw new Error(`${kind.dryRun ? "preview" : "update"} canceled`);
    op.result.outputs = outputs;
    const condemned =
      kind.mode === "destroy" ? [...this.checkpoint] : this.checkpoint.filter((r) => !registered.has(r.urn));
    await this.applyDeletes(op, condemned, hooks);
    if (!kind.dryRun) this.stackOutputs = kind.mode === "destroy" ? {} : outputs;
  }

  /**
   * Runs the program under the SDK's mocks. Each registration becomes a step at once (its
   * dependencies' registrations have returned: the SDK waits for them), holding one of
   * `parallel` workers while it applies, hooks included (pkg/resource/deploy/step_executor.go
   * newStepExecutor: DegreeOfParallelism workers); the registration is answered when the step
   * completes. Returns the URNs registered, the hooks and the program's outputs.
   */
  private async runProgram(op: Operation, config: StackConfig) {
    const hooks = new Map<string, RegisteredHook>();
    const registered = new Set<string>();
    const workers = new Workers(op.options.parallel ?? 16);
    const errors: string[] = [];
    const engine = this;
    const provided = this.options;
    let request: any;
    await pulumi.runtime.setMocks(
      {
        async newResource(args) {
          const goal = goalOf(request, args, op.goals, engine.options.stack, engine.project.name);
          // Killed, or cancelled: no new step starts. The real program's calls then fail and it
          // exits; here they are answered and go nowhere, so that its later code runs harmlessly
          // instead of failing in this shared process (the state never sees them either way).
          if (op.dead || op.cancelled) return { id: "", state: args.inputs };
          if (errors.length) throw new Error("the deployment failed: no new steps start");
          try {
            const state = await op.track(workers.run(() => engine.applyStep(op, goal, hooks, errors)));
            registered.add(goal.urn);
            return { id: state.id, state: state.outputs };
          } catch (error) {
            if (error instanceof Killed) return { id: "", state: args.inputs };
            throw error;
          }
        },
        call: (args) => {
          // The builtin provider reads a stack's resources from the backend's latest checkpoint
          // (pkg/resource/deploy/builtins.go readStackResourceOutputs; pkg/backend/backend.go
          // GetStackResourceOutputs: resources marked for deletion left out).
          if (args.token === "pulumi:pulumi:readStackResourceOutputs") {
            const expected = `${provided.organization ?? "organization"}/${engine.project.name}/${engine.options.stack}`;
            if (args.inputs.stackName !== expected) throw new Error(`unknown stack "${args.inputs.stackName}"`);
            return {
              name: args.inputs.stackName,
              outputs: Object.fromEntries(engine.checkpoint.map((r) => [r.urn, { type: r.type, outputs: r.outputs }])),
            };
          }
          return provided.invoke?.(args.token, args.inputs) ?? args.inputs;
        },
      },
      this.project.name,
      this.options.stack,
      op.kind.dryRun,
      provided.organization ?? "organization",
    );
    const monitor = runtimeSettings.getMonitor();
    // The engine's resource monitor registers each hook once per run; a second registration of
    // a name is an error (pkg/resource/deploy/resource_hooks.go RegisterResourceHook).
    monitor.registerResourceHook = (req: any, callback: (error: Error | null, response?: object) => void) => {
      if (op.dead) return callback(null, {});
      const name: string = req.getName();
      if (hooks.has(name)) return callback(new Error(`resource hook already registered for name "${name}"`));
      op.result.hooksRegistered.push(name);
      hooks.set(name, {
        name,
        onDryRun: req.getOnDryRun(),
        ignoreErrors: req.getIgnoreErrors(),
        target: req.getCallback().getTarget(),
        token: req.getCallback().getToken(),
      });
      callback(null, {});
    };
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: (error: Error | null, response: any) => void) => {
      // MockMonitor.registerResource calls newResource synchronously: this is its request.
      request = req;
      register(req, callback);
      request = undefined;
    };
    const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
    monitor.registerResourceOutputs = (req: any, callback: (error: Error | null, response: any) => void) => {
      if (op.dead) return callback(null, {});
      // A component's outputs are written to the checkpoint as they are registered.
      const outputs = req.getOutputs()?.toJavaScript?.() ?? {};
      if (!op.kind.dryRun)
        this.persist((checkpoint) => checkpoint.map((r) => (r.urn === req.getUrn() ? { ...r, outputs } : r)));
      registerOutputs(req, callback);
    };
    pulumi.runtime.setAllConfig(config.values, [...config.secrets]);
    // The Node.js runtime signals the engine that the program is done only once its event loop is
    // empty, so every hook registration it started has reached the engine by then, bound to a
    // resource or not (sdk/nodejs/cmd/run/index.ts beforeExitHandler → signalAndWaitForShutdown);
    // a registration that failed is an uncaught error, and the program fails.
    const registrations: Promise<unknown>[] = [];
    const registerResourceHook = runtimeResource.registerResourceHook;
    runtimeResource.registerResourceHook = (hook: unknown) => {
      const registration = registerResourceHook(hook);
      registrations.push(registration);
      return registration;
    };
    const program = (async () => {
      const returned = await this.options.program();
      await runtimeSettings.waitForRPCs();
      const failed = (await Promise.allSettled(registrations)).find(
        (r): r is PromiseRejectedResult => r.status === "rejected",
      );
      if (failed) throw new Error(`the program failed: ${failed.reason?.message ?? failed.reason}`);
      await runtimeSettings.waitForRPCs();
      const outputs: Record<string, any> = {};
      for (const [key, value] of Object.entries(returned ?? {}))
        outputs[key] = pulumi.Output.isInstance(value) ? await (value as any).promise() : value;
      return outputs;
    })();
    op.track(program);
    try {
      const outputs = await Promise.race([
        program,
        op.programGone.then(() => {
          throw new Error("the program was stopped (SIGINT, then killed after the wait delay)");
        }),
      ]);
      // The step executor waits for every step in flight (deployment_executor.go WaitForCompletion).
      await Promise.allSettled([...op.inFlight].filter((p) => p !== program));
      await new Promise((resolve) => setImmediate(resolve));
      if (errors.length || op.programErrors.length) throw new Error([...errors, ...op.programErrors].join("; "));
      return { registered, hooks, outputs };
    } catch (error) {
      if (op.cancelled) {
        await Promise.allSettled([...op.inFlight].filter((p) => p !== program));
        return { registered, hooks, outputs: {} };
      }
      throw errors.length ? new Error(errors.join("; ")) : error;
    } finally {
      runtimeResource.registerResourceHook = registerResourceHook;
    }
  }

  /** The configuration of the provider that manages `state`. */
  private providerConfig(state: ResourceState, op?: Operation): ProviderConfig {
    const urn = state.provider.split("::").slice(0, -1).join("::");
    const explicit = op?.goals.get(urn) ?? this.checkpoint.find((r) => r.urn === urn);
    if (explicit && !urn.includes("::default")) return explicit.inputs;
    const prefix = `${providerPackage(state.type)}:`;
    const values = this.options.config.values;
    return Object.fromEntries(
      Object.entries(values)
        .filter(([k]) => k.startsWith(prefix))
        .map(([k, v]) => [k.slice(prefix.length), v]),
    );
  }

  /**
   * One registration's step (pkg/resource/deploy/step_generator.go GenerateSteps): create, update,
   * replace (delete-before-replace for a named Kubernetes object: pulumi-kubernetes
   * provider/pkg/provider/provider.go Diff), or same. In destroy mode custom resources are never
   * created or updated: those in state are sames, the rest skipped.
   */
  private async applyStep(
    op: Operation,
    goal: ResourceState,
    hooks: Map<string, RegisteredHook>,
    errors: string[],
  ): Promise<ResourceState> {
    const { kind, result } = op;
    const old = this.checkpoint.find((r) => r.urn === goal.urn);
    try {
      op.point({ kind: "step", urn: goal.urn });
      if (old) applyIgnoreChanges(goal, old);
      if (kind.mode === "destroy" && goal.custom) {
        result.steps.push({ op: old ? "same" : "skipped-create", urn: goal.urn });
        if (!old) return { ...goal, outputs: goal.inputs };
        // The same step's state carries this run's hook bindings, which the deletes then use.
        const same = { ...goal, inputs: old.inputs, outputs: old.outputs, id: old.id };
        op.check();
        this.persist((checkpoint) => checkpoint.map((r) => (r.urn === goal.urn ? same : r)));
        return same;
      }
      if (!old) return await this.create(op, goal, hooks, errors);
      const replaceKeys = goal.custom
        ? [...this.providerReplaces(op, old, goal), ...this.options.provider.replaceKeys(old, goal)]
        : [];
      if (replaceKeys.length) {
        // A named object must be deleted first: the new one has the same name (provider.go Diff deleteBeforeReplace).
        result.steps.push({ op: "replace", urn: goal.urn });
        await this.deleteOne(op, old, hooks, new Set([old.urn]));
        return await this.create(op, goal, hooks, errors);
      }
      if (!isDeepStrictEqual(old.inputs, goal.inputs) || old.provider !== goal.provider) {
        const pending = this.markPending(op, "updating", old);
        await this.runHooks(op, "beforeUpdate", goal, hooks, {
          newInputs: goal.inputs,
          oldInputs: old.inputs,
          oldOutputs: old.outputs,
        });
        let outputs = old.outputs;
        if (!kind.dryRun && goal.custom)
          outputs = this.options.provider.update(old, goal, this.providerConfig(goal, op)) ?? {
            ...goal.inputs,
            ...this.computedOf(goal),
          };
        op.point({ kind: "provider-done", urn: goal.urn });
        const updated = { ...goal, id: old.id, outputs };
        if (goal.custom)
          await this.afterHooks(op, "afterUpdate", updated, hooks, errors, {
            newInputs: goal.inputs,
            oldInputs: old.inputs,
            newOutputs: outputs,
            oldOutputs: old.outputs,
          });
        op.point({ kind: "step", urn: goal.urn, detail: "done" });
        if (!kind.dryRun) this.persist((checkpoint) => checkpoint.map((r) => (r.urn === goal.urn ? updated : r)));
        this.complete(pending);
        result.steps.push({ op: "update", urn: goal.urn });
        return updated;
      }
      // A same step records the goal's hook bindings (step_generator.go: the new state carries goal.ResourceHooks).
      const same = { ...goal, outputs: old.outputs, id: old.id };
      op.check();
      if (!kind.dryRun) this.persist((checkpoint) => checkpoint.map((r) => (r.urn === goal.urn ? same : r)));
      result.steps.push({ op: "same", urn: goal.urn });
      return same;
    } catch (error) {
      if (error instanceof Killed) throw error;
      errors.push((error as Error).message);
      result.diagnostics.push({ severity: "error", urn: goal.urn, message: (error as Error).message });
      throw error;
    }
  }

  private computedOf(goal: ResourceState): Record<string, any> {
    return this.options.computed?.(goal.type, goal.name, goal.inputs).outputs ?? {};
  }

  /** CreateStep.Apply: pending create, before-hooks, the provider's create, after-hooks, then the state. */
  private async create(
    op: Operation,
    goal: ResourceState,
    hooks: Map<string, RegisteredHook>,
    errors: string[],
  ): Promise<ResourceState> {
    const { kind, result } = op;
    const pending = goal.custom ? this.markPending(op, "creating", goal) : undefined;
    await this.runHooks(op, "beforeCreate", goal, hooks, { newInputs: goal.inputs });
    let outputs = { ...goal.inputs, ...this.computedOf(goal) };
    if (!kind.dryRun && goal.custom)
      outputs = this.options.provider.create(goal, this.providerConfig(goal, op)) ?? outputs;
    op.point({ kind: "provider-done", urn: goal.urn });
    const id = goal.custom ? (this.options.computed?.(goal.type, goal.name, goal.inputs).id ?? `${goal.name}-id`) : "";
    const created = { ...goal, id, outputs };
    if (goal.custom)
      await this.afterHooks(op, "afterCreate", created, hooks, errors, { newInputs: goal.inputs, newOutputs: outputs });
    op.point({ kind: "step", urn: goal.urn, detail: "done" });
    if (!kind.dryRun) this.persist((checkpoint) => [...checkpoint.filter((r) => r.urn !== goal.urn), created]);
    this.complete(pending);
    result.steps.push({ op: "create", urn: goal.urn });
    return created;
  }

  /**
   * A resource whose provider changed is replaced when the new provider's DiffConfig says so
   * (step_generator.go providerChanged). The Kubernetes provider replaces only when the active
   * cluster changes, and, with clusterIdentifier set on both sides, only when it changes
   * (pulumi-kubernetes provider/pkg/provider/provider.go DiffConfig).
   */
  private providerReplaces(op: Operation, old: ResourceState, goal: ResourceState): string[] {
    if (old.provider === goal.provider || !goal.type.startsWith("kubernetes:")) return [];
    const before = this.providerConfig(old);
    const after = this.providerConfig(goal, op);
    if (before.clusterIdentifier && after.clusterIdentifier)
      return before.clusterIdentifier === after.clusterIdentifier ? [] : ["provider"];
    const cluster = (config: ProviderConfig) => activeCluster(config.kubeconfig, config.context);
    const [a, b] = [cluster(before), cluster(after)];
    return a && b && a !== b ? ["provider"] : [];
  }

  private async afterHooks(
    op: Operation,
    type: HookType,
    state: ResourceState,
    hooks: Map<string, RegisteredHook>,
    errors: string[],
    args: HookArgs,
  ): Promise<void> {
    try {
      await this.runHooks(op, type, state, hooks, args);
    } catch (error) {
      if (error instanceof Killed) throw error;
      // The resource is recorded; the deployment fails (step.go RecordPostStepError).
      errors.push((error as Error).message);
      op.result.diagnostics.push({ severity: "error", urn: state.urn, message: (error as Error).message });
    }
  }

  /**
   * Runs the hooks bound to a resource for one step: each name must have been registered by
   * this run's program, in a preview too; in a preview only hooks marked onDryRun are called;
   * a failing hook with ignoreErrors is a warning; otherwise a before-hook fails the step and an
   * after-hook fails the deployment (pkg/resource/deploy/deployment.go RunHooks). A hook whose
   * program process is gone fails as a broken gRPC call.
   */
  private async runHooks(
    op: Operation,
    type: HookType,
    state: ResourceState,
    hooks: Map<string, RegisteredHook>,
    args: HookArgs,
  ): Promise<void> {
    for (const name of state.hooks[type] ?? []) {
      const hook = hooks.get(name);
      if (!hook) throw new Error(`hook "${name}" was not registered`);
      if (op.kind.dryRun && !hook.onDryRun) continue;
      op.point({ kind: "hook", urn: state.urn, detail: `${type} ${name}` });
      op.result.hooksRun.push(`${type} ${name} ${state.name}`);
      const call = op.trackHook(invokeHook(hook, state, args));
      const error = await Promise.race([
        call,
        op.killed,
        op.programGone.then(() => "rpc error: code = Unavailable desc = error reading from server: EOF"),
      ]);
      op.point({ kind: "hook", urn: state.urn, detail: `${type} ${name} returned` });
      if (!error) continue;
      if (hook.ignoreErrors) {
        op.result.diagnostics.push({
          severity: "warning",
          urn: state.urn,
          message: `${type} hook "${name}" failed: ${error}`,
        });
        continue;
      }
      throw new Error(`${type.startsWith("before") ? "before" : "after"} hook "${name}" failed: ${error}`);
    }
  }

  /**
   * DeleteStep.Apply: before-delete hooks, the provider's delete (unless deletedWith, retained or a preview),
   * the state.
   */
  private async deleteOne(
    op: Operation,
    r: ResourceState,
    hooks: Map<string, RegisteredHook>,
    deletedHere: Set<string>,
  ): Promise<void> {
    const dryRun = op.kind.dryRun;
    op.point({ kind: "delete", urn: r.urn });
    const pending = this.markPending(op, "deleting", r);
    await this.runHooks(op, "beforeDelete", r, hooks, { oldInputs: r.inputs, oldOutputs: r.outputs });
    if (!dryRun && !r.retainOnDelete && !(r.deletedWith && deletedHere.has(r.deletedWith)) && r.custom)
      this.options.provider.delete(r);
    op.point({ kind: "deleted", urn: r.urn });
    if (!dryRun) this.persist((checkpoint) => checkpoint.filter((c) => c.urn !== r.urn));
    this.complete(pending);
    op.result.steps.push({ op: "delete", urn: r.urn });
    await this.runHooks(op, "afterDelete", r, hooks, { oldInputs: r.inputs, oldOutputs: r.outputs });
  }

  /**
   * Deletes, once every registration has completed (the program has exited): in rounds, a
   * resource only after everything that depends on it — dependencies, parent, deletedWith
   * (pkg/resource/deploy/step_generator.go ScheduleDeletes; graph DependenciesOf). A delete step
   * runs its before-delete hooks first, even for a resource it will not delete; then deletes
   * nothing in a preview, nothing for retainOnDelete, nothing when the resource's deletedWith is
   * deleted in the same deployment (step.go DeleteStep.Apply, isDeletedWith).
   */
  private async applyDeletes(
    op: Operation,
    condemned: ResourceState[],
    hooks: Map<string, RegisteredHook>,
  ): Promise<void> {
    const all = [...this.checkpoint];
    const remaining = new Map(condemned.map((r) => [r.urn, r]));
    const deletedHere = new Set(remaining.keys());
    const workers = new Workers(op.options.parallel ?? 16);
    const errors: string[] = [];
    while (remaining.size && !errors.length) {
      const round = [...remaining.values()].filter(
        (r) => ![...remaining.values()].some((other) => other !== r && dependenciesOf(other, all).includes(r.urn)),
      );
      if (!round.length) throw new Error(`dependency cycle among ${[...remaining.keys()].join(", ")}`);
      await Promise.all(
        round.map((r) =>
          op.track(
            workers.run(async () => {
              try {
                await this.deleteOne(op, r, hooks, deletedHere);
              } catch (error) {
                if (error instanceof Killed) throw error;
                errors.push((error as Error).message);
                op.result.diagnostics.push({ severity: "error", urn: r.urn, message: (error as Error).message });
              }
            }),
          ),
        ),
      );
      for (const r of round) remaining.delete(r.urn);
    }
    if (errors.length) throw new Error(errors.join("; "));
  }
}

interface HookArgs {
  newInputs?: Record<string, any>;
  oldInputs?: Record<string, any>;
  newOutputs?: Record<string, any>;
  oldOutputs?: Record<string, any>;
}

/** The package of a resource type: `kubernetes:core/v1:Namespace` → `kubernetes`. */
function providerPackage(type: string): string {
  return type.split(":")[0];
}

/** The goal state of one registration, as the engine derives it from the request. */
function goalOf(
  request: any,
  args: pulumi.runtime.MockResourceArgs,
  goals: Map<string, ResourceState>,
  stack: string,
  project: string,
): ResourceState {
  const monitor = runtimeSettings.getMonitor();
  const urn: string = monitor.newUrn(request.getParent(), request.getType(), request.getName());
  const binding = request.getHooks?.();
  const hookNames: Partial<Record<HookType, string[]>> = {};
  if (binding) {
    for (const type of HOOK_TYPES) {
      const names: string[] = binding[`get${type[0].toUpperCase()}${type.slice(1)}List`]();
      if (names.length) hookNames[type] = names;
    }
  }
  const propertyDependencies = [...request.getPropertydependenciesMap().entries()].flatMap(([, deps]: [string, any]) =>
    deps.getUrnsList(),
  );
  const parent = goals.get(request.getParent());
  const custom: boolean = request.getCustom();
  const type: string = request.getType();
  // A custom resource without an explicit provider gets its package's default provider, which
  // the stack's `<package>:` config configures (pkg/resource/deploy/providers/registry.go).
  const provider =
    request.getProvider() ||
    (custom && !type.startsWith("pulumi:")
      ? `urn:pulumi:${stack}::${project}::pulumi:providers:${providerPackage(type)}::default::default`
      : "");
  const goal: ResourceState = {
    urn,
    type,
    name: request.getName(),
    custom,
    parent: request.getParent(),
    dependencies: [...new Set([...request.getDependenciesList(), ...propertyDependencies])],
    // Children inherit deletedWith and retainOnDelete from their parent unless they set
    // their own (pkg/resource/deploy/source_eval.go inheritFromParent).
    deletedWith: request.getDeletedwith() || parent?.deletedWith || "",
    retainOnDelete: request.hasRetainondelete() ? request.getRetainondelete() : (parent?.retainOnDelete ?? false),
    hooks: hookNames,
    inputs: args.inputs,
    outputs: {},
    id: "",
    provider,
    ignoreChanges: request.getIgnorechangesList(),
  };
  goals.set(urn, goal);
  return goal;
}

/**
 * ignoreChanges: for each path, the old input value is kept (pkg/resource/deploy/step_generator.go
 * processIgnoreChanges). Paths are property paths: `spec`, `spec.template`, `metadata.labels`.
 */
function applyIgnoreChanges(goal: ResourceState, old: ResourceState): void {
  for (const path of goal.ignoreChanges) {
    const keys = path.split(".");
    const source = keys.reduce<any>((value, key) => value?.[key], old.inputs);
    let target: any = goal.inputs;
    for (const key of keys.slice(0, -1)) {
      if (typeof target[key] !== "object" || target[key] === null) target[key] = {};
      target = target[key];
    }
    const last = keys.at(-1)!;
    if (source === undefined) delete target[last];
    else target[last] = structuredClone(source);
  }
}

/** The server of the active cluster of a kubeconfig (contents or nothing: ambient, unknown here). */
function activeCluster(kubeconfig: string | undefined, context: string | undefined): string | undefined {
  if (!kubeconfig?.includes("clusters")) return undefined;
  const parsed = YAML.parse(kubeconfig);
  const current = context || parsed["current-context"];
  const clusterName = parsed.contexts?.find((c: any) => c.name === current)?.context?.cluster;
  return parsed.clusters?.find((c: any) => c.name === clusterName)?.cluster?.server;
}

/** What a resource depends on: dependencies, parent, deletedWith, and the children of a component it depends on. */
function dependenciesOf(resource: ResourceState, all: ResourceState[]): string[] {
  const direct = [...resource.dependencies, ...(resource.deletedWith ? [resource.deletedWith] : [])];
  const providerUrn = resource.provider.split("::").slice(0, -1).join("::");
  if (providerUrn && !providerUrn.includes("::default")) direct.push(providerUrn);
  const components = direct.filter((urn) => all.some((r) => r.urn === urn && !r.custom));
  const childrenOf = (urn: string): string[] =>
    all.filter((r) => r.parent === urn).flatMap((r) => [r.urn, ...childrenOf(r.urn)]);
  return [...new Set([...direct, ...(resource.parent ? [resource.parent] : []), ...components.flatMap(childrenOf)])];
}

function orderByDependencies(resources: ResourceState[]): ResourceState[] {
  const ordered: ResourceState[] = [];
  const placed = new Set<string>();
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const visit = (r: ResourceState) => {
    if (placed.has(r.urn)) return;
    placed.add(r.urn);
    for (const urn of dependenciesOf(r, resources)) {
      const dependency = byUrn.get(urn);
      if (dependency) visit(dependency);
    }
    ordered.push(r);
  };
  resources.forEach(visit);
  return ordered;
}

/**
 * Calls a hook the way the engine does: the SDK's callback server, over gRPC (source_eval.go
 * wrapResourceHookCallback).
 */
async function invokeHook(hook: RegisteredHook, state: ResourceState, args: HookArgs): Promise<string | undefined> {
  const request = new resourceProto.ResourceHookRequest();
  request.setUrn(state.urn);
  request.setId(state.id);
  request.setName(state.name);
  request.setType(state.type);
  const struct = (value: Record<string, any>) => structProto.Struct.fromJavaScript(JSON.parse(JSON.stringify(value)));
  if (args.newInputs) request.setNewInputs(struct(args.newInputs));
  if (args.oldInputs) request.setOldInputs(struct(args.oldInputs));
  if (args.newOutputs) request.setNewOutputs(struct(args.newOutputs));
  if (args.oldOutputs) request.setOldOutputs(struct(args.oldOutputs));
  const invoke = new callbackProto.CallbackInvokeRequest();
  invoke.setToken(hook.token);
  invoke.setRequest(request.serializeBinary());
  const client = new callbackRpc.CallbacksClient(hook.target, grpc.credentials.createInsecure());
  try {
    const response = await new Promise<any>((resolve, reject) =>
      client.invoke(invoke, (error: Error | null, r: any) => (error ? reject(error) : resolve(r))),
    );
    return resourceProto.ResourceHookResponse.deserializeBinary(response.getResponse_asU8()).getError() || undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    client.close();
  }
}

/** The program's log messages become the operation's diagnostics, as the engine shows them. */
function captureLog(result: OperationResult): () => void {
  const saved = { info: pulumiLog.info, warn: pulumiLog.warn, error: pulumiLog.error };
  const capture = (severity: Diagnostic["severity"]) => async (message: string) => {
    result.diagnostics.push({ severity, message });
  };
  pulumiLog.info = capture("info");
  pulumiLog.warn = capture("warning");
  pulumiLog.error = capture("error");
  return () => Object.assign(pulumiLog, saved);
}

/**
 * The cloud the providers act on: Kubernetes objects in the fake API server, a GCP project, and
 * the builtin provider's Stash. Kubernetes: pulumi-kubernetes creates client-side since v4.29.0
 * (pulumi/pulumi-kubernetes#2926; we run 4.34), so creating an object that exists fails with
 * AlreadyExists, unless the provider applies server-side with upsertExistingObjects, in which
 * case the create is a patch of the existing object (provider/pkg/await/await.go Creation); a
 * create in a namespace that does not exist fails; deleting a namespace deletes its contents; a
 * model server whose GPUs the cluster cannot schedule never becomes ready, so its create fails
 * (the provider awaits readiness). A Job's template, completions, parallelism and selector force
 * a replacement, as a Deployment's selector does (provider/pkg/provider/diff.go). GCP: an account
 * id is unique in a project (409), an IAM member binding is one binding whoever adds it (deleting
 * it removes it for everyone), a bucket name is unique. Stash: the first input is kept as
 * `output`; later inputs only change `input` (pkg/resource/deploy/builtins.go Create/Update).
 */
export class FakeCloud implements Provider {
  readonly iamBindings = new Set<string>();
  readonly accounts = new Set<string>();
  readonly buckets = new Set<string>();
  readonly dashboards = new Set<string>();
  /** Every Job created (not upserted) on the cluster, by namespace: a load generator started. */
  readonly jobRuns = new Map<string, number>();
  /** Called when a Job is created (a test's kubelet finishes it). */
  onJobCreated?: (namespace: string, job: Record<string, any>) => void;

  constructor(
    readonly kube: FakeKube,
    readonly gpuCapacity = Infinity,
  ) {}

  private static key(object: Record<string, any>): string {
    return objectPath(object);
  }

  private static isObject(state: ResourceState): boolean {
    return (
      state.type.startsWith("kubernetes:") &&
      typeof state.inputs.kind === "string" &&
      typeof state.inputs.metadata?.name === "string"
    );
  }

  /** GPUs the Deployments on the cluster hold. */
  gpusInUse(): number {
    return [...this.kube.objects.values()]
      .filter((o) => o.kind === "Deployment")
      .reduce((sum, o) => sum + gpusOf(o), 0);
  }

  create(state: ResourceState, config: ProviderConfig): Record<string, any> | void {
    if (state.type === STASH_TYPE) return { input: state.inputs.input, output: state.inputs.input };
    if (state.type.startsWith("gcp:")) return this.createGcp(state);
    if (!FakeCloud.isObject(state)) return;
    const object = state.inputs;
    const key = FakeCloud.key(object);
    const namespace = object.metadata.namespace;
    const upsert =
      config.enableServerSideApply !== "false" &&
      (config.upsertExistingObjects === "true" || process.env.PULUMI_K8S_UPSERT_EXISTING_OBJECTS === "true");
    if (this.kube.objects.has(key) && !upsert) {
      throw new Error(
        `${object.kind} "${object.metadata.name}" already exists\n\nThe resource already exists ` +
          `in the cluster. [...] Intentional upsert: set upsertExistingObjects on the provider to ` +
          `allow server-side apply to update existing objects on create.`,
      );
    }
    if (
      namespace &&
      !this.kube.objects.has(objectPath({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } }))
    )
      throw new Error(`namespaces "${namespace}" not found`);
    const existed = this.kube.objects.has(key);
    if (!existed && object.kind === "Deployment" && this.gpusInUse() + gpusOf(object) > this.gpuCapacity) {
      throw new Error(
        `Deployment ${namespace}/${object.metadata.name}: timed out waiting to be Ready: ` +
          `0/${object.spec?.replicas ?? 1} Pods scheduled (Insufficient nvidia.com/gpu: ${this.gpuCapacity - this.gpusInUse()} ` +
          `free, ${gpusOf(object)} needed)`,
      );
    }
    this.kube.objects.set(key, structuredClone(object));
    if (object.kind === "Job" && !existed) {
      this.jobRuns.set(namespace, (this.jobRuns.get(namespace) ?? 0) + 1);
      this.kube.setJob(namespace, { ...structuredClone(object), status: { startTime: new Date().toISOString() } });
      this.onJobCreated?.(namespace, object);
    }
  }

  update(old: ResourceState, state: ResourceState): Record<string, any> | void {
    if (state.type === STASH_TYPE) return { input: state.inputs.input, output: old.outputs.output };
    if (FakeCloud.isObject(state)) this.kube.objects.set(FakeCloud.key(state.inputs), structuredClone(state.inputs));
  }

  delete(state: ResourceState): void {
    if (state.type.startsWith("gcp:")) return this.deleteGcp(state);
    if (!FakeCloud.isObject(state)) return;
    const object = state.inputs;
    if (object.kind === "Namespace") return this.kube.deleteNamespace(object.metadata.name);
    this.kube.objects.delete(FakeCloud.key(object));
    if (object.kind === "Job") this.kube.deleteJob(object.metadata.namespace);
  }

  read(state: ResourceState): Record<string, any> | undefined {
    if (!FakeCloud.isObject(state)) return state.outputs;
    const live = this.kube.objects.get(FakeCloud.key(state.inputs));
    return live ? structuredClone(live) : undefined;
  }

  replaceKeys(old: ResourceState, state: ResourceState): string[] {
    if (!FakeCloud.isObject(state)) return [];
    const at = (object: any, path: string) => path.split(".").reduce((value, key) => value?.[key], object);
    const forceNew: Record<string, string[]> = {
      Job: ["spec.completions", "spec.parallelism", "spec.selector", "spec.template"],
      Deployment: ["spec.selector"],
    };
    const changed = (forceNew[state.inputs.kind] ?? []).filter(
      (path) => !isDeepStrictEqual(at(old.inputs, path), at(state.inputs, path)),
    );
    if (
      old.inputs.metadata?.name !== state.inputs.metadata?.name ||
      old.inputs.metadata?.namespace !== state.inputs.metadata?.namespace
    )
      changed.push("metadata");
    return changed;
  }

  private createGcp(state: ResourceState): void {
    const i = state.inputs;
    if (state.type === "gcp:serviceaccount/account:Account") {
      const key = `${i.project}/${i.accountId}`;
      if (this.accounts.has(key))
        throw new Error(
          `Error creating service account: googleapi: Error 409: Service account ${i.accountId} ` +
            `already exists within project projects/${i.project}., alreadyExists`,
        );
      this.accounts.add(key);
    } else if (state.type.endsWith("/iAMMember:IAMMember")) {
      this.iamBindings.add(`${i.project ?? i.serviceAccountId ?? i.bucket}|${i.role}|${i.member}`);
    } else if (state.type === "gcp:storage/bucket:Bucket") {
      if (this.buckets.has(i.name))
        throw new Error(
          `googleapi: Error 409: Your previous request to create the named bucket succeeded and ` +
            `you already own it., conflict`,
        );
      this.buckets.add(i.name);
    } else if (state.type === "gcp:monitoring/dashboard:Dashboard") {
      this.dashboards.add(state.name);
    }
  }

  private deleteGcp(state: ResourceState): void {
    const i = state.inputs;
    if (state.type === "gcp:serviceaccount/account:Account") this.accounts.delete(`${i.project}/${i.accountId}`);
    else if (state.type.endsWith("/iAMMember:IAMMember"))
      this.iamBindings.delete(`${i.project ?? i.serviceAccountId ?? i.bucket}|${i.role}|${i.member}`);
    else if (state.type === "gcp:storage/bucket:Bucket") this.buckets.delete(i.name);
    else if (state.type === "gcp:monitoring/dashboard:Dashboard") this.dashboards.delete(state.name);
  }
}

function gpusOf(deployment: Record<string, any>): number {
  const containers: any[] = deployment.spec?.template?.spec?.containers ?? [];
  const perPod = containers.reduce((sum, c) => sum + Number(c.resources?.limits?.["nvidia.com/gpu"] ?? 0), 0);
  return perPod * (deployment.spec?.replicas ?? 1);
}

/** Ids and outputs providers compute, for the program under mocks. */
export function computedOutputs(type: string, name: string): { id?: string; outputs?: Record<string, any> } {
  if (type === "gcp:monitoring/dashboard:Dashboard") return { id: `projects/123456789012/dashboards/${name}` };
  return {};
}

/** Answers to the data sources the program reads. */
export function invokeResults(token: string, inputs: Record<string, any>): Record<string, any> {
  if (token === "gcp:organizations/getProject:getProject") return { ...inputs, number: "123456789012" };
  return inputs;
}
