// The report's chart options, built in Node from the page's data (the browser draws exactly these;
// tests/report.test.ts checks the drawing in Chromium).
import * as assert from "node:assert/strict";
import type { LineSeriesOption } from "echarts";
import type { ChartData, SeriesData } from "../lib/report/browser/data";
import { chartOption, type labelLayout, pointLabel, pointTooltip, tooltipFor } from "../lib/report/browser/options";

const WIDTH = 420;

function series(name: string, marks: SeriesData["marks"] = []): SeriesData {
  return {
    name,
    benchmark: name,
    runId: "runa0001",
    color: "#1f77b4",
    dashed: false,
    points: [
      [1500, 1800],
      [1520, 3600],
      [1580, 7200],
      [4780, 7200],
    ],
    rates: [10, 20, 40, 80],
    marks,
  };
}

// SYNTHETIC: saturation and the SLO's capacity on the same point, the case whose labels overprinted.
const svc = series("svc", [
  { name: "saturation", rate: 40, coord: [1580, 7200] },
  { name: "SLO capacity", rate: 40, coord: [1580, 7200] },
  { name: "invalid load", rate: 80, coord: [4780, 7200] },
]);
const curve: ChartData = {
  id: "curve-latency-p90",
  title: "Output tokens/s against request latency p90",
  group: "curve",
  x: { label: "request latency p90", unit: "ms" },
  y: { label: "output throughput", unit: "tokens/s" },
  series: [svc],
};
const rate: ChartData = {
  id: "itl-p50",
  title: "ITL p50",
  group: "rate",
  x: { label: "request rate", unit: "QPS" },
  y: { label: "ITL p50", unit: "ms" },
  series: [
    {
      ...svc,
      points: [
        [10, 10.01],
        [20, 10.02],
        [40, 10.04],
        [80, 10.08],
      ],
    },
  ],
};
const success: ChartData = {
  ...rate,
  id: "success",
  y: { label: "successful ÷ attempted", unit: "%" },
  range: [0, 100],
};

const axes = (chart: ChartData) => {
  const option = chartOption(chart, WIDTH) as { xAxis: Record<string, unknown>; yAxis: Record<string, unknown> };
  return [option.xAxis, option.yAxis].map((a) => [a.min, a.max, a.scale]);
};
const lines = (chart: ChartData) => chartOption(chart, WIDTH).series as LineSeriesOption[];

describe("report charts: options", () => {
  it("every value axis starts at zero (a 0.9% difference no longer fills the chart); a fixed range stays", () => {
    assert.deepEqual(axes(curve), [
      [0, undefined, false],
      [0, undefined, false],
    ]);
    assert.deepEqual(axes(rate), [
      [0, undefined, false],
      [0, undefined, false],
    ]);
    assert.deepEqual(axes(success), [
      [0, undefined, false],
      [0, 100, false],
    ]);
  });

  it("draws the points as given and the marks where they are, named", () => {
    const [line] = lines(curve);
    assert.deepEqual(line.data, svc.points);
    const marks = line.markPoint!.data as Array<{ name: string; coord: [number, number] }>;
    assert.deepEqual(
      marks.map((m) => [m.name, m.coord]),
      svc.marks.map((m) => [m.name, m.coord]),
    );
    assert.deepEqual(lines(rate)[0].lineStyle, { type: "solid", width: 2 });
    assert.deepEqual(lines({ ...rate, series: [{ ...svc, dashed: true }] })[0].lineStyle, { type: "dashed", width: 2 });
  });

  it("each point on a curve is labelled with its rate; against rate only marked points are labelled", () => {
    assert.deepEqual(
      svc.rates.map((_, i) => pointLabel(curve, svc, i)),
      ["10 QPS", "20 QPS", "40 QPS · saturation · SLO capacity", "80 QPS · invalid load"],
    );
    assert.deepEqual(
      svc.rates.map((_, i) => pointLabel(rate, svc, i)),
      ["", "", "saturation · SLO capacity", "invalid load"],
    );
    const odd = { ...svc, rates: [0.25, 2.5, 1000, 12.125], marks: [] };
    assert.deepEqual(
      odd.rates.map((_, i) => pointLabel(curve, odd, i)),
      ["0.25 QPS", "2.5 QPS", "1,000 QPS", "12.13 QPS"],
    );
    const label = lines(curve)[0].label!;
    assert.equal(label.show, true);
    assert.equal(typeof label.formatter, "function");
  });

  it("the tooltip names the benchmark, the rate and both values; a mark's tooltip is its point's", () => {
    assert.equal(
      pointTooltip(curve, svc, 2),
      "<b>svc</b><br>rate: 40 QPS<br>request latency p90: 1,580 ms<br>output throughput: 7,200 tokens/s" +
        "<br>saturation<br>SLO capacity",
    );
    const markOnRate80 = { componentType: "markPoint", seriesIndex: 0, dataIndex: 2 };
    assert.equal(tooltipFor(curve, markOnRate80), pointTooltip(curve, svc, 3));
    const point20 = { componentType: "series", seriesIndex: 0, dataIndex: 1 };
    assert.equal(tooltipFor(curve, point20), pointTooltip(curve, svc, 1));
    assert.match(
      pointTooltip(curve, { ...svc, name: "<b>x</b> @ r" }, 0),
      /^<b>&lt;b&gt;x&lt;\/b&gt; @ r<\/b>/,
      "names are escaped",
    );
  });

  it("no two marks or labels overprint: marks' names share their point's one label, laid out against overlap", () => {
    const [line] = lines(curve);
    assert.deepEqual(line.markPoint!.label, { show: false }, "a mark has no label of its own");
    const layout = line.labelLayout as ReturnType<typeof labelLayout>;
    const inside = layout({ labelRect: { x: 100, y: 60, width: 80, height: 12 } as never });
    assert.deepEqual(inside, { moveOverlap: "shiftY", hideOverlap: true, dx: 0, dy: 0 });
    const above = layout({ labelRect: { x: 100, y: 10, width: 80, height: 12 } as never });
    assert.ok(10 + above.dy >= 40, "never above the plot, where the title is");
    const shift = (x: number) => layout({ labelRect: { x, y: 60, width: 80, height: 12 } as never }).dx;
    assert.equal(shift(30), 40, "off the y axis' labels");
    assert.equal(shift(330), -30, "inside the canvas");
    const size = line.symbolSize as (value: unknown, params: { dataIndex: number }) => number;
    const sizes = svc.rates.map((_, i) => size(null, { dataIndex: i }));
    assert.ok(
      sizes[2] > sizes[0] && sizes[3] > sizes[1],
      "marked points win where labels collide (ECharts keeps the larger symbol's)",
    );
    const withCompared = { ...curve, series: [svc, { ...svc, name: "svc @ runb0002", dashed: true }] };
    type DrawnMark = { name: string; symbolSize: number; z2: number };
    const drawnMarks = lines(withCompared).flatMap((l) =>
      (l.markPoint!.data as DrawnMark[]).map((m) => ({ ...m, z: l.markPoint!.z! })),
    );
    const rateOf = (m: { name: string }) => svc.marks.find((mark) => mark.name === m.name)!.rate;
    for (const [i, a] of drawnMarks.entries()) {
      for (const b of drawnMarks.slice(i + 1).filter((other) => rateOf(other) === rateOf(a))) {
        const [under, over] = a.z < b.z || (a.z === b.z && a.z2 < b.z2) ? [a, b] : [b, a];
        assert.ok(under.symbolSize > over.symbolSize, `${over.name} over a larger ${under.name}: rings, not covers`);
      }
    }
  });
});
