/// <reference path="../types/provided.d.ts" />
// Starts the loopback OIDC provider for the runtime tests; its issuer URL becomes the Worker's
// OIDC_ISSUER binding (see vitest.config.ts).
import type { TestProject } from "vitest/node";
import { startOidcProvider } from "../fixtures/oidc-provider.mjs";

export default async function setup(project: TestProject) {
  const provider = await startOidcProvider();
  project.provide("oidcIssuer", provider.issuer);
  return () => provider.stop();
}
