// The two load generators in the catalog and in the manifests: inference-perf's settings, its
// config.yml against the strict schema derived from inference-perf v0.6.1's pydantic models
// (../shared/reference/inference-perf/config.schema.json, draft 2020-12, unknown keys are errors,
// because the tool itself silently ignores them), the LPG's new settings, and the Job's wrapper.

import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv2020, { type ValidateFunction } from "ajv/dist/2020";
import YAML from "yaml";
import { loadCatalogs, resolveCatalogText } from "../lib/catalog/catalog";
import { DEFAULT_IMAGES } from "../lib/catalog/defaults";
import { scaleRates } from "../lib/catalog/rates";
import { requestRatesOf, toolModels, toolPort } from "../lib/catalog/tool";
import { UserError } from "../lib/errors";
import { buildBenchmark, type K8sObject } from "../lib/manifests";
import { RESULT_MARKERS, WRAPPER_FILES } from "../lib/manifests/load-generator";
import { INFERENCE_PERF_REPORT_DIR } from "../lib/manifests/load-generator-inference-perf";
import { ADDRESS_FILE, READINESS_CONTAINER } from "../lib/manifests/readiness";
import { parseResultLog } from "../lib/tool-output/log-archive";
import { readToolLog } from "../lib/tool-output/tool-log";
import { PROJECT_ROOT, sharedDir, tempDir } from "./helpers";

const RUN = "t12run01";
const SIM = 'model_server { sim { model: "m/x" } replicas: 1 }';
const H100 =
  'model_server { accelerator: "nvidia-h100-80gb" replicas: 2 vllm { model: "meta-llama/Llama-3.1-8B-Instruct" } }';

function one(text: string) {
  return resolveCatalogText(text, "t.pbtxt")[0];
}

function errorOf(fn: () => unknown): UserError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof UserError, `expected a UserError, got ${error}`);
    return error;
  }
  assert.fail("expected an error");
}

function ip(fields: string, server = SIM, lb = "k8s_service {}"): string {
  return (
    `benchmarks { name: "ip" config {\n ${server}\n load_balancer { ${lb} }\n benchmark_tool { ` +
    `inference_perf { ${fields} } } } }`
  );
}

function jobOf(objects: K8sObject[]): any {
  return objects.find((o) => o.kind === "Job");
}

function configMapOf(objects: K8sObject[]): any {
  return objects.find((o) => o.kind === "ConfigMap");
}

describe("load generators: catalog", () => {
  it("resolves inference-perf with explicit defaults: the pinned image, random data, seed and workers set", () => {
    const b = one(ip('request_rates: "5,10"'));
    assert.equal(b.loadGenerator, "inference-perf");
    const tool = b.benchmark.config!.benchmark_tool!;
    assert.equal(tool.image, "quay.io/inference-perf/inference-perf:v0.6.1");
    const p = tool.inference_perf!;
    assert.deepEqual(
      [p.load_type, p.api, p.streaming, p.model, p.tokenizer, p.port],
      ["constant", "completion", true, "m/x", "m/x", "8081"],
    );
    assert.deepEqual(
      [p.num_workers, p.base_seed, p.worker_max_concurrency, p.stage_duration_seconds, p.warmup_seconds],
      [8, 42, 100, 60, 0],
    );
    assert.deepEqual(p.random, {
      input: { min: 10, max: 1024, mean: 512, std_dev: 200, type: "normal" },
      output: { min: 10, max: 1024, mean: 512, std_dev: 200, type: "normal" },
    });
    assert.deepEqual(b.requestRates, [5, 10]);
    // 2 stages × 60 s, a 1 s interval after each, then scrape interval + 2 s.
    assert.equal(b.expectedSeconds, 2 * 60 + 2 * 1 + 15 + 2);
    assert.equal(toolPort(b.benchmark), 8081);
    assert.deepEqual(toolModels(b.benchmark), ["m/x"]);
    assert.deepEqual(requestRatesOf(b.benchmark), [5, 10]);
  });

  it("generates inference-perf stages from the same rates table and formatter as the LPG", () => {
    const b = one(ip("", H100));
    const expected = scaleRates([10, 20, 30, 40, 60, 80, 90, 100, 120, 140, 180], 2, 1, 1);
    assert.equal(b.benchmark.config!.benchmark_tool!.inference_perf!.request_rates, expected);
    assert.deepEqual(b.requestRates, expected.split(",").map(Number));
  });

  it(
    "never inherits stages: a child gets its own generated rates, and concurrency levels are not " + "inherited either",
    () => {
      const [, child] = resolveCatalogText(
        `${ip('request_rates: "1,2"', H100)}
benchmarks { name: "child" base_benchmark_name: "ip" config { model_server { replicas: 1 } } }`,
        "t.pbtxt",
      );
      assert.equal(
        child.benchmark.config!.benchmark_tool!.inference_perf!.request_rates,
        scaleRates([10, 20, 30, 40, 60, 80, 90, 100, 120, 140, 180], 1, 1, 1),
      );
      const error = errorOf(() =>
        resolveCatalogText(
          `${ip('load_type: "concurrent" concurrency_levels: "1,2"')}
benchmarks { name: "child" base_benchmark_name: "ip" config { model_server { replicas: 2 } } }`,
          "t.pbtxt",
        ),
      );
      assert.match(
        error.message,
        /^t\.pbtxt:\d+:\d+: benchmark "child": config\.benchmark_tool\.inference_perf\.concurrency_levels is required for load_type "concurrent"/,
      );
    },
  );

  it(
    "switches a child from the LPG to inference-perf: the oneof member is replaced, the image " +
      "defaults to the new member's",
    () => {
      const [base, child] = resolveCatalogText(
        `benchmarks { name: "base" config { ${SIM} load_balancer { k8s_service {} } benchmark_tool { lpg { request_rates: "3" } } } }
benchmarks { name: "child" base_benchmark_name: "base" config { benchmark_tool { inference_perf { request_rates: "4" } } } }`,
        "t.pbtxt",
      );
      assert.equal(base.loadGenerator, "lpg");
      assert.equal(child.loadGenerator, "inference-perf");
      assert.equal(child.benchmark.config!.benchmark_tool!.lpg, undefined);
      assert.equal(child.benchmark.config!.benchmark_tool!.image, DEFAULT_IMAGES.inferencePerf);
    },
  );

  it(
    "resolves concurrent load: one stage per concurrency level, 10 × level requests each by " +
      "default; its warm-up a run of its own that honours warmup_seconds",
    () => {
      const b = one(ip('load_type: "concurrent" concurrency_levels: "4,16" warmup_seconds: 5'));
      assert.deepEqual(b.requestRates, [4, 16]);
      const objects = buildBenchmark(b, { runId: RUN }).manifests["load-generator"];
      const data = configMapOf(objects).data;
      const config = YAML.parse(data["config.yml"]);
      // A concurrent stage sends num_requests and has no duration (inference-perf v0.6.1 main.py sets
      // rate = num_requests, duration = 1): no stage can last warmup_seconds, so the warm-up is not one.
      assert.deepEqual(config.load.stages, [
        { num_requests: 40, concurrency_level: 4 },
        { num_requests: 160, concurrency_level: 16 },
      ]);
      const warmup = YAML.parse(data["warmup.yml"]);
      assert.deepEqual(
        warmup.load.stages,
        [{ num_requests: 4 * 5 * 50, concurrency_level: 4 }],
        "more than 4 requests in flight answer in 5 s",
      );
      assert.equal(
        warmup.storage.local_storage.path,
        `${INFERENCE_PERF_REPORT_DIR}/warmup`,
        "a folder the wrapper does not archive",
      );
      const env = Object.fromEntries(
        (
          (objects.find((o) => o.kind === "Job") as any).spec.template.spec.containers[0].env as Array<{
            name: string;
            value?: string;
          }>
        ).map((e) => [e.name, e.value]),
      );
      assert.deepEqual(
        [env.WARMUP_SECONDS, env.WARMUP_CONCURRENCY, env.WARMUP_CONFIG_FILE?.endsWith("/warmup.yml")],
        ["5", "4", true],
      );
      // Without a warm-up, or with a rate, there is no warm-up run.
      assert.equal(
        configMapOf(
          buildBenchmark(one(ip('load_type: "concurrent" concurrency_levels: "4"')), { runId: RUN }).manifests[
            "load-generator"
          ],
        ).data["warmup.yml"],
        undefined,
      );
      assert.equal(
        configMapOf(
          buildBenchmark(one(ip('request_rates: "4" warmup_seconds: 5')), { runId: RUN }).manifests["load-generator"],
        ).data["warmup.yml"],
        undefined,
      );
    },
  );

  it(
    "gives the LPG streaming, MAX_NUM_PROMPTS and an explicit pause, and counts warm-up once and " +
      "the pauses in the run time",
    () => {
      const b = one(
        `benchmarks { name: "l" config { ${SIM} load_balancer { k8s_service {} } benchmark_tool { ` +
          `lpg { request_rates: "0,5" benchmark_time_seconds: "20" warmup_seconds: "10" } } } }`,
      );
      const lpg = b.benchmark.config!.benchmark_tool!.lpg!;
      assert.deepEqual([lpg.streaming, lpg.max_num_prompts, lpg.pause_seconds], [true, "1000", "30"]);
      assert.equal(b.expectedSeconds, 10 + 2 * (20 + 30));
      const env = Object.fromEntries(
        jobOf(buildBenchmark(b, { runId: RUN }).manifests["load-generator"]).spec.template.spec.containers[0].env.map(
          (e: any) => [e.name, e.value ?? e.valueFrom],
        ),
      );
      assert.equal(env.LOAD_GENERATOR, "lpg");
      assert.equal(env.STREAM_REQUEST, "true");
      assert.equal(env.MAX_NUM_PROMPTS, "1000");
      assert.equal(env.SLEEP_TIME, "30");
      assert.equal(env.WARMUP_SECONDS, "10");
      assert.equal(env.ADDRESS_FILE, ADDRESS_FILE);
      assert.deepEqual(env.HF_TOKEN, { secretKeyRef: { name: "hf-token", key: "token", optional: true } });
    },
  );

  /** [what is wrong, inference_perf fields, the field the message must name]. */
  const BAD: Array<[string, string, RegExp]> = [
    [
      "unknown load type",
      'load_type: "burst" request_rates: "1"',
      /load_type must be one of constant, poisson, concurrent \(got "burst"\)/,
    ],
    ["unknown api", 'api: "embeddings" request_rates: "1"', /api must be one of completion, chat/],
    [
      "chat on random data",
      'api: "chat" request_rates: "1"',
      /api "chat" is not served by inference-perf's random data \(completion only\)/,
    ],
    ["rate 0", 'request_rates: "0,5"', /request_rates must all be above 0/],
    ["bad rates", 'request_rates: "5,fast"', /request_rates must be comma-separated positive numbers/],
    [
      "levels without concurrent",
      'request_rates: "1" concurrency_levels: "2"',
      /concurrency_levels applies to load_type "concurrent" only/,
    ],
    [
      "rates with concurrent",
      'load_type: "concurrent" request_rates: "1" concurrency_levels: "2"',
      /request_rates does not apply to load_type "concurrent"/,
    ],
    [
      "fractional level",
      'load_type: "concurrent" concurrency_levels: "2.5"',
      /concurrency_levels must be comma-separated positive integers/,
    ],
    [
      "min above max",
      'request_rates: "1" random { input { min: 100 max: 10 } }',
      /random\.input\.min \(100\) must not be greater than max \(10\)/,
    ],
    [
      "unknown distribution",
      'request_rates: "1" synthetic { output { type: "zipf" } }',
      /synthetic\.output\.type must be one of normal/,
    ],
    [
      "zero groups",
      'request_rates: "1" shared_prefix { num_groups: 0 }',
      /shared_prefix\.num_groups must be at least 1/,
    ],
    [
      "negative goodput",
      'request_rates: "1" goodput { ttft_ms: -5 }',
      /goodput\.ttft_ms must be a positive number of milliseconds/,
    ],
    [
      "bad prometheus url",
      'request_rates: "1" prometheus_url: "prometheus:9090"',
      /prometheus_url must be an http\(s\) URL/,
    ],
    [
      "zero stage duration",
      'request_rates: "1" stage_duration_seconds: 0',
      /stage_duration_seconds must be at least 1/,
    ],
    ["bad port", 'request_rates: "1" port: "http"', /port must be a port number/],
  ];
  for (const [what, fields, pattern] of BAD) {
    it(`rejects ${what} with one line naming file, line and field`, () => {
      const message = errorOf(() => one(ip(fields))).message;
      assert.match(message, /^t\.pbtxt:\d+:\d+: benchmark "ip": /);
      assert.doesNotMatch(message, /\n/);
      assert.match(message, pattern);
    });
  }
});

describe("load generators: inference-perf manifests", () => {
  let validate: ValidateFunction;
  before(function () {
    const schema = JSON.parse(
      fs.readFileSync(path.join(sharedDir(this), "reference", "inference-perf", "config.schema.json"), "utf8"),
    );
    validate = new Ajv2020({ strict: false, allErrors: true, validateFormats: false }).compile(schema);
  });
  const problems = (config: unknown) =>
    validate(config)
      ? []
      : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);

  const VARIANTS: Array<[string, string, string?]> = [
    ["defaults", 'request_rates: "5"'],
    [
      "poisson, shared prefix, chat, multi-turn, goodput, warm-up",
      'load_type: "poisson" request_rates: "2,4" api: "chat" warmup_seconds: 20 shared_prefix { ' +
        "num_groups: 4 multi_turn: true } goodput { ttft_ms: 200 tpot_ms: 20 itl_ms: 20 ntpot_ms: " +
        "30 request_latency_ms: 4000 }",
    ],
    [
      "concurrent, synthetic, no streaming, timeout, warm-up",
      'load_type: "concurrent" concurrency_levels: "1,8" requests_per_stage: 50 streaming: false ' +
        'synthetic { input { type: "lognormal" } } request_timeout_seconds: 300 warmup_seconds: 30',
    ],
    [
      "shareGPT from a file, in-cluster Prometheus",
      'request_rates: "1" api: "chat" share_gpt { path: "/data/sharegpt.json" } prometheus_url: ' +
        '"http://prometheus.monitoring.svc:9090" scrape_interval_seconds: 5',
    ],
    [
      "shareGPT from the hub behind a gateway",
      'request_rates: "1" share_gpt {}',
      'gateway { envoy { epp { image: "epp:v1.5.0" } } }',
    ],
  ];

  it(
    "writes a config.yml valid against inference-perf v0.6.1's strict schema for every variant, " +
      "every catalog benchmark, with and without a GCP project",
    () => {
      const benchmarks = [
        ...VARIANTS.map(([, fields, lb]) => one(ip(fields, SIM, lb))),
        ...loadCatalogs([path.join(PROJECT_ROOT, "catalog")]).filter((b) => b.loadGenerator === "inference-perf"),
      ];
      assert.ok(benchmarks.length >= VARIANTS.length + 4);
      const found: string[] = [];
      for (const benchmark of benchmarks) {
        for (const gcpProject of [undefined, "my-project"]) {
          const data = configMapOf(
            buildBenchmark(benchmark, { runId: RUN, gcpProject }).manifests["load-generator"],
          ).data;
          for (const file of ["config.yml", "warmup.yml"].filter((f) => data[f] !== undefined)) {
            found.push(
              ...problems(YAML.parse(data[file])).map(
                (p) => `${benchmark.name}${gcpProject ? " (gcp)" : ""} ${file}: ${p}`,
              ),
            );
          }
        }
      }
      assert.deepEqual(found, []);
    },
  );

  it("is checked by a validator that rejects what inference-perf would silently ignore", () => {
    const config = YAML.parse(
      configMapOf(buildBenchmark(one(ip('request_rates: "5"')), { runId: RUN }).manifests["load-generator"]).data[
        "config.yml"
      ],
    );
    assert.deepEqual(problems(config), []);
    assert.notDeepEqual(problems({ ...config, load: { ...config.load, stage: config.load.stages } }), []);
    assert.notDeepEqual(problems({ ...config, server: { ...config.server, modelname: "x" } }), []);
  });

  it(
    "sets what the tool would otherwise pick itself, converts goodput to seconds, and scopes " +
      "Prometheus to the namespace",
    () => {
      const b = one(
        ip(
          'load_type: "poisson" request_rates: "2,4" api: "chat" warmup_seconds: 20 shared_prefix { ' +
            "num_groups: 4 } goodput { ttft_ms: 250 request_latency_ms: 4000 } prometheus_url: " +
            '"http://prom:9090"',
        ),
      );
      const config = YAML.parse(
        configMapOf(buildBenchmark(b, { runId: RUN }).manifests["load-generator"]).data["config.yml"],
      );
      assert.equal(config.load.num_workers, 8);
      assert.equal(config.load.base_seed, 42);
      assert.equal(config.data.shared_prefix.seed, 42);
      assert.deepEqual(config.load.stages, [
        { rate: 2, duration: 20 },
        { rate: 2, duration: 60 },
        { rate: 4, duration: 60 },
      ]);
      assert.deepEqual(config.report.goodput.constraints, { ttft: 0.25, request_latency: 4 });
      assert.deepEqual(config.metrics.prometheus, {
        url: "http://prom:9090",
        scrape_interval: 15,
        filters: [`namespace='ip-${RUN}'`],
      });
      assert.deepEqual(config.report.prometheus, { summary: true, per_stage: true });
      assert.equal(config.storage.local_storage.path, INFERENCE_PERF_REPORT_DIR);
      const gmp = YAML.parse(
        configMapOf(buildBenchmark(b, { runId: RUN, gcpProject: "p" }).manifests["load-generator"]).data["config.yml"],
      );
      assert.deepEqual(gmp.metrics.prometheus, {
        google_managed: true,
        scrape_interval: 15,
        filters: [`namespace='ip-${RUN}'`],
      });
      const none = YAML.parse(
        configMapOf(buildBenchmark(one(ip('request_rates: "1"')), { runId: RUN }).manifests["load-generator"]).data[
          "config.yml"
        ],
      );
      assert.equal(none.metrics, undefined);
      assert.equal(none.report.prometheus, null);
    },
  );

  it(
    "runs the wrapper under sh with the report folder on an emptyDir, the token from the Secret, " +
      "and the same readiness check as the LPG",
    () => {
      const viaService = buildBenchmark(one(ip('request_rates: "1"')), { runId: RUN }).manifests["load-generator"];
      const viaGateway = buildBenchmark(
        one(ip('request_rates: "1"', SIM, 'gateway { envoy { epp { image: "epp:v1.5.0" } } }')),
        { runId: RUN },
      ).manifests["load-generator"];
      for (const [objects, gateway] of [
        [viaService, false],
        [viaGateway, true],
      ] as const) {
        const spec = jobOf(objects).spec.template.spec;
        const container = spec.containers[0];
        assert.equal(container.image, DEFAULT_IMAGES.inferencePerf);
        assert.deepEqual(container.command, ["sh", "/inference-bench/run-benchmark.sh"]);
        const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
        assert.equal(env.LOAD_GENERATOR, "inference-perf");
        assert.equal(env.CONFIG_FILE, "/inference-bench/config.yml");
        assert.equal(env.REPORT_DIR, INFERENCE_PERF_REPORT_DIR);
        assert.equal(env.TARGET_HOST, gateway ? undefined : `model-server-service.ip-${RUN}.svc.cluster.local`);
        assert.deepEqual(env.HF_TOKEN, { secretKeyRef: { name: "hf-token", key: "token", optional: true } });
        assert.ok(
          container.volumeMounts.some((m: any) => m.name === "reports" && m.mountPath === INFERENCE_PERF_REPORT_DIR),
        );
        assert.ok(spec.volumes.some((v: any) => v.name === "reports" && v.emptyDir));
        // Every flavour waits for the routed-and-answering check (lib/manifests/readiness.ts), as the LPG's Job does.
        assert.deepEqual(
          spec.initContainers.map((c: any) => c.name),
          [READINESS_CONTAINER],
        );
        assert.equal(
          JSON.parse(spec.initContainers[0].env.find((e: any) => e.name === "READINESS_SPEC").value).gateway,
          gateway ? "inference-gateway" : undefined,
        );
        const data = configMapOf(objects).data;
        assert.deepEqual(
          Object.keys(data)
            .filter((k) => k.startsWith("run-benchmark"))
            .sort(),
          ["run-benchmark.py", "run-benchmark.sh"],
        );
        assert.doesNotMatch(data["config.yml"], /^\s*token:|hf_/m, "the token comes from the Secret, never the config");
      }
    },
  );
});

describe("load generators: the wrapper", () => {
  it("prints the markers the collector reads (one set of strings in TypeScript and in the Python wrapper)", () => {
    for (const marker of [
      RESULT_MARKERS.begin,
      RESULT_MARKERS.file,
      RESULT_MARKERS.end,
      RESULT_MARKERS.note,
      RESULT_MARKERS.warmup,
      RESULT_MARKERS.streaming,
    ]) {
      assert.ok(WRAPPER_FILES["run-benchmark.py"].includes(`"${marker}"`), marker);
    }
    assert.ok(WRAPPER_FILES["run-benchmark.py"].includes(`b"${RESULT_MARKERS.finished}"`));
    assert.match(WRAPPER_FILES["run-benchmark.sh"], /^#!\/bin\/sh\n/);
    assert.doesNotMatch(
      WRAPPER_FILES["run-benchmark.sh"],
      /\[\[|\bfunction\b|<\(|>\(/,
      "POSIX sh only: the inference-perf image has no bash",
    );
  });

  it(
    "runs inference-perf against the gateway address, redacts the token from its output and its " +
      "files, and archives its report folder",
    () => {
      const dir = tempDir("ip-wrapper-");
      for (const [name, text] of Object.entries(WRAPPER_FILES)) fs.writeFileSync(path.join(dir, name), text);
      const bin = path.join(dir, "bin");
      fs.mkdirSync(bin);
      const reports = path.join(dir, "reports");
      // A stand-in for the inference-perf entry point: echoes its arguments and the token (as a
      // misbehaving tool could), writes a report file that holds the token too, exits 0.
      fs.writeFileSync(
        path.join(bin, "inference-perf"),
        `#!/bin/sh\necho "args: $*"\necho "token: $HF_TOKEN"\nmkdir -p "$REPORT_DIR"\nprintf ` +
          `'{"token": "%s", "ok": 1}' "$HF_TOKEN" > ` +
          `"$REPORT_DIR/stage_0_lifecycle_metrics.json"\necho "config" > "$REPORT_DIR/config.yaml"\n`,
        { mode: 0o755 },
      );
      const addressFile = path.join(dir, "address");
      fs.writeFileSync(addressFile, "10.1.2.3\n");
      const token = "hf_WrapperTestToken1234";
      const result = spawnSync("sh", [path.join(dir, "run-benchmark.sh")], {
        cwd: dir,
        encoding: "utf8",
        timeout: 30_000,
        env: {
          PATH: `${bin}:${process.env.PATH}`,
          LOAD_GENERATOR: "inference-perf",
          CONFIG_FILE: "/cfg/config.yml",
          REPORT_DIR: reports,
          PORT: "8081",
          ADDRESS_FILE: addressFile,
          TARGET_HOST: "unused",
          HF_TOKEN: token,
        },
      });
      assert.equal(result.status, 0, result.stderr);
      assert.ok(!result.stdout.includes(token), "the token never reaches the log");
      assert.match(
        result.stdout,
        /args: --config_file \/cfg\/config\.yml --server\.base_url http:\/\/10\.1\.2\.3:8081 --log-level INFO/,
      );
      assert.match(result.stdout, /token: \[REDACTED\]/);
      const log = parseResultLog(result.stdout);
      assert.equal(log.exitStatus, 0);
      assert.deepEqual(
        log.files.map((f) => [f.name, f.problem]),
        [
          ["config.yaml", undefined],
          ["stage_0_lifecycle_metrics.json", undefined],
        ],
      );
      assert.equal(log.files[1].data.toString(), '{"token": "[REDACTED]", "ok": 1}');
      assert.match(
        log.toolLog,
        /inference-bench:note a secret was found in stage_0_lifecycle_metrics\.json and redacted/,
      );
    },
  );

  it(
    "runs concurrent load's warm-up on its own and stops it after WARMUP_SECONDS, then the measured " +
      "run; the collector records it",
    () => {
      const dir = tempDir("ip-warmup-");
      for (const [name, text] of Object.entries(WRAPPER_FILES)) fs.writeFileSync(path.join(dir, name), text);
      const bin = path.join(dir, "bin");
      fs.mkdirSync(bin);
      const reports = path.join(dir, "reports");
      // A stand-in inference-perf: with the warm-up config it never finishes on its own (more
      // requests than it can answer); with the measured one it writes a stage file and exits.
      fs.writeFileSync(
        path.join(bin, "inference-perf"),
        `#!/bin/sh
case "$2" in
  */warmup.yml) echo "warming up"; mkdir -p "$REPORT_DIR/warmup"; echo '{}' > "$REPORT_DIR/warmup/summary_lifecycle_metrics.json"; exec sleep 600 ;;
  *) echo "measuring"; mkdir -p "$REPORT_DIR"; echo '{}' > "$REPORT_DIR/stage_0_lifecycle_metrics.json" ;;
esac
`,
        { mode: 0o755 },
      );
      const started = Date.now();
      const result = spawnSync("sh", [path.join(dir, "run-benchmark.sh")], {
        cwd: dir,
        encoding: "utf8",
        timeout: 60_000,
        env: {
          PATH: `${bin}:${process.env.PATH}`,
          LOAD_GENERATOR: "inference-perf",
          CONFIG_FILE: "/cfg/config.yml",
          REPORT_DIR: reports,
          PORT: "8081",
          TARGET_HOST: "svc",
          WARMUP_CONFIG_FILE: "/cfg/warmup.yml",
          WARMUP_SECONDS: "2",
          WARMUP_CONCURRENCY: "4",
          WARMUP_REQUESTS: "400",
        },
      });
      const elapsed = (Date.now() - started) / 1000;
      assert.equal(result.status, 0, result.stderr);
      assert.ok(elapsed >= 2 && elapsed < 20, `the warm-up lasted its 2 s, then stopped (${elapsed} s in all)`);
      assert.ok(result.stdout.indexOf("warming up") < result.stdout.indexOf("measuring"));
      const log = parseResultLog(result.stdout);
      assert.deepEqual(
        log.files.map((f) => f.name),
        ["stage_0_lifecycle_metrics.json"],
        "the warm-up's report is not archived",
      );
      assert.deepEqual(readToolLog(log.toolLog).warmup, {
        rate: 4,
        seconds: 2,
        requests: 400,
        succeeded: undefined,
        exit_status: 0,
      });
    },
  );
});
