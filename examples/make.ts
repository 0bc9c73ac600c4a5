// Regenerates examples/example1 from ../shared (not run in CI): the snapshot from examples/catalog.pbtxt
// with the real manifests command, the LPG benchmarks' results from the real LPG against its fake
// server (as tests/lpg-runs.ts runs it), and the inference-perf benchmark's from a real v0.6.1 run
// against its fake server, kept in ../shared; then docs/report.png (examples/screenshot.ts).
// Usage: npm run -s example:make
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { runRealLpg } from "../tests/real-lpg";

const RUN_ID = "example1";
const EXAMPLES = __dirname;
const PROJECT_ROOT = path.resolve(EXAMPLES, "..");
const SHARED = process.env.INFERENCE_BENCH_SHARED ?? path.resolve(PROJECT_ROOT, "..", "shared");
const LPG_KIT = path.join(SHARED, "reference", "lpg");
// Its poisson 8 and 16 requests/s stages, chat, shared prefix: what examples/catalog.pbtxt plans for example-svc-ip.
const INFERENCE_PERF_RUN = path.join(SHARED, "reference", "inference-perf", "runs", "b-poisson-shared-prefix-chat");
const LPG_BENCHMARKS = ["example-svc", "example-envoy-epp"];
const LPG_ENV = { BENCHMARK_TIME_SECONDS: "30", REQUEST_RATES: "4,8,16", MODELS: "meta-llama/Llama-2-7b-hf" };

function tsx(script: string, ...args: string[]): void {
  const result = spawnSync(process.execPath, [require.resolve("tsx/cli"), script, ...args], { stdio: "inherit" });
  if (result.status !== 0) throw new Error(`${path.basename(script)} exited ${result.status}`);
}

function resultsDir(benchmark: string): string {
  return path.join(EXAMPLES, RUN_ID, `${benchmark}-${RUN_ID}`, "results");
}

async function main(): Promise<void> {
  if (!fs.existsSync(LPG_KIT)) throw new Error(`${LPG_KIT}: not found (set INFERENCE_BENCH_SHARED)`);
  fs.rmSync(path.join(EXAMPLES, RUN_ID), { recursive: true, force: true });
  tsx(
    path.join(PROJECT_ROOT, "cli", "manifests.ts"),
    "--catalog",
    path.join(EXAMPLES, "catalog.pbtxt"),
    "--run-id",
    RUN_ID,
    "--output",
    EXAMPLES,
  );
  for (const benchmark of LPG_BENCHMARKS) {
    const run = await runRealLpg(LPG_KIT, "c29b163", { env: LPG_ENV });
    if (run.exitStatus !== 0 || run.jsonFiles.length === 0) {
      throw new Error(`real LPG run failed: ${run.podLog.slice(-2000)}`);
    }
    fs.mkdirSync(resultsDir(benchmark), { recursive: true });
    for (const file of [...run.jsonFiles, ...run.txtFiles]) {
      fs.copyFileSync(path.join(run.workDir, file), path.join(resultsDir(benchmark), file));
    }
    fs.rmSync(run.workDir, { recursive: true, force: true });
  }
  const report = fs.readdirSync(INFERENCE_PERF_RUN).find((name) => name.startsWith("reports-"));
  if (!report) throw new Error(`${INFERENCE_PERF_RUN}: no reports-* folder`);
  const inferencePerf = path.join(resultsDir("example-svc-ip"), "inference-perf");
  fs.cpSync(path.join(INFERENCE_PERF_RUN, report), inferencePerf, { recursive: true });
  // The reference files are read-only; the copies are the repository's to rewrite next time.
  for (const file of fs.readdirSync(inferencePerf)) fs.chmodSync(path.join(inferencePerf, file), 0o644);
  tsx(path.join(EXAMPLES, "screenshot.ts"));
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
