// Drives a run to the end: `up` until every selected benchmark has results, then `destroy`
// with the program (so that delete hooks run). Between `up`s it waits for a running benchmark
// to finish, so that each `up` collects it, tears it down and deploys the next within budget.
// Interrupted (Ctrl-C), it stops after the current step; the same command resumes.
import { UserError } from "../errors";

/** The part of the Automation API's Stack the driver uses (injectable for tests). */
export interface DriverStack {
  refresh(options: { clearPendingCreates: boolean; onOutput?: (out: string) => void }): Promise<unknown>;
  up(options: { onOutput?: (out: string) => void }): Promise<{ outputs: Record<string, { value: unknown }> }>;
  destroy(options: { runProgram: boolean; onOutput?: (out: string) => void }): Promise<unknown>;
}

export interface DriverDeps {
  stack: DriverStack;
  /** Resolves when any load generator in these namespaces has finished, or when `signal` aborts. */
  waitForAnyFinished(namespaces: string[], signal: AbortSignal): Promise<void>;
  print(line: string): void;
  /** Pulumi's own output, for --verbose. */
  onOutput?: (out: string) => void;
}

export interface DriverOptions {
  skipTearDown: boolean;
  signal: AbortSignal;
}

/** The outputs of the program (components/program.ts) that the driver reads. */
interface ProgramOutputs {
  declared: string[];
  waiting: string[];
  done: string[];
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
  // A Ctrl-C'd `up` can leave creates pending; clear them so the next `up` can proceed.
  await stack.refresh({ clearPendingCreates: true, onOutput: deps.onOutput });
  let ups = 0;
  let last: ProgramOutputs | undefined;
  let previousProgress = "";
  for (;;) {
    if (options.signal.aborted) return { interrupted: true, ups, tornDown: false, statuses: statuses(last) };
    const result = await stack.up({ onOutput: deps.onOutput });
    ups++;
    last = readOutputs(result.outputs);
    const running = last.declared.filter((name) => !last!.done.includes(name));
    const total = Object.keys(last.benchmarks).length;
    print(`done ${last.done.length}/${total} · running ${running.length} · pending ${last.waiting.length}${running.length || last.waiting.length ? ` · about ${formatDuration(last.expectedSecondsLeft)} left` : ""}`);
    if (running.length === 0 && last.waiting.length === 0) break;
    const progress = JSON.stringify([last.done, running]);
    if (running.length === 0 && progress === previousProgress) {
      throw new UserError(`the run makes no progress: ${last.waiting.length} benchmark(s) wait but nothing can be deployed; check gpuBudget and parallelism`);
    }
    previousProgress = progress;
    if (running.length > 0) {
      await deps.waitForAnyFinished(running.map((name) => last!.benchmarks[name].namespace), options.signal);
    }
  }
  if (options.skipTearDown) {
    print("skipTearDown is set: the benchmarks' resources are kept");
    return { interrupted: false, ups, tornDown: false, statuses: statuses(last) };
  }
  print("every benchmark has results; tearing the run down (pulumi destroy --run-program)");
  await stack.destroy({ runProgram: true, onOutput: deps.onOutput });
  return { interrupted: false, ups, tornDown: true, statuses: statuses(last) };
}

function statuses(outputs: ProgramOutputs | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(outputs?.benchmarks ?? {}).map(([name, b]) => [name, b.status]));
}
