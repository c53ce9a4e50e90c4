/// <reference path="../types/provided.d.ts" />
// Starts the scripted model server on loopback for the runtime tests; every provider's base URL
// points at it (see vitest.config.ts).
import type { TestProject } from "vitest/node";
import { startScriptedModel } from "../../scripts/scripted-model/server.mjs";

export default async function setup(project: TestProject) {
  const model = await startScriptedModel();
  project.provide("scriptedModelUrl", model.url);
  return () => model.stop();
}
