import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type * as protobuf from "protobufjs";
import { loadCatalogs, mergeByPresence, resolveCatalogText } from "../lib/catalog/catalog";
import { DEFAULT_IMAGES, DEFAULTS } from "../lib/catalog/defaults";
import { AUTO_RATES, formatRate, rateProblem, scaleRates } from "../lib/catalog/rates";
import { INHERITED, MEMBER_DEPENDENT } from "../lib/catalog/rules";
import { UserError } from "../lib/errors";
import { BenchmarkType } from "../proto/schema";
import { type PlainMessage, parseTextFormat } from "../proto/textformat";
import { BAD_CATALOGS, BASE } from "./bad-catalogs";
import { PROJECT_ROOT, runCli, seededRandom, sharedDir, tempDir } from "./helpers";

const resolve = (text: string, file = "test.pbtxt") => resolveCatalogText(text, file);
const byName = (text: string) => Object.fromEntries(resolve(text).map((b) => [b.name, b]));

function errorOf(fn: () => unknown): UserError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof UserError, `expected a UserError, got ${(error as Error).stack}`);
    return error;
  }
  assert.fail("expected an error");
}

describe("catalog: the reference catalogs", () => {
  it("resolves base-model.pbtxt from ../shared: explicit false wins, rates are generated", function () {
    const file = path.join(sharedDir(this), "reference", "catalog", "base-model.pbtxt");
    const benchmarks = Object.fromEntries(loadCatalogs([file]).map((b) => [b.name, b]));
    assert.deepEqual(Object.keys(benchmarks), ["r8-svc-vllmv1", "r8-epp-vllmv1", "r8-epp-no-streaming-vllmv1"]);
    const noStreaming = benchmarks["r8-epp-no-streaming-vllmv1"].benchmark.config!.load_balancer!.gateway!;
    assert.equal(noStreaming.full_duplex_streaming_enabled, false);
    assert.equal(noStreaming.envoy!.epp!.refresh_metrics_interval, "50ms");
    assert.equal(
      benchmarks["r8-epp-vllmv1"].benchmark.config!.load_balancer!.gateway!.full_duplex_streaming_enabled,
      true,
    );
    // The v1 flavour deploys what the flag says (buffered), and says that pickers from v0.4 cannot serve it.
    assert.ok(
      benchmarks["r8-epp-no-streaming-vllmv1"].warnings.some((w) =>
        /deployed buffered as written, but .*implement only full-duplex streaming/.test(w),
      ),
      "says what the v1 flavour does with the flag",
    );
    assert.ok(!benchmarks["r8-epp-vllmv1"].warnings.some((w) => w.includes("deployed buffered")));
    assert.ok(
      benchmarks["r8-epp-vllmv1"].warnings.some((w) => /epp:main" is GIE's unmaintained staging build/.test(w)),
      "the staging :main picker is called out",
    );
    assert.equal(
      benchmarks["r8-svc-vllmv1"].benchmark.config!.benchmark_tool!.lpg!.request_rates,
      "80.0,160.0,240.0,320.0,480.0,560.0,640.0,720.0,800.0",
    );
    assert.equal(benchmarks["r8-svc-vllmv1"].totalGpus, 8);
    // The catalog under catalog/ is the same file, unchanged.
    assert.equal(
      fs.readFileSync(path.join(PROJECT_ROOT, "catalog", "base-model.pbtxt"), "utf8"),
      fs.readFileSync(file, "utf8"),
    );
  });

  it("resolves the seed README's example: the child inherits everything but replicas", () => {
    const benchmarks = Object.fromEntries(
      loadCatalogs([path.join(PROJECT_ROOT, "catalog", "readme-example.pbtxt")]).map((b) => [b.name, b]),
    );
    const child = benchmarks["new-benchmark"].benchmark;
    assert.equal(child.config!.model_server!.replicas, 2);
    assert.equal(child.config!.model_server!.vllm!.model, "meta-llama/Llama-2-7b-hf");
    assert.equal(child.config!.model_server!.vllm!.tensor_parallelism, "1");
    assert.equal(child.config!.model_server!.vllm!.v1, "0");
    assert.equal(child.config!.benchmark_tool!.lpg!.request_rates, "20.0,40.0,60.0,80.0,120.0,140.0,160.0,180.0,200.0");
    assert.equal(
      benchmarks["base-benchmark"].benchmark.config!.benchmark_tool!.lpg!.request_rates,
      "10.0,20.0,30.0,40.0,60.0,70.0,80.0,90.0,100.0",
    );
  });

  it("loads a folder in file order and every catalog under catalog/ resolves", () => {
    const names = loadCatalogs([path.join(PROJECT_ROOT, "catalog")]).map((b) => b.name);
    assert.equal(names[0], "r8-svc-vllmv1");
    assert.ok(names.includes("sim-svc") && names.includes("lb-gke-epp"));
  });
});

describe("catalog: inheritance by presence", () => {
  it("lets a child's explicit false, 0-like and empty values win and resolves chains in any order", () => {
    const benchmarks = byName(`
      benchmarks { name: "c" base_benchmark_name: "b" config { load_balancer { gateway { inference_api: V1ALPHA2 full_duplex_streaming_enabled: false } } } }
      benchmarks { name: "b" base_benchmark_name: "base" config { model_server { vllm { max_loras: "" } } } }
      ${BASE}`);
    assert.equal(benchmarks.c.benchmark.config!.load_balancer!.gateway!.full_duplex_streaming_enabled, false);
    assert.equal(benchmarks.b.benchmark.config!.load_balancer!.gateway!.full_duplex_streaming_enabled, true);
    assert.equal(benchmarks.c.benchmark.config!.model_server!.vllm!.max_loras, "");
    assert.equal(benchmarks.c.benchmark.config!.model_server!.vllm!.tensor_parallelism, "2");
  });

  it("resolves a 50-deep chain", () => {
    const chain = Array.from(
      { length: 50 },
      (_, i) =>
        `benchmarks { name: "d${i + 1}" base_benchmark_name: "${i === 0 ? "base" : `d${i}`}" ` +
        `config { model_server { replicas: ${i + 1} } benchmark_tool { lpg { request_rates: "1" } ` +
        `} } }`,
    );
    const benchmarks = byName([...chain.reverse(), BASE].join("\n"));
    assert.equal(benchmarks.d50.benchmark.config!.model_server!.replicas, 50);
    assert.equal(benchmarks.d50.benchmark.config!.model_server!.vllm!.model, "meta-llama/Llama-3.1-8B-Instruct");
  });

  it("replaces the base's oneof member when the child sets another", () => {
    const b = byName(
      `${BASE} benchmarks { name: "svc" base_benchmark_name: "base" config { load_balancer { ` +
        `k8s_service {} } benchmark_tool { lpg { request_rates: "3" } } } }`,
    ).svc;
    assert.deepEqual(Object.keys(b.benchmark.config!.load_balancer!), ["k8s_service"]);
    assert.equal(b.loadBalancer, "k8s_service");
    const nested = byName(
      `${BASE} benchmarks { name: "lb" base_benchmark_name: "base" config { load_balancer { ` +
        `gateway { envoy { lb_policy: "RoundRobin" } } } benchmark_tool { lpg { request_rates: "3" ` +
        `} } } }`,
    ).lb;
    const gateway = nested.benchmark.config!.load_balancer!.gateway!;
    assert.equal(gateway.envoy!.epp, undefined);
    assert.equal(gateway.envoy!.lb_policy, "RoundRobin");
    assert.equal(gateway.full_duplex_streaming_enabled, true, "siblings of the oneof are still inherited");
  });

  it("does not inherit request rates: the child's are generated for its own deployment", () => {
    const child = byName(
      `${BASE} benchmarks { name: "big" base_benchmark_name: "base" config { model_server { replicas: 4 } } }`,
    ).big;
    assert.equal(
      child.benchmark.config!.benchmark_tool!.lpg!.request_rates,
      scaleRates(AUTO_RATES[5].baseRates, 4, 2, 1),
    );
    assert.match(child.benchmark.config!.benchmark_tool!.lpg!.request_rates!, /^80\.0,160\.0,/);
  });

  it("replaces repeated fields rather than appending to them", () => {
    const base = parseTextFormat(
      BenchmarkType,
      "result { stats { request_rate: 1 } stats { request_rate: 2 } }",
    ) as PlainMessage;
    const child = parseTextFormat(BenchmarkType, "result { stats { request_rate: 3 } }") as PlainMessage;
    const merged = mergeByPresence(BenchmarkType, base, child) as {
      result: { stats: Array<{ request_rate: number }> };
    };
    assert.deepEqual(
      merged.result.stats.map((s) => s.request_rate),
      [3],
    );
    const untouched = mergeByPresence(
      BenchmarkType,
      base,
      parseTextFormat(BenchmarkType, 'name: "x"') as PlainMessage,
    ) as typeof merged;
    assert.deepEqual(
      untouched.result.stats.map((s) => s.request_rate),
      [1, 2],
    );
  });

  it("applies defaults after merging and divides generated rates by the number of models", () => {
    const b = byName(`benchmarks { name: "two" config {
      model_server { accelerator: "nvidia-h100-80gb" replicas: 1 vllm { model: "meta-llama/Llama-2-7b-hf" max_loras: "1" lora_adapters: "lora-a=org/lora-a" } }
      load_balancer { k8s_service {} }
      benchmark_tool { lpg { models: "meta-llama/Llama-2-7b-hf, lora-a" } } } }`).two;
    assert.equal(b.benchmark.config!.model_server!.vllm!.tensor_parallelism, "1");
    // :latest is vLLM 0.11+, which has no V0 engine: the default says what runs.
    assert.equal(b.benchmark.config!.model_server!.vllm!.v1, "1");
    assert.equal(b.benchmark.config!.model_server!.image, "vllm/vllm-openai:latest");
    assert.equal(b.benchmark.config!.benchmark_tool!.lpg!.request_rates, "5.0,10.0,15.0,20.0,30.0,35.0,40.0,45.0,50.0");
    assert.equal(b.benchmark.config!.benchmark_tool!.lpg!.tokenizer, "meta-llama/Llama-2-7b-hf");
    assert.ok(
      b.warnings.some((w) => w.includes("vllm/vllm-openai:latest") && w.includes('"two"')),
      "mutable image warning names the benchmark and image",
    );
  });

  it("filters by name regex and refuses a regex that matches nothing", () => {
    const file = path.join(tempDir("select-"), "select.pbtxt");
    fs.writeFileSync(file, `${BASE} benchmarks { name: "h100-x" base_benchmark_name: "base" }`);
    assert.deepEqual(
      loadCatalogs([file], "h100").map((b) => b.name),
      ["h100-x"],
    );
    assert.match(errorOf(() => loadCatalogs([file], "^nope$")).message, /matches none of: base, h100-x/);
    assert.match(errorOf(() => loadCatalogs([file], "(")).message, /regex "\(" is invalid/);
  });

  it("rejects the same name in two files of one run", () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, "a.pbtxt"), BASE);
    fs.writeFileSync(path.join(dir, "b.pbtxt"), BASE);
    assert.match(
      errorOf(() => loadCatalogs([dir])).message,
      /b\.pbtxt:3:3: benchmark "base" is also defined at .*a\.pbtxt:3:3; names must be unique/,
    );
  });
});

describe("catalog: what a child inherits and what follows a switched oneof member", () => {
  it("switching vllm → sim takes the sim image and drops the vLLM accelerator unless the child sets them", () => {
    const benchmarks = byName(`${BASE}
      benchmarks { name: "sim" base_benchmark_name: "base" config { model_server { sim { model: "m" } } benchmark_tool { lpg { request_rates: "1" } } } }
      benchmarks { name: "sim-own" base_benchmark_name: "base" config { model_server { image: "ghcr.io/llm-d/llm-d-inference-sim:v0.3.0" sim { model: "m" } } benchmark_tool { lpg { request_rates: "1" } } } }
      benchmarks { name: "back" base_benchmark_name: "sim" config { model_server { accelerator: "nvidia-l4" vllm { model: "meta-llama/Llama-3.1-8B-Instruct" } } } }
      benchmarks { name: "same" base_benchmark_name: "base" config { model_server { vllm { v1: "1" } } } }`);
    assert.equal(benchmarks.sim.benchmark.config!.model_server!.image, DEFAULT_IMAGES.sim);
    assert.equal(benchmarks.sim.benchmark.config!.model_server!.accelerator, undefined);
    assert.equal(benchmarks.sim.benchmark.config!.model_server!.vllm, undefined);
    assert.equal(
      benchmarks["sim-own"].benchmark.config!.model_server!.image,
      "ghcr.io/llm-d/llm-d-inference-sim:v0.3.0",
    );
    assert.equal(
      benchmarks.back.benchmark.config!.model_server!.image,
      DEFAULT_IMAGES.vllm,
      "sim → vllm again: the vLLM default, not the sim image",
    );
    assert.equal(
      benchmarks.same.benchmark.config!.model_server!.image,
      "vllm/vllm-openai:v0.8.1",
      "no switch: the base's image",
    );
    assert.equal(benchmarks.same.benchmark.config!.model_server!.accelerator, "nvidia-h100-80gb");
  });

  it("switching the flavour or the gateway takes the new endpoint picker image and GatewayClass", () => {
    const benchmarks = byName(`${BASE}
      benchmarks { name: "alpha" base_benchmark_name: "base" config { load_balancer { gateway { inference_api: V1ALPHA2 } } } }
      benchmarks { name: "v1" base_benchmark_name: "base" config { load_balancer { gateway { inference_api: V1 } } } }
      benchmarks { name: "classy" base_benchmark_name: "base" config { load_balancer { gateway { gateway_class_name: "mine" } } } }
      benchmarks { name: "gke" base_benchmark_name: "classy" config { load_balancer { gateway { gke_gateway {} } } } }
      benchmarks { name: "lb" base_benchmark_name: "base" config { load_balancer { gateway { envoy { lb_policy: "RoundRobin" } } } } }`);
    const gateway = (name: string) => benchmarks[name].benchmark.config!.load_balancer!.gateway!;
    assert.equal(gateway("alpha").envoy!.epp!.image, DEFAULT_IMAGES.eppV1alpha2);
    assert.equal(
      gateway("v1").envoy!.epp!.image,
      "registry.k8s.io/gateway-api-inference-extension/epp:v1.5.0",
      "V1 is the base's flavour too: no switch",
    );
    assert.equal(gateway("classy").gateway_class_name, "mine");
    assert.equal(gateway("gke").gateway_class_name, DEFAULTS.gatewayClass.gke);
    assert.equal(gateway("lb").envoy!.epp, undefined);
    assert.equal(benchmarks.lb.loadBalancer, "gateway.envoy.lb_policy");
  });

  it("the switch rule is a table over oneofs, so a new member of a listed oneof is covered without change", () => {
    const oneofs = MEMBER_DEPENDENT.flatMap((d) => ("oneof" in d.selector ? [`${d.message}:${d.selector.oneof}`] : []));
    assert.deepEqual(oneofs, [
      "config.model_server:type",
      "config.benchmark_tool:Type",
      "config.load_balancer.gateway:type",
    ]);
    for (const dependency of MEMBER_DEPENDENT) {
      let type = BenchmarkType as protobuf.Type;
      for (const name of dependency.message.split("."))
        type = type.fields[name].resolve().resolvedType as protobuf.Type;
      if ("oneof" in dependency.selector)
        assert.ok(
          type.oneofs[dependency.selector.oneof],
          `${dependency.message} has oneof ${dependency.selector.oneof}`,
        );
      for (const dependent of dependency.dependents) {
        let holder = type;
        const names = dependent.split(".");
        for (const name of names.slice(0, -1)) holder = holder.fields[name].resolve().resolvedType as protobuf.Type;
        assert.ok(holder.fields[names[names.length - 1]], `${dependency.message}.${dependent} exists`);
      }
    }
  });

  it("never lets a base's defaults reach its child: they are applied to each benchmark after merging", () => {
    const text = `benchmarks { name: "a" config { model_server { accelerator: "nvidia-h100-80gb" vllm { model: "meta-llama/Llama-2-7b-hf" } } load_balancer { k8s_service {} } benchmark_tool { lpg {} } } }
      benchmarks { name: "b" base_benchmark_name: "a" config { model_server { vllm { model: "meta-llama/Llama-3.1-8B-Instruct" } } } }`;
    for (const benchmarks of [loadCatalogsFromText(text), resolve(text)]) {
      const lpg = benchmarks[1].benchmark.config!.benchmark_tool!.lpg!;
      assert.equal(lpg.models, "meta-llama/Llama-3.1-8B-Instruct");
      assert.equal(lpg.tokenizer, "meta-llama/Llama-3.1-8B-Instruct");
      assert.equal(benchmarks[0].benchmark.config!.benchmark_tool!.lpg!.tokenizer, "meta-llama/Llama-2-7b-hf");
    }
  });

  it("extends config and the description, never result, start_time or the case name of a past run", () => {
    const b = byName(`benchmarks { name: "old" benchmark_case { name: "case-1" description: "H100 sweep" }
        start_time { seconds: 1700000000 } result { stats { request_rate: 1 } }
        config { model_server { accelerator: "nvidia-h100-80gb" replicas: 1 vllm { model: "meta-llama/Llama-2-7b-hf" } } load_balancer { k8s_service {} } benchmark_tool { lpg { request_rates: "1" } } } }
      benchmarks { name: "new" base_benchmark_name: "old" }`).new.benchmark;
    assert.deepEqual(b.benchmark_case, { description: "H100 sweep" });
    assert.equal(b.result, undefined);
    assert.equal(b.start_time, undefined);
    assert.equal(b.config!.model_server!.vllm!.model, "meta-llama/Llama-2-7b-hf");
    assert.deepEqual(INHERITED, ["config", "benchmark_case.description"]);
  });

  it("resolves a 30,000-long chain and reports a 30,000-long cycle, without recursion", function () {
    this.timeout(120_000);
    const count = 30_000;
    const chain = Array.from(
      { length: count },
      (_, i) => `benchmarks { name: "d${i + 1}" base_benchmark_name: "${i === 0 ? "base" : `d${i}`}" }`,
    );
    const last = loadCatalogsFromText([BASE, ...chain].join("\n"), `^d${count}$`);
    assert.equal(last.length, 1);
    assert.equal(last[0].benchmark.config!.model_server!.replicas, 2);
    const cycle = Array.from(
      { length: count },
      (_, i) => `benchmarks { name: "c${i}" base_benchmark_name: "c${(i + 1) % count}" }`,
    ).join("\n");
    assert.match(
      errorOf(() => resolve(cycle)).message,
      /inheritance cycle: c0 → c1 → c2 → … \(29996 more\) → c29999 → c0$/,
    );
  });

  it("--regex validates only the selected benchmarks and their bases", () => {
    const text = `${BASE}
      benchmarks { name: "broken" config { model_server { replicas: 0 } } }
      benchmarks { name: "child" base_benchmark_name: "base" config { model_server { replicas: 4 } } }`;
    assert.deepEqual(
      loadCatalogsFromText(text, "^child$").map((b) => b.name),
      ["child"],
    );
    assert.match(errorOf(() => loadCatalogsFromText(text)).message, /"broken": config\.model_server needs a type/);
    assert.match(
      errorOf(() => loadCatalogsFromText(text, "^nope$")).message,
      /regex "\^nope\$" matches none of: base, broken, child$/,
    );
  });

  it("says which file defines a base that is not in the child's file", () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, "a.pbtxt"), BASE);
    fs.writeFileSync(path.join(dir, "b.pbtxt"), 'benchmarks { name: "child"\n  base_benchmark_name: "base" }');
    assert.match(
      errorOf(() => loadCatalogs([dir])).message,
      /b\.pbtxt:2:3: benchmark "child": base benchmark "base" is defined in .*a\.pbtxt, not in this file; a base must be in the same file$/,
    );
  });
});

describe("catalog: request rates", () => {
  it("formats generated rates as Go's and Python's %.1f: the binary value, ties to even", () => {
    // Python: '%.1f' % x; Go: fmt.Sprintf("%.1f", x) — both round the exact binary value half to even.
    const cases: Array<[number, string]> = [
      [0.25, "0.2"],
      [0.75, "0.8"],
      [1.25, "1.2"],
      [2.5 / 4, "0.6"],
      [0.05, "0.1"],
      [0.15, "0.1"],
      [0.35, "0.3"],
      [2.675, "2.7"],
      [1 / 3, "0.3"],
      [8, "8.0"],
      [1e6 + 0.25, "1000000.2"],
    ];
    for (const [value, text] of cases) assert.equal(formatRate(value), text, String(value));
    assert.equal(scaleRates([1, 3, 5], 1, 1, 4), "0.2,0.8,1.2");
  });

  it("agrees with Python's %.1f on 2,000 random values", function () {
    const python = spawnSync(
      "/usr/bin/python3",
      ["-c", "import sys\nfor line in sys.stdin: print('%.1f' % float(line))"],
      { input: "", encoding: "utf8" },
    );
    if (python.error) this.skip();
    const random = seededRandom(3);
    const values = Array.from({ length: 2000 }, (_, i) => (i % 2 ? Math.floor(random() * 4000) / 4 : random() * 100));
    const run = spawnSync(
      "/usr/bin/python3",
      ["-c", "import sys\nfor line in sys.stdin: print('%.1f' % float(line))"],
      { input: values.map((v) => v.toPrecision(17)).join("\n"), encoding: "utf8" },
    );
    assert.deepEqual(values.map(formatRate), run.stdout.trim().split("\n"));
  });

  it("keeps an explicit rate 0 (the LPG's all prompts at once) and refuses duplicates", () => {
    assert.deepEqual(byName(BASE.replace('request_rates: "1,2"', 'request_rates: "0,5"')).base.requestRates, [0, 5]);
    assert.equal(rateProblem([0, 1], false), undefined);
    assert.equal(rateProblem([0, 1], true), "a rate rounds to 0.0");
    assert.equal(rateProblem([1, 2, 1], false), "rate 1 appears twice");
  });
});

/** Loads catalog text through loadCatalogs (a temporary file), with an optional regex. */
function loadCatalogsFromText(text: string, regex?: string) {
  const file = path.join(tempDir(), "catalog.pbtxt");
  fs.writeFileSync(file, text);
  return loadCatalogs([file], regex);
}

describe("catalog: bad input", () => {
  it(`gives a one-line error naming the file and line for each of ${BAD_CATALOGS.length} malformed catalogs`, () => {
    assert.ok(BAD_CATALOGS.length >= 30);
    // Relative paths, as a user types them (the 200-character limit includes the path).
    const cwd = process.cwd();
    process.chdir(tempDir());
    try {
      checkBadCatalogs();
    } finally {
      process.chdir(cwd);
    }
  });
});

/** Each BAD_CATALOGS case, written under ./catalog/: one line, ≤ 200 characters, file:line first. */
function checkBadCatalogs(): void {
  fs.mkdirSync("catalog", { recursive: true });
  for (const [i, [what, text, line, pattern]] of BAD_CATALOGS.entries()) {
    const file = `catalog/bad-${i}.pbtxt`;
    // "\udce9" marks where the file gets a raw Latin-1 byte (0xff), which no JavaScript string can hold.
    fs.writeFileSync(file, text.includes("\udce9") ? Buffer.from(text.replace("\udce9", "\u00ff"), "latin1") : text);
    const error = errorOf(() => loadCatalogs([file]));
    assert.ok(error.message.length <= 200, `${what}: ${error.message.length} characters: ${error.message}`);
    assert.doesNotMatch(error.message, /\n/, what);
    assert.ok(
      error.message.startsWith(`${file}:${line}:`),
      `${what}: expected ${file}:${line}:…, got ${error.message}`,
    );
    assert.match(error.message, pattern, `${what}: ${error.message}`);
  }
}

describe("catalog: bad input (more)", () => {
  it("names a missing path and an empty folder", () => {
    assert.match(
      errorOf(() => loadCatalogs(["/nonexistent/x.pbtxt"])).message,
      /^\/nonexistent\/x\.pbtxt: no such catalog file or folder$/,
    );
    const empty = tempDir();
    assert.match(errorOf(() => loadCatalogs([empty])).message, /folder holds no catalog/);
  });

  it("survives 3,000 mutated catalogs with only its own errors, never a crash or a hang", function () {
    this.timeout(120_000);
    const seed = fs.readFileSync(path.join(PROJECT_ROOT, "catalog", "load-balancers.pbtxt"), "utf8");
    const random = seededRandom(7);
    const fragments = [
      "{",
      "}",
      "<",
      ">",
      "[",
      "]",
      ":",
      ";",
      ",",
      '"',
      "'",
      "\\",
      "#",
      "\n",
      "-",
      "0x",
      "1e",
      ".",
      "inf",
      "gateway",
      "k8s_service {}",
      'base_benchmark_name: "lb-svc"',
      "\\u",
      "\\x",
      "00",
    ];
    let parsed = 0;
    for (let i = 0; i < 3000; i++) {
      let text = seed;
      for (let m = 0; m < 1 + Math.floor(random() * 4); m++) {
        const at = Math.floor(random() * text.length);
        const op = random();
        if (op < 0.33) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * 5));
        else if (op < 0.66)
          text = text.slice(0, at) + fragments[Math.floor(random() * fragments.length)] + text.slice(at);
        else text = text.slice(0, at) + String.fromCharCode(Math.floor(random() * 128)) + text.slice(at + 1);
      }
      try {
        resolve(text, `fuzz-${i}.pbtxt`);
        parsed++;
      } catch (error) {
        assert.ok(error instanceof UserError, `case ${i} threw ${(error as Error).stack}\n--- input:\n${text}`);
        assert.match(error.message, new RegExp(`^fuzz-${i}\\.pbtxt:\\d+:\\d+: `), `case ${i}: ${error.message}`);
      }
    }
    assert.ok(parsed > 0 && parsed < 3000, `some mutations parse and some fail (parsed ${parsed})`);
  });
});

describe("catalog CLI", () => {
  it("prints exactly one JSON object with proto field names and only the set oneof members", () => {
    const result = runCli("catalog", ["--catalog", "catalog/base-model.pbtxt", "--json"]);
    assert.equal(result.status, 0, result.stderr);
    const json = JSON.parse(result.stdout) as { benchmarks: Array<Record<string, any>> };
    assert.deepEqual(
      json.benchmarks.map((b) => b.name),
      ["r8-svc-vllmv1", "r8-epp-vllmv1", "r8-epp-no-streaming-vllmv1"],
    );
    assert.deepEqual(Object.keys(json.benchmarks[0].config.load_balancer), ["k8s_service"]);
    assert.equal(json.benchmarks[2].config.load_balancer.gateway.full_duplex_streaming_enabled, false);
    assert.equal(json.benchmarks[0].config.model_server.vllm.tensor_parallelism, "1");
    // The same warning for both picker benchmarks, said once (lib/warnings.ts groupWarnings).
    assert.match(
      result.stderr,
      /warning: 2 benchmarks \(r8-epp-vllmv1, r8-epp-no-streaming-vllmv1\): endpoint picker image .*epp:main" is mutable/,
    );
  });

  it("prints resolved text that is itself a valid catalog, and filters with --regex", () => {
    const result = runCli("catalog", [
      "--catalog",
      "catalog/readme-example.pbtxt",
      "--catalog",
      "catalog/sim.pbtxt",
      "--regex",
      "new|sim-svc",
    ]);
    assert.equal(result.status, 0, result.stderr);
    const reparsed = resolve(result.stdout.replace(/base_benchmark_name: "[^"]*"/g, ""));
    assert.deepEqual(
      reparsed.map((b) => b.name),
      ["new-benchmark", "sim-svc"],
    );
  });

  it("on error: exit 1, one line on stderr naming the file and line, nothing on stdout", () => {
    const dir = tempDir();
    const file = path.join(dir, "broken.pbtxt");
    fs.writeFileSync(file, 'benchmarks {\n  name: "a"\n  config { model_server { replicas: "x" } }\n}\n');
    const result = runCli("catalog", ["--catalog", file, "--json"]);
    assert.equal(result.status, 1);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, new RegExp(`^error: ${file}:3:\\d+: .*replicas: expected an integer`));
    assert.equal(result.stderr.trim().split("\n").length, 1);
    assert.doesNotMatch(result.stderr, /\s+at /);
    const missing = runCli("catalog", ["--catalog", path.join(dir, "nope.pbtxt")]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /nope\.pbtxt: no such catalog file or folder/);
  });
});
