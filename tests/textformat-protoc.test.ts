// Differential test of the text-format parser against protoc (Debian's protobuf-compiler,
// libprotoc 3.21; CI installs it): protobuf's own parser, src/google/protobuf/text_format.cc
// (TextFormat::Parser::ParserImpl) with io/tokenizer.cc, at v21.12 / v3.21.12.
//  - Valid texts (random messages in every spelling the spec allows): protoc accepts each one,
//    and protoc --encode | --decode gives back the message we parsed.
//  - Mutated texts: whatever protoc rejects, we reject too; whatever both accept means the same.
//    We are stricter on purpose where protoc is looser than the spec (enum numbers outside the
//    enum, \X escapes, invalid UTF-8 in strings, a lone CR in a comment); we are looser in one
//    place: a byte-order mark at the start of the text is dropped.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import * as protobuf from "protobufjs";
import { BenchmarkResultType, BenchmarksType, type MessageType, PROTO_FILE } from "../proto/schema";
import { type PlainMessage, parseTextFormat, TextFormatError } from "../proto/textformat";
import { mutate, noisyPrint, randomMessage } from "./fuzzer";
import { seededRandom } from "./helpers";

/** protoc's path, or a visible skip (a failure in CI) when it is not installed. */
function protoc(context: Mocha.Context): string {
  const probe = spawnSync("protoc", ["--version"], { encoding: "utf8" });
  if (!probe.error && probe.status === 0) return "protoc";
  const reason = "protoc not found (apt-get install protobuf-compiler)";
  if (process.env.CI) throw new Error(reason);
  console.log(`      skipped: ${reason}`);
  context.skip();
}

function runProtoc(
  mode: "encode" | "decode",
  type: string,
  input: string | Buffer,
): { ok: boolean; output: Buffer; stderr: string } {
  const run = spawnSync(
    "protoc",
    [`--${mode}=benchmark.${type}`, `-I${path.dirname(PROTO_FILE)}`, "-I/usr/include", path.basename(PROTO_FILE)],
    { input, maxBuffer: 1 << 28 },
  );
  return { ok: run.status === 0, output: run.stdout, stderr: run.stderr.toString() };
}

/**
 * What survives a trip through the wire format: proto3 singular scalars outside a oneof have no
 * presence, so protoc drops those holding their default ("" / 0 / false / the first enum value);
 * nor does an empty repeated field (`field: []`, which we keep: a child's empty list clears its
 * base's); float fields are 32-bit there.
 */
function normalize(type: protobuf.Type, message: PlainMessage): PlainMessage {
  const out: PlainMessage = {};
  for (const field of type.fieldsArray) {
    if (!Object.hasOwn(message, field.name)) continue;
    field.resolve();
    const value = message[field.name];
    const resolved = field.resolvedType;
    const one = (item: unknown): unknown => {
      if (resolved instanceof protobuf.Type) return normalize(resolved, item as PlainMessage);
      if (field.type === "float") return Math.fround(item as number);
      return item;
    };
    if (field.repeated) {
      if ((value as unknown[]).length) out[field.name] = (value as unknown[]).map(one);
      continue;
    }
    const isDefault =
      resolved instanceof protobuf.Enum
        ? resolved.values[value as string] === 0
        : resolved instanceof protobuf.Type
          ? false
          : value === "" || value === 0 || value === false || value === "0";
    if (isDefault && !field.partOf) continue;
    out[field.name] = one(value);
  }
  return out;
}

function parsesWithUs(type: MessageType<PlainMessage>, text: string): PlainMessage | TextFormatError {
  try {
    return parseTextFormat(type, text, "diff.txtpb");
  } catch (error) {
    if (error instanceof TextFormatError) return error;
    throw error;
  }
}

const TYPES: Array<[string, MessageType<PlainMessage>]> = [
  ["Benchmarks", BenchmarksType as MessageType<PlainMessage>],
  ["BenchmarkResult", BenchmarkResultType as MessageType<PlainMessage>],
];

describe("text format parser against protoc", () => {
  it("agrees with protoc on 400 random valid texts in every spelling the spec allows", function () {
    this.timeout(300_000);
    protoc(this);
    const random = seededRandom(4242);
    for (let batch = 0; batch < 40; batch++) {
      const [typeName, type] = TYPES[batch % 2];
      const messages = Array.from({ length: 10 }, () => randomMessage(type, random));
      const texts = messages.map((message) => noisyPrint(type, message, random));
      for (const [i, text] of texts.entries()) {
        assert.deepStrictEqual(
          parseTextFormat(type, text, `batch-${batch}-${i}`),
          messages[i],
          `we parse back what was printed:\n${text}`,
        );
      }
      // One protoc run per batch: the texts are fields of one message, separated by whitespace.
      const encoded = runProtoc("encode", typeName, texts.join("\n"));
      assert.ok(encoded.ok, `protoc rejects batch ${batch}: ${encoded.stderr}\n${texts.join("\n---\n")}`);
      const decoded = runProtoc("decode", typeName, encoded.output);
      assert.ok(decoded.ok, decoded.stderr);
      const merged: PlainMessage = {};
      for (const message of messages) {
        for (const [key, value] of Object.entries(message))
          merged[key] = Array.isArray(value) ? [...((merged[key] as unknown[]) ?? []), ...value] : value;
      }
      const theirs = parseTextFormat(type, decoded.output.toString("utf8"), "protoc-decode");
      assert.deepStrictEqual(
        normalize(type, theirs),
        normalize(type, merged),
        `batch ${batch}: protoc --decode differs`,
      );
    }
  });

  it("rejects whatever protoc rejects, on 300 mutated catalogs, and agrees on what both accept", function () {
    this.timeout(300_000);
    protoc(this);
    const random = seededRandom(777);
    const tally = { bothReject: 0, bothAccept: 0, onlyWeReject: 0 };
    for (let i = 0; i < 300; i++) {
      const message = randomMessage(BenchmarksType, random);
      const text = mutate(noisyPrint(BenchmarksType, message, random), random).slice(0, 200_000);
      const ours = parsesWithUs(BenchmarksType as MessageType<PlainMessage>, text);
      // One leniency of ours: a byte-order mark at the very start is dropped (protoc refuses it).
      const theirs = runProtoc("encode", "Benchmarks", text.replace(/^\ufeff/, ""));
      if (!theirs.ok) {
        assert.ok(
          ours instanceof TextFormatError,
          `case ${i}: protoc rejects (${theirs.stderr.trim().split("\n")[0]}) but we accept:\n${text}`,
        );
        tally.bothReject++;
      } else if (ours instanceof TextFormatError) {
        tally.onlyWeReject++;
      } else {
        const decoded = runProtoc("decode", "Benchmarks", theirs.output);
        const back = parseTextFormat(
          BenchmarksType as MessageType<PlainMessage>,
          decoded.output.toString("utf8"),
          "protoc-decode",
        );
        assert.deepStrictEqual(
          normalize(BenchmarksType, back),
          normalize(BenchmarksType, ours),
          `case ${i}: both accept, meanings differ:\n${text}`,
        );
        tally.bothAccept++;
      }
    }
    assert.ok(tally.bothReject > 50 && tally.bothAccept > 20, JSON.stringify(tally));
  });
});
