// Picks the provider that serves a model, from configuration.
import type { AppConfig } from "../../config";
import type { ModelEntry } from "../models";
import { anthropic } from "./anthropic";
import { openAICompatible } from "./openai";
import type { Provider } from "./types";

export function providerFor(config: AppConfig, model: ModelEntry): Provider {
  const endpoint = config.providers[model.provider];
  if (!endpoint) throw new Error(`provider ${model.provider} is not configured`);
  if (model.provider === "anthropic") return anthropic(endpoint);
  // OpenAI's reasoning models refuse max_tokens; OpenRouter and local servers know max_tokens.
  return openAICompatible(
    endpoint,
    model.provider === "openai" ? "max_completion_tokens" : "max_tokens",
  );
}
