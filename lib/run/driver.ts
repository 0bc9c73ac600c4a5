// Drives a run to the end: `up` until every selected benchmark has results, then `destroy`
// with the program (so that delete hooks run). Between `up`s it waits for a running benchmark
// to finish, so that each `up` collects it, tears it down and deploys the next within budget.
// Interrupted (Ctrl-C), it stops after the current step; the same command resumes.
import { UserError } from "../errors";

/** The stack operations the driver runs (lib/run/pulumi-cli.ts; injectable for tests). */
export interface DriverStack {
  /** Drops the creates an interrupted operation left pending; returns how many there were. */
  clearPendingCreates(): Promise<number>;
  /** `pulumi up` with waitForResults off for this update only, then the stack's outputs. */
  up(): Promise<{ outputs: Record<string, { value: unknown }> }>;
  destroy(options: { runProgram: boolean }): Promise<unknown>;
}

export interface DriverDeps {
  stack: DriverStack;
  /** Resolves when any load generator in these namespaces has finished, or when `signal` aborts. */
  waitForAnyFinished(namespaces: string[], signal: AbortSignal): Promise<void>;
  print(line: string): void;
}

export interface DriverOptions {
  skipTearDown: boolean;
  /** Aborted on Ctrl-C: the driver stops after the current step. */
  signal: AbortSignal;
}

/** The outputs of the program (components/program.ts) that the driver reads. */
interface ProgramOutputs {
  declared: string[];
  waiting: string[];
  done: string[];
  tearingDown: string[];
  expectedSecondsLeft: number;
  benchmarks: Record<string, { namespace: string; status: string }>;
}

export interface DriveSummary {
  interrupted: boolean;
  ups: number;
  tornDown: boolean;
  statuses: Record<string, string>;
}

function readOutputs(outputs: Record<string, { value: unknown }>): ProgramOutputs {
  const value = <T>(key: string, fallback: T): T => (outputs[key]?.value as T | undefined) ?? fallback;
  return {
    declared: value("declared", []),
    waiting: value("waiting", []),
    done: value("done", []),
    tearingDown: value("tearingDown", []),
    expectedSecondsLeft: value("expectedSecondsLeft", 0),
    benchmarks: value("benchmarks", {}),
  };
}

export function formatDuration(seconds: number): string {
  const minutes = Math.round(seconds / 60);
  return minutes >= 60 ? `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m` : `${minutes}m`;
}

export async function driveRun(deps: DriverDeps, options: DriverOptions): Promise<DriveSummary> {
  const { stack, print } = deps;
  let ups = 0;
  let last: ProgramOutputs | undefined;
  const interrupted = (): DriveSummary => ({ interrupted: true, ups, tornDown: false, statuses: statuses(last) });
  // A step that Ctrl-C cancelled fails; that is an interruption, not an error.
  const step = async <T>(operation: () => Promise<T>): Promise<{ value: T } | undefined> => {
    try {
      return { value: await operation() };
    } catch (error) {
      if (options.signal.aborted) return undefined;
      throw error;
    }
  };
  // An `up` killed (or cancelled twice) leaves creates pending, which the engine keeps until a
  // refresh clears them (pkg/backend/snapshot.go Snap). The objects may exist: the provider adopts
  // them when the next `up` creates them again (upsertExistingObjects: components/program.ts).
  const cleared = await step(() => stack.clearPendingCreates());
  if (!cleared) return interrupted();
  if (cleared.value > 0)
    print(
      `cleared ${cleared.value} pending create(s) an interrupted update left; the next update adopts what they created`,
    );
  let previousProgress = "";
  for (;;) {
    if (options.signal.aborted) return interrupted();
    const result = await step(() => stack.up());
    if (!result) return interrupted();
    ups++;
    last = readOutputs(result.value.outputs);
    const running = last.declared.filter((name) => !last!.done.includes(name));
    const total = Object.keys(last.benchmarks).length;
    print(
      `done ${last.done.length}/${total} · running ${running.length} · pending ${last.waiting.length}${running.length || last.waiting.length ? ` · about ${formatDuration(last.expectedSecondsLeft)} left` : ""}`,
    );
    if (running.length === 0 && last.waiting.length === 0) break;
    // Finished benchmarks hold their GPUs until the end of the `up` that tears them down; what
    // waits for those GPUs is deployed by the next one, at once.
    if (last.tearingDown.length && last.waiting.length) continue;
    const progress = JSON.stringify([last.done, running]);
    if (running.length === 0 && progress === previousProgress) {
      throw new UserError(
        `the run makes no progress: ${last.waiting.length} benchmark(s) wait but nothing can be ` +
          `deployed; check gpuBudget, parallelism and skipTearDown (which keeps finished ` +
          `benchmarks' GPUs)`,
      );
    }
    previousProgress = progress;
    if (running.length > 0) {
      await deps.waitForAnyFinished(
        running.map((name) => last!.benchmarks[name].namespace),
        options.signal,
      );
    }
  }
  if (options.skipTearDown) {
    print("skipTearDown is set: the benchmarks' resources are kept");
    return { interrupted: false, ups, tornDown: false, statuses: statuses(last) };
  }
  print("every benchmark has results; tearing the run down (pulumi destroy --run-program)");
  if (!(await step(() => stack.destroy({ runProgram: true })))) return interrupted();
  return { interrupted: false, ups, tornDown: true, statuses: statuses(last) };
}

function statuses(outputs: ProgramOutputs | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(outputs?.benchmarks ?? {}).map(([name, b]) => [name, b.status]));
}
