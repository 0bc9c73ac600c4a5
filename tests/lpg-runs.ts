// The real LPG runs that the results, report, slo and export tests read, run once per test
// process (each takes a few seconds: few rates, BENCHMARK_TIME_SECONDS=2).
import { instantSleepEntry, type LpgRun, runRealLpg } from "./real-lpg";

export const MODEL = "meta-llama/Llama-2-7b-hf";
export const SECOND_MODEL = "other/model-b";

export interface LpgRuns {
  /** c29b163, two models, every 5th request dropped, vLLM V1 metrics scraped from the fake Cloud Monitoring. */
  multiModel: LpgRun;
  /** 07628c9 (the seed's image), streaming (TTFT, ITL in seconds), V0 metrics scraped. */
  streaming: LpgRun;
  /** 07628c9 as the seed ran it: no streaming, no scraping. */
  plain: LpgRun;
  /** c29b163, one model, no failures, three rates. */
  head: LpgRun;
}

let runs: Promise<LpgRuns> | undefined;

export function realLpgRuns(kit: string): Promise<LpgRuns> {
  runs ??= (async () => {
    const entry = instantSleepEntry();
    const base = { BENCHMARK_TIME_SECONDS: "2" };
    const [multiModel, streaming, plain, head] = await Promise.all([
      runRealLpg(kit, "c29b163", {
        env: {
          ...base,
          REQUEST_RATES: "4,8",
          MODELS: `${MODEL},${SECOND_MODEL}`,
          FAIL_EVERY: "5",
          SCRAPE_SERVER_METRICS: "true",
          V1_METRICS: "1",
        },
      }),
      runRealLpg(kit, "07628c9", {
        entry,
        env: { ...base, REQUEST_RATES: "2,4,8", STREAM_REQUEST: "true", SCRAPE_SERVER_METRICS: "true" },
      }),
      runRealLpg(kit, "07628c9", { entry, env: { ...base, REQUEST_RATES: "4" } }),
      runRealLpg(kit, "c29b163", { env: { ...base, REQUEST_RATES: "2,4,8" } }),
    ]);
    for (const [name, run] of Object.entries({ multiModel, streaming, plain, head })) {
      if (run.exitStatus !== 0 || run.jsonFiles.length === 0)
        throw new Error(`real LPG run ${name} failed (exit ${run.exitStatus}): ${run.podLog.slice(-2000)}`);
    }
    return { multiModel, streaming, plain, head };
  })();
  return runs;
}
