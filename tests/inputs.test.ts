// Inputs that must never hang or mislead: special files given as catalogs, symbolic link cycles,
// NUL bytes, long paths in file-system errors, Ctrl-C while writing a snapshot, a misspelt option,
// and one warning repeated for thousands of benchmarks.
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { resolveCatalogText } from "../lib/catalog/catalog";
import { fileSystemProblem, MAX_ERROR_LENGTH } from "../lib/errors";
import { groupWarnings } from "../lib/warnings";
import { PROTO_FILE } from "../proto/schema";
import { PROJECT_ROOT, runCli, tempDir } from "./helpers";

const SIM = fs.readFileSync(path.join(PROJECT_ROOT, "catalog", "sim.pbtxt"), "utf8");

/** The one error line of a failed CLI run, checked against the error contract. */
function errorLine(result: { status: number | null; stdout: string; stderr: string }): string {
  assert.equal(result.status, 1, result.stderr);
  assert.equal(result.stdout, "");
  const lines = result.stderr.split("\n").filter(Boolean);
  assert.equal(lines.length, 1, result.stderr);
  assert.ok(lines[0].startsWith("error: ") && lines[0].length - "error: ".length <= MAX_ERROR_LENGTH, lines[0]);
  return lines[0].slice("error: ".length);
}

describe("inputs: only regular files are catalogs", () => {
  it("refuses a FIFO, a device and a socket at once, given directly or found in a folder", async () => {
    const dir = tempDir();
    spawnSync("mkfifo", [path.join(dir, "pipe.pbtxt")]);
    const server = net.createServer().listen(path.join(dir, "sock.pbtxt"));
    await new Promise((resolve) => server.once("listening", resolve));
    try {
      const started = Date.now();
      assert.match(
        errorLine(runCli("catalog", ["--catalog", path.join(dir, "pipe.pbtxt")])),
        /pipe\.pbtxt: is a named pipe \(FIFO\), not a catalog file/,
      );
      assert.match(
        errorLine(runCli("catalog", ["--catalog", "/dev/zero"])),
        /^\/dev\/zero: is a character device, not a catalog file/,
      );
      assert.match(
        errorLine(runCli("catalog", ["--catalog", path.join(dir, "sock.pbtxt")])),
        /sock\.pbtxt: is a socket, not a catalog file/,
      );
      fs.writeFileSync(path.join(dir, "good.pbtxt"), SIM);
      assert.match(
        errorLine(runCli("catalog", ["--catalog", dir])),
        /pipe\.pbtxt: is a named pipe/,
        "found in a folder too",
      );
      assert.ok(Date.now() - started < 60_000, "none of them blocks");
    } finally {
      server.close();
    }
  });

  it("refuses a folder with a symbolic link back up to its parent, in one short line", () => {
    const dir = path.join(tempDir(), "x".repeat(120), "catalogs");
    fs.mkdirSync(path.join(dir, "nested"), { recursive: true });
    fs.writeFileSync(path.join(dir, "a.pbtxt"), SIM);
    fs.symlinkSync("..", path.join(dir, "nested", "up"));
    assert.match(
      errorLine(runCli("catalog", ["--catalog", dir])),
      /nested\/up: a symbolic link cycle \(a link back to a folder above it\); remove the link$/,
    );
    // A link to itself: the file system's own ELOOP, in one line of at most 200 characters.
    const self = path.join(dir, "nested", "self.pbtxt");
    fs.rmSync(path.join(dir, "nested", "up"));
    fs.symlinkSync("self.pbtxt", self);
    assert.match(errorLine(runCli("catalog", ["--catalog", self])), /symbolic link loop/);
  });

  it("says every file-system fault in one line of at most 200 characters", () => {
    const long = `/${"very-long-folder-name/".repeat(30)}results.db`;
    for (const code of [
      "EACCES",
      "EROFS",
      "ENOSPC",
      "ENOTDIR",
      "EISDIR",
      "ENOENT",
      "EEXIST",
      "ENAMETOOLONG",
      "ELOOP",
      "EIO",
    ]) {
      const error = Object.assign(new Error(`${code}: something, open '${long}'`), {
        code,
        path: long,
        syscall: "open",
      });
      const line = fileSystemProblem(error);
      assert.ok(line.length <= MAX_ERROR_LENGTH && !line.includes("\n"), `${code}: ${line.length} characters`);
      assert.ok(line.includes("results.db"), `${code} keeps the file's name: ${line}`);
    }
  });
});

describe("inputs: NUL anywhere is refused, as protoc refuses it", () => {
  const text = 'benchmarks { name: "a" } # a comment \0 with a NUL\n';
  it("refuses a NUL inside a # comment", () => {
    assert.throws(
      () => resolveCatalogText(text, "c.pbtxt"),
      (e: Error) =>
        /^c\.pbtxt:1:38: (benchmarks\[0\]: )?NUL character in a comment \(protoc refuses it\)$/.test(e.message),
    );
    // protoc 3.21 (src/google/protobuf/io/tokenizer.cc) refuses it: "Invalid control characters encountered in text".
    const probe = spawnSync("protoc", ["--version"]);
    if (probe.error || probe.status !== 0) {
      if (process.env.CI) throw new Error("protoc not found (apt-get install protobuf-compiler)");
      console.log("      skipped the protoc half: protoc not found (apt-get install protobuf-compiler)");
      return;
    }
    const run = spawnSync(
      "protoc",
      ["--encode=benchmark.Benchmarks", `-I${path.dirname(PROTO_FILE)}`, "-I/usr/include", path.basename(PROTO_FILE)],
      { input: text },
    );
    assert.notEqual(run.status, 0);
    assert.match(run.stderr.toString(), /Invalid control characters encountered in text/);
  });
});

describe("inputs: Ctrl-C during manifests", () => {
  it(
    "stops between files, leaves no temporary file, says how far it got, and the same command " + "completes it",
    async function () {
      this.timeout(180_000);
      const dir = tempDir();
      const base =
        'benchmarks { name: "b0" config { model_server { sim { model: "m" } replicas: 1 } ' +
        'load_balancer { k8s_service {} } benchmark_tool { image: "lpg:v1" lpg { request_rates: "1" ' +
        "} } } }\n";
      const children = Array.from(
        { length: 1499 },
        (_, i) =>
          `benchmarks { name: "b${i + 1}" base_benchmark_name: "b0" config { model_server { ` +
          `replicas: ${(i % 4) + 1} } benchmark_tool { lpg { request_rates: "1" } } } }\n`,
      );
      fs.writeFileSync(path.join(dir, "big.pbtxt"), base + children.join(""));
      const args = ["--catalog", "big.pbtxt", "--run-id", "ctrlc1", "--output", "out"];
      const child = spawn(
        process.execPath,
        ["--require", require.resolve("tsx/cjs"), path.join(PROJECT_ROOT, "cli", "manifests.ts"), ...args],
        { cwd: dir },
      );
      let stderr = "";
      let stdout = "";
      child.stderr.on("data", (chunk) => (stderr += chunk));
      child.stdout.on("data", (chunk) => (stdout += chunk));
      const runDir = path.join(dir, "out", "ctrlc1");
      const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
      while (!(fs.existsSync(runDir) && fs.readdirSync(runDir).length > 0))
        await new Promise((resolve) => setTimeout(resolve, 5));
      child.kill("SIGINT");
      const status = await closed;
      assert.equal(status, 130, stderr);
      assert.equal(stdout, "");
      assert.match(
        stderr,
        /^error: interrupted: (\d+) of 7,?500 files of run ctrlc1 are in out \(\d+ written now\); run the same command again to write the rest\n$/,
      );
      const done = Number(/interrupted: (\d+)/.exec(stderr)![1]);
      assert.ok(done > 0 && done < 7500, `${done} files before the interrupt`);
      const leftovers = fs
        .readdirSync(runDir, { recursive: true })
        .map(String)
        .filter((name) => /\.tmp-\d+$/.test(name));
      assert.deepEqual(leftovers, []);
      const again = runCli("manifests", args, { cwd: dir });
      assert.equal(again.status, 0, again.stderr);
      assert.match(again.stdout, new RegExp(`\\n${7500 - done} files written, ${done} unchanged\\n$`));
    },
  );
});

describe("inputs: a misspelt option", () => {
  it("is reported as unknown, with what it may have meant, before a missing required option", () => {
    for (const [command, args, expected] of [
      ["catalog", ["--catalgo", "catalog/"], "unknown option '--catalgo' (Did you mean --catalog?)"],
      [
        "manifests",
        ["--catalgo", "catalog/", "--run-id", "abc"],
        "unknown option '--catalgo' (Did you mean --catalog?)",
      ],
      ["results", ["--run-di", "abc"], "unknown option '--run-di' (Did you mean --run-id?)"],
      ["run", ["--stak", "abc"], "unknown option '--stak' (Did you mean --stack?)"],
    ] as const) {
      assert.equal(errorLine(runCli(command, [...args])), expected);
    }
    assert.match(
      errorLine(runCli("catalog", [])),
      /required option '--catalog <paths\.\.\.>' not specified/,
      "a plain missing option is still that",
    );
  });
});

describe("inputs: a warning for many benchmarks", () => {
  it("groups warnings that differ only in the benchmark they name (groupWarnings)", () => {
    const many = Array.from(
      { length: 2500 },
      (_, i) => `benchmark "b${i}": model server image "vllm/vllm-openai:latest" is mutable`,
    );
    assert.deepEqual(
      groupWarnings([...many, 'benchmark "x": something else', "a run-wide warning", "a run-wide warning"]),
      [
        '2,500 benchmarks (b0, b1, b2, …): model server image "vllm/vllm-openai:latest" is mutable',
        'benchmark "x": something else',
        "a run-wide warning",
      ],
    );
    assert.deepEqual(groupWarnings(['benchmark "a": w', 'benchmark "b": w']), ["2 benchmarks (a, b): w"]);
  });

  it("prints it once in the catalog and manifests commands", function () {
    this.timeout(120_000);
    const dir = tempDir();
    const base =
      'benchmarks { name: "b0" config { model_server { image: ' +
      '"ghcr.io/llm-d/llm-d-inference-sim:latest" sim { model: "m" } replicas: 1 } load_balancer ' +
      '{ k8s_service {} } benchmark_tool { image: "lpg:v1" lpg { request_rates: "1" } } } }\n';
    fs.writeFileSync(
      path.join(dir, "c.pbtxt"),
      base +
        Array.from(
          { length: 2499 },
          (_, i) =>
            `benchmarks { name: "b${i + 1}" base_benchmark_name: "b0" config { benchmark_tool { ` +
            `lpg { request_rates: "1" } } } }\n`,
        ).join(""),
    );
    for (const [command, args] of [
      ["catalog", ["--json"]],
      ["manifests", ["--run-id", "warn1", "--output", path.join(dir, "out")]],
    ] as const) {
      const result = runCli(command, ["--catalog", path.join(dir, "c.pbtxt"), ...args]);
      assert.equal(result.status, 0, result.stderr);
      assert.deepEqual(result.stderr.split("\n").filter(Boolean), [
        "warning: 2,500 benchmarks (b0, b1, b2, …): model server image " +
          '"ghcr.io/llm-d/llm-d-inference-sim:latest" is mutable (tag :latest); pin a version or ' +
          "digest so the run can be reproduced",
      ]);
    }
  });
});
