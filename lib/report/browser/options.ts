// ECharts options of the report's charts, built from the report's data alone (pure: tested in
// Node without a browser). Every value axis starts at zero, so a gap between curves reads as the
// ratio it is; each point's label and tooltip say its rate; the marks' names go into the points'
// own labels, which ECharts' label layout keeps from overprinting one another.
import type { EChartsOption, LabelLayoutOptionCallbackParams, LineSeriesOption } from "echarts";
import { escapeHtml } from "../markup";
import type { ChartData, MarkName, SeriesData } from "./data";

const MARK_COLORS: Record<MarkName, string> = {
  saturation: "#bc4c00",
  "SLO capacity": "#1a7f37",
  "invalid load": "#cf222e",
};
const MARK_SYMBOLS: Partial<Record<MarkName, string>> = { "invalid load": "path://M0,0L10,10M10,0L0,10" };
const LABEL_FONT_SIZE = 10;
const LABEL_LINE_HEIGHT = 12;
/** The plot's margins; the top one leaves a label above the highest point clear of the title. */
const GRID = { left: 70, right: 40, top: 64, bottom: 50 };
const POINT_SIZE = 6;
/** Larger than a plain point: ECharts hides the label of the smaller symbol where two overlap. */
const MARKED_POINT_SIZE = 10;
/**
 * Marks on one point ring one another instead of covering: saturation around the SLO's capacity,
 * a compared run's marks larger and beneath the primary run's.
 */
const MARK_SIZE: Record<MarkName, number> = { "SLO capacity": 12, "invalid load": 14, saturation: 18 };
const COMPARED_MARK_GROWTH = 8;
const MARK_Z = { primary: 5, compared: 4 };

export function markSize(name: MarkName, compared: boolean): number {
  return MARK_SIZE[name] + (compared ? COMPARED_MARK_GROWTH : 0);
}

export function formatRate(rate: number): string {
  return `${rate.toLocaleString("en-US", { maximumFractionDigits: 2 })} QPS`;
}

function formatValue(value: number, unit: string): string {
  return `${value.toLocaleString("en-US", { maximumFractionDigits: 2 })} ${unit}`;
}

function marksAt(series: SeriesData, index: number): MarkName[] {
  return series.marks.filter((m) => m.rate === series.rates[index]).map((m) => m.name);
}

/**
 * The label of a point: its rate on the throughput–latency curves (where nothing else says it),
 * then the names of its marks; empty (no label) for an unmarked point against request rate.
 */
export function pointLabel(chart: ChartData, series: SeriesData, index: number): string {
  const rate = chart.group === "curve" ? [formatRate(series.rates[index])] : [];
  return [...rate, ...marksAt(series, index)].join(" · ");
}

/** The tooltip of a point: benchmark (and run), rate, both values and its marks; HTML. */
export function pointTooltip(chart: ChartData, series: SeriesData, index: number): string {
  const [x, y] = series.points[index];
  return [
    `<b>${escapeHtml(series.name)}</b>`,
    `rate: ${formatRate(series.rates[index])}`,
    `${escapeHtml(chart.x.label)}: ${formatValue(x, chart.x.unit)}`,
    `${escapeHtml(chart.y.label)}: ${formatValue(y, chart.y.unit)}`,
    ...marksAt(series, index),
  ].join("<br>");
}

/** What ECharts hands a tooltip formatter, as far as these charts read it. */
export interface TooltipTarget {
  componentType: string;
  seriesIndex?: number;
  dataIndex: number;
}

/** Tooltip of a point or of a mark on it (a mark's tooltip is its point's). */
export function tooltipFor(chart: ChartData, target: TooltipTarget): string {
  const series = chart.series[target.seriesIndex ?? 0];
  const index =
    target.componentType === "markPoint" ? series.rates.indexOf(series.marks[target.dataIndex].rate) : target.dataIndex;
  return pointTooltip(chart, series, index);
}

/**
 * Labels move up or down off one another (else the one on the smaller symbol hides) and sideways
 * into the plot, off the axes' own labels and the canvas' edge; `width` is the chart's in pixels.
 */
export function labelLayout(width: number) {
  return ({ labelRect }: Pick<LabelLayoutOptionCallbackParams, "labelRect">) => {
    const left = Math.min(Math.max(labelRect.x, GRID.left), width - GRID.right - labelRect.width);
    // Never above the plot, where the title is.
    const top = Math.max(labelRect.y, GRID.top - labelRect.height);
    return { moveOverlap: "shiftY" as const, hideOverlap: true, dx: left - labelRect.x, dy: top - labelRect.y };
  };
}

function seriesOption(chart: ChartData, series: SeriesData, width: number): LineSeriesOption {
  return {
    name: series.name,
    type: "line",
    data: series.points,
    color: series.color,
    symbolSize: (_value: unknown, params: { dataIndex: number }) =>
      marksAt(series, params.dataIndex).length ? MARKED_POINT_SIZE : POINT_SIZE,
    lineStyle: { type: series.dashed ? "dashed" : "solid", width: 2 },
    label: {
      // An explicit line height: without it ECharts measures a label's height from a CJK glyph,
      // which is a few pixels where no CJK font is installed, and then misses overlaps.
      show: true,
      position: "top",
      fontSize: LABEL_FONT_SIZE,
      lineHeight: LABEL_LINE_HEIGHT,
      color: "#59636e",
      formatter: (params) => pointLabel(chart, series, params.dataIndex),
    },
    labelLayout: labelLayout(width),
    markPoint: series.marks.length
      ? {
          z: series.dashed ? MARK_Z.compared : MARK_Z.primary,
          // The names show in the point's label; a second label here would overprint it.
          label: { show: false },
          data: series.marks.map((m) => ({
            name: m.name,
            coord: m.coord,
            symbol: MARK_SYMBOLS[m.name] ?? "circle",
            // The smaller on top.
            symbolSize: markSize(m.name, series.dashed),
            z2: -markSize(m.name, series.dashed),
            itemStyle:
              m.name === "invalid load"
                ? { color: "none", borderColor: MARK_COLORS[m.name], borderWidth: 3 }
                : { color: MARK_COLORS[m.name], borderColor: "#fff", borderWidth: 2 },
          })),
        }
      : undefined,
  };
}

/** Axis texts with an explicit line height too, so that overlaps between them are measured. */
const AXIS_TEXT = { fontSize: 12, lineHeight: 16 };

/** The option of one chart `width` pixels wide. */
export function chartOption(chart: ChartData, width: number): EChartsOption {
  const axis = (a: ChartData["x"]) => ({
    type: "value" as const,
    name: `${a.label} (${a.unit})`,
    nameLocation: "middle" as const,
    nameGap: 32,
    scale: false,
    min: 0,
    nameTextStyle: AXIS_TEXT,
    axisLabel: AXIS_TEXT,
  });
  return {
    animation: false,
    title: { text: chart.title, left: "center", textStyle: { fontSize: 13, lineHeight: 18 } },
    tooltip: { trigger: "item", formatter: (params) => tooltipFor(chart, params as TooltipTarget) },
    legend: { show: false },
    grid: GRID,
    xAxis: axis(chart.x),
    yAxis: { ...axis(chart.y), nameGap: 50, ...(chart.range ? { min: chart.range[0], max: chart.range[1] } : {}) },
    series: chart.series.map((s) => seriesOption(chart, s, width)),
  };
}
