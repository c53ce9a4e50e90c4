/// <reference path="../types/provided.d.ts" />
// Starts the datasets' stand-in source on loopback for the runtime tests; its URL (with a "/")
// becomes the Worker's DATASETS_BASE_URL binding (see vitest.config.ts), and tests point other
// Workers at its misbehaving prefixes (see test/fixtures/datasets-upstream.mjs). The fixture
// files' bytes go to the tests too (workerd cannot read them from disk), to compare with.
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import type { TestProject } from "vitest/node";
import { startDatasetsUpstream } from "../fixtures/datasets-upstream.mjs";

const FIXTURES = join(import.meta.dirname, "../fixtures/datasets");

/** Every fixture file by its path under test/fixtures/datasets/ (the catalog's path), base64. */
async function fixtureFiles(): Promise<Record<string, string>> {
  const entries = await readdir(FIXTURES, { recursive: true, withFileTypes: true });
  const files: Record<string, string> = {};
  for (const entry of entries.filter((e) => e.isFile())) {
    const path = join(entry.parentPath, entry.name);
    files[relative(FIXTURES, path)] = (await readFile(path)).toString("base64");
  }
  return files;
}

export default async function setup(project: TestProject) {
  const files = await fixtureFiles();
  const upstream = await startDatasetsUpstream();
  project.provide("datasetsUpstreamUrl", upstream.url);
  project.provide("datasetFixtures", files);
  return () => upstream.stop();
}
