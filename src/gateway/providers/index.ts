// Picks the provider that serves a model, from configuration. Anthropic's SDK is loaded on the
// first Anthropic request: it is a large part of the bundle, and only Anthropic models use it.
import type { AppConfig } from "../../config";
import type { ModelEntry } from "../models";
import { openAICompatible } from "./openai";
import type { Provider } from "./types";

let anthropicModule: Promise<typeof import("./anthropic")> | undefined;

function loadAnthropic() {
  anthropicModule ??= import("./anthropic").catch((error: unknown) => {
    // A failed load is not cached: the next request tries again.
    anthropicModule = undefined;
    throw error;
  });
  return anthropicModule;
}

export async function providerFor(config: AppConfig, model: ModelEntry): Promise<Provider> {
  const endpoint = config.providers[model.provider];
  if (!endpoint) throw new Error(`provider ${model.provider} is not configured`);
  if (model.provider === "anthropic") return (await loadAnthropic()).anthropic(endpoint);
  // OpenAI's reasoning models refuse max_tokens; OpenRouter and local servers know max_tokens.
  return openAICompatible(
    endpoint,
    model.provider === "openai" ? "max_completion_tokens" : "max_tokens",
  );
}
