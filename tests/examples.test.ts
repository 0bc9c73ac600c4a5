// The README's tour without a cluster: its three commands, parsed out of README.md so the two cannot
// drift, run against a copy of examples/ in a temporary folder, end at a report of the example run
// whose figures are those of the example's files.
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT_ROOT, runCli, tempDir } from "./helpers";

const RUN_ID = "example1";
const EXAMPLES = path.join(PROJECT_ROOT, "examples");
const TOUR_HEADING = "## See a report without a cluster";

/** The commands of the first bash block under the tour's heading, without their comments. */
function tourCommands(): string[][] {
  const readme = fs.readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf(TOUR_HEADING));
  assert.ok(section.startsWith(TOUR_HEADING), `README.md has a section "${TOUR_HEADING.slice(3)}"`);
  const block = /```bash\n([\s\S]*?)```/.exec(section);
  assert.ok(block, "the tour's section holds a bash block");
  return block[1]
    .split("\n")
    .map((line) => line.replace(/\s+#.*$/, "").trim())
    .filter(Boolean)
    .map((line) => line.split(/\s+/));
}

/** The LPG's weighted file of each rate of a benchmark, by rate. */
function lpgFiles(benchmark: string): Map<number, Record<string, any>> {
  const dir = path.join(EXAMPLES, RUN_ID, `${benchmark}-${RUN_ID}`, "results");
  const files = new Map<number, Record<string, any>>();
  for (const name of fs.readdirSync(dir)) {
    const rate = /^benchmark-catalog-vllm-([\d.]+)qps-.*-weighted\.json$/.exec(name)?.[1];
    if (rate) files.set(Number(rate), JSON.parse(fs.readFileSync(path.join(dir, name), "utf8")));
  }
  return files;
}

/** A figure as the report prints it (lib/report/html.ts number()). */
const printed = (value: number) =>
  value.toLocaleString("en-US", { maximumFractionDigits: 1, minimumFractionDigits: 1 });

/** Every file under a folder, with its content. */
const filesUnder = (dir: string) =>
  (fs.readdirSync(dir, { recursive: true }) as string[])
    .sort()
    .filter((name) => fs.statSync(path.join(dir, name)).isFile())
    .map((name) => [name, fs.readFileSync(path.join(dir, name), "utf8")]);

describe("examples: the README's tour without a cluster", function () {
  this.timeout(240_000);

  it("reaches the example report in the README's three commands, with the example's figures in it", () => {
    const dir = tempDir("inference-bench-tour-");
    fs.cpSync(EXAMPLES, path.join(dir, "examples"), { recursive: true });
    const commands = tourCommands();
    assert.equal(commands.length, 3, "three commands");
    const [open, ...ibCommands] = [commands[2], commands[0], commands[1]];
    for (const [program, ...args] of ibCommands) {
      assert.equal(program, "./ib", "the tour runs the project's commands");
      const result = spawnSync(path.join(PROJECT_ROOT, "ib"), args, { cwd: dir, encoding: "utf8" });
      assert.equal(result.status, 0, `./ib ${args.join(" ")}: ${result.stderr}`);
    }
    // The last command opens the report: the file it names is there.
    const report = path.join(dir, open[open.length - 1]);
    assert.ok(fs.existsSync(report), `${open.join(" ")}: the report is written there`);
    const html = fs.readFileSync(report, "utf8");
    const benchmarks = fs.readdirSync(path.join(EXAMPLES, RUN_ID)).map((name) => name.slice(0, -`-${RUN_ID}`.length));
    assert.equal(benchmarks.length, 3);
    for (const name of benchmarks) assert.ok(html.includes(name), `the report names ${name}`);
    for (const benchmark of ["example-svc", "example-envoy-epp"]) {
      const files = lpgFiles(benchmark);
      assert.equal(files.size, 3, `${benchmark}: one LPG file per rate`);
      for (const [rate, file] of files) {
        const p90 = file.metrics.p90_latency_ms as number;
        assert.ok(p90 > 0, `${benchmark} rate ${rate}: the LPG measured a latency`);
        const figure = printed(p90);
        assert.ok(
          html.includes(`<td>${figure}</td>`),
          `${benchmark} rate ${rate}: latency p90 ${figure} ms is in the report`,
        );
      }
    }
    const inferencePerf = path.join(EXAMPLES, RUN_ID, `example-svc-ip-${RUN_ID}`, "results", "inference-perf");
    const stage = JSON.parse(fs.readFileSync(path.join(inferencePerf, "stage_0_lifecycle_metrics.json"), "utf8"));
    const ttftP90 = printed(stage.successes.latency.time_to_first_token.p90 * 1000);
    assert.ok(
      html.includes(`<td>${ttftP90}</td>`),
      `example-svc-ip: inference-perf's TTFT p90 ${ttftP90} ms is in the report`,
    );
    assert.deepEqual(
      filesUnder(path.join(dir, "examples")),
      filesUnder(EXAMPLES),
      "the tour writes nothing into examples/",
    );
  });

  // The fake server keeps up, but a 30 s LPG rate holds few Poisson arrivals, so the load verdict
  // may find a rate below 95% of its request rate (examples/README.md): that is the only problem allowed.
  it("reads every example benchmark's results: every rate there, the load verdict the only problem", () => {
    const result = runCli("results", ["--run-id", RUN_ID, "--output", EXAMPLES, "--json"]);
    assert.equal(result.status, 0, result.stderr);
    type Listed = { name: string; status: string; missing: string[]; problems: string[] };
    const benchmarks = JSON.parse(result.stdout).benchmarks as Listed[];
    assert.equal(benchmarks.length, 3);
    for (const { name, status, missing, problems } of benchmarks) {
      assert.deepEqual(missing, [], `${name}: no rate missing`);
      for (const problem of problems) assert.match(problem, /^rate [\d.]+: load not delivered: /, name);
      assert.equal(status, problems.length ? "partial" : "collected", `${name}: ${problems.join("; ")}`);
    }
    const inferencePerf = benchmarks.find((b) => b.name === "example-svc-ip");
    assert.equal(inferencePerf?.status, "collected", "inference-perf's run is whole");
  });
});
