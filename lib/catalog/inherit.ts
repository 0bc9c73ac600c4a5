// Catalog inheritance: a child benchmark over its base, merged by field presence, following
// the tables of rules.ts. Chains of any length and cycles are resolved without recursion.
import * as protobuf from "protobufjs";
import type { Benchmark } from "../../proto/benchmark-types";
import { BenchmarkType } from "../../proto/schema";
import { copyPosition, copyPositions, copyStartPosition, fieldNamed, type PlainMessage } from "../../proto/textformat";
import { deleteAt, INHERITED, MEMBER_DEPENDENT, NOT_INHERITED, valueAt } from "./rules";

function messageTypeOf(field: protobuf.Field): protobuf.Type | undefined {
  field.resolve();
  return field.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined;
}

/** The message type at a dot path from Benchmark. */
function typeAt(path: string): protobuf.Type {
  let type: protobuf.Type = BenchmarkType;
  for (const name of path.split(".")) type = messageTypeOf(fieldNamed(type, name)!)!;
  return type;
}

/** Deep copy of a parsed message that keeps where each field was written. */
export function cloneMessage(type: protobuf.Type, message: PlainMessage): PlainMessage {
  const copy: PlainMessage = {};
  copyPositions(message, copy);
  for (const [key, value] of Object.entries(message)) {
    const field = fieldNamed(type, key);
    const fieldType = field && messageTypeOf(field);
    if (fieldType) {
      copy[key] = field.repeated
        ? (value as PlainMessage[]).map((item) => cloneMessage(fieldType, item))
        : cloneMessage(fieldType, value as PlainMessage);
    } else {
      copy[key] = Array.isArray(value) ? [...value] : value;
    }
  }
  return copy;
}

/**
 * Merges `child` over `base` by presence: every field the child wrote wins (false, 0 and ""
 * included); a oneof member replaces the base's member of that oneof; singular messages
 * merge recursively; a repeated field the child writes replaces the base's list (appending
 * would make it impossible to override a list).
 */
export function mergeByPresence(type: protobuf.Type, base: PlainMessage, child: PlainMessage): PlainMessage {
  const result = cloneMessage(type, base);
  for (const [key, value] of Object.entries(child)) {
    const field = fieldNamed(type, key);
    if (!field) continue;
    for (const member of field.partOf?.oneof ?? []) if (member !== key) delete result[member];
    const fieldType = messageTypeOf(field);
    if (fieldType && !field.repeated && result[key] !== undefined) {
      result[key] = mergeByPresence(fieldType, result[key] as PlainMessage, value as PlainMessage);
    } else if (fieldType) {
      result[key] = field.repeated
        ? (value as PlainMessage[]).map((item) => cloneMessage(fieldType, item))
        : cloneMessage(fieldType, value as PlainMessage);
    } else {
      result[key] = Array.isArray(value) ? [...value] : value;
    }
    copyPosition(child, result, key);
  }
  copyStartPosition(child, result);
  return result;
}

/** Which member of `oneof` a message sets, if any. */
function memberOf(type: protobuf.Type, message: PlainMessage, oneof: string): string | undefined {
  return type.oneofs?.[oneof]?.oneof.find((member) => Object.hasOwn(message, member));
}

/**
 * The part of a resolved base that a child inherits (INHERITED minus NOT_INHERITED, the member-dependent
 * fields of a switched selector).
 */
function inheritedPart(base: Benchmark, child: Benchmark): PlainMessage {
  const inherited: PlainMessage = {};
  copyPositions(base, inherited);
  for (const path of INHERITED) {
    const value = valueAt(base as PlainMessage, path);
    if (value === undefined) continue;
    // Rebuild the path down to the inherited field, keeping positions.
    let source = base as PlainMessage;
    let target = inherited;
    const names = path.split(".");
    let type: protobuf.Type = BenchmarkType;
    for (const name of names.slice(0, -1)) {
      source = source[name] as PlainMessage;
      type = messageTypeOf(fieldNamed(type, name)!)!;
      const next = (target[name] as PlainMessage | undefined) ?? {};
      copyPositions(source, next);
      target[name] = next;
      target = next;
    }
    const last = names[names.length - 1];
    const field = fieldNamed(type, last)!;
    const fieldType = messageTypeOf(field);
    target[last] = fieldType && !field.repeated ? cloneMessage(fieldType, value as PlainMessage) : value;
    copyPosition(source, target, last);
  }
  for (const path of NOT_INHERITED) deleteAt(inherited, path);
  for (const dependency of MEMBER_DEPENDENT) {
    const baseMessage = valueAt(inherited, dependency.message) as PlainMessage | undefined;
    const childMessage = valueAt(child as PlainMessage, dependency.message) as PlainMessage | undefined;
    if (!baseMessage || !childMessage) continue;
    const selector = dependency.selector;
    let switched: boolean;
    if ("oneof" in selector) {
      const type = typeAt(dependency.message);
      const childMember = memberOf(type, childMessage, selector.oneof);
      switched = childMember !== undefined && childMember !== memberOf(type, baseMessage, selector.oneof);
    } else {
      const written = valueAt(childMessage, selector.field);
      switched = written !== undefined && !selector.same(written, valueAt(baseMessage, selector.field));
    }
    if (!switched) continue;
    for (const dependent of dependency.dependents) {
      if (valueAt(childMessage, dependent) === undefined) deleteAt(baseMessage, dependent);
    }
  }
  return inherited;
}

export interface InheritanceEntry {
  raw: Benchmark;
}

export type InheritanceProblem =
  | { kind: "cycle"; at: Benchmark; chain: string[] }
  | { kind: "unknown-base"; at: Benchmark; chain: string[]; base: string };

/**
 * Resolves the benchmark `name` of one file over its chain of bases, iteratively; each link is
 * resolved once (`resolved` caches them). Returns the merged benchmark or the problem found.
 */
export function resolveChain(
  name: string,
  byName: ReadonlyMap<string, InheritanceEntry>,
  resolved: Map<string, Benchmark>,
): Benchmark | InheritanceProblem {
  const chain: string[] = [];
  const onChain = new Set<string>();
  for (let current: string | undefined = name; current !== undefined && !resolved.has(current); ) {
    if (onChain.has(current)) {
      return {
        kind: "cycle",
        at: byName.get(chain[chain.length - 1])!.raw,
        chain: [...chain.slice(chain.indexOf(current)), current],
      };
    }
    onChain.add(current);
    chain.push(current);
    const base: string | undefined = byName.get(current)!.raw.base_benchmark_name || undefined;
    if (base !== undefined && !byName.has(base))
      return { kind: "unknown-base", at: byName.get(current)!.raw, chain: [...chain, base], base };
    current = base;
  }
  for (let i = chain.length - 1; i >= 0; i--) {
    const raw = byName.get(chain[i])!.raw;
    const base = raw.base_benchmark_name || undefined;
    const merged =
      base === undefined
        ? cloneMessage(BenchmarkType, raw as PlainMessage)
        : mergeByPresence(BenchmarkType, inheritedPart(resolved.get(base)!, raw), raw as PlainMessage);
    resolved.set(chain[i], merged as Benchmark);
  }
  return resolved.get(name)!;
}
