// Runs the real Latency Profile Generator (AI-Hypercomputer/inference-benchmark, both commits kept
// in ../shared/reference/lpg) against its fake OpenAI server, through run-lpg.sh, so that tests
// parse files the real tool wrote. Needs Debian's python3 packages (see that folder's README);
// CI installs them (.ci/run). The LPG serves its own Prometheus metrics on port 9090, so two runs
// on one host collide ("Address already in use"): runs are queued, one at a time, under a host-wide
// lock (flock), and a run that still met a busy port is repeated.
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { sharedDir, tempDir } from "./helpers";

export type LpgCommit = "07628c9" | "c29b163";

export interface LpgRun {
  /** The LPG's working directory: its result files, pod.log, exit_status.txt. */
  workDir: string;
  /** Everything the entry script printed: what `kubectl logs` would show. */
  podLog: string;
  /** The entry script's exit status. */
  exitStatus: number;
  /** Result files the LPG wrote, by name. */
  jsonFiles: string[];
  txtFiles: string[];
}

const PYTHON_MODULES = ["aiohttp", "numpy", "requests", "google.auth", "prometheus_client", "google.protobuf"];

/**
 * The LPG kit's folder, or a visible skip (a failure in CI) when ../shared or the Python
 * packages the LPG needs are missing.
 */
export function lpgKit(context: Mocha.Context): string {
  const kit = path.join(sharedDir(context), "reference", "lpg");
  const check = spawnSync("/usr/bin/python3", ["-c", `import ${PYTHON_MODULES.join(", ")}`], { encoding: "utf8" });
  if (check.status !== 0) {
    const reason =
      `the real LPG needs Debian's python3 packages (apt-get install python3-aiohttp python3-numpy ` +
      `python3-requests python3-google-auth python3-prometheus-client python3-protobuf): ${check.stderr.trim().split("\n").pop()}`;
    if (process.env.CI) throw new Error(reason);
    console.log(`      skipped: ${reason}`);
    context.skip();
  }
  return kit;
}

/**
 * Runs one LPG commit as its container would: `entry` (default: the LPG's own
 * latency_throughput_curve.sh; or a wrapper script's path) with `env` overriding the LPG's and
 * the fake server's environment (FAIL_EVERY=4, V1_METRICS=1, STREAM_REQUEST=true, REQUEST_RATES=...).
 */
let queue: Promise<unknown> = Promise.resolve();

/** Other test processes on the host (other checkouts, parallel CI jobs) take the same lock for port 9090. */
const PORT_LOCK = path.join(os.tmpdir(), "inference-bench-lpg-port-9090.lock");
const PORT_IN_USE = "[Errno 98] Address already in use";
const ATTEMPTS = 3;

export function runRealLpg(
  kit: string,
  commit: LpgCommit,
  options: { entry?: string; env?: Record<string, string>; workDir?: string } = {},
): Promise<LpgRun> {
  const run = queue.then(() => runWithRetries(kit, commit, options));
  queue = run.catch(() => undefined);
  return run;
}

/** A process that does not take the lock may still hold port 9090: such a run is repeated, from a clean folder. */
async function runWithRetries(
  kit: string,
  commit: LpgCommit,
  options: { entry?: string; env?: Record<string, string>; workDir?: string },
): Promise<LpgRun> {
  for (let attempt = 1; ; attempt++) {
    if (options.workDir) fs.rmSync(options.workDir, { recursive: true, force: true });
    const run = await runNow(kit, commit, options);
    if (!run.podLog.includes(PORT_IN_USE) || attempt === ATTEMPTS) return run;
    await new Promise((resolve) => setTimeout(resolve, 2000 * attempt));
  }
}

function runNow(
  kit: string,
  commit: LpgCommit,
  options: { entry?: string; env?: Record<string, string>; workDir?: string },
): Promise<LpgRun> {
  const workDir = options.workDir ?? tempDir(`lpg-${commit}-`);
  const args = [
    path.join(kit, "run-lpg.sh"),
    commit,
    workDir,
    ...(options.entry ? [options.entry] : []),
    ...Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`),
  ];
  const locked = fs.existsSync("/usr/bin/flock")
    ? (["/usr/bin/flock", [PORT_LOCK, "bash", ...args]] as const)
    : (["bash", args] as const);
  return new Promise((resolve, reject) => {
    // run-lpg.sh starts the fake server with the `python3` on PATH: Debian's, which has the packages.
    const child = spawn(locked[0], [...locked[1]], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, PATH: `/usr/bin:/bin:${process.env.PATH}` },
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`run-lpg.sh ${commit} exited ${code}: ${stderr.trim()}`));
      const files = fs.readdirSync(workDir);
      resolve({
        workDir,
        podLog: fs.readFileSync(path.join(workDir, "pod.log"), "utf8"),
        exitStatus: Number(
          /exit (\d+)/.exec(fs.readFileSync(path.join(workDir, "exit_status.txt"), "utf8"))?.[1] ?? NaN,
        ),
        jsonFiles: files.filter((f) => f.endsWith(".json") && f.startsWith("benchmark-catalog-")).sort(),
        txtFiles: files.filter((f) => /^latency-profile-.*\.txt$/.test(f)).sort(),
      });
    });
  });
}

/**
 * An entry script that runs the LPG's own latency_throughput_curve.sh with `sleep` made instant:
 * 07628c9 sleeps 30 s between rates and forever after the last, which only spaces its Cloud
 * Monitoring queries apart and changes nothing in the files it writes. The script then ends by
 * itself, as c29b163 does with POST_BENCHMARK_SLEEP_TIME=0.
 */
export function instantSleepEntry(): string {
  const file = path.join(tempDir("lpg-entry-"), "instant-sleep.sh");
  fs.writeFileSync(
    file,
    `#!/bin/bash
shim="$(mktemp -d)"
printf '#!/bin/sh\\nexit 0\\n' > "$shim/sleep"; chmod +x "$shim/sleep"
PATH="$shim:$PATH" exec bash ./latency_throughput_curve.sh
`,
    { mode: 0o755 },
  );
  return file;
}
