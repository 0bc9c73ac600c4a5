// Malformed catalogs, as data: the catalog tests load each one, and the CLI error suite runs
// each through the catalog command. Adding a case is one line.

/** A complete, valid benchmark body; tests derive variations from it. */
export const BASE = `
benchmarks {
  name: "base"
  config {
    model_server {
      image: "vllm/vllm-openai:v0.8.1"
      accelerator: "nvidia-h100-80gb"
      replicas: 2
      vllm { tensor_parallelism: "2" model: "meta-llama/Llama-3.1-8B-Instruct" }
    }
    load_balancer { gateway { envoy { epp { image: "registry.k8s.io/gateway-api-inference-extension/epp:v1.5.0" } } full_duplex_streaming_enabled: true } }
    benchmark_tool { image: "lpg@sha256:abc" lpg { models: "meta-llama/Llama-3.1-8B-Instruct" request_rates: "1,2" } }
  }
}
`;

/** [what is wrong, catalog text, the line the error must name, what the message must say]. */
export const BAD_CATALOGS: Array<[string, string, number, RegExp]> = [
  [
    "unknown top-level field",
    "benchmark { }",
    1,
    /unknown field "benchmark" in Benchmarks \(did you mean "benchmarks"\?\)/,
  ],
  ["unknown nested field", 'benchmarks {\n name: "a"\n config { modelserver {} } }', 3, /unknown field "modelserver"/],
  ["missing colon before scalar", 'benchmarks { name "a" }', 1, /expected ":" after "name"/],
  ["unterminated string", 'benchmarks { name: "a }', 1, /string is not closed/],
  ["newline in string", 'benchmarks { name: "a\n" }', 1, /string is not closed on its line/],
  ["unknown escape", 'benchmarks { name: "\\q" }', 1, /unknown escape "\\\\q"/],
  ["short \\u escape", 'benchmarks { name: "\\u12" }', 1, /needs 4 hex digits/],
  ["lone surrogate", 'benchmarks { name: "\\ud800" }', 1, /unpaired surrogate/],
  ["octal escape too big", 'benchmarks { name: "\\777" }', 1, /larger than a byte/],
  [
    "missing closing brace",
    'benchmarks {\n name: "a"\n',
    3,
    /expected "}" before the end of the input \(the message opened at line 1\)/,
  ],
  ["mismatched delimiter", 'benchmarks < name: "a" }', 1, /expected ">", found "}"/],
  ["stray closing brace", "}", 1, /unexpected "}": no message is open/],
  ["int for a string", "benchmarks { name: 3 }", 1, /expected a string literal/],
  [
    "string for an int",
    'benchmarks { name: "a" config { model_server { replicas: "2" } } }',
    1,
    /expected an integer \(int32\), found string "2"$/,
  ],
  [
    "int32 overflow",
    'benchmarks { name: "a" config { model_server { replicas: 99999999999 } } }',
    1,
    /out of range for int32/,
  ],
  [
    "bad bool",
    'benchmarks { name: "a" config { load_balancer { gateway { full_duplex_streaming_enabled: yes } } } }',
    1,
    /expected a bool/,
  ],
  [
    "unknown enum",
    'benchmarks { name: "a" config { load_balancer { gateway { inference_api: V9 } } } }',
    1,
    /unknown InferenceApi value "V9"/,
  ],
  ["list for a singular field", 'benchmarks { name: ["a"] }', 1, /not repeated/],
  ["unterminated list", 'benchmarks { name: "a" } benchmarks: [ { name: "b" }', 1, /expected "," or "\]"/],
  [
    "two oneof members",
    'benchmarks { name: "a" config { load_balancer { k8s_service {}\n gateway {} } } }',
    2,
    /both members of oneof "type"/,
  ],
  ["field set twice", 'benchmarks { name: "a"\n\n name: "b" }', 3, /set twice \(first at line 1\)/],
  ["extension syntax", "benchmarks { [foo.bar]: 1 }", 1, /extension and Any fields/],
  ["garbage character", 'benchmarks { name: "a" @ }', 1, /unexpected character "@"/],
  [
    "number glued to identifier",
    'benchmarks { name: "a" config { model_server { replicas: 3x } } }',
    1,
    /invalid number/,
  ],
  ["no name", "benchmarks { config {} }", 1, /benchmark has no name/],
  ["duplicate name", `${BASE}\n${BASE}`, 18, /"base" is defined twice in this file \(first at line 2\)/],
  [
    "unknown base",
    `${BASE}\nbenchmarks { name: "x"\n base_benchmark_name: "nope" }`,
    17,
    /base benchmark "nope" is not defined in this file \(chain: x → nope\)/,
  ],
  [
    "inheritance cycle",
    'benchmarks { name: "a" base_benchmark_name: "c" }\nbenchmarks { name: "b" ' +
      'base_benchmark_name: "a" }\nbenchmarks { name: "c" base_benchmark_name: "b" }',
    2,
    /inheritance cycle: a → c → b → a/,
  ],
  ["self inheritance", 'benchmarks { name: "a"\n base_benchmark_name: "a" }', 2, /inheritance cycle: a → a/],
  ["uppercase name", BASE.replace('"base"', '"Base"'), 3, /DNS-1123 label/],
  ["name too long", BASE.replace('"base"', `"${"a".repeat(55)}"`), 3, /at most 54 characters/],
  ["zero replicas", BASE.replace("replicas: 2", "replicas: 0"), 8, /replicas must be at least 1 \(got 0\)/],
  ["negative replicas", BASE.replace("replicas: 2", "replicas: -1"), 8, /replicas must be at least 1/],
  [
    "bad tensor parallelism",
    BASE.replace('tensor_parallelism: "2"', 'tensor_parallelism: "two"'),
    9,
    /tensor_parallelism must be a positive integer \(got "two"\)/,
  ],
  [
    "zero tensor parallelism",
    BASE.replace('tensor_parallelism: "2"', 'tensor_parallelism: "0"'),
    9,
    /tensor_parallelism must be a positive integer/,
  ],
  ["no model server type", BASE.replace(/vllm \{[^}]*\}/, ""), 5, /needs a type: vllm/],
  [
    "no load balancer type",
    BASE.replace(/load_balancer \{.*\n/, "load_balancer {}\n"),
    11,
    /config.load_balancer needs a type/,
  ],
  [
    "no benchmark tool type",
    BASE.replace(/benchmark_tool \{.*\n/, 'benchmark_tool { image: "x:1" }\n'),
    12,
    /config.benchmark_tool needs a type: lpg/,
  ],
  ["no model server", 'benchmarks { name: "a" config { } }', 1, /config.model_server is missing/],
  [
    "bad request rates",
    BASE.replace('request_rates: "1,2"', 'request_rates: "1,fast"'),
    12,
    /request_rates must be comma-separated non-negative numbers/,
  ],
  [
    "unknown model without rates",
    BASE.replace('request_rates: "1,2"', "").replace(
      'model: "meta-llama/Llama-3.1-8B-Instruct"',
      'model: "acme/unknown"',
    ),
    12,
    /no built-in rates for "acme\/unknown" on "nvidia-h100-80gb" \(7 known pairs in lib\/catalog\/rates\.ts\); set lpg\.request_rates/,
  ],
  [
    "unknown accelerator without rates",
    BASE.replace('request_rates: "1,2"', "").replace("nvidia-h100-80gb", "tpu-v9"),
    12,
    /on "tpu-v9"/,
  ],
  [
    "bad lb policy",
    BASE.replace(/epp \{ image: "[^"]*" \}/, 'lb_policy: "Fastest"'),
    11,
    /lb_policy "Fastest" is not an Envoy Gateway load balancer type \(ConsistentHash, LeastRequest, Random, RoundRobin\)/,
  ],
  [
    "gke with v1alpha2",
    BASE.replace(/envoy \{ epp \{ image: "[^"]*" \} \}/, "gke_gateway {} inference_api: V1ALPHA2"),
    11,
    /GKE Gateway routes to inference.networking.k8s.io\/v1/,
  ],
  [
    "bad port",
    BASE.replace('request_rates: "1,2"', 'request_rates: "1" port: "99999"'),
    12,
    /port must be a port number/,
  ],
  [
    "bad refresh interval",
    BASE.replace('epp:v1.5.0"', 'epp:v1.5.0" refresh_metrics_interval: "often"'),
    11,
    /refresh_metrics_interval must be a duration/,
  ],
  ["empty catalog", "", 1, /defines no benchmarks \(it is empty or holds only comments\)/],
  ["only comments", "# proto-file: proto/benchmark.proto\n# nothing else\n", 1, /defines no benchmarks/],
  ["an empty list of benchmarks", "benchmarks []", 1, /defines no benchmarks/],
  [
    "prototype name as a field",
    'benchmarks { name: "a"\n constructor {} }',
    2,
    /unknown field "constructor" in Benchmark/,
  ],
  [
    "prototype name as a value",
    'benchmarks { name: "a" config { load_balancer { gateway {\n inference_api: toString } } } }',
    2,
    /unknown InferenceApi value "toString"/,
  ],
  ["__proto__ as a field", 'benchmarks { __proto__ { name: "x" } }', 1, /unknown field "__proto__"/],
  [
    "enum number outside the enum",
    'benchmarks { name: "a" config { load_balancer { gateway { inference_api: 9 } } } }',
    1,
    /9 is not a number of InferenceApi/,
  ],
  [
    "empty model server image",
    BASE.replace('image: "vllm/vllm-openai:v0.8.1"', 'image: ""'),
    6,
    /config\.model_server\.image is empty; it must name a container image/,
  ],
  [
    "blank endpoint picker image",
    BASE.replace('epp:v1.5.0"', '" image: ""').replace(
      'image: "registry.k8s.io/gateway-api-inference-extension/" image: ""',
      'image: " "',
    ),
    11,
    /config\.load_balancer\.gateway\.envoy\.epp\.image is empty/,
  ],
  [
    "empty load generator image",
    BASE.replace('image: "lpg@sha256:abc"', 'image: ""'),
    12,
    /config\.benchmark_tool\.image is empty/,
  ],
  [
    "empty model",
    BASE.replace('model: "meta-llama/Llama-3.1-8B-Instruct"', 'model: ""'),
    9,
    /config\.model_server\.vllm\.model is empty; it must name a model/,
  ],
  [
    "empty tokenizer",
    BASE.replace('request_rates: "1,2"', 'request_rates: "1,2" tokenizer: ""'),
    12,
    /config\.benchmark_tool\.lpg\.tokenizer is empty; it must name a tokenizer/,
  ],
  [
    "empty dataset",
    BASE.replace('request_rates: "1,2"', 'request_rates: "1,2" dataset: ""'),
    12,
    /config\.benchmark_tool\.lpg\.dataset is empty/,
  ],
  [
    "empty gateway class",
    BASE.replace("full_duplex_streaming_enabled: true", 'full_duplex_streaming_enabled: true gateway_class_name: ""'),
    11,
    /gateway_class_name is empty; it must name a GatewayClass/,
  ],
  [
    "duplicate explicit rates",
    BASE.replace('request_rates: "1,2"', 'request_rates: "1,2,1.0"'),
    12,
    /request_rates: rate 1 appears twice/,
  ],
  [
    "generated rates that round to zero",
    BASE.replace(
      'models: "meta-llama/Llama-3.1-8B-Instruct" request_rates: "1,2"',
      `models: "${Array.from({ length: 1000 }, (_, i) => `m${i}`).join(",")}"`,
    ),
    12,
    /generated rates "0\.0,.*: a rate rounds to 0\.0 \(built-in × 2 replicas × 2 GPUs ÷ 1000 models\); set lpg\.request_rates/,
  ],
  [
    "generated rates that collide",
    BASE.replace(
      'models: "meta-llama/Llama-3.1-8B-Instruct" request_rates: "1,2"',
      `models: "${Array.from({ length: 800 }, (_, i) => `m${i}`).join(",")}"`,
    ),
    12,
    /generated rates "0\.1,0\.1,.*: rate 0\.1 appears twice/,
  ],
  [
    "a 1 MB name",
    `benchmarks { name: "${"x".repeat(1_048_576)}" }`,
    1,
    /benchmark "x{30}…" \(1,048,576 characters\): name must be a DNS-1123 label/,
  ],
  [
    "a long inheritance cycle",
    Array.from(
      { length: 1000 },
      (_, i) => `benchmarks { name: "c${i}" base_benchmark_name: "c${(i + 1) % 1000}" }`,
    ).join("\n"),
    1000,
    /inheritance cycle: c0 → c1 → c2 → … \(996 more\) → c999 → c0/,
  ],
  [
    "a Latin-1 byte",
    'benchmarks {\n  name: "caf\u00e9"\n}'.replace("\u00e9", "\udce9"),
    2,
    /the text holds a lone UTF-16 surrogate|not valid UTF-8/,
  ],
  ["\\X escape", 'benchmarks { name: "\\X41" }', 1, /unknown escape \\X/],
  [
    "hex float",
    'benchmarks { name: "a" result { stats { request_rate: 0x10 } } }',
    1,
    /a float field takes decimal numbers only/,
  ],
];
