// The page's entry (bundled by html.ts into the report): draws every chart of REPORT, the routing
// charts included, with the ECharts the page inlines before it, and marks each drawn chart for the
// browser test.
import type * as ECharts from "echarts";
import type { ReportData } from "./data";
import { chartOption } from "./options";
import { prefixOption, routingChartHeight, sharesOption } from "./routing";

declare const echarts: typeof ECharts;
declare const REPORT: ReportData;

for (const chart of REPORT.charts) {
  const element = document.getElementById(`chart-${chart.id}`)!;
  const instance = echarts.init(element, null, { renderer: "canvas" });
  instance.setOption(chartOption(chart, instance.getWidth()));
  element.dataset.rendered = "true";
}

for (const routing of REPORT.routing) {
  for (const [kind, option] of [
    ["shares", sharesOption],
    ["prefix", prefixOption],
  ] as const) {
    const element = document.getElementById(`${kind}-${routing.benchmark}`)!;
    const instance = echarts.init(element, null, { renderer: "canvas" });
    // Taller where many pods or rates need the room (the page's height is the least).
    element.style.minHeight = `${routingChartHeight(routing, instance.getWidth())}px`;
    instance.resize();
    instance.setOption(option(routing, instance.getWidth()));
    element.dataset.rendered = "true";
  }
}
