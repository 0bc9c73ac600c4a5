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
  { model: "meta-llama/Llama-2-7b-hf", accelerator: "nvidia-tesla-a100", baseRates: [2, 4, 6, 8, 10, 12, 16, 24, 28, 30, 32, 34, 36, 40] },
  { model: "meta-llama/Llama-2-7b-hf", accelerator: "nvidia-h100-80gb", baseRates: [10, 20, 30, 40, 60, 70, 80, 90, 100] },
  { model: "meta-llama/Llama-3.1-8B-Instruct", accelerator: "nvidia-l4", baseRates: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] },
  { model: "meta-llama/Llama-3.1-8B-Instruct", accelerator: "nvidia-tesla-a100", baseRates: [2, 4, 6, 8, 10, 12, 16, 24, 28, 30, 32, 34, 36, 40] },
  { model: "meta-llama/Llama-3.1-8B-Instruct", accelerator: "nvidia-h100-80gb", baseRates: [10, 20, 30, 40, 60, 80, 90, 100, 120, 140, 180] },
  { model: "google/gemma-2-27b", accelerator: "nvidia-h100-80gb", baseRates: [2, 4, 6, 10, 12, 16, 20, 24, 28, 32] },
];

/** The base rates for a model on an accelerator, or undefined when the table has none. */
export function baseRatesFor(model: string, accelerator: string): number[] | undefined {
  return AUTO_RATES.find((entry) => entry.model === model && entry.accelerator === accelerator)?.baseRates;
}

/** Scales base rates to a deployment and formats them as the original did: one decimal, comma separated. */
export function scaleRates(baseRates: number[], replicas: number, tensorParallelism: number, modelCount: number): string {
  return baseRates.map((rate) => ((rate * replicas * tensorParallelism) / modelCount).toFixed(1)).join(",");
}

/** What the table knows, for error messages. */
export function knownRateKeys(): string {
  return AUTO_RATES.map((entry) => `${entry.model} on ${entry.accelerator}`).join("; ");
}
