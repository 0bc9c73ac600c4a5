// The driver CLI (`npm run run`) against a fake `pulumi` on PATH: preflight checks, Ctrl-C as
// a terminal delivers it (to the whole foreground process group), resume, and a stack config
// that the driver never changes behind the user's back.
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { PULUMI_CLI_VERSION } from "../lib/run/pulumi-cli";
import { benchmarkPaths } from "../lib/snapshot/layout";
import { PROJECT_ROOT, runCli, tempDir } from "./helpers";
import { generation1, resultFileName } from "./lpg-fixtures";

/**
 * A `pulumi` that logs each call (arguments, the waitForResults override, its process group)
 * and plays a two-update run: the first `up` deploys sim-svc, the second finds it done. An `up`
 * takes UP_MS; a SIGINT it receives is logged.
 */
const FAKE_PULUMI = `#!/usr/bin/env node
const fs = require("fs"), path = require("path");
const dir = process.env.FAKE_PULUMI_DIR;
const args = process.argv.slice(2).filter((a) => a !== "--non-interactive");
const statePath = path.join(dir, "state.json");
const state = fs.existsSync(statePath) ? JSON.parse(fs.readFileSync(statePath, "utf8")) : { ups: 0, config: {} };
const save = () => fs.writeFileSync(statePath, JSON.stringify(state));
const log = (entry) => fs.appendFileSync(path.join(dir, "calls.jsonl"), JSON.stringify(entry) + "\\n");
log({ args, wait: process.env.INFERENCE_BENCH_WAIT_FOR_RESULTS ?? null, pgid: fs.readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ")[2] });
process.on("SIGINT", () => { log({ signal: "SIGINT", args }); process.exit(255); });
const outputs = (done) => ({ declared: done ? [] : ["sim-svc"], waiting: [], done: done ? ["sim-svc"] : [], tearingDown: done ? ["sim-svc"] : [],
  expectedSecondsLeft: done ? 0 : 600, benchmarks: { "sim-svc": { namespace: "sim-svc-" + args[args.indexOf("--stack") + 1], status: done ? "collected" : "pending" } } });
switch (args[0]) {
  case "version": console.log("v" + (process.env.FAKE_PULUMI_VERSION || "${PULUMI_CLI_VERSION}")); break;
  case "stack":
    if (args[1] === "output") console.log(JSON.stringify(outputs(state.ups >= 2)));
    if (args[1] === "export") {
      // An update killed before the first run of this test left one create pending.
      const pending = state.refreshed ? [] : [{ type: "creating", resource: { urn: "urn:pulumi:run-1::inference-bench::kubernetes:core/v1:Namespace::x", custom: true, type: "kubernetes:core/v1:Namespace" } }];
      console.log(JSON.stringify({ version: 3, deployment: { manifest: {}, resources: [{ urn: "urn:pulumi:run-1::inference-bench::pulumi:pulumi:Stack::inference-bench-run-1", custom: false, type: "pulumi:pulumi:Stack" }], pending_operations: pending } }));
    }
    if (args[1] === "ls") console.log(JSON.stringify((state.stacks || []).map((name) => ({ name, current: name === state.selected }))));
    if (args[1] === "init") { state.stacks = [...(state.stacks || []), args[2]]; if (!args.includes("--no-select")) state.selected = args[2]; save(); }
    if (args[1] === "select") { state.selected = args.filter((a) => !a.startsWith("-")).at(-1); save(); }
    break;
  case "config":
    if (args[1] === "set") { state.config[args.at(-2)] = args.at(-1); save(); }
    else if (args[1] === "get") { const v = (state.secrets || {})[args.at(-1)] ?? state.config[args.at(-1)]; if (v === undefined) { console.error("error: configuration key '" + args.at(-1) + "' not found for stack"); process.exit(255); } console.log(v); }
    else console.log(JSON.stringify(Object.fromEntries(Object.entries(state.config).map(([k, v]) => [k, { value: v, secret: false }]))));
    break;
  case "refresh": state.refreshed = true; save(); break;
  case "up":
    setTimeout(() => { state.ups++; save(); log({ finished: "up" }); }, Number(process.env.UP_MS || 0));
    break;
  default: break;
}
`;

interface Fake {
  dir: string;
  bin: string;
  calls(): Array<Record<string, any>>;
}

function fakePulumi(): Fake {
  const dir = tempDir("fake-pulumi-");
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, "pulumi"), FAKE_PULUMI, { mode: 0o755 });
  return {
    dir,
    bin,
    calls: () =>
      fs.existsSync(path.join(dir, "calls.jsonl"))
        ? fs
            .readFileSync(path.join(dir, "calls.jsonl"), "utf8")
            .trim()
            .split("\n")
            .map((l) => JSON.parse(l))
        : [],
  };
}

const TSX = path.join(PROJECT_ROOT, "node_modules", ".bin", "tsx");
const RUN = path.join(PROJECT_ROOT, "cli", "run.ts");
const SIM = path.join("catalog", "sim.pbtxt");

function env(fake: Fake, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, PATH: `${fake.bin}:${process.env.PATH}`, FAKE_PULUMI_DIR: fake.dir, ...extra };
}

describe("driver CLI (npm run run) with a fake pulumi on PATH", function () {
  this.timeout(60_000);

  it("checks the stack name, the CLI and the catalog before it starts anything, each failure one line", () => {
    const fake = fakePulumi();
    const bad = spawnSync(TSX, [RUN, "--stack", "Run_1", "--catalog", SIM], {
      cwd: PROJECT_ROOT,
      env: env(fake),
      encoding: "utf8",
    });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /^error: run id "Run_1" may hold only a-z, 0-9 and "-"/);
    assert.equal(bad.stderr.trim().split("\n").length, 1);
    assert.deepEqual(fake.calls(), [], "no pulumi call for a bad stack name");

    // Only node on PATH: no pulumi.
    const nodeOnly = tempDir("node-only-");
    fs.symlinkSync(process.execPath, path.join(nodeOnly, "node"));
    const missing = spawnSync(TSX, [RUN, "--stack", "run-1", "--catalog", SIM], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, PATH: nodeOnly },
      encoding: "utf8",
    });
    assert.equal(missing.status, 1);
    assert.equal(missing.stdout, "");
    assert.equal(
      missing.stderr,
      `error: the Pulumi CLI (pulumi) is not on PATH; install v${PULUMI_CLI_VERSION}: curl -fsSL ` +
        `https://get.pulumi.com | sh -s -- --version ${PULUMI_CLI_VERSION}\n`,
    );

    const noCatalog = spawnSync(TSX, [RUN, "--stack", "run-1", "--catalog", "catalog/nope.pbtxt"], {
      cwd: PROJECT_ROOT,
      env: env(fake),
      encoding: "utf8",
    });
    assert.equal(noCatalog.status, 1);
    assert.match(noCatalog.stderr, /^error: .*catalog\/nope\.pbtxt/);
    assert.deepEqual(
      fake.calls().map((c) => c.args[0]),
      ["version"],
      "nothing but `pulumi version` before the catalog is checked",
    );

    const older = spawnSync(TSX, [RUN, "--stack", "run-1", "--catalog", "catalog/nope.pbtxt"], {
      cwd: PROJECT_ROOT,
      env: env(fake, { FAKE_PULUMI_VERSION: "3.100.0" }),
      encoding: "utf8",
    });
    assert.match(
      older.stderr,
      new RegExp(
        `^warning: pulumi v3\\.100\\.0 found; inference-bench is tested with ` +
          `v${PULUMI_CLI_VERSION.replace(/\./g, "\\.")}\n`,
      ),
    );
  });

  it(
    "on Ctrl-C lets the running `pulumi up` finish untouched, says how to resume; Ctrl-C twice " +
      "cancels it; the same command resumes and tears down",
    async () => {
      const fake = fakePulumi();
      const args = [RUN, "--stack", "run-1", "--catalog", SIM, "--gpu-budget", "8"];
      // The terminal signals the whole foreground process group: start the driver as a group leader and signal the group.
      const driver = spawn(TSX, args, {
        cwd: PROJECT_ROOT,
        env: env(fake, { UP_MS: "2500" }),
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      driver.stdout.on("data", (d) => (stdout += d));
      driver.stderr.on("data", (d) => (stderr += d));
      const exited = new Promise<number | null>((resolve) => driver.on("close", resolve));
      for (let i = 0; i < 200 && !fake.calls().some((c) => c.args?.[0] === "up"); i++)
        await new Promise((r) => setTimeout(r, 50));
      process.kill(-driver.pid!, "SIGINT");
      const status = await exited;
      assert.equal(status, 130, stderr);
      const calls = fake.calls();
      assert.ok(!calls.some((c) => c.signal), "pulumi never saw the Ctrl-C");
      assert.ok(
        calls.some((c) => c.finished === "up"),
        "the update ran to its end",
      );
      const up = calls.find((c) => c.args?.[0] === "up")!;
      assert.notEqual(up.pgid, String(driver.pid), "pulumi runs in its own process group");
      assert.equal(up.wait, "false", "waitForResults is off for the driver's update only");
      assert.match(stderr, /stopping after the current step/);
      assert.match(stdout, /^interrupted after 1 update\(s\), \d+m: 0\/1 with results$/m);
      assert.match(stdout, /sim-svc\s+pending/);
      assert.ok(
        stdout.includes(`resume with: npm run -s run -- --stack run-1 --catalog ${SIM} --gpu-budget 8`),
        stdout,
      );

      // A second Ctrl-C, a second later, cancels the running `pulumi` the CLI's way; still an interruption.
      const again = spawn(TSX, args, {
        cwd: PROJECT_ROOT,
        env: env(fake, { UP_MS: "20000" }),
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let againOut = "";
      again.stdout.on("data", (d) => (againOut += d));
      const againExited = new Promise<number | null>((resolve) => again.on("close", resolve));
      const ups = fake.calls().filter((c) => c.args?.[0] === "up").length;
      for (let i = 0; i < 200 && fake.calls().filter((c) => c.args?.[0] === "up").length === ups; i++)
        await new Promise((r) => setTimeout(r, 50));
      process.kill(-again.pid!, "SIGINT");
      await new Promise((r) => setTimeout(r, 1500));
      process.kill(-again.pid!, "SIGINT");
      assert.equal(await againExited, 130);
      assert.deepEqual(
        fake
          .calls()
          .filter((c) => c.signal)
          .map((c) => c.args[0]),
        ["up"],
        "the second Ctrl-C reached pulumi up, once",
      );
      assert.match(againOut, /resume with:/);

      const resumed = spawnSync(TSX, args, { cwd: PROJECT_ROOT, env: env(fake), encoding: "utf8" });
      assert.equal(resumed.status, 0, resumed.stderr);
      assert.match(resumed.stdout, /^finished after 1 update\(s\), \d+m, torn down: 1\/1 with results$/m);
      const all = fake.calls().filter((c) => c.args);
      assert.equal(all.at(-1)!.args[0], "destroy");
      assert.ok(all.at(-1)!.args.includes("--run-program"), "destroy runs the program, so that delete hooks run");
      const refreshes = all.filter((c) => c.args[0] === "refresh").map((c) => c.args.join(" "));
      assert.deepEqual(
        refreshes,
        [
          "refresh --stack run-1 --yes --skip-preview --clear-pending-creates --target " +
            "urn:pulumi:run-1::inference-bench::pulumi:pulumi:Stack::inference-bench-run-1",
        ],
        "one refresh, of the stack's own resource only, clears the create an interrupted update left pending",
      );
      // The stack is created once, never selected: the folder's selected stack is the user's.
      assert.deepEqual(
        all
          .filter((c) => c.args[0] === "stack" && !["output", "ls", "export"].includes(c.args[1]))
          .map((c) => c.args.join(" ")),
        ["stack init run-1 --no-select"],
      );
      const stateFile = JSON.parse(fs.readFileSync(path.join(fake.dir, "state.json"), "utf8"));
      assert.equal(stateFile.selected, undefined, "no stack was selected");
      for (const call of all.filter((c) => ["up", "destroy", "refresh", "config"].includes(c.args[0])))
        assert.ok(call.args.includes("--stack"), call.args.join(" "));
      const configured = all
        .filter((c) => c.args[0] === "config" && c.args[1] === "set")
        .map((c) => c.args.slice(-2).join("="));
      assert.deepEqual(
        [...new Set(configured)].sort(),
        [`inference-bench:catalog=${SIM}`, "inference-bench:gpuBudget=8"],
        "the stack's config never gets waitForResults",
      );
    },
  );

  it(
    "--baseline: after the run, compare --fail-on-regression against the baseline in the stack's " +
      "resultsDb: passes when nothing changed, fails on a regression or a lost benchmark",
    () => {
      const team = path.join(tempDir("team-"), "team.db");
      const output = tempDir("gate-output-");
      /** A run's sim-svc results (SYNTHETIC LPG files), its throughput scaled; `extra`: a benchmark the run also has. */
      const writeResults = (dir: string, runId: string, scale: number, extra = false) => {
        for (const name of extra ? ["sim-svc", "sim-extra"] : ["sim-svc"]) {
          const paths = benchmarkPaths(dir, runId, name);
          fs.mkdirSync(paths.resultsJsonDir, { recursive: true });
          fs.writeFileSync(
            paths.benchmarkPbtxt,
            `name: "${name}"\nconfig { benchmark_tool { lpg { request_rates: "10,20" } } }\n`,
          );
          for (const rate of [10, 20]) {
            const json = JSON.parse(generation1(rate, "m"));
            json.metrics.throughput *= scale;
            fs.writeFileSync(path.join(paths.resultsJsonDir, resultFileName(rate, "m")), JSON.stringify(json));
          }
        }
      };
      // Baselines stored earlier in the team's database; this run's results as the program left them.
      const earlier = tempDir("gate-earlier-");
      writeResults(earlier, "same0001", 1);
      writeResults(earlier, "fast0001", 1.25);
      writeResults(earlier, "more0001", 1, true);
      assert.equal(runCli("import", ["--output", earlier, "--db", team]).status, 0);
      writeResults(output, "run-2", 1);
      const gate = (baseline: string) => {
        const fake = fakePulumi();
        fs.writeFileSync(
          path.join(fake.dir, "state.json"),
          JSON.stringify({
            ups: 2,
            config: { "inference-bench:outputDir": output },
            secrets: { "inference-bench:resultsDb": team },
          }),
        );
        const result = spawnSync(TSX, [RUN, "--stack", "run-2", "--catalog", SIM, "--baseline", baseline], {
          cwd: PROJECT_ROOT,
          env: env(fake),
          encoding: "utf8",
        });
        assert.ok(
          !fake.calls().some((c) => c.args?.includes(team)),
          "the database URL is never on a pulumi command line",
        );
        return result;
      };
      const same = gate("same0001");
      assert.equal(same.status, 0, same.stderr + same.stdout);
      assert.match(same.stdout, /comparing run run-2 with the baseline same0001/);
      assert.match(same.stdout, /^no regression beyond 5%$/m);
      const slower = gate("fast0001");
      assert.equal(slower.status, 1, slower.stdout);
      assert.match(slower.stdout, /REGRESSION: output tokens\/s -20\.0%/);
      const lost = gate("more0001");
      assert.equal(lost.status, 1, lost.stdout);
      assert.match(lost.stdout, /^LOST: sim-extra: missing in run run-2$/m);
    },
  );
});
