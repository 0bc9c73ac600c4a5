import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as protobuf from "protobufjs";
import { generateTypes, TYPES_FILE } from "../proto/generate-types";
import { BenchmarkResultType, BenchmarksType, BenchmarkType, type MessageType, protoRoot } from "../proto/schema";
import { parseTextFormat, type PlainMessage, printTextFormat, sourcePosition, TextFormatError } from "../proto/textformat";
import { UserError } from "../lib/errors";
import { seededRandom } from "./helpers";

const parse = (text: string) => parseTextFormat(BenchmarksType, text, "t.pbtxt");

function parseError(text: string): TextFormatError {
  try {
    parse(text);
  } catch (error) {
    assert.ok(error instanceof TextFormatError, `expected TextFormatError, got ${error}`);
    return error;
  }
  assert.fail(`expected an error for: ${text}`);
}

describe("benchmark.proto", () => {
  it("keeps every message, field name and number of the original contract", () => {
    const expected: Record<string, Record<string, number>> = {
      Helm: { global: 1 },
      Benchmarks: { benchmarks: 1 },
      Benchmark: { benchmark_case: 1, config: 2, result: 3, start_time: 4, name: 5, base_benchmark_name: 6 },
      BenchmarkCase: { name: 1, description: 2 },
      BenchmarkConfig: { load_balancer: 1, model_server: 2, benchmark_tool: 3, namespace: 4 },
      ModelServer: { image: 1, accelerator: 2, replicas: 3, vllm: 4 },
      VLLM: { tensor_parallelism: 1, max_loras: 2, model: 3, lora_rank: 4, v1: 5 },
      BenchmarkTool: { image: 1, lpg: 2 },
      LPG: { dataset: 2, models: 3, ip: 4, port: 5, request_rates: 6, benchmark_time_seconds: 7, output_length: 8, tokenizer: 9, warmup_seconds: 10 },
      LoadBalancer: {
        k8s_service: 1, gateway: 2, k8s_service_enabled: 4, gateway_enabled: 5, gateway_envoy_enabled: 6,
        gateway_gke_gateway_enabled: 7, gateway_envoy_epp_enabled: 8, gateway_envoy_lb_policy_enabled: 9,
      },
      Gateway: { envoy: 1, gke_gateway: 2, full_duplex_streaming_enabled: 3 },
      Envoy: { epp: 1, lb_policy: 2 },
      GKEGateway: { epp: 1 },
      EPP: { image: 1, refresh_metrics_interval: 2 },
      K8sService: {},
      BenchmarkResult: { stats: 1 },
      Stat: { request_rate: 1, request_latency: 2, throughput: 3, input_length: 4, output_length: 5, ttft: 6, tpot: 7, model_server_metrics: 8 },
      Metric: { name: 1, mean: 2, median: 3, sd: 4, min: 5, max: 6, p90: 7, p99: 8 },
    };
    for (const [message, fields] of Object.entries(expected)) {
      const type = protoRoot.lookupType(`benchmark.${message}`);
      for (const [name, id] of Object.entries(fields)) {
        assert.equal(type.fields[name]?.id, id, `${message}.${name} must keep number ${id}`);
      }
    }
    assert.equal(protoRoot.lookupType("benchmark.Benchmark").fields.start_time.type, "google.protobuf.Timestamp");
    assert.deepEqual(protoRoot.lookupType("benchmark.ModelServer").oneofs.type.oneof.slice(0, 1), ["vllm"]);
    assert.deepEqual(protoRoot.lookupType("benchmark.BenchmarkTool").oneofs.Type.oneof.slice(0, 1), ["lpg"]);
  });

  it("has generated TypeScript types that match the proto (run npm run proto:types after editing it)", () => {
    assert.equal(fs.readFileSync(TYPES_FILE, "utf8"), generateTypes());
  });
});

describe("text format parser", () => {
  it("parses comments, optional colons before messages, both delimiters and separators", () => {
    const parsed = parse(`
      # a comment
      benchmarks: { name: "a"; config < namespace: 'x', > } # trailing
      benchmarks { name: "b", }`);
    assert.deepEqual(parsed, { benchmarks: [{ name: "a", config: { namespace: "x" } }, { name: "b" }] });
  });

  it("decodes every string escape and concatenates adjacent literals", () => {
    const parsed = parse(String.raw`benchmarks { name: "a\n\t\"\'\\\x41\101\u00e9\U0001F600\?" 'b' "c" }`);
    assert.equal(parsed.benchmarks![0].name, "a\n\t\"'\\AAé😀?bc");
    assert.equal(parse(String.raw`benchmarks { name: "\ud83d\ude00" }`).benchmarks![0].name, "😀");
    assert.equal(parse(String.raw`benchmarks { name: "\x4" }`).benchmarks![0].name, "\x04");
    assert.equal(parse(String.raw`benchmarks { name: "\0" }`).benchmarks![0].name, "\0");
  });

  it("reads decimal, hex and octal integers, signs across comments, and range-checks them", () => {
    const replicas = (v: string) => parse(`benchmarks { config { model_server { replicas: ${v} } } }`).benchmarks![0].config!.model_server!.replicas;
    assert.equal(replicas("12"), 12);
    assert.equal(replicas("0x1F"), 31);
    assert.equal(replicas("017"), 15);
    assert.equal(replicas("- # comment\n 3"), -3);
    assert.equal(replicas("2147483647"), 2147483647);
    assert.match(parseError("benchmarks { config { model_server { replicas: 2147483648 } } }").message, /out of range for int32/);
    assert.match(parseError("benchmarks { config { model_server { replicas: 1.0 } } }").message, /expected an integer/);
    assert.match(parseError("benchmarks { config { model_server { replicas: 08 } } }").message, /invalid number/);
    assert.match(parseError("benchmarks { config { model_server { replicas: 12abc } } }").message, /invalid number/);
  });

  it("reads floats, inf and nan, bools in every spelling, enums by name and number", () => {
    const stats = parseTextFormat(BenchmarkResultType, `
      stats { request_rate: 1.5 } stats { request_rate: -inf } stats { request_rate: NaN }
      stats { request_rate: 1e3f } stats { request_rate: .5 } stats { request_rate: 7 } stats { request_rate: -Infinity }`).stats!;
    assert.deepEqual(stats.map((s) => s.request_rate), [1.5, -Infinity, NaN, 1000, 0.5, 7, -Infinity]);
    for (const [text, value] of [["true", true], ["True", true], ["t", true], ["1", true], ["false", false], ["False", false], ["f", false], ["0", false]] as const) {
      const gateway = parse(`benchmarks { config { load_balancer { gateway { full_duplex_streaming_enabled: ${text} } } } }`).benchmarks![0].config!.load_balancer!.gateway!;
      assert.equal(gateway.full_duplex_streaming_enabled, value, text);
    }
    assert.match(parseError("benchmarks { config { load_balancer { gateway { full_duplex_streaming_enabled: 2 } } } }").message, /expected a bool/);
    const api = (v: string) => parse(`benchmarks { config { load_balancer { gateway { inference_api: ${v} } } } }`).benchmarks![0].config!.load_balancer!.gateway!.inference_api;
    assert.equal(api("V1ALPHA2"), "V1ALPHA2");
    assert.equal(api("2"), "V1ALPHA2");
    assert.equal(api("7"), 7 as unknown);
    assert.match(parseError("benchmarks { config { load_balancer { gateway { inference_api: V3 } } } }").message, /unknown InferenceApi value "V3"/);
  });

  it("accepts repeated fields as entries and as [lists], messages included", () => {
    const parsed = parseTextFormat(BenchmarkResultType, `
      stats { request_rate: 1 }
      stats: [{ request_rate: 2 }, < request_rate: 3 >]
      stats []
      stats { model_server_metrics [{ name: "a" }, { name: "b" }] }`);
    assert.deepEqual(parsed.stats!.map((s) => s.request_rate ?? null), [1, 2, 3, null]);
    assert.deepEqual(parsed.stats![3].model_server_metrics!.map((m) => m.name), ["a", "b"]);
    assert.match(parseError("benchmarks { name: [\"a\"] }").message, /not repeated/);
  });

  it("rejects a second member of a oneof and a repeated singular field, naming both lines", () => {
    const oneof = parseError("benchmarks {\n config {\n  load_balancer {\n   k8s_service {}\n   gateway {}\n } } }");
    assert.equal(oneof.line, 5);
    assert.match(oneof.message, /^t\.pbtxt:5:4: benchmarks\[0\]\.config\.load_balancer\.gateway: "gateway" and "k8s_service" are both members of oneof "type"/);
    const twice = parseError('benchmarks { name: "a"\n name: "b" }');
    assert.match(twice.message, /^t\.pbtxt:2:2: .*set twice \(first at line 1\)/);
  });

  it("parses google.protobuf.Timestamp fields", () => {
    const parsed = parseTextFormat(BenchmarkType, "start_time { seconds: 1700000000 nanos: 5 }");
    assert.deepEqual(parsed.start_time, { seconds: 1700000000, nanos: 5 });
  });

  it("remembers where each message and field was written", () => {
    const parsed = parse('\n\nbenchmarks {\n  name: "x"\n}');
    const benchmark = parsed.benchmarks![0];
    assert.deepEqual(sourcePosition(benchmark), { line: 3, column: 12 });
    assert.deepEqual(sourcePosition(benchmark, "name"), { line: 4, column: 3 });
  });

  it("prints explicit false, 0 and empty strings, so presence survives a round trip", () => {
    const message = { benchmarks: [{ name: "", config: { model_server: { replicas: 0 }, load_balancer: { gateway: { full_duplex_streaming_enabled: false } } } }] };
    const text = printTextFormat(BenchmarksType, message);
    assert.match(text, /replicas: 0/);
    assert.match(text, /full_duplex_streaming_enabled: false/);
    assert.deepEqual(parse(text), message);
  });
});

/** A random message of `type`: every field present or not, values across each type's range. */
function randomMessage(type: protobuf.Type, random: () => number, depth = 0): PlainMessage {
  const message: PlainMessage = {};
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
  const randomString = () => {
    const alphabet = ["a", "Z", "0", " ", '"', "'", "\\", "\n", "\t", "\x00", "\x7f", "é", "日本", "😀", "#", "{", "}", ":"];
    return Array.from({ length: Math.floor(random() * 8) }, () => pick(alphabet)).join("");
  };
  const scalar = (field: protobuf.Field): unknown => {
    if (field.resolvedType instanceof protobuf.Enum) return pick(Object.keys(field.resolvedType.values));
    switch (field.type) {
      case "string": return randomString();
      case "bool": return random() < 0.5;
      case "float": case "double": return pick([0, -0, 1.5, -2.25e-7, 1e21, Infinity, -Infinity, NaN, (random() - 0.5) * 1e6]);
      case "int64": return Math.floor((random() - 0.5) * 2 ** 53);
      default: return Math.floor((random() - 0.5) * 2 ** 32) | 0;
    }
  };
  const oneofChosen = new Map<protobuf.OneOf, string>();
  for (const oneof of type.oneofsArray) oneofChosen.set(oneof, pick(oneof.oneof));
  for (const field of type.fieldsArray) {
    field.resolve();
    if (field.partOf && oneofChosen.get(field.partOf) !== field.name) continue;
    if (random() < 0.4) continue;
    const isMessage = field.resolvedType instanceof protobuf.Type;
    if (isMessage && depth > 4) continue;
    const make = () => (isMessage ? randomMessage(field.resolvedType as protobuf.Type, random, depth + 1) : scalar(field));
    message[field.name] = field.repeated ? Array.from({ length: 1 + Math.floor(random() * 3) }, make) : make();
  }
  return message;
}

describe("text format printer", () => {
  it("round-trips 500 random Benchmark messages: parse(print(m)) equals m", () => {
    const random = seededRandom(20261128);
    for (let i = 0; i < 500; i++) {
      const message = randomMessage(BenchmarkType, random) as never;
      const text = printTextFormat(BenchmarkType as MessageType<unknown>, message);
      assert.deepStrictEqual(parseTextFormat(BenchmarkType, text, `case-${i}`), message, `case ${i}:\n${text}`);
    }
  });

  it("round-trips the reference catalog", function () {
    const text = fs.readFileSync(path.join(__dirname, "..", "catalog", "base-model.pbtxt"), "utf8");
    const parsed = parse(text);
    assert.deepStrictEqual(parse(printTextFormat(BenchmarksType, parsed)), parsed);
  });
});

describe("text format errors", () => {
  it("are all TextFormatError (a UserError) with file, line, column and one line of text", () => {
    const error = parseError('benchmarks {\n  name: "x"\n  config { model_server { replicas: "3" } }\n}');
    assert.ok(error instanceof UserError);
    assert.equal(error.file, "t.pbtxt");
    assert.equal(error.line, 3);
    assert.equal(error.fieldPath, "benchmarks[0].config.model_server.replicas");
    assert.doesNotMatch(error.message, /\n/);
  });
});
