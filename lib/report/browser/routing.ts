// ECharts options of the routing charts, per benchmark: each pod's share of each rate's requests
// (stacked bars) and a pods × rates heat map of prefix-cache hit rate. Built from the page's data
// alone (pure: tested in Node). Both are ratios, so both scales run from 0 to 1; every rate is a
// labelled category (turned upright where they would not fit side by side); the tooltips name
// benchmark, pod and rate.
import type {
  BarSeriesOption,
  EChartsOption,
  HeatmapSeriesOption,
  DefaultLabelFormatterCallbackParams as ItemParams,
} from "echarts";
import { escapeHtml } from "../markup";
import type { RoutingChart } from "./data";
import { formatRate } from "./options";

export type RoutingFigure = "share" | "prefix-cache hit rate";

const INVALID_MARK = " ✗";
const AXIS_FONT_SIZE = 12;
const TEXT_HEIGHT = 14;
/** A digit's width at the axis' font size, rounded up: enough to tell whether the rates fit side by side. */
const CHAR_WIDTH = 0.65 * AXIS_FONT_SIZE;
const LABEL_GAP = 8;
/** The heat map's colour scale beneath the rates' axis name: its bar and padding. */
const COLOUR_SCALE_HEIGHT = 30;
/** The shares' legend of pods, whole (never paged), in rows beneath the rates' axis name. */
const LEGEND = { padding: 5, itemGap: 10, itemWidth: 25, itemHeight: 14, textGap: 5 };
const SHARES_GRID = { left: 60, right: 20, top: 45 };
/** Room for the pods' names, cut to fit (the tooltip gives them whole). */
const HEAT_GRID = { left: 130, right: 20, top: 45 };
const POD_LABEL_WIDTH = HEAT_GRID.left - 10;

/** The rates' axis labels: each rate, crossed where its load was not valid. */
export function rateLabels(chart: RoutingChart): string[] {
  return chart.rates.map((rate) => `${rate.toFixed(1)}${chart.invalidRates.includes(rate) ? INVALID_MARK : ""}`);
}

/**
 * Every rate's label is shown: side by side where the widest fits its category, else upright.
 * Returns the labels' rotation, the axis name's gap below the axis and the grid's bottom margin.
 */
export function rateAxisLayout(
  labels: string[],
  plotWidth: number,
  keyHeight: number,
): { rotate: number; nameGap: number; bottom: number } {
  const widest = Math.max(0, ...labels.map((label) => label.length)) * CHAR_WIDTH;
  const upright = widest > plotWidth / Math.max(1, labels.length) - LABEL_GAP;
  const nameGap = (upright ? widest : TEXT_HEIGHT) + 2 * LABEL_GAP;
  return { rotate: upright ? 90 : 0, nameGap, bottom: nameGap + TEXT_HEIGHT + LABEL_GAP + keyHeight };
}

function percent(value: number | null): string {
  return value === null ? "–" : `${(100 * value).toFixed(1)}%`;
}

/** The tooltip of one pod at one rate (indices into `pods` and `rates`); HTML. */
export function routingTooltip(chart: RoutingChart, figure: RoutingFigure, pod: number, rate: number): string {
  const values = figure === "share" ? chart.shares : chart.prefixHitRates;
  const invalid = chart.invalidRates.includes(chart.rates[rate]) ? " (load not valid)" : "";
  return [
    `<b>${escapeHtml(chart.benchmark)}</b>`,
    `pod: ${escapeHtml(chart.pods[pod])}`,
    `rate: ${formatRate(chart.rates[rate])}${invalid}`,
    `${figure}: ${percent(values[pod][rate])}`,
  ].join("<br>");
}

function title(text: string, width: number): EChartsOption["title"] {
  return { text, left: "center", textStyle: { fontSize: 13, width: width - 20, overflow: "truncate" } };
}

/** The height of a legend of `names` laid in rows across `width` pixels, as ECharts wraps it (rounded up). */
export function legendHeight(names: string[], width: number): number {
  const room = width - 2 * LEGEND.padding;
  let rows = 1;
  let used = 0;
  for (const name of names) {
    const item = LEGEND.itemWidth + LEGEND.textGap + name.length * CHAR_WIDTH;
    if (used > 0 && used + item > room) {
      rows += 1;
      used = 0;
    }
    used += item + LEGEND.itemGap;
  }
  return rows * LEGEND.itemHeight + (rows - 1) * LEGEND.itemGap + 2 * LEGEND.padding;
}

function rateAxis(chart: RoutingChart, plotWidth: number, keyHeight: number) {
  const labels = rateLabels(chart);
  const { rotate, nameGap, bottom } = rateAxisLayout(labels, plotWidth, keyHeight);
  const axis = {
    type: "category" as const,
    data: labels,
    name: "request rate (QPS; ✗ invalid load)",
    nameLocation: "middle" as const,
    nameGap,
    axisLabel: { interval: 0, rotate, fontSize: AXIS_FONT_SIZE },
  };
  return { axis, bottom };
}

/** Each pod's share of each rate's requests, stacked to 1, in a chart `width` pixels wide. */
export function sharesOption(chart: RoutingChart, width: number): EChartsOption {
  const plotWidth = width - SHARES_GRID.left - SHARES_GRID.right;
  const { axis, bottom } = rateAxis(chart, plotWidth, legendHeight(chart.pods, width));
  const series: BarSeriesOption[] = chart.pods.map((pod, i) => ({
    name: pod,
    type: "bar",
    stack: "shares",
    data: chart.shares[i],
  }));
  return {
    animation: false,
    title: title(`${chart.benchmark}: share of requests per pod`, width),
    tooltip: {
      trigger: "item",
      formatter: (params) => {
        const { seriesIndex, dataIndex } = params as ItemParams;
        return routingTooltip(chart, "share", seriesIndex!, dataIndex);
      },
    },
    legend: {
      type: "plain",
      bottom: 0,
      left: "center",
      padding: LEGEND.padding,
      itemGap: LEGEND.itemGap,
      itemWidth: LEGEND.itemWidth,
      itemHeight: LEGEND.itemHeight,
      textStyle: { fontSize: AXIS_FONT_SIZE },
    },
    grid: { ...SHARES_GRID, bottom },
    xAxis: axis,
    yAxis: { type: "value", min: 0, max: 1, name: "share", nameLocation: "middle", nameGap: 40 },
    series,
  };
}

/** A heat-map cell: [rate index, pod index, hit rate], "-" (drawn empty) without one. */
export type HeatCell = [number, number, number | "-"];

/** Each pod's prefix-cache hit rate at each rate, 0–1, in a chart `width` pixels wide. */
export function prefixOption(chart: RoutingChart, width: number): EChartsOption {
  const { axis, bottom } = rateAxis(chart, width - HEAT_GRID.left - HEAT_GRID.right, COLOUR_SCALE_HEIGHT);
  const cells: HeatCell[] = chart.pods.flatMap((_, y) =>
    chart.rates.map((_, x): HeatCell => {
      const value = chart.prefixHitRates[y][x];
      return [x, y, value === null ? "-" : value];
    }),
  );
  const series: HeatmapSeriesOption = {
    type: "heatmap",
    data: cells,
    label: {
      // An explicit line height, as on the curves: ECharts otherwise misjudges a label's height and misses overlaps.
      show: true,
      fontSize: AXIS_FONT_SIZE,
      lineHeight: TEXT_HEIGHT,
      formatter: (params) => {
        const value = (params.value as HeatCell)[2];
        return value === "-" ? "–" : `${(100 * value).toFixed(0)}%`;
      },
    },
    // Where cells are too small for their figures, some go unlabelled (the tooltip still has them).
    labelLayout: { hideOverlap: true },
  };
  return {
    animation: false,
    title: title(`${chart.benchmark}: prefix-cache hit rate`, width),
    tooltip: {
      position: "top",
      formatter: (params) => {
        const [rate, pod] = (params as ItemParams).value as HeatCell;
        return routingTooltip(chart, "prefix-cache hit rate", pod, rate);
      },
    },
    grid: { ...HEAT_GRID, bottom },
    xAxis: axis,
    yAxis: {
      type: "category",
      data: chart.pods,
      axisLabel: { width: POD_LABEL_WIDTH, overflow: "truncate", fontSize: AXIS_FONT_SIZE },
    },
    visualMap: {
      min: 0,
      max: 1,
      calculable: false,
      orient: "horizontal",
      left: "center",
      bottom: 0,
      itemHeight: 120,
      text: ["1", "0"],
    },
    series: [series],
  };
}
