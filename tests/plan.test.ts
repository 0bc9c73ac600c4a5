import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import YAML from "yaml";
import { deploymentSettingsArgs } from "../deployments/settings";
import { waitForAnyJob } from "../lib/collect/collect";
import { UserError } from "../lib/errors";
import { makespanLowerBound, type PlanItem, planWindow, simulateRun } from "../lib/plan/window";
import { type DriverStack, driveRun, formatDuration } from "../lib/run/driver";
import { PULUMI_CLI_VERSION } from "../lib/run/pulumi-cli";
import { FakeKube, jobIn } from "./fake-kube";
import { PROJECT_ROOT } from "./helpers";

const item = (name: string, gpus: number, minutes: number, done = false): PlanItem => ({
  name,
  gpus,
  seconds: minutes * 60,
  done,
});

describe("run planner", () => {
  it("declares what fits the GPU budget, longest first, and lists the rest as waiting", () => {
    const items = [item("a", 8, 10), item("b", 8, 60), item("c", 4, 30), item("d", 4, 20), item("e", 0, 5)];
    const window = planWindow(items, { parallelism: 0, gpuBudget: 16 });
    assert.deepEqual(window.declare, ["b", "c", "d", "e"]);
    assert.deepEqual(window.waiting, ["a"]);
    assert.deepEqual(planWindow(items, { parallelism: 2, gpuBudget: 0 }).declare, ["b", "c"]);
  });

  it("keeps benchmarks already running and leaves done ones out", () => {
    const items = [item("a", 8, 10), item("b", 8, 60), item("c", 8, 30, true)];
    assert.deepEqual(planWindow(items, { parallelism: 0, gpuBudget: 8 }, new Set(["a"])).declare, ["a"]);
    assert.deepEqual(planWindow(items, { parallelism: 0, gpuBudget: 8 }).done, ["c"]);
  });

  it("refuses a benchmark larger than the budget before anything is deployed", () => {
    assert.throws(
      () => planWindow([item("big", 16, 10), item("small", 1, 10)], { parallelism: 0, gpuBudget: 8 }),
      (e: Error) => e instanceof UserError && /"big" needs 16 GPUs, more than the GPU budget of 8/.test(e.message),
    );
  });

  it("simulates a run within the budget, never below the lower bound", () => {
    const items = [item("a", 8, 60), item("b", 8, 60), item("c", 8, 30), item("d", 8, 30)];
    const limits = { parallelism: 0, gpuBudget: 16 };
    assert.equal(simulateRun(items, limits), 90 * 60);
    assert.equal(makespanLowerBound(items, limits), 90 * 60);
    assert.equal(simulateRun(items, { parallelism: 0, gpuBudget: 8 }), 180 * 60);
    assert.equal(formatDuration(5400), "1h30m");
  });
});

/**
 * A fake stack: each `up` collects what finished, plans the window and reports like the program;
 * what the last `up` deployed stays deployed (holding its GPUs) until an `up` drops it.
 */
class FakeStack implements DriverStack {
  readonly finished = new Set<string>();
  readonly running = new Set<string>();
  readonly deployed = new Set<string>();
  readonly calls: string[] = [];
  /** GPUs deployed at once, at the end of each `up`'s creates (before its deletes). */
  readonly peakGpus: number[] = [];

  constructor(
    private readonly items: PlanItem[],
    private readonly budget: number,
  ) {}

  async clearPendingCreates() {
    this.calls.push("clear-pending-creates");
    return 0;
  }

  async up() {
    this.calls.push("up");
    const state = this.items.map((i) => ({ ...i, done: this.finished.has(i.name) }));
    const window = planWindow(state, { parallelism: 0, gpuBudget: this.budget }, this.deployed);
    const gpus = (names: Iterable<string>) =>
      [...names].reduce((sum, name) => sum + this.items.find((i) => i.name === name)!.gpus, 0);
    this.peakGpus.push(gpus(new Set([...this.deployed, ...window.declare])));
    this.running.clear();
    this.deployed.clear();
    for (const name of window.declare) {
      this.running.add(name);
      this.deployed.add(name);
    }
    const value = {
      declared: window.declare,
      waiting: window.waiting,
      done: window.done,
      tearingDown: window.holding,
      expectedSecondsLeft: simulateRun(state, { parallelism: 0, gpuBudget: this.budget }),
      benchmarks: Object.fromEntries(
        this.items.map((i) => [
          i.name,
          { namespace: `${i.name}-run`, status: this.finished.has(i.name) ? "collected" : "pending" },
        ]),
      ),
    };
    return { outputs: Object.fromEntries(Object.entries(value).map(([k, v]) => [k, { value: v }])) };
  }

  async destroy(options: { runProgram: boolean }) {
    this.calls.push(`destroy runProgram=${options.runProgram}`);
  }

  /** The cluster: the running benchmark in the given namespaces that ends first finishes. */
  finishOne(namespaces: string[]) {
    const name = namespaces
      .map((ns) => ns.replace(/-run$/, ""))
      .sort((a, b) => this.items.find((i) => i.name === a)!.seconds - this.items.find((i) => i.name === b)!.seconds)[0];
    this.finished.add(name);
    this.running.delete(name);
  }
}

describe("run driver (fake stack)", () => {
  const items = [item("a", 8, 60), item("b", 8, 30), item("c", 8, 20), item("d", 16, 10)];

  it("repeats up within the budget until everything is collected, then destroys with the program", async () => {
    const stack = new FakeStack(items, 16);
    const lines: string[] = [];
    let waits = 0;
    const summary = await driveRun(
      {
        stack,
        print: (l) => lines.push(l),
        waitForAnyFinished: async (ns) => {
          waits++;
          stack.finishOne(ns);
        },
      },
      { skipTearDown: false, signal: new AbortController().signal },
    );
    assert.equal(summary.interrupted, false);
    assert.deepEqual(Object.values(summary.statuses), ["collected", "collected", "collected", "collected"]);
    assert.equal(stack.calls.at(-1), "destroy runProgram=true");
    assert.equal(stack.calls[0], "clear-pending-creates");
    assert.equal(waits, 4);
    assert.ok(Math.max(...stack.peakGpus) <= 16, `never more than the budget deployed at once: ${stack.peakGpus}`);
    assert.ok(
      stack.calls.filter((c) => c === "up").length > 5,
      "an update that tears down is followed by one that deploys",
    );
    assert.match(lines[0], /^done 0\/4 · running 2 · pending 2 · about \d+h?\d*m left$/);
    assert.match(lines.at(-1)!, /tearing the run down/);
  });

  it("stops on Ctrl-C and the same command resumes where it stopped", async () => {
    const stack = new FakeStack(items, 16);
    const controller = new AbortController();
    const first = await driveRun(
      {
        stack,
        print: () => undefined,
        waitForAnyFinished: async (ns) => {
          stack.finishOne(ns);
          controller.abort();
        },
      },
      { skipTearDown: false, signal: controller.signal },
    );
    assert.equal(first.interrupted, true);
    assert.ok(!stack.calls.some((c) => c.startsWith("destroy")), "an interrupted run is not torn down");
    const second = await driveRun(
      { stack, print: () => undefined, waitForAnyFinished: async (ns) => stack.finishOne(ns) },
      { skipTearDown: false, signal: new AbortController().signal },
    );
    assert.equal(second.interrupted, false);
    assert.equal(stack.finished.size, 4);
    assert.equal(stack.calls.filter((c) => c.startsWith("destroy")).length, 1);
  });

  it("keeps the resources with skipTearDown", async () => {
    const stack = new FakeStack(items.slice(0, 2), 16);
    const summary = await driveRun(
      { stack, print: () => undefined, waitForAnyFinished: async (ns) => stack.finishOne(ns) },
      { skipTearDown: true, signal: new AbortController().signal },
    );
    assert.equal(summary.tornDown, false);
    assert.ok(!stack.calls.some((c) => c.startsWith("destroy")));
  });

  it("waits for a finished load generator with one cluster-wide watch", async function () {
    this.timeout(20_000);
    const kube = new FakeKube();
    const config = await kube.start();
    try {
      const labels = { "inference-bench/run-id": "run", "app.kubernetes.io/component": "load-generator" };
      kube.setJob("a-run", { ...jobIn("running"), metadata: { labels } });
      kube.setJob("b-run", { ...jobIn("running"), metadata: { labels } });
      setTimeout(() => kube.setJob("b-run", { ...jobIn("succeeded"), metadata: { labels } }), 500);
      const started = Date.now();
      await waitForAnyJob(config, "run", ["a-run", "b-run"], new AbortController().signal);
      assert.ok(Date.now() - started >= 400);
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 300);
      kube.setJob("b-run", { ...jobIn("running"), metadata: { labels } });
      await waitForAnyJob(config, "run", ["a-run", "b-run"], controller.signal);
    } finally {
      await kube.stop();
    }
  });
});

describe("CI: GitHub Actions and Pulumi Deployments", () => {
  const workflow = YAML.parse(
    fs.readFileSync(path.join(PROJECT_ROOT, ".github", "workflows", "benchmark.yml"), "utf8"),
  );
  const steps: Array<Record<string, any>> = workflow.jobs.benchmark.steps;

  it("installs the CLI with pulumi/actions, then runs the driver and destroy --run-program as steps", () => {
    const install = steps.findIndex((s) => String(s.uses ?? "").startsWith("pulumi/actions@"));
    assert.ok(install >= 0, "uses pulumi/actions");
    assert.equal(
      steps[install].with?.command,
      undefined,
      "the action only installs the CLI: its destroy cannot run the program",
    );
    assert.equal(
      steps[install].with?.["pulumi-version"],
      PULUMI_CLI_VERSION,
      "the CLI whose engine the harness models",
    );
    // The driver turns waitForResults off for its own updates, so no hook holds an engine worker.
    const run = steps.findIndex((s) => /^npm run -s run -- --stack "\$STACK"/.test(s.run ?? ""));
    const destroy = steps.findIndex((s) => /pulumi destroy --run-program/.test(s.run ?? ""));
    assert.ok(install < run && run < destroy, "install, then the run, then destroy");
    assert.equal(steps[destroy].if, "always()", "tear down even when a step failed");
    assert.ok(steps.some((s) => s.with?.["node-version"] === 22));
    assert.ok(steps.some((s) => s.run === "npm ci"));
    assert.ok(
      steps.some((s) => String(s.uses ?? "").startsWith("actions/upload-artifact@")),
      "results are kept as an artifact",
    );
    assert.ok(workflow.on.workflow_dispatch.inputs["run-id"].required);
  });

  it(
    "compares with an optional baseline run in the shared results database, taking the input only " +
      "through env (no script injection)",
    () => {
      assert.equal(workflow.on.workflow_dispatch.inputs.baseline.default, "");
      const gate = steps.find((s) => /compare\b.*--fail-on-regression/.test(String(s.run ?? "")))!;
      assert.ok(gate, "a compare --fail-on-regression step");
      assert.equal(gate.if, "inputs.baseline != ''");
      assert.doesNotMatch(gate.run, /\$\{\{/, "no expression inside the script");
      assert.match(gate.run, /--run-id "\$BASELINE" --run-id "\$STACK"/);
      assert.equal(gate.env.BASELINE, "${{ inputs.baseline }}");
      assert.match(
        gate.env.INFERENCE_BENCH_DB,
        /^\$\{\{ secrets\./,
        "the database URL (with its password) is a secret",
      );
      assert.ok(steps.indexOf(gate) < steps.findIndex((s) => /pulumi destroy --run-program/.test(s.run ?? "")));
    },
  );

  it("configures Deployments for a stack: the repository, npm ci, Node 22", () => {
    const args = deploymentSettingsArgs({
      organization: "acme",
      stack: "run-123",
      repository: "https://example.test/repo.git",
      branch: "refs/heads/main",
    }) as any;
    assert.equal(args.project, "inference-bench");
    assert.equal(args.stack, "run-123");
    assert.equal(args.sourceContext.git.repoUrl, "https://example.test/repo.git");
    assert.deepEqual(args.operationContext.preRunCommands, ["npm ci"]);
    // A Deployments destroy must run the program, or the engine refuses (delete hooks).
    assert.equal(args.operationContext.environmentVariables.PULUMI_RUN_PROGRAM, "true");
    assert.equal(args.operationContext.environmentVariables.PULUMI_PARALLEL, "64");
    assert.equal(args.executorContext.executorImage, `pulumi/pulumi-nodejs-22:${PULUMI_CLI_VERSION}`);
    assert.equal(
      (deploymentSettingsArgs({ organization: "acme", stack: "s", repository: "r", branch: "b", parallel: 200 }) as any)
        .operationContext.environmentVariables.PULUMI_PARALLEL,
      "200",
    );
    const project = YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, "deployments", "Pulumi.yaml"), "utf8"));
    assert.equal(project.runtime.name, "nodejs");
  });
});
