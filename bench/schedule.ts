// npm run bench:schedule — how close the run plan comes to the best possible.
// Synthetic catalogs (3 to 300 benchmarks, 1 to 16 GPUs each, 10 to 60 minutes each) under
// several GPU budgets: the plan's makespan against the original's one-at-a-time order and
// against the lower bound max(longest benchmark, total GPU-time ÷ budget). Target: ≤ 1.15×.
// The plan is played forward as the driver runs it: an `up` whenever a benchmark finishes.
import { makespanLowerBound, type PlanItem, simulateRun } from "../lib/plan/window";

const SIZES = [3, 10, 30, 100, 300];
const BUDGETS = [16, 32, 64, 128];
const SEEDS = 5;

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state ^ (state >>> 15), 2246822507) + 0x9e3779b9) >>> 0;
    return state / 2 ** 32;
  };
}

function synthesize(count: number, seed: number): PlanItem[] {
  const next = random(seed * 7919 + count);
  return Array.from({ length: count }, (_, i) => ({
    name: `b${i}`,
    gpus: [1, 2, 4, 8, 16][Math.floor(next() * 5)],
    seconds: Math.round(600 + next() * 3000),
    done: false,
  }));
}

function simulate(items: PlanItem[], budget: number): number {
  return simulateRun(items, { parallelism: 0, gpuBudget: budget });
}

/** The best list-scheduling order, by trying them all (small catalogs only): what any plan could reach. */
function bestOrder(items: PlanItem[], budget: number): number {
  const permutations = function* (rest: PlanItem[]): Generator<PlanItem[]> {
    if (rest.length <= 1) yield rest;
    else
      for (let i = 0; i < rest.length; i++)
        for (const tail of permutations([...rest.slice(0, i), ...rest.slice(i + 1)])) yield [rest[i], ...tail];
  };
  let best = Infinity;
  for (const order of permutations(items)) {
    best = Math.min(
      best,
      simulateRun(
        items,
        { parallelism: 0, gpuBudget: budget },
        new Map(),
        0,
        order.map((i) => i.name),
      ),
    );
  }
  return best;
}

let worst = 0;
let worstLarge = 0;
let ratioTotal = 0;
const small: string[] = [];
console.log("benchmarks  budget  sequential(h)  plan(h)  lower bound(h)  plan/bound");
for (const size of SIZES) {
  for (const budget of BUDGETS) {
    let ratioSum = 0;
    let sums = { sequential: 0, plan: 0, bound: 0 };
    for (let seed = 1; seed <= SEEDS; seed++) {
      const items = synthesize(size, seed);
      const plan = simulate(items, budget);
      const bound = makespanLowerBound(items, { parallelism: 0, gpuBudget: budget });
      const sequential = items.reduce((s, i) => s + i.seconds, 0);
      const ratio = plan / bound;
      ratioSum += ratio;
      worst = Math.max(worst, ratio);
      if (size >= 30) worstLarge = Math.max(worstLarge, ratio);
      if (size <= 3 && ratio > 1.15)
        small.push(
          `${size} benchmarks, budget ${budget}, seed ${seed}: plan ${ratio.toFixed(3)}×, best ` +
            `possible order ${(bestOrder(items, budget) / bound).toFixed(3)}×`,
        );
      sums = { sequential: sums.sequential + sequential, plan: sums.plan + plan, bound: sums.bound + bound };
    }
    ratioTotal += ratioSum;
    const hours = (s: number) => (s / SEEDS / 3600).toFixed(1).padStart(8);
    console.log(
      `${String(size).padStart(10)}  ${String(budget).padStart(6)}  ${hours(sums.sequential)}     ` +
        ` ${hours(sums.plan)} ${hours(sums.bound)}        ${(ratioSum / SEEDS).toFixed(3)}`,
    );
  }
}
const catalogs = SIZES.length * BUDGETS.length * SEEDS;
console.log(
  `mean plan/lower bound over ${catalogs} catalogs: ${(ratioTotal / catalogs).toFixed(3)} — ` +
    `target ≤ 1.15: ${ratioTotal / catalogs <= 1.15 ? "met" : "MISSED"}`,
);
console.log(
  `worst, catalogs of 30 or more: ${worstLarge.toFixed(3)} — ${worstLarge <= 1.15 ? "met" : "MISSED"}; ` +
    `worst overall: ${worst.toFixed(3)}`,
);
if (small.length) {
  console.log("small catalogs above 1.15× — the lower bound is loose there, as the exhaustive search shows:");
  for (const line of small) console.log(`  ${line}`);
}
