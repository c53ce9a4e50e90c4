/// <reference path="./test/types/provided.d.ts" />
// Four kinds of tests: `runtime` runs inside workerd (the Worker, its Durable Object and the
// real Hyperdrive binding pointed at Postgres); `node` drives the scripts, servers and files
// from outside; `client` checks the browser code's pure parts; `e2e` drives the page in
// Chromium. `npm test` (scripts/test.mjs) provides DATABASE_URL.
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { ELECTRIC_TEST_SECRET } from "./test/setup/constants.ts";

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error("DATABASE_URL is not set: run the suite with `npm test`");
// wrangler.toml's Hyperdrive binding, pointed at the suite's database (as `npm run dev` does).
process.env.CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE = databaseUrl;

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                ENVIRONMENT: "development",
                OIDC_ISSUER: inject("oidcIssuer"),
                OIDC_CLIENT_ID: "gradual-test",
                OIDC_CLIENT_SECRET: "gradual-test-secret",
                QUOTA_ANON_TOKENS: "5000",
                QUOTA_FREE_TOKENS: "50000",
                TIER_LIMITS: JSON.stringify({
                  anon: { max_tokens: 512, concurrent_streams: 2, requests_per_minute: 20 },
                  pro: { concurrent_streams: 400, requests_per_minute: 10_000 },
                }),
                OPENAI_API_KEY: "sk-test-openai",
                OPENAI_BASE_URL: `${inject("scriptedModelUrl")}/v1`,
                ANTHROPIC_API_KEY: "sk-test-anthropic",
                ANTHROPIC_BASE_URL: inject("scriptedModelUrl"),
                OPENROUTER_API_KEY: "sk-test-openrouter",
                OPENROUTER_BASE_URL: `${inject("scriptedModelUrl")}/v1`,
                // Long, so that a slow moment on a loaded machine cuts no stream short; the
                // tests of the timeout give their account's agent a short one of its own.
                UPSTREAM_TIMEOUT_MS: "20000",
                ELECTRIC_URL: inject("electricUrl"),
                ELECTRIC_SECRET: ELECTRIC_TEST_SECRET,
                ELECTRIC_TIMEOUT_MS: "2000",
                DATASETS_BASE_URL: `${inject("datasetsUpstreamUrl")}/`,
              },
            },
          })),
          {
            // The pool inlines every dependency through its WebSocket, whose messages workerd
            // caps at 1 MiB; gpt-tokenizer's BPE table is several megabytes, so workerd loads
            // that one package from disk instead.
            name: "gradual:external-tokenizer",
            enforce: "post",
            config(config) {
              config.test ??= {};
              config.test.server = {
                deps: { inline: [/^(?!.*gpt-tokenizer)/], external: [/gpt-tokenizer/] },
              };
            },
          },
        ],
        test: {
          name: "runtime",
          include: ["test/runtime/**/*.test.ts"],
          globalSetup: [
            "test/setup/black-hole.ts",
            "test/setup/oidc.ts",
            "test/setup/scripted-model.ts",
            "test/setup/electric.ts",
            "test/setup/datasets.ts",
          ],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: "node",
          include: ["test/node/**/*.test.ts"],
          environment: "node",
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        // The client's pure parts (the stream accumulator, the history, the run report).
        test: { name: "client", include: ["client/src/**/*.test.ts"], environment: "node" },
      },
      {
        // Headless Chromium against the app as `npm run dev` serves it. Last, on its own: it
        // needs the machine's cores, and dev rebuilds client/dist as it starts.
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          globalSetup: ["test/e2e/setup/stack.ts"],
          sequence: { groupOrder: 1 },
          fileParallelism: false,
          // A page waits on Python and the network: polls give it a person's patience.
          expect: { poll: { timeout: 20_000, interval: 100 } },
          testTimeout: 90_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
