// A self-contained HTML report of a run (and runs to compare it with): ECharts inlined, data
// inlined, no network. Per chart, one line per benchmark (and per compared run) against
// request rate; the saturation point marked; the figures and the original notebook's sanity
// checks in tables.
import * as fs from "node:fs";
import type { BenchmarkRow, StatRow } from "../store/store";
import { saturationRate, successRatio } from "./analysis";

export interface ReportRun {
  runId: string;
  benchmarks: BenchmarkRow[];
  stats: StatRow[];
}

export interface ChartSpec {
  id: string;
  title: string;
  unit: string;
  value: (row: StatRow) => number | null;
  /** Mark each series' saturation point on this chart. */
  saturation: boolean;
  /** A fixed y range, where the quantity has one. */
  range?: [number, number];
}

export const CHARTS: ChartSpec[] = [
  { id: "output-throughput", title: "Output throughput", unit: "tokens/s", value: (r) => r.output_tokens_per_second, saturation: true },
  { id: "request-throughput", title: "Request throughput", unit: "requests/s", value: (r) => r.requests_per_second, saturation: false },
  { id: "latency-p50", title: "Request latency p50", unit: "ms", value: (r) => r.latency_p50_ms, saturation: false },
  { id: "latency-p90", title: "Request latency p90", unit: "ms", value: (r) => r.latency_p90_ms, saturation: true },
  { id: "latency-p99", title: "Request latency p99", unit: "ms", value: (r) => r.latency_p99_ms, saturation: false },
  { id: "tpot-p90", title: "Time per output token p90", unit: "ms", value: (r) => r.tpot_p90_ms, saturation: false },
  { id: "ttft-p90", title: "Time to first token p90", unit: "ms", value: (r) => r.ttft_p90_ms, saturation: false },
  { id: "success", title: "Success ratio", unit: "%", value: (r) => { const s = successRatio(r); return s === null ? null : s * 100; }, saturation: false, range: [0, 100] },
];

/** What the page draws: per chart, its series and their points. Also what the browser test checks. */
export interface ChartData {
  id: string;
  title: string;
  unit: string;
  range?: [number, number];
  series: Array<{ name: string; points: Array<[number, number]>; saturation?: [number, number]; compared: boolean }>;
}

export function chartData(primary: ReportRun, compared: ReportRun[]): ChartData[] {
  const runs = [primary, ...compared];
  const multiRun = compared.length > 0;
  return CHARTS.map((chart) => ({
    id: chart.id,
    title: chart.title,
    unit: chart.unit,
    ...(chart.range ? { range: chart.range } : {}),
    series: runs.flatMap((run, runIndex) =>
      run.benchmarks
        .filter((b) => runIndex === 0 || primary.benchmarks.some((p) => p.name === b.name))
        .map((b) => {
          const rows = run.stats.filter((s) => s.name === b.name).sort((x, y) => x.request_rate - y.request_rate);
          const points = rows.map((r) => [r.request_rate, chart.value(r)] as [number, number | null]).filter((p): p is [number, number] => p[1] !== null);
          const rate = chart.saturation ? saturationRate(rows) : undefined;
          const at = rate === undefined ? undefined : points.find((p) => p[0] === rate);
          return { name: multiRun ? `${b.name} @ ${run.runId}` : b.name, points, ...(at ? { saturation: at } : {}), compared: runIndex > 0 };
        })
        .filter((s) => s.points.length > 0),
    ),
  })).filter((chart) => chart.series.length > 0);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

function number(value: number | null, digits = 1): string {
  return value === null ? "–" : value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function table(headers: string[], rows: string[][]): string {
  return `<table><thead><tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("")}</tbody></table>`;
}

function benchmarkSection(benchmark: BenchmarkRow, rows: StatRow[]): string {
  const saturation = saturationRate(rows);
  const problems = JSON.parse(benchmark.problems) as string[];
  const facts = [
    benchmark.model && `model ${escapeHtml(benchmark.model)}`,
    benchmark.model_server && `${escapeHtml(benchmark.model_server)} × ${benchmark.replicas ?? "?"}${benchmark.accelerator ? ` on ${escapeHtml(benchmark.accelerator)}` : ""}`,
    benchmark.load_balancer && `load balancer ${escapeHtml(benchmark.load_balancer)}`,
    benchmark.start_time && `ran ${escapeHtml(benchmark.start_time)} → ${escapeHtml(benchmark.end_time ?? "?")}`,
    benchmark.dashboard_url && `<a href="${escapeHtml(benchmark.dashboard_url)}">dashboard</a>`,
  ].filter(Boolean);
  const figures = table(
    ["rate (QPS)", "tokens/s", "requests/s", "p50 ms", "p90 ms", "p99 ms", "TPOT p90 ms", "TTFT p90 ms", "success"],
    rows.map((r) => [
      `${number(r.request_rate)}${r.request_rate === saturation ? ' <span class="sat">saturation</span>' : ""}`,
      number(r.output_tokens_per_second), number(r.requests_per_second, 2), number(r.latency_p50_ms), number(r.latency_p90_ms), number(r.latency_p99_ms),
      number(r.tpot_p90_ms), number(r.ttft_p90_ms), successRatio(r) === null ? "–" : `${(successRatio(r)! * 100).toFixed(1)}%`,
    ]),
  );
  const sanity = table(
    ["rate (QPS)", "benchmark time s", "prompts attempted", "prompts succeeded", "avg input length", "avg output length"],
    rows.map((r) => [number(r.request_rate), number(r.benchmark_time_seconds), number(r.prompts_attempted, 0), number(r.prompts_succeeded, 0), number(r.input_length_mean), number(r.output_length_mean)]),
  );
  return `<section class="benchmark" id="benchmark-${escapeHtml(benchmark.name)}">
<h3>${escapeHtml(benchmark.name)} <span class="status status-${escapeHtml(benchmark.status)}">${escapeHtml(benchmark.status)}</span></h3>
<p class="facts">${facts.join(" · ")}</p>
${problems.length ? `<ul class="problems">${problems.map((p) => `<li>${escapeHtml(p)}</li>`).join("")}</ul>` : ""}
<p>${saturation === undefined ? "No saturation within the rates run." : `Saturates at <strong>${number(saturation)} QPS</strong>: beyond it throughput stops growing while p90 latency climbs.`}</p>
<h4>Figures</h4>${figures}
<h4>Sanity checks</h4>${sanity}
</section>`;
}

const STYLE = `
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1200px;color:#1f2328;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2.5rem;border-bottom:1px solid #d0d7de;padding-bottom:.3rem}
.subtitle{color:#59636e;margin-top:0}.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(540px,1fr));gap:1rem}
.chart{height:340px;border:1px solid #d0d7de;border-radius:6px;padding:.5rem}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0 1rem}th,td{border:1px solid #d0d7de;padding:.25rem .6rem;text-align:right}
th{background:#f6f8fa}td:first-child,th:first-child{text-align:left}.sat{background:#fff1e5;color:#bc4c00;border-radius:4px;padding:0 .3rem;font-size:.75rem}
.status{font-size:.8rem;border-radius:1rem;padding:.1rem .6rem;vertical-align:middle}.status-collected{background:#dafbe1;color:#1a7f37}
.status-partial{background:#fff8c5;color:#9a6700}.status-failed{background:#ffebe9;color:#cf222e}.status-pending{background:#eaeef2;color:#59636e}
.facts{color:#59636e;font-size:.9rem}.problems{color:#cf222e}`;

const RENDER = `
for (const chart of REPORT.charts) {
  const element = document.getElementById("chart-" + chart.id);
  const instance = echarts.init(element, null, { renderer: "canvas" });
  instance.setOption({
    animation: false,
    title: { text: chart.title + " (" + chart.unit + ")", left: "center", textStyle: { fontSize: 14 } },
    tooltip: { trigger: "axis" },
    legend: { bottom: 0, type: "scroll" },
    grid: { left: 60, right: 20, top: 40, bottom: 60 },
    xAxis: { type: "value", name: "request rate (QPS)", nameLocation: "middle", nameGap: 25 },
    yAxis: chart.range ? { type: "value", min: chart.range[0], max: chart.range[1] } : { type: "value", scale: true },
    series: chart.series.map((s) => ({
      name: s.name,
      type: "line",
      data: s.points,
      symbolSize: 6,
      lineStyle: s.compared ? { type: "dashed" } : {},
      markPoint: s.saturation ? { symbol: "pin", symbolSize: 36, data: [{ name: "saturation", coord: s.saturation, value: "sat" }] } : undefined,
    })),
  });
  element.dataset.rendered = "true";
}`;

let echartsSource: string | undefined;

export function renderReport(primary: ReportRun, compared: ReportRun[]): string {
  echartsSource ??= fs.readFileSync(require.resolve("echarts/dist/echarts.min.js"), "utf8");
  const charts = chartData(primary, compared);
  const data = JSON.stringify({ run: primary.runId, compared: compared.map((c) => c.runId), charts }).replace(/</g, "\\u003c");
  const counts = primary.benchmarks.reduce<Record<string, number>>((acc, b) => ({ ...acc, [b.status]: (acc[b.status] ?? 0) + 1 }), {});
  const sections = primary.benchmarks.map((b) => benchmarkSection(b, primary.stats.filter((s) => s.name === b.name))).join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>inference-bench run ${escapeHtml(primary.runId)}</title><style>${STYLE}</style></head>
<body>
<h1>inference-bench run ${escapeHtml(primary.runId)}</h1>
<p class="subtitle">${primary.benchmarks.length} benchmarks (${Object.entries(counts).map(([s, n]) => `${n} ${escapeHtml(s)}`).join(", ")})${compared.length ? ` · compared with ${compared.map((c) => escapeHtml(c.runId)).join(", ")} (dashed)` : ""}</p>
<h2>Against request rate</h2>
<div class="charts">${charts.map((c) => `<div class="chart" id="chart-${c.id}" data-chart="${c.id}"></div>`).join("")}</div>
<h2>Benchmarks</h2>
${sections}
<script>${echartsSource}</script>
<script>const REPORT = ${data};${RENDER}</script>
</body></html>
`;
}
