// The routing charts' options, built in Node from the page's data (the browser draws exactly these;
// tests/routing.test.ts checks the drawing in Chromium).
import * as assert from "node:assert/strict";
import type { BarSeriesOption, HeatmapSeriesOption } from "echarts";
import type { RoutingChart } from "../lib/report/browser/data";
import {
  type HeatCell,
  legendHeight,
  prefixOption,
  rateAxisLayout,
  rateLabels,
  routingChartHeight,
  routingTooltip,
  sharesOption,
} from "../lib/report/browser/routing";

const WIDTH = 420;

// SYNTHETIC: three pods over three rates; pod-c unscraped at 2 QPS, no prefix-cache queries on pod-b; 8 QPS invalid.
const routed: RoutingChart = {
  benchmark: "routed",
  rates: [2, 4.5, 8],
  pods: ["pod-a", "pod-b", "pod-c"],
  shares: [
    [0.5, 0.4, 0.3],
    [0.5, 0.35, 0.3],
    [null, 0.25, 0.4],
  ],
  prefixHitRates: [
    [0.5, 0.625, 0.7],
    [null, null, null],
    [null, 0.25, 1],
  ],
  invalidRates: [8],
};

type Option = Record<string, any>;
const shares = (chart = routed, width = WIDTH) => sharesOption(chart, width) as Option;
const heat = (chart = routed, width = WIDTH) => prefixOption(chart, width) as Option;

describe("report routing charts: options", () => {
  it("shares and hit rates are ratios: both scales run from 0 to 1", () => {
    assert.deepEqual([shares().yAxis.type, shares().yAxis.min, shares().yAxis.max], ["value", 0, 1]);
    assert.deepEqual([heat().visualMap.min, heat().visualMap.max], [0, 1]);
  });

  it("draws each pod's shares stacked per rate, and one heat-map cell per pod and rate, as given", () => {
    const bars = shares().series as BarSeriesOption[];
    assert.deepEqual(
      bars.map((b) => [b.name, b.type, b.stack]),
      routed.pods.map((pod) => [pod, "bar", "shares"]),
    );
    assert.deepEqual(
      bars.map((b) => b.data),
      routed.shares,
    );
    const [cells] = heat().series as HeatmapSeriesOption[];
    assert.equal((cells.data as HeatCell[]).length, routed.pods.length * routed.rates.length);
    assert.deepEqual(
      (cells.data as HeatCell[]).filter(([, pod]) => pod === 2),
      [
        [0, 2, "-"],
        [1, 2, 0.25],
        [2, 2, 1],
      ],
    );
    const label = cells.label!.formatter as (params: object) => string;
    assert.deepEqual(
      [
        [0, 0, 0.625],
        [0, 1, "-"],
        [0, 2, 1],
      ].map((value) => label({ value: value as HeatCell })),
      ["63%", "–", "100%"],
    );
  });

  it("every bar and cell is labelled with its rate on the category axis, crossed where the load was not valid", () => {
    assert.deepEqual(rateLabels(routed), ["2.0", "4.5", "8.0 ✗"]);
    for (const option of [shares(), heat()]) {
      assert.deepEqual(option.xAxis.data, rateLabels(routed));
      assert.equal(option.xAxis.axisLabel.interval, 0, "no rate's label left out");
      assert.match(option.xAxis.name, /request rate \(QPS; ✗ invalid load\)/);
    }
  });

  it("rates that do not fit side by side stand upright, and the axis name and legend move down to clear them", () => {
    const few = rateAxisLayout(rateLabels(routed), 340, 30);
    assert.equal(few.rotate, 0);
    const many = Array.from({ length: 24 }, (_, i) => `${(10 * (i + 1)).toFixed(1)}`);
    const upright = rateAxisLayout(many, 340, 30);
    assert.equal(upright.rotate, 90);
    assert.ok(upright.nameGap > few.nameGap && upright.bottom > few.bottom, JSON.stringify([few, upright]));
    assert.ok(upright.nameGap > "240.0".length * 7, "the name below the upright labels");
    const wide = { ...routed, rates: many.map(Number), invalidRates: [] };
    assert.equal(shares(wide).xAxis.axisLabel.rotate, 90);
    assert.equal(shares(wide).grid.bottom, rateAxisLayout(many, 340, legendHeight(routed.pods, WIDTH)).bottom);
    const twelve = rateAxisLayout(many.slice(0, 12), 340, 30);
    assert.deepEqual([twelve.rotate, twelve.interval], [90, 0], "12 upright labels fit 340 px: every rate labelled");
    assert.equal(upright.interval, 1, "24 do not: every other one, the tooltips naming the rest");
  });

  it("the legend names every pod, unpaged, in as many rows as it needs, and the plot makes room for them", () => {
    assert.equal(shares().legend.type, "plain");
    const oneRow = legendHeight(routed.pods, WIDTH);
    const pods = Array.from({ length: 12 }, (_, i) => `model-server-7d9f8b6c4-pod${i}`);
    const rows = legendHeight(pods, WIDTH);
    assert.ok(rows >= oneRow + 5 * 24, `12 long names need 6 or more rows: ${oneRow} → ${rows} px`);
    const crowded = { ...routed, pods, shares: pods.map(() => [0.1, 0.1, 0.1]) };
    assert.equal(shares(crowded).grid.bottom - shares().grid.bottom, rows - oneRow);
  });

  it("charts grow taller where many pods or rates need the room, never below a readable plot", () => {
    const base = routingChartHeight(routed, WIDTH);
    assert.ok(base >= 45 + 160, String(base));
    const pods = Array.from({ length: 16 }, (_, i) => `model-server-7d9f8b6c4-pod${i}`);
    const many = {
      ...routed,
      pods,
      shares: pods.map(() => [0.1, 0.1, 0.1]),
      prefixHitRates: pods.map(() => [1, 1, 1]),
    };
    const tall = routingChartHeight(many, WIDTH);
    assert.ok(tall >= 45 + 16 * 18 + heat(many).grid.bottom, `a readable row per pod: ${tall}`);
    assert.ok(tall - shares(many).grid.bottom - 45 >= 160, "the shares' plot stays readable over a long legend");
  });

  it("tooltips name benchmark, pod and rate (and the figure); the options' formatters point at the right cell", () => {
    assert.equal(routingTooltip(routed, "share", 2, 1), "<b>routed</b><br>pod: pod-c<br>rate: 4.5 QPS<br>share: 25.0%");
    assert.equal(
      routingTooltip(routed, "prefix-cache hit rate", 0, 2),
      "<b>routed</b><br>pod: pod-a<br>rate: 8 QPS (load not valid)<br>prefix-cache hit rate: 70.0%",
    );
    assert.equal(routingTooltip(routed, "share", 2, 0), "<b>routed</b><br>pod: pod-c<br>rate: 2 QPS<br>share: –");
    const escaped = { ...routed, benchmark: "<i>b</i>", pods: ["a&b", "x", "y"] };
    assert.equal(
      routingTooltip(escaped, "share", 0, 0),
      "<b>&lt;i&gt;b&lt;/i&gt;</b><br>pod: a&amp;b<br>rate: 2 QPS<br>share: 50.0%",
    );
    const sharesTip = shares().tooltip.formatter as (params: object) => string;
    assert.equal(
      sharesTip({ componentType: "series", seriesIndex: 2, dataIndex: 1 }),
      routingTooltip(routed, "share", 2, 1),
    );
    const heatTip = heat().tooltip.formatter as (params: object) => string;
    assert.equal(
      heatTip({ componentType: "series", seriesIndex: 0, dataIndex: 8, value: [2, 2, 1] }),
      routingTooltip(routed, "prefix-cache hit rate", 2, 2),
    );
  });

  it("no text over another or off the chart: cell figures yield where cells are small, long names are cut", () => {
    const [cells] = heat().series as HeatmapSeriesOption[];
    assert.deepEqual([cells.label!.show, cells.labelLayout], [true, { hideOverlap: true }]);
    const narrow = { ...routed, rates: Array.from({ length: 12 }, (_, i) => i + 1), invalidRates: [] };
    narrow.prefixHitRates = routed.pods.map(() => narrow.rates.map(() => 0.5));
    assert.equal(
      (heat(narrow).series as HeatmapSeriesOption[])[0].label!.show,
      false,
      'cells narrower than "100%": colour and tooltip only',
    );
    const podAxis = heat().yAxis;
    assert.equal(podAxis.axisLabel.overflow, "truncate");
    assert.ok(podAxis.axisLabel.width < heat().grid.left, "pod names within the margin left for them");
    for (const option of [shares(), heat()]) {
      assert.equal(option.title.textStyle.overflow, "truncate");
      assert.ok(option.title.textStyle.width < WIDTH);
    }
  });
});
