// A self-contained HTML report of a run (and runs to compare it with): ECharts, the data and the
// page's own code (browser/, bundled by esbuild) inlined, no network. First the throughput–latency
// curves (output tokens/s against TTFT, NTPOT and request latency at p50/p90/p99), then figures
// against request rate; one colour per benchmark across every run drawn (compared runs dashed in
// the same colour); saturation and the SLO's capacity marked on the curves; per benchmark its
// figures, errors by type and sanity checks; a delta table against the compared run; the SLO's
// capacity and cost; provenance.

import * as fs from "node:fs";
import * as path from "node:path";
import { buildSync } from "esbuild";
import type { BenchmarkRow, StatDetail, StatRow } from "../store/store";
import { errorsByType, saturationRate, successRatio } from "./analysis";
import type { ChartData, ReportData, SeriesData } from "./browser/data";
import { compareSides, formatDelta, GATE_METRICS } from "./compare";
import { escapeHtml, table } from "./markup";
import { pairsSection, routingCharts, routingSection } from "./routing";
import type { Capacity, Slo } from "./slo";

export interface ReportRun {
  runId: string;
  benchmarks: BenchmarkRow[];
  stats: StatRow[];
  /** Whole Stats, for the model-server metrics tables. */
  details?: StatDetail[];
}

export interface ReportOptions {
  /** The SLO and each benchmark's capacity under it, marked on the curves. */
  slo?: { slo: Slo; capacities: Capacity[] };
}

interface Axis {
  label: string;
  unit: string;
  value: (row: StatRow, benchmark: BenchmarkRow) => number | null;
}

export interface ChartSpec {
  id: string;
  title: string;
  group: ChartData["group"];
  x: Axis;
  y: Axis;
  /** A fixed y range, where the quantity has one. */
  range?: [number, number];
}

const RATE: Axis = { label: "request rate", unit: "QPS", value: (r) => r.request_rate };
const OUTPUT: Axis = { label: "output throughput", unit: "tokens/s", value: (r) => r.output_tokens_per_second };
const LATENCIES: Array<[string, string, string, Record<"p50" | "p90" | "p99", keyof StatRow>]> = [
  ["ttft", "TTFT", "TTFT (time to first token)", { p50: "ttft_p50_ms", p90: "ttft_p90_ms", p99: "ttft_p99_ms" }],
  [
    "ntpot",
    "NTPOT",
    "NTPOT (latency ÷ output tokens)",
    { p50: "ntpot_p50_ms", p90: "ntpot_p90_ms", p99: "ntpot_p99_ms" },
  ],
  [
    "latency",
    "request latency",
    "request latency",
    { p50: "latency_p50_ms", p90: "latency_p90_ms", p99: "latency_p99_ms" },
  ],
];

function column(key: keyof StatRow): (row: StatRow) => number | null {
  return (row) => row[key] as number | null;
}

/** A chart of one figure against the request rate. */
function byRate(id: string, title: string, label: string, unit: string, key: keyof StatRow): ChartSpec {
  return { id, title, group: "rate", x: RATE, y: { label, unit, value: column(key) } };
}

export const CHARTS: ChartSpec[] = [
  ...LATENCIES.flatMap(([id, short, label, keys]) =>
    (["p50", "p90", "p99"] as const).map(
      (p): ChartSpec => ({
        id: `curve-${id}-${p}`,
        title: `Output tokens/s against ${short} ${p}`,
        group: "curve",
        x: { label: `${label} ${p}`, unit: "ms", value: column(keys[p]) },
        y: OUTPUT,
      }),
    ),
  ),
  { id: "output-throughput", title: "Output tokens/s", group: "rate", x: RATE, y: OUTPUT },
  {
    id: "throughput-per-gpu",
    title: "Output tokens/s per GPU",
    group: "rate",
    x: RATE,
    y: {
      label: "output tokens/s per GPU",
      unit: "tokens/s/GPU",
      value: (r, b) => (r.output_tokens_per_second === null || !b.gpus ? null : r.output_tokens_per_second / b.gpus),
    },
  },
  byRate("successful-rps", "Successful requests/s", "successful requests/s", "requests/s", "successful_rps"),
  byRate("latency-p90", "Request latency p90", "request latency p90", "ms", "latency_p90_ms"),
  byRate("ttft-p90", "TTFT p90", "TTFT p90", "ms", "ttft_p90_ms"),
  byRate("ntpot-p90", "NTPOT p90 (latency ÷ output tokens)", "NTPOT p90", "ms", "ntpot_p90_ms"),
  byRate("tpot-p90", "TPOT p90 (first token excluded)", "TPOT p90", "ms", "tpot_p90_ms"),
  byRate("itl-p50", "ITL p50 (inter-token latency)", "ITL p50", "ms", "itl_p50_ms"),
  byRate("itl-p90", "ITL p90 (inter-token latency)", "ITL p90", "ms", "itl_p90_ms"),
  {
    id: "success",
    title: "Success ratio",
    group: "rate",
    x: RATE,
    y: {
      label: "successful ÷ attempted",
      unit: "%",
      value: (r) => {
        const s = successRatio(r);
        return s === null ? null : s * 100;
      },
    },
    range: [0, 100],
  },
  byRate("failed-requests", "Failed requests (by type in the tables)", "failed requests", "requests", "errors_total"),
];

/** Distinct colours, one per benchmark name across every run in the report. */
export const PALETTE = [
  "#1f77b4",
  "#d62728",
  "#2ca02c",
  "#9467bd",
  "#ff7f0e",
  "#17becf",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#393b79",
  "#637939",
];

export function benchmarkColors(runs: ReportRun[]): Map<string, string> {
  const names = [...new Set(runs.flatMap((r) => r.benchmarks.map((b) => b.name)))].sort();
  return new Map(names.map((name, i) => [name, PALETTE[i % PALETTE.length]]));
}

export function chartData(primary: ReportRun, compared: ReportRun[], options: ReportOptions = {}): ChartData[] {
  const runs = [primary, ...compared];
  const colors = benchmarkColors(runs);
  const multiRun = compared.length > 0;
  return CHARTS.map((chart) => ({
    id: chart.id,
    title: chart.title,
    group: chart.group,
    x: { label: chart.x.label, unit: chart.x.unit },
    y: { label: chart.y.label, unit: chart.y.unit },
    ...(chart.range ? { range: chart.range } : {}),
    series: runs.flatMap((run, runIndex) =>
      run.benchmarks
        .filter((b) => runIndex === 0 || primary.benchmarks.some((p) => p.name === b.name))
        .map((b): SeriesData => {
          const rows = run.stats.filter((s) => s.name === b.name).sort((x, y) => x.request_rate - y.request_rate);
          const point = (r: StatRow): [number, number] | undefined => {
            const [x, y] = [chart.x.value(r, b), chart.y.value(r, b)];
            return x === null || y === null ? undefined : [x, y];
          };
          const drawn = rows.flatMap((r) => {
            const at = point(r);
            return at ? [{ rate: r.request_rate, at }] : [];
          });
          const marks: SeriesData["marks"] = [];
          for (const row of rows) {
            const invalid = run.details?.some(
              (d) => d.name === b.name && d.request_rate === row.request_rate && d.stat.load?.valid === false,
            );
            const at = invalid ? point(row) : undefined;
            if (at) marks.push({ name: "invalid load", rate: row.request_rate, coord: at });
          }
          const saturation = saturationRate(rows);
          const capacity =
            runIndex === 0 ? options.slo?.capacities.find((c) => c.name === b.name)?.max_rate : undefined;
          for (const [name, rate] of [
            ["saturation", saturation],
            ["SLO capacity", capacity],
          ] as const) {
            const row = rate === undefined || rate === null ? undefined : rows.find((r) => r.request_rate === rate);
            const at = row && point(row);
            if (at && (chart.group === "curve" || chart.y === OUTPUT || chart.id === "latency-p90")) {
              marks.push({ name, rate: row.request_rate, coord: at });
            }
          }
          return {
            name: multiRun ? `${b.name} @ ${run.runId}` : b.name,
            benchmark: b.name,
            runId: run.runId,
            color: colors.get(b.name)!,
            dashed: runIndex > 0,
            points: drawn.map((d) => d.at),
            rates: drawn.map((d) => d.rate),
            marks,
          };
        })
        .filter((s) => s.points.length > 0),
    ),
  })).filter((chart) => chart.series.length > 0);
}

function number(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined
    ? "–"
    : value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function list(json: string): string[] {
  return JSON.parse(json) as string[];
}

/**
 * Model-server metrics per rate, as the load generator queried them (units in Metric.unit; counters' figures
 * are per second, but sum and increase).
 */
function serverMetricsTable(details: StatDetail[]): string {
  const rows = details.flatMap((d) =>
    (d.stat.model_server_metrics ?? []).map((m) => [
      number(d.request_rate),
      `<code>${escapeHtml(m.name ?? "")}</code>`,
      escapeHtml(m.unit ?? ""),
      ...[m.mean, m.median, m.p90, m.p95, m.p99, m.max, m.rate, m.increase].map((v) => number(v, 3)),
    ]),
  );
  if (!rows.length) return "";
  return `<details class="server-metrics"><summary>Model-server metrics (${rows.length}): as the load generator queried them over each rate's window</summary>
${table(["rate (QPS)", "metric", "unit", "mean", "p50", "p90", "p95", "p99", "max", "rate /s", "increase"], rows)}</details>`;
}

function benchmarkSection(
  benchmark: BenchmarkRow,
  rows: StatRow[],
  capacity: Capacity | undefined,
  details: StatDetail[],
): string {
  const saturation = saturationRate(rows);
  const issues = [...list(benchmark.missing), ...list(benchmark.problems)];
  const optional = (key: keyof StatRow) => rows.some((r) => r[key] !== null);
  const columns: Array<[string, (r: StatRow) => string]> = [
    [
      "rate (QPS)",
      (r) =>
        `${number(r.request_rate)}${r.request_rate === saturation ? ' <span class="mark sat">saturation</span>' : ""}${r.request_rate === capacity?.max_rate ? ' <span class="mark slo">SLO capacity</span>' : ""}`,
    ],
    ["output tokens/s", (r) => number(r.output_tokens_per_second)],
    [
      "tokens/s per GPU",
      (r) =>
        number(
          r.output_tokens_per_second === null || !benchmark.gpus ? null : r.output_tokens_per_second / benchmark.gpus,
        ),
    ],
    ["successful req/s", (r) => number(r.successful_rps, 2)],
    ["attempted req/s", (r) => number(r.requests_per_second, 2)],
    ["latency p50 ms", (r) => number(r.latency_p50_ms)],
    ["latency p90 ms", (r) => number(r.latency_p90_ms)],
    ["latency p99 ms", (r) => number(r.latency_p99_ms)],
    ...(optional("ttft_p90_ms")
      ? [["TTFT p90 ms", (r: StatRow) => number(r.ttft_p90_ms)] as [string, (r: StatRow) => string]]
      : []),
    ["NTPOT p90 ms", (r) => number(r.ntpot_p90_ms)],
    ...(optional("tpot_p90_ms")
      ? [["TPOT p90 ms", (r: StatRow) => number(r.tpot_p90_ms)] as [string, (r: StatRow) => string]]
      : []),
    ...(optional("itl_p90_ms")
      ? [["ITL p90 ms", (r: StatRow) => number(r.itl_p90_ms)] as [string, (r: StatRow) => string]]
      : []),
    ...(optional("goodput_rps")
      ? [
          ["goodput req/s", (r: StatRow) => number(r.goodput_rps, 2)] as [string, (r: StatRow) => string],
          [
            "goodput",
            (r: StatRow) => (r.goodput_percentage === null ? "–" : `${r.goodput_percentage.toFixed(1)}%`),
          ] as [string, (r: StatRow) => string],
        ]
      : []),
    ["success", (r) => (successRatio(r) === null ? "–" : `${(successRatio(r)! * 100).toFixed(1)}%`)],
    [
      "errors by type",
      (r) =>
        Object.entries(errorsByType(r))
          .map(([type, count]) => `${escapeHtml(type)} ${count}`)
          .join(", ") || "none",
    ],
  ];
  const figures = table(
    columns.map(([h]) => h),
    rows.map((r) => columns.map(([, cell]) => cell(r))),
  );
  const sanity = table(
    [
      "rate (QPS)",
      "benchmark time s",
      "prompts attempted",
      "prompts succeeded",
      "achieved rate QPS",
      "avg input tokens",
      "avg output tokens",
    ],
    rows.map((r) => [
      number(r.request_rate),
      number(r.benchmark_time_seconds),
      number(r.prompts_attempted, 0),
      number(r.prompts_succeeded, 0),
      number(r.achieved_rate, 2),
      number(r.input_length_mean),
      number(r.output_length_mean),
    ]),
  );
  return `<section class="benchmark" id="benchmark-${escapeHtml(benchmark.name)}">
<h3>${escapeHtml(benchmark.name)} <span class="status status-${escapeHtml(benchmark.status)}">${escapeHtml(benchmark.status)}</span></h3>
${issues.length ? `<ul class="problems">${issues.map((p) => `<li>${escapeHtml(p)}</li>`).join("")}</ul>` : ""}
<p>${saturation === undefined ? "No saturation within the rates run." : `Saturates at <strong>${number(saturation)} QPS</strong>: beyond it throughput stops growing while p90 latency climbs.`}</p>
<h4>Figures</h4>${figures}
${optional("goodput_percentage") ? '<p class="note">goodput: the share of successful requests that met every goodput constraint ' + "(inference-perf divides by successful requests, not by all requests sent).</p>\n" : ""}<h4>Sanity checks</h4>${sanity}
${serverMetricsTable(details)}
</section>`;
}

function short(digest: string | null): string {
  return digest ? `<code title="${escapeHtml(digest)}">${escapeHtml(digest.slice(0, 12))}</code>` : "–";
}

function provenanceSection(run: ReportRun): string {
  const rows = run.benchmarks.map((b) => [
    escapeHtml(b.name),
    b.start_time ? `${escapeHtml(b.start_time)} → ${escapeHtml(b.end_time ?? "?")}` : "–",
    escapeHtml(b.accelerator ?? "–"),
    b.replicas === null ? "–" : `${b.replicas} × ${b.tensor_parallelism ?? "?"} = ${b.gpus ?? "?"}`,
    escapeHtml(b.model_server ?? "–"),
    escapeHtml(b.load_balancer ?? "–"),
    escapeHtml(b.load_generator ?? "–"),
    short(b.config_sha256),
    short(b.snapshot_sha256),
    escapeHtml(b.metadata_file ?? "–"),
    b.dashboard_url ? `<a href="${escapeHtml(b.dashboard_url)}">dashboard</a>` : "–",
  ]);
  const images = run.benchmarks.flatMap((b) =>
    (
      JSON.parse(b.images) as Array<{
        component: string;
        pod: string;
        container: string;
        image: string;
        image_id: string;
      }>
    ).map((i) => [
      escapeHtml(b.name),
      escapeHtml(i.component),
      escapeHtml(`${i.pod}/${i.container}`),
      escapeHtml(i.image),
      `<code>${escapeHtml(i.image_id)}</code>`,
    ]),
  );
  return `<section id="provenance"><h2>Provenance of run ${escapeHtml(run.runId)}</h2>
${table(["benchmark", "ran", "accelerator", "replicas × TP = GPUs", "model server", "load balancer", "load generator", "catalog entry SHA-256", "snapshot SHA-256", "times from", "monitoring"], rows, "provenance")}
<h4>Images that ran (digests from the pods' status)</h4>
${images.length ? table(["benchmark", "component", "pod/container", "image", "digest that ran"], images, "images") : "<p>No image digests recorded (results in the original tool's layout, or collected without pod " + "status).</p>"}
</section>`;
}

function deltaSection(primary: ReportRun, compared: ReportRun): string {
  const { deltas, lost, notes } = compareSides({ runs: [compared] }, { runs: [primary] });
  const metrics = GATE_METRICS.filter((m) => deltas.some((d) => d.metrics[m.id]));
  const rows = deltas.map((d) => [
    escapeHtml(d.name),
    number(d.rate),
    ...metrics.map((m) => {
      const delta = d.metrics[m.id];
      if (!delta) return "–";
      const worse = m.worse === "lower" ? delta.estimate < 0 : delta.estimate > 0;
      return `<span class="${Math.abs(delta.estimate) < 0.05 ? "" : worse ? "worse" : "better"}">${escapeHtml(formatDelta(m, delta))}</span>`;
    }),
  ]);
  return `<section class="deltas" id="delta-${escapeHtml(compared.runId)}"><h3>${escapeHtml(primary.runId)} against ${escapeHtml(compared.runId)}</h3>
${table(["benchmark", "rate (QPS)", ...metrics.map((m) => m.label)], rows, "delta")}
${[...lost, ...notes].map((n) => `<p class="note">${escapeHtml(n)}</p>`).join("")}
</section>`;
}

function sloSection(slo: NonNullable<ReportOptions["slo"]>): string {
  const rows = slo.capacities.map((c) => [
    escapeHtml(c.name),
    escapeHtml(c.status),
    number(c.max_rate),
    number(c.output_tokens_per_second),
    c.gpus === null ? "–" : String(c.gpus),
    escapeHtml(c.accelerator ?? "–"),
    number(c.gpu_hour_price, 2),
    number(c.cost_per_million_output_tokens, 3),
    escapeHtml(c.detail ?? ""),
  ]);
  return `<section id="slo"><h2>Capacity under the SLO</h2>
<p>SLO: <code>${escapeHtml(slo.slo.expression)}</code>${slo.slo.preset ? ` (preset ${escapeHtml(slo.slo.preset)})` : ""}. Capacity is the highest measured rate at which every term holds and no request failed; cost per million output tokens = GPUs × price per GPU-hour ÷ (output tokens/s × 3600) × 10⁶.</p>
${table(["benchmark", "status", "max rate (QPS)", "output tokens/s", "GPUs", "accelerator", "$ per GPU-hour", "$ per 1M output tokens", "detail"], rows, "capacity")}
</section>`;
}

function legend(primary: ReportRun, compared: ReportRun[]): string {
  const colors = benchmarkColors([primary, ...compared]);
  const names = [...colors.keys()].filter((name) => primary.benchmarks.some((b) => b.name === name));
  return `<div class="legend">${names.map((name) => `<span class="key"><span class="swatch" style="background:${colors.get(name)}"></span>${escapeHtml(name)}</span>`).join("")}
<span class="key"><span class="line solid"></span>run ${escapeHtml(primary.runId)}</span>${compared.map((c) => `<span class="key"><span class="line dashed"></span>run ${escapeHtml(c.runId)}</span>`).join("")}
<span class="key"><span class="dot sat"></span>saturation</span><span class="key"><span class="dot slo"></span>SLO capacity</span>
<span class="key"><span class="cross">✗</span>invalid load (not delivered, delayed or throttled)</span></div>`;
}

const STYLE = `
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1280px;color:#1f2328;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2.5rem;border-bottom:1px solid #d0d7de;padding-bottom:.3rem}
.subtitle{color:#59636e;margin-top:0}.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(400px,1fr));gap:1rem}
.chart,.routing-chart{height:320px;border:1px solid #d0d7de;border-radius:6px;padding:.5rem}
.legend{display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;margin:.5rem 0 1rem;font-size:.9rem}.key{display:inline-flex;align-items:center;gap:.35rem}
.swatch{width:14px;height:14px;border-radius:3px;display:inline-block}.line{width:28px;border-top:2px solid #1f2328;display:inline-block}.line.dashed{border-top-style:dashed}
.dot{width:10px;height:10px;border-radius:50%;display:inline-block;border:2px solid #fff;box-shadow:0 0 0 1px #1f2328}.dot.sat{background:#bc4c00}.dot.slo{background:#1a7f37}
table{border-collapse:collapse;font-size:.8rem;margin:.5rem 0 1rem}th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:right}
th{background:#f6f8fa}td:first-child,th:first-child{text-align:left}.mark{border-radius:4px;padding:0 .3rem;font-size:.75rem}
.mark.sat{background:#fff1e5;color:#bc4c00}.mark.slo{background:#dafbe1;color:#1a7f37}.worse{color:#cf222e}.better{color:#1a7f37}
.status{font-size:.8rem;border-radius:1rem;padding:.1rem .6rem;vertical-align:middle}.status-collected{background:#dafbe1;color:#1a7f37}
.status-partial{background:#fff8c5;color:#9a6700}.status-failed{background:#ffebe9;color:#cf222e}.status-pending{background:#eaeef2;color:#59636e}
.cross{color:#cf222e;font-weight:bold}.problems{color:#cf222e}.note{color:#59636e;font-size:.85rem}code{font-size:.8rem}table.provenance td,table.images td{text-align:left}`;

let echartsSource: string | undefined;
let chartsBundle: string | undefined;

/**
 * The page's own code (browser/charts.ts and what it imports) as one script, bundled once per
 * process. Not minified: it is small beside ECharts, and a reader of the report can follow it.
 */
function browserBundle(): string {
  chartsBundle ??= buildSync({
    entryPoints: [path.join(__dirname, "browser", "charts.ts")],
    bundle: true,
    format: "iife",
    target: "es2020",
    platform: "browser",
    write: false,
    logLevel: "silent",
  }).outputFiles[0].text;
  return chartsBundle;
}

export function renderReport(primary: ReportRun, compared: ReportRun[], options: ReportOptions = {}): string {
  echartsSource ??= fs.readFileSync(require.resolve("echarts/dist/echarts.min.js"), "utf8");
  const charts = chartData(primary, compared, options);
  const routing = routingCharts(primary.benchmarks, primary.details ?? []);
  const report: ReportData = { run: primary.runId, compared: compared.map((c) => c.runId), charts, routing };
  const data = JSON.stringify(report).replace(/</g, "\\u003c");
  const counts: Record<string, number> = {};
  for (const b of primary.benchmarks) counts[b.status] = (counts[b.status] ?? 0) + 1;
  const sections = primary.benchmarks
    .map((b) =>
      benchmarkSection(
        b,
        primary.stats.filter((s) => s.name === b.name),
        options.slo?.capacities.find((c) => c.name === b.name),
        (primary.details ?? []).filter((d) => d.name === b.name),
      ),
    )
    .join("\n");
  const grid = (group: ChartSpec["group"]) =>
    `<div class="charts">${charts
      .filter((c) => c.group === group)
      .map((c) => `<div class="chart" id="chart-${c.id}" data-chart="${c.id}"></div>`)
      .join("")}</div>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>inference-bench run ${escapeHtml(primary.runId)}</title><style>${STYLE}</style></head>
<body>
<h1>inference-bench run ${escapeHtml(primary.runId)}</h1>
<p class="subtitle">${primary.benchmarks.length} benchmarks (${Object.entries(counts)
    .map(([s, n]) => `${n} ${escapeHtml(s)}`)
    .join(
      ", ",
    )})${compared.length ? ` · compared with ${compared.map((c) => escapeHtml(c.runId)).join(", ")} (dashed)` : ""}</p>
${legend(primary, compared)}
<h2>Throughput against latency</h2>
<p class="note">Each point is one request rate. NTPOT is request latency ÷ output tokens (queueing and TTFT included); TTFT exists only for streaming runs; TPOT (first token excluded) only where the load generator writes it.</p>
${grid("curve")}
<h2>Against request rate</h2>
${grid("rate")}
${routingSection(primary.benchmarks, primary.details ?? [], routing)}
${pairsSection(primary)}
${options.slo ? sloSection(options.slo) : ""}
${compared.length ? `<h2>Differences</h2>${compared.map((c) => deltaSection(primary, c)).join("\n")}` : ""}
<h2>Benchmarks</h2>
${sections}
${provenanceSection(primary)}
<script>${echartsSource}</script>
<script>const REPORT = ${data};
${browserBundle()}</script>
</body></html>
`;
}
