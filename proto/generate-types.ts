// Writes proto/benchmark-types.ts: one interface per message of benchmark.proto, with the
// proto's own field names, every field optional (presence matters for inheritance), enums
// as unions of their value names, 64-bit integers as decimal strings. `npm run proto:types` regenerates it; a
// test checks it is current.
import * as fs from "node:fs";
import * as path from "node:path";
import * as protobuf from "protobufjs";
import { protoRoot } from "./schema";

const SCALARS: Record<string, string> = {
  double: "number",
  float: "number",
  int32: "number",
  uint32: "number",
  sint32: "number",
  fixed32: "number",
  sfixed32: "number",
  int64: "string",
  uint64: "string",
  sint64: "string",
  fixed64: "string",
  sfixed64: "string",
  bool: "boolean",
  string: "string",
  bytes: "Uint8Array",
};

function typeName(type: protobuf.ReflectionObject): string {
  return type.fullName === ".google.protobuf.Timestamp" ? "Timestamp" : type.name;
}

export function generateTypes(): string {
  const ns = protoRoot.lookup("benchmark") as protobuf.Namespace;
  const out: string[] = [
    "// Generated from benchmark.proto by proto/generate-types.ts (npm run proto:types). Do not edit.",
    "",
    "/** google.protobuf.Timestamp */",
    "export interface Timestamp {\n  /** int64 as a decimal string: 64-bit integers keep their " +
      "full range. */\n  seconds?: string;\n  nanos?: number;\n}",
  ];
  for (const nested of ns.nestedArray) {
    if (nested instanceof protobuf.Enum) {
      const names = Object.keys(nested.values).map((n) => JSON.stringify(n));
      out.push("", `export type ${nested.name} = ${names.join(" | ")};`);
    } else if (nested instanceof protobuf.Type) {
      out.push("", `export interface ${nested.name} {`);
      for (const field of nested.fieldsArray) {
        field.resolve();
        const element = field.resolvedType ? typeName(field.resolvedType) : SCALARS[field.type];
        const oneof = field.partOf ? ` // oneof ${field.partOf.name}` : "";
        out.push(`  ${field.name}?: ${element}${field.repeated ? "[]" : ""};${oneof}`);
      }
      out.push("}");
    }
  }
  return `${out.join("\n")}\n`;
}

export const TYPES_FILE = path.join(__dirname, "benchmark-types.ts");

if (require.main === module) {
  fs.writeFileSync(TYPES_FILE, generateTypes());
  console.log(`wrote ${TYPES_FILE}`);
}
