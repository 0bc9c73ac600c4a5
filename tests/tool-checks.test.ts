// The collection-side checks on their own: reading tracebacks and the wrapper's lines from a
// tool log, scrubbing secrets, failed requests, load delivered, and the status rule. The logs
// below are SYNTHETIC (written for these cases); the real tools' logs are exercised in
// lpg-conformance.test.ts and inference-perf-results.test.ts.
import * as assert from "node:assert/strict";
import { resolveCatalogText } from "../lib/catalog/catalog";
import { achievedRate } from "../lib/tool-output/load-fidelity";
import { parseResultLog } from "../lib/tool-output/log-archive";
import { REDACTED, scrubSecrets } from "../lib/tool-output/secrets";
import { readToolLog } from "../lib/tool-output/tool-log";
import { checkStats, scrubResultLog, statusOf, toolResults } from "../lib/tool-output/tool-results";
import type { Stat } from "../proto/benchmark-types";

const CHAINED = `Benchmarking request rate: 5
+ python3 benchmark_serving.py --request-rate=5
Traceback (most recent call last):
  File "x.py", line 1, in <module>
    import y
ConnectionRefusedError: [Errno 111] Connect call failed

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "x.py", line 3, in <module>
    raise client_error(req.connection_key, exc) from exc
aiohttp.client_exceptions.ClientConnectorError: Cannot connect to host
+ sleep 30
+ echo 'Benchmarking request rate: 0'
Benchmarking request rate: 0
Traceback (most recent call last):
  File "benchmark_serving.py", line 478, in benchmark
    prompt_len, output_len, request_latency = latency
    ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
TypeError: cannot unpack non-iterable NoneType object
`;

describe("tool checks: reading the log", () => {
  it(
    "names each crash by its last exception, in the section (rate) it happened in; a chained " +
      "traceback is one crash",
    () => {
      const facts = readToolLog(CHAINED);
      assert.deepEqual(facts.crashes, [
        {
          section: { kind: "rate", rate: 5 },
          exception: "aiohttp.client_exceptions.ClientConnectorError: Cannot connect to host",
        },
        { section: { kind: "rate", rate: 0 }, exception: "TypeError: cannot unpack non-iterable NoneType object" },
      ]);
    },
  );

  it("reads the wrapper's warm-up, streaming and notes, and attributes a warm-up crash to the warm-up", () => {
    const facts = readToolLog(
      [
        "inference-bench:note streaming off: this LPG build crashes when it streams",
        "inference-bench:streaming off",
        "inference-bench:warmup-begin rate=2.5 seconds=30 prompts=75",
        "Traceback (most recent call last):",
        '  File "benchmark_serving.py", line 1',
        "KeyError: 'vllm:cpu_cache_usage_perc'",
        "inference-bench:warmup-end status=1 succeeded=unknown attempted=75",
        "Benchmarking request rate: 2.5",
      ].join("\n"),
    );
    assert.equal(facts.streaming, false);
    assert.deepEqual(facts.notes, ["streaming off: this LPG build crashes when it streams"]);
    assert.deepEqual(facts.warmup, { rate: 2.5, seconds: 30, requests: 75, succeeded: undefined, exit_status: 1 });
    assert.deepEqual(facts.crashes, [
      { section: { kind: "warm-up" }, exception: "KeyError: 'vllm:cpu_cache_usage_perc'" },
    ]);
  });
});

describe("tool checks: secrets", () => {
  it(
    "scrubs known values, Hugging Face token shapes and --token / HF_TOKEN= arguments, counting " +
      "only real removals",
    () => {
      const text = `+ huggingface-cli login --token hf_abcdefghijklmnopqrstuvwxyz0123456789 --add-to-git-credential
HF_TOKEN=sekret-value env
--token='quoted-value'
known: my-own-secret-1234 and again my-own-secret-1234
already --token ${REDACTED}`;
      const { text: clean, removed } = scrubSecrets(text, ["my-own-secret-1234"]);
      for (const secret of [
        "hf_abcdefghijklmnopqrstuvwxyz0123456789",
        "sekret-value",
        "quoted-value",
        "my-own-secret-1234",
      ])
        assert.ok(!clean.includes(secret), secret);
      assert.equal(removed, 5);
      assert.equal(scrubSecrets(clean).removed, 0, "scrubbing is idempotent");
      assert.equal(
        scrubSecrets("model meta-llama/Llama-3.1-8B-Instruct, tokenizer hf_x").removed,
        0,
        "short hf_ words are not tokens",
      );
    },
  );

  it("scrubs the tool log and every archived file before the collector writes them, and says so", () => {
    const log = parseResultLog(
      `login --token hf_StandInToken0000\ninference-bench:results-begin\ninference-bench:file ` +
        `a.txt ${"0".repeat(64)} 3\nYWJj\ninference-bench:results-end status=0\n`,
    );
    log.files[0].data = Buffer.from("HF_TOKEN=hf_StandInToken0000");
    const { archive, problems } = scrubResultLog(log);
    assert.ok(!archive.toolLog.includes("hf_StandInToken0000"));
    assert.ok(!archive.files[0].data.toString().includes("hf_StandInToken0000"));
    assert.equal(problems.length, 2);
  });
});

describe("tool checks: failed requests, load delivered, status", () => {
  const stat = (fields: Stat): Stat => ({
    request_rate: 10,
    num_prompts_attempted: 600,
    num_prompts_succeeded: 600,
    benchmark_time_seconds: 60,
    ...fields,
  });

  it("computes the achieved rate from the tool's figure, else attempted ÷ duration, and flags below 95%", () => {
    assert.equal(achievedRate(stat({ achieved_rate: 9.9 })), 9.9);
    assert.equal(achievedRate(stat({ benchmark_time_seconds: 64 })), 600 / 64);
    assert.deepEqual(checkStats([stat({ benchmark_time_seconds: 63 })]), []);
    assert.deepEqual(checkStats([stat({ benchmark_time_seconds: 64 })]), [
      "rate 10.0: load not delivered: 9.38 requests/s achieved, 94% of the 10 requested",
    ]);
    // 07628c9 stops its clock after the last response (benchmark_serving.py main: gather(), then
    // benchmark_duration): the line says how much of it that can be.
    assert.deepEqual(checkStats([stat({ benchmark_time_seconds: 64, request_latency: { max: 8250 } })]), [
      "rate 10.0: load not delivered: 9.38 requests/s achieved, 94% of the 10 requested; its 64.0 " +
        "s include up to 8.3 s waiting for the last responses",
    ]);
    assert.deepEqual(
      checkStats([stat({ achieved_rate: 9, request_latency: { max: 8250 } })]),
      ["rate 10.0: load not delivered: 9.00 requests/s achieved, 90% of the 10 requested"],
      "a tool-measured rate has no drain in it",
    );
    assert.deepEqual(
      checkStats([stat({ request_rate: Infinity, benchmark_time_seconds: 600 })]),
      [],
      "rate 0 (inf) has no rate to deliver",
    );
    assert.deepEqual(checkStats([stat({ achieved_rate: 1 })], false), [], "a concurrency level is not a rate");
  });

  it("names failed requests by type, and calls a benchmark failed when no request of any rate succeeded", () => {
    const some = stat({ num_prompts_succeeded: 590, errors: [{ type: "ServerDisconnectedError", count: 10 }] });
    assert.deepEqual(checkStats([some]), ["rate 10.0: 10 of 600 requests failed (ServerDisconnectedError: 10)"]);
    assert.equal(statusOf({ stats: [some] }, [], checkStats([some])), "partial");
    assert.equal(statusOf({ stats: [stat({})] }, [], []), "collected");
    assert.equal(
      statusOf(
        { stats: [stat({ num_prompts_succeeded: 0 }), stat({ request_rate: 20, num_prompts_succeeded: 0 })] },
        [],
        [],
      ),
      "failed",
    );
    assert.equal(statusOf({ stats: [] }, [], []), "failed");
  });

  it(
    "reports an inference-perf crash (non-zero exit) by its last traceback, not the tracebacks it " +
      "logs for failed requests",
    () => {
      const [benchmark] = resolveCatalogText(
        'benchmarks { name: "ip" config { model_server { sim { model: "m" } replicas: 1 } ' +
          'load_balancer { k8s_service {} } benchmark_tool { inference_perf { request_rates: "1" } } ' +
          "} }",
        "t.pbtxt",
      );
      const log = (status: number) =>
        parseResultLog(
          `${CHAINED}Traceback (most recent call last):\n  File "main.py"\nException: Tokenizer ` +
            `initialization failed\ninference-bench:results-begin\ninference-bench:results-end ` +
            `status=${status}\n`,
        );
      const crashed = toolResults(benchmark, [], log(1));
      assert.deepEqual(crashed.problems, ["inference-perf crashed: Exception: Tokenizer initialization failed"]);
      assert.deepEqual(crashed.missing, ["rate 1.0: no result file (stage_0_lifecycle_metrics.json)"]);
      assert.deepEqual(toolResults(benchmark, [], log(0)).problems, []);
    },
  );
});
