// Random messages, printed in every spelling the text-format spec allows, and mutations of
// catalogs: what the fuzz test, `npm run fuzz` and the differential test against protoc share.
// Everything is seeded (seededRandom), so a failing case is reproduced by its number.
import * as protobuf from "protobufjs";
import type { PlainMessage } from "../proto/textformat";

export type Random = () => number;

export const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)];

const STRING_ALPHABET = [
  "a",
  "Z",
  "0",
  " ",
  '"',
  "'",
  "\\",
  "\n",
  "\t",
  "\r",
  "\x01",
  "\x7f",
  "é",
  "日本",
  "😀",
  "#",
  "{",
  "}",
  ":",
  "\u2028",
];

/** A random message of `type`: every field present or not, values across each type's range. */
export function randomMessage(type: protobuf.Type, random: Random, depth = 0): PlainMessage {
  const message: PlainMessage = {};
  const randomString = () =>
    Array.from({ length: Math.floor(random() * 8) }, () => pick(random, STRING_ALPHABET)).join("");
  const scalar = (field: protobuf.Field): unknown => {
    if (field.resolvedType instanceof protobuf.Enum) return pick(random, Object.keys(field.resolvedType.values));
    switch (field.type) {
      case "string":
        return randomString();
      case "bool":
        return random() < 0.5;
      case "float":
      case "double":
        return pick(random, [
          0,
          1.5,
          -2.25e-7,
          1e21,
          3e38,
          Infinity,
          -Infinity,
          NaN,
          7,
          Math.fround((random() - 0.5) * 1e6),
        ]);
      case "int64":
        return pick(random, [
          "0",
          "-9223372036854775808",
          "9223372036854775807",
          String(Math.floor((random() - 0.5) * 2 ** 53)),
        ]);
      default:
        return pick(random, [0, -2147483648, 2147483647, Math.floor((random() - 0.5) * 2 ** 32) | 0]);
    }
  };
  const chosen = new Map<protobuf.OneOf, string>();
  for (const oneof of type.oneofsArray) chosen.set(oneof, pick(random, oneof.oneof));
  for (const field of type.fieldsArray) {
    field.resolve();
    if (field.partOf && chosen.get(field.partOf) !== field.name) continue;
    if (random() < 0.4) continue;
    const isMessage = field.resolvedType instanceof protobuf.Type;
    if (isMessage && depth > 4) continue;
    const make = () =>
      isMessage ? randomMessage(field.resolvedType as protobuf.Type, random, depth + 1) : scalar(field);
    message[field.name] = field.repeated ? Array.from({ length: 1 + Math.floor(random() * 3) }, make) : make();
  }
  return message;
}

/** Whitespace and comments, as the spec allows between syntactic elements. */
function gap(random: Random, required = false): string {
  const r = random();
  if (r < 0.5) return required ? " " : pick(random, ["", " "]);
  return pick(random, [" ", "\n", "\t", "\r\n", "  \n  ", " # a comment\n", "\v", "\f", '\n# {}:"\n']);
}

/** `text` as a string literal, in random quotes, escapes and adjacent pieces. */
function noisyString(value: string, random: Random): string {
  const pieces: string[] = [];
  let piece = "";
  const quote = random() < 0.5 ? '"' : "'";
  for (const character of value) {
    const code = character.codePointAt(0)!;
    const r = random();
    if (character === quote || character === "\\") piece += `\\${character}`;
    else if (character === "\n") piece += pick(random, ["\\n", "\\012", "\\x0a", "\\u000a"]);
    else if (code < 0x20 || code === 0x7f) piece += `\\${code.toString(8).padStart(3, "0")}`;
    else if (r < 0.15)
      piece += code > 0xffff ? `\\U${code.toString(16).padStart(8, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
    else if (r < 0.25)
      piece += [...Buffer.from(character, "utf8")].map((byte) => `\\${byte.toString(8).padStart(3, "0")}`).join("");
    else if (r < 0.3)
      piece += [...Buffer.from(character, "utf8")].map((byte) => `\\x${byte.toString(16).padStart(2, "0")}`).join("");
    else if (r < 0.32 && code > 0xffff)
      piece += `\\u${character.charCodeAt(0).toString(16)}\\u${character.charCodeAt(1).toString(16)}`;
    else if (r < 0.35 && character === "?") piece += "\\?";
    else piece += character;
    if (random() < 0.1) {
      pieces.push(piece);
      piece = "";
    }
  }
  pieces.push(piece);
  return pieces.map((p) => `${quote}${p}${quote}`).join(pick(random, ["", " ", "\n  "]));
}

function noisyInteger(value: number | string, random: Random): string {
  const big = BigInt(value);
  const magnitude = big < 0n ? -big : big;
  const r = random();
  const digits =
    r < 0.2
      ? `0x${magnitude.toString(16)}`
      : r < 0.25
        ? `0X${magnitude.toString(16).toUpperCase()}`
        : r < 0.4 && magnitude > 0n
          ? `0${magnitude.toString(8)}`
          : magnitude.toString();
  return big < 0n ? `-${gap(random)}${digits}` : digits;
}

function noisyFloat(value: number, random: Random): string {
  if (Number.isNaN(value)) return pick(random, ["nan", "NaN", "-nan", "NAN"]);
  if (value === Infinity) return pick(random, ["inf", "Infinity", "INF", "infinity"]);
  if (value === -Infinity) return pick(random, ["-inf", "-Infinity", `-${gap(random)}inf`]);
  const sign = value < 0 || Object.is(value, -0) ? "-" : "";
  const magnitude = Math.abs(value);
  let text = String(magnitude);
  if (Number.isInteger(magnitude) && magnitude < 1e21)
    text = pick(random, [text, `${text}.`, `${text}.0`, `${text}f`, `${text}.0F`, `${text}e0`]);
  else if (text.startsWith("0.")) text = pick(random, [text, text.slice(1), `${text}f`]);
  return `${sign}${text}`;
}

function noisyScalar(field: protobuf.Field, value: unknown, random: Random): string {
  if (field.resolvedType instanceof protobuf.Enum) {
    return random() < 0.3 ? noisyInteger(field.resolvedType.values[value as string], random) : String(value);
  }
  switch (field.type) {
    case "string":
      return noisyString(value as string, random);
    case "bool":
      return value
        ? pick(random, ["true", "True", "t", "1", "0x1", "01"])
        : pick(random, ["false", "False", "f", "0", "0x0", "00"]);
    case "float":
    case "double":
      return noisyFloat(value as number, random);
    default:
      return noisyInteger(value as number | string, random);
  }
}

/** Prints `message` in random valid spellings: separators, delimiters, lists, escapes, number forms, comments. */
export function noisyPrint(type: protobuf.Type, message: PlainMessage, random: Random): string {
  const out: string[] = [gap(random)];
  const fields = type.fieldsArray.filter((field) => Object.hasOwn(message, field.name));
  for (let i = fields.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [fields[i], fields[j]] = [fields[j], fields[i]];
  }
  for (const field of fields) {
    field.resolve();
    const isMessage = field.resolvedType instanceof protobuf.Type;
    const value = (item: unknown) => {
      if (!isMessage) return noisyScalar(field, item, random);
      const [open, close] = random() < 0.7 ? ["{", "}"] : ["<", ">"];
      return `${open}${noisyPrint(field.resolvedType as protobuf.Type, item as PlainMessage, random)}${close}`;
    };
    const colon = isMessage
      ? pick(random, ["", ":", ": "])
      : pick(random, [":", ": ", `${gap(random)}:${gap(random)}`]);
    const separator = () => pick(random, ["", "", ";", ","]) + gap(random, true);
    const values = field.repeated ? (message[field.name] as unknown[]) : [message[field.name]];
    if (field.repeated && random() < 0.4) {
      const split = Math.floor(random() * (values.length + 1));
      for (const item of values.slice(0, split))
        out.push(`${field.name}${colon}${isMessage && colon === "" ? gap(random) : ""}${value(item)}${separator()}`);
      const rest = values.slice(split);
      const listColon = isMessage ? colon : pick(random, [":", ": "]);
      out.push(
        `${field.name}${listColon}${gap(random)}[${rest.map((item) => `${gap(random)}${value(item)}${gap(random)}`).join(",")}]${separator()}`,
      );
    } else {
      for (const item of values)
        out.push(`${field.name}${colon}${isMessage && colon === "" ? gap(random) : ""}${value(item)}${separator()}`);
    }
  }
  return out.join(gap(random));
}

/** Fragments a mutation inserts: syntax, JavaScript prototype names, number and escape edges. */
export const FRAGMENTS = [
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
  "\r",
  "-",
  ".",
  "0x",
  "0X",
  "1e",
  "08",
  "1.5",
  "inf",
  "nan",
  "-0",
  "\\u",
  "\\x",
  "\\X41",
  "\\U00110000",
  "\\ud800",
  "\\udc00",
  "\\777",
  "\\0",
  "\0",
  "\u00e9",
  "\xff",
  "😀",
  "\ufeff",
  "constructor",
  "__proto__",
  "toString",
  "hasOwnProperty",
  "valueOf",
  "prototype",
  "isPrototypeOf",
  "__defineGetter__",
  "constructor {}",
  "__proto__ {}",
  "toString: 1",
  "inference_api: toString",
  "inference_api: 99",
  "inference_api: -1",
  "gateway",
  "k8s_service {}",
  'sim { model: "m" }',
  'base_benchmark_name: "lb-svc"',
  'base_benchmark_name: ""',
  'image: ""',
  "replicas: 99999999999",
  "seconds: 9223372036854775808",
  "start_time { seconds: -9223372036854775808 }",
  'request_rates: "0,0"',
  "[extension.name]: 1",
  "benchmarks []",
  'name: "a" "b"',
];

/** A mutation of `seed`: deletions, insertions of FRAGMENTS, random characters, truncations and huge tokens. */
export function mutate(seed: string, random: Random): string {
  let text = seed;
  const count = 1 + Math.floor(random() * 4);
  for (let m = 0; m < count; m++) {
    const at = Math.floor(random() * (text.length + 1));
    const op = random();
    if (op < 0.25) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * 8));
    else if (op < 0.6) text = text.slice(0, at) + pick(random, FRAGMENTS) + text.slice(at);
    else if (op < 0.8)
      text =
        text.slice(0, at) +
        String.fromCharCode(Math.floor(random() * (random() < 0.9 ? 128 : 0x10000))) +
        text.slice(at + 1);
    else if (op < 0.9) text = text.slice(0, at);
    else if (op < 0.95)
      text =
        text.slice(0, at) +
        pick(random, ["a", "9", '"a', "{", "\\n", "#"]).repeat(1 + Math.floor(random() * 200_000)) +
        text.slice(at);
    else text = text.slice(0, at) + text.slice(Math.floor(random() * text.length));
  }
  return text;
}
