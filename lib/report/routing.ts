// The report's routing part: per benchmark, each pod's share of each rate's requests (stacked
// bars) and a pods × rates heat map of prefix-cache hit rate, the load-fidelity verdict per rate,
// and the endpoint picker set against a plain Service where a run holds both for the same model
// server, replicas and load. Data from each Stat's `pods`, `routing` and `load`.
import type { LoadFidelity, PodShare, Routing } from "../../proto/benchmark-types";
import type { BenchmarkRow, StatDetail, StatRow } from "../store/store";
import type { RoutingChart } from "./browser/data";
import { compareSides, formatDelta, type GateMetric, type RateDelta, type Side } from "./compare";
import { escapeHtml, table } from "./markup";

interface RateDetail {
  rate: number;
  pods: PodShare[];
  routing?: Routing;
  load?: LoadFidelity;
}

function ratesOf(details: StatDetail[], name: string): RateDetail[] {
  return details
    .filter((d) => d.name === name)
    .sort((a, b) => a.request_rate - b.request_rate)
    .map((d) => ({ rate: d.request_rate, pods: d.stat.pods ?? [], routing: d.stat.routing, load: d.stat.load }));
}

export function routingCharts(benchmarks: BenchmarkRow[], details: StatDetail[]): RoutingChart[] {
  return benchmarks.flatMap((b) => {
    const rates = ratesOf(details, b.name);
    const pods = [...new Set(rates.flatMap((r) => r.pods.map((p) => p.pod!)))].sort();
    if (!pods.length) return [];
    const cell = (pod: string, key: "share" | "prefix_cache_hit_rate") =>
      rates.map((r) => r.pods.find((p) => p.pod === pod)?.[key] ?? null);
    return [
      {
        benchmark: b.name,
        rates: rates.map((r) => r.rate),
        pods,
        shares: pods.map((pod) => cell(pod, "share")),
        prefixHitRates: pods.map((pod) => cell(pod, "prefix_cache_hit_rate")),
        invalidRates: rates.filter((r) => r.load?.valid === false).map((r) => r.rate),
      },
    ];
  });
}

function fixed(value: number | undefined, digits = 2): string {
  return value === undefined ? "–" : value.toFixed(digits);
}

function percent(value: number | undefined): string {
  return value === undefined ? "–" : `${(100 * value).toFixed(1)}%`;
}

function loadTable(rates: RateDetail[]): string {
  const rows = rates
    .filter((r) => r.load)
    .map(({ rate, load }) => [
      fixed(rate, 1),
      fixed(load!.requested_rate),
      fixed(load!.achieved_rate),
      percent(load!.delivered_ratio),
      fixed(load!.schedule_delay_p50_ms),
      fixed(load!.schedule_delay_p99_ms),
      percent(load!.cpu_throttled_fraction),
      load!.valid ? '<span class="better">valid</span>' : '<span class="worse">not valid</span>',
      escapeHtml((load!.reasons ?? []).join("; ")),
    ]);
  if (!rows.length) return "";
  return table(
    [
      "rate (QPS)",
      "requested /s",
      "achieved /s",
      "delivered",
      "schedule delay p50 ms",
      "schedule delay p99 ms",
      "CPU throttled",
      "verdict",
      "why",
    ],
    rows,
    "load",
  );
}

function routingTable(rates: RateDetail[]): string {
  const rows = rates
    .filter((r) => r.routing)
    .map(({ rate, routing, pods }) => [
      fixed(rate, 1),
      String(routing!.pod_count ?? "–"),
      fixed(routing!.requests, 0),
      fixed(routing!.share_cv),
      percent(routing!.largest_share),
      pods
        .map(
          (p) =>
            `${escapeHtml(p.pod!)}: ${percent(p.share)}, hit ${percent(p.prefix_cache_hit_rate)}` +
            `, KV ${percent(p.kv_cache_usage_mean)} (max ${percent(p.kv_cache_usage_max)}), ` +
            `waiting p90 ${fixed(p.waiting_p90, 1)}`,
        )
        .join("<br>"),
      escapeHtml((routing!.notes ?? []).join("; ")),
    ]);
  if (!rows.length) return "";
  return table(
    ["rate (QPS)", "pods", "requests", "CV of shares", "largest share", "per pod", "notes"],
    rows,
    "routing",
  );
}

/** The section: charts, routing and load tables per benchmark (charts drawn by browser/routing.ts). */
export function routingSection(benchmarks: BenchmarkRow[], details: StatDetail[], charts: RoutingChart[]): string {
  const parts = benchmarks
    .map((b) => {
      const rates = ratesOf(details, b.name);
      const chart = charts.find((c) => c.benchmark === b.name);
      const routing = routingTable(rates);
      const load = loadTable(rates);
      if (!chart && !routing && !load) return "";
      const id = escapeHtml(b.name);
      return `<section class="routing-benchmark"><h3>${id}</h3>
${
  chart
    ? `<div class="charts"><div class="routing-chart" id="shares-${id}" data-routing="shares" ` +
      `data-benchmark="${id}"></div>` +
      `<div class="routing-chart" id="prefix-${id}" data-routing="prefix" data-benchmark="${id}"></div></div>`
    : ""
}
${routing}${load ? `<h4>Load fidelity</h4>${load}` : ""}</section>`;
    })
    .join("");
  if (!parts) return "";
  return `<section id="routing"><h2>Routing and load fidelity</h2>
<p class="note">Where each rate's successful requests went, from the load generator's own scrapes of every model-server pod's
<code>/metrics</code> (each counter's increase over the rate). A rate is valid when the load generator delivered at least 95% of it,
its schedule delay p99 (where the tool reports one) is at most 10 ms, and its CPU was throttled for at most 1% of the rate.
Invalid rates are crossed on every curve and left out of SLO capacity.</p>
${parts}</section>`;
}

/** A picker benchmark and a Service benchmark of one run that differ only in their load balancer. */
export interface PickerPair {
  picker: string;
  service: string;
}

const SAME: Array<keyof BenchmarkRow> = [
  "model_server",
  "accelerator",
  "replicas",
  "tensor_parallelism",
  "model",
  "load_generator",
];

export function pickerServicePairs(benchmarks: BenchmarkRow[], stats: StatRow[]): PickerPair[] {
  const ratesOfName = (name: string) =>
    stats
      .filter((s) => s.name === name)
      .map((s) => s.request_rate)
      .sort((a, b) => a - b)
      .join(",");
  const pickers = benchmarks.filter((b) => b.load_balancer?.includes("epp"));
  const services = benchmarks.filter((b) => b.load_balancer === "k8s_service");
  return pickers.flatMap((p) =>
    services
      .filter(
        (s) =>
          SAME.every((key) => p[key] === s[key]) &&
          ratesOfName(p.name) === ratesOfName(s.name) &&
          ratesOfName(p.name) !== "",
      )
      .map((s) => ({ picker: p.name, service: s.name })),
  );
}

/** The four figures the pairing sets side by side, from the gate's own metric definitions. */
const PAIR_FIGURES: GateMetric[] = (["ttft_p50_ms", "ttft_p99_ms", "ntpot_p50_ms", "ntpot_p99_ms"] as const).map(
  (column) => ({
    id: column.replace(/_ms$/, ""),
    label: column
      .replace(/_(p\d+)_ms$/, " $1")
      .replace("ttft", "TTFT")
      .replace("ntpot", "NTPOT"),
    worse: "higher",
    relative: true,
    value: (row: StatRow) => row[column],
  }),
);

type RunData = Side["runs"][number];

/** One benchmark of a run as a side of its own, under a shared name, so that two benchmarks of one run compare. */
export function benchmarkSide(run: RunData, name: string, as: string): Side {
  return {
    runs: [
      {
        runId: run.runId,
        benchmarks: run.benchmarks.filter((b) => b.name === name).map((b) => ({ ...b, name: as })),
        stats: run.stats.filter((s) => s.name === name).map((s) => ({ ...s, name: as })),
        details: (run.details ?? []).filter((d) => d.name === name).map((d) => ({ ...d, name: as })),
      },
    ],
  };
}

function pairRows(run: RunData, pair: PickerPair): string[][] {
  const as = `${pair.service}=${pair.picker}`;
  const { deltas } = compareSides(
    benchmarkSide(run, pair.service, as),
    benchmarkSide(run, pair.picker, as),
    undefined,
    PAIR_FIGURES,
  );
  const details = run.details ?? [];
  const at = (name: string, rate: number) => details.find((d) => d.name === name && d.request_rate === rate)?.stat;
  const routingCell = (name: string, rate: number) => {
    const stat = at(name, rate);
    if (!stat?.routing) return "–";
    const hits = (stat.pods ?? []).map((p) => percent(p.prefix_cache_hit_rate)).join(" / ");
    return `largest ${percent(stat.routing.largest_share)}, CV ${fixed(stat.routing.share_cv)}; hit ${hits}`;
  };
  return deltas.map((d: RateDelta) => [
    fixed(d.rate, 1),
    ...PAIR_FIGURES.map((m) =>
      d.not_comparable
        ? `<span class="note" title="${escapeHtml(d.not_comparable.join("; "))}">not comparable</span>`
        : d.metrics[m.id]
          ? escapeHtml(formatDelta(m, d.metrics[m.id]!))
          : "–",
    ),
    routingCell(pair.service, d.rate),
    routingCell(pair.picker, d.rate),
  ]);
}

export function pairsSection(run: RunData): string {
  const pairs = pickerServicePairs(run.benchmarks, run.stats);
  if (!pairs.length) return "";
  return `<h2>Endpoint picker against Service</h2>
<p class="note">Benchmarks of this run that differ only in their load balancer, drawn on the same curves above. Δ is the picker
against the Service at each matched rate (negative: the picker is faster). The picker's own request-processing latency is not
scraped by this tool; its metrics go to managed Prometheus where a GCP project is set.</p>
${pairs
  .map(
    (
      pair,
    ) => `<section class="pair" data-picker="${escapeHtml(pair.picker)}" data-service="${escapeHtml(pair.service)}">
<h3>${escapeHtml(pair.picker)} against ${escapeHtml(pair.service)}</h3>
${table(["rate (QPS)", ...PAIR_FIGURES.map((m) => `Δ ${m.label}`), `routing: ${pair.service}`, `routing: ${pair.picker}`], pairRows(run, pair), "pair")}
</section>`,
  )
  .join("\n")}`;
}
