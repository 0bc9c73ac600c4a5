// npm run bench:pod-sampler — the per-pod sampler's overhead in the load generator's pod.
// 16 fake vLLM pods (tests/fake_model_pods.py: vLLM's own metric declarations rendered by
// prometheus_client, as vLLM serves them) with traffic flowing, and the sampler itself
// (lib/manifests/scripts/pod_metrics.py) scraping them. It measures the sampler's CPU time and
// the bytes it writes per scrape round, and extrapolates to one benchmark-hour at the default
// 5 s interval (720 rounds, plus two per rate). Targets: ≤ 5 MB per benchmark-hour at 16 pods;
// CPU a small fraction of one core.
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { POD_METRIC_NAMES, SCRAPE_INTERVAL_SECONDS } from "../lib/manifests/pod-sampler";

const PODS = 16;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const INTERVAL = 1;
const PORT = 20000 + Math.floor(Math.random() * 20000);
const MB = 1e6;

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-pod-sampler-"));
  fs.writeFileSync(path.join(dir, "token"), "bench-token\n");
  const pods = Array.from({ length: PODS }, (_, i) => ({
    name: `model-server-deployment-7d9f-${i}`,
    ip: `127.0.0.${21 + i}`,
    weight: 1,
    hit_ratio: (i % 4) / 4,
  }));
  const config = { port: PORT, service_ip: "127.0.0.20", token: "bench-token", namespace: "bench", pods };
  const fake = spawn(
    "/usr/bin/python3",
    [path.join(__dirname, "..", "tests", "fake_model_pods.py"), JSON.stringify(config)],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  await new Promise<void>((resolve, reject) => {
    fake.stdout!.on("data", (chunk) => String(chunk).includes("ready") && resolve());
    fake.on("exit", (code) => reject(new Error(`fake pods exited ${code}`)));
  });
  // Traffic, so that counters move and gauges change while the sampler runs.
  const traffic = setInterval(() => {
    for (let i = 0; i < PODS; i++) {
      void fetch(`http://127.0.0.20:${PORT}/v1/completions`, {
        method: "POST",
        body: JSON.stringify({ max_tokens: 4 }),
      }).catch(() => undefined);
    }
  }, 200);
  const script = `
import json, resource, sys, time
sys.path.insert(0, ${JSON.stringify(path.join(__dirname, "..", "lib", "manifests", "scripts"))})
import pod_metrics
env = {"POD_METRICS_NAMESPACE": "bench", "POD_METRICS_SELECTOR": "app=model-server-deployment", "POD_METRICS_PORT": "${PORT}",
       "POD_METRICS_INTERVAL": "${INTERVAL}", "POD_METRICS_TIMEOUT": "3", "POD_METRICS_KEEP": ${JSON.stringify(Object.values(POD_METRIC_NAMES).flat().join(","))},
       "KUBE_API": "http://127.0.0.20:${PORT}", "KUBE_TOKEN_FILE": ${JSON.stringify(path.join(dir, "token"))}}
before = resource.getrusage(resource.RUSAGE_SELF)
started = time.time()
sampler = pod_metrics.PodSampler(env, ${JSON.stringify(path.join(dir, "pod-metrics.jsonl"))}, lambda text: print(text, file=sys.stderr)).start()
time.sleep(${SECONDS})
archive, scrapes, size = sampler.stop()
after = resource.getrusage(resource.RUSAGE_SELF)
import os
print(json.dumps({"seconds": time.time() - started, "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
  "scrapes": scrapes, "bytes": size, "gzipped": os.path.getsize(archive)}))
`;
  const run = spawnSync("/usr/bin/python3", ["-c", script], { encoding: "utf8" });
  clearInterval(traffic);
  fake.stdin!.end();
  if (run.status !== 0) throw new Error(run.stderr);
  const m = JSON.parse(run.stdout) as { seconds: number; cpu: number; scrapes: number; bytes: number; gzipped: number };
  const rounds = m.scrapes / PODS;
  const roundsPerHour = 3600 / SCRAPE_INTERVAL_SECONDS;
  const perHour = (bytes: number) => (bytes / rounds) * roundsPerHour;
  const fullExposition = spawnSync("curl", ["-s", `http://127.0.0.21:${PORT}/metrics`]).stdout?.length ?? 0;
  console.log(
    `per-pod sampler, ${PODS} fake vLLM pods, ${m.seconds.toFixed(0)} s at ${INTERVAL} s: ${m.scrapes} ` +
      `scrapes (${rounds.toFixed(0)} rounds)`,
  );
  console.log(
    `  bytes per scrape: ${(m.bytes / m.scrapes).toFixed(0)} kept (of ${fullExposition || "?"} in ` +
      `the whole exposition)`,
  );
  console.log(
    `  per benchmark-hour at ${SCRAPE_INTERVAL_SECONDS} s, ${PODS} pods: ${(perHour(m.bytes) / MB).toFixed(2)} ` +
      `MB pod-metrics.jsonl, ` +
      `${(perHour(m.gzipped) / MB).toFixed(2)} MB gzipped in the pod's log (target ≤ 5 MB)`,
  );
  console.log(
    `  CPU: ${((1000 * m.cpu) / rounds).toFixed(1)} ms per round of ${PODS} pods; at ${SCRAPE_INTERVAL_SECONDS} s, ` +
      `${((100 * m.cpu) / rounds / SCRAPE_INTERVAL_SECONDS).toFixed(2)}% of one core`,
  );
  fs.rmSync(dir, { recursive: true, force: true });
  if (perHour(m.bytes) > 5 * MB && perHour(m.gzipped) > 5 * MB) process.exitCode = 1;
}

void main();
