// The CLI error contract, as a table: every case is a mistake a user makes with one command.
// Each must end with exit status 1, nothing on stdout, exactly one line on stderr ("error: ...",
// no "internal error", no stack trace) that says what the table expects, and the case's folder
// exactly as it was (nothing written, nothing half-written, no database or folder created).
// Each case runs in its own copy of a fixture folder, as the user in `as` when permissions matter.
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BAD_CATALOGS, BASE } from "./bad-catalogs";
import { PROJECT_ROOT, tempDir } from "./helpers";
import { generation1, resultFileName } from "./lpg-fixtures";

type Command = "catalog" | "manifests" | "results" | "import" | "report" | "compare" | "slo" | "export" | "run";

interface CaseOptions {
  /** Run as an unprivileged user (root ignores permission bits). */
  unprivileged?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** [command, arguments, what the one error line must say, options]. Paths are relative to the case's folder. */
type Case = [Command, string[], RegExp, CaseOptions?];

const NOBODY = { unprivileged: true };
const GOOD = "catalog/good.pbtxt";
const HUGE = "x".repeat(100_000);

const CASES: Case[] = [
  // catalog
  ["catalog", [], /required option '--catalog <paths\.\.\.>' not specified/],
  ["catalog", ["--catalog"], /option '--catalog <paths\.\.\.>' argument missing/],
  ["catalog", ["--catalog", GOOD, "--bogus"], /unknown option '--bogus'/],
  ["catalog", ["--catalog", GOOD, `--${HUGE}`], /unknown option/],
  ["catalog", ["extra", "--catalog", GOOD], /too many arguments/],
  ["catalog", ["--catalog", GOOD, "extra"], /^extra: no such catalog file or folder$/],
  ["catalog", ["--catalog", "nope.pbtxt"], /^nope\.pbtxt: no such catalog file or folder$/],
  ["catalog", ["--catalog", GOOD, "nope.pbtxt"], /^nope\.pbtxt: no such catalog file or folder$/],
  ["catalog", ["--catalog", "emptydir"], /emptydir: folder holds no catalog/],
  ["catalog", ["--catalog", "secret.pbtxt"], /secret\.pbtxt: cannot read the catalog \(permission denied\)/, NOBODY],
  ["catalog", ["--catalog", "lockeddir"], /lockeddir: cannot read the catalog folder \(permission denied\)/, NOBODY],
  ["catalog", ["--catalog", GOOD, "--regex", "("], /benchmark name regex "\(" is invalid/],
  ["catalog", ["--catalog", GOOD, "--regex", "^nothing$"], /matches none of: sim-svc, sim-envoy-epp/],
  ["catalog", ["--catalog", GOOD, "--regex", HUGE], /regex "x{40}…" \(100,000 characters\) is invalid: .*too large/],
  [
    "catalog",
    ["--catalog", GOOD, "--regex", "y".repeat(5000)],
    /regex "y{40}…" \(5,000 characters\) matches none of: sim-svc/,
  ],
  ["catalog", ["--catalog", GOOD, "--regex"], /option '--regex <re>' argument missing/],
  [
    "catalog",
    ["--catalog", GOOD, "catalog/good-copy.pbtxt"],
    /^catalog\/good-copy\.pbtxt:\d+:\d+: benchmark "sim-svc" is also defined at catalog\/good\.pbtxt/,
  ],
  [
    "catalog",
    ["--catalog", "catalog/latin1.pbtxt", "--json"],
    /^catalog\/latin1\.pbtxt:2:13: the file is not valid UTF-8 \(byte 0xe9\)/,
  ],
  [
    "catalog",
    ["--catalog", "catalog/cr-only.pbtxt"],
    /^catalog\/cr-only\.pbtxt:3:3: benchmarks\[0\]: unknown field "nope"/,
  ],
  [
    "catalog",
    ["--catalog", "catalog/other-base.pbtxt", GOOD],
    /base benchmark "sim-svc" is defined in catalog\/good\.pbtxt, not in this file/,
  ],
  ["catalog", ["--catalog", "afile/x.pbtxt"], /no such catalog file or folder|a part of the path is not a folder/],
  // manifests
  ["manifests", [], /required option '--catalog <paths\.\.\.>' not specified/],
  ["manifests", ["--catalog", GOOD, "--run-id", ""], /run id "" is empty/],
  ["manifests", ["--catalog", GOOD, "--run-id", "Run1"], /run id "Run1" may hold only a-z, 0-9 and "-"/],
  ["manifests", ["--catalog", GOOD, "--run-id", "run12345x"], /run id "run12345x" is longer than 8 characters/],
  ["manifests", ["--catalog", GOOD, "--run-id", "../x"], /run id "\.\.\/x" may hold only/],
  ["manifests", ["--catalog", GOOD, "--run-id", "-ab"], /run id "-ab" may hold only/],
  ["manifests", ["--catalog", GOOD, "--run-id", "ab-"], /run id "ab-" may hold only/],
  ["manifests", ["--catalog", GOOD, "--run-id", "a b"], /run id "a b" may hold only/],
  ["manifests", ["--catalog", GOOD, "--run-id", "rün"], /run id "rün" may hold only/],
  [
    "manifests",
    ["--catalog", GOOD, "--run-id", HUGE],
    /run id "x{24}…" \(100,000 characters\) is longer than 8 characters/,
  ],
  ["manifests", ["--catalog", GOOD, "--run-id"], /option '--run-id <id>' argument missing/],
  ["manifests", ["--catalog", GOOD, "--gcp-project", "abc"], /GCP project id "abc" is invalid: 6 to 30 characters/],
  ["manifests", ["--catalog", GOOD, "--gcp-project", "My-Project"], /GCP project id "My-Project" is invalid/],
  ["manifests", ["--catalog", GOOD, "--gcp-project", "1project"], /GCP project id "1project" is invalid/],
  ["manifests", ["--catalog", GOOD, "--gcp-project", "my-project-"], /GCP project id "my-project-" is invalid/],
  ["manifests", ["--catalog", GOOD, "--gcp-project", "a".repeat(31)], /GCP project id "a{31}" is invalid/],
  ["manifests", ["--catalog", GOOD, "--gcp-project", "my_project"], /GCP project id "my_project" is invalid/],
  ["manifests", ["--catalog", GOOD, "--gcp-project", ""], /GCP project id "" is invalid/],
  ["manifests", ["--catalog", GOOD, "--gcp-project", "123456789012"], /the project id, not its name or number/],
  [
    "manifests",
    ["--catalog", GOOD, "--run-id", "abc", "--output", "afile"],
    /^afile: is a file, not a folder; choose another --output$/,
  ],
  [
    "manifests",
    ["--catalog", GOOD, "--run-id", "abc", "--output", "afile/sub"],
    /afile\/sub: .*afile is a file, not a folder/,
  ],
  [
    "manifests",
    ["--catalog", GOOD, "--run-id", "abc", "--output", "lockeddir/out"],
    /lockeddir\/out: cannot write in .*lockeddir \(permission denied\)/,
    NOBODY,
  ],
  ["manifests", ["--catalog", GOOD, "--run-id", "abc"], /output: cannot write in .* \(permission denied\)/, NOBODY],
  [
    "manifests",
    ["--catalog", GOOD, "--run-id", "abc", "--output", "snapshots"],
    /the snapshot of this run already exists with different content/,
  ],
  ["manifests", ["--catalog", GOOD, "--run-id", "abc", "--regex", "nothing"], /matches none of/],
  [
    "manifests",
    ["--catalog", "catalog/bad-0.pbtxt", "--run-id", "abc"],
    /^catalog\/bad-0\.pbtxt:1:1: unknown field "benchmark"/,
  ],
  ["manifests", ["--catalog", GOOD, "--run-id", "abc", "--override", "yes"], /too many arguments|excess arguments/],
  // results
  ["results", [], /required option '--run-id <id>' not specified/],
  ["results", ["--run-id", "NOPE"], /run id "NOPE" may hold only/],
  ["results", ["--run-id", "toolong12"], /longer than 8 characters/],
  ["results", ["--run-id", "../etc"], /run id "\.\.\/etc" may hold only/],
  [
    "results",
    ["--run-id", "runa0001", "--output", "nowhere"],
    /^nowhere: no such folder; pass the --output folder that holds the runs$/,
  ],
  ["results", ["--run-id", "runa0001", "--output", "afile"], /^afile: is a file, not a folder/],
  ["results", ["--run-id", "zzz"], /output\/zzz: no such run \(run ids here: broken01, pend0001, runa0001, runb0001\)/],
  ["results", ["--run-id", "broken01"], /output\/broken01\/x-broken01\/benchmark\.pbtxt:1:\d+: unknown field "nmae"/],
  ["results", ["--run-id", "runa0001", "--json", "--bogus"], /unknown option '--bogus'/],
  ["results", ["--run-id", "runa0001", "--output"], /option '--output <dir>' argument missing/],
  // import
  ["import", ["--output", "nowhere"], /^nowhere: no such folder/],
  ["import", ["--output", "afile"], /^afile: is a file, not a folder/],
  ["import", ["--output", "emptydir"], /^emptydir: no runs to import/],
  ["import", ["--run-id", "zzz"], /run "zzz" is not in output \(runs there: broken01, pend0001, runa0001, runb0001\)/],
  ["import", ["--run-id", "BAD"], /run id "BAD" may hold only/],
  ["import", ["--run-id", "runa0001", "--run-id", "x".repeat(9)], /longer than 8 characters/],
  [
    "import",
    ["--run-id", "runa0001", "--db", "notadb.db"],
    /^notadb\.db: the results database is not an SQLite database/,
  ],
  [
    "import",
    ["--run-id", "runa0001", "--db", "postgres://bench:s3cret-pw@127.0.0.1:1/team"],
    /^results database "team" on 127\.0\.0\.1:1: connection refused \(is the server running, and is this its port\?\)$/,
  ],
  [
    "results",
    ["--run-id", "zzz", "--db", "postgresql://bench:s3cret-pw@127.0.0.1:1/team?sslmode=verify-full"],
    /^results database "team" on 127\.0\.0\.1:1: connection refused/,
  ],
  [
    "report",
    ["--run-id", "runa0001", "--db", "postgres://bench@127.0.0.1:1/team"],
    /^results database "team" on 127\.0\.0\.1:1: connection refused/,
    { env: { PGPASSWORD: "s3cret-pw" } },
  ],
  [
    "export",
    ["--run-id", "zzz", "--format", "br-v0.2.1"],
    /^results database "team" on 127\.0\.0\.1:1: connection refused/,
    { env: { INFERENCE_BENCH_DB: "postgres://bench:s3cret-pw@127.0.0.1:1/team" } },
  ],
  ["import", ["--run-id", "runa0001", "--db", "afile/results.db"], /afile\/results\.db|afile: is a file, not a folder/],
  [
    "import",
    ["--run-id", "runa0001", "--db", "emptydir"],
    /^emptydir: the results database cannot be opened|emptydir: is a folder/,
  ],
  [
    "import",
    ["--run-id", "runa0001", "--db", "lockeddir/results.db"],
    /lockeddir: cannot write in .*lockeddir \(permission denied\)/,
    NOBODY,
  ],
  ["import", ["--run-id", "runa0001"], /cannot write in .*output \(permission denied\)/, NOBODY],
  ["import", ["--run-id", "broken01"], /benchmark\.pbtxt:1:\d+: unknown field "nmae"/],
  ["import", ["--db"], /option '--db <file>' argument missing/],
  // report
  ["report", [], /required option '--run-id <id>' not specified/],
  ["report", ["--run-id", "Run"], /run id "Run" may hold only/],
  ["report", ["--run-id", "runa0001", "--compare", "toolong123"], /run id "toolong123" is longer than 8 characters/],
  ["report", ["--run-id", "zzz"], /run "zzz" is neither in output nor in the database/],
  ["report", ["--run-id", "pend0001"], /run "pend0001" has no results yet \(1 benchmarks: pending\)/],
  ["report", ["--run-id", "runa0001", "--compare", "pend0001"], /run "pend0001" has no results yet/],
  ["report", ["--run-id", "runa0001", "--compare", "zzz"], /run "zzz" is neither in output nor in the database/],
  ["report", ["--run-id", "runa0001", "--output", "nowhere"], /^nowhere: no such folder/],
  [
    "report",
    ["--run-id", "runa0001", "--db", "notadb.db"],
    /^notadb\.db: the results database is not an SQLite database/,
  ],
  ["report", ["--run-id", "runa0001"], /cannot write in .*output \(permission denied\)/, NOBODY],
  ["report", ["--run-id", "runa0001", "--db", "lockeddir/r.db"], /cannot write in .*lockeddir/, NOBODY],
  ["report", ["--run-id", "broken01"], /benchmark\.pbtxt:1:\d+: unknown field "nmae"/],
  ["report", ["--run-id", "runa0001", "--compare"], /option '--compare <id>' argument missing/],
  // compare
  ["compare", [], /required option '--run-id <id>' not specified/],
  [
    "compare",
    ["--run-id", "runa0001"],
    /give exactly two runs: --run-id A --run-id B, or repeated runs with .*--against B2 \(got 1 --run-id\)/,
  ],
  [
    "compare",
    ["--run-id", "runa0001", "--run-id", "runa0001", "--run-id", "pend0001"],
    /give exactly two runs.*\(got 3 --run-id\)/,
  ],
  ["compare", ["--run-id", "pend0001", "--run-id", "runa0001"], /run "pend0001" has no results to compare/],
  [
    "compare",
    ["--run-id", "runa0001", "--run-id", "runa0001"],
    /run runa0001 is on both sides: comparing a run with itself shows nothing/,
  ],
  [
    "compare",
    ["--run-id", "runa0001", "--run-id", "runb0001", "--against", "runa0001"],
    /run runa0001 is on both sides/,
  ],
  [
    "compare",
    ["--run-id", "runa0001", "--pair", "svc"],
    /--pair takes two different benchmarks of the run as A=B, e.g. --pair svc=epp \(got "svc"\)/,
  ],
  ["compare", ["--run-id", "runa0001", "--pair", "svc=svc"], /--pair takes two different benchmarks/],
  [
    "compare",
    ["--run-id", "runa0001", "--run-id", "runb0001", "--pair", "a=b"],
    /--pair compares two benchmarks within one run: give exactly one --run-id and no --against/,
  ],
  [
    "compare",
    ["--run-id", "runa0001", "--run-id", "runa0001", "--against", "runb0001"],
    /run runa0001 is given twice in --run-id/,
  ],
  ["compare", ["--run-id", "runa0001", "--against", "Bad"], /run id "Bad" may hold only/],
  ["compare", ["--run-id", "runa0001", "--run-id", "zzz"], /run "zzz" is neither in output nor in the database/],
  ["compare", ["--run-id", "runa0001", "--run-id", "A"], /run id "A" may hold only/],
  [
    "compare",
    ["--run-id", "runa0001", "--run-id", "runa0001", "--fail-on-regression", "abc"],
    /--fail-on-regression takes a percentage such as 5 \(got "abc"\)/,
  ],
  [
    "compare",
    ["--run-id", "runa0001", "--run-id", "runa0001", "--fail-on-regression", "-5"],
    /--fail-on-regression takes a percentage/,
  ],
  [
    "compare",
    ["--run-id", "runa0001", "--run-id", "runa0001", "--fail-on-regression", ""],
    /--fail-on-regression takes a percentage/,
  ],
  [
    "compare",
    ["--run-id", "runa0001", "--run-id", "runb0001", "--db", "notadb.db"],
    /notadb\.db: the results database is not an SQLite database/,
  ],
  ["compare", ["--run-id", "runa0001", "--run-id", "runb0001", "--output", "afile"], /^afile: is a file, not a folder/],
  [
    "compare",
    ["--run-id", "runa0001", "--run-id", "runb0001"],
    /cannot write in .*output \(permission denied\)/,
    NOBODY,
  ],
  // slo
  ["slo", [], /required option '--run-id <id>' not specified/],
  ["slo", ["--run-id", "runa0001"], /--slo|--preset/],
  ["slo", ["--run-id", "RUN", "--slo", "ttft_p99<=2s"], /run id "RUN" may hold only/],
  ["slo", ["--run-id", "runa0001", "--slo", "ttft_p99<2s"], /ttft_p99<2s/],
  ["slo", ["--run-id", "runa0001", "--slo", "ttft_p99<=2"], /unit/],
  ["slo", ["--run-id", "runa0001", "--slo", "speed_p99<=2s"], /speed/],
  ["slo", ["--run-id", "runa0001", "--slo", "ttft_p42<=2s"], /p42/],
  ["slo", ["--run-id", "runa0001", "--preset", "nope"], /nope/],
  [
    "slo",
    ["--run-id", "runa0001", "--slo", "ttft_p99<=2s", "--gpu-hour-price", "nvidia-h100-80gb"],
    /--gpu-hour-price/,
  ],
  ["slo", ["--run-id", "runa0001", "--slo", "ttft_p99<=2s", "--gpu-hour-price", "nvidia-h100-80gb=cheap"], /cheap/],
  ["slo", ["--run-id", "pend0001", "--slo", "ttft_p99<=2s"], /run "pend0001" has no results yet/],
  ["slo", ["--run-id", "zzz", "--slo", "ttft_p99<=2s"], /run "zzz" is neither in output nor in the database/],
  [
    "slo",
    ["--run-id", "runa0001", "--slo", "ttft_p99<=2s", "--db", "notadb.db"],
    /^notadb\.db: the results database is not an SQLite database/,
  ],
  ["slo", ["--run-id", "runa0001", "--slo", "ttft_p99<=2s", "--output", "nowhere"], /^nowhere: no such folder/],
  ["slo", ["--run-id", "runa0001", "--slo", "ttft_p99<=2s"], /cannot write in .*output \(permission denied\)/, NOBODY],
  // export
  ["export", [], /required option '--run-id <id>' not specified/],
  ["export", ["--run-id", "runa0001"], /required option '--format <format>' not specified/],
  [
    "export",
    ["--run-id", "runa0001", "--format", "xml"],
    /argument 'xml' is invalid\. Allowed choices are br-v0\.2\.1, csv/,
  ],
  ["export", ["--run-id", "toolong123", "--format", "csv"], /longer than 8 characters/],
  ["export", ["--run-id", "zzz", "--format", "csv"], /output\/zzz: no such run/],
  ["export", ["--run-id", "pend0001", "--format", "csv"], /run "pend0001" has no results to export yet/],
  ["export", ["--run-id", "runa0001", "--format", "csv", "--output", "afile"], /^afile: is a file, not a folder/],
  [
    "export",
    ["--run-id", "runa0001", "--format", "br-v0.2.1"],
    /cannot write in .*runa0001 \(permission denied\)/,
    NOBODY,
  ],
  ["export", ["--run-id", "broken01", "--format", "csv"], /benchmark\.pbtxt:1:\d+: unknown field "nmae"/],
  // run (stops before the Pulumi CLI is needed)
  ["run", [], /required option '--stack <run-id>' not specified/],
  ["run", ["--stack", "Stack"], /run id "Stack" may hold only/],
  ["run", ["--stack", "stack-123"], /run id "stack-123" is longer than 8 characters/],
  ["run", ["--stack", ""], /run id "" is empty/],
  ["run", ["--stack", "abc", "--gpu-budget", "x"], /--gpu-budget takes a whole number such as 8 \(got "x"\)/],
  ["run", ["--stack", "abc", "--gpu-budget", "-1"], /--gpu-budget takes a whole number/],
  ["run", ["--stack", "abc", "--gpu-budget", "1.5"], /--gpu-budget takes a whole number/],
  ["run", ["--stack", "abc", "--parallelism", "many"], /--parallelism takes a whole number/],
  [
    "run",
    ["--stack", "abc"],
    /^the Pulumi CLI \(pulumi\) is not on PATH; install v[0-9.]+: curl/,
    { env: { PATH: "/nonexistent" } },
  ],
  ["run", ["--stack", "abc", "--catalog"], /option '--catalog <paths\.\.\.>' argument missing/],
  // every malformed catalog, through the catalog command
  ...BAD_CATALOGS.map(
    ([, , line], i): Case => [
      "catalog",
      ["--catalog", `catalog/bad-${i}.pbtxt`],
      new RegExp(`^catalog/bad-${i}\\.pbtxt:${line}:\\d+: `),
    ],
  ),
];

/** The folder each case starts from. */
function buildFixture(root: string): void {
  const write = (file: string, content: string | Buffer, mode = 0o644) => {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), content, { mode });
  };
  write(GOOD, fs.readFileSync(path.join(PROJECT_ROOT, "catalog", "sim.pbtxt")));
  write("catalog/good-copy.pbtxt", fs.readFileSync(path.join(PROJECT_ROOT, "catalog", "sim.pbtxt")));
  for (const [i, [, text]] of BAD_CATALOGS.entries()) {
    write(
      `catalog/bad-${i}.pbtxt`,
      text.includes("\udce9") ? Buffer.from(text.replace("\udce9", "\u00ff"), "latin1") : text,
    );
  }
  write(
    "catalog/latin1.pbtxt",
    Buffer.concat([Buffer.from('benchmarks {\n  name: "caf'), Buffer.from([0xe9]), Buffer.from('"\n}\n')]),
  );
  write("catalog/cr-only.pbtxt", 'benchmarks {\r  name: "a"\r  nope: 1\r}\r');
  write(
    "catalog/other-base.pbtxt",
    `${BASE.replace('"base"', '"child"').replace("benchmarks {", 'benchmarks {\n  base_benchmark_name: "sim-svc"')}`,
  );
  write("secret.pbtxt", "benchmarks {}");
  write("lockeddir/a.pbtxt", "benchmarks {}");
  fs.mkdirSync(path.join(root, "emptydir"));
  write("afile", "not a folder");
  write("notadb.db", "this is not an SQLite database, but it must stay as it is\n");
  // Two runs with results, one without, and one whose snapshot is broken.
  for (const [run, name] of [
    ["runa0001", "svc"],
    ["runa0001", "epp"],
    ["runb0001", "svc"],
  ]) {
    const dir = `output/${run}/${name}-${run}`;
    write(
      `${dir}/benchmark.pbtxt`,
      `name: "${name}"\nconfig { model_server { accelerator: "nvidia-h100-80gb" replicas: 1 vllm ` +
        `{ model: "m" } } load_balancer { k8s_service {} } benchmark_tool { lpg { request_rates: ` +
        `"10,20" } } }\n`,
    );
    for (const rate of [10, 20]) write(`${dir}/results/json/${resultFileName(rate, "m")}`, generation1(rate, "m"));
  }
  write(
    "output/pend0001/svc-pend0001/benchmark.pbtxt",
    'name: "svc"\nconfig { benchmark_tool { lpg { request_rates: "10" } } }\n',
  );
  write("output/broken01/x-broken01/benchmark.pbtxt", 'nmae: "x"\n');
  // A snapshot of run "abc" with other content than good.pbtxt gives.
  write("snapshots/abc/sim-svc-abc/benchmark.pbtxt", "# an older snapshot\n", 0o444);
}

/**
 * Permissions a copy does not keep: a file no one may read, a folder no one may list or write in.
 * For an unprivileged case run by a user other than root, every folder becomes read-only too
 * (as root, such a case runs as nobody, for whom the copy is read-only already).
 */
function restrict(root: string, unprivileged: boolean): void {
  fs.chmodSync(path.join(root, "secret.pbtxt"), 0o000);
  fs.chmodSync(path.join(root, "lockeddir"), 0o111);
  if (!unprivileged || isRoot) return;
  const folders = [root];
  for (let dir = folders.pop(); dir !== undefined; dir = folders.pop()) {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }))
      if (entry.isDirectory() && entry.name !== "lockeddir") folders.push(path.join(dir, entry.name));
    fs.chmodSync(dir, 0o555);
  }
}

/** Every path under `dir` with its size and content hash: what "nothing changed" compares. */
function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (current: string) => {
    for (const entry of fs.readdirSync(current, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(current, entry.name);
      const stat = fs.lstatSync(full);
      out.push(
        `${path.relative(dir, full)} ${stat.mode.toString(8)} ${stat.isFile() ? `${stat.size} ${stat.mtimeMs}` : ""}`,
      );
      if (entry.isDirectory() && (stat.mode & 0o444) !== 0) walk(full);
    }
  };
  walk(dir);
  return out;
}

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

const isRoot = process.getuid?.() === 0;

function runCase(command: Command, args: string[], cwd: string, options: CaseOptions = {}): Promise<Result> {
  return new Promise((resolve) => {
    const env = { ...process.env, ...options.env };
    delete env.INIT_CWD;
    delete env.DEBUG;
    const child = spawn(
      process.execPath,
      ["--require", require.resolve("tsx/cjs"), path.join(PROJECT_ROOT, "cli", `${command}.ts`), ...args],
      {
        cwd,
        env,
        ...(options.unprivileged && isRoot ? { uid: 65534, gid: 65534 } : {}),
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/** Runs `jobs` with at most `limit` at once. */
async function pool<T>(jobs: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < jobs.length) {
        const index = next++;
        results[index] = await jobs[index]();
      }
    }),
  );
  return results;
}

describe("CLI error contract", () => {
  it(`answers each of ${CASES.length} mistakes with one clear line, exit 1, nothing on stdout and nothing written`, async function () {
    this.timeout(600_000);
    assert.ok(CASES.length >= 150, `${CASES.length} cases`);
    const distinct = new Set(CASES.map(([command, args]) => JSON.stringify([command, args])));
    assert.equal(distinct.size, CASES.length, "every case is a distinct input");
    const root = tempDir("cli-errors-");
    fs.chmodSync(root, 0o755);
    const template = path.join(root, "template");
    buildFixture(template);
    const failures: string[] = [];
    await pool(
      CASES.map(([command, args, expected, options], i) => async () => {
        const dir = path.join(root, `case-${i}`);
        fs.cpSync(template, dir, { recursive: true, preserveTimestamps: true });
        restrict(dir, options?.unprivileged ?? false);
        const before = listing(dir);
        const result = await runCase(command, args, dir, options);
        const label = `case ${i}: ${command} ${args.map((a) => (a.length > 40 ? `${a.slice(0, 20)}…` : JSON.stringify(a))).join(" ")}`;
        const lines = result.stderr.split("\n").filter(Boolean);
        const problems = [
          result.status !== 1 && `exit status ${result.status}`,
          result.stdout !== "" && `stdout: ${result.stdout.slice(0, 200)}`,
          lines.length !== 1 && `${lines.length} lines on stderr`,
          !/^error: /.test(lines[0] ?? "") && "stderr does not start with error:",
          /internal error|\n\s+at /.test(result.stderr) && "internal error or stack trace",
          !expected.test((lines[0] ?? "").replace(/^error: /, "")) && `expected ${expected}`,
          JSON.stringify(listing(dir)) !== JSON.stringify(before) && "the folder changed",
        ].filter(Boolean);
        if (problems.length)
          failures.push(`${label}\n    ${problems.join("; ")}\n    stderr: ${result.stderr.slice(0, 400)}`);
      }),
      Math.max(2, Math.min(6, os.availableParallelism() * 2)),
    );
    assert.equal(failures.length, 0, `\n${failures.join("\n")}`);
  });
});
