// An engine-faithful test double: `pulumi up`, `preview` and `destroy` as the Pulumi CLI we pin
// (PULUMI_CLI_VERSION) runs them, over a checkpoint that persists between operations, against a
// fake cloud (the fake Kubernetes API server and a GCP project in memory).
//
// The real program runs under the SDK's mocks (the SDK we ship), with the two things the mock
// monitor lacks: it records hook registrations and resource goals the way the engine's resource
// monitor does. The steps are then generated and applied by the rules below, each taken from the
// engine's source at that version (repo pulumi/pulumi, tag v3.259.0) and cited where it is
// enforced. Hooks are invoked over gRPC through the SDK's callback server, as the engine does.
//
// What is not modelled: replacements (every input change is an update), protect, aliases,
// targets, refresh, plugins, import. Step execution respects dependencies and `parallel`
// workers, but a step starts only once the whole program has been run (the engine starts steps
// while the program runs; nothing in this project depends on that).
import * as grpc from "@grpc/grpc-js";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import { isDeepStrictEqual } from "node:util";
import YAML from "yaml";
import { FakeKube, objectPath } from "./fake-kube";

/* eslint-disable @typescript-eslint/no-require-imports */
const runtimeSettings = require("@pulumi/pulumi/runtime/settings");
const runtimeResource = require("@pulumi/pulumi/runtime/resource");
const pulumiLog = require("@pulumi/pulumi/log");
const callbackRpc = require("@pulumi/pulumi/proto/callback_grpc_pb");
const callbackProto = require("@pulumi/pulumi/proto/callback_pb");
const resourceProto = require("@pulumi/pulumi/proto/resource_pb");
/* eslint-enable @typescript-eslint/no-require-imports */

export type HookType = "beforeCreate" | "afterCreate" | "beforeUpdate" | "afterUpdate" | "beforeDelete" | "afterDelete";
const HOOK_TYPES: HookType[] = ["beforeCreate", "afterCreate", "beforeUpdate", "afterUpdate", "beforeDelete", "afterDelete"];

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
  op: "create" | "update" | "same" | "skipped-create" | "delete";
  urn: string;
}

export interface OperationResult {
  outputs: Record<string, any>;
  steps: Step[];
  diagnostics: Diagnostic[];
  /** Every hook the engine called, as "<type> <name>". */
  hooksRun: string[];
}

/** A failed operation, with what the CLI would have printed. */
export class EngineError extends Error {
  constructor(message: string, readonly result: OperationResult) {
    super(message);
  }
}

/** What providers do to the cloud (the fake one here: FakeCloud). */
export interface Provider {
  create(state: ResourceState): void;
  update(old: ResourceState, state: ResourceState): void;
  delete(state: ResourceState): void;
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
  computed?: (type: string, name: string, inputs: Record<string, any>) => { id?: string; outputs?: Record<string, any> };
  /** Answers to invokes (data sources). */
  invoke?: (token: string, inputs: Record<string, any>) => Record<string, any>;
}

export interface OperationOptions {
  /** The CLI's --parallel (its default is 4 × CPUs: pkg/cmd/pulumi/operations/up.go defaultParallel). */
  parallel?: number;
  /** Environment of the CLI, which the program inherits. */
  env?: Record<string, string>;
}

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

export class Engine {
  /** The checkpoint, in dependency order (as the engine writes it). */
  checkpoint: ResourceState[] = [];
  readonly history: Array<{ operation: string; result: OperationResult; error?: string }> = [];
  private readonly project: { name: string; config: Record<string, any> };

  constructor(private readonly options: EngineOptions) {
    this.project = YAML.parse(fs.readFileSync(options.projectFile, "utf8"));
  }

  up(options: OperationOptions = {}): Promise<OperationResult> {
    return this.operation("up", { mode: "update", dryRun: false, runProgram: true }, options);
  }

  preview(options: OperationOptions = {}): Promise<OperationResult> {
    return this.operation("preview", { mode: "update", dryRun: true, runProgram: true }, options);
  }

  destroy(options: OperationOptions & { runProgram: boolean }): Promise<OperationResult> {
    return this.operation(options.runProgram ? "destroy --run-program" : "destroy", { mode: "destroy", dryRun: false, runProgram: options.runProgram }, options);
  }

  /** The resources of the checkpoint of one type. */
  resources(type: string): ResourceState[] {
    return this.checkpoint.filter((r) => r.type === type);
  }

  private operation(name: string, kind: { mode: "update" | "destroy"; dryRun: boolean; runProgram: boolean }, options: OperationOptions): Promise<OperationResult> {
    return serially(async () => {
      const result: OperationResult = { outputs: {}, steps: [], diagnostics: [], hooksRun: [] };
      const restoreLog = captureLog(result);
      const started = Date.now();
      try {
        await this.execute(kind, options, result);
        this.history.push({ operation: name, result });
        return result;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        this.history.push({ operation: name, result, error: message });
        throw error instanceof EngineError ? error : new EngineError(message, result);
      } finally {
        restoreLog();
        if (process.env.ENGINE_TIMING) console.log(`${name}: ${Date.now() - started} ms`);
      }
    });
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
      throw new Error(`Stack '${this.options.stack}' is missing configuration value${missing.length > 1 ? "s" : ""} ${list}`);
    }
    for (const key of Object.keys(this.project.config ?? {}).sort()) {
      const declared = this.project.config[key];
      const full = key.includes(":") ? key : `${this.project.name}:${key}`;
      if (!declared.type || !(full in values)) continue;
      if (declared.secret && !secrets.has(full)) throw new Error(`Stack '${this.options.stack}' with configuration key '${key}' must be encrypted as it's secret`);
      const value = values[full];
      const valid = declared.type === "integer" ? /^[-+]?\d+$/.test(value) : declared.type === "boolean" ? value === "true" || value === "false" : declared.type === "string";
      if (!valid) throw new Error(`Stack '${this.options.stack}' with configuration key '${key}' must be of type '${declared.type}'`);
    }
    return { values, secrets };
  }

  private async execute(kind: { mode: "update" | "destroy"; dryRun: boolean; runProgram: boolean }, options: OperationOptions, result: OperationResult): Promise<void> {
    const old = new Map(this.checkpoint.map((r) => [r.urn, r]));
    if (!kind.runProgram) {
      // `destroy` without --run-program refuses when any resource has delete hooks: it cannot
      // run them without the program (pkg/engine/destroy.go newDestroySource, getDeleteHooks).
      const withHooks = this.checkpoint.filter((r) => (r.hooks.beforeDelete?.length ?? 0) + (r.hooks.afterDelete?.length ?? 0) > 0);
      if (withHooks.length) {
        for (const r of withHooks) result.diagnostics.push({ severity: "error", urn: r.urn, message: `Resource has delete hooks registered, but the program is not running. Hooks: ${[...(r.hooks.beforeDelete ?? []), ...(r.hooks.afterDelete ?? [])].join(", ")}` });
        throw new Error("You must run with the `--run-program` flag to use delete hooks during destroy.");
      }
      this.mergedConfig(false);
      await this.applyDeletes(this.checkpoint, new Map(), kind.dryRun, options.parallel ?? 16, result);
      return;
    }
    const config = this.mergedConfig(true);
    const { goals, hooks, outputs } = await this.runProgram(config, kind.dryRun, options);
    result.outputs = outputs;
    const updated = await this.applyRegistrations(goals, hooks, old, kind, options.parallel ?? 16, result);
    const condemned = kind.mode === "destroy"
      ? [...updated.values()]
      : this.checkpoint.filter((r) => !goals.some((g) => g.urn === r.urn));
    if (!kind.dryRun) this.checkpoint = orderByDependencies([...updated.values()]);
    await this.applyDeletes(condemned, hooks, kind.dryRun, options.parallel ?? 16, result);
  }

  /** Runs the program under the SDK's mocks; returns its goals (in registration order), its hooks and its outputs. */
  private async runProgram(config: StackConfig, dryRun: boolean, options: OperationOptions) {
    const goals: ResourceState[] = [];
    const hooks = new Map<string, RegisteredHook>();
    const byTypeAndName = (type: string, name: string) => this.checkpoint.find((r) => r.type === type && r.name === name);
    const provided = this.options;
    const inputsOf = new Map<string, Record<string, any>>();
    await pulumi.runtime.setMocks({
      newResource(args) {
        inputsOf.set(`${args.type}::${args.name}`, args.inputs);
        const previous = byTypeAndName(args.type, args.name);
        const computed = provided.computed?.(args.type, args.name, args.inputs) ?? {};
        // An unchanged resource gets its outputs from state; a new one what the provider would compute.
        const outputs = previous && isDeepStrictEqual(previous.inputs, args.inputs) ? previous.outputs : { ...args.inputs, ...(computed.outputs ?? {}) };
        return { id: previous?.id || computed.id || `${args.name}-id`, state: outputs };
      },
      call: (args) => provided.invoke?.(args.token, args.inputs) ?? args.inputs,
    }, this.project.name, this.options.stack, dryRun);
    const monitor = runtimeSettings.getMonitor();
    // The engine's resource monitor registers each hook once per run; a second registration of
    // a name is an error (pkg/resource/deploy/resource_hooks.go RegisterResourceHook).
    monitor.registerResourceHook = (request: any, callback: (error: Error | null, response?: object) => void) => {
      const name: string = request.getName();
      if (hooks.has(name)) return callback(new Error(`resource hook already registered for name "${name}"`));
      hooks.set(name, { name, onDryRun: request.getOnDryRun(), ignoreErrors: request.getIgnoreErrors(), target: request.getCallback().getTarget(), token: request.getCallback().getToken() });
      callback(null, {});
    };
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (request: any, callback: (error: Error | null, response: any) => void) => {
      register(request, (error: Error | null, response: any) => {
        if (!error) {
          const binding = request.getHooks?.();
          const hookNames: Partial<Record<HookType, string[]>> = {};
          if (binding) {
            for (const type of HOOK_TYPES) {
              const names: string[] = binding[`get${type[0].toUpperCase()}${type.slice(1)}List`]();
              if (names.length) hookNames[type] = names;
            }
          }
          const propertyDependencies = [...request.getPropertydependenciesMap().entries()].flatMap(([, deps]: [string, any]) => deps.getUrnsList());
          const parent = goals.find((g) => g.urn === request.getParent());
          const goal: ResourceState = {
            urn: response.getUrn(),
            type: request.getType(),
            name: request.getName(),
            custom: request.getCustom(),
            parent: request.getParent(),
            dependencies: [...new Set([...request.getDependenciesList(), ...propertyDependencies])],
            // Children inherit deletedWith and retainOnDelete from their parent unless they set
            // their own (pkg/resource/deploy/source_eval.go inheritFromParent).
            deletedWith: request.getDeletedwith() || parent?.deletedWith || "",
            retainOnDelete: request.hasRetainondelete() ? request.getRetainondelete() : parent?.retainOnDelete ?? false,
            hooks: hookNames,
            inputs: {},
            outputs: {},
            id: response.getId(),
          };
          goals.push(goal);
        }
        callback(error, response);
      });
    };
    pulumi.runtime.setAllConfig(config.values, [...config.secrets]);
    // The language host passes --parallel to the program (sdk/nodejs/cmd/pulumi-language-nodejs
    // main.go constructArguments → PULUMI_NODEJS_PARALLEL).
    const env = { ...(options.env ?? {}), PULUMI_NODEJS_PARALLEL: String(options.parallel ?? 16) };
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
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
    try {
      const returned = await this.options.program();
      await runtimeSettings.waitForRPCs();
      const failed = (await Promise.allSettled(registrations)).find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed) throw new Error(`the program failed: ${failed.reason?.message ?? failed.reason}`);
      await runtimeSettings.waitForRPCs();
      for (const goal of goals) {
        goal.inputs = inputsOf.get(`${goal.type}::${goal.name}`) ?? {};
        const previous = byTypeAndName(goal.type, goal.name);
        goal.outputs = previous && isDeepStrictEqual(previous.inputs, goal.inputs) ? previous.outputs : { ...goal.inputs, ...(this.options.computed?.(goal.type, goal.name, goal.inputs).outputs ?? {}) };
      }
      const outputs: Record<string, any> = {};
      for (const [key, value] of Object.entries(returned ?? {})) outputs[key] = pulumi.Output.isInstance(value) ? await (value as any).promise() : value;
      return { goals, hooks, outputs };
    } finally {
      runtimeResource.registerResourceHook = registerResourceHook;
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  }

  /**
   * Runs the hooks bound to a resource for one step: each name must have been registered by
   * this run's program, in a preview too; in a preview only hooks marked onDryRun are called;
   * a failing hook with ignoreErrors is a warning; otherwise a before-hook fails the step and an
   * after-hook fails the deployment (pkg/resource/deploy/deployment.go RunHooks).
   */
  private async runHooks(type: HookType, state: ResourceState, hooks: Map<string, RegisteredHook>, dryRun: boolean, result: OperationResult): Promise<void> {
    for (const name of state.hooks[type] ?? []) {
      const hook = hooks.get(name);
      if (!hook) throw new Error(`hook "${name}" was not registered`);
      if (dryRun && !hook.onDryRun) continue;
      result.hooksRun.push(`${type} ${name}`);
      const error = await invokeHook(hook, state);
      if (!error) continue;
      if (hook.ignoreErrors) {
        result.diagnostics.push({ severity: "warning", urn: state.urn, message: `${type} hook "${name}" failed: ${error}` });
        continue;
      }
      throw new Error(`${type.startsWith("before") ? "before" : "after"} hook "${name}" failed: ${error}`);
    }
  }

  /**
   * Create, update and same steps for the program's registrations. A step starts once the steps
   * of its dependencies have completed (the SDK registers a resource only when its dependencies'
   * registrations have returned) and holds one of `parallel` workers while it applies, hooks
   * included (pkg/resource/deploy/step_executor.go newStepExecutor: DegreeOfParallelism workers;
   * step.go CreateStep.Apply / UpdateStep.Apply run the hooks). Hooks never run on a same step.
   * After-hooks run for custom resources; an after-hook failure keeps the step's state but fails
   * the deployment and cancels the steps not yet started, as any failed step does (step.go
   * RecordPostStepError; step_executor.go: fail fast unless --continue-on-error). In destroy mode,
   * custom resources are never created or updated: those in state are sames, the rest skipped
   * (step_generator.go GenerateSteps, destroyMode).
   */
  private async applyRegistrations(goals: ResourceState[], hooks: Map<string, RegisteredHook>, old: Map<string, ResourceState>, kind: { mode: "update" | "destroy"; dryRun: boolean }, parallel: number, result: OperationResult): Promise<Map<string, ResourceState>> {
    const updated = new Map(this.checkpoint.map((r) => [r.urn, r]));
    const workers = new Workers(parallel);
    const errors: string[] = [];
    const done = new Map<string, Promise<void>>();
    const registered = new Set(goals.map((g) => g.urn));
    for (const goal of goals) {
      const deps = dependenciesOf(goal, goals).filter((urn) => registered.has(urn) && urn !== goal.urn);
      done.set(goal.urn, (async () => {
        await Promise.all(deps.map((urn) => done.get(urn)));
        if (errors.length) return;
        await workers.run(async () => {
          if (errors.length) return;
          const previous = old.get(goal.urn);
          let op: Step["op"];
          try {
            if (kind.mode === "destroy" && goal.custom) {
              op = previous ? "same" : "skipped-create";
              if (previous) updated.set(goal.urn, { ...goal, inputs: previous.inputs, outputs: previous.outputs, id: previous.id });
            } else if (!previous) {
              op = "create";
              await this.runHooks("beforeCreate", goal, hooks, kind.dryRun, result);
              if (!kind.dryRun && goal.custom) this.options.provider.create(goal);
              if (!kind.dryRun) updated.set(goal.urn, goal);
              if (goal.custom) await this.afterHooks("afterCreate", goal, hooks, kind.dryRun, result, errors);
            } else if (!isDeepStrictEqual(previous.inputs, goal.inputs)) {
              op = "update";
              await this.runHooks("beforeUpdate", goal, hooks, kind.dryRun, result);
              if (!kind.dryRun && goal.custom) this.options.provider.update(previous, goal);
              if (!kind.dryRun) updated.set(goal.urn, { ...goal, id: previous.id });
              if (goal.custom) await this.afterHooks("afterUpdate", goal, hooks, kind.dryRun, result, errors);
            } else {
              op = "same";
              // A same step records the goal's hook bindings (step_generator.go: the new state
              // carries goal.ResourceHooks).
              if (!kind.dryRun) updated.set(goal.urn, { ...goal, outputs: previous.outputs, id: previous.id });
            }
            result.steps.push({ op, urn: goal.urn });
          } catch (error) {
            errors.push((error as Error).message);
            result.diagnostics.push({ severity: "error", urn: goal.urn, message: (error as Error).message });
          }
        });
      })());
    }
    await Promise.all(done.values());
    if (errors.length) {
      if (!kind.dryRun) this.checkpoint = orderByDependencies([...updated.values()]);
      throw new Error(errors.join("; "));
    }
    return updated;
  }

  private async afterHooks(type: HookType, state: ResourceState, hooks: Map<string, RegisteredHook>, dryRun: boolean, result: OperationResult, errors: string[]): Promise<void> {
    try {
      await this.runHooks(type, state, hooks, dryRun, result);
    } catch (error) {
      errors.push((error as Error).message);
      result.diagnostics.push({ severity: "error", urn: state.urn, message: (error as Error).message });
    }
  }

  /**
   * Deletes, once every registration has completed (the program has exited): in rounds, a
   * resource only after everything that depends on it — dependencies, parent, deletedWith
   * (pkg/resource/deploy/step_generator.go ScheduleDeletes; graph DependenciesOf). A delete step
   * runs its before-delete hooks first, even for a resource it will not delete; then deletes
   * nothing in a preview, nothing for retainOnDelete, nothing when the resource's deletedWith is
   * deleted in the same deployment (step.go DeleteStep.Apply, isDeletedWith).
   */
  private async applyDeletes(condemned: ResourceState[], hooks: Map<string, RegisteredHook>, dryRun: boolean, parallel: number, result: OperationResult): Promise<void> {
    const all = [...this.checkpoint, ...condemned.filter((c) => !this.checkpoint.some((r) => r.urn === c.urn))];
    const remaining = new Map(condemned.map((r) => [r.urn, r]));
    const deletedHere = new Set(remaining.keys());
    const workers = new Workers(parallel);
    const errors: string[] = [];
    while (remaining.size && !errors.length) {
      const round = [...remaining.values()].filter((r) => ![...remaining.values()].some((other) => other !== r && dependenciesOf(other, all).includes(r.urn)));
      if (!round.length) throw new Error(`dependency cycle among ${[...remaining.keys()].join(", ")}`);
      await Promise.all(round.map((r) => workers.run(async () => {
        try {
          await this.runHooks("beforeDelete", r, hooks, dryRun, result);
          if (!dryRun && !r.retainOnDelete && !(r.deletedWith && deletedHere.has(r.deletedWith)) && r.custom) this.options.provider.delete(r);
          result.steps.push({ op: "delete", urn: r.urn });
          if (!dryRun) this.checkpoint = this.checkpoint.filter((c) => c.urn !== r.urn);
          try {
            await this.runHooks("afterDelete", r, hooks, dryRun, result);
          } catch (error) {
            errors.push((error as Error).message);
          }
        } catch (error) {
          errors.push((error as Error).message);
          result.diagnostics.push({ severity: "error", urn: r.urn, message: (error as Error).message });
        }
      })));
      for (const r of round) remaining.delete(r.urn);
    }
    if (errors.length) throw new Error(errors.join("; "));
  }
}

/** What a resource depends on: dependencies, parent, deletedWith, and the children of a component it depends on. */
function dependenciesOf(resource: ResourceState, all: ResourceState[]): string[] {
  const direct = [...resource.dependencies, ...(resource.deletedWith ? [resource.deletedWith] : [])];
  const components = direct.filter((urn) => all.some((r) => r.urn === urn && !r.custom));
  const childrenOf = (urn: string): string[] => all.filter((r) => r.parent === urn).flatMap((r) => [r.urn, ...childrenOf(r.urn)]);
  return [...new Set([...direct, ...(resource.parent ? [resource.parent] : []), ...components.flatMap(childrenOf)])];
}

function orderByDependencies(resources: ResourceState[]): ResourceState[] {
  const ordered: ResourceState[] = [];
  const placed = new Set<string>();
  const present = new Set(resources.map((r) => r.urn));
  const visit = (r: ResourceState) => {
    if (placed.has(r.urn)) return;
    placed.add(r.urn);
    for (const urn of dependenciesOf(r, resources)) if (present.has(urn)) visit(resources.find((x) => x.urn === urn)!);
    ordered.push(r);
  };
  resources.forEach(visit);
  return ordered;
}

/** Calls a hook the way the engine does: the SDK's callback server, over gRPC (source_eval.go wrapResourceHookCallback). */
async function invokeHook(hook: RegisteredHook, state: ResourceState): Promise<string | undefined> {
  const request = new resourceProto.ResourceHookRequest();
  request.setUrn(state.urn);
  request.setId(state.id);
  request.setName(state.name);
  request.setType(state.type);
  const invoke = new callbackProto.CallbackInvokeRequest();
  invoke.setToken(hook.token);
  invoke.setRequest(request.serializeBinary());
  const client = new callbackRpc.CallbacksClient(hook.target, grpc.credentials.createInsecure());
  try {
    const response = await new Promise<any>((resolve, reject) => client.invoke(invoke, (error: Error | null, r: any) => (error ? reject(error) : resolve(r))));
    return resourceProto.ResourceHookResponse.deserializeBinary(response.getResponse_asU8()).getError() || undefined;
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
 * The cloud the providers act on: Kubernetes objects in the fake API server, and a GCP project.
 * Kubernetes: creating an object that exists fails with AlreadyExists (pulumi-kubernetes creates
 * client-side since v4.29.0, pulumi/pulumi-kubernetes#2926; we run 4.34), so does one in a
 * namespace that does not exist;
 * deleting a namespace deletes its contents; a model server whose GPUs the cluster cannot
 * schedule never becomes ready, so its create fails (the provider awaits readiness). GCP: an
 * account id is unique in a project (409), an IAM member binding is one binding whoever adds it
 * (deleting it removes it for everyone), a bucket name is unique.
 */
export class FakeCloud implements Provider {
  readonly iamBindings = new Set<string>();
  readonly accounts = new Set<string>();
  readonly buckets = new Set<string>();
  readonly dashboards = new Set<string>();
  /** Called when a Job is created (a test's kubelet finishes it). */
  onJobCreated?: (namespace: string, job: Record<string, any>) => void;

  constructor(readonly kube: FakeKube, readonly gpuCapacity = Infinity) {}

  private static key(object: Record<string, any>): string {
    return objectPath(object);
  }

  private static isObject(state: ResourceState): boolean {
    return state.type.startsWith("kubernetes:") && typeof state.inputs.kind === "string" && typeof state.inputs.metadata?.name === "string";
  }

  /** GPUs the Deployments on the cluster hold. */
  gpusInUse(): number {
    return [...this.kube.objects.values()].filter((o) => o.kind === "Deployment").reduce((sum, o) => sum + gpusOf(o), 0);
  }

  create(state: ResourceState): void {
    if (state.type.startsWith("gcp:")) return this.createGcp(state);
    if (!FakeCloud.isObject(state)) return;
    const object = state.inputs;
    const key = FakeCloud.key(object);
    const namespace = object.metadata.namespace;
    if (this.kube.objects.has(key)) throw new Error(`${object.kind} "${object.metadata.name}" already exists`);
    if (namespace && !this.kube.objects.has(objectPath({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } }))) throw new Error(`namespaces "${namespace}" not found`);
    if (object.kind === "Deployment" && this.gpusInUse() + gpusOf(object) > this.gpuCapacity) {
      throw new Error(`Deployment ${namespace}/${object.metadata.name}: timed out waiting to be Ready: 0/${object.spec?.replicas ?? 1} Pods scheduled (Insufficient nvidia.com/gpu: ${this.gpuCapacity - this.gpusInUse()} free, ${gpusOf(object)} needed)`);
    }
    this.kube.objects.set(key, structuredClone(object));
    if (object.kind === "Job") {
      this.kube.setJob(namespace, { ...structuredClone(object), status: { startTime: new Date().toISOString() } });
      this.onJobCreated?.(namespace, object);
    }
  }

  update(_old: ResourceState, state: ResourceState): void {
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

  private createGcp(state: ResourceState): void {
    const i = state.inputs;
    if (state.type === "gcp:serviceaccount/account:Account") {
      const key = `${i.project}/${i.accountId}`;
      if (this.accounts.has(key)) throw new Error(`Error creating service account: googleapi: Error 409: Service account ${i.accountId} already exists within project projects/${i.project}., alreadyExists`);
      this.accounts.add(key);
    } else if (state.type.endsWith("/iAMMember:IAMMember")) {
      this.iamBindings.add(`${i.project ?? i.serviceAccountId ?? i.bucket}|${i.role}|${i.member}`);
    } else if (state.type === "gcp:storage/bucket:Bucket") {
      if (this.buckets.has(i.name)) throw new Error(`googleapi: Error 409: Your previous request to create the named bucket succeeded and you already own it., conflict`);
      this.buckets.add(i.name);
    } else if (state.type === "gcp:monitoring/dashboard:Dashboard") {
      this.dashboards.add(state.id);
    }
  }

  private deleteGcp(state: ResourceState): void {
    const i = state.inputs;
    if (state.type === "gcp:serviceaccount/account:Account") this.accounts.delete(`${i.project}/${i.accountId}`);
    else if (state.type.endsWith("/iAMMember:IAMMember")) this.iamBindings.delete(`${i.project ?? i.serviceAccountId ?? i.bucket}|${i.role}|${i.member}`);
    else if (state.type === "gcp:storage/bucket:Bucket") this.buckets.delete(i.name);
    else if (state.type === "gcp:monitoring/dashboard:Dashboard") this.dashboards.delete(state.id);
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
