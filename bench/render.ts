// npm run bench:render — how fast catalogs become snapshots.
// Synthesizes catalogs of 1,000 and 4,000 benchmarks (inheritance chains three deep), times
// load + resolve + build + write, and compares with the floor: YAML-serializing the same
// objects. Each size runs in its own process so that peak RSS is its own.
// Targets: marginal cost per benchmark ≤ 3× the floor's, linear growth, peak RSS < 400 MB at 4,000.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { prepareRun } from "../lib/plan/prepare";
import { manifestYaml, writeSnapshots } from "../lib/snapshot/snapshot";

const SIZES = [1000, 4000];
const FLAVOURS = [
  "k8s_service {}",
  'gateway { envoy { epp { image: "registry.k8s.io/gateway-api-inference-extension/epp:v1.5.0" } } }',
  "gateway { inference_api: V1ALPHA2 full_duplex_streaming_enabled: true envoy { epp { image: " +
    '"registry.k8s.io/gateway-api-inference-extension/epp:v0.3.0" } } }',
  'gateway { envoy { lb_policy: "LeastRequest" } }',
];

/** One file per 100 benchmarks: groups of a root and chains three deep below it. */
function synthesize(dir: string, count: number): void {
  for (let file = 0; file * 100 < count; file++) {
    const lines: string[] = [];
    for (let i = file * 100; i < Math.min(count, (file + 1) * 100); i++) {
      const depth = i % 4;
      const root = i - depth;
      if (depth === 0) {
        lines.push(`benchmarks { name: "b${i}" config {
  model_server { image: "vllm/vllm-openai:v0.10.2" accelerator: "nvidia-h100-80gb" replicas: ${1 + (i % 8)} vllm { model: "meta-llama/Llama-3.1-8B-Instruct" } }
  load_balancer { k8s_service {} }
  benchmark_tool { image: "lpg@sha256:0123" lpg { benchmark_time_seconds: "60" } } } }`);
      } else {
        lines.push(
          `benchmarks { name: "b${i}" base_benchmark_name: "b${i - 1}" config { load_balancer { ${FLAVOURS[depth]} ` +
            `} model_server { replicas: ${depth + 1} } } }`,
        );
      }
      void root;
    }
    fs.writeFileSync(path.join(dir, `catalog-${String(file).padStart(3, "0")}.pbtxt`), lines.join("\n"));
  }
}

interface Measurement {
  size: number;
  seconds: number;
  floorSeconds: number;
  peakRssMb: number;
}

function measure(size: number): Measurement {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "bench-render-"));
  const catalogDir = path.join(work, "catalog");
  fs.mkdirSync(catalogDir);
  synthesize(catalogDir, size);
  const start = process.hrtime.bigint();
  const prepared = prepareRun({ catalogs: [catalogDir], runId: "bench001", outputDir: path.join(work, "output") });
  writeSnapshots(
    prepared.flatMap((p) => p.files),
    false,
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const floorStart = process.hrtime.bigint();
  for (const p of prepared) for (const objects of Object.values(p.built.manifests)) manifestYaml(objects);
  const floorSeconds = Number(process.hrtime.bigint() - floorStart) / 1e9;
  fs.rmSync(work, { recursive: true, force: true });
  return { size, seconds, floorSeconds, peakRssMb: process.resourceUsage().maxRSS / 1024 };
}

if (process.argv[2] === "--size") {
  process.stdout.write(JSON.stringify(measure(Number(process.argv[3]))));
} else {
  const results: Measurement[] = SIZES.map((size) => {
    const child = spawnSync(process.execPath, [...process.execArgv, __filename, "--size", String(size)], {
      encoding: "utf8",
    });
    if (child.status !== 0) throw new Error(child.stderr);
    return JSON.parse(child.stdout) as Measurement;
  });
  for (const r of results) {
    console.log(
      `${r.size} benchmarks: ${r.seconds.toFixed(2)} s (${Math.round(r.size / r.seconds)} ` +
        `benchmarks/s), floor (YAML only) ${r.floorSeconds.toFixed(2)} s, peak RSS ${r.peakRssMb.toFixed(0)} ` +
        `MB`,
    );
  }
  const [small, large] = results;
  const marginal = (large.seconds - small.seconds) / (large.size - small.size);
  const floorPerBenchmark = large.floorSeconds / large.size;
  const ratio = marginal / floorPerBenchmark;
  const growth = large.seconds / small.seconds / (large.size / small.size);
  console.log(
    `marginal cost ${(marginal * 1000).toFixed(2)} ms/benchmark = ${ratio.toFixed(2)}× the floor ` +
      `(${(floorPerBenchmark * 1000).toFixed(2)} ms) — target ≤ 3×: ${ratio <= 3 ? "met" : "MISSED"}`,
  );
  console.log(`growth ${growth.toFixed(2)}× linear (1.00 is linear) — ${growth < 1.3 ? "linear" : "SUPERLINEAR"}`);
  console.log(
    `peak RSS at ${large.size}: ${large.peakRssMb.toFixed(0)} MB — target < 400 MB: ${large.peakRssMb < 400 ? "met" : "MISSED"}`,
  );
}
