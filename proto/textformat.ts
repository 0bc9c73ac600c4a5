// Protocol Buffers text format, parsed and printed through protobufjs reflection, to the
// Text Format Language Specification (protobuf.dev/reference/protobuf/textformat-spec).
//
// Messages are plain objects keyed by the proto's field names. A key is present exactly
// when the text wrote the field, so `false`, `0` and `""` stay distinguishable from
// "not written" — catalog inheritance depends on that. Enum values are their names
// (a number the enum does not define stays a number); 64-bit integers are numbers and
// must lie within ±2^53; bytes are Uint8Array.
import * as protobuf from "protobufjs";
import { UserError } from "../lib/errors";
import type { MessageType } from "./schema";

export interface SourcePosition {
  line: number;
  column: number;
}

/** Any error in text-format input: carries the file, line, column and field path. */
export class TextFormatError extends UserError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly fieldPath: string,
    readonly detail: string,
  ) {
    super(`${file}:${line}:${column}: ${fieldPath ? `${fieldPath}: ` : ""}${detail}`);
    this.name = "TextFormatError";
  }
}

export type PlainMessage = { [field: string]: unknown };

interface MessagePositions {
  start: SourcePosition;
  fields: Map<string, SourcePosition>;
}

const positions = new WeakMap<object, MessagePositions>();

/** Where a parsed message (or one of its fields) was written; undefined for built objects. */
export function sourcePosition(message: object, field?: string): SourcePosition | undefined {
  const known = positions.get(message);
  if (!known) return undefined;
  return field === undefined ? known.start : known.fields.get(field);
}

/** Records where a field of `target` came from (used when inheritance copies fields). */
export function copyPosition(from: object, to: object, field: string): void {
  const source = positions.get(from)?.fields.get(field);
  if (!source) return;
  let target = positions.get(to);
  if (!target) {
    target = { start: positions.get(from)!.start, fields: new Map() };
    positions.set(to, target);
  }
  target.fields.set(field, source);
}

/** Makes `to` count as written where `from` starts (a derived benchmark is where the child is). */
export function copyStartPosition(from: object, to: object): void {
  const source = positions.get(from);
  if (!source) return;
  positions.set(to, { start: source.start, fields: positions.get(to)?.fields ?? new Map() });
}

/** Gives `to` the start and field positions of `from` (for copies of parsed messages). */
export function copyPositions(from: object, to: object): void {
  const source = positions.get(from);
  if (source) positions.set(to, { start: source.start, fields: new Map(source.fields) });
}

// ---------------------------------------------------------------------------------------
// Lexer

type TokenKind = "ident" | "string" | "number" | "symbol" | "eof";

interface Token {
  kind: TokenKind;
  text: string;
  /** For strings: the decoded bytes. */
  bytes?: Uint8Array;
  /** For numbers: whether the literal is a FLOAT (has '.', exponent or f suffix). */
  isFloat?: boolean;
  line: number;
  column: number;
}

const MAX_DEPTH = 100;
const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_]/;
const NUMBER_PATTERNS: Array<[RegExp, boolean]> = [
  [/0[xX][0-9a-fA-F]+/y, false],
  [/(?:(?:0|[1-9][0-9]*)\.[0-9]*(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?|(?:0|[1-9][0-9]*)[eE][+-]?[0-9]+)[fF]?/y, true],
  [/(?:0|[1-9][0-9]*)[fF]/y, true],
  [/0[0-7]+/y, false],
  [/0|[1-9][0-9]*/y, false],
];
const SIMPLE_ESCAPES: Record<string, number> = {
  a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, "?": 63, "\\": 92, "'": 39, '"': 34,
};

class Lexer {
  private pos = 0;
  private line = 1;
  private lineStart = 0;
  private peeked: Token | undefined;

  constructor(private readonly text: string, private readonly file: string) {}

  error(at: { line: number; column: number }, detail: string, fieldPath = ""): TextFormatError {
    return new TextFormatError(this.file, at.line, at.column, fieldPath, detail);
  }

  peek(): Token {
    if (!this.peeked) this.peeked = this.read();
    return this.peeked;
  }

  next(): Token {
    const token = this.peek();
    this.peeked = undefined;
    return token;
  }

  private here(): { line: number; column: number } {
    return { line: this.line, column: this.pos - this.lineStart + 1 };
  }

  private skipWhitespaceAndComments(): void {
    const text = this.text;
    while (this.pos < text.length) {
      const c = text[this.pos];
      if (c === "\n") {
        this.pos++;
        this.line++;
        this.lineStart = this.pos;
      } else if (c === " " || c === "\t" || c === "\r" || c === "\v" || c === "\f") {
        this.pos++;
      } else if (c === "#") {
        while (this.pos < text.length && text[this.pos] !== "\n") this.pos++;
      } else {
        return;
      }
    }
  }

  private read(): Token {
    this.skipWhitespaceAndComments();
    const at = this.here();
    const text = this.text;
    if (this.pos >= text.length) return { kind: "eof", text: "end of input", ...at };
    const c = text[this.pos];
    if (IDENT_START.test(c)) {
      const start = this.pos;
      while (this.pos < text.length && IDENT_PART.test(text[this.pos])) this.pos++;
      return { kind: "ident", text: text.slice(start, this.pos), ...at };
    }
    if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(text[this.pos + 1] ?? ""))) return this.readNumber(at);
    if (c === '"' || c === "'") return this.readString(at, c);
    if ("{}<>[]:;,-/.".includes(c)) {
      this.pos++;
      return { kind: "symbol", text: c, ...at };
    }
    throw this.error(at, `unexpected character ${JSON.stringify(c)}`);
  }

  private readNumber(at: { line: number; column: number }): Token {
    for (const [pattern, isFloat] of NUMBER_PATTERNS) {
      pattern.lastIndex = this.pos;
      const match = pattern.exec(this.text);
      if (!match) continue;
      const end = this.pos + match[0].length;
      // The spec forbids a number running straight into an identifier or a period.
      const following = this.text[end] ?? "";
      if (IDENT_PART.test(following) || following === ".") {
        throw this.error(at, `invalid number ${JSON.stringify(this.text.slice(this.pos, end + 1))}`);
      }
      this.pos = end;
      return { kind: "number", text: match[0], isFloat, ...at };
    }
    throw this.error(at, "invalid number");
  }

  private readString(at: { line: number; column: number }, quote: string): Token {
    const text = this.text;
    const bytes: number[] = [];
    const encoder = new TextEncoder();
    const startPos = this.pos;
    let pendingHighSurrogate: number | undefined;
    const pushCodePoint = (codePoint: number, escapeAt: { line: number; column: number }) => {
      if (pendingHighSurrogate !== undefined) {
        if (codePoint < 0xdc00 || codePoint > 0xdfff) throw this.error(escapeAt, "unpaired surrogate in \\u escape");
        codePoint = 0x10000 + ((pendingHighSurrogate - 0xd800) << 10) + (codePoint - 0xdc00);
        pendingHighSurrogate = undefined;
      } else if (codePoint >= 0xd800 && codePoint <= 0xdbff) {
        pendingHighSurrogate = codePoint;
        return;
      } else if (codePoint >= 0xdc00 && codePoint <= 0xdfff) {
        throw this.error(escapeAt, "unpaired surrogate in \\u escape");
      }
      bytes.push(...encoder.encode(String.fromCodePoint(codePoint)));
    };
    this.pos++;
    for (;;) {
      if (this.pos >= text.length || text[this.pos] === "\n") throw this.error(at, "unterminated string");
      const c = text[this.pos];
      const escapeAt = this.here();
      if (pendingHighSurrogate !== undefined && !(c === "\\" && (text[this.pos + 1] === "u" || text[this.pos + 1] === "U"))) {
        throw this.error(escapeAt, "unpaired surrogate in \\u escape");
      }
      if (c === quote) {
        this.pos++;
        break;
      }
      if (c !== "\\") {
        const codePoint = text.codePointAt(this.pos)!;
        bytes.push(...encoder.encode(String.fromCodePoint(codePoint)));
        this.pos += codePoint > 0xffff ? 2 : 1;
        continue;
      }
      const e = text[this.pos + 1] ?? "";
      this.pos += 2;
      if (e in SIMPLE_ESCAPES) {
        bytes.push(SIMPLE_ESCAPES[e]);
      } else if (/[0-7]/.test(e)) {
        let digits = e;
        while (digits.length < 3 && /[0-7]/.test(text[this.pos] ?? "")) digits += text[this.pos++];
        const value = parseInt(digits, 8);
        if (value > 255) throw this.error(escapeAt, `octal escape \\${digits} is larger than a byte`);
        bytes.push(value);
      } else if (e === "x" || e === "X") {
        let digits = "";
        while (digits.length < 2 && /[0-9a-fA-F]/.test(text[this.pos] ?? "")) digits += text[this.pos++];
        if (!digits) throw this.error(escapeAt, "\\x escape needs a hex digit");
        bytes.push(parseInt(digits, 16));
      } else if (e === "u" || e === "U") {
        const width = e === "u" ? 4 : 8;
        const digits = text.slice(this.pos, this.pos + width);
        if (!new RegExp(`^[0-9a-fA-F]{${width}}$`).test(digits)) {
          throw this.error(escapeAt, `\\${e} escape needs ${width} hex digits`);
        }
        this.pos += width;
        const codePoint = parseInt(digits, 16);
        if (codePoint > 0x10ffff) throw this.error(escapeAt, `\\${e}${digits} is beyond Unicode`);
        pushCodePoint(codePoint, escapeAt);
      } else {
        throw this.error(escapeAt, `unknown escape \\${e || "(end of line)"}`);
      }
    }
    return { kind: "string", text: text.slice(startPos, this.pos), bytes: Uint8Array.from(bytes), ...at };
  }
}

// ---------------------------------------------------------------------------------------
// Parser

const INT_RANGES: Record<string, [bigint, bigint]> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  fixed32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  fixed64: [0n, 2n ** 64n - 1n],
};
const TRUE_WORDS = new Set(["true", "True", "t"]);
const FALSE_WORDS = new Set(["false", "False", "f"]);
const utf8 = new TextDecoder("utf-8", { fatal: true });

function integerLiteral(text: string): bigint {
  if (/^0[xX]/.test(text)) return BigInt(text);
  if (/^0[0-7]+$/.test(text)) return BigInt(`0o${text.slice(1)}`);
  return BigInt(text);
}

function closingOf(open: string): string {
  return open === "{" ? "}" : ">";
}

class Parser {
  private depth = 0;

  constructor(private readonly lexer: Lexer) {}

  parseMessage(type: protobuf.Type, path: string, closing: string | undefined, start: SourcePosition): PlainMessage {
    if (++this.depth > MAX_DEPTH) throw this.lexer.error(start, `messages nest deeper than ${MAX_DEPTH} levels`, path);
    const message: PlainMessage = {};
    const fieldPositions = new Map<string, SourcePosition>();
    positions.set(message, { start, fields: fieldPositions });
    for (;;) {
      const token = this.lexer.peek();
      if (token.kind === "eof") {
        if (closing) throw this.lexer.error(token, `expected "${closing}" before end of input`, path);
        break;
      }
      if (token.kind === "symbol" && (token.text === "}" || token.text === ">")) {
        if (token.text !== closing) throw this.lexer.error(token, `unexpected "${token.text}"`, path);
        this.lexer.next();
        break;
      }
      this.parseField(type, message, fieldPositions, path);
    }
    this.depth--;
    return message;
  }

  private parseField(type: protobuf.Type, message: PlainMessage, fieldPositions: Map<string, SourcePosition>, path: string): void {
    const nameToken = this.lexer.next();
    if (nameToken.kind === "symbol" && nameToken.text === "[") {
      throw this.lexer.error(nameToken, "extension and Any fields ([...]) are not supported by this schema", path);
    }
    if (nameToken.kind !== "ident") {
      throw this.lexer.error(nameToken, `expected a field name, found ${describe(nameToken)}`, path);
    }
    const field = type.fields[nameToken.text];
    const fieldPath = path ? `${path}.${nameToken.text}` : nameToken.text;
    if (!field) {
      const hint = closestName(nameToken.text, Object.keys(type.fields));
      throw this.lexer.error(nameToken, `unknown field "${nameToken.text}" in ${type.name}${hint ? ` (did you mean "${hint}"?)` : ""}`, path);
    }
    if (field.map) throw this.lexer.error(nameToken, "map fields are not supported by this schema", fieldPath);
    field.resolve();
    if (!field.repeated && Object.prototype.hasOwnProperty.call(message, field.name)) {
      const first = fieldPositions.get(field.name)!;
      throw this.lexer.error(nameToken, `"${field.name}" is set twice (first at line ${first.line}); it is not a repeated field`, fieldPath);
    }
    const oneof = field.partOf;
    if (oneof) {
      const other = oneof.oneof.find((member) => member !== field.name && Object.prototype.hasOwnProperty.call(message, member));
      if (other) {
        throw this.lexer.error(nameToken, `"${field.name}" and "${other}" are both members of oneof "${oneof.name}"; set only one`, fieldPath);
      }
    }
    const isMessage = field.resolvedType instanceof protobuf.Type;
    const colon = this.lexer.peek();
    if (colon.kind === "symbol" && colon.text === ":") {
      this.lexer.next();
    } else if (!isMessage) {
      throw this.lexer.error(colon, `expected ":" after "${field.name}", found ${describe(colon)}`, fieldPath);
    }
    const values: unknown[] = [];
    const open = this.lexer.peek();
    if (open.kind === "symbol" && open.text === "[") {
      if (!field.repeated) throw this.lexer.error(open, `"${field.name}" is not repeated; a [list] is not allowed`, fieldPath);
      this.lexer.next();
      const first = this.lexer.peek();
      if (first.kind === "symbol" && first.text === "]") {
        this.lexer.next();
      } else {
        for (;;) {
          const index = (Array.isArray(message[field.name]) ? (message[field.name] as unknown[]).length : 0) + values.length;
          values.push(this.parseValue(field, `${fieldPath}[${index}]`));
          const separator = this.lexer.next();
          if (separator.kind === "symbol" && separator.text === "]") break;
          if (!(separator.kind === "symbol" && separator.text === ",")) {
            throw this.lexer.error(separator, `expected "," or "]" in list, found ${describe(separator)}`, fieldPath);
          }
        }
      }
    } else {
      const index = Array.isArray(message[field.name]) ? (message[field.name] as unknown[]).length : 0;
      values.push(this.parseValue(field, field.repeated ? `${fieldPath}[${index}]` : fieldPath));
    }
    if (field.repeated) {
      const list = (message[field.name] as unknown[] | undefined) ?? [];
      list.push(...values);
      message[field.name] = list;
    } else {
      message[field.name] = values[0];
    }
    if (!fieldPositions.has(field.name)) fieldPositions.set(field.name, { line: nameToken.line, column: nameToken.column });
    const separator = this.lexer.peek();
    if (separator.kind === "symbol" && (separator.text === ";" || separator.text === ",")) this.lexer.next();
  }

  private parseValue(field: protobuf.Field, path: string): unknown {
    const resolved = field.resolvedType;
    if (resolved instanceof protobuf.Type) {
      const open = this.lexer.next();
      if (!(open.kind === "symbol" && (open.text === "{" || open.text === "<"))) {
        throw this.lexer.error(open, `expected "{" or "<" to start ${resolved.name}, found ${describe(open)}`, path);
      }
      return this.parseMessage(resolved, path, closingOf(open.text), { line: open.line, column: open.column });
    }
    if (resolved instanceof protobuf.Enum) return this.parseEnum(resolved, path);
    switch (field.type) {
      case "string":
      case "bytes":
        return this.parseStringValue(field.type, path);
      case "bool":
        return this.parseBool(path);
      case "float":
      case "double":
        return this.parseFloat(path);
      default:
        return this.parseInteger(field.type, path);
    }
  }

  private parseStringValue(type: "string" | "bytes", path: string): string | Uint8Array {
    const first = this.lexer.next();
    if (first.kind !== "string") throw this.lexer.error(first, `expected a ${type} literal, found ${describe(first)}`, path);
    const parts = [first.bytes!];
    while (this.lexer.peek().kind === "string") parts.push(this.lexer.next().bytes!);
    const bytes = Buffer.concat(parts);
    if (type === "bytes") return new Uint8Array(bytes);
    try {
      return utf8.decode(bytes);
    } catch {
      throw this.lexer.error(first, "string is not valid UTF-8 (use a bytes field for binary data)", path);
    }
  }

  private parseBool(path: string): boolean {
    const token = this.lexer.next();
    if (token.kind === "ident" && TRUE_WORDS.has(token.text)) return true;
    if (token.kind === "ident" && FALSE_WORDS.has(token.text)) return false;
    if (token.kind === "number" && !token.isFloat) {
      const value = integerLiteral(token.text);
      if (value === 0n || value === 1n) return value === 1n;
    }
    throw this.lexer.error(token, `expected a bool (true, false, t, f, True, False, 1 or 0), found ${describe(token)}`, path);
  }

  /** An optional "-" (whitespace and comments may follow it), then the literal. */
  private signed(): { negative: boolean; token: Token } {
    const first = this.lexer.next();
    if (first.kind === "symbol" && first.text === "-") return { negative: true, token: this.lexer.next() };
    return { negative: false, token: first };
  }

  private parseFloat(path: string): number {
    const { negative, token } = this.signed();
    let value: number;
    if (token.kind === "number") {
      value = token.isFloat ? Number(token.text.replace(/[fF]$/, "")) : Number(integerLiteral(token.text));
    } else if (token.kind === "ident" && /^(inf|infinity)$/i.test(token.text)) {
      value = Infinity;
    } else if (token.kind === "ident" && /^nan$/i.test(token.text)) {
      value = NaN;
    } else {
      throw this.lexer.error(token, `expected a number, found ${describe(token)}`, path);
    }
    return negative ? -value : value;
  }

  private parseInteger(type: string, path: string): number {
    const { negative, token } = this.signed();
    if (token.kind !== "number" || token.isFloat) {
      throw this.lexer.error(token, `expected an integer (${type}), found ${describe(token)}`, path);
    }
    const [min, max] = INT_RANGES[type];
    const value = negative ? -integerLiteral(token.text) : integerLiteral(token.text);
    if (value < min || value > max) throw this.lexer.error(token, `${negative ? "-" : ""}${token.text} is out of range for ${type}`, path);
    if (value < BigInt(Number.MIN_SAFE_INTEGER) || value > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw this.lexer.error(token, `${negative ? "-" : ""}${token.text} is beyond ±2^53, the largest integer this tool keeps exactly`, path);
    }
    return Number(value);
  }

  private parseEnum(type: protobuf.Enum, path: string): string | number {
    const { negative, token } = this.signed();
    if (token.kind === "ident" && !negative) {
      if (token.text in type.values) return token.text;
      throw this.lexer.error(token, `unknown ${type.name} value "${token.text}" (known: ${Object.keys(type.values).join(", ")})`, path);
    }
    if (token.kind === "number" && !token.isFloat) {
      const value = Number(negative ? -integerLiteral(token.text) : integerLiteral(token.text));
      if (value < -(2 ** 31) || value >= 2 ** 31) throw this.lexer.error(token, `enum number ${value} is out of range`, path);
      return type.valuesById[value] ?? value;
    }
    throw this.lexer.error(token, `expected a ${type.name} name or number, found ${describe(token)}`, path);
  }
}

function describe(token: Token): string {
  if (token.kind === "eof") return "end of input";
  if (token.kind === "string") return `string ${token.text}`;
  return `"${token.text}"`;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

function closestName(name: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

/** Parses text-format `text` as a message of `type`. Throws TextFormatError on any bad input. */
export function parseTextFormat<T>(type: MessageType<T>, text: string, fileName = "<input>"): T {
  const lexer = new Lexer(text.startsWith("\uFEFF") ? text.slice(1) : text, fileName);
  return new Parser(lexer).parseMessage(type, "", undefined, { line: 1, column: 1 }) as T;
}

// ---------------------------------------------------------------------------------------
// Printer

function printString(value: string | Uint8Array): string {
  const bytes = typeof value === "string" ? Buffer.from(value, "utf8") : Buffer.from(value);
  let out = '"';
  for (const byte of bytes) {
    if (byte === 0x22) out += '\\"';
    else if (byte === 0x5c) out += "\\\\";
    else if (byte === 0x0a) out += "\\n";
    else if (byte === 0x0d) out += "\\r";
    else if (byte === 0x09) out += "\\t";
    else if (byte < 0x20 || byte === 0x7f || (byte >= 0x80 && typeof value !== "string")) out += `\\${byte.toString(8).padStart(3, "0")}`;
    else out += String.fromCharCode(byte);
  }
  // Non-ASCII text is kept readable: re-decode the UTF-8 bytes we copied one by one.
  return typeof value === "string" ? Buffer.from(out + '"', "latin1").toString("utf8") : out + '"';
}

function printFloat(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (value === Infinity) return "inf";
  if (value === -Infinity) return "-inf";
  if (Object.is(value, -0)) return "-0.0";
  return String(value);
}

function printScalar(field: protobuf.Field, value: unknown): string {
  if (field.resolvedType instanceof protobuf.Enum) return String(value);
  switch (field.type) {
    case "string":
    case "bytes":
      return printString(value as string | Uint8Array);
    case "bool":
      return value ? "true" : "false";
    case "float":
    case "double":
      return printFloat(value as number);
    default:
      return String(value);
  }
}

/** Scalars first, then sub-messages, each in declaration order: names read before bodies. */
function printOrder(type: protobuf.Type): protobuf.Field[] {
  const fields = type.fieldsArray.map((field) => field.resolve());
  return [...fields.filter((f) => !(f.resolvedType instanceof protobuf.Type)), ...fields.filter((f) => f.resolvedType instanceof protobuf.Type)];
}

function printMessage(type: protobuf.Type, message: PlainMessage, indent: string, lines: string[]): void {
  for (const field of printOrder(type)) {
    if (!Object.prototype.hasOwnProperty.call(message, field.name)) continue;
    const raw = message[field.name];
    if (raw === undefined) continue;
    const values = field.repeated ? (raw as unknown[]) : [raw];
    for (const value of values) {
      if (field.resolvedType instanceof protobuf.Type) {
        const body: string[] = [];
        printMessage(field.resolvedType, value as PlainMessage, indent + "  ", body);
        if (body.length === 0) {
          lines.push(`${indent}${field.name} {}`);
        } else {
          lines.push(`${indent}${field.name} {`, ...body, `${indent}}`);
        }
      } else {
        lines.push(`${indent}${field.name}: ${printScalar(field, value)}`);
      }
    }
  }
}

/** Prints `message` as text format; parseTextFormat(type, printTextFormat(type, m)) equals m. */
export function printTextFormat<T>(type: MessageType<T>, message: T): string {
  const lines: string[] = [];
  printMessage(type, message as PlainMessage, "", lines);
  return lines.length ? lines.join("\n") + "\n" : "";
}
