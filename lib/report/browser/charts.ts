// The page's entry (bundled by html.ts into the report): draws every chart of REPORT with the
// ECharts the page inlines before it, and marks each drawn chart for the browser test.
import type * as ECharts from "echarts";
import type { ReportData } from "./data";
import { chartOption } from "./options";

declare const echarts: typeof ECharts;
declare const REPORT: ReportData;

for (const chart of REPORT.charts) {
  const element = document.getElementById(`chart-${chart.id}`)!;
  const instance = echarts.init(element, null, { renderer: "canvas" });
  instance.setOption(chartOption(chart, instance.getWidth()));
  element.dataset.rendered = "true";
}
