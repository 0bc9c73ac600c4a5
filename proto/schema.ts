// Loads benchmark.proto through protobufjs reflection, keeping the proto's snake_case
// field names, and exposes its message types with the TypeScript type each one parses to.
import * as path from "node:path";
import * as protobuf from "protobufjs";
import type * as api from "./benchmark-types";

/** A protobufjs message type tagged with the plain-object type it parses to and prints from. */
export type MessageType<T> = protobuf.Type & { readonly __plain?: T };

export const PROTO_FILE = path.join(__dirname, "benchmark.proto");

export const protoRoot: protobuf.Root = new protobuf.Root().loadSync(PROTO_FILE, { keepCase: true });
protoRoot.resolveAll();

function messageType<T>(name: string): MessageType<T> {
  return protoRoot.lookupType(`benchmark.${name}`) as MessageType<T>;
}

export const BenchmarksType = messageType<api.Benchmarks>("Benchmarks");
export const BenchmarkType = messageType<api.Benchmark>("Benchmark");
export const BenchmarkResultType = messageType<api.BenchmarkResult>("BenchmarkResult");
