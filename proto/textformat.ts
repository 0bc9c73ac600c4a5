// Protocol Buffers text format, parsed and printed through protobufjs reflection, to the
// Text Format Language Specification (protobuf.dev/reference/protobuf/textformat-spec;
// protocolbuffers.github.io content/reference/protobuf/textformat-spec.md). Where the spec is
// silent, it follows protoc's parser (src/google/protobuf/text_format.cc, io/tokenizer.cc).
//
// Messages are plain objects keyed by the proto's field names. A key is present exactly
// when the text wrote the field, so `false`, `0` and `""` stay distinguishable from
// "not written" — catalog inheritance depends on that. Enum values are their names; 64-bit
// integers are decimal strings (as in the proto3 JSON mapping), so they keep their full range;
// float and double fields are JavaScript numbers; bytes are Uint8Array.
//
// Every lookup of user text (field, enum value and reserved names) goes through Maps, never
// through an object's prototype. The lexer works on character codes and slices plain runs of
// a string literal in one piece: time and memory grow linearly with the input.
import { isUtf8 } from "node:buffer";
import * as protobuf from "protobufjs";
import { codePoints, MAX_ERROR_LENGTH, quoted, UserError } from "../lib/errors";
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
    super(`${file}:${line}:${column}: ${fieldPath ? `${fieldPath}: ` : ""}${detail}`, MAX_ERROR_LENGTH);
    this.name = "TextFormatError";
  }
}

export type PlainMessage = { [field: string]: unknown };

// ---------------------------------------------------------------------------------------
// Sources and positions

/**
 * One parsed text. Positions are kept as offsets and turned into a line and a column only
 * when asked: lines end at LF, CR LF or a lone CR; columns count characters, not UTF-16 units.
 */
class Source {
  private lineStarts: number[] | undefined;

  constructor(
    readonly file: string,
    readonly text: string,
  ) {}

  position(offset: number): SourcePosition {
    if (!this.lineStarts) {
      const starts = [0];
      const text = this.text;
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) starts.push(i + 1);
      }
      this.lineStarts = starts;
    }
    const starts = this.lineStarts;
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (starts[middle] <= offset) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: codePoints(this.text, starts[low], offset) + 1 };
  }
}

/** A field's position in a source other than its message's (after inheritance across messages). */
interface ForeignPoint {
  source: Source;
  offset: number;
}

interface MessagePositions {
  source: Source;
  start: number;
  /** Where each field was first written, as pairs: name, then an offset in `source` or a ForeignPoint. */
  fields: Array<string | number | ForeignPoint>;
  /** `fields` is shared with a copy: copy it before changing it. */
  shared?: boolean;
}

const positions = new WeakMap<object, MessagePositions>();

function fieldPoint(known: MessagePositions, field: string): ForeignPoint | undefined {
  const fields = known.fields;
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i] !== field) continue;
    const at = fields[i + 1];
    return typeof at === "number" ? { source: known.source, offset: at } : (at as ForeignPoint);
  }
  return undefined;
}

/** Where a parsed message (or one of its fields) was written; undefined for built objects. */
export function sourcePosition(message: object, field?: string): SourcePosition | undefined {
  const known = positions.get(message);
  if (!known) return undefined;
  if (field === undefined) return known.source.position(known.start);
  const point = fieldPoint(known, field);
  return point?.source.position(point.offset);
}

function setFieldPoint(target: MessagePositions, field: string, point: ForeignPoint): void {
  const value = point.source === target.source ? point.offset : point;
  if (target.shared) {
    target.fields = [...target.fields];
    target.shared = false;
  }
  const fields = target.fields;
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i] === field) {
      fields[i + 1] = value;
      return;
    }
  }
  fields.push(field, value);
}

/** Records where a field of `target` came from (used when inheritance copies fields). */
export function copyPosition(from: object, to: object, field: string): void {
  const known = positions.get(from);
  const point = known && fieldPoint(known, field);
  if (!point) return;
  let target = positions.get(to);
  if (!target) {
    target = { source: known.source, start: known.start, fields: [] };
    positions.set(to, target);
  }
  setFieldPoint(target, field, point);
}

/** Makes `to` count as written where `from` starts (a derived benchmark is where the child is). */
export function copyStartPosition(from: object, to: object): void {
  const source = positions.get(from);
  if (!source) return;
  const target = positions.get(to);
  const moved: MessagePositions = { source: source.source, start: source.start, fields: [] };
  for (let i = 0; target && i < target.fields.length; i += 2)
    setFieldPoint(moved, target.fields[i] as string, fieldPoint(target, target.fields[i] as string)!);
  positions.set(to, moved);
}

/** Gives `to` the start and field positions of `from` (for copies of parsed messages). */
export function copyPositions(from: object, to: object): void {
  const source = positions.get(from);
  if (!source) return;
  source.shared = true;
  positions.set(to, { source: source.source, start: source.start, fields: source.fields, shared: true });
}

// ---------------------------------------------------------------------------------------
// The schema, as the parser reads it: Maps built once per message type.

enum Kind {
  Message,
  Enum,
  String,
  Bytes,
  Bool,
  Float,
  Int32,
  Uint32,
  Int64,
  Uint64,
}

const SCALAR_KINDS: ReadonlyMap<string, Kind> = new Map([
  ["string", Kind.String],
  ["bytes", Kind.Bytes],
  ["bool", Kind.Bool],
  ["float", Kind.Float],
  ["double", Kind.Float],
  ["int32", Kind.Int32],
  ["sint32", Kind.Int32],
  ["sfixed32", Kind.Int32],
  ["uint32", Kind.Uint32],
  ["fixed32", Kind.Uint32],
  ["int64", Kind.Int64],
  ["sint64", Kind.Int64],
  ["sfixed64", Kind.Int64],
  ["uint64", Kind.Uint64],
  ["fixed64", Kind.Uint64],
]);

interface EnumInfo {
  name: string;
  byName: ReadonlyMap<string, true>;
  byNumber: ReadonlyMap<number, string>;
}

interface FieldInfo {
  name: string;
  field: protobuf.Field;
  kind: Kind;
  repeated: boolean;
  /** The other members of this field's oneof, if it is in one. */
  oneofName?: string;
  oneofOthers?: readonly string[];
  message?: protobuf.Type;
  enumInfo?: EnumInfo;
}

interface TypeInfo {
  type: protobuf.Type;
  fields: ReadonlyMap<string, FieldInfo>;
  reserved: ReadonlySet<string>;
}

const typeInfos = new WeakMap<protobuf.Type, TypeInfo>();
const enumInfos = new WeakMap<protobuf.Enum, EnumInfo>();

function enumInfo(type: protobuf.Enum): EnumInfo {
  let info = enumInfos.get(type);
  if (!info) {
    const byName = new Map<string, true>();
    const byNumber = new Map<number, string>();
    for (const [name, value] of Object.entries(type.values)) {
      byName.set(name, true);
      if (!byNumber.has(value)) byNumber.set(value, name);
    }
    info = { name: type.name, byName, byNumber };
    enumInfos.set(type, info);
  }
  return info;
}

function typeInfo(type: protobuf.Type): TypeInfo {
  let info = typeInfos.get(type);
  if (info) return info;
  const fields = new Map<string, FieldInfo>();
  for (const field of type.fieldsArray) {
    field.resolve();
    const resolved = field.resolvedType;
    const kind =
      resolved instanceof protobuf.Type
        ? Kind.Message
        : resolved instanceof protobuf.Enum
          ? Kind.Enum
          : SCALAR_KINDS.get(field.type);
    if (kind === undefined) throw new Error(`${type.name}.${field.name}: unsupported field type ${field.type}`);
    fields.set(field.name, {
      name: field.name,
      field,
      kind,
      repeated: field.repeated,
      oneofName: field.partOf?.name,
      oneofOthers: field.partOf?.oneof.filter((member) => member !== field.name),
      message: resolved instanceof protobuf.Type ? resolved : undefined,
      enumInfo: resolved instanceof protobuf.Enum ? enumInfo(resolved) : undefined,
    });
  }
  const reserved = new Set((type.reserved ?? []).filter((entry): entry is string => typeof entry === "string"));
  info = { type, fields, reserved };
  typeInfos.set(type, info);
  return info;
}

/** The field of `type` named `name`, by an own-property lookup (never Object.prototype's members). */
export function fieldNamed(type: protobuf.Type, name: string): protobuf.Field | undefined {
  return typeInfo(type).fields.get(name)?.field;
}

const hasOwn = (object: object, key: string) => Object.hasOwn(object, key);

// ---------------------------------------------------------------------------------------
// Parser (lexer included): one token of lookahead, kept in fields rather than objects.

enum Token {
  End,
  Ident,
  String,
  Number,
  Symbol,
}
enum NumberForm {
  Decimal,
  Octal,
  Hex,
  Float,
}

/** The C++ parser's default is unlimited; ours is the depth protoc's callers usually set. */
const MAX_DEPTH = 100;

const CHAR = {
  tab: 9,
  lf: 10,
  vt: 11,
  ff: 12,
  cr: 13,
  space: 32,
  quote: 34,
  hash: 35,
  apostrophe: 39,
  minus: 45,
  dot: 46,
  zero: 48,
  seven: 55,
  nine: 57,
  colon: 58,
  semicolon: 59,
  comma: 44,
  lt: 60,
  gt: 62,
  lbracket: 91,
  backslash: 92,
  rbracket: 93,
  lbrace: 123,
  rbrace: 125,
  slash: 47,
} as const;

const isDigit = (c: number) => c >= 48 && c <= 57;
const isHexDigit = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
const isIdentStart = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isIdentPart = (c: number) => isIdentStart(c) || isDigit(c);
const hexValue = (c: number) => (c <= 57 ? c - 48 : (c | 32) - 87);

/** Single-character escapes of the spec (\a \b \f \n \r \t \v \? \\ \' \"), by character code. */
const SIMPLE_ESCAPES = new Map<number, number>([
  [97, 7],
  [98, 8],
  [102, 12],
  [110, 10],
  [114, 13],
  [116, 9],
  [118, 11],
  [63, 63],
  [92, 92],
  [39, 39],
  [34, 34],
]);
const SYMBOLS = new Set<number>([
  CHAR.lbrace,
  CHAR.rbrace,
  CHAR.lt,
  CHAR.gt,
  CHAR.lbracket,
  CHAR.rbracket,
  CHAR.colon,
  CHAR.semicolon,
  CHAR.comma,
  CHAR.minus,
  CHAR.slash,
  CHAR.dot,
]);
const TRUE_WORDS = new Set(["true", "True", "t"]);
const FALSE_WORDS = new Set(["false", "False", "f"]);
const INT_LIMITS = new Map<Kind, [bigint, bigint]>([
  [Kind.Int32, [-(2n ** 31n), 2n ** 31n - 1n]],
  [Kind.Uint32, [0n, 2n ** 32n - 1n]],
  [Kind.Int64, [-(2n ** 63n), 2n ** 63n - 1n]],
  [Kind.Uint64, [0n, 2n ** 64n - 1n]],
]);
const KIND_NAMES = new Map<Kind, string>([
  [Kind.Int32, "int32"],
  [Kind.Uint32, "uint32"],
  [Kind.Int64, "int64"],
  [Kind.Uint64, "uint64"],
]);
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** A string literal's value: text, or bytes once an escape produced a byte of 0x80 or more. */
type LiteralValue = string | Buffer;

class Parser {
  private pos = 0;
  // The current token.
  private kind: Token = Token.End;
  private start = 0;
  private end = 0;
  private numberForm: NumberForm = NumberForm.Decimal;
  private literal: LiteralValue = "";
  private depth = 0;
  /** The field path, as segments and repeated-field indexes (-1: not repeated); built only for errors. */
  private readonly pathNames: string[] = [];
  private readonly pathIndexes: number[] = [];

  private readonly text: string;

  constructor(private readonly source: Source) {
    this.text = source.text;
    this.advance();
  }

  // --- errors -------------------------------------------------------------------------

  private path(): string {
    let path = "";
    for (let i = 0; i < this.pathNames.length; i++) {
      path += `${i ? "." : ""}${this.pathNames[i]}${this.pathIndexes[i] >= 0 ? `[${this.pathIndexes[i]}]` : ""}`;
    }
    return path;
  }

  fail(offset: number, detail: string): never {
    const at = this.source.position(offset);
    throw new TextFormatError(this.source.file, at.line, at.column, this.path(), detail);
  }

  private tokenText(): string {
    return this.text.slice(this.start, this.end);
  }

  private describe(): string {
    switch (this.kind) {
      case Token.End:
        return "end of input";
      case Token.String:
        return `string ${quoted(typeof this.literal === "string" ? this.literal : this.literal.toString("utf8"))}`; // the value, quoted once
      default:
        return quoted(this.tokenText());
    }
  }

  // --- lexer --------------------------------------------------------------------------

  private isSymbol(c: number): boolean {
    return this.kind === Token.Symbol && this.text.charCodeAt(this.start) === c;
  }

  private advance(): void {
    const text = this.text;
    const length = text.length;
    let p = this.pos;
    for (;;) {
      if (p >= length) break;
      const c = text.charCodeAt(p);
      if (c === CHAR.space || c === CHAR.lf || c === CHAR.tab || c === CHAR.cr || c === CHAR.vt || c === CHAR.ff) {
        p++;
      } else if (c === CHAR.hash) {
        // A comment runs to the line feed (the spec's newline). A lone CR would end the line
        // for the reader but not for protoc, which reads what follows as comment too: refuse it.
        for (; p < length && text.charCodeAt(p) !== CHAR.lf; p++) {
          // protoc refuses a NUL anywhere, in a comment too ("Invalid control characters encountered in text").
          if (text.charCodeAt(p) === 0) this.fail(p, "NUL character in a comment (protoc refuses it)");
          if (text.charCodeAt(p) === CHAR.cr && text.charCodeAt(p + 1) !== CHAR.lf) {
            this.fail(
              p,
              "a comment ends at a lone carriage return (CR-only line endings); protoc would read " +
                "the next lines as part of the comment: save the file with LF line endings",
            );
          }
        }
      } else {
        break;
      }
    }
    this.start = p;
    if (p >= length) {
      this.kind = Token.End;
      this.pos = this.end = p;
      return;
    }
    const c = text.charCodeAt(p);
    if (isIdentStart(c)) {
      p++;
      while (p < length && isIdentPart(text.charCodeAt(p))) p++;
      this.kind = Token.Ident;
    } else if (isDigit(c) || (c === CHAR.dot && isDigit(text.charCodeAt(p + 1)))) {
      p = this.scanNumber(p);
      this.kind = Token.Number;
    } else if (c === CHAR.quote || c === CHAR.apostrophe) {
      p = this.scanString(p, c);
      this.kind = Token.String;
    } else if (SYMBOLS.has(c)) {
      p++;
      this.kind = Token.Symbol;
    } else {
      const character = String.fromCodePoint(text.codePointAt(p)!);
      this.fail(p, c === 0 ? "NUL character outside a string" : `unexpected character ${JSON.stringify(character)}`);
    }
    this.end = this.pos = p;
  }

  /** DEC_INT, OCT_INT, HEX_INT or FLOAT at `start`; returns where it ends. */
  private scanNumber(start: number): number {
    const text = this.text;
    let p = start;
    let form = NumberForm.Decimal;
    const first = text.charCodeAt(p);
    if (first === CHAR.zero && (text.charCodeAt(p + 1) | 32) === 120) {
      p += 2;
      while (isHexDigit(text.charCodeAt(p))) p++;
      if (p === start + 2)
        this.fail(start, `invalid number ${quoted(text.slice(start, p + 1))}: "0x" needs hex digits`);
      form = NumberForm.Hex;
    } else if (first === CHAR.zero && isDigit(text.charCodeAt(p + 1))) {
      p++;
      while (text.charCodeAt(p) >= CHAR.zero && text.charCodeAt(p) <= CHAR.seven) p++;
      if (isDigit(text.charCodeAt(p)))
        this.fail(start, `invalid number ${quoted(text.slice(start, p + 1))}: a number that starts with 0 is octal`);
      form = NumberForm.Octal;
    } else {
      // dec_lit, then an optional fraction (".5" has none before it) and exponent.
      if (first !== CHAR.dot) {
        p++;
        if (first !== CHAR.zero) while (isDigit(text.charCodeAt(p))) p++;
      }
      if (text.charCodeAt(p) === CHAR.dot) {
        p++;
        while (isDigit(text.charCodeAt(p))) p++;
        form = NumberForm.Float;
      }
      if ((text.charCodeAt(p) | 32) === 101) {
        p++;
        if (text.charCodeAt(p) === 43 || text.charCodeAt(p) === CHAR.minus) p++;
        const digits = p;
        while (isDigit(text.charCodeAt(p))) p++;
        if (p === digits)
          this.fail(start, `invalid number ${quoted(text.slice(start, p + 1))}: the exponent has no digits`);
        form = NumberForm.Float;
      }
      if ((text.charCodeAt(p) | 32) === 102) {
        p++;
        form = NumberForm.Float;
      }
    }
    const next = text.charCodeAt(p);
    if (isIdentPart(next) || next === CHAR.dot) {
      let end = p;
      while (end < text.length && (isIdentPart(text.charCodeAt(end)) || text.charCodeAt(end) === CHAR.dot)) end++;
      this.fail(start, `invalid number ${quoted(text.slice(start, end))}: a number must not run into a name or a "."`);
    }
    this.numberForm = form;
    return p;
  }

  /** A quoted string at `start`: decodes it into `literal`; returns where it ends. */
  private scanString(start: number, quote: number): number {
    const text = this.text;
    const length = text.length;
    // Pass 1: find the closing quote. Most strings have no escape and are one slice.
    let p = start + 1;
    let escapes = false;
    for (;;) {
      if (p >= length) this.fail(start, "string is not closed before the end of the input");
      const c = text.charCodeAt(p);
      if (c === quote) break;
      if (c === CHAR.backslash) {
        escapes = true;
        if (text.charCodeAt(p + 1) === CHAR.lf || p + 1 >= length)
          this.fail(start, "string is not closed on its line (a backslash ends the line)");
        p += 2;
      } else if (c === CHAR.lf) {
        this.fail(start, "string is not closed on its line (write \\n for a line break)");
      } else if (c === 0) {
        this.fail(p, "raw NUL character in a string (write \\0)");
      } else {
        p++;
      }
    }
    const end = p;
    if (!escapes) {
      this.literal = text.slice(start + 1, end);
      return end + 1;
    }
    // Pass 2: decode into UTF-8 bytes (escapes make bytes; a character takes at most 3 bytes per UTF-16 unit).
    const out = Buffer.allocUnsafe(3 * (end - start));
    let n = 0;
    for (p = start + 1; p < end; ) {
      const c = text.charCodeAt(p);
      if (c !== CHAR.backslash) {
        if (c < 0x80) {
          out[n++] = c;
          p++;
        } else {
          const codePoint = text.codePointAt(p)!;
          n += out.write(String.fromCodePoint(codePoint), n, "utf8");
          p += codePoint > 0xffff ? 2 : 1;
        }
        continue;
      }
      const escapeAt = p;
      const e = text.charCodeAt(p + 1);
      p += 2;
      const simple = SIMPLE_ESCAPES.get(e);
      if (simple !== undefined) {
        out[n++] = simple;
      } else if (e >= CHAR.zero && e <= CHAR.seven) {
        let value = e - CHAR.zero;
        for (
          let digits = 1;
          digits < 3 && p < end && text.charCodeAt(p) >= CHAR.zero && text.charCodeAt(p) <= CHAR.seven;
          digits++
        )
          value = value * 8 + text.charCodeAt(p++) - CHAR.zero;
        if (value > 255)
          this.fail(escapeAt, `octal escape ${quoted(text.slice(escapeAt, p))} is larger than a byte (\\377)`);
        out[n++] = value;
      } else if (e === 120) {
        if (p >= end || !isHexDigit(text.charCodeAt(p))) this.fail(escapeAt, "\\x escape needs a hex digit");
        let value = hexValue(text.charCodeAt(p++));
        if (p < end && isHexDigit(text.charCodeAt(p))) value = value * 16 + hexValue(text.charCodeAt(p++));
        out[n++] = value;
      } else if (e === 117 || e === 85) {
        let value = this.hexEscape(escapeAt, p, end, e === 117 ? 4 : 8);
        p += e === 117 ? 4 : 8;
        if (value >= 0xd800 && value <= 0xdbff && e === 117) {
          // A high surrogate pairs with a \u low surrogate right after it (protoc's reading; the spec calls
          // lone ones invalid).
          const low =
            text.charCodeAt(p) === CHAR.backslash && text.charCodeAt(p + 1) === 117
              ? this.hexEscape(p, p + 2, end, 4)
              : -1;
          if (low < 0xdc00 || low > 0xdfff)
            this.fail(
              escapeAt,
              "unpaired surrogate: a \\u escape of a high surrogate (D800–DBFF) must be followed " +
                "at once by one of a low surrogate (DC00–DFFF)",
            );
          value = 0x10000 + ((value - 0xd800) << 10) + (low - 0xdc00);
          p += 6;
        } else if (value >= 0xd800 && value <= 0xdfff) {
          this.fail(escapeAt, `${quoted(text.slice(escapeAt, p))} is a lone surrogate, not a character`);
        }
        n += out.write(String.fromCodePoint(value), n, "utf8");
      } else if (e === 88) {
        this.fail(escapeAt, "unknown escape \\X (the spec's hex escape is a lowercase \\x)");
      } else {
        this.fail(escapeAt, `unknown escape ${JSON.stringify(`\\${String.fromCodePoint(text.codePointAt(p - 1)!)}`)}`);
      }
    }
    this.literal = out.subarray(0, n);
    return end + 1;
  }

  /** The value of the `width` hex digits of a \u or \U escape at `escapeAt`. */
  private hexEscape(escapeAt: number, from: number, end: number, width: number): number {
    let value = 0;
    for (let i = from; i < from + width; i++) {
      const digit = i < end ? this.text.charCodeAt(i) : -1;
      if (!isHexDigit(digit)) this.fail(escapeAt, `\\${width === 4 ? "u" : "U"} escape needs ${width} hex digits`);
      value = value * 16 + hexValue(digit);
    }
    if (value > 0x10ffff)
      this.fail(escapeAt, `${quoted(this.text.slice(escapeAt, from + width))} is beyond Unicode (at most \\U0010ffff)`);
    return value;
  }

  // --- parser -------------------------------------------------------------------------

  /** Parses fields until `closing` ("}" or ">"), or the end of the input when it is 0. */
  parseMessage(info: TypeInfo, message: PlainMessage, closing: number, openedAt: number): void {
    if (++this.depth > MAX_DEPTH) this.fail(openedAt, `messages nest deeper than ${MAX_DEPTH} levels`);
    const fieldPositions: Array<string | number | ForeignPoint> = [];
    positions.set(message, { source: this.source, start: openedAt, fields: fieldPositions });
    for (;;) {
      if (this.kind === Token.End) {
        if (closing)
          this.fail(
            this.start,
            `expected "${String.fromCharCode(closing)}" before the end of the input (the message ` +
              `opened at line ${this.source.position(openedAt).line})`,
          );
        break;
      }
      if (this.kind === Token.Symbol) {
        const c = this.text.charCodeAt(this.start);
        if (c === CHAR.rbrace || c === CHAR.gt) {
          if (c !== closing)
            this.fail(
              this.start,
              closing
                ? `expected "${String.fromCharCode(closing)}", found "${String.fromCharCode(c)}"`
                : `unexpected "${String.fromCharCode(c)}": no message is open`,
            );
          this.advance();
          break;
        }
      }
      this.parseField(info, message, fieldPositions);
    }
    this.depth--;
  }

  private parseField(
    info: TypeInfo,
    message: PlainMessage,
    fieldPositions: Array<string | number | ForeignPoint>,
  ): void {
    if (this.kind !== Token.Ident) {
      if (this.isSymbol(CHAR.lbracket))
        this.fail(this.start, "extension and Any fields ([...]) are not supported by this schema");
      this.fail(this.start, `expected a field name, found ${this.describe()}`);
    }
    const nameAt = this.start;
    const name = this.tokenText();
    const field = info.fields.get(name);
    if (!field) {
      if (info.reserved.has(name)) {
        this.advance();
        this.skipField();
        return;
      }
      const hint = name.length <= 64 ? closestName(name, [...info.fields.keys()]) : undefined;
      this.fail(
        nameAt,
        `unknown field ${quoted(name)} in ${info.type.name}${hint ? ` (did you mean "${hint}"?)` : ""}`,
      );
    }
    if (field.field.map) this.fail(nameAt, "map fields are not supported by this schema");
    const existing = hasOwn(message, name) ? message[name] : undefined;
    this.pathNames.push(name);
    this.pathIndexes.push(field.repeated ? ((existing as unknown[] | undefined)?.length ?? 0) : -1);
    if (existing !== undefined && !field.repeated) {
      this.fail(
        nameAt,
        `"${name}" is set twice (first at line ${sourcePosition(message, name)?.line}); it is not a repeated field`,
      );
    }
    if (field.oneofOthers) {
      for (const other of field.oneofOthers) {
        if (hasOwn(message, other))
          this.fail(nameAt, `"${name}" and "${other}" are both members of oneof "${field.oneofName}"; set only one`);
      }
    }
    this.advance();
    const isMessage = field.kind === Kind.Message;
    if (this.isSymbol(CHAR.colon)) {
      this.advance();
    } else if (!isMessage) {
      this.fail(this.start, `expected ":" after "${name}", found ${this.describe()}`);
    }
    if (this.isSymbol(CHAR.lbracket)) {
      if (!field.repeated) this.fail(this.start, `"${name}" is not repeated; a [list] is not allowed`);
      this.advance();
      const list = (existing as unknown[] | undefined) ?? [];
      if (!existing) message[name] = list;
      if (this.isSymbol(CHAR.rbracket)) {
        this.advance();
      } else {
        for (;;) {
          this.pathIndexes[this.pathIndexes.length - 1] = list.length;
          list.push(this.parseValue(field));
          if (this.isSymbol(CHAR.rbracket)) {
            this.advance();
            break;
          }
          if (!this.isSymbol(CHAR.comma))
            this.fail(this.start, `expected "," or "]" in the list, found ${this.describe()}`);
          this.advance();
        }
      }
    } else if (field.repeated) {
      const value = this.parseValue(field);
      if (existing) (existing as unknown[]).push(value);
      else message[name] = [value];
    } else {
      message[name] = this.parseValue(field);
    }
    if (existing === undefined) fieldPositions.push(name, nameAt);
    this.pathNames.pop();
    this.pathIndexes.pop();
    if (this.isSymbol(CHAR.semicolon) || this.isSymbol(CHAR.comma)) this.advance();
  }

  private parseValue(field: FieldInfo): unknown {
    switch (field.kind) {
      case Kind.Message: {
        const openedAt = this.start;
        const closing = this.isSymbol(CHAR.lbrace) ? CHAR.rbrace : this.isSymbol(CHAR.lt) ? CHAR.gt : 0;
        if (!closing)
          this.fail(this.start, `expected "{" or "<" to start ${field.message!.name}, found ${this.describe()}`);
        this.advance();
        const message: PlainMessage = {};
        this.parseMessage(typeInfo(field.message!), message, closing, openedAt);
        return message;
      }
      case Kind.String:
      case Kind.Bytes:
        return this.parseStringValue(field.kind);
      case Kind.Bool:
        return this.parseBool();
      case Kind.Float:
        return this.parseFloat();
      case Kind.Enum:
        return this.parseEnum(field.enumInfo!);
      default:
        return this.parseInteger(field.kind);
    }
  }

  private parseStringValue(kind: Kind): string | Uint8Array {
    if (this.kind !== Token.String)
      this.fail(
        this.start,
        `expected a ${kind === Kind.String ? "string" : "bytes"} literal, found ${this.describe()}`,
      );
    const firstAt = this.start;
    let value: LiteralValue = this.literal;
    this.advance();
    if (this.kind === Token.String) {
      const pieces: LiteralValue[] = [value];
      while (this.kind === Token.String) {
        pieces.push(this.literal);
        this.advance();
      }
      value = pieces.every((piece) => typeof piece === "string")
        ? pieces.join("")
        : Buffer.concat(pieces.map((piece) => (typeof piece === "string" ? Buffer.from(piece, "utf8") : piece)));
    }
    if (kind === Kind.Bytes)
      return typeof value === "string" ? new Uint8Array(Buffer.from(value, "utf8")) : new Uint8Array(value);
    if (typeof value === "string") return value;
    try {
      return utf8.decode(value);
    } catch {
      return this.fail(
        firstAt,
        "string is not valid UTF-8 once its escapes are decoded (\\x and octal escapes make " +
          "bytes; use \\u for characters)",
      );
    }
  }

  private parseBool(): boolean {
    if (this.kind === Token.Ident) {
      const word = this.tokenText();
      if (TRUE_WORDS.has(word) || FALSE_WORDS.has(word)) {
        this.advance();
        return TRUE_WORDS.has(word);
      }
    } else if (this.kind === Token.Number && this.numberForm !== NumberForm.Float) {
      const value = integerValue(this.tokenText(), this.numberForm);
      if (value === 0n || value === 1n) {
        this.advance();
        return value === 1n;
      }
    }
    return this.fail(this.start, `expected a bool (true, false, t, f, True, False, 1 or 0), found ${this.describe()}`);
  }

  /** An optional "-" (whitespace and comments may follow it); returns where the value starts. */
  private sign(): { negative: boolean; at: number } {
    const at = this.start;
    if (!this.isSymbol(CHAR.minus)) return { negative: false, at };
    this.advance();
    return { negative: true, at };
  }

  private parseFloat(): number {
    const { negative } = this.sign();
    let value: number;
    if (this.kind === Token.Number) {
      if (this.numberForm === NumberForm.Hex || this.numberForm === NumberForm.Octal) {
        this.fail(
          this.start,
          `${quoted(this.tokenText())} is a hex or octal literal; a float field takes decimal numbers only`,
        );
      }
      const text = this.tokenText();
      value = Number((text.charCodeAt(text.length - 1) | 32) === 102 ? text.slice(0, -1) : text);
    } else if (this.kind === Token.Ident && /^(inf|infinity|nan)$/i.test(this.tokenText())) {
      value = /^nan$/i.test(this.tokenText()) ? NaN : Infinity;
    } else {
      return this.fail(this.start, `expected a number, found ${this.describe()}`);
    }
    this.advance();
    return negative ? -value : value;
  }

  private parseInteger(kind: Kind): number | string {
    const { negative, at } = this.sign();
    const name = KIND_NAMES.get(kind)!;
    if (this.kind !== Token.Number || this.numberForm === NumberForm.Float)
      this.fail(this.start, `expected an integer (${name}), found ${this.describe()}`);
    const text = this.tokenText();
    if (negative && (kind === Kind.Uint32 || kind === Kind.Uint64))
      this.fail(at, `-${quoted(text).slice(1)} is negative; ${name} takes no sign`);
    const magnitude = integerValue(text, this.numberForm);
    const value = negative ? -magnitude : magnitude;
    const [min, max] = INT_LIMITS.get(kind)!;
    if (value < min || value > max)
      this.fail(at, `${negative ? "-" : ""}${quoted(text, 24).slice(1, -1)} is out of range for ${name}`);
    this.advance();
    return kind === Kind.Int64 || kind === Kind.Uint64 ? value.toString() : Number(value);
  }

  private parseEnum(info: EnumInfo): string {
    const { negative, at } = this.sign();
    if (this.kind === Token.Ident && !negative) {
      const name = this.tokenText();
      if (info.byName.has(name)) {
        this.advance();
        return name;
      }
      this.fail(
        this.start,
        `unknown ${info.name} value ${quoted(name)} (known: ${[...info.byName.keys()].join(", ")})`,
      );
    }
    if (this.kind === Token.Number && this.numberForm !== NumberForm.Float) {
      const magnitude = integerValue(this.tokenText(), this.numberForm);
      const value = negative ? -magnitude : magnitude;
      const name = value >= -(2n ** 31n) && value < 2n ** 31n ? info.byNumber.get(Number(value)) : undefined;
      if (name === undefined) {
        this.fail(
          at,
          `${negative ? "-" : ""}${quoted(this.tokenText(), 24).slice(1, -1)} is not a number of ${info.name} ` +
            `(known: ${[...info.byNumber].map(([n, v]) => `${v} = ${n}`).join(", ")})`,
        );
      }
      this.advance();
      return name;
    }
    return this.fail(this.start, `expected a ${info.name} name or number, found ${this.describe()}`);
  }

  /** Skips the value of a reserved field (spec: reserved names, in any form, are ignored). */
  private skipField(): void {
    const colon = this.isSymbol(CHAR.colon);
    if (colon) this.advance();
    if (this.isSymbol(CHAR.lbracket)) {
      this.advance();
      while (!this.isSymbol(CHAR.rbracket)) {
        this.skipValue(colon);
        if (this.isSymbol(CHAR.comma)) this.advance();
        else if (!this.isSymbol(CHAR.rbracket))
          this.fail(this.start, `expected "," or "]" in the list, found ${this.describe()}`);
      }
      this.advance();
    } else {
      this.skipValue(colon);
    }
    if (this.isSymbol(CHAR.semicolon) || this.isSymbol(CHAR.comma)) this.advance();
  }

  private skipValue(scalarAllowed: boolean): void {
    if (this.isSymbol(CHAR.lbrace) || this.isSymbol(CHAR.lt)) {
      const openedAt = this.start;
      const closing = this.isSymbol(CHAR.lbrace) ? CHAR.rbrace : CHAR.gt;
      if (++this.depth > MAX_DEPTH) this.fail(openedAt, `messages nest deeper than ${MAX_DEPTH} levels`);
      this.advance();
      while (!this.isSymbol(closing)) {
        if (this.kind !== Token.Ident)
          this.fail(this.start, `expected a field name or "${String.fromCharCode(closing)}", found ${this.describe()}`);
        this.advance();
        this.skipField();
      }
      this.depth--;
      this.advance();
      return;
    }
    if (!scalarAllowed) this.fail(this.start, `expected ":" or a message, found ${this.describe()}`);
    if (this.kind === Token.String) {
      while (this.kind === Token.String) this.advance();
      return;
    }
    this.sign();
    if (this.kind !== Token.Ident && this.kind !== Token.Number)
      this.fail(this.start, `expected a value, found ${this.describe()}`);
    this.advance();
  }
}

function integerValue(text: string, form: NumberForm): bigint {
  if (form === NumberForm.Octal) return BigInt(`0o${text.slice(1)}`);
  return BigInt(text);
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

/** The offset of the first byte that does not start a valid UTF-8 sequence, or -1. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const lead = bytes[i];
    const length =
      lead < 0x80
        ? 1
        : lead >= 0xc2 && lead <= 0xdf
          ? 2
          : lead >= 0xe0 && lead <= 0xef
            ? 3
            : lead >= 0xf0 && lead <= 0xf4
              ? 4
              : 0;
    if (length === 0 || !isUtf8(bytes.subarray(i, i + length))) return i;
    i += length;
  }
  return -1;
}

/** The offset of the first unpaired UTF-16 surrogate in `text` (which has one). */
function loneSurrogateAt(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
      else return i;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      return i;
    }
  }
  return text.length;
}

/**
 * The text of a catalog file: valid UTF-8 (else an error naming the line and column of the
 * first bad byte), without a byte-order mark.
 */
function decodeText(bytes: Uint8Array, file: string): string {
  const decoder = new TextDecoder("utf-8");
  if (isUtf8(bytes)) return decoder.decode(bytes);
  const bad = firstInvalidUtf8(bytes);
  const prefix = decoder.decode(bytes.subarray(0, bad));
  const at = new Source(file, prefix).position(prefix.length);
  throw new TextFormatError(
    file,
    at.line,
    at.column,
    "",
    `the file is not valid UTF-8 (byte 0x${bytes[bad].toString(16).padStart(2, "0")}); save it as UTF-8`,
  );
}

/** Parses text-format `text` (or UTF-8 bytes) as a message of `type`. Throws TextFormatError on any bad input. */
export function parseTextFormat<T>(type: MessageType<T>, text: string | Uint8Array, fileName = "<input>"): T {
  let decoded = typeof text === "string" ? text : decodeText(text, fileName);
  if (decoded.charCodeAt(0) === 0xfeff) decoded = decoded.slice(1);
  const source = new Source(fileName, decoded);
  if (!(decoded as unknown as { isWellFormed(): boolean }).isWellFormed()) {
    const at = source.position(loneSurrogateAt(decoded));
    throw new TextFormatError(
      fileName,
      at.line,
      at.column,
      "",
      "the text holds a lone UTF-16 surrogate, which is not a character",
    );
  }
  const parser = new Parser(source);
  const message: PlainMessage = {};
  parser.parseMessage(typeInfo(type), message, 0, 0);
  return message as T;
}

// ---------------------------------------------------------------------------------------
// Printer

// Characters a printed string escapes: the quote, the backslash, control characters, DEL.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f\u007f]/g;
const PRINT_ESCAPES = new Map([
  ['"', '\\"'],
  ["\\", "\\\\"],
  ["\n", "\\n"],
  ["\r", "\\r"],
  ["\t", "\\t"],
]);

function printString(value: string): string {
  return `"${value.replace(NEEDS_ESCAPE, (c) => PRINT_ESCAPES.get(c) ?? `\\${c.charCodeAt(0).toString(8).padStart(3, "0")}`)}"`;
}

function printBytes(value: Uint8Array): string {
  let out = '"';
  for (const byte of value) {
    if (byte === 0x22) out += '\\"';
    else if (byte === 0x5c) out += "\\\\";
    else if (byte < 0x20 || byte >= 0x7f) out += `\\${byte.toString(8).padStart(3, "0")}`;
    else out += String.fromCharCode(byte);
  }
  return `${out}"`;
}

function printFloat(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (value === Infinity) return "inf";
  if (value === -Infinity) return "-inf";
  if (Object.is(value, -0)) return "-0.0";
  return String(value);
}

function printScalar(field: FieldInfo, value: unknown): string {
  switch (field.kind) {
    case Kind.String:
      return printString(value as string);
    case Kind.Bytes:
      return printBytes(value as Uint8Array);
    case Kind.Bool:
      return value ? "true" : "false";
    case Kind.Float:
      return printFloat(value as number);
    default:
      return String(value);
  }
}

/** Scalars first, then sub-messages, each in declaration order: names read before bodies. */
const printOrders = new WeakMap<protobuf.Type, FieldInfo[]>();
function printOrder(type: protobuf.Type): FieldInfo[] {
  let order = printOrders.get(type);
  if (!order) {
    const fields = [...typeInfo(type).fields.values()];
    order = [...fields.filter((f) => f.kind !== Kind.Message), ...fields.filter((f) => f.kind === Kind.Message)];
    printOrders.set(type, order);
  }
  return order;
}

function printMessage(type: protobuf.Type, message: PlainMessage, indent: string, lines: string[]): void {
  for (const field of printOrder(type)) {
    if (!hasOwn(message, field.name)) continue;
    const raw = message[field.name];
    if (raw === undefined) continue;
    const values = field.repeated ? (raw as unknown[]) : [raw];
    for (const value of values) {
      if (field.kind === Kind.Message) {
        const opening = lines.length;
        lines.push(`${indent}${field.name} {`);
        printMessage(field.message!, value as PlainMessage, `${indent}  `, lines);
        if (lines.length === opening + 1) lines[opening] = `${indent}${field.name} {}`;
        else lines.push(`${indent}}`);
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
  return lines.length ? `${lines.join("\n")}\n` : "";
}
