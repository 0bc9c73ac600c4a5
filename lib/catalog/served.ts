// What the model server answers to: the model names a request may carry. Both servers refuse any
// other name with 404: vLLM's OpenAI server checks the request's model against its served model
// names and loaded LoRA adapters (vllm/entrypoints/openai/serving_engine.py _check_model), and
// llm-d-inference-sim v0.8.2 does the same (pkg/llm-d-inference-sim/simulator.go HandleRequest,
// helpers.go isValidModel: --served-model-name, then the LoRA adapters it loaded).
import type { ModelServer } from "../../proto/benchmark-types";

/** A LoRA adapter the model server loads at start (`lora_adapters`, `name=path`). */
export interface LoraAdapter {
  name: string;
  path?: string;
}

/** The adapters of `lora_adapters` (comma separated `name` or `name=path`), empty entries skipped. */
export function loraAdapters(text: string | undefined): LoraAdapter[] {
  return (text ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const equals = entry.indexOf("=");
      if (equals < 0) return { name: entry };
      const path = entry.slice(equals + 1).trim();
      return { name: entry.slice(0, equals).trim(), ...(path ? { path } : {}) };
    });
}

/** Every model name the server answers: its model, then its LoRA adapters. */
export function servedModels(server: ModelServer): string[] {
  const engine = server.vllm ?? server.sim;
  if (!engine?.model) return [];
  return [engine.model, ...loraAdapters(engine.lora_adapters).map((adapter) => adapter.name)];
}
