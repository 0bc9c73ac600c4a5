// Built-in request rates (QPS) for ONE accelerator, from the original tool. A benchmark with
// no request_rates gets each value × replicas × tensor parallelism ÷ number of models.
// Adding a model or accelerator is one entry here.

export interface RateEntry {
  model: string;
  accelerator: string;
  baseRates: number[];
}

export const AUTO_RATES: readonly RateEntry[] = [
  { model: "meta-llama/Llama-2-7b-hf", accelerator: "nvidia-l4", baseRates: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] },
  {
    model: "meta-llama/Llama-2-7b-hf",
    accelerator: "nvidia-tesla-a100",
    baseRates: [2, 4, 6, 8, 10, 12, 16, 24, 28, 30, 32, 34, 36, 40],
  },
  {
    model: "meta-llama/Llama-2-7b-hf",
    accelerator: "nvidia-h100-80gb",
    baseRates: [10, 20, 30, 40, 60, 70, 80, 90, 100],
  },
  { model: "meta-llama/Llama-3.1-8B-Instruct", accelerator: "nvidia-l4", baseRates: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] },
  {
    model: "meta-llama/Llama-3.1-8B-Instruct",
    accelerator: "nvidia-tesla-a100",
    baseRates: [2, 4, 6, 8, 10, 12, 16, 24, 28, 30, 32, 34, 36, 40],
  },
  {
    model: "meta-llama/Llama-3.1-8B-Instruct",
    accelerator: "nvidia-h100-80gb",
    baseRates: [10, 20, 30, 40, 60, 80, 90, 100, 120, 140, 180],
  },
  { model: "google/gemma-2-27b", accelerator: "nvidia-h100-80gb", baseRates: [2, 4, 6, 10, 12, 16, 20, 24, 28, 32] },
];

/** The base rates for a model on an accelerator, or undefined when the table has none. */
export function baseRatesFor(model: string, accelerator: string): number[] | undefined {
  return AUTO_RATES.find((entry) => entry.model === model && entry.accelerator === accelerator)?.baseRates;
}

/**
 * `value` with one decimal, exactly as Go's and Python's `%.1f` print it: the binary value
 * rounded half to even. JavaScript's toFixed rounds an exact tie (0.25, 1.25: m/4 with m odd,
 * the only doubles that lie halfway between two tenths) upwards instead.
 */
export function formatRate(value: number): string {
  const quarters = value * 4;
  if (Number.isInteger(quarters) && quarters % 2 !== 0) {
    const tenths = Math.floor(value * 10);
    return ((tenths % 2 === 0 ? tenths : tenths + 1) / 10).toFixed(1);
  }
  return value.toFixed(1);
}

/** Scales base rates to a deployment and formats them as the original did: one decimal, comma separated. */
export function scaleRates(
  baseRates: number[],
  replicas: number,
  tensorParallelism: number,
  modelCount: number,
): string {
  return baseRates.map((rate) => formatRate((rate * replicas * tensorParallelism) / modelCount)).join(",");
}

/**
 * What is wrong with a list of rates, or undefined. Duplicates are always wrong (the load
 * generator would run the same rate twice and its result files collide); a zero is wrong in
 * generated rates (a base rate scaled down to nothing), but an explicit 0 is the LPG's
 * "every prompt at once".
 */
export function rateProblem(rates: readonly number[], generated: boolean): string | undefined {
  if (generated && rates.includes(0)) return "a rate rounds to 0.0";
  const seen = new Set<number>();
  for (const rate of rates) {
    if (seen.has(rate)) return `rate ${rate} appears twice`;
    seen.add(rate);
  }
  return undefined;
}

/** What the table knows, in short, for error messages. */
export function knownRateKeys(): string {
  return `${AUTO_RATES.length} known pairs in lib/catalog/rates.ts`;
}
