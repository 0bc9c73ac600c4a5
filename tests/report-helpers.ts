// Test helpers for the results' outputs: the llm-d Benchmark Report validator, and the HTML
// report opened in a real Chromium with every chart's drawn data checked against chartData().
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv2020, { type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { type Browser, chromium, type Page } from "playwright-core";
import type { ChartData, RoutingChart } from "../lib/report/browser/data";
import { formatRate, pointLabel } from "../lib/report/browser/options";
import { rateLabels } from "../lib/report/browser/routing";
import { PROJECT_ROOT } from "./helpers";
import { closeSchema } from "./validators";

/**
 * llm-d's Benchmark Report v0.2.1 schema (JSON Schema 2020-12, from pydantic), with every object
 * that lists properties closed (fields it does not declare are errors; objects the schema leaves
 * open on purpose, `additionalProperties: true`, stay open). pydantic's `ge` is enforced;
 * `discriminator` is an annotation over a oneOf that ajv checks anyway.
 */
export function brValidator(shared: string): ValidateFunction {
  const schema = JSON.parse(
    fs.readFileSync(path.join(shared, "schemas", "llm-d-benchmark-report", "br_v0_2_1_json_schema.json"), "utf8"),
  );
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false });
  addFormats(ajv);
  ajv.addKeyword({
    keyword: "ge",
    type: "number",
    schemaType: "number",
    validate: (limit: number, data: number) => data >= limit,
  });
  ajv.addKeyword({ keyword: "discriminator" });
  return ajv.compile(closeSchema(schema) as object);
}

export interface OpenReport {
  /** The marked points of one series of one chart, as drawn: [name, coord]. */
  marks(chart: string, series: string): Array<[string, [number, number]]>;
  text(selector: string): Promise<string>;
  page: Page;
  close(): Promise<void>;
}

/** A text ECharts drew (title, axis label, a point's label), where it landed on the canvas. */
interface DrawnText {
  text: string;
  /** A point's label (hosted by its symbol), not the chart's own text. */
  label: boolean;
  rect: { x: number; y: number; width: number; height: number };
}

function overlap(a: DrawnText["rect"], b: DrawnText["rect"]): boolean {
  const slack = 0.5;
  return (
    a.x + a.width - slack > b.x &&
    b.x + b.width - slack > a.x &&
    a.y + a.height - slack > b.y &&
    b.y + b.height - slack > a.y
  );
}

/**
 * The tooltip ECharts shows over the first pod and rate that have a figure (as a pointer over it
 * would show it) names benchmark, pod and rate. A chart with no figure (no prefix-cache queries)
 * has nothing to point at.
 */
async function checkRoutingTooltip(page: Page, id: string, kind: string, chart: RoutingChart): Promise<void> {
  const values = kind === "shares" ? chart.shares : chart.prefixHitRates;
  const pod = values.findIndex((row) => row.some((value) => value !== null));
  if (pod < 0) return;
  const rate = values[pod].findIndex((value) => value !== null);
  // Shares: one series per pod; the heat map: one cell per pod and rate, pod by pod.
  const target =
    kind === "shares"
      ? { seriesIndex: pod, dataIndex: rate }
      : { seriesIndex: 0, dataIndex: pod * chart.rates.length + rate };
  const text = await page.evaluate(
    ([id, target]) => {
      const element = document.getElementById(id as string)!;
      const instance = (window as any).echarts.getInstanceByDom(element);
      instance.dispatchAction({ type: "showTip", ...(target as object) });
      // The tooltip is the container's child beside ECharts' own canvas holder.
      const shown = [...element.children]
        .slice(1)
        .map((child) => child.textContent ?? "")
        .join("\n");
      instance.dispatchAction({ type: "hideTip" });
      return shown;
    },
    [id, target] as const,
  );
  for (const said of [chart.benchmark, `pod: ${chart.pods[pod]}`, `rate: ${formatRate(chart.rates[rate])}`]) {
    assert.ok(text.includes(said), `${id} tooltip names ${said}: ${text}`);
  }
}

/**
 * Opens a report in Chromium with no network, checks there are no console errors and no request
 * leaves the file, and that every chart draws exactly `expected` (series, colours, dash, points,
 * marks; value axes from zero; points labelled with their rate and marks, no text over another), and
 * every routing chart its data (shares and hit rates on 0–1 scales, every rate labelled, or at an
 * interval where too many for the width; tooltips naming benchmark, pod and rate; no text over
 * another or off the canvas).
 * A visible skip (a failure in CI) without Chromium.
 */
export async function openReport(context: Mocha.Context, file: string, expected: ChartData[]): Promise<OpenReport> {
  const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
  if (!fs.existsSync(executablePath)) {
    const reason = `no Chromium at ${executablePath} (apt-get install chromium, or set CHROMIUM)`;
    if (process.env.CI) throw new Error(reason);
    console.log(`      skipped: ${reason}`);
    context.skip();
  }
  const html = fs.readFileSync(file, "utf8");
  assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=["']?http/, "nothing is loaded from elsewhere");
  const browser: Browser = await chromium.launch({
    executablePath,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
    ],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on("console", (message) => message.type() === "error" && errors.push(message.text()));
    page.on("pageerror", (error) => errors.push(error.message));
    page.on("request", (request) => !request.url().startsWith("file:") && requests.push(request.url()));
    await page.goto(`file://${file}`);
    await page.waitForFunction(
      (count) => document.querySelectorAll('.chart[data-rendered="true"]').length === count,
      expected.length,
    );
    const routing: RoutingChart[] = await page.evaluate("REPORT.routing");
    const routingDrawn = (count: number) =>
      document.querySelectorAll('.routing-chart[data-rendered="true"]').length === count;
    await page.waitForFunction(routingDrawn, 2 * routing.length);
    // One pass over both kinds of chart: a function declared in here would not survive the page's serialisation.
    const drawnAll = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>(".chart, .routing-chart")].map((element) => {
        const instance = (window as any).echarts.getInstanceByDom(element);
        const option = instance.getOption();
        // Every text zrender shows: ECharts' own label layout may hide some, never lets two overprint.
        const texts: DrawnText[] = [];
        const stack: any[] = instance.getZr().storage.getRoots();
        while (stack.length) {
          const el = stack.pop();
          if (el.ignore || el.invisible) continue;
          if (el.type === "text" && el.style.text) {
            const rect = el.getBoundingRect().clone();
            rect.applyTransform(el.getComputedTransform());
            const { x, y, width, height } = rect;
            texts.push({ text: el.style.text, label: !!el.__hostTarget, rect: { x, y, width, height } });
          }
          if (el.getTextContent?.()) stack.push(el.getTextContent());
          el.eachChild?.((child: any) => stack.push(child));
        }
        const routing = element.classList.contains("routing-chart");
        // The routing charts' ratio: the heat map's colour scale, the shares' y axis.
        const scale = option.visualMap?.[0] ?? option.yAxis[0];
        return {
          routing,
          texts,
          axisMins: [option.xAxis[0].min, option.yAxis[0].min],
          id: routing ? element.id : element.dataset.chart!,
          title: option.title[0].text,
          axes: [option.xAxis[0].name, option.yAxis[0].name],
          legendShown: option.legend?.[0]?.show,
          series: option.series.map((s: any) => ({
            name: s.name,
            color: s.color,
            dash: s.lineStyle?.type,
            points: s.data,
            marks: (s.markPoint?.data ?? []).map((m: any) => [m.name, m.coord]),
          })),
          kind: element.dataset.routing,
          benchmark: element.dataset.benchmark,
          size: [instance.getWidth(), instance.getHeight()],
          rates: option.xAxis[0].data,
          rateInterval: option.xAxis[0].axisLabel?.interval,
          scale: [scale.min, scale.max],
        };
      }),
    );
    const drawn = drawnAll.filter((c) => !c.routing);
    const drawnRouting = drawnAll.filter((c) => c.routing);
    assert.deepEqual(errors, []);
    assert.deepEqual(requests, []);
    assert.deepEqual(
      drawn.map((c) => c.id),
      expected.map((c) => c.id),
    );
    for (const chart of expected) {
      const got = drawn.find((c) => c.id === chart.id)!;
      assert.equal(got.title, chart.title);
      assert.deepEqual(
        got.axes,
        [`${chart.x.label} (${chart.x.unit})`, `${chart.y.label} (${chart.y.unit})`],
        chart.id,
      );
      assert.equal(got.legendShown, false, "the page's own legend: never paged");
      assert.deepEqual(
        got.series.map((s: any) => s.name),
        chart.series.map((s) => s.name),
        chart.id,
      );
      for (const [i, series] of chart.series.entries()) {
        const s = got.series[i];
        assert.deepEqual(s.points, series.points, `${chart.id} ${series.name}`);
        assert.equal(s.color, series.color, `${chart.id} ${series.name} colour`);
        assert.equal(s.dash, series.dashed ? "dashed" : "solid", `${chart.id} ${series.name} dash`);
        assert.deepEqual(
          s.marks,
          series.marks.map((m) => [m.name, m.coord]),
          `${chart.id} ${series.name} marks`,
        );
      }
      assert.deepEqual(got.axisMins, [0, chart.range?.[0] ?? 0], `${chart.id}: value axes from zero`);
      const labels = new Set(chart.series.flatMap((s) => s.rates.map((_, i) => pointLabel(chart, s, i))));
      const shown = got.texts.filter((t) => t.label);
      for (const { text } of shown) {
        assert.ok(labels.has(text), `${chart.id}: label "${text}" is a point's rate and marks`);
      }
      if (chart.group === "curve") assert.ok(shown.length > 0, `${chart.id}: the curves' points say their rates`);
      for (const [i, a] of got.texts.entries()) {
        for (const b of got.texts.slice(i + 1)) {
          assert.ok(!overlap(a.rect, b.rect), `${chart.id}: "${a.text}" overprints "${b.text}"`);
        }
      }
    }
    const routingIds = routing.flatMap((r) => [`shares-${r.benchmark}`, `prefix-${r.benchmark}`]);
    assert.deepEqual(
      drawnRouting.map((c) => c.id),
      routingIds,
    );
    for (const got of drawnRouting) {
      const chart = routing.find((r) => r.benchmark === got.benchmark)!;
      assert.deepEqual(got.scale, [0, 1], `${got.id}: a ratio, on a scale from 0 to 1`);
      assert.deepEqual(got.rates, rateLabels(chart), got.id);
      const shown = new Set(got.texts.map((t) => t.text));
      // Every rate, or (too many for the width) every rate at the axis' interval.
      const every = (got.rateInterval ?? 0) + 1;
      for (const rate of got.rates.filter((_: string, i: number) => i % every === 0)) {
        assert.ok(shown.has(rate), `${got.id}: rate "${rate}" is labelled`);
      }
      const [width, height] = got.size;
      for (const [i, a] of got.texts.entries()) {
        const { x, y, width: w, height: h } = a.rect;
        assert.ok(x >= 0 && y >= 0 && x + w <= width && y + h <= height, `${got.id}: "${a.text}" is off the canvas`);
        for (const b of got.texts.slice(i + 1)) {
          assert.ok(!overlap(a.rect, b.rect), `${got.id}: "${a.text}" overprints "${b.text}"`);
        }
      }
      await checkRoutingTooltip(page, got.id, got.kind!, chart);
    }
    const artifacts = path.join(PROJECT_ROOT, "tests", ".artifacts");
    fs.mkdirSync(artifacts, { recursive: true });
    await page.screenshot({
      path: path.join(artifacts, `${path.basename(path.dirname(file))}-report.png`),
      fullPage: true,
    });
    return {
      page,
      marks: (chart, series) => drawn.find((c) => c.id === chart)!.series.find((s: any) => s.name === series)!.marks,
      text: async (selector) => (await page.locator(selector).innerText()).replace(/[ \t]+/g, " "),
      close: () => browser.close(),
    };
  } catch (error) {
    await browser.close();
    throw error;
  }
}
