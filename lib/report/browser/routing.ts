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
/** A character's width at the font size, rounded up: enough to tell what fits side by side. */
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
 * Every rate's label is shown: side by side where the widest fits its category, else upright; only
 * where even upright labels would touch (more rates than the width has lines for) is every
 * `interval + 1`th shown, the tooltips naming the rest. Returns also the axis name's gap below the
 * axis and the grid's bottom margin, above a key `keyHeight` high.
 */
export function rateAxisLayout(
  labels: string[],
  plotWidth: number,
  keyHeight: number,
): { rotate: number; interval: number; nameGap: number; bottom: number } {
  const widest = Math.max(0, ...labels.map((label) => label.length)) * CHAR_WIDTH;
  const category = plotWidth / Math.max(1, labels.length);
  const upright = widest > category - LABEL_GAP;
  const interval = upright ? Math.max(0, Math.ceil((TEXT_HEIGHT + 2) / category) - 1) : 0;
  const nameGap = (upright ? widest : TEXT_HEIGHT) + 2 * LABEL_GAP;
  return { rotate: upright ? 90 : 0, interval, nameGap, bottom: nameGap + TEXT_HEIGHT + LABEL_GAP + keyHeight };
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

/**
 * Every text's line height, explicit: else ECharts measures a text's height from a CJK glyph, a few
 * pixels where no CJK font is installed, and neither its own label layout nor the browser test sees overlaps.
 */
const TEXT_STYLE = { fontSize: AXIS_FONT_SIZE, lineHeight: TEXT_HEIGHT };
/** The least height of a plot, and of a heat-map row, that still reads. */
const MIN_PLOT_HEIGHT = 160;
const MIN_ROW_HEIGHT = TEXT_HEIGHT + 4;

function title(text: string, width: number): EChartsOption["title"] {
  return { text, left: "center", textStyle: { ...TEXT_STYLE, fontSize: 13, width: width - 20, overflow: "truncate" } };
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
  const { rotate, interval, nameGap, bottom } = rateAxisLayout(labels, plotWidth, keyHeight);
  const axis = {
    type: "category" as const,
    data: labels,
    name: "request rate (QPS; ✗ invalid load)",
    nameLocation: "middle" as const,
    nameGap,
    nameTextStyle: TEXT_STYLE,
    axisLabel: { ...TEXT_STYLE, interval, rotate },
  };
  return { axis, bottom };
}

function sharesBottom(chart: RoutingChart, width: number): number {
  const plotWidth = width - SHARES_GRID.left - SHARES_GRID.right;
  return rateAxisLayout(rateLabels(chart), plotWidth, legendHeight(chart.pods, width)).bottom;
}

function heatBottom(chart: RoutingChart, width: number): number {
  return rateAxisLayout(rateLabels(chart), width - HEAT_GRID.left - HEAT_GRID.right, COLOUR_SCALE_HEIGHT).bottom;
}

/**
 * The height in pixels both of a benchmark's routing charts need, `width` pixels wide, to keep a
 * readable plot beside their rates, legend and colour scale, and a row per pod that fits its name.
 */
export function routingChartHeight(chart: RoutingChart, width: number): number {
  const shares = SHARES_GRID.top + MIN_PLOT_HEIGHT + sharesBottom(chart, width);
  const heat = HEAT_GRID.top + Math.max(MIN_PLOT_HEIGHT, chart.pods.length * MIN_ROW_HEIGHT) + heatBottom(chart, width);
  return Math.max(shares, heat);
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
      textStyle: TEXT_STYLE,
    },
    grid: { ...SHARES_GRID, bottom },
    xAxis: axis,
    yAxis: {
      type: "value",
      min: 0,
      max: 1,
      name: "share",
      nameLocation: "middle",
      nameGap: 40,
      nameTextStyle: TEXT_STYLE,
      axisLabel: TEXT_STYLE,
    },
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
  // A cell's figure shows where the cell is wide enough for "100%"; else its colour and tooltip tell.
  const cellWidth = (width - HEAT_GRID.left - HEAT_GRID.right) / Math.max(1, chart.rates.length);
  const series: HeatmapSeriesOption = {
    type: "heatmap",
    data: cells,
    label: {
      ...TEXT_STYLE,
      show: cellWidth >= "100%".length * CHAR_WIDTH + LABEL_GAP,
      formatter: (params) => {
        const value = (params.value as HeatCell)[2];
        return value === "-" ? "–" : `${(100 * value).toFixed(0)}%`;
      },
    },
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
      axisLabel: { ...TEXT_STYLE, width: POD_LABEL_WIDTH, overflow: "truncate" },
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
      textStyle: TEXT_STYLE,
    },
    series: [series],
  };
}
