// The proto3 JSON mapping's one twist on plain JSON for our messages: float fields that are
// Infinity, -Infinity or NaN are written as the strings "Infinity", "-Infinity" and "NaN".

export function stringifyProtoJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, (_, v) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v), indent);
}

export function parseProtoJson<T>(text: string): T {
  return JSON.parse(text, (_, v) =>
    v === "Infinity" ? Infinity : v === "-Infinity" ? -Infinity : v === "NaN" ? NaN : v,
  ) as T;
}
