// The report's data as the page reads it (embedded as REPORT): what html.ts computes and the
// browser code draws. Types only, so the page's bundle carries none of the Node side.

export type MarkName = "saturation" | "SLO capacity" | "invalid load";

export interface SeriesData {
  name: string;
  benchmark: string;
  runId: string;
  color: string;
  /** Compared runs are dashed. */
  dashed: boolean;
  points: Array<[number, number]>;
  /** The request rate of each point, in the order of `points`. */
  rates: number[];
  /**
   * Marked points: "saturation" (throughput stops growing while p90 latency climbs), "SLO capacity",
   * "invalid load" (every curve).
   */
  marks: Array<{ name: MarkName; rate: number; coord: [number, number] }>;
}

/** What the page draws: per chart, its series and their points. Also what the browser test checks. */
export interface ChartData {
  id: string;
  title: string;
  /** "curve": throughput against a latency; "rate": a figure against request rate. */
  group: "curve" | "rate";
  x: { label: string; unit: string };
  y: { label: string; unit: string };
  /** A fixed y range, where the quantity has one. */
  range?: [number, number];
  series: SeriesData[];
}

/** What the routing charts draw for one benchmark; also what the browser test checks. */
export interface RoutingChart {
  benchmark: string;
  rates: number[];
  pods: string[];
  /** shares[pod][rate], 0–1; null where the pod was not scraped around that rate. */
  shares: Array<Array<number | null>>;
  /** prefixHitRates[pod][rate], 0–1; null without prefix-cache queries. */
  prefixHitRates: Array<Array<number | null>>;
  /** Rates whose load verdict is invalid. */
  invalidRates: number[];
}

export interface ReportData {
  run: string;
  compared: string[];
  charts: ChartData[];
  routing: RoutingChart[];
}
