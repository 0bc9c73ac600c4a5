// Nothing is deployed that cannot start: the simulator with any catalog model name, a picker
// image that speaks its flavour's flags and API, and a load generator that requests only models
// the server serves. Each rule cites the upstream file that makes the alternative fail.
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { loadCatalogs, resolveCatalogText } from "../lib/catalog/catalog";
import { DEFAULT_IMAGES } from "../lib/catalog/defaults";
import { PICKER_RELEASES, pickerFlavourProblem } from "../lib/catalog/pickers";
import { CatalogError, MAX_ERROR_LENGTH } from "../lib/errors";
import { buildBenchmark, type K8sObject, NAMES } from "../lib/manifests";
import { SIM_OFFLINE_MODEL } from "../lib/manifests/model-server";
import { PROJECT_ROOT } from "./helpers";

const RUN = "st000001";
const resolve = (text: string) => resolveCatalogText(text, "c.pbtxt");
const objects = (text: string, name?: string): K8sObject[] => {
  const benchmark = resolve(text).find((b) => name === undefined || b.name === name)!;
  return Object.values(buildBenchmark(benchmark, { runId: RUN }).manifests).flat();
};
const container = (list: K8sObject[], kind: string, name: string): any => {
  const found = list.find((o) => o.kind === kind && o.metadata.name === name) as any;
  assert.ok(found, `${kind} ${name}`);
  return found.spec.template.spec.containers[0];
};
const lpg = 'benchmark_tool { image: "lpg:v1" lpg { request_rates: "1" } }';

/**
 * huggingface_hub's repository id rules (src/huggingface_hub/utils/_validators.py
 * validate_repo_id): `namespace/name` or `name`, [\w.-] up to 96 characters, never "--" or "..".
 * A name they refuse cannot exist on the hub, so its /api/models/<name> is never 200.
 */
function validHubRepoId(id: string): boolean {
  return /^(\b[\w\-.]+\b\/)?\b[\w\-.]{1,96}\b$/.test(id) && !id.includes("--") && !id.includes("..");
}

describe("startup: the simulator runs without the hub", () => {
  // llm-d-inference-sim v0.8.2 (a311a6c5): pkg/tokenizer/tokenizer.go New calls modelExists, a GET
  // of https://huggingface.co/api/models/<--model>; a 200 makes it NewHFTokenizer, which dials the
  // uds-tokenizer sidecar's socket (/tmp/tokenizer/tokenizer-uds.socket, pkg/common/config.go
  // UDSSocketPath) and gives up after 5 attempts (llm-d-kv-cache@786d9c8c
  // pkg/tokenization/uds_tokenizer.go initializeTokenizerForModel, maxRetries = 5);
  // pkg/llm-d-inference-sim/simulator.go Start then fails and cmd/llm-d-inference-sim/main.go
  // serves nothing. Its manifests/deployment.yaml and Helm chart add that sidecar. We give
  // --model a name the hub cannot hold, and serve the catalog's model with --served-model-name
  // (pkg/common/parser.go getParamValueFromArgs; pkg/common/config.go: ServedModelNames, else
  // the model): answers and metrics carry the served name (context.go getDisplayedModelName).
  it("passes --model a name the hub can never resolve and serves the catalog's model", () => {
    assert.ok(!validHubRepoId(SIM_OFFLINE_MODEL), `${SIM_OFFLINE_MODEL} must not be a valid hub repository id`);
    assert.ok(validHubRepoId("meta-llama/Llama-3.1-8B-Instruct"), "the rule accepts real ids");
    const sims = loadCatalogs([path.join(PROJECT_ROOT, "catalog")]).filter((b) => b.modelServer === "sim");
    assert.ok(sims.length >= 3, "catalog/ has simulator benchmarks");
    for (const benchmark of sims) {
      const built = Object.values(buildBenchmark(benchmark, { runId: RUN }).manifests).flat();
      const args: string[] = container(built, "Deployment", NAMES.modelServer).args;
      const model = benchmark.benchmark.config!.model_server!.sim!.model!;
      assert.deepEqual(
        args.slice(args.indexOf("--model"), args.indexOf("--model") + 2),
        ["--model", SIM_OFFLINE_MODEL],
        benchmark.name,
      );
      assert.deepEqual(args.slice(args.indexOf("--served-model-name"), args.indexOf("--served-model-name") + 2), [
        "--served-model-name",
        model,
      ]);
      assert.equal(args.filter((arg) => arg === model).length, 1, "the catalog's model is never --model");
    }
  });

  it("serves its LoRA adapters: names on --lora-modules as JSON, all loaded at once", () => {
    const text = `benchmarks { name: "s" config { model_server { sim { model: "m" lora_adapters: "a1, a2=org/a2" } replicas: 1 }
      load_balancer { k8s_service {} } benchmark_tool { image: "lpg:v1" lpg { request_rates: "1" models: "m,a1,a2" } } } }`;
    const args: string[] = container(objects(text), "Deployment", NAMES.modelServer).args;
    const at = args.indexOf("--lora-modules");
    assert.deepEqual(
      args.slice(at + 1).map((arg) => JSON.parse(arg).name),
      ["a1", "a2"],
    );
    assert.equal(args[args.indexOf("--max-loras") + 1], "2");
  });
});

describe("startup: picker image and flavour", () => {
  const withPicker = (image: string, api = "") => `benchmarks { name: "p" config {
    model_server { sim { model: "m" } replicas: 1 }
    load_balancer { gateway { ${api} full_duplex_streaming_enabled: true envoy { epp { image: "${image}" } } } } ${lpg} } }`;
  const registry = "registry.k8s.io/gateway-api-inference-extension/epp:";

  // Read at each tag of kubernetes-sigs/gateway-api-inference-extension:
  //   v0.1.0 (0b6b6eb5) pkg/ext-proc/main.go: Go flag "poolName"…, reads v1alpha1 (AddToScheme).
  //   v0.2.0 (5362a9eb), v0.3.0 (d172cbb0) cmd/epp/main.go: Go flag "poolName", v1alpha2 pools.
  //   v0.4.0 (2b5b337b), v0.5.0, v0.5.1 cmd/epp/runner/runner.go: the same flags, streaming only.
  //   v1.0.0 (ffea2632)–v1.2.1 cmd/epp/runner/runner.go: Go flag "pool-name", "pool-group" (v1);
  //     "tracing" from v1.1.0.
  //   v1.3.0–v1.5.0 (df9f8909) pkg/epp/server/options.go AddFlags on spf13/pflag, which reads
  //     -poolName as shorthand flags and fails; v1.5.0 --pool-group takes only v1.
  // Go's flag package (v0.x–v1.2) exits on any flag it does not define (flag.Parse: ExitOnError).
  it("refuses every known release in a flavour it cannot run, with advice that works", () => {
    for (const release of PICKER_RELEASES) {
      for (const tag of release.tags) {
        for (const [flavour, api] of [
          ["v1", ""],
          ["v1alpha2", "inference_api: V1ALPHA2"],
        ] as const) {
          const runs =
            flavour === "v1"
              ? release.flags === "kebab-case" && release.api === "v1"
              : release.flags === "camelCase" && release.api === "v1alpha2";
          const text = withPicker(`${registry}${tag}`, api);
          if (runs) {
            assert.doesNotThrow(() => resolve(text), `${tag} runs in ${flavour}`);
            continue;
          }
          assert.throws(
            () => resolve(text),
            (e: Error) => {
              assert.ok(
                e instanceof CatalogError && e.message.length <= MAX_ERROR_LENGTH && !e.message.includes("…"),
                e.message,
              );
              assert.match(
                e.message,
                new RegExp(
                  `^c\\.pbtxt:\\d+:\\d+: benchmark "p": picker epp:${tag.replace(/\./g, "\\.")} .*drop epp\\.image`,
                ),
              );
              return true;
            },
            `${tag} cannot run in ${flavour}`,
          );
          // The advice: without the image, the flavour's default picker.
          const advised = resolve(text.replace(/epp \{ image: "[^"]*" \}/, "epp {}"))[0];
          const image = advised.benchmark.config!.load_balancer!.gateway!.envoy!.epp!.image!;
          assert.equal(image, flavour === "v1" ? DEFAULT_IMAGES.eppV1 : DEFAULT_IMAGES.eppV1alpha2);
          assert.equal(pickerFlavourProblem(image, flavour), undefined);
        }
      }
    }
  });

  it("keeps a warning for builds it does not know, and passes --tracing only to pickers that define it", () => {
    const unknown = resolve(withPicker("my.registry/epp:v0.3.0"))[0];
    assert.ok(
      unknown.warnings.some((w) => /serves the v1alpha2 InferencePool API, but the benchmark deploys v1/.test(w)),
    );
    const args = (tag: string) =>
      container(objects(withPicker(`${registry}${tag}`)), "Deployment", NAMES.epp).args as string[];
    assert.ok(!args("v1.0.2").includes("--tracing=false"), "v1.0.x has no --tracing flag");
    assert.ok(args("v1.5.0").includes("--tracing=false"));
    assert.ok(
      args("v1.5.0").every((arg) => arg.startsWith("--")),
      "pflag takes no single-dash long flags",
    );
  });

  it("runs catalog/readme-example.pbtxt: a picker release that speaks the v1 flavour", () => {
    for (const benchmark of loadCatalogs([path.join(PROJECT_ROOT, "catalog", "readme-example.pbtxt")])) {
      const image = benchmark.benchmark.config!.load_balancer!.gateway!.envoy!.epp!.image!;
      assert.equal(benchmark.inferenceFlavor, "v1");
      assert.equal(pickerFlavourProblem(image, "v1"), undefined, image);
      assert.match(image, /epp:v1\.5\.0$/);
    }
  });

  it("refuses buffered bodies with a streaming-only picker in the seed-era flavour too", () => {
    const text = withPicker(`${registry}v0.5.1`, "inference_api: V1ALPHA2").replace(
      "full_duplex_streaming_enabled: true",
      "full_duplex_streaming_enabled: false",
    );
    assert.throws(
      () => resolve(text),
      /buffered bodies .* stall every request: pickers from v0\.4 \(this is v0\.5\) stream only; set it true$/,
    );
  });
});

describe("startup: the load generator requests only served models", () => {
  const vllm = (extra = "") =>
    `model_server { image: "vllm/vllm-openai:v0.10.2" accelerator: "nvidia-l4" replicas: 1 vllm { ` +
    `model: "base-model" ${extra} } }`;
  const bench = (name: string, config: string, base?: string) =>
    `benchmarks { name: "${name}" ${base ? `base_benchmark_name: "${base}"` : ""} config { ${config} } }`;

  // vLLM answers 404 "The model `x` does not exist." for a name it does not serve
  // (vllm/entrypoints/openai/serving_engine.py OpenAIServing._check_model: served model names,
  // then LoRA adapters); llm-d-inference-sim v0.8.2 the same (simulator.go HandleRequest,
  // helpers.go isValidModel). So a model the server does not serve fails every request.
  it("gives a child that changes the served model the new model, not its base's", () => {
    const text = [
      bench(
        "base",
        `${vllm()} load_balancer { k8s_service {} } benchmark_tool { image: "lpg:v1" lpg { ` +
          `request_rates: "1" models: "base-model" tokenizer: "base-model" } }`,
      ),
      bench(
        "other",
        'model_server { vllm { model: "other-model" } } benchmark_tool { lpg { request_rates: "1" } }',
        "base",
      ),
      bench("sim", 'model_server { sim { model: "sim-model" } } benchmark_tool { lpg { request_rates: "1" } }', "base"),
      bench(
        "ip",
        `${vllm()} load_balancer { k8s_service {} } benchmark_tool { image: "ip:v1" ` +
          `inference_perf { request_rates: "1" model: "base-model" } }`,
      ),
      bench(
        "ip-other",
        'model_server { vllm { model: "other-model" } } benchmark_tool { inference_perf { request_rates: "1" } }',
        "ip",
      ),
    ].join("\n");
    const byName = Object.fromEntries(resolve(text).map((b) => [b.name, b.benchmark.config!.benchmark_tool!]));
    assert.equal(byName.other.lpg!.models, "other-model");
    assert.equal(byName.other.lpg!.tokenizer, "other-model");
    assert.equal(byName.sim.lpg!.models, "sim-model");
    assert.equal(byName["ip-other"].inference_perf!.model, "other-model");
  });

  it("refuses a requested model the server does not serve, naming both lists, and accepts its LoRA adapters", () => {
    const lpgWith = (models: string, extra = "") =>
      bench(
        "x",
        `${vllm(extra)} load_balancer { k8s_service {} } benchmark_tool { image: "lpg:v1" lpg { ` +
          `request_rates: "1" models: "${models}" } }`,
      );
    assert.throws(
      () => resolve(lpgWith("base-model,Tweet_Summary")),
      (e: Error) =>
        e instanceof CatalogError &&
        /^c\.pbtxt:1:\d+: benchmark "x": config\.benchmark_tool\.lpg\.models requests "Tweet_Summary", which the model server does not serve \(it serves "base-model"\)/.test(
          e.message,
        ) &&
        e.message.length <= MAX_ERROR_LENGTH,
    );
    const adapters = 'max_loras: "2" lora_adapters: "Tweet_Summary=vineetsharma/qlora-adapter-Llama-2-7b-hf-TweetSumm"';
    const served = resolve(lpgWith("base-model,Tweet_Summary", adapters))[0];
    const args: string[] = container(
      Object.values(buildBenchmark(served, { runId: RUN }).manifests).flat(),
      "Deployment",
      NAMES.modelServer,
    ).args;
    assert.deepEqual(args.slice(args.indexOf("--lora-modules")), [
      "--lora-modules",
      "Tweet_Summary=vineetsharma/qlora-adapter-Llama-2-7b-hf-TweetSumm",
    ]);
    assert.throws(() => resolve(lpgWith("base-model", 'lora_adapters: "a=org/a"')), /lora_adapters needs max_loras/);
    assert.throws(() => resolve(lpgWith("base-model", 'max_loras: "1" lora_adapters: "a"')), /adapter "a" has no path/);
    const perf = bench(
      "y",
      `${vllm()} load_balancer { k8s_service {} } benchmark_tool { image: "ip:v1" inference_perf ` +
        `{ request_rates: "1" model: "gpt-4" } }`,
    );
    assert.throws(
      () => resolve(perf),
      /inference_perf\.model requests "gpt-4", which the model server does not serve \(it serves "base-model"\)/,
    );
  });
});
