// Warnings for many benchmarks at once, said once each: a catalog of 2,500 benchmarks that share
// a mutable image gets one line naming how many and the first few, not 2,500 lines.

/** How catalog warnings name their benchmark (lib/catalog: `benchmark "NAME": ...`). */
const ABOUT_A_BENCHMARK = /^benchmark "([^"]*)": (.*)$/s;

/**
 * The same warnings, each said once: those that differ only in the benchmark they name become
 * `N benchmarks (a, b, c, …): what`, with the first `shown` names, in order of first appearance.
 */
export function groupWarnings(warnings: readonly string[], shown = 3): string[] {
  const groups = new Map<string, string[]>();
  for (const warning of warnings) {
    const match = ABOUT_A_BENCHMARK.exec(warning);
    const key = match ? match[2] : warning;
    const names = groups.get(key) ?? [];
    if (match) names.push(match[1]);
    groups.set(key, names);
  }
  return [...groups].map(([text, names]) => {
    if (names.length === 0) return text;
    if (names.length === 1) return `benchmark "${names[0]}": ${text}`;
    const first = names.slice(0, shown).join(", ");
    return `${names.length.toLocaleString("en-US")} benchmarks (${first}${names.length > shown ? ", …" : ""}): ${text}`;
  });
}
