// Which benchmarks a `pulumi up` deploys, within the cluster's GPU budget and a parallelism limit.
//
// The window is every benchmark already running (declared by an earlier `up` and without
// results), then benchmarks still to run, longest first, each one that fits in what is left
// of the budget. Benchmarks with results drop out, so Pulumi tears them down. Run by the
// driver (`npm run run`), which starts an `up` whenever a benchmark finishes, this is list
// scheduling: GPUs are refilled as soon as they free up. Longest-first keeps long benchmarks
// from being left to run alone at the end.
import { CatalogError } from "../errors";

export interface PlanItem {
  name: string;
  /** GPUs it holds while it runs (replicas × tensor parallelism). */
  gpus: number;
  /** Expected duration, for ordering and for the time-left estimate. */
  seconds: number;
  /** Has results on disk. */
  done: boolean;
}

export interface PlanLimits {
  /** Benchmarks at once; 0 means no limit. */
  parallelism: number;
  /** GPUs at once; 0 means no limit. */
  gpuBudget: number;
}

export interface Window {
  /** What this `up` declares, in catalog order. */
  declare: string[];
  /** Still to run after these. */
  waiting: string[];
  done: string[];
  /** Done, but deployed by the last `up` (in flight): they still hold their GPUs during this one. */
  holding: string[];
}

/** Refuses, before anything is deployed, a benchmark that could never fit. */
export function checkBudget(items: PlanItem[], limits: PlanLimits): void {
  if (limits.gpuBudget <= 0) return;
  const tooBig = items.filter((item) => item.gpus > limits.gpuBudget && !item.done);
  if (tooBig.length) {
    throw new CatalogError(
      `${tooBig.map((i) => `benchmark "${i.name}" needs ${i.gpus} GPUs`).join(", ")}, more than ` +
        `the GPU budget of ${limits.gpuBudget}; raise gpuBudget or shrink the benchmark — nothing ` +
        `was deployed`,
    );
  }
}

/**
 * `priority` lists names in the order to fill the window; by default, longest first (ties in
 * catalog order).
 */
export function planWindow(
  items: PlanItem[],
  limits: PlanLimits,
  inFlight: ReadonlySet<string> = new Set(),
  priority?: string[],
): Window {
  checkBudget(items, limits);
  // A finished benchmark that the last `up` deployed is deleted at the end of this one, only
  // after every resource this `up` declares has been created: the engine schedules deletes once
  // the program has exited, and the program exits only when all its registrations have completed
  // (pulumi/pulumi@v3.259.0 pkg/resource/deploy/deployment_executor.go Execute → performPostSteps).
  // Until then its model server holds its GPUs, so a new benchmark must not count on them.
  const holding = items.filter((item) => item.done && inFlight.has(item.name));
  const chosen = new Set<string>();
  let count = holding.length;
  let gpus = holding.reduce((sum, item) => sum + item.gpus, 0);
  const take = (item: PlanItem) => {
    if (limits.parallelism > 0 && count >= limits.parallelism) return;
    if (limits.gpuBudget > 0 && gpus + item.gpus > limits.gpuBudget) return;
    chosen.add(item.name);
    count++;
    gpus += item.gpus;
  };
  const pending = items.filter((item) => !item.done);
  for (const item of pending) if (inFlight.has(item.name)) take(item);
  const rank = priority ? new Map(priority.map((name, i) => [name, i])) : undefined;
  const ordered = pending
    .map((item, index) => ({ item, index }))
    .sort((a, b) =>
      rank ? rank.get(a.item.name)! - rank.get(b.item.name)! : b.item.seconds - a.item.seconds || a.index - b.index,
    );
  for (const { item } of ordered) if (!chosen.has(item.name)) take(item);
  return {
    declare: pending.filter((i) => chosen.has(i.name)).map((i) => i.name),
    waiting: pending.filter((i) => !chosen.has(i.name)).map((i) => i.name),
    done: items.filter((i) => i.done).map((i) => i.name),
    holding: holding.map((i) => i.name),
  };
}

/**
 * Plays a run forward the way the driver executes it: an `up` at the start and whenever a
 * benchmark finishes, each `up` costing `upSeconds` before what it declares starts. Returns
 * the expected seconds until the last benchmark ends (the time-left estimate).
 */
export function simulateRun(
  items: PlanItem[],
  limits: PlanLimits,
  running: ReadonlyMap<string, number> = new Map(),
  upSeconds = 0,
  priority?: string[],
): number {
  let state = items.map((item) => ({ ...item }));
  const endsAt = new Map(running);
  let now = 0;
  for (;;) {
    const window = planWindow(state, limits, new Set(endsAt.keys()), priority);
    for (const name of window.declare) {
      if (!endsAt.has(name)) endsAt.set(name, now + upSeconds + state.find((i) => i.name === name)!.seconds);
    }
    if (endsAt.size === 0) return now;
    now = Math.min(...endsAt.values());
    for (const [name, end] of [...endsAt]) {
      if (end <= now) {
        endsAt.delete(name);
        state = state.map((item) => (item.name === name ? { ...item, done: true } : item));
      }
    }
  }
}

/** The least time any plan could take: the longest benchmark, or the total work spread over the limits. */
export function makespanLowerBound(items: PlanItem[], limits: PlanLimits): number {
  const longest = Math.max(0, ...items.map((i) => i.seconds));
  const gpuBound = limits.gpuBudget > 0 ? items.reduce((s, i) => s + i.gpus * i.seconds, 0) / limits.gpuBudget : 0;
  const countBound = limits.parallelism > 0 ? items.reduce((s, i) => s + i.seconds, 0) / limits.parallelism : 0;
  return Math.max(longest, gpuBound, countBound);
}
