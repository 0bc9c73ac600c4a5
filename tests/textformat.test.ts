import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as protobuf from "protobufjs";
import { UserError } from "../lib/errors";
import { generateTypes, TYPES_FILE } from "../proto/generate-types";
import { BenchmarkResultType, BenchmarksType, BenchmarkType, type MessageType, protoRoot } from "../proto/schema";
import {
  type PlainMessage,
  parseTextFormat,
  printTextFormat,
  sourcePosition,
  TextFormatError,
} from "../proto/textformat";
import { randomMessage } from "./fuzzer";
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
      LPG: {
        dataset: 2,
        models: 3,
        ip: 4,
        port: 5,
        request_rates: 6,
        benchmark_time_seconds: 7,
        output_length: 8,
        tokenizer: 9,
        warmup_seconds: 10,
      },
      LoadBalancer: {
        k8s_service: 1,
        gateway: 2,
        k8s_service_enabled: 4,
        gateway_enabled: 5,
        gateway_envoy_enabled: 6,
        gateway_gke_gateway_enabled: 7,
        gateway_envoy_epp_enabled: 8,
        gateway_envoy_lb_policy_enabled: 9,
      },
      Gateway: { envoy: 1, gke_gateway: 2, full_duplex_streaming_enabled: 3 },
      Envoy: { epp: 1, lb_policy: 2 },
      GKEGateway: { epp: 1 },
      EPP: { image: 1, refresh_metrics_interval: 2 },
      K8sService: {},
      BenchmarkResult: { stats: 1 },
      Stat: {
        request_rate: 1,
        request_latency: 2,
        throughput: 3,
        input_length: 4,
        output_length: 5,
        ttft: 6,
        tpot: 7,
        model_server_metrics: 8,
      },
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
    const replicas = (v: string) =>
      parse(`benchmarks { config { model_server { replicas: ${v} } } }`).benchmarks![0].config!.model_server!.replicas;
    assert.equal(replicas("12"), 12);
    assert.equal(replicas("0x1F"), 31);
    assert.equal(replicas("017"), 15);
    assert.equal(replicas("- # comment\n 3"), -3);
    assert.equal(replicas("2147483647"), 2147483647);
    assert.match(
      parseError("benchmarks { config { model_server { replicas: 2147483648 } } }").message,
      /out of range for int32/,
    );
    assert.match(parseError("benchmarks { config { model_server { replicas: 1.0 } } }").message, /expected an integer/);
    assert.match(
      parseError("benchmarks { config { model_server { replicas: 08 } } }").message,
      /invalid number "08": a number that starts with 0 is octal/,
    );
    assert.match(parseError("benchmarks { config { model_server { replicas: 12abc } } }").message, /invalid number/);
  });

  it("reads floats, inf and nan, bools in every spelling, enums by name and number", () => {
    const stats = parseTextFormat(
      BenchmarkResultType,
      `
      stats { request_rate: 1.5 } stats { request_rate: -inf } stats { request_rate: NaN }
      stats { request_rate: 1e3f } stats { request_rate: .5 } stats { request_rate: 7 } stats { request_rate: -Infinity }`,
    ).stats!;
    assert.deepEqual(
      stats.map((s) => s.request_rate),
      [1.5, -Infinity, NaN, 1000, 0.5, 7, -Infinity],
    );
    for (const [text, value] of [
      ["true", true],
      ["True", true],
      ["t", true],
      ["1", true],
      ["false", false],
      ["False", false],
      ["f", false],
      ["0", false],
    ] as const) {
      const gateway = parse(
        `benchmarks { config { load_balancer { gateway { full_duplex_streaming_enabled: ${text} } } } }`,
      ).benchmarks![0].config!.load_balancer!.gateway!;
      assert.equal(gateway.full_duplex_streaming_enabled, value, text);
    }
    assert.match(
      parseError("benchmarks { config { load_balancer { gateway { full_duplex_streaming_enabled: 2 } } } }").message,
      /expected a bool/,
    );
    const api = (v: string) =>
      parse(`benchmarks { config { load_balancer { gateway { inference_api: ${v} } } } }`).benchmarks![0].config!
        .load_balancer!.gateway!.inference_api;
    assert.equal(api("V1ALPHA2"), "V1ALPHA2");
    assert.equal(api("2"), "V1ALPHA2");
    assert.match(
      parseError("benchmarks { config { load_balancer { gateway { inference_api: 7 } } } }").message,
      /7 is not a number of InferenceApi \(known: INFERENCE_API_DEFAULT = 0, V1 = 1, V1ALPHA2 = 2\)/,
    );
    assert.match(
      parseError("benchmarks { config { load_balancer { gateway { inference_api: V3 } } } }").message,
      /unknown InferenceApi value "V3"/,
    );
  });

  it("accepts repeated fields as entries and as [lists], messages included", () => {
    const parsed = parseTextFormat(
      BenchmarkResultType,
      `
      stats { request_rate: 1 }
      stats: [{ request_rate: 2 }, < request_rate: 3 >]
      stats []
      stats { model_server_metrics [{ name: "a" }, { name: "b" }] }`,
    );
    assert.deepEqual(
      parsed.stats!.map((s) => s.request_rate ?? null),
      [1, 2, 3, null],
    );
    assert.deepEqual(
      parsed.stats![3].model_server_metrics!.map((m) => m.name),
      ["a", "b"],
    );
    assert.match(parseError('benchmarks { name: ["a"] }').message, /not repeated/);
  });

  it("rejects a second member of a oneof and a repeated singular field, naming both lines", () => {
    const oneof = parseError("benchmarks {\n config {\n  load_balancer {\n   k8s_service {}\n   gateway {}\n } } }");
    assert.equal(oneof.line, 5);
    assert.match(
      oneof.message,
      /^t\.pbtxt:5:4: benchmarks\[0\]\.config\.load_balancer\.gateway: "gateway" and "k8s_service" are both members of oneof "type"/,
    );
    const twice = parseError('benchmarks { name: "a"\n name: "b" }');
    assert.match(twice.message, /^t\.pbtxt:2:2: .*set twice \(first at line 1\)/);
  });

  it("parses google.protobuf.Timestamp fields", () => {
    const parsed = parseTextFormat(BenchmarkType, "start_time { seconds: 1700000000 nanos: 5 }");
    assert.deepEqual(parsed.start_time, { seconds: "1700000000", nanos: 5 });
  });

  it("remembers where each message and field was written", () => {
    const parsed = parse('\n\nbenchmarks {\n  name: "x"\n}');
    const benchmark = parsed.benchmarks![0];
    assert.deepEqual(sourcePosition(benchmark), { line: 3, column: 12 });
    assert.deepEqual(sourcePosition(benchmark, "name"), { line: 4, column: 3 });
  });

  it("prints explicit false, 0 and empty strings, so presence survives a round trip", () => {
    const message = {
      benchmarks: [
        {
          name: "",
          config: {
            model_server: { replicas: 0 },
            load_balancer: { gateway: { full_duplex_streaming_enabled: false } },
          },
        },
      ],
    };
    const text = printTextFormat(BenchmarksType, message);
    assert.match(text, /replicas: 0/);
    assert.match(text, /full_duplex_streaming_enabled: false/);
    assert.deepEqual(parse(text), message);
  });
});

describe("text format printer", () => {
  it("round-trips 500 random Benchmark messages: parse(print(m)) equals m", () => {
    const random = seededRandom(20261128);
    for (let i = 0; i < 500; i++) {
      const message = randomMessage(BenchmarkType, random) as never;
      const text = printTextFormat(BenchmarkType as MessageType<unknown>, message);
      assert.deepStrictEqual(parseTextFormat(BenchmarkType, text, `case-${i}`), message, `case ${i}:\n${text}`);
    }
  });

  it("round-trips the reference catalog", () => {
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

/** Every scalar kind, reserved names, a map, a recursive message and fields named like Object.prototype members. */
const ALL_KINDS = protobuf
  .parse(
    `
  syntax = "proto3";
  package t;
  enum Colour { RED = 0; GREEN = 1; BLUE = -2; }
  message All {
    uint32 u32 = 1; uint64 u64 = 2; int64 i64 = 3; sint64 s64 = 4; fixed64 f64 = 5; sfixed32 sf32 = 6;
    double d = 7; float f = 8; bytes b = 9; Colour colour = 10; map<string, int32> counts = 11;
    All child = 12; repeated string names = 13; string constructor = 14; string toString = 15;
    reserved "legacy", "old_field";
    reserved 100 to 110;
  }`,
    { keepCase: true },
  )
  .root.lookupType("t.All") as MessageType<PlainMessage>;
const parseAll = (text: string) => parseTextFormat(ALL_KINDS, text, "all.txtpb");
function allError(text: string): TextFormatError {
  try {
    parseAll(text);
  } catch (error) {
    assert.ok(error instanceof TextFormatError, `expected TextFormatError, got ${(error as Error).stack}`);
    return error;
  }
  assert.fail(`expected an error for: ${text.slice(0, 200)}`);
}

describe("text format parser: the spec's edges", () => {
  it("never looks a name up through Object.prototype: such names are unknown fields and values", () => {
    for (const name of [
      "constructor",
      "__proto__",
      "toString",
      "hasOwnProperty",
      "valueOf",
      "isPrototypeOf",
      "__defineGetter__",
    ]) {
      assert.match(
        parseError(`benchmarks { ${name} {} }`).message,
        new RegExp(`^t\\.pbtxt:1:14: benchmarks\\[0\\]: unknown field "${name}" in Benchmark`),
        name,
      );
      assert.match(parseError(`benchmarks { ${name}: 1 }`).message, /unknown field/, name);
      assert.match(
        parseError(`benchmarks { config { load_balancer { gateway { inference_api: ${name} } } } }`).message,
        new RegExp(`unknown InferenceApi value "${name}"`),
        name,
      );
    }
    // Fields that really are called so are own properties of the message.
    const parsed = parseAll('toString: "t" constructor: "c"');
    assert.deepEqual(Object.entries(parsed), [
      ["toString", "t"],
      ["constructor", "c"],
    ]);
    assert.equal(printTextFormat(ALL_KINDS, parsed), 'constructor: "c"\ntoString: "t"\n');
    assert.deepEqual(parseAll(""), {}, "a message with no field written has no own property at all");
    assert.match(allError('constructor: "a" constructor: "b"').message, /"constructor" is set twice/);
  });

  it("keeps int64 and uint64 exactly over their whole range, as decimal strings", () => {
    assert.equal(parseAll("i64: 9223372036854775807").i64, "9223372036854775807");
    assert.equal(parseAll("i64: -9223372036854775808").i64, "-9223372036854775808");
    assert.equal(parseAll("i64: -0x8000000000000000").i64, "-9223372036854775808");
    assert.equal(parseAll("u64: 18446744073709551615").u64, "18446744073709551615");
    assert.equal(parseAll("f64: 0xFFFFFFFFFFFFFFFF").f64, "18446744073709551615");
    assert.equal(parseAll("s64: 0777").s64, "511");
    assert.equal(parseAll("u64: 9007199254740993").u64, "9007199254740993", "2^53 + 1 stays exact");
    assert.match(allError("i64: 9223372036854775808").message, /out of range for int64/);
    assert.match(allError("u64: 18446744073709551616").message, /out of range for uint64/);
    assert.match(
      allError("u64: -0").message,
      /^all\.txtpb:1:6: u64: -"?0"? is negative; uint64 takes no sign|negative; uint64 takes no sign/,
    );
    assert.match(allError("u32: -1").message, /negative; uint32 takes no sign/);
    assert.match(allError("u32: 4294967296").message, /out of range for uint32/);
    assert.equal(parseAll("u32: 4294967295").u32, 4294967295);
    assert.equal(parseAll("sf32: -2147483648").sf32, -2147483648);
    const text = printTextFormat(ALL_KINDS, { i64: "-9223372036854775808", u64: "18446744073709551615" });
    assert.deepEqual(parseAll(text), { i64: "-9223372036854775808", u64: "18446744073709551615" });
  });

  it("takes decimal, float and inf/nan for floats, never hex or octal; overflows become infinity", () => {
    assert.equal(parseAll("d: 1.f").d, 1);
    assert.equal(parseAll("d: 0f").d, 0);
    assert.equal(parseAll("d: 1.5e-3F").d, 0.0015);
    assert.equal(parseAll("d: 1e999").d, Infinity);
    assert.equal(parseAll("d: -1e999").d, -Infinity);
    assert.equal(parseAll("d: 18446744073709551616").d, 18446744073709551616);
    assert.equal(parseAll("d: -INFINITY").d, -Infinity);
    assert.ok(Number.isNaN(parseAll("d: -nan").d as number));
    for (const literal of ["0x10", "017", "00", "-0x1"])
      assert.match(
        allError(`d: ${literal}`).message,
        /hex or octal literal; a float field takes decimal numbers only/,
        literal,
      );
    assert.match(allError("d: 1e").message, /the exponent has no digits/);
    assert.match(allError("d: 1.2.3").message, /must not run into a name or a "\."/);
    assert.match(allError("d: infinite").message, /expected a number, found "infinite"/);
  });

  it("reads bools as 0 and 1 in any base, enums by defined name or number only", () => {
    assert.equal(
      parseTextFormat(BenchmarkType, "config { load_balancer { gateway { full_duplex_streaming_enabled: 0x1 } } }")
        .config!.load_balancer!.gateway!.full_duplex_streaming_enabled,
      true,
    );
    assert.equal(
      parseTextFormat(BenchmarkType, "config { load_balancer { gateway { full_duplex_streaming_enabled: 00 } } }")
        .config!.load_balancer!.gateway!.full_duplex_streaming_enabled,
      false,
    );
    assert.match(
      parseError("benchmarks { config { load_balancer { gateway { full_duplex_streaming_enabled: -1 } } } }").message,
      /expected a bool/,
    );
    assert.equal(parseAll("colour: -2").colour, "BLUE");
    assert.equal(parseAll("colour: 0x1").colour, "GREEN");
    assert.match(allError("colour: 3").message, /3 is not a number of Colour \(known: RED = 0, GREEN = 1, BLUE = -2\)/);
    assert.match(allError("colour: -GREEN").message, /expected a Colour name or number/);
    assert.match(allError("colour: 99999999999").message, /not a number of Colour/);
  });

  it("checks string escapes: no \\X, no raw NUL, surrogates paired within one literal, UTF-8 for strings", () => {
    assert.match(
      parseError('benchmarks { name: "\\X41" }').message,
      /^t\.pbtxt:1:21: benchmarks\[0\]\.name: unknown escape \\X/,
    );
    assert.match(
      parseError('benchmarks { name: "a\0b" }').message,
      /^t\.pbtxt:1:22: benchmarks\[0\]\.name: raw NUL character in a string/,
    );
    assert.match(parseError('benchmarks { name: "\\ud83d" "\\ude00" }').message, /unpaired surrogate/);
    assert.match(parseError('benchmarks { name: "\\ud83d\\u0041" }').message, /unpaired surrogate/);
    assert.match(parseError('benchmarks { name: "\\udc00" }').message, /lone surrogate/);
    assert.match(parseError('benchmarks { name: "\\U0000d800" }').message, /lone surrogate/);
    assert.match(parseError('benchmarks { name: "\\U00110000" }').message, /beyond Unicode/);
    assert.match(parseError('benchmarks { name: "\\xff" }').message, /not valid UTF-8 once its escapes are decoded/);
    assert.equal(parse('benchmarks { name: "\\303\\251\\xc3\\xa9" }').benchmarks![0].name, "éé");
    assert.deepEqual([...(parseAll("b: \"\\xff\\0\\u00e9\" '\\x4'").b as Uint8Array)], [0xff, 0, 0xc3, 0xa9, 4]);
    assert.equal(
      parse('benchmarks { name: "\\1234\\x213" }').benchmarks![0].name,
      "S4!3",
      "octal takes 3 digits, hex 2",
    );
  });

  it("refuses bytes that are not UTF-8 and lone surrogates, naming the line and column", () => {
    const latin1 = Buffer.concat([
      Buffer.from('benchmarks {\n  name: "caf'),
      Buffer.from([0xe9]),
      Buffer.from('"\n}\n'),
    ]);
    const error = (() => {
      try {
        parseTextFormat(BenchmarksType, latin1, "latin1.pbtxt");
      } catch (e) {
        return e as TextFormatError;
      }
      assert.fail("a Latin-1 byte must be an error");
    })();
    assert.ok(error instanceof TextFormatError);
    assert.match(error.message, /^latin1\.pbtxt:2:13: the file is not valid UTF-8 \(byte 0xe9\)/);
    assert.match(
      parseError('benchmarks { name: "\ud800" }').message,
      /^t\.pbtxt:1:21: the text holds a lone UTF-16 surrogate/,
    );
    assert.deepEqual(parseTextFormat(BenchmarksType, Buffer.from('\ufeffbenchmarks { name: "é" }'), "bom.pbtxt"), {
      benchmarks: [{ name: "é" }],
    });
  });

  it("counts lines at LF, CR LF and lone CR, and columns in characters, not UTF-16 units", () => {
    assert.equal(parseError('benchmarks {\r  name: "a"\r  nope: 1 }').line, 3);
    assert.equal(parseError('benchmarks {\r\n  name: "a"\r\n  nope: 1 }').line, 3);
    const emoji = parseError('benchmarks { name: "😀😀" nope: 1 }');
    assert.equal(emoji.column, 25);
    assert.match(parseError("# comment\rbenchmarks {}").message, /lone carriage return/);
  });

  it("skips reserved names in any form, and rejects maps, extensions and unknown names with a location", () => {
    assert.deepEqual(
      parseAll('legacy: 1 old_field { a: "x" b: [1, 2] c < d: -inf > e [{}, <>] } legacy: [1, "a"] names: "n"'),
      { names: ["n"] },
    );
    assert.match(allError('counts { key: "a" value: 1 }').message, /map fields are not supported/);
    assert.match(allError("[t.ext]: 1").message, /extension and Any fields/);
    assert.match(allError("nmes: 1").message, /unknown field "nmes" in All \(did you mean "names"\?\)/);
  });

  it("fails with a clear error beyond 100 levels of nesting, at any depth, never a stack overflow", () => {
    const nested = (depth: number) => "child { ".repeat(depth) + "}".repeat(depth);
    let ok = parseAll(nested(99));
    for (let i = 0; i < 99; i++) ok = ok.child as PlainMessage;
    assert.deepEqual(ok, {});
    assert.match(allError(nested(100)).message, /messages nest deeper than 100 levels/);
    assert.match(allError(nested(1_000_000)).message, /messages nest deeper than 100 levels/);
    assert.match(allError(`legacy { ${nested(1_000_000)} }`).message, /messages nest deeper than 100 levels/);
  });

  it(
    "keeps errors to one line of at most 200 characters, eliding long input, with the field path " +
      "for lexer errors too",
    () => {
      const huge = "a".repeat(1_048_576);
      const unknown = parseError(`benchmarks { ${huge}: 1 }`);
      assert.match(unknown.message, /unknown field "a{40}…" \(1,048,576 characters\) in Benchmark$/);
      assert.ok(unknown.message.length <= 200, unknown.message);
      for (const text of [
        `benchmarks { name: "${huge}\\q" }`,
        `benchmarks { config { model_server { replicas: ${"9".repeat(100_000)} } } }`,
        `benchmarks { config { load_balancer { gateway { inference_api: ${huge} } } } }`,
        `benchmarks { name: ${huge} }`,
        `benchmarks { name: "a" } ${"}".repeat(10)}`,
      ]) {
        const error = parseError(text);
        assert.ok(error.message.length <= 200 && !error.message.includes("\n"), error.message);
      }
      const lexer = parseError('benchmarks {\n  config { model_server { vllm { model: "a\\q" } } } }');
      assert.equal(lexer.fieldPath, "benchmarks[0].config.model_server.vllm.model");
      assert.match(
        lexer.message,
        /^t\.pbtxt:2:43: benchmarks\[0\]\.config\.model_server\.vllm\.model: unknown escape "\\\\q"$/,
      );
    },
  );

  it(
    "parses a 1 MB string with escapes and a 100,000-entry list, and prints 300,000 lines without " +
      "recursion limits",
    () => {
      const value = "ab\\n\\303\\251".repeat(100_000);
      assert.equal((parse(`benchmarks { name: "${value}" }`).benchmarks![0].name as string).length, 400_000);
      const result = parseTextFormat(
        BenchmarkResultType,
        `stats: [${Array.from({ length: 100_000 }, (_, i) => `{ request_rate: ${i} }`).join(",")}]`,
      );
      assert.equal(result.stats!.length, 100_000);
      const text = printTextFormat(BenchmarkResultType, result);
      assert.equal(text.split("\n").length - 1, 300_000);
      assert.deepEqual(parseTextFormat(BenchmarkResultType, text), result);
    },
  );
});
