// npm run bench:parse — the text-format parser against Python's text_format, side by side.
// Python runs when /usr/bin/python3 (or $PYTHON) has google.protobuf and protoc is on PATH:
// both with its default backend and with the pure-Python one (PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION=python).
// Targets: a 10,000-benchmark catalog parses at least 2× faster than Python; a single 50 MB
// string literal parses in ≤ 2 s; time per byte stays flat as inputs grow (linear growth).
// Each measurement is the median of several runs after a warm-up.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BenchmarksType, PROTO_FILE } from "../proto/schema";
import { parseTextFormat } from "../proto/textformat";

const PYTHON = process.env.PYTHON ?? "/usr/bin/python3";

/** A catalog of `count` benchmarks in the style of the seed's: comments, nesting, every value kind. */
function synthesizeCatalog(count: number): string {
  const lines = ["# proto-file: proto/benchmark.proto", "# proto-message: Benchmarks", ""];
  for (let i = 0; i < count; i++) {
    const flavour =
      i % 3 === 0
        ? "k8s_service {}"
        : `gateway {\n      envoy { epp { image: ` +
          `"registry.k8s.io/gateway-api-inference-extension/epp:v1.5.0" refresh_metrics_interval: ` +
          `"50ms" } }\n      full_duplex_streaming_enabled: ${i % 2 ? "true" : "false"}\n      ` +
          `inference_api: ${i % 5 ? "V1" : "V1ALPHA2"}\n    }`;
    lines.push(`# benchmark ${i}: replicas ${1 + (i % 8)}
benchmarks {
  name: "bench-${i}"
  ${i % 4 ? `base_benchmark_name: "bench-${i - 1}"` : ""}
  benchmark_case { name: "case ${i}" description: "H100, ${1 + (i % 8)} replicas, \\"quoted\\", caf\\303\\251" }
  config {
    model_server {
      image: "vllm/vllm-openai:v0.10.2"
      accelerator: "nvidia-h100-80gb"
      replicas: ${1 + (i % 8)}
      vllm { tensor_parallelism: "${1 + (i % 2)}" model: "meta-llama/Llama-3.1-8B-Instruct" v1: "1" }
    }
    load_balancer {
    ${flavour}
    }
    benchmark_tool {
      image: 'us-docker.pkg.dev/gke-inference-gateway-dev/benchmark/benchmark-tool@sha256:1fe4991ec1e9'
      lpg { request_rates: "10,20,30,40" benchmark_time_seconds: "60" output_length: "1024" models: "meta-llama/Llama-3.1-8B-Instruct" }
    }
  }
}`);
  }
  return `${lines.join("\n")}\n`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Median seconds to parse `text` (a warm-up run first). */
function timeOurs(text: string, runs: number): number {
  parseTextFormat(BenchmarksType, text, "bench.pbtxt");
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    parseTextFormat(BenchmarksType, text, "bench.pbtxt");
    times.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  return median(times);
}

const PYTHON_TIMER = `
import json, sys, time
sys.path.insert(0, sys.argv[1])
from google.protobuf import text_format
from google.protobuf.internal import api_implementation
import benchmark_pb2
runs = int(sys.argv[3])
results = {"backend": api_implementation.Type(), "times": {}}
for path in sys.argv[4:]:
    text = open(path, encoding="utf-8").read()
    text_format.Parse(text, benchmark_pb2.Benchmarks())
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        text_format.Parse(text, benchmark_pb2.Benchmarks())
        times.append(time.perf_counter() - start)
    times.sort()
    results["times"][path] = times[len(times) // 2]
json.dump(results, open(sys.argv[2], "w"))
`;

interface PythonResult {
  backend: string;
  times: Record<string, number>;
}

/** Python's text_format on the same files, or the reason it could not run. */
function timePython(workDir: string, files: string[], runs: number, pureParser: boolean): PythonResult | string {
  const generated = path.join(workDir, "python");
  fs.mkdirSync(generated, { recursive: true });
  const protoc = spawnSync(
    "protoc",
    [`-I${path.dirname(PROTO_FILE)}`, "-I/usr/include", `--python_out=${generated}`, PROTO_FILE],
    { encoding: "utf8" },
  );
  if (protoc.error || protoc.status !== 0)
    return (
      `protoc is not available (${protoc.error?.message ?? protoc.stderr.trim()}); apt-get install ` +
      `protobuf-compiler`
    );
  const script = path.join(workDir, "timer.py");
  const out = path.join(workDir, `python-${pureParser}.json`);
  fs.writeFileSync(script, PYTHON_TIMER);
  const env = { ...process.env, ...(pureParser ? { PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION: "python" } : {}) };
  const run = spawnSync(PYTHON, [script, generated, out, String(runs), ...files], {
    encoding: "utf8",
    env,
    timeout: 900_000,
  });
  if (run.error || run.status !== 0)
    return (
      `${PYTHON} could not run text_format ` +
      `(${run.error?.message ?? run.stderr.trim().split("\n").pop()}); apt-get install ` +
      `python3-protobuf`
    );
  return JSON.parse(fs.readFileSync(out, "utf8")) as PythonResult;
}

function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

function main(): void {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-parse-"));
  const sizes = [1250, 2500, 5000, 10000];
  const catalogs = sizes.map((count) => {
    const file = path.join(workDir, `catalog-${count}.pbtxt`);
    fs.writeFileSync(file, synthesizeCatalog(count));
    return { count, file, text: fs.readFileSync(file, "utf8") };
  });
  const stringSizes = [12.5, 25, 50];
  const strings = stringSizes.map((mb) => {
    const file = path.join(workDir, `string-${mb}mb.pbtxt`);
    const length = Math.round(mb * 1024 * 1024);
    fs.writeFileSync(file, `benchmarks { name: "${"a".repeat(length)}" }\n`);
    return { mb, file, text: fs.readFileSync(file, "utf8") };
  });
  const escapedFile = path.join(workDir, "string-50mb-escaped.pbtxt");
  fs.writeFileSync(
    escapedFile,
    `benchmarks { name: "${"abcdefgh\\n\\303\\251\\u00e9".repeat(Math.round((50 * 1024 * 1024) / 25))}" }\n`,
  );
  const escaped = fs.readFileSync(escapedFile, "utf8");

  const ours = new Map<string, number>();
  for (const c of catalogs) ours.set(c.file, timeOurs(c.text, 7));
  for (const s of strings) ours.set(s.file, timeOurs(s.text, 3));
  ours.set(escapedFile, timeOurs(escaped, 3));
  const rss = peakRssMb();

  const files = [...catalogs.map((c) => c.file), ...strings.map((s) => s.file)];
  const pythonDefault = timePython(workDir, files, 3, false);
  const pythonPure = timePython(
    workDir,
    catalogs.map((c) => c.file),
    3,
    true,
  );

  const mb = (file: string) => fs.statSync(file).size / (1024 * 1024);
  const row = (label: string, file: string) => {
    const mine = ours.get(file)!;
    const py = typeof pythonDefault === "string" ? undefined : pythonDefault.times[file];
    const pure = typeof pythonPure === "string" ? undefined : pythonPure.times[file];
    const cell = (t: number | undefined) => (t === undefined ? "–" : `${t.toFixed(3)} s (${(t / mine).toFixed(1)}×)`);
    return (
      `${label.padEnd(34)} ${mb(file).toFixed(1).padStart(7)} MB ${mine.toFixed(3).padStart(8)} s ${(mb(file) / mine).toFixed(0).padStart(6)} ` +
      `MB/s   ${cell(py).padEnd(20)} ${cell(pure)}`
    );
  };
  const backend = typeof pythonDefault === "string" ? "python" : `python (${pythonDefault.backend})`;
  console.log(
    `${"input".padEnd(34)} ${"size".padStart(10)} ${"ours".padStart(10)} ${"speed".padStart(11)}  ` +
      ` ${backend.padEnd(20)} python (pure)`,
  );
  for (const c of catalogs) console.log(row(`${c.count.toLocaleString("en-US")} benchmarks`, c.file));
  for (const s of strings) console.log(row(`one ${s.mb} MB string`, s.file));
  console.log(row("one 50 MB string, escapes every 25 B", escapedFile));
  for (const reason of [pythonDefault, pythonPure])
    if (typeof reason === "string") console.log(`python skipped: ${reason}`);
  console.log(`peak RSS of this process: ${rss} MB`);

  const failures: string[] = [];
  const largest = catalogs[catalogs.length - 1];
  const ourLargest = ours.get(largest.file)!;
  for (const python of [pythonDefault, pythonPure]) {
    if (typeof python === "string") continue;
    const ratio = python.times[largest.file] / ourLargest;
    const label = python === pythonDefault ? `python (${python.backend})` : "python (pure)";
    console.log(`10,000 benchmarks: ${ratio.toFixed(1)}× faster than ${label} (target ≥ 2×)`);
    if (ratio < 2) failures.push(`only ${ratio.toFixed(1)}× faster than ${label}`);
  }
  const fifty = ours.get(strings[strings.length - 1].file)!;
  console.log(
    `50 MB string: ${fifty.toFixed(3)} s (target ≤ 2 s); with escapes: ${ours.get(escapedFile)!.toFixed(3)} s`,
  );
  if (fifty > 2) failures.push(`the 50 MB string took ${fifty.toFixed(2)} s`);
  const perByte = (file: string) => ours.get(file)! / fs.statSync(file).size;
  for (const series of [catalogs.map((c) => c.file), strings.map((s) => s.file)]) {
    const growth = perByte(series[series.length - 1]) / perByte(series[0]);
    console.log(`time per byte, largest ÷ smallest input: ${growth.toFixed(2)} (linear: ≈ 1; target ≤ 1.5)`);
    if (growth > 1.5) failures.push(`time per byte grows ${growth.toFixed(2)}× from the smallest to the largest input`);
  }
  fs.rmSync(workDir, { recursive: true, force: true });
  console.log(failures.length ? `FAIL: ${failures.join("; ")}` : "PASS: every target met");
  process.exitCode = failures.length ? 1 : 0;
}

if (require.main === module) main();
