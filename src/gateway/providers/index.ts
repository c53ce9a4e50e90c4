// Picks the provider that serves a model, from configuration.
import type { AppConfig } from "../../config";
import type { ModelEntry } from "../models";
import { anthropic } from "./anthropic";
import { openAICompatible } from "./openai";
import type { Provider } from "./types";

export function providerFor(config: AppConfig, model: ModelEntry): Provider {
  const endpoint = config.providers[model.provider];
  if (!endpoint) throw new Error(`provider ${model.provider} is not configured`);
  return model.provider === "anthropic" ? anthropic(endpoint) : openAICompatible(endpoint);
}
