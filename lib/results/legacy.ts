// Results written before Stat said which load generator wrote it: their `tpot` holds the LPG's
// per_output_token_latency, which is NTPOT (request latency ÷ output tokens), under the name
// `time_per_output_token_ms`. They are read honestly: re-derived from the raw result files,
// which are always kept, or, where those are gone, with that figure moved to `ntpot`.
import * as fs from "node:fs";
import type { Benchmark, Stat } from "../../proto/benchmark-types";
import type { BenchmarkPaths } from "../snapshot/layout";
import { FIGURE_NAMES } from "../tool-output/lpg";
import { statusOf } from "../tool-output/tool-results";
import { type BenchmarkState, resultsOnDisk } from "./status";

/** A Stat as earlier versions wrote it: no `load_generator`, NTPOT in `tpot`. */
function isLegacyStat(stat: Stat): boolean {
  return !stat.load_generator;
}

/** The same figures, named as they are: NTPOT in `ntpot`, no TPOT (the LPG wrote none). */
export function migrateLegacyStat(stat: Stat): Stat {
  if (!isLegacyStat(stat)) return stat;
  const { tpot, ...rest } = stat;
  return { ...rest, ...(tpot ? { ntpot: { ...tpot, ...FIGURE_NAMES.ntpot } } : {}), load_generator: "lpg" };
}

/** A benchmark's state with any legacy result re-derived from results/json (or migrated in place). */
export function upgradeLegacyState(
  paths: BenchmarkPaths,
  state: BenchmarkState,
  config: Benchmark | undefined,
): BenchmarkState {
  const stats = state.result?.stats ?? [];
  if (!stats.some(isLegacyStat)) return state;
  const files = fs.existsSync(paths.resultsJsonDir)
    ? fs.readdirSync(paths.resultsJsonDir).filter((name) => name.endsWith(".json"))
    : [];
  if (!files.length) return { ...state, result: { ...state.result, stats: stats.map(migrateLegacyStat) } };
  // Checked as any other source is (failed requests, load not delivered), besides what the record said.
  const fresh = resultsOnDisk(paths, config);
  const missing = fresh.missing;
  const problems = [...new Set([...(state.record?.problems ?? []), ...fresh.problems])];
  const status = statusOf(fresh.result, missing, problems);
  return {
    status,
    result: fresh.result,
    record: state.record ? { ...state.record, status, missing, problems } : undefined,
  };
}
