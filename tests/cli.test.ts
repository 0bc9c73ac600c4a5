// How the commands behave around the user's shell: a closed pipe, ./ib called from another
// folder, an old Node.js, a full disk, and a test run that prints only the tests.
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT_ROOT, tempDir } from "./helpers";
import { pulumiLog } from "./pulumi-log";

const TSX_CJS = require.resolve("tsx/cjs");

describe("commands in a shell", () => {
  it("ends quietly when stdout is closed early (catalog --json | head)", async () => {
    // Megabytes of output, far more than a pipe holds, so that writing hits the closed pipe.
    const file = path.join(tempDir(), "big.pbtxt");
    const simple = fs.readFileSync(path.join(PROJECT_ROOT, "catalog", "sim.pbtxt"), "utf8");
    fs.writeFileSync(
      file,
      Array.from({ length: 300 }, (_, i) =>
        simple
          .replace(/name: "sim-/g, `name: "s${i}-`)
          .replace(/base_benchmark_name: "sim-/g, `base_benchmark_name: "s${i}-`),
      ).join("\n"),
    );
    const child = spawn(
      process.execPath,
      ["--require", TSX_CJS, path.join(PROJECT_ROOT, "cli", "catalog.ts"), "--catalog", file, "--json"],
      { cwd: PROJECT_ROOT },
    );
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    // Like `head -c 1`: read one chunk, then close the pipe.
    child.stdout.once("data", () => child.stdout.destroy());
    const status = await new Promise<number | null>((resolve) => child.on("close", resolve));
    assert.equal(status, 0, stderr);
    assert.deepEqual(
      stderr.split("\n").filter((line) => line && !line.startsWith("warning: ")),
      [],
      "nothing but warnings on stderr",
    );
  });

  it("./ib reads relative paths from the folder it is called from", function () {
    this.timeout(120_000);
    const dir = tempDir();
    fs.copyFileSync(path.join(PROJECT_ROOT, "catalog", "sim.pbtxt"), path.join(dir, "mine.pbtxt"));
    const result = spawnSync(
      path.join(PROJECT_ROOT, "ib"),
      ["manifests", "--catalog", "mine.pbtxt", "--run-id", "here1", "--regex", "^sim-svc$"],
      { cwd: dir, encoding: "utf8" },
    );
    assert.equal(result.status, 0, result.stderr);
    assert.ok(
      fs.existsSync(path.join(dir, "output", "here1", "sim-svc-here1", "benchmark.pbtxt")),
      "the output folder is the caller's",
    );
    assert.ok(!fs.existsSync(path.join(PROJECT_ROOT, "output", "here1")));
    const missing = spawnSync(path.join(PROJECT_ROOT, "ib"), ["catalog", "--catalog", "nope.pbtxt"], {
      cwd: dir,
      encoding: "utf8",
    });
    assert.equal(missing.stderr.trim(), "error: nope.pbtxt: no such catalog file or folder");
  });

  it("says to use ./ib when a script runs on Node.js older than 22", () => {
    // An older Node: the machine's own if it has one, else Node 22 told it is 20.
    const system = ["/usr/bin/node", "/usr/local/bin/node"].find((node) => {
      const version = spawnSync(node, ["-p", "process.versions.node.split('.')[0]"], { encoding: "utf8" });
      return !version.error && Number(version.stdout) < 22;
    });
    const result = system
      ? spawnSync(system, [path.join(PROJECT_ROOT, "scripts", "node22.cjs")], {
          encoding: "utf8",
          env: { ...process.env, npm_lifecycle_event: "report" },
        })
      : spawnSync(
          process.execPath,
          [
            "-e",
            `Object.defineProperty(process, "version", { value: "v20.0.0" }); ` +
              `Object.defineProperty(process.versions, "node", { value: "20.0.0" }); ` +
              `require(${JSON.stringify(path.join(PROJECT_ROOT, "scripts", "node22.cjs"))})`,
          ],
          { encoding: "utf8", env: { ...process.env, npm_lifecycle_event: "report" } },
        );
    assert.equal(result.status, 1);
    assert.match(
      result.stderr,
      /^error: inference-bench needs Node\.js 22 or newer, and this is v20\.\S+; run \.\/ib report \[args\.\.\.\] instead/,
    );
    const scripts = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")).scripts as Record<
      string,
      string
    >;
    for (const [name, command] of Object.entries(scripts))
      assert.ok(command.startsWith("node scripts/node22.cjs && "), `script ${name} checks the Node.js version first`);
  });

  it("on a full disk: one line naming the path, and nothing half-written", function () {
    this.timeout(120_000);
    const mountPoint = tempDir("full-");
    const mount = spawnSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", mountPoint], { encoding: "utf8" });
    if (mount.status !== 0) {
      console.log(
        `      skipped: cannot mount a small tmpfs to fill ` +
          `(${(mount.stderr || mount.error?.message || "").trim()}); needs root with CAP_SYS_ADMIN`,
      );
      this.skip();
    }
    try {
      fs.writeFileSync(path.join(mountPoint, "filler"), Buffer.alloc(40 * 1024));
      const result = spawnSync(
        process.execPath,
        [
          "--require",
          TSX_CJS,
          path.join(PROJECT_ROOT, "cli", "manifests.ts"),
          "--catalog",
          "catalog/",
          "--run-id",
          "full1",
          "--output",
          path.join(mountPoint, "out"),
        ],
        { cwd: PROJECT_ROOT, encoding: "utf8" },
      );
      assert.equal(result.status, 1);
      assert.equal(result.stdout, "");
      assert.match(
        result.stderr
          .split("\n")
          .filter((line) => !line.startsWith("warning:"))
          .join("\n"),
        /^error: .*\/out\/full1\/.*: no space left on the device; free some space or choose another path\n$/,
      );
      assert.deepEqual(fs.readdirSync(mountPoint), ["filler"], "no folder or file of the snapshot is left");
    } finally {
      spawnSync("umount", [mountPoint]);
    }
  });

  it("keeps Pulumi's runtime log out of the test output (tests/pulumi-log.ts)", () => {
    const before = pulumiLog.length;
    console.warn("warning: [runtime] a message Pulumi prints without an engine");
    assert.equal(pulumiLog.length, before + 1);
    assert.equal(pulumiLog[pulumiLog.length - 1], "warning: [runtime] a message Pulumi prints without an engine");
  });
});
