// Shared test helpers: the ../shared folder, temporary folders, running CLIs.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const PROJECT_ROOT = path.resolve(__dirname, "..");

/**
 * The shared reference folder (INFERENCE_BENCH_SHARED, else ../shared). In CI it must exist;
 * elsewhere a test that needs it is skipped with the reason printed.
 */
export function sharedDir(context: Mocha.Context): string {
  const dir = process.env.INFERENCE_BENCH_SHARED ?? path.resolve(PROJECT_ROOT, "..", "shared");
  if (fs.existsSync(dir)) return dir;
  const reason = `shared reference folder not found at ${dir} (set INFERENCE_BENCH_SHARED)`;
  if (process.env.CI) throw new Error(reason);
  console.log(`      skipped: ${reason}`);
  context.skip();
}

export function tempDir(prefix = "inference-bench-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one of the project's CLIs (cli/<name>.ts) the way `npm run -s <name> --` does. */
export function runCli(
  name: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): CliResult {
  const tsx = path.join(PROJECT_ROOT, "node_modules", ".bin", "tsx");
  const result = spawnSync(tsx, [path.join(PROJECT_ROOT, "cli", `${name}.ts`), ...args], {
    cwd: options.cwd ?? PROJECT_ROOT,
    encoding: "utf8",
    env: { ...process.env, ...options.env },
    timeout: 120_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A small deterministic random number generator, so that property tests are reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
