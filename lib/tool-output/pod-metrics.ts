// Routing attribution per rate, from results/pod-metrics.jsonl: the load generator's own scrapes
// of every model-server pod's /metrics (lib/manifests/scripts/pod_metrics.py), one JSON object
// per line: {"time": <unix seconds>, "pod": "<name>", "text": "<Prometheus exposition text>"}.
// Per pod, each counter's increase over the rate's window (resets handled as Prometheus'
// increase() does) and each gauge's samples inside it. Pure: the caller reads the file.
import parseExposition from "parse-prometheus-text-format";
import type { PodShare, Routing } from "../../proto/benchmark-types";
import { POD_METRIC_NAMES } from "../manifests/pod-sampler";

type Figure = keyof typeof POD_METRIC_NAMES;

/** One scrape of one pod: each kept metric's series, summed (gauges: averaged) over their labels. */
export interface PodSample {
  time: number;
  pod: string;
  values: Partial<Record<Figure, number>>;
}

/** A rate's window, unix seconds, and how to name it in notes. */
export interface RateWindow {
  label: string;
  start: number;
  end: number;
}

function figuresOf(text: string): Partial<Record<Figure, number>> {
  const byName = new Map<string, number[]>();
  for (const family of parseExposition(text)) {
    byName.set(
      family.name,
      family.metrics.map((m) => Number(m.value)).filter((v) => !Number.isNaN(v)),
    );
  }
  const values: Partial<Record<Figure, number>> = {};
  for (const [figure, names] of Object.entries(POD_METRIC_NAMES) as Array<[Figure, readonly string[]]>) {
    const series = names.map((name) => byName.get(name)).find((found) => found?.length);
    if (!series) continue;
    const sum = series.reduce((a, b) => a + b, 0);
    // A usage fraction per engine is averaged; counts add up.
    values[figure] = figure === "kvCacheUsage" ? sum / series.length : sum;
  }
  return values;
}

/** Reads pod-metrics.jsonl; a line that is not a sample is a problem naming the file and line. */
export function readPodMetrics(text: string, file: string): { samples: PodSample[]; problems: string[] } {
  const samples: PodSample[] = [];
  const problems: string[] = [];
  text.split("\n").forEach((line, index) => {
    if (!line.trim()) return;
    let entry: { time?: unknown; pod?: unknown; text?: unknown };
    try {
      entry = JSON.parse(line);
    } catch {
      problems.push(`${file}:${index + 1}: not JSON (the line was cut short?)`);
      return;
    }
    if (typeof entry.time !== "number" || typeof entry.pod !== "string" || typeof entry.text !== "string") {
      problems.push(`${file}:${index + 1}: needs "time" (number), "pod" and "text" (strings)`);
      return;
    }
    samples.push({ time: entry.time, pod: entry.pod, values: figuresOf(entry.text) });
  });
  samples.sort((a, b) => a.time - b.time);
  return { samples, problems };
}

/** Linear interpolation between closest ranks (numpy's default percentile). */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  return sorted[low] + (sorted[Math.min(low + 1, sorted.length - 1)] - sorted[low]) * (rank - low);
}

function seconds(value: number): string {
  return `${value.toFixed(1)} s`;
}

/**
 * A counter's increase from `from` to `to` over the samples between them. A drop is a reset
 * (the pod restarted): the value after it counts from zero, as Prometheus' increase() does.
 */
function increase(series: PodSample[], figure: Figure, resets: number[]): number | undefined {
  if (!series.some((s) => s.values[figure] !== undefined)) return undefined;
  let total = 0;
  // A CounterVec has no series until its first event (the simulator's): absent reads as 0.
  let previous = series[0].values[figure] ?? 0;
  for (const sample of series.slice(1)) {
    const value = sample.values[figure] ?? 0;
    if (value < previous) {
      resets.push(sample.time);
      total += value;
    } else {
      total += value - previous;
    }
    previous = value;
  }
  return total;
}

interface PodPart {
  share: PodShare;
  notes: string[];
}

function podPart(pod: string, samples: PodSample[], window: RateWindow): PodPart | undefined {
  const notes: string[] = [];
  const at = (time: number) => seconds(time - window.start);
  const before = samples.filter((s) => s.time <= window.start).at(-1);
  const inside = samples.filter((s) => s.time > window.start && s.time < window.end);
  const after = samples.find((s) => s.time >= window.end);
  if (!before && !inside.length) return undefined;
  if (!before)
    notes.push(`pod ${pod}: no scrape before the rate began; counted from its first at +${at(inside[0].time)}`);
  if (!after) {
    const last = inside.at(-1) ?? before!;
    notes.push(
      `pod ${pod}: no scrape at the rate's end (last at +${at(last.time)} of ${seconds(window.end - window.start)}): ` +
        "it died or stopped answering; its requests are counted to then",
    );
  }
  const series = [...(before ? [before] : []), ...inside, ...(after ? [after] : [])];
  const resets: number[] = [];
  const requests = increase(series, "requests", resets) ?? 0;
  const hits = increase(series, "prefixHits", resets);
  const queries = increase(series, "prefixQueries", resets);
  for (const time of [...new Set(resets)])
    notes.push(`pod ${pod}: counters reset at +${at(time)} (restarted?); counted from zero after it`);
  // Gauges: the scrapes inside the window; the bracketing ones (before the load, after it) only when there are none.
  const gaugeSamples = inside.length ? inside : series;
  const kv = gaugeSamples.map((s) => s.values.kvCacheUsage).filter((v): v is number => v !== undefined);
  const waiting = gaugeSamples.map((s) => s.values.waiting).filter((v): v is number => v !== undefined);
  const share: PodShare = { pod, requests, samples: inside.length };
  if (hits !== undefined && queries) share.prefix_cache_hit_rate = hits / queries;
  if (kv.length) {
    share.kv_cache_usage_mean = kv.reduce((a, b) => a + b, 0) / kv.length;
    share.kv_cache_usage_max = Math.max(...kv);
  }
  if (waiting.length) share.waiting_p90 = percentile(waiting, 90);
  return { share, notes };
}

/** Each pod's part in a rate and the spread of its requests; undefined when no pod was scraped around it. */
export function attributeRate(
  samples: PodSample[],
  window: RateWindow,
): { pods: PodShare[]; routing: Routing } | undefined {
  const byPod = new Map<string, PodSample[]>();
  for (const sample of samples) byPod.set(sample.pod, [...(byPod.get(sample.pod) ?? []), sample]);
  const parts = [...byPod.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([pod, podSamples]) => podPart(pod, podSamples, window))
    .filter((part): part is PodPart => part !== undefined);
  if (!parts.length) return undefined;
  const pods = parts.map((part) => part.share);
  const total = pods.reduce((sum, p) => sum + (p.requests ?? 0), 0);
  const routing: Routing = { pod_count: pods.length, requests: total, notes: parts.flatMap((part) => part.notes) };
  if (total > 0) {
    for (const p of pods) p.share = (p.requests ?? 0) / total;
    const shares = pods.map((p) => p.share!);
    const mean = 1 / pods.length;
    const sd = Math.sqrt(shares.reduce((sum, s) => sum + (s - mean) ** 2, 0) / shares.length);
    routing.share_cv = sd / mean;
    routing.largest_share = Math.max(...shares);
  } else {
    routing.notes!.push(`no pod counted a successful request during ${window.label}`);
  }
  if (!routing.notes!.length) delete routing.notes;
  return { pods, routing };
}
